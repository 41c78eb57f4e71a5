"""Chart data for the client progress chart: plain values gathered from one episode.

Synthetic data only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from outcome_monitor.core.trajectories import RationalModel, expected_curve, model_from_dict
from outcome_monitor.services import (
    alerting,
    charting,
    instruments,
    refit,
    settings_changes,
)
from tests.builders import give, insert_closed_episodes, phq9, phq9_sessions, srs
from tests.conftest import World

START = date(2026, 9, 1)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_episode_without_outcome_scores_has_no_chart(world: World) -> None:
    episode = give(world, None, (("srs", srs(38)),))

    data = charting.episode_chart_data(episode)

    assert data.outcome is None
    assert data.band == ()


def test_observed_points_are_numbered_from_the_first_outcome_measure(world: World) -> None:
    episode = give(world, None, *phq9_sessions(20, 18, 19))

    outcome = charting.episode_chart_data(episode).outcome

    assert outcome is not None
    assert [(p.session, p.score) for p in outcome.points] == [(1, 20), (2, 18), (3, 19)]
    assert [p.on for p in outcome.points] == [START + timedelta(weeks=w) for w in (1, 2, 3)]
    assert (outcome.code, outcome.label, outcome.score_min, outcome.score_max) == (
        "phq9",
        "PHQ-9",
        0,
        27,
    )
    assert outcome.cutoff == 10


def test_intake_alone_fixes_the_band(world: World) -> None:
    episode = give(world, *phq9_sessions(20))

    data = charting.episode_chart_data(episode)

    assert data.outcome is not None and len(data.outcome.points) == 1
    assert [b.session for b in data.band] == list(range(2, 21))
    assert data.rc_band == (14, 26)
    assert data.prognosis is None  # the rational method has no prognosis


def test_rational_band_covers_sessions_2_to_20_from_the_model_in_use(world: World) -> None:
    episode = give(world, *phq9_sessions(20, 18))
    rules = instruments.rules_for(instruments.library()["phq9"])

    data = charting.episode_chart_data(episode)

    assert data.method == "rational" and data.fallback_reason is None
    assert [b.session for b in data.band] == list(range(2, 21))
    assert data.band == expected_curve(RationalModel(4, measure_code="phq9"), rules, intake=20)
    assert data.band[0].red == 26 and data.band[-1].yellow == 14


def test_band_reaches_the_last_session_beyond_20(world: World) -> None:
    episode = give(world, *phq9_sessions(*[20] * 22))

    data = charting.episode_chart_data(episode)

    assert data.band[-1].session == 22
    assert data.last_session == 22


def test_reliable_change_band_is_intake_plus_and_minus_rc(world: World) -> None:
    episode = give(world, *phq9_sessions(15, 14))

    data = charting.episode_chart_data(episode)

    assert data.reliable_change == 6
    assert data.rc_band == (9, 21)


def test_empirical_method_without_a_fitted_model_says_why(world: World) -> None:
    settings_changes.update_settings(changes={"trajectory_method": "empirical"}, by=world.ada)
    episode = give(world, *phq9_sessions(20, 18))

    data = charting.episode_chart_data(episode)

    assert data.method == "rational"
    assert data.fallback_reason is not None
    assert "no empirical model has been fitted for phq9" in data.fallback_reason


def test_fitted_empirical_model_gives_the_expected_curve(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    version = next(v for v in refit.refit_models(now=NOW).stored if v.method == "empirical")
    episode = give(world, *phq9_sessions(20, 18, 17))
    rules = instruments.rules_for(instruments.library()["phq9"])

    data = charting.episode_chart_data(episode)

    assert data.method == "empirical" and data.fallback_reason is None
    assert data.outcome is not None
    model = model_from_dict(version.parameters)
    assert data.band == expected_curve(model, rules, intake=20)
    assert all(b.expected is not None for b in data.band)
    assert data.prognosis is not None and data.prognosis.based_on == 2


def test_the_expected_line_stays_put_when_a_score_is_entered(world: World) -> None:
    """Issue 8: the chart's expected line is the same before and after a new score."""
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    refit.refit_models(now=NOW)
    before = charting.episode_chart_data(give(world, *phq9_sessions(19, 17, 16)))
    after = charting.episode_chart_data(give(world, *phq9_sessions(19, 17, 16, 24)))
    assert before.band == after.band
    assert before.prognosis is not None and after.prognosis is not None
    assert after.prognosis.p_deterioration > before.prognosis.p_deterioration


def test_alert_markers_sit_at_the_session_of_their_administration(world: World) -> None:
    episode = give(world, *phq9_sessions(12, 12, 19))
    raised = {a.type: a for a in alerting.unresolved(episode)}

    outcome = charting.episode_chart_data(episode).outcome

    assert outcome is not None
    markers = {m.type: m for m in outcome.alerts}
    assert {"reliable_deterioration", "not_on_track"} <= set(markers)
    deterioration = markers["reliable_deterioration"]
    assert (deterioration.session, deterioration.score) == (3, 19)
    assert deterioration.reason == raised["reliable_deterioration"].reason_text
    assert markers["not_on_track"].severity == "red"
    assert markers["not_on_track"].status == "open"


def test_alliance_series_has_its_cutoff_and_rupture_markers(world: World) -> None:
    episode = give(
        world,
        *[(("phq9", phq9(15)), ("srs", srs(s))) for s in (38, 38.5, 38, 30)],
    )

    alliance = charting.episode_chart_data(episode).alliance

    assert alliance is not None
    assert [(p.session, p.score) for p in alliance.points] == [(1, 38), (2, 38.5), (3, 38), (4, 30)]
    assert alliance.cutoff == 36
    assert {m.type for m in alliance.alerts} == {"alliance_rupture", "low_alliance"}
    assert {m.session for m in alliance.alerts} == {4}


def test_alliance_is_drawn_on_the_outcome_sessions(world: World) -> None:
    episode = give(world, (("phq9", phq9(15)),), (("phq9", phq9(14)), ("srs", srs(37))))

    alliance = charting.episode_chart_data(episode).alliance

    assert alliance is not None
    assert [p.session for p in alliance.points] == [2]


def test_no_alliance_measure_means_no_alliance_series(world: World) -> None:
    episode = give(world, *phq9_sessions(15, 14))

    assert charting.episode_chart_data(episode).alliance is None
