"""Alert rules: one pure evaluate() turning an episode's data into findings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from outcome_monitor.core.alerts import (
    AlertSettings,
    AlertType,
    EpisodeActivity,
    Finding,
    RiskFlag,
    Severity,
    evaluate,
    fmt,
)
from outcome_monitor.core.measure import Cutoff, Direction, MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.rupture import RuptureSettings
from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.core.trajectories import (
    RationalModel,
    ReferenceEpisode,
    ScorePoint,
    expected_band,
    fit_model,
)

PHQ = MeasureRules(
    "phq9",
    Direction.HIGHER_IS_WORSE,
    0,
    27,
    Cutoff(10, inclusive=True),
    ReliableChangeThreshold(6, inclusive=True),
    label="PHQ-9",
)
SRS = MeasureRules("srs", Direction.HIGHER_IS_BETTER, 0, 40, Cutoff(36, inclusive=False), None)
RATIONAL = RationalModel(measure_code="phq9")
START = date(2024, 1, 1)
ALLIANCE = AlertSettings(
    rupture=RuptureSettings(reliable_change=ReliableChangeThreshold(4.0, inclusive=False))
)


def points(*scores: float) -> tuple[ScorePoint, ...]:
    return tuple(
        ScorePoint(i, START + timedelta(days=7 * (i - 1)), s) for i, s in enumerate(scores, start=1)
    )


def types(findings: tuple[Finding, ...]) -> list[AlertType]:
    return [f.type for f in findings]


def run(*scores: float, **kwargs: Any) -> tuple[Finding, ...]:
    history = points(*scores)
    as_of = history[-1].on if history else START
    return evaluate(
        outcome_history=history, outcome_rules=PHQ, model=RATIONAL, as_of=as_of, **kwargs
    )


def test_reliable_deterioration_exactly_at_threshold_raises_red_and_deterioration() -> None:
    findings = run(16, 22)
    assert types(findings) == [AlertType.NOT_ON_TRACK, AlertType.RELIABLE_DETERIORATION]
    assert findings[0].severity == Severity.RED
    assert findings[1].reason == "PHQ-9 22 at session 2, intake 16: worse by 6 (reliable change 6)"


def test_just_below_threshold_raises_nothing() -> None:
    assert run(16, 21) == ()


def test_no_reliable_change_by_session_four() -> None:
    findings = run(16, 15, 14, 12)
    assert types(findings) == [AlertType.NOT_ON_TRACK, AlertType.NO_RELIABLE_CHANGE]
    assert findings[0].severity == Severity.YELLOW
    assert "no reliable improvement by session 4" in findings[1].reason
    assert run(16, 15, 12) == ()
    assert run(16, 15, 14, 10) == ()


def test_no_reliable_change_not_raised_in_functional_range() -> None:
    assert run(13, 12, 10, 9) == ()


def test_no_reliable_change_session_is_configurable() -> None:
    findings = run(16, 15, 14, settings=AlertSettings(no_change_session=3))
    assert types(findings) == [AlertType.NO_RELIABLE_CHANGE]


def test_not_on_track_reason_names_expected_and_band() -> None:
    episodes = simulate(preset("phq9"), episodes=400, seed=5)
    model = fit_model("empirical", [ReferenceEpisode(e.sessions, e.scores) for e in episodes], PHQ)
    band = expected_band(model, PHQ, intake=16, session=2)
    score = round(band.red) + 1
    assert score - 16 < 6  # beyond the red line without being a reliable deterioration
    findings = evaluate(
        outcome_history=points(16, score), outcome_rules=PHQ, model=model, as_of=START
    )
    finding = findings[0]
    assert finding.type == AlertType.NOT_ON_TRACK and finding.severity == Severity.RED
    assert finding.reason == (
        f"PHQ-9 {score} at session 2; expected {fmt(band.expected or 0)} for clients who "
        f"started here; beyond the {fmt(model.red_percentile)}% tolerance line at {fmt(band.red)}"
    )
    json.dumps(finding.details)
    yellow = evaluate(
        outcome_history=points(16, band.yellow + 0.05), outcome_rules=PHQ, model=model, as_of=START
    )
    assert yellow[0].severity == Severity.YELLOW
    assert f"{fmt(model.yellow_percentile)}% tolerance line" in yellow[0].reason


def test_risk_items_bypass_statistics() -> None:
    flags = (RiskFlag(session=1, item="9", score=2),)
    findings = run(16, risk_flags=flags)
    assert types(findings) == [AlertType.RISK_ITEM]
    assert findings[0].reason == "PHQ-9 risk item: 9 = 2 (session 1)"


def test_low_alliance_below_srs_cutoff() -> None:
    low = run(16, 15, alliance_history=points(36, 35.9), alliance_rules=SRS, settings=ALLIANCE)
    assert types(low) == [AlertType.LOW_ALLIANCE]
    assert run(16, 15, alliance_history=points(36, 36), alliance_rules=SRS, settings=ALLIANCE) == ()


def test_alliance_rules_skipped_without_rules_or_cutoff() -> None:
    assert run(16, alliance_history=points(20)) == ()
    no_cut = MeasureRules("srs", Direction.HIGHER_IS_BETTER, 0, 40, None, None)
    assert run(16, alliance_history=points(20), alliance_rules=no_cut, settings=ALLIANCE) == ()
    assert run(16, alliance_history=(), alliance_rules=SRS, settings=ALLIANCE) == ()


def test_alliance_rupture_reason() -> None:
    findings = run(
        16,
        15,
        14,
        13,
        alliance_history=points(39, 39.5, 39, 30),
        alliance_rules=SRS,
        settings=ALLIANCE,
    )
    assert AlertType.LOW_ALLIANCE in types(findings)
    rupture = next(f for f in findings if f.type == AlertType.ALLIANCE_RUPTURE)
    assert rupture.reason.startswith("SRS 30 at session 4, down 9.2 from 39.2; more than 2 × SD")
    assert rupture.details["own_sd_leaves_out_sessions"] == []  # no earlier rupture


def test_alliance_without_rc_gets_the_low_alliance_rule_only() -> None:
    findings = run(16, alliance_history=points(39, 30), alliance_rules=SRS)
    assert types(findings) == [AlertType.LOW_ALLIANCE]


@pytest.mark.parametrize(
    ("activity", "as_of", "expected"),
    [
        (EpisodeActivity(START, (1, 2), 1), START + timedelta(days=20), False),
        (EpisodeActivity(START, (1, 2), 1), START + timedelta(days=21), True),
        (EpisodeActivity(START, (1, 2, 3, 4), 1), START + timedelta(days=7), True),
        (EpisodeActivity(START, (1, 2, 3), 1), START + timedelta(days=7), False),
        (EpisodeActivity(START, (4, 5, 6, 7), 4), START + timedelta(days=7), True),
        (EpisodeActivity(START, tuple(range(1, 8)), 7), START + timedelta(days=7), False),
        (EpisodeActivity(START, (1, 2, 5, 6), 1), START + timedelta(days=7), True),
        (
            EpisodeActivity(START, tuple(range(1, 10)), 1, active=False),
            START + timedelta(days=99),
            False,
        ),
    ],
    ids=[
        "20 days after last measure",
        "exactly 21 days",
        "3 sessions since last measure",
        "2 sessions since",
        "3 therapy sessions after a first measure at session 4",
        "first measured at therapy session 4, measured every session since: not overdue",
        "missed sessions 3-4 are not counted as held",
        "closed episode",
    ],
)
def test_overdue_measure(activity: EpisodeActivity, as_of: date, expected: bool) -> None:
    findings = evaluate(
        outcome_history=points(16),
        outcome_rules=PHQ,
        model=RATIONAL,
        as_of=as_of,
        activity=activity,
    )
    assert (AlertType.OVERDUE_MEASURE in types(findings)) is expected


def test_overdue_counts_from_opening_when_never_measured() -> None:
    findings = evaluate(
        outcome_history=(),
        outcome_rules=PHQ,
        model=RATIONAL,
        as_of=START + timedelta(days=21),
        activity=EpisodeActivity(START, ()),
    )
    assert types(findings) == [AlertType.OVERDUE_MEASURE]
    assert findings[0].reason.startswith("outcome measure overdue: never measured, 21 days")


def test_empty_history_raises_nothing() -> None:
    assert run() == ()


def test_evaluate_does_not_mutate_inputs() -> None:
    history = list(points(16, 23))
    before = list(history)
    evaluate(outcome_history=history, outcome_rules=PHQ, model=RATIONAL, as_of=START)
    assert history == before


def test_labels_and_formatting() -> None:
    assert PHQ.shown_label == "PHQ-9" and replace(PHQ, code="k10", label="").shown_label == "K10"
    assert fmt(19.0) == "19" and fmt(16.54) == "16.5"


def test_reasons_name_the_measure_by_the_label_of_its_rules() -> None:
    history = points(16, 23)
    unlabelled = evaluate(
        outcome_history=history,
        outcome_rules=replace(PHQ, label=""),
        model=RATIONAL,
        as_of=history[-1].on,
    )
    labelled = run(16, 23)
    assert labelled and len(labelled) == len(unlabelled)
    assert {f.reason.split()[0] for f in labelled} == {"PHQ-9"}
    assert {f.reason.split()[0] for f in unlabelled} == {"PHQ9"}


def test_blank_risk_item_is_never_silent() -> None:
    findings = run(16, risk_flags=[RiskFlag(session=1, item="item_9", score=None)])
    risk = next(f for f in findings if f.type == AlertType.RISK_ITEM)
    assert risk.reason == "PHQ-9 risk item: item_9 not answered (session 1)"


def test_no_reliable_improvement_adds_no_client_under_a_fitted_model() -> None:
    """Under the fitted methods the band replaces the §3.2 rule: it rides with not on track."""
    from outcome_monitor.core.trajectories import Course
    from outcome_monitor.core.trajectories.empirical import EmpiricalModel

    # intake 16, expected 12 at every session, SD 2 (σ² = 4, no random effects to speak of)
    model = EmpiricalModel(
        beta=(0.0, 0.75, 0.0, 0.0),
        d=(1e-9, 0.0, 1e-9),
        sigma2=4.0,
        n_reference=500,
        n_observations=2000,
        iterations=1,
        measure_code="phq9",
    )
    assert Course(a=12.0, b=0.0, d=(1e-9, 0.0, 1e-9), sigma2=4.0).mean(4) == 12.0
    within = evaluate(
        outcome_history=points(16, 14, 13, 13), outcome_rules=PHQ, model=model, as_of=START
    )
    assert types(within) == []  # not reliably improved by session 4, but as expected: silent
    beyond = evaluate(
        outcome_history=points(16, 15, 15, 15.5), outcome_rules=PHQ, model=model, as_of=START
    )
    assert types(beyond) == [AlertType.NOT_ON_TRACK, AlertType.NO_RELIABLE_CHANGE]


def test_fitted_red_from_a_reliable_deterioration_says_so() -> None:
    from outcome_monitor.core.trajectories.empirical import EmpiricalModel

    model = EmpiricalModel(
        beta=(0.0, 0.75, 0.0, 0.0),
        d=(1e-9, 0.0, 1e-9),
        sigma2=4.0,
        n_reference=500,
        n_observations=2000,
        iterations=1,
        measure_code="phq9",
    )
    findings = evaluate(outcome_history=points(16, 22), outcome_rules=PHQ, model=model, as_of=START)
    not_on_track = findings[0]
    assert not_on_track.severity == Severity.RED
    assert not_on_track.reason == (
        "PHQ-9 22 at session 2; reliable deterioration from intake; "
        "expected 12 for clients who started here"
    )
    assert not_on_track.details["reliable_deterioration"] is True
    assert types(findings) == [AlertType.NOT_ON_TRACK, AlertType.RELIABLE_DETERIORATION]
