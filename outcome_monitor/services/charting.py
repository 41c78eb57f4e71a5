"""What the client progress chart shows, as plain values; ``web/figures.py`` draws the figure.

Sessions on the chart are numbered as the feedback loop numbers them (``feedback.history``):
1 = the first outcome measure (intake). The alliance series is shifted onto the same numbering,
so both panels share one session axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.measure import Direction, MeasureRules
from outcome_monitor.core.trajectories import (
    ExpectedBand,
    Prognosis,
    ScorePoint,
    TrajectoryModel,
    client_prognosis,
    expected_curve,
)
from outcome_monitor.core.trajectories.base import DEFAULT_MAX_SESSION, INTAKE_SESSION
from outcome_monitor.models import Administration, Alert, Episode
from outcome_monitor.services import feedback, instruments, worklist
from outcome_monitor.services.settings import ServiceSettings


@dataclass(frozen=True)
class AlertMarker:
    """One alert, drawn at the session of the administration that raised (or last updated) it."""

    session: int
    score: float
    type: str
    severity: str | None
    status: str
    reason: str


@dataclass(frozen=True)
class Series:
    """One measure in the episode: what it is, its cut-off, its scores and its alerts."""

    code: str
    label: str
    name: str
    direction: Direction
    score_min: float
    score_max: float
    cutoff: float | None
    points: tuple[ScorePoint, ...]
    alerts: tuple[AlertMarker, ...] = ()

    @property
    def intake(self) -> float | None:
        return next((p.score for p in self.points if p.session == INTAKE_SESSION), None)

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None


@dataclass(frozen=True)
class ChartData:
    """Everything the progress chart and its text summary need; ``outcome`` None = no chart.

    ``band`` holds the expected curve and its yellow/red bounds for sessions 2..max(20, last
    session), fixed by the intake score alone: it is the same before and after every later
    score. ``method`` is the trajectory method in use and ``fallback_reason`` says why the
    rational method stands in, if it does. ``prognosis`` is the separately labelled §3.5
    prediction (fitted methods only, from a score after intake on).
    """

    outcome: Series | None
    alliance: Series | None = None
    band: tuple[ExpectedBand, ...] = ()
    method: str | None = None
    fallback_reason: str | None = None
    reliable_change: float | None = None
    reliable_change_inclusive: bool = True
    prognosis: Prognosis | None = None

    @property
    def last_session(self) -> int:
        sessions = [b.session for b in self.band]
        for series in (self.outcome, self.alliance):
            sessions += [p.session for p in series.points] if series else []
        return max([DEFAULT_MAX_SESSION, *sessions])

    @property
    def rc_band(self) -> tuple[float, float] | None:
        """Intake ± the reliable-change threshold, within the score range: no reliable change."""
        outcome = self.outcome
        if outcome is None or outcome.intake is None or self.reliable_change is None:
            return None
        low = max(outcome.intake - self.reliable_change, outcome.score_min)
        return low, min(outcome.intake + self.reliable_change, outcome.score_max)


def episode_chart_data(
    episode: Episode,
    current: ServiceSettings | None = None,
    *,
    administrations: Sequence[Administration] | None = None,
    alerts: Sequence[Alert] | None = None,
) -> ChartData:
    """Gather the primary outcome measure, its expected band and alerts, and the alliance series.

    ``administrations`` (voided ones may be among them: only current scores are drawn) and
    ``alerts`` (all of the episode's) are what a caller that has loaded them already passes, so
    that a page reads them once; otherwise they are read here (one query each)."""
    if administrations is None:
        everything = feedback.episode_administrations(episode)
    else:
        everything = [a for a in administrations if a.is_current]
    definition = feedback.first_given(everything, Purpose.OUTCOME)
    if definition is None:
        return ChartData(outcome=None)
    markers = list(alerts) if alerts is not None else worklist.alert_history(episode)
    markers.sort(key=lambda a: (a.opened_at, a.id))
    given = [a for a in everything if a.instrument_code == definition.code]
    rules = instruments.rules_for(definition)
    outcome = _series(definition, rules, given, markers)
    in_use = feedback.model_in_use(definition.code, current)
    rc = rules.reliable_change.value if rules.reliable_change else None
    inclusive = rules.reliable_change.inclusive if rules.reliable_change else True
    return ChartData(
        outcome=outcome,
        alliance=_alliance(everything, markers, first_session=_first_session(given)),
        band=_band(in_use.model, rules, outcome.points),
        method=str(in_use.model.method),
        fallback_reason=in_use.fallback_reason,
        reliable_change=rc,
        reliable_change_inclusive=inclusive,
        prognosis=_prognosis(in_use.model, rules, outcome.points),
    )


def _series(
    definition: InstrumentDefinition,
    rules: MeasureRules,
    given: Sequence[Administration],
    alerts: Sequence[Alert],
    shift: int = 0,
) -> Series:
    points = tuple(
        ScorePoint(p.session + shift, p.on, p.score) for p in feedback.history(list(given))
    )
    return Series(
        code=definition.code,
        label=definition.label,
        name=definition.name,
        direction=rules.direction,
        score_min=rules.score_min,
        score_max=rules.score_max,
        cutoff=rules.cutoff.value if rules.cutoff else None,
        points=points,
        alerts=_markers(definition.code, given, points, alerts, shift),
    )


def _alliance(
    everything: Sequence[Administration], alerts: Sequence[Alert], *, first_session: int
) -> Series | None:
    """The first alliance measure given in the episode, on the outcome's session numbering."""
    definition = feedback.first_given(everything, Purpose.ALLIANCE)
    if definition is None:
        return None
    given = [a for a in everything if a.instrument_code == definition.code]
    if not any(a.total is not None for a in given):
        return None
    shift = _first_session(given) - first_session
    return _series(definition, instruments.rules_for(definition), given, alerts, shift)


def _first_session(given: Sequence[Administration]) -> int:
    """The therapy-session number that ``history`` counts as session 1 (as it does)."""
    first = next((a for a in given if a.total is not None), None)
    return first.session.number if first is not None and first.session else 1


def _session_of(given: Sequence[Administration]) -> dict[int, int]:
    """Administration id -> its chart session, exactly as ``history`` numbers it."""
    return {a.id: point.session for a, point in feedback.numbered(given)}


def _markers(
    code: str,
    given: Sequence[Administration],
    points: Sequence[ScorePoint],
    alerts: Sequence[Alert],
    shift: int,
) -> tuple[AlertMarker, ...]:
    """The alerts of measure ``code`` (``alerts`` in the order they opened) at their scores."""
    sessions = _session_of(given)
    scores = {p.session: p.score for p in points}
    return tuple(
        AlertMarker(
            session=sessions[a.administration_id] + shift,
            score=scores[sessions[a.administration_id] + shift],
            type=a.type,
            severity=a.severity,
            status=a.status,
            reason=a.reason_text,
        )
        for a in alerts
        if a.instrument_code == code and a.administration_id in sessions
    )


def _band(
    model: TrajectoryModel, rules: MeasureRules, points: Sequence[ScorePoint]
) -> tuple[ExpectedBand, ...]:
    """The expected curve and bounds from session 2 on, from the intake alone (fixed)."""
    intake = next((p.score for p in points if p.session == INTAKE_SESSION), None)
    if intake is None:
        return ()
    last = max(DEFAULT_MAX_SESSION, points[-1].session)
    try:
        return expected_curve(model, rules, intake=intake, last_session=last)
    except CoreError:
        # A measure without a reliable-change threshold (or a model for another measure) has
        # no band; the scores are still drawn.
        return ()


def _prognosis(
    model: TrajectoryModel, rules: MeasureRules, points: Sequence[ScorePoint]
) -> Prognosis | None:
    """The §3.5 prognosis once there is a score after intake; None for the rational method."""
    if not any(p.session > INTAKE_SESSION for p in points):
        return None
    try:
        return client_prognosis(model, rules, history=points)
    except CoreError:
        return None
