"""One interface over the three trajectory methods: fit, choose with fallback, evaluate.

A service fits a model from its closed episodes (``choose_model``), stores ``model.to_dict()``,
reloads it with ``model_from_dict`` and evaluates each new administration with
``track_reading``/``track_status``; charts use ``expected_curve``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import (
    DEFAULT_MAX_SESSION,
    FIRST_FOLLOW_UP,
    INTAKE_SESSION,
    ExpectedBand,
    Method,
    ReferenceEpisode,
    ScorePoint,
    TrackStatus,
    beyond,
    is_functional,
    reliably_deteriorated,
    reliably_improved,
    usable_episodes,
)
from outcome_monitor.core.trajectories.empirical import (
    EmpiricalModel,
    empirical_band,
    fit_empirical,
)
from outcome_monitor.core.trajectories.neighbours import (
    NeighboursModel,
    fit_neighbours,
    neighbours_band,
)
from outcome_monitor.core.trajectories.rational import RationalModel, rational_band

TrajectoryModel = RationalModel | EmpiricalModel | NeighboursModel
DEFAULT_MINIMUM_REFERENCE = 200


@dataclass(frozen=True)
class TrajectoryParams:
    """Fitting parameters; every default is [U] (reference §3.1 step 5, §3.2, §3.4)."""

    yellow_percentile: float = 75.0
    red_percentile: float = 90.0
    no_improvement_session: int = 4
    k: int = 150
    max_session: int = DEFAULT_MAX_SESSION


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


def fit_model(
    method: Method | str,
    reference: Iterable[ReferenceEpisode],
    rules: MeasureRules,
    *,
    params: TrajectoryParams = TrajectoryParams(),
    minimum: int = DEFAULT_MINIMUM_REFERENCE,
) -> TrajectoryModel:
    """Fit ``method`` on the usable reference episodes (intake + ≥ 3 measured sessions).

    Raises TrajectoryError when fewer than ``minimum`` usable episodes exist (empirical and
    neighbours only; rational needs none) or the method is unknown.
    """
    method = Method(method)
    if method == Method.RATIONAL:
        return RationalModel(params.no_improvement_session, measure_code=rules.code)
    usable = usable_episodes(reference)
    if len(usable) < minimum:
        raise TrajectoryError(
            f"{len(usable)} closed episodes with an intake and at least 3 measured sessions; "
            f"the {method} method needs {minimum}"
        )
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
        max_session=params.max_session,
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


def expected_band(
    model: TrajectoryModel,
    rules: MeasureRules,
    *,
    intake: float,
    history: Sequence[ScorePoint],
    session: int,
) -> ExpectedBand:
    """The band at ``session`` (≥ 2) for a client with this ``intake``.

    ``history`` holds the client's follow-up points; only those before ``session`` are used
    (empirical method: empirical-Bayes update; the other methods ignore them).
    """
    if session < FIRST_FOLLOW_UP:
        raise TrajectoryError("a band exists from session 2 on; session 1 is the intake")
    if model.measure_code and model.measure_code != rules.code:
        raise TrajectoryError(f"model fitted for {model.measure_code}, not {rules.code}")
    if isinstance(model, RationalModel):
        return rational_band(model, rules, intake=intake, session=session)
    if isinstance(model, EmpiricalModel):
        return empirical_band(model, rules, intake=intake, history=history, session=session)
    return neighbours_band(model, rules, intake=intake, session=session)


def expected_curve(
    model: TrajectoryModel,
    rules: MeasureRules,
    *,
    intake: float,
    history: Sequence[ScorePoint] = (),
    last_session: int = DEFAULT_MAX_SESSION,
) -> tuple[ExpectedBand, ...]:
    """Bands for sessions 2..``last_session``, each computed as the alerts saw it at the time."""
    return tuple(
        expected_band(model, rules, intake=intake, history=history, session=s)
        for s in range(FIRST_FOLLOW_UP, last_session + 1)
    )


def _banded_status(reading_band: ExpectedBand, score: float) -> TrackStatus:
    if beyond(score, reading_band.red, reading_band.direction):
        return TrackStatus.RED
    if beyond(score, reading_band.yellow, reading_band.direction):
        return TrackStatus.YELLOW
    return TrackStatus.GREEN


def _status(
    model: TrajectoryModel,
    rules: MeasureRules,
    intake: float,
    latest: ScorePoint,
    band: ExpectedBand,
) -> TrackStatus:
    if reliably_deteriorated(rules, intake=intake, score=latest.score):
        return TrackStatus.RED
    if is_functional(rules, latest.score):
        return TrackStatus.WHITE
    if isinstance(model, RationalModel):
        late = latest.session >= model.no_improvement_session
        stuck = late and not reliably_improved(rules, intake=intake, score=latest.score)
        return TrackStatus.YELLOW if stuck else TrackStatus.GREEN
    return _banded_status(band, latest.score)


def track_reading(
    model: TrajectoryModel, rules: MeasureRules, *, history: Sequence[ScorePoint]
) -> TrackReading:
    """Status of the latest administration in ``history`` (intake = the session-1 point).

    Order of the rules: grey (no intake, or nothing after it) → red (reliable deterioration from
    intake, §3.2) → white (past the clinical cut-off) → red/yellow (beyond the band; rational:
    no reliable improvement by session k) → green. Ties with a band bound are not flagged.
    """
    intake = next((p.score for p in history if p.session == INTAKE_SESSION), None)
    latest = max(history, key=lambda p: p.session, default=None)
    if intake is None or latest is None or latest.session == INTAKE_SESSION:
        return TrackReading(TrackStatus.GREY, None, None, intake, None)
    follow_up = [p for p in history if p.session >= FIRST_FOLLOW_UP]
    band = expected_band(model, rules, intake=intake, history=follow_up, session=latest.session)
    status = _status(model, rules, intake, latest, band)
    return TrackReading(status, latest.session, latest.score, intake, band)


def track_status(
    model: TrajectoryModel, rules: MeasureRules, *, history: Sequence[ScorePoint]
) -> TrackStatus:
    """The colour of the latest administration; see ``track_reading``."""
    return track_reading(model, rules, history=history).status
