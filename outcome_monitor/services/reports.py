"""The service outcome report: closed episodes of a period, a team or the whole service, and a
measure; with a snapshot of the episodes open now. Read-only.

Who it covers and who sees what: ``report_scope``. The statistics are the pure functions of
``core.service_stats``; this module loads in bulk (``report_queries``: the same number of
queries for 10 episodes as for 10,000) and assembles.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import cast

from flask_babel import lazy_gettext as _l

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.service_stats import (
    ControlLimits,
    EffectSize,
    EpisodeOutcome,
    FunnelZone,
    OutcomeRates,
    Proportion,
    Summary,
    control_limits,
    episode_outcome,
    funnel_curve,
    funnel_zone,
    outcome_rates,
    pre_post_effect_size,
    proportion,
    split_by_size,
    summarise,
)
from outcome_monitor.core.trajectories import track_reading
from outcome_monitor.models import Administration, EpisodeStatus
from outcome_monitor.services import NotFound, feedback, instruments
from outcome_monitor.services import report_queries as q
from outcome_monitor.services.report_scope import Scope

DEFAULT_MIN_EPISODES = 10
# Alerts about progress on an outcome measure: an episode with one of these was "flagged".
PROGRESS_ALERTS = frozenset(
    {AlertType.NOT_ON_TRACK, AlertType.RELIABLE_DETERIORATION, AlertType.NO_RELIABLE_CHANGE}
)
NO_SCORE = "no_score"


class FunnelFigure(StrEnum):
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RECOVERY = "recovery"


def report_measures() -> list[InstrumentDefinition]:
    """The enabled outcome measures (alliance and screening measures have no course)."""
    return [d for d in instruments.enabled_instruments() if d.purpose == Purpose.OUTCOME]


def report_measure(code: str) -> InstrumentDefinition:
    definition = next((d for d in report_measures() if d.code == code), None)
    if definition is None:
        raise NotFound(_l("No outcome measure %(code)s is enabled in this service.", code=code))
    return definition


@dataclass(frozen=True)
class ReportRequest:
    measure: str
    start: date
    end: date
    min_episodes: int = DEFAULT_MIN_EPISODES
    funnel: FunnelFigure = FunnelFigure.RELIABLE_IMPROVEMENT


@dataclass(frozen=True)
class Course:
    """One closed episode on the report's measure."""

    episode: q.EpisodeRow
    scores: tuple[float, ...]
    outcome: EpisodeOutcome | None  # None without a first and a last score
    flagged: bool


@dataclass(frozen=True)
class Activity:
    opened: int
    closed: int
    dropout: Proportion  # dropped out, of closed
    completeness: Proportion  # with a first and a last score, of closed
    sessions: q.SessionCounts
    sessions_measured: Proportion  # attended with an outcome measure, of attended


@dataclass(frozen=True)
class Change:
    pre: Summary | None
    post: Summary | None
    effect: EffectSize | None


@dataclass(frozen=True)
class GroupRow:
    label: str
    closed: int
    rates: OutcomeRates
    therapists: int = 1


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    share: Proportion
    zone: FunnelZone


@dataclass(frozen=True)
class Funnel:
    figure: FunnelFigure
    service: Proportion
    points: list[FunnelPoint]
    curve: list[ControlLimits]


@dataclass(frozen=True)
class Feedback:
    flagged: Proportion  # episodes with a progress alert, of closed
    alerts_by_type: dict[str, int]
    acknowledged: Proportion  # alerts acknowledged, of alerts raised
    median_hours_to_acknowledge: float | None
    acknowledged_count: int
    actions: dict[str, int]  # per acknowledgement (a card acknowledged at once counts once)
    escalated_alerts: int
    escalated_episodes: int
    flagged_rates: OutcomeRates
    never_flagged_rates: OutcomeRates


@dataclass(frozen=True)
class OpenSnapshot:
    open: int
    by_status: dict[str, int]  # white/green/yellow/red/grey on the measure, or "no_score"


@dataclass(frozen=True)
class ServiceReport:
    scope: Scope
    request: ReportRequest
    definition: InstrumentDefinition
    rules: MeasureRules
    activity: Activity
    change: Change
    rates: OutcomeRates
    therapists: list[GroupRow]
    others: GroupRow | None
    funnel: Funnel | None
    feedback: Feedback
    open: OpenSnapshot
    courses: list[Course]


def build_report(scope: Scope, request: ReportRequest) -> ServiceReport:
    """Load the scope's episodes in bulk and compute every figure (docs/reports.md)."""
    definition = report_measure(request.measure)
    rules = instruments.rules_for(definition)
    closed = q.closed_ids(scope.therapist_ids, request.start, request.end)
    alerts = q.alert_rows(closed)
    flagged = {a.episode_id for a in alerts if a.type in PROGRESS_ALERTS}
    courses = _courses(q.episode_rows(closed), q.scores(closed, definition.code), rules, flagged)
    judged = [c for c in courses if c.outcome is not None]
    therapists, others = _therapist_rows(courses, request.min_episodes)
    return ServiceReport(
        scope,
        request,
        definition,
        rules,
        _activity(scope, request, courses),
        _change(judged, rules),
        outcome_rates([c.outcome for c in judged if c.outcome]),
        therapists if scope.compares_therapists else [],
        others if scope.compares_therapists else None,
        _funnel(judged, therapists, request.funnel) if scope.compares_therapists else None,
        _feedback(courses, alerts),
        _open_snapshot(scope, definition, rules),
        courses,
    )


