"""Expected trajectories: rational rule, mixed model, neighbours, fallback, serialisation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import Cutoff, Direction, MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.core.trajectories import (
    EmpiricalModel,
    Method,
    NeighboursModel,
    RationalModel,
    ReferenceEpisode,
    ScorePoint,
    TrackStatus,
    TrajectoryModel,
    TrajectoryParams,
    choose_model,
    expected_band,
    expected_curve,
    fit_model,
    model_from_dict,
    track_reading,
    track_status,
)
from outcome_monitor.core.trajectories.base import z_for_percentile

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
RATIONAL = RationalModel(measure_code="phq9")


def points(*scores: float) -> tuple[ScorePoint, ...]:
    start = date(2024, 1, 1)
    return tuple(
        ScorePoint(i, start + timedelta(days=7 * i), s) for i, s in enumerate(scores, start=1)
    )


def reference(code: str, n: int, seed: int = 3) -> tuple[ReferenceEpisode, ...]:
    return tuple(
        ReferenceEpisode(e.sessions, e.scores)
        for e in simulate(preset(code), episodes=n, seed=seed)
    )


@pytest.fixture(scope="module")
def phq_reference() -> tuple[ReferenceEpisode, ...]:
    return reference("phq9", 600)


@pytest.fixture(scope="module")
def empirical(phq_reference: tuple[ReferenceEpisode, ...]) -> EmpiricalModel:
    model = fit_model(Method.EMPIRICAL, phq_reference, PHQ)
    assert isinstance(model, EmpiricalModel)
    return model


@pytest.fixture(scope="module")
def neighbours(phq_reference: tuple[ReferenceEpisode, ...]) -> NeighboursModel:
    model = fit_model("neighbours", phq_reference, PHQ, params=TrajectoryParams(k=100))
    assert isinstance(model, NeighboursModel)
    return model


# --- rational -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "status"),
    [
        ((16,), TrackStatus.GREY),
        ((16, 21), TrackStatus.GREEN),
        ((16, 22), TrackStatus.RED),
        ((16, 23), TrackStatus.RED),
        ((16, 9), TrackStatus.WHITE),
        ((16, 10), TrackStatus.GREEN),
        ((16, 15, 14, 11), TrackStatus.YELLOW),
        ((16, 15, 14, 10), TrackStatus.GREEN),
        ((16, 15, 14, 16), TrackStatus.YELLOW),
        ((16, 15, 14, 15, 12), TrackStatus.YELLOW),
    ],
    ids=[
        "only intake is grey",
        "rise of 5 below RC 6 is green",
        "rise of exactly RC 6 is red (inclusive)",
        "rise of 7 is red",
        "below cut-off 10 is white",
        "exactly at cut-off 10 is clinical, early so green",
        "drop of 5 by session 4 is yellow",
        "drop of exactly 6 by session 4 is green",
        "no change at session 4 is yellow",
        "still not reliably improved at session 5 is yellow",
    ],
)
def test_rational_status_boundaries(scores: tuple[float, ...], status: TrackStatus) -> None:
    assert track_status(RATIONAL, PHQ, history=points(*scores)) == status


def test_rational_status_mirrors_for_higher_is_better() -> None:
    ors = RationalModel(measure_code="ors")
    assert track_status(ors, ORS, history=points(18, 13)) == TrackStatus.RED
    assert track_status(ors, ORS, history=points(18, 14)) == TrackStatus.GREEN
    assert track_status(ors, ORS, history=points(18, 19, 20, 21)) == TrackStatus.YELLOW
    assert track_status(ors, ORS, history=points(18, 19, 20, 23)) == TrackStatus.GREEN
    assert track_status(ors, ORS, history=points(18, 24.9)) == TrackStatus.GREEN
    assert track_status(ors, ORS, history=points(18, 25)) == TrackStatus.WHITE  # "below 25"


def test_rational_band_has_no_yellow_zone_before_the_session() -> None:
    early = expected_band(RATIONAL, PHQ, intake=16, session=3)
    late = expected_band(RATIONAL, PHQ, intake=16, session=4)
    assert (early.expected, early.yellow, early.red) == (None, 22, 22)
    assert (late.yellow, late.red) == (10, 22)


def test_status_without_intake_is_grey() -> None:
    history = points(16, 12)[1:]
    assert track_reading(RATIONAL, PHQ, history=history).status == TrackStatus.GREY
    assert track_status(RATIONAL, PHQ, history=()) == TrackStatus.GREY


def test_rational_model_rejects_session_before_two() -> None:
    with pytest.raises(TrajectoryError, match="2 or later"):
        RationalModel(no_improvement_session=1)


def test_measure_without_reliable_change_cannot_be_tracked() -> None:
    rules = replace(PHQ, reliable_change=None)
    with pytest.raises(TrajectoryError, match="no reliable-change threshold"):
        track_status(RATIONAL, rules, history=points(16, 20))


def test_measure_without_cutoff_is_never_white() -> None:
    rules = replace(PHQ, cutoff=None)
    assert track_status(RATIONAL, rules, history=points(16, 2)) == TrackStatus.GREEN


# --- empirical ------------------------------------------------------------------------------


def test_empirical_curve_falls_for_a_typical_intake(empirical: EmpiricalModel) -> None:
    curve = expected_curve(empirical, PHQ, intake=16)
    assert [b.session for b in curve] == list(range(2, 21))
    assert curve[0].expected is not None and curve[-1].expected is not None
    assert curve[-1].expected < curve[0].expected < 16
    assert all(b.expected is not None and b.expected < b.yellow < b.red for b in curve)


def test_empirical_band_uses_the_mixed_model_formula(empirical: EmpiricalModel) -> None:
    import math

    band = expected_band(empirical, PHQ, intake=16, session=5)
    b0, b1, g0, g1 = empirical.beta
    d00, d01, d11 = empirical.d
    lt = math.log(5)
    mean = b0 + b1 * 16 + (g0 + g1 * 16) * lt
    sd = math.sqrt(d00 + 2 * d01 * lt + d11 * lt * lt + empirical.sigma2)
    assert band.expected == pytest.approx(mean)
    assert band.red == pytest.approx(mean + z_for_percentile(empirical.red_percentile) * sd)
    assert band.yellow == pytest.approx(mean + z_for_percentile(empirical.yellow_percentile) * sd)


def test_the_yardstick_depends_on_the_intake_only(empirical: EmpiricalModel) -> None:
    """Reference §3.1 step 6: a worsening client must not pull their own expectation up."""
    before = track_reading(empirical, PHQ, history=points(19, 17, 16))
    after = track_reading(empirical, PHQ, history=points(19, 17, 16, 15))
    worse_path = track_reading(empirical, PHQ, history=points(19, 22, 23, 15))
    assert after.band == worse_path.band == expected_band(empirical, PHQ, intake=19, session=4)
    assert before.band == expected_band(empirical, PHQ, intake=19, session=3)
    assert expected_curve(empirical, PHQ, intake=19) == expected_curve(empirical, PHQ, intake=19)


def test_a_flat_client_is_judged_against_the_typical_course(empirical: EmpiricalModel) -> None:
    """The demo's case: intake 19, still 15 at session 6 while the typical client is near 11."""
    band = expected_band(empirical, PHQ, intake=19, session=6)
    assert band.expected is not None and band.expected < 13 < 15  # 15 is worse than typical
    reading = track_reading(empirical, PHQ, history=points(19, 18, 18, 17, 16, 15))
    assert reading.band is not None and reading.band.expected == band.expected
    slowly_worse = points(19, 19, 20, 21, 21, 22)  # never a reliable deterioration (RC 6)
    assert track_status(empirical, PHQ, history=slowly_worse) == TrackStatus.YELLOW


