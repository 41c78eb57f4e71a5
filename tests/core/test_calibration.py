"""The intake-only course, the prognosis, and calibrating the band to an alert budget."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from statistics import NormalDist

import pytest

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import Cutoff, Direction, MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.core.trajectories import (
    EmpiricalModel,
    Method,
    RationalModel,
    ReferenceEpisode,
    ScorePoint,
    TrajectoryParams,
    client_prognosis,
    course_for,
    fit_model,
)
from outcome_monitor.core.trajectories.api import prognosis_horizon
from outcome_monitor.core.trajectories.calibration import (
    Calibration,
    accuracy,
    assess,
    calibrate,
    calibration_table,
    fit_recalibration,
    flag_z,
    held_out,
    out_of_fold,
    percentile_for,
    threshold_for,
    typical_last_session,
)
from outcome_monitor.core.trajectories.course import (
    Course,
    Recalibration,
    band,
    posterior,
    prognosis,
    worse_z,
)

PHQ = MeasureRules(
    "phq9",
    Direction.HIGHER_IS_WORSE,
    0,
    27,
    Cutoff(10, inclusive=True),
    ReliableChangeThreshold(6, inclusive=True),
)
ORS = MeasureRules(
    "ors",
    Direction.HIGHER_IS_BETTER,
    0,
    40,
    Cutoff(25, inclusive=False),
    ReliableChangeThreshold(5, inclusive=True),
)
# Expected 12 at every session with SD 2 (σ² = 4; random effects negligible): hand-checkable.
FLAT = Course(a=12.0, b=0.0, d=(1e-9, 0.0, 1e-9), sigma2=4.0)
DAY = date(2024, 1, 1)


def pts(*scores: float) -> tuple[ScorePoint, ...]:
    return tuple(ScorePoint(i, DAY, s) for i, s in enumerate(scores, start=1))


def reference(n: int, seed: int) -> list[ReferenceEpisode]:
    return [
        ReferenceEpisode(e.sessions, e.scores)
        for e in simulate(preset("phq9"), episodes=n, seed=seed)
    ]


# --- course and band ------------------------------------------------------------------------


def test_course_mean_and_sd_follow_the_log_linear_formula() -> None:
    course = Course(a=16.0, b=-3.0, d=(4.0, -1.0, 2.0), sigma2=3.0)
    lt = math.log(4)
    assert course.mean(4) == pytest.approx(16 - 3 * lt)
    assert course.sd(4) == pytest.approx(math.sqrt(4 - 2 * lt + 2 * lt * lt + 3))


def test_band_bounds_are_one_sided_and_clipped() -> None:
    z75, z90 = NormalDist().inv_cdf(0.75), NormalDist().inv_cdf(0.90)
    b = band(FLAT, PHQ, session=3, yellow_percentile=75, red_percentile=90)
    assert (b.expected, b.yellow, b.red) == pytest.approx((12, 12 + 2 * z75, 12 + 2 * z90))
    high = band(replace(FLAT, a=26.0), PHQ, session=3, yellow_percentile=75, red_percentile=90)
    assert high.red == 27  # clipped to the range
    ors = band(replace(FLAT, a=20.0), ORS, session=3, yellow_percentile=75, red_percentile=90)
    assert ors.red == pytest.approx(20 - 2 * z90)  # lower bound on a higher-is-better measure


def test_worse_z_is_positive_on_the_worse_side_for_both_directions() -> None:
    assert worse_z(FLAT, PHQ, session=2, score=16) == pytest.approx(2.0)
    assert worse_z(FLAT, ORS, session=2, score=16) == pytest.approx(-2.0)


# --- posterior and prognosis ----------------------------------------------------------------


def test_posterior_without_follow_up_is_the_prior() -> None:
    course = Course(a=16.0, b=-3.0, d=(4.0, -1.0, 2.0), sigma2=3.0)
    m, v = posterior(course, pts(16))  # the intake point is not a follow-up: skipped
    assert m == (0.0, 0.0)
    assert v == pytest.approx((4.0, -1.0, 2.0))


def test_posterior_refuses_a_singular_covariance() -> None:
    with pytest.raises(TrajectoryError, match="positive definite"):
        posterior(Course(12.0, 0.0, (1.0, 1.0, 1.0), 4.0), pts(16, 12))


def test_prognosis_of_a_flat_course_is_a_normal_probability() -> None:
    # no random effects: the prediction is the prior mean 12 with SD 2 whatever the history;
    # reliably worse means 16 + 6 = 22 or more: P = 1 − Φ(5) ≈ 2.9e-7; recovery: below 10.
    outlook = prognosis(FLAT, PHQ, intake=16, history=pts(16, 20), session=8)
    assert outlook.predicted == pytest.approx(12, abs=1e-6)
    assert outlook.p_deterioration == pytest.approx(1 - NormalDist().cdf(5), abs=1e-6)
    assert outlook.p_recovery == pytest.approx(NormalDist().cdf(-1), abs=1e-6)
    z = NormalDist().inv_cdf(0.9)
    assert (outlook.low, outlook.high) == pytest.approx((12 - 2 * z, 12 + 2 * z), abs=1e-5)
    assert outlook.based_on == 1


def test_prognosis_learns_from_the_clients_scores() -> None:
    course = Course(a=16.0, b=-3.0, d=(4.0, -1.0, 2.0), sigma2=3.0)
    prior = prognosis(course, PHQ, intake=16, history=pts(16), session=8)
    worse = prognosis(course, PHQ, intake=16, history=pts(16, 19, 21), session=8)
    better = prognosis(course, PHQ, intake=16, history=pts(16, 9, 7), session=8)
    assert better.predicted < prior.predicted < worse.predicted
    assert worse.p_deterioration > prior.p_deterioration > better.p_deterioration
    assert worse.high - worse.low < prior.high - prior.low  # narrower with data


def test_prognosis_has_no_recovery_for_a_non_case_or_without_cutoff() -> None:
    assert prognosis(FLAT, PHQ, intake=8, history=pts(8), session=4).p_recovery is None
    no_cutoff = replace(PHQ, cutoff=None)
    assert prognosis(FLAT, no_cutoff, intake=16, history=pts(16), session=4).p_recovery is None
    with pytest.raises(TrajectoryError, match="session 2 or later"):
        prognosis(FLAT, PHQ, intake=16, history=pts(16), session=1)


def test_prognosis_mirrors_for_higher_is_better() -> None:
    course = replace(FLAT, a=20.0)  # ORS expected 20 (SD 2) after intake 18: worse = 13 or less
    outlook = prognosis(course, ORS, intake=18, history=pts(18), session=5)
    assert outlook.p_deterioration == pytest.approx(NormalDist().cdf((13 - 20) / 2), abs=1e-6)
    assert outlook.p_recovery == pytest.approx(1 - NormalDist().cdf((25 - 20) / 2), abs=1e-6)


@pytest.mark.parametrize(
    ("recalibration", "p", "expected"),
    [
        (Recalibration(), 0.3, 0.3),
        (Recalibration(alpha=math.log(3)), 0.5, 0.75),
        (Recalibration(alpha=-math.log(3)), 0.5, 0.25),
        (Recalibration(beta=0.0), 0.9, 0.5),
    ],
    ids=["identity", "odds times 3", "odds divided by 3", "flat"],
)
def test_recalibration_applies_a_logistic_map(
    recalibration: Recalibration, p: float, expected: float
) -> None:
    assert recalibration.apply(p) == pytest.approx(expected)


# --- thresholds -----------------------------------------------------------------------------


def test_flag_z_is_infinite_at_a_reliable_deterioration() -> None:
    assert flag_z(FLAT, PHQ, intake=10, session=2, score=16) == math.inf
    assert flag_z(FLAT, PHQ, intake=16, session=2, score=14) == pytest.approx(1.0)
    # below the cut-off, a worse-than-expected score still counts (band before white, §3.1)
    assert flag_z(replace(FLAT, a=3.0), PHQ, intake=4, session=2, score=7) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("z", "percentile"),
    [(0.0, 50.0), (NormalDist().inv_cdf(0.9), 90.0), (math.inf, 99.9), (-math.inf, 50.0), (-2, 50)],
    ids=["median", "90th", "never (+inf)", "always (-inf)", "below the median is kept at 50"],
)
def test_percentile_for(z: float, percentile: float) -> None:
    assert percentile_for(z) == pytest.approx(percentile)


def test_threshold_keeps_the_share_within_the_budget() -> None:
    scores = [math.inf, 3.0, 2.0, 2.0, 1.0, 0.5, 0.0, -1.0, -2.0, -math.inf]
    assert threshold_for(scores, 0.3) == 2.0  # strictly above 2: inf and 3 → 2 of 10
    assert threshold_for(scores, 0.5) == 0.5  # inf, 3, 2, 2, 1 → 5 of 10
    assert threshold_for([math.inf, math.inf, 1.0], 0.5) == math.inf  # deteriorations fill it
    assert threshold_for([1.0, 2.0], 0.99) == 1.0
    with pytest.raises(TrajectoryError, match="no episodes"):
        threshold_for([], 0.2)
    with pytest.raises(TrajectoryError, match="between 0 and 1"):
        threshold_for(scores, 1.0)


def test_held_out_excludes_the_outcome_session_from_honest_scores() -> None:
    episode = ReferenceEpisode((1, 2, 3), (16.0, 14.0, 23.0))
    row = held_out(episode, FLAT, PHQ, horizon=6)
    assert row.live_score == math.inf  # session 3 is a reliable deterioration: seen live
    assert row.honest_score == pytest.approx(1.0)  # but it defines the outcome
    assert row.deteriorated and row.case and not row.recovered and row.sessions == 3
    late = held_out(ReferenceEpisode((1, 4, 5), (16.0, 15.0, 9.0)), FLAT, PHQ, horizon=6)
    assert late.live_score == -math.inf and late.recovered  # nothing by session 3


def test_accuracy_is_none_without_positives_or_flags() -> None:
    row = held_out(ReferenceEpisode((1, 2, 3), (16.0, 12.0, 12.0)), FLAT, PHQ, horizon=4)
    figures = accuracy([row], 5.0)
    assert figures["sensitivity"] is None and figures["ppv"] is None
    assert figures["specificity"] == 1.0 and figures["share_flagged"] == 0.0
    assert accuracy([], 0.0)["alerts_per_100_sessions"] is None


def test_typical_last_session_and_cross_validation_need_data() -> None:
    assert typical_last_session([ReferenceEpisode((1, 2), (1.0, 2.0))]) == 2
    with pytest.raises(TrajectoryError, match="no reference"):
        typical_last_session([])
    with pytest.raises(TrajectoryError, match="cross-validation"):
        out_of_fold(reference(3, 1), PHQ, lambda train: lambda intake: FLAT, folds=5, horizon=4)


# --- recalibration and calibration table ---------------------------------------------------


def test_recalibration_recovers_a_known_distortion() -> None:
    # outcomes drawn with p_true = σ(1 + logit p): the fit should find alpha ≈ 1, beta ≈ 1
    import numpy as np

    rng = np.random.default_rng(4)
    p = rng.uniform(0.02, 0.6, 20000)
    true = 1 / (1 + np.exp(-(1 + np.log(p / (1 - p)))))
    y = rng.random(20000) < true
    fitted = fit_recalibration(p.tolist(), y.tolist())
    assert fitted.alpha == pytest.approx(1.0, abs=0.1)
    assert fitted.beta == pytest.approx(1.0, abs=0.1)


def test_recalibration_needs_events_of_both_kinds() -> None:
    assert fit_recalibration([0.1] * 50, [False] * 50) == Recalibration()
    assert fit_recalibration([0.1] * 30, [True] * 5 + [False] * 25) == Recalibration()


def test_calibration_table_groups_by_prediction() -> None:
    table = calibration_table([0.9, 0.1, 0.2, 0.8], [True, False, False, True], groups=2)
    assert table == [
        {"group": 1, "n": 2, "predicted": 0.15, "observed": 0.0},
        {"group": 2, "n": 2, "predicted": 0.85, "observed": 1.0},
    ]
    assert len(calibration_table([0.5], [True], groups=3)) == 1  # empty groups are left out


# --- calibrate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated() -> EmpiricalModel:
    model = fit_model(Method.EMPIRICAL, reference(1500, 11), PHQ)
    assert isinstance(model, EmpiricalModel) and model.calibration is not None
    return model


def test_calibration_holds_the_budget_out_of_fold(calibrated: EmpiricalModel) -> None:
    calibration = calibrated.calibration
    assert calibration is not None
    assert (calibration.budget, calibration.red_budget, calibration.folds) == (0.2, 0.1, 5)
    assert calibration.metrics["yellow"]["share_flagged"] <= 0.2
    assert calibration.metrics["red"]["share_flagged"] <= 0.1
    assert 50 <= calibrated.yellow_percentile < calibrated.red_percentile <= 99.9
    curve = calibration.metrics["curve"]
    assert [row["budget"] for row in curve] == [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
    sensitivities = [row["sensitivity"] for row in curve]
    assert sensitivities == sorted(sensitivities)  # a larger budget never buys less
    assert Calibration.from_dict(calibration.to_dict()) == calibration


def test_a_tiny_red_budget_still_leaves_red_above_yellow() -> None:
    episodes = reference(300, 12)
    result = calibrate(
        [e for e in episodes if len(e.sessions) >= 2],
        PHQ,
        lambda train: lambda intake: FLAT,
        budget=0.02,
        red_budget=0.01,
    )
    assert result.red_percentile > result.yellow_percentile


def test_calibrate_refuses_incoherent_budgets() -> None:
    with pytest.raises(TrajectoryError, match="budgets"):
        calibrate(reference(50, 1), PHQ, lambda t: lambda i: FLAT, budget=0.1, red_budget=0.2)


def test_uncalibrated_fit_keeps_the_given_percentiles() -> None:
    params = TrajectoryParams(calibrate=False, yellow_percentile=80, red_percentile=95)
    model = fit_model("neighbours", reference(300, 2), PHQ, params=params)
    assert (model.yellow_percentile, model.red_percentile) == (80, 95)  # type: ignore[union-attr]
    assert model.calibration is None  # type: ignore[union-attr]


def test_assess_applies_the_reference_thresholds_to_new_episodes(
    calibrated: EmpiricalModel,
) -> None:
    assert calibrated.calibration is not None
    new = [e for e in reference(800, 13) if len(e.sessions) >= 2]
    report = assess(
        new,
        PHQ,
        lambda intake: course_for(calibrated, intake=intake),
        calibrated.calibration,
        budgets=(0.1, 0.2, 0.33),
    )
    assert [p["budget"] for p in report["curve"]] == [0.1, 0.2]  # 0.33 was not calibrated
    assert report["curve"][0]["share_flagged"] < report["curve"][1]["share_flagged"]
    assert sum(row["n"] for row in report["calibration_deterioration"]) == len(new)


# --- client prognosis through the api -------------------------------------------------------


def test_client_prognosis_only_for_fitted_models_with_an_intake(
    calibrated: EmpiricalModel,
) -> None:
    assert client_prognosis(RationalModel(measure_code="phq9"), PHQ, history=pts(16, 14)) is None
    assert client_prognosis(calibrated, PHQ, history=pts(16, 14)[1:]) is None
    outlook = client_prognosis(calibrated, PHQ, history=pts(16, 14))
    assert outlook is not None and outlook.session == prognosis_horizon(calibrated, 2)
    with pytest.raises(TrajectoryError, match="fitted for phq9"):
        client_prognosis(calibrated, replace(ORS, code="ors"), history=pts(16, 14))


def test_prognosis_horizon_is_the_typical_last_session_or_the_next(
    calibrated: EmpiricalModel,
) -> None:
    assert calibrated.calibration is not None
    typical = calibrated.calibration.typical_last_session
    assert prognosis_horizon(calibrated, 2) == typical
    assert prognosis_horizon(calibrated, typical + 3) == typical + 4
    assert prognosis_horizon(replace(calibrated, calibration=None), 2) == 8
    uncalibrated = replace(calibrated, calibration=None)
    outlook = client_prognosis(uncalibrated, PHQ, history=pts(16, 14), session=5)
    assert outlook is not None and outlook.session == 5
