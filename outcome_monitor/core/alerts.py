"""Alert rules: one pure function turns an episode's data into findings (CONVENTIONS §4).

``evaluate`` is stateless; the live system and the backtest both call it after every
administration and keep one open alert per (episode, type), updating rather than duplicating.
Time is the ``as_of`` parameter. Each rule and default is listed with its source in
docs/alerts.md; most defaults are [U] (clinical-reference.md §3.2, §5.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.rupture import RuptureSettings, check_rupture
from outcome_monitor.core.trajectories import (
    RationalModel,
    ScorePoint,
    TrackStatus,
    TrajectoryModel,
    track_reading,
)
from outcome_monitor.core.trajectories.base import (
    INTAKE_SESSION,
    is_functional,
    reliable_change_of,
    reliably_deteriorated,
    reliably_improved,
)
from outcome_monitor.core.trajectories.empirical import EmpiricalModel
from outcome_monitor.core.trajectories.neighbours import NeighboursModel


class AlertType(StrEnum):
    """The fixed vocabulary of alert types."""

    NOT_ON_TRACK = "not_on_track"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    RISK_ITEM = "risk_item"
    LOW_ALLIANCE = "low_alliance"
    ALLIANCE_RUPTURE = "alliance_rupture"
    NO_RELIABLE_CHANGE = "no_reliable_change"
    OVERDUE_MEASURE = "overdue_measure"


class Severity(StrEnum):
    """Only ``not_on_track`` carries a severity."""

    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class RiskFlag:
    """A risk item at an administration (e.g. PHQ-9 item 9): answered above zero, or left
    unanswered (``score`` None — blank, or "prefer not to say" on the tablet): never silent."""

    session: int
    item: str
    score: float | None


@dataclass(frozen=True)
class EpisodeActivity:
    """What the overdue rule needs, in therapy-session numbers (not measure numbering).

    ``held``: the numbers of the therapy sessions attended so far; ``last_measured``: the
    therapy-session number of the latest outcome measure (None if never, or given outside a
    session); ``active``: the episode is open.
    """

    opened_on: date
    held: tuple[int, ...]
    last_measured: int | None = None
    active: bool = True

    @property
    def sessions_since_measure(self) -> int:
        """Attended therapy sessions after the one with the latest outcome measure."""
        return sum(1 for s in self.held if self.last_measured is None or s > self.last_measured)


@dataclass(frozen=True)
class AlertSettings:
    """Rule parameters with their sources (docs/alerts.md has the table).

    * ``no_change_session`` = 4: no reliable improvement by session 4 [U, reference §3.2].
    * ``overdue_days`` = 21 and ``overdue_sessions`` = 3: no outcome measure for 3 weeks or
      3 sessions [U, local convention; not in the reference].
    * ``rupture``: see ``RuptureSettings`` (k = 2 [V Stiles threshold], service SD [U]).
    """

    no_change_session: int = 4
    overdue_days: int = 21
    overdue_sessions: int = 3
    rupture: RuptureSettings = field(default_factory=RuptureSettings)


@dataclass(frozen=True)
class Finding:
    """One alert condition found now: type, severity (None except not_on_track), words, data."""

    type: AlertType
    severity: Severity | None
    reason: str
    details: dict[str, Any]


def fmt(value: float) -> str:
    """A score as a clinician writes it: ``19``, ``16.5`` (one decimal at most)."""
    return f"{round(value, 1):g}"


def _latest(history: Sequence[ScorePoint]) -> ScorePoint | None:
    return max(history, key=lambda p: p.session, default=None)


def _intake(history: Sequence[ScorePoint]) -> float | None:
    return next((p.score for p in history if p.session == INTAKE_SESSION), None)


def _band_words(
    model: TrajectoryModel, reading_band: Any, severity: Severity, deteriorated: bool
) -> str:
    if not isinstance(model, EmpiricalModel | NeighboursModel):
        return (
            "reliable deterioration from intake"
            if severity == Severity.RED
            else (f"no reliable improvement by session {model.no_improvement_session}")
        )
    expected = f"expected {fmt(reading_band.expected)} for clients who started here"
    if deteriorated:
        return f"reliable deterioration from intake; {expected}"
    pct = model.red_percentile if severity == Severity.RED else model.yellow_percentile
    bound = reading_band.red if severity == Severity.RED else reading_band.yellow
    return f"{expected}; beyond the {fmt(pct)}% tolerance line at {fmt(bound)}"


def not_on_track(
    history: Sequence[ScorePoint], rules: MeasureRules, model: TrajectoryModel
) -> Finding | None:
    """Yellow/red track status of the latest outcome administration (trajectories.track_reading)."""
    reading = track_reading(model, rules, history=history)
    if reading.status not in (TrackStatus.YELLOW, TrackStatus.RED):
        return None
    assert reading.band is not None and reading.score is not None
    severity = Severity(str(reading.status))
    assert reading.intake is not None
    deteriorated = reliably_deteriorated(rules, intake=reading.intake, score=reading.score)
    reason = (
        f"{rules.shown_label} {fmt(reading.score)} at session {reading.session}; "
        f"{_band_words(model, reading.band, severity, deteriorated)}"
    )
    band = reading.band
    details = {
        "session": reading.session,
        "score": reading.score,
        "intake": reading.intake,
        "method": str(model.method),
        "expected": band.expected,
        "yellow_bound": band.yellow,
        "red_bound": band.red,
        "reliable_deterioration": deteriorated,
    }
    return Finding(AlertType.NOT_ON_TRACK, severity, reason, details)


def reliable_deterioration(history: Sequence[ScorePoint], rules: MeasureRules) -> Finding | None:
    """Latest score reliably worse than intake (§1.1; direction-aware; the measure's RC bound)."""
    intake, latest = _intake(history), _latest(history)
    if intake is None or latest is None or latest.session == INTAKE_SESSION:
        return None
    if not reliably_deteriorated(rules, intake=intake, score=latest.score):
        return None
    rc = reliable_change_of(rules).value
    worse = fmt(abs(latest.score - intake))
    reason = (
        f"{rules.shown_label} {fmt(latest.score)} at session {latest.session}, intake "
        f"{fmt(intake)}: worse by {worse} (reliable change {fmt(rc)})"
    )
    details = {"session": latest.session, "score": latest.score, "intake": intake, "rc": rc}
    return Finding(AlertType.RELIABLE_DETERIORATION, None, reason, details)


def no_reliable_change(
    history: Sequence[ScorePoint], rules: MeasureRules, *, by_session: int
) -> Finding | None:
    """No reliable improvement from intake at or after ``by_session`` (§3.2, default 4 [U]).

    Not raised when the latest score is already past the clinical cut-off (functional range):
    a client who started just above the cut-off may recover without a reliable change.
    """
    intake, latest = _intake(history), _latest(history)
    if intake is None or latest is None or latest.session < by_session:
        return None
    if reliably_improved(rules, intake=intake, score=latest.score):
        return None
    if is_functional(rules, latest.score):
        return None
    reason = (
        f"{rules.shown_label} {fmt(latest.score)} at session {latest.session}, intake "
        f"{fmt(intake)}: no reliable improvement by session {by_session}"
    )
    details = {
        "session": latest.session,
        "score": latest.score,
        "intake": intake,
        "by_session": by_session,
        "rc": reliable_change_of(rules).value,
    }
    return Finding(AlertType.NO_RELIABLE_CHANGE, None, reason, details)


def _risk_words(flag: RiskFlag) -> str:
    answer = "not answered" if flag.score is None else f"= {fmt(flag.score)}"
    return f"{flag.item} {answer} (session {flag.session})"


def risk_item(flags: Sequence[RiskFlag], label: str) -> Finding | None:
    """Any risk item flagged at this administration bypasses statistics (reference §8 item 6).

    A risk item left unanswered is flagged too, with "not answered" in its reason: a blank is
    never read as "no risk".
    """
    if not flags:
        return None
    items = ", ".join(_risk_words(f) for f in flags)
    details = {"items": [{"item": f.item, "score": f.score, "session": f.session} for f in flags]}
    return Finding(AlertType.RISK_ITEM, None, f"{label} risk item: {items}", details)


def low_alliance(history: Sequence[ScorePoint], rules: MeasureRules) -> Finding | None:
    """Latest alliance score on the clinical side of the measure's cut-off (SRS below 36 [V])."""
    latest = _latest(history)
    if latest is None or rules.cutoff is None:
        return None
    if not rules.cutoff.is_clinical(latest.score, rules.direction):
        return None
    reason = (
        f"{rules.shown_label} {fmt(latest.score)} at session {latest.session}; "
        f"cut-off {fmt(rules.cutoff.value)}"
    )
    details = {"session": latest.session, "score": latest.score, "cutoff": rules.cutoff.value}
    return Finding(AlertType.LOW_ALLIANCE, None, reason, details)


def alliance_rupture(
    history: Sequence[ScorePoint], rules: MeasureRules, settings: RuptureSettings
) -> Finding | None:
    """The §5.2 prospective drop rule (see ``rupture.check_rupture``)."""
    check = check_rupture(history, rules, settings)
    if check is None or not check.is_rupture:
        return None
    reason = (
        f"{rules.shown_label} {fmt(check.score)} at session {check.session}, down "
        f"{fmt(check.drop)} from {fmt(check.baseline)}; more than {fmt(settings.k)} × SD "
        f"{fmt(check.reference_sd)} and beyond reliable change {fmt(check.reliable_change)}"
    )
    details = {
        "session": check.session,
        "score": check.score,
        "baseline": check.baseline,
        "drop": check.drop,
        "own_sd": check.own_sd,
        "reference_sd": check.reference_sd,
        "k": settings.k,
        "reliable_change": check.reliable_change,
        "own_sd_leaves_out_sessions": list(check.excluded_sessions),
    }
    return Finding(AlertType.ALLIANCE_RUPTURE, None, reason, details)


def overdue_measure(
    history: Sequence[ScorePoint], activity: EpisodeActivity, settings: AlertSettings, as_of: date
) -> Finding | None:
    """An active episode whose last outcome measure is ≥ ``overdue_days`` days old, or with
    ≥ ``overdue_sessions`` attended therapy sessions since it (from the opening if none).

    Sessions are counted in therapy-session numbers (``EpisodeActivity``), never in the
    measure's own numbering, so a client first measured at session 4 and measured every week
    since is not overdue.
    """
    if not activity.active:
        return None
    latest = _latest(history)
    since_date = activity.opened_on if latest is None else latest.on
    days = (as_of - since_date).days
    sessions = activity.sessions_since_measure
    if days < settings.overdue_days and sessions < settings.overdue_sessions:
        return None
    last = "never measured" if latest is None else f"last measured {since_date.isoformat()}"
    reason = f"outcome measure overdue: {last}, {days} days and {sessions} sessions ago"
    details = {
        "days": days,
        "sessions": sessions,
        "last_session": None if latest is None else latest.session,
    }
    return Finding(AlertType.OVERDUE_MEASURE, None, reason, details)


def outcome_findings(
    history: Sequence[ScorePoint],
    rules: MeasureRules,
    model: TrajectoryModel,
    settings: AlertSettings = AlertSettings(),
) -> list[Finding | None]:
    """Not on track, reliable deterioration and no reliable improvement of one outcome measure.

    "No reliable improvement by session k" (§3.2) is the rational method's yellow rule; under
    the fitted methods the intake-conditioned band does that job, so it is raised only together
    with a not-on-track finding and never adds a flagged client beyond the alert budget.
    """
    on_track = not_on_track(history, rules, model)
    no_change = no_reliable_change(history, rules, by_session=settings.no_change_session)
    if not isinstance(model, RationalModel) and on_track is None:
        no_change = None
    return [on_track, reliable_deterioration(history, rules), no_change]


def alliance_findings(
    history: Sequence[ScorePoint], rules: MeasureRules, settings: AlertSettings = AlertSettings()
) -> list[Finding | None]:
    """Low alliance, and alliance rupture where a reliable-change threshold exists for its guard
    (the measure's, or one the service computed, §5.2)."""
    found = [low_alliance(history, rules)]
    if settings.rupture.reliable_change is not None or rules.reliable_change is not None:
        found.append(alliance_rupture(history, rules, settings.rupture))
    return found


def evaluate(
    *,
    as_of: date,
    outcome_history: Sequence[ScorePoint] = (),
    outcome_rules: MeasureRules | None = None,
    model: TrajectoryModel | None = None,
    alliance_history: Sequence[ScorePoint] = (),
    alliance_rules: MeasureRules | None = None,
    risk_flags: Sequence[RiskFlag] = (),
    settings: AlertSettings = AlertSettings(),
    activity: EpisodeActivity | None = None,
) -> tuple[Finding, ...]:
    """Every alert condition true now, in ``AlertType`` order: the one rule path.

    The live service (after each administration, and the hourly overdue check) and the backtest
    both call this; they only load data before and reconcile after. Outcome rules run with
    ``outcome_rules`` and ``model``; alliance rules with ``alliance_rules``; the overdue rule
    with ``activity``; risk flags (of the latest administration only) always. Raises
    TrajectoryError / NormsError when a needed reliable-change threshold is missing.
    """
    found: list[Finding | None] = []
    if outcome_rules is not None and model is not None and outcome_history:
        found += outcome_findings(outcome_history, outcome_rules, model, settings)
    if alliance_rules is not None and alliance_history:
        found += alliance_findings(alliance_history, alliance_rules, settings)
    rules = outcome_rules or alliance_rules
    found.append(risk_item(risk_flags, rules.shown_label if rules else ""))
    if activity is not None:
        found.append(overdue_measure(outcome_history, activity, settings, as_of))
    order = list(AlertType)
    return tuple(sorted((f for f in found if f is not None), key=lambda f: order.index(f.type)))
