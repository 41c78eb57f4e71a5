"""One interface over the three trajectory methods: fit, calibrate, choose with fallback,
evaluate.

A service fits a model from its closed episodes (``choose_model``, which also calibrates the
band to the service's alert budget), stores ``model.to_dict()``, reloads it with
``model_from_dict`` and evaluates each new administration with ``track_reading``. Charts use
``expected_curve`` (intake only: the yardstick never moves) and ``client_prognosis``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import (
    DEFAULT_MAX_SESSION,
    FIRST_FOLLOW_UP,
    INTAKE_SESSION,
    MIN_MEASURED,
    ExpectedBand,
    Method,
    ReferenceEpisode,
    ScorePoint,
    TrackStatus,
    beyond,
    bound_at,
    is_functional,
    reliably_deteriorated,
    reliably_improved,
    usable_episodes,
    z_for_percentile,
)
from outcome_monitor.core.trajectories.calibration import (
    DEFAULT_BUDGET,
    DEFAULT_RED_BUDGET,
    CourseFor,
    calibrate,
)
from outcome_monitor.core.trajectories.course import (
    Course,
    Prognosis,
    Recalibration,
    band,
    prognosis,
)
from outcome_monitor.core.trajectories.empirical import (
    EmpiricalModel,
    empirical_course,
    fit_empirical,
)
from outcome_monitor.core.trajectories.neighbours import (
    NeighboursModel,
    fit_neighbours,
    neighbours_course,
)
from outcome_monitor.core.trajectories.rational import RationalModel, rational_band

TrajectoryModel = RationalModel | EmpiricalModel | NeighboursModel
DEFAULT_MINIMUM_REFERENCE = 200


@dataclass(frozen=True)
class TrajectoryParams:
    """Fitting parameters; every default is [U] (reference §3.1 step 5, §3.2, §3.4).

    With ``calibrate`` (the refit's default) the band percentiles are chosen on the reference
    data by cross-validation to the ``budget``/``red_budget`` (``calibration.py``), and the two
    percentiles given here are only the uncalibrated fallback.
    """

    yellow_percentile: float = 75.0
    red_percentile: float = 90.0
    no_improvement_session: int = 4
    k: int = 150
    calibrate: bool = True
    budget: float = DEFAULT_BUDGET
    red_budget: float = DEFAULT_RED_BUDGET
    folds: int = 5


class ModelChoice(NamedTuple):
    """The model to use, whether it is the rational fallback, and why in words."""

    model: TrajectoryModel
    fell_back: bool
    reason: str


@dataclass(frozen=True)
class TrackReading:
    """The status of the latest administration and the band it was compared with."""

    status: TrackStatus
    session: int | None
    score: float | None
    intake: float | None
    band: ExpectedBand | None


def _fit_uncalibrated(
    method: Method,
    usable: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    params: TrajectoryParams,
) -> EmpiricalModel | NeighboursModel:
    if method == Method.EMPIRICAL:
        return fit_empirical(
            usable,
            measure_code=rules.code,
            yellow_percentile=params.yellow_percentile,
            red_percentile=params.red_percentile,
        )
    return fit_neighbours(
        usable,
        rules,
        k=params.k,
        yellow_percentile=params.yellow_percentile,
        red_percentile=params.red_percentile,
    )


def fit_model(
    method: Method | str,
    reference: Iterable[ReferenceEpisode],
    rules: MeasureRules,
    *,
    params: TrajectoryParams = TrajectoryParams(),
    minimum: int = DEFAULT_MINIMUM_REFERENCE,
) -> TrajectoryModel:
    """Fit ``method`` on the usable reference episodes (intake + ≥ 1 follow-up), then calibrate.

    Raises TrajectoryError when fewer than ``minimum`` usable episodes exist (empirical and
    neighbours only; rational needs none) or the method is unknown.
    """
    method = Method(method)
    if method == Method.RATIONAL:
        return RationalModel(params.no_improvement_session, measure_code=rules.code)
    usable = usable_episodes(reference)
    if len(usable) < minimum:
        raise TrajectoryError(
            f"{len(usable)} closed episodes with an intake and at least {MIN_MEASURED - 1} "
            f"follow-up score; the {method} method needs {minimum}"
        )
    model = _fit_uncalibrated(method, usable, rules, params)
    if not params.calibrate:
        return model

    def fitter(train: Sequence[ReferenceEpisode]) -> CourseFor:
        fitted = _fit_uncalibrated(method, train, rules, params)
        return lambda intake: course_for(fitted, intake=intake)

    result = calibrate(
        usable,
        rules,
        fitter,
        budget=params.budget,
        red_budget=params.red_budget,
        folds=params.folds,
    )
    return dataclasses.replace(
        model,
        yellow_percentile=result.yellow_percentile,
        red_percentile=result.red_percentile,
        calibration=result.calibration,
    )


def choose_model(
    method: Method | str,
    reference: Iterable[ReferenceEpisode],
    rules: MeasureRules,
    *,
    minimum: int = DEFAULT_MINIMUM_REFERENCE,
    params: TrajectoryParams = TrajectoryParams(),
) -> ModelChoice:
    """Fit ``method``; if that fails (too little data, degenerate data) fall back to rational."""
    try:
        model = fit_model(method, reference, rules, params=params, minimum=minimum)
    except TrajectoryError as error:
        fallback = RationalModel(params.no_improvement_session, measure_code=rules.code)
        return ModelChoice(fallback, True, f"fell back to the rational method: {error}")
    return ModelChoice(model, False, f"{model.method} model on {model.n_reference} episodes")


def model_from_dict(data: dict[str, Any]) -> TrajectoryModel:
    """Rebuild a model from ``model.to_dict()``; raises TrajectoryError on an unknown method."""
    try:
        method = Method(data["method"])
    except (KeyError, ValueError) as error:
        raise TrajectoryError(f"not a stored trajectory model: {error}") from error
    if method == Method.RATIONAL:
        return RationalModel.from_dict(data)
    if method == Method.EMPIRICAL:
        return EmpiricalModel.from_dict(data)
    return NeighboursModel.from_dict(data)


def course_for(model: EmpiricalModel | NeighboursModel, *, intake: float) -> Course:
    """The client's intake-only course under a fitted model."""
    if isinstance(model, EmpiricalModel):
        return empirical_course(model, intake=intake)
    return neighbours_course(model, intake=intake)


def _check(model: TrajectoryModel, rules: MeasureRules) -> None:
    if model.measure_code and model.measure_code != rules.code:
        raise TrajectoryError(f"model fitted for {model.measure_code}, not {rules.code}")


def expected_band(
    model: TrajectoryModel, rules: MeasureRules, *, intake: float, session: int
) -> ExpectedBand:
    """The band at ``session`` (≥ 2) for a client with this ``intake``; nothing else moves it."""
    if session < FIRST_FOLLOW_UP:
        raise TrajectoryError("a band exists from session 2 on; session 1 is the intake")
    _check(model, rules)
    if isinstance(model, RationalModel):
        return rational_band(model, rules, intake=intake, session=session)
    return band(
        course_for(model, intake=intake),
        rules,
        session=session,
        yellow_percentile=model.yellow_percentile,
        red_percentile=model.red_percentile,
    )


def expected_curve(
    model: TrajectoryModel,
    rules: MeasureRules,
    *,
    intake: float,
    last_session: int = DEFAULT_MAX_SESSION,
) -> tuple[ExpectedBand, ...]:
    """Bands for sessions 2..``last_session``: fixed by the intake, the same after every score."""
    return tuple(
        expected_band(model, rules, intake=intake, session=s)
        for s in range(FIRST_FOLLOW_UP, last_session + 1)
    )


def prognosis_horizon(model: EmpiricalModel | NeighboursModel, latest_session: int) -> int:
    """The session the prognosis is for: the service's typical last session (from the
    calibration; 8 [U] without one), or the next session once a client has gone past it."""
    typical = model.calibration.typical_last_session if model.calibration else 8
    return max(typical, latest_session + 1, FIRST_FOLLOW_UP)


def client_prognosis(
    model: TrajectoryModel,
    rules: MeasureRules,
    *,
    history: Sequence[ScorePoint],
    session: int | None = None,
) -> Prognosis | None:
    """The §3.5 prognosis for this client (None for the rational method or without an intake).

    It uses every score so far and is recalibrated with the service's out-of-fold fit; it is a
    separate answer and never changes the band or the colour.
    """
    intake = next((p.score for p in history if p.session == INTAKE_SESSION), None)
    if isinstance(model, RationalModel) or intake is None:
        return None
    _check(model, rules)
    latest = max(p.session for p in history)
    calibration = model.calibration
    return prognosis(
        course_for(model, intake=intake),
        rules,
        intake=intake,
        history=history,
        session=session or prognosis_horizon(model, latest),
        deterioration=calibration.deterioration if calibration else Recalibration(),
        recovery=calibration.recovery if calibration else Recalibration(),
    )


def _fitted_status(
    model: EmpiricalModel | NeighboursModel, rules: MeasureRules, intake: float, latest: ScorePoint
) -> TrackStatus:
    """RD → red; beyond the red / yellow bound of the intake-only course; white; green.

    The same comparison as ``calibration.flag_z`` (score beyond ``mean ∓ z_p·sd``), done on the
    unclipped bound so that a score exactly at a bound is not flagged.
    """
    if reliably_deteriorated(rules, intake=intake, score=latest.score):
        return TrackStatus.RED
    course = course_for(model, intake=intake)
    mean, sd = course.mean(latest.session), course.sd(latest.session)
    for percentile, status in (
        (model.red_percentile, TrackStatus.RED),
        (model.yellow_percentile, TrackStatus.YELLOW),
    ):
        bound = bound_at(mean, sd, z=z_for_percentile(percentile), direction=rules.direction)
        if beyond(latest.score, bound, rules.direction):
            return status
    return TrackStatus.WHITE if is_functional(rules, latest.score) else TrackStatus.GREEN


def _status(
    model: TrajectoryModel, rules: MeasureRules, intake: float, latest: ScorePoint
) -> TrackStatus:
    if not isinstance(model, RationalModel):
        return _fitted_status(model, rules, intake, latest)
    if reliably_deteriorated(rules, intake=intake, score=latest.score):
        return TrackStatus.RED
    if is_functional(rules, latest.score):
        return TrackStatus.WHITE
    late = latest.session >= model.no_improvement_session
    stuck = late and not reliably_improved(rules, intake=intake, score=latest.score)
    return TrackStatus.YELLOW if stuck else TrackStatus.GREEN


def track_reading(
    model: TrajectoryModel, rules: MeasureRules, *, history: Sequence[ScorePoint]
) -> TrackReading:
    """Status of the latest administration in ``history`` (intake = the session-1 point).

    Order of the rules: grey (no intake, or nothing after it) → red (reliable deterioration from
    intake, §3.2). Fitted methods: red/yellow (beyond the intake-only band) → white (past the
    clinical cut-off) → green, the order of §3.1 step 5. Rational: white → yellow (no reliable
    improvement by session k, §3.2) → green. Ties with a band bound are not
    flagged. Only the intake and the latest score matter: earlier follow-ups never move the band.
    """
    intake = next((p.score for p in history if p.session == INTAKE_SESSION), None)
    latest = max(history, key=lambda p: p.session, default=None)
    if intake is None or latest is None or latest.session == INTAKE_SESSION:
        return TrackReading(TrackStatus.GREY, None, None, intake, None)
    reading_band = expected_band(model, rules, intake=intake, session=latest.session)
    status = _status(model, rules, intake, latest)
    return TrackReading(status, latest.session, latest.score, intake, reading_band)


def track_status(
    model: TrajectoryModel, rules: MeasureRules, *, history: Sequence[ScorePoint]
) -> TrackStatus:
    """The colour of the latest administration; see ``track_reading``."""
    return track_reading(model, rules, history=history).status