def test_empirical_status_at_and_beyond_bounds(empirical: EmpiricalModel) -> None:
    band = expected_band(empirical, PHQ, intake=20, session=2)
    assert track_status(empirical, PHQ, history=points(20, band.yellow)) == TrackStatus.GREEN
    just_beyond = points(20, band.yellow + 0.01)
    assert track_status(empirical, PHQ, history=just_beyond) == TrackStatus.YELLOW
    assert track_status(empirical, PHQ, history=points(20, band.red)) == TrackStatus.YELLOW
    assert track_status(empirical, PHQ, history=points(20, band.red + 0.01)) == TrackStatus.RED
    assert track_status(empirical, PHQ, history=points(20, 9)) == TrackStatus.WHITE


def test_empirical_mirrors_for_higher_is_better() -> None:
    model = fit_model("empirical", reference("ors", 400), ORS)
    band = expected_band(model, ORS, intake=15, session=2)
    assert band.expected is not None and band.red < band.yellow < band.expected
    assert band.expected > 15
    assert track_status(model, ORS, history=points(15, band.red - 0.01)) == TrackStatus.RED


def test_empirical_fit_rejects_a_single_follow_up_session() -> None:
    flat = [ReferenceEpisode((1, 3), (10.0, 9.0))] * 5
    from outcome_monitor.core.trajectories.empirical import fit_empirical

    with pytest.raises(TrajectoryError, match="more than one session"):
        fit_empirical(flat)
    with pytest.raises(TrajectoryError, match="finite"):
        fit_empirical([ReferenceEpisode((1, 2, 3), (10.0, float("nan"), 9.0))])