def _courses(
    rows: list[q.EpisodeRow],
    scores: dict[int, list[float]],
    rules: MeasureRules,
    flagged: set[int],
) -> list[Course]:
    courses = []
    for row in rows:
        given = tuple(scores.get(row.episode_id, ()))
        outcome = episode_outcome(rules, pre=given[0], post=given[-1]) if len(given) > 1 else None
        courses.append(Course(row, given, outcome, row.episode_id in flagged))
    return courses


def _activity(scope: Scope, request: ReportRequest, courses: list[Course]) -> Activity:
    codes = [d.code for d in report_measures()]
    sessions = q.session_counts(scope.therapist_ids, request.start, request.end, codes)
    dropped = sum(1 for c in courses if c.episode.status is EpisodeStatus.DROPPED_OUT)
    complete = sum(1 for c in courses if c.outcome is not None)
    return Activity(
        q.opened_count(scope.therapist_ids, request.start, request.end),
        len(courses),
        proportion(dropped, len(courses)),
        proportion(complete, len(courses)),
        sessions,
        proportion(sessions.attended_with_measure, sessions.attended),
    )


def _change(judged: list[Course], rules: MeasureRules) -> Change:
    if len(judged) < 2:
        return Change(None, None, None)
    pre = [c.scores[0] for c in judged]
    post = [c.scores[-1] for c in judged]
    before, after = summarise(pre), summarise(post)
    effect = None
    if before.sd > 0:
        effect = pre_post_effect_size(pre, post, direction=rules.direction)
    return Change(before, after, effect)


def _group(label: str, courses: Sequence[Course], therapists: int = 1) -> GroupRow:
    outcomes = [c.outcome for c in courses if c.outcome is not None]
    return GroupRow(label, len(courses), outcome_rates(outcomes), therapists)


def _therapist_rows(courses: list[Course], minimum: int) -> tuple[list[GroupRow], GroupRow | None]:
    """A row per therapist with at least ``minimum`` judged courses (by name); the rest merged."""
    by_therapist: dict[int, list[Course]] = defaultdict(list)
    for course in sorted(courses, key=lambda c: (c.episode.therapist, c.episode.therapist_id)):
        by_therapist[course.episode.therapist_id].append(course)
    sizes = {key: sum(1 for c in group if c.outcome) for key, group in by_therapist.items()}
    shown, merged = split_by_size(sizes, minimum=minimum)
    rows = [_group(by_therapist[key][0].episode.therapist, by_therapist[key]) for key in shown]
    if not merged:
        return rows, None
    rest = [c for key in merged for c in by_therapist[key]]
    return rows, _group(str(_l("Others (merged)")), rest, therapists=len(merged))


def _funnel(judged: list[Course], rows: list[GroupRow], figure: FunnelFigure) -> Funnel | None:
    """Each shown therapist's rate against their denominator, with limits around the service."""
    service = getattr(outcome_rates([c.outcome for c in judged if c.outcome]), figure.value)
    shares = [(row.label, getattr(row.rates, figure.value)) for row in rows]
    shares = [(label, share) for label, share in shares if share.of > 0]
    if service.rate is None or not shares:
        return None
    points = [
        FunnelPoint(
            label, share, funnel_zone(share.n / share.of, control_limits(service.rate, share.of))
        )
        for label, share in shares
    ]
    sizes = [share.of for _, share in shares]
    curve = funnel_curve(
        service.rate, n_min=max(1, min(sizes) // 2), n_max=max(sizes) + max(5, max(sizes) // 5)
    )
    return Funnel(figure, service, points, curve)


def _feedback(courses: list[Course], alerts: list[q.AlertRow]) -> Feedback:
    acknowledged = [a for a in alerts if a.acknowledged_at is not None]
    hours = [
        (a.acknowledged_at - a.opened_at).total_seconds() / 3600
        for a in alerts
        if a.acknowledged_at is not None
    ]
    # A card acknowledged at once writes the same actions on each alert: count it once.
    events = {(a.episode_id, a.acknowledged_at, a.actions) for a in acknowledged}
    actions = Counter(action for *_, chosen in events for action in chosen)
    escalated = [a for a in alerts if a.escalated]
    flagged = [c for c in courses if c.flagged]
    never = [c for c in courses if not c.flagged]
    return Feedback(
        proportion(len(flagged), len(courses)),
        dict(Counter(a.type for a in alerts).most_common()),
        proportion(len(acknowledged), len(alerts)),
        statistics.median(hours) if hours else None,
        len(acknowledged),
        dict(actions.most_common()),
        len(escalated),
        len({a.episode_id for a in escalated}),
        _group("flagged", flagged).rates,
        _group("never flagged", never).rates,
    )


def _open_snapshot(
    scope: Scope, definition: InstrumentDefinition, rules: MeasureRules
) -> OpenSnapshot:
    """Open episodes now, by the status colour of their latest score on the measure: the same
    ``feedback.history`` and ``track_reading`` as the caseload, with the model in force."""
    ids = q.open_ids(scope.therapist_ids)
    total = q.count_episodes(ids)
    model = feedback.model_in_use(definition.code).model
    colours: Counter[str] = Counter()
    for given in q.given_scores(ids, definition.code).values():
        # history() reads only total, session.number and given_on.
        points = feedback.history(cast(Sequence[Administration], given))
        if points:
            colours[str(track_reading(model, rules, history=points).status)] += 1
    colours[NO_SCORE] = total - sum(colours.values())
    return OpenSnapshot(total, dict(colours))
