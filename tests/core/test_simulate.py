"""Synthetic data generator: deterministic, in range, shaped like reference §6."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest

from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.simulate import SimulatedEpisode, alternative, preset, simulate


def test_same_seed_same_data_and_different_seed_differs() -> None:
    spec = preset("phq9", alliance=True)
    assert simulate(spec, episodes=50, seed=7) == simulate(spec, episodes=50, seed=7)
    assert simulate(spec, episodes=50, seed=7) != simulate(spec, episodes=50, seed=8)


def test_scores_are_whole_numbers_within_range_and_episodes_have_two_sessions() -> None:
    episodes = simulate(preset("phq9"), episodes=500, seed=1)
    scores = [s for e in episodes for s in e.scores]
    assert all(0 <= s <= 27 and s == int(s) for s in scores)
    assert min(len(e.scores) for e in episodes) >= 2
    assert all(e.alliance == () and e.planted_rupture is None for e in episodes)
    assert episodes[0].sessions == tuple(range(1, len(episodes[0].scores) + 1))


def test_marginals_resemble_reference_section_six() -> None:
    episodes = simulate(preset("phq9"), episodes=4000, seed=2)
    intake = statistics.fmean(e.scores[0] for e in episodes)
    sessions = statistics.fmean(len(e.scores) for e in episodes)
    worse = statistics.fmean(e.scores[-1] - e.scores[0] >= 6 for e in episodes)
    assert 15 < intake < 17
    assert 5.5 < sessions < 7.5
    assert 0.03 < worse < 0.10
    assert {e.response_class for e in episodes} == {"fast", "gradual", "late", "none", "worse"}


def test_late_responders_change_little_before_session_six() -> None:
    episodes = [
        e
        for e in simulate(preset("phq9"), episodes=3000, seed=4)
        if e.response_class == "late" and len(e.scores) >= 10
    ]
    early = statistics.fmean(e.scores[4] - e.scores[0] for e in episodes)
    late = statistics.fmean(e.scores[9] - e.scores[4] for e in episodes)
    assert early > -2.5 and late < -3


def test_alliance_has_ceiling_and_planted_ruptures_are_drops() -> None:
    episodes = simulate(preset("phq9", alliance=True), episodes=2000, seed=3)
    values = [a for e in episodes for a in e.alliance]
    assert max(values) == 40 and min(values) >= 0
    planted = [e for e in episodes if e.planted_rupture is not None]
    assert 0.2 < len(planted) / len(episodes) < 0.4
    drops = [
        e.alliance[e.planted_rupture - 2] - e.alliance[e.planted_rupture - 1]
        for e in planted
        if e.planted_rupture is not None
    ]
    assert statistics.fmean(drops) > 4
    assert all(2 <= (e.planted_rupture or 0) <= len(e.scores) for e in planted)


def test_higher_is_better_preset_improves_upwards() -> None:
    episodes = simulate(preset("ors"), episodes=1000, seed=1)
    assert statistics.fmean(e.scores[-1] - e.scores[0] for e in episodes) > 0


def test_bad_arguments_raise() -> None:
    with pytest.raises(CoreError, match="no simulation preset"):
        preset("oq45")
    with pytest.raises(CoreError, match="at least 1"):
        simulate(preset("phq9"), episodes=0, seed=1)


def test_alternative_configuration_differs_in_mix_and_dropout() -> None:
    other_spec = alternative("phq9")
    default = simulate(preset("phq9"), episodes=3000, seed=5)
    other = simulate(other_spec, episodes=3000, seed=5)
    no_course_dropout = simulate(replace(other_spec, course_dropout=None), episodes=3000, seed=5)

    def share(data: tuple[SimulatedEpisode, ...], name: str) -> float:
        return statistics.fmean(e.response_class == name for e in data)

    def mean_length(data: tuple[SimulatedEpisode, ...], name: str) -> float:
        return statistics.fmean(len(e.scores) for e in data if e.response_class == name)

    assert share(other, "late") > share(default, "late") + 0.05
    assert share(other, "worse") > share(default, "worse")
    # worsening clients leave sooner when dropout depends on the course; so do fast recoverers
    assert mean_length(other, "worse") < mean_length(no_course_dropout, "worse") - 0.5
    assert mean_length(other, "fast") < mean_length(no_course_dropout, "fast")
    assert min(len(e.scores) for e in other) >= 2