# --- neighbours -----------------------------------------------------------------------------


def test_neighbours_band_is_monotone_in_intake(neighbours: NeighboursModel) -> None:
    low = expected_band(neighbours, PHQ, intake=8, session=3)
    high = expected_band(neighbours, PHQ, intake=22, session=3)
    assert low.expected is not None and high.expected is not None
    assert low.expected < high.expected
    assert high.expected <= high.yellow <= high.red


def test_neighbours_interpolates_between_grid_intakes(neighbours: NeighboursModel) -> None:
    from outcome_monitor.core.trajectories.neighbours import neighbours_course

    a, b = neighbours_course(neighbours, intake=12), neighbours_course(neighbours, intake=13)
    mid = neighbours_course(neighbours, intake=12.5)
    assert mid.a == pytest.approx((a.a + b.a) / 2)
    assert mid.d[2] == pytest.approx((a.d[2] + b.d[2]) / 2)
    assert neighbours_course(neighbours, intake=-5) == neighbours_course(neighbours, intake=0)


def test_neighbours_mirrors_for_higher_is_better() -> None:
    model = fit_model("neighbours", reference("ors", 300), ORS, params=TrajectoryParams(k=60))
    band = expected_band(model, ORS, intake=15, session=3)
    assert band.expected is not None and band.red <= band.yellow <= band.expected


def test_neighbours_fit_errors() -> None:
    from outcome_monitor.core.trajectories.neighbours import fit_neighbours

    few = [ReferenceEpisode((1, 3, 4), (10.0, 9.0, 8.0))] * 20
    with pytest.raises(TrajectoryError, match="three scores"):
        fit_neighbours([ReferenceEpisode((1, 3), (10.0, 9.0))] * 20, PHQ, k=20)
    with pytest.raises(TrajectoryError, match="k must be"):
        fit_neighbours(few, PHQ, k=5)
    with pytest.raises(TrajectoryError, match="needs 10 episodes"):
        fit_neighbours(few[:5], PHQ, k=20)
    with pytest.raises(TrajectoryError, match="grid step"):
        fit_neighbours(few, replace(PHQ, score_max=0), k=20)
    with pytest.raises(TrajectoryError, match="finite"):
        fit_neighbours([ReferenceEpisode((1, 2, 3), (10.0, float("inf"), 9.0))] * 20, PHQ, k=20)


def test_neighbours_keep_quick_recoverers_at_later_sessions() -> None:
    """Lutz et al. 2006: each neighbour's own course, not the survivors' scores per session.

    Half recover and leave at session 3; half stay flat to session 10. Per-session survivors
    would make the session-8 expectation 16 (only the flat clients are still there); the
    neighbours' own courses keep the recoverers, so the expectation is well below it.
    """
    from outcome_monitor.core.trajectories.neighbours import fit_neighbours

    quick = ReferenceEpisode((1, 2, 3), (16.0, 9.0, 6.0))
    flat = ReferenceEpisode(tuple(range(1, 11)), (16.0,) * 10)
    model = fit_neighbours([quick, flat] * 10, PHQ, k=20)
    band = expected_band(model, PHQ, intake=16, session=8)
    assert band.expected is not None and band.expected < 12


def test_old_neighbours_tables_are_refused() -> None:
    with pytest.raises(TrajectoryError, match="run the refit"):
        model_from_dict({"method": "neighbours", "grid": [0, 1], "expected": []})


# --- choosing, fallback, serialisation ----------------------------------------------------


def test_choose_model_falls_back_below_the_minimum(
    phq_reference: tuple[ReferenceEpisode, ...],
) -> None:
    choice = choose_model("empirical", phq_reference[:150], PHQ, minimum=200)
    assert choice.fell_back and isinstance(choice.model, RationalModel)
    assert "needs 200" in choice.reason


def test_choose_model_counts_only_usable_episodes() -> None:
    short = [ReferenceEpisode((1,), (16.0,))] * 150 + [ReferenceEpisode((2, 3), (16.0, 12.0))] * 150
    _, fell_back, reason = choose_model(Method.NEIGHBOURS, short, PHQ)
    assert fell_back and "0 closed episodes" in reason


def test_choose_model_uses_the_fit_when_enough(phq_reference: tuple[ReferenceEpisode, ...]) -> None:
    model, fell_back, reason = choose_model("empirical", phq_reference, PHQ)
    assert not fell_back and model.method == Method.EMPIRICAL
    assert str(model.n_reference) in reason
    assert choose_model("rational", (), PHQ).fell_back is False


@pytest.mark.parametrize("which", ["rational", "empirical", "neighbours"])
def test_model_round_trips_through_json(
    which: str, empirical: EmpiricalModel, neighbours: NeighboursModel
) -> None:
    models: dict[str, TrajectoryModel] = {
        "rational": RATIONAL,
        "empirical": empirical,
        "neighbours": neighbours,
    }
    model = models[which]
    again = model_from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model


def test_model_from_dict_rejects_unknown_method() -> None:
    with pytest.raises(TrajectoryError, match="not a stored trajectory model"):
        model_from_dict({"method": "oracle"})
    with pytest.raises(TrajectoryError):
        model_from_dict({})


def test_band_errors(empirical: EmpiricalModel) -> None:
    with pytest.raises(TrajectoryError, match="session 2"):
        expected_band(empirical, PHQ, intake=16, session=1)
    with pytest.raises(TrajectoryError, match="fitted for phq9"):
        expected_band(empirical, ORS, intake=16, session=3)


def test_invalid_percentiles_and_reference_rejected() -> None:
    with pytest.raises(TrajectoryError, match="percentiles"):
        fit_model(
            "empirical",
            reference("phq9", 250),
            PHQ,
            params=TrajectoryParams(yellow_percentile=90, red_percentile=75),
        )
    with pytest.raises(TrajectoryError, match="between 0 and 100"):
        z_for_percentile(100)
    with pytest.raises(TrajectoryError, match="one score per session"):
        ReferenceEpisode((1, 2), (3.0,))
    with pytest.raises(TrajectoryError, match="increasing"):
        ReferenceEpisode((1, 1), (3.0, 4.0))


@given(intake=st.floats(0, 27), session=st.integers(2, 30))
def test_band_order_holds_for_any_intake(intake: float, session: int) -> None:
    model = RATIONAL
    band = expected_band(model, PHQ, intake=intake, session=session)
    assert band.red == pytest.approx(intake + 6)
    assert band.yellow <= band.red


def test_em_iterations_stop_at_tolerance_or_limit(
    phq_reference: tuple[ReferenceEpisode, ...],
) -> None:
    from outcome_monitor.core.trajectories.empirical import fit_empirical

    usable = [e for e in phq_reference if len(e.sessions) >= 3]
    assert fit_empirical(usable, max_iterations=2).iterations == 2
    assert fit_empirical(usable, tolerance=10.0).iterations == 1
