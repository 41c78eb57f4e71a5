"""Alerts as tasks: raised with each administration, updated not duplicated, acknowledged with
a support action, resolved by hand or when the condition clears, escalated when left alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core import alerts as rules_core
from outcome_monitor.core.alerts import AlertType, Finding, RiskFlag, Severity
from outcome_monitor.core.definitions import Purpose
from outcome_monitor.core.rupture import RuptureSettings
from outcome_monitor.core.support import SupportAction, needs_reason, prompts_for
from outcome_monitor.core.trajectories import ScorePoint
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, AlertStatus, Episode, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, alert_batches, case_status, feedback, instruments
from outcome_monitor.services.audit import record
from outcome_monitor.services.feedback import ScoreRow
from outcome_monitor.services.settings import ServiceSettings, get_settings

OUTCOME_TYPES = (
    AlertType.NOT_ON_TRACK,
    AlertType.RELIABLE_DETERIORATION,
    AlertType.NO_RELIABLE_CHANGE,
)
ALLIANCE_TYPES = (AlertType.LOW_ALLIANCE, AlertType.ALLIANCE_RUPTURE)
EPISODE_SCOPE = ""  # instrument_code of alerts about the episode rather than one measure
ESCALATION_BATCH = 500  # alerts claimed, audited and committed together by the escalation
OVERDUE_BATCH = 1000  # active episodes read at a time by the overdue check
CONDITION_CLEARED = "the condition no longer holds"
SCORE_CORRECTED = "score corrected"  # the reason when a void or a correction clears an alert


def alert_settings(current: ServiceSettings) -> rules_core.AlertSettings:
    return rules_core.AlertSettings(
        no_change_session=current.no_change_session,
        overdue_days=current.overdue_days,
        overdue_sessions=current.overdue_sessions,
        rupture=RuptureSettings(k=current.rupture_k),
    )


def evaluate_after_administration(
    administration: Administration, *, given: Sequence[ScoreRow] | None = None
) -> list[Alert]:
    """Evaluate the measure just given; raise, update or clear its alerts (caller commits).

    Loads the measure's history and the model in force, calls the one pure rule path
    (``core.alerts.evaluate``, the same the backtest replays) and reconciles the findings.
    ``given``: the episode's current scores as ``case_status.score_rows`` reads them, read
    after ``administration`` was flushed, when the caller has them (a new score: the stored
    status is refreshed from the same rows); the measure's history is loaded otherwise.
    """
    db.session.flush()
    code = administration.instrument_code
    history = None if given is None else [row for row in given if row.instrument_code == code]
    evaluation = _evaluate(administration.episode, code, administration, history=history)
    return reconcile(
        episode=administration.episode,
        code=administration.instrument_code,
        findings=evaluation.findings,
        covered=evaluation.covered,
        administration=administration,
        model_version_id=evaluation.model_version_id,
        now=administration.created_at or utcnow(),
    )


def reevaluate_after_correction(
    *, voided: Administration, replacement: Administration | None, now: datetime
) -> list[Alert]:
    """Re-evaluate the voided score's measure as of its latest current administration (caller
    commits; ``services.corrections`` calls it after a void or a correction).

    1. The findings come from the measure's current history (the voided score left out, the
       replacement in), through the same rule path as after a new administration. Risk items
       are those of the replacement: a voided score without one raises none.
    2. ``reconcile`` with the latest current administration: a finding that still holds updates
       its alert; a measure alert whose condition no longer holds resolves by itself with the
       reason "score corrected".
    3. Any alert still pointing at the voided score (a risk-item alert the replacement does not
       trigger) resolves by itself with the same reason; one the replacement triggers points
       at the replacement.
    """
    db.session.flush()
    episode, code = voided.episode, voided.instrument_code
    evaluation = _evaluate(episode, code, replacement)
    touched = reconcile(
        episode=episode,
        code=code,
        findings=evaluation.findings,
        covered=evaluation.covered,
        administration=evaluation.latest,
        model_version_id=evaluation.model_version_id,
        now=now,
        resolve_reason=SCORE_CORRECTED,
    )
    for alert in touched:
        if alert.type == AlertType.RISK_ITEM and replacement is not None:
            alert.administration = replacement
    for alert in unresolved(episode, code):
        if alert.administration_id == voided.id:
            _auto_resolve(alert, now, SCORE_CORRECTED)
    return touched


@dataclasses.dataclass(frozen=True)
class _Evaluation:
    findings: list[Finding]
    covered: tuple[AlertType, ...]
    model_version_id: int | None
    latest: Administration | None


def _evaluate(
    episode: Episode,
    code: str,
    flags_from: Administration | None,
    *,
    history: Sequence[ScoreRow] | None = None,
) -> _Evaluation:
    """The findings of ``code`` in ``episode`` from its current history (``history``, the
    measure's scores as plain rows, or loaded here); the risk flags are those of ``flags_from``
    (the administration just given or the correction). ``latest``, the measure's latest
    current administration, is known only when the history is loaded here."""
    definition = instruments.library()[code]
    current = get_settings()
    is_alliance = definition.purpose == Purpose.ALLIANCE
    latest: Administration | None = None
    if history is None:
        given = feedback.episode_administrations(episode, definition.code)
        latest = given[-1] if given else None
    else:
        given = alert_batches.as_administrations(list(history))
    points = feedback.history(given, from_intake=not is_alliance)
    rules = instruments.rules_for(definition)
    settings = alert_settings(current)
    flags = _risk_flags(flags_from, points) if flags_from is not None else []
    if is_alliance:
        sd_version = feedback.alliance_sd_version(definition.code)
        if sd_version is not None:
            rupture = dataclasses.replace(
                settings.rupture, service_sd=sd_version.parameters["service_sd"]
            )
            settings = dataclasses.replace(settings, rupture=rupture)
        findings = rules_core.evaluate(
            as_of=_as_of(points),
            alliance_history=points,
            alliance_rules=rules,
            risk_flags=flags,
            settings=settings,
        )
        version = sd_version.id if sd_version else None
        return _Evaluation(list(findings), ALLIANCE_TYPES, version, latest)
    tracked = definition.purpose == Purpose.OUTCOME and rules.reliable_change is not None
    in_use = feedback.model_in_use(definition.code, current)
    findings = rules_core.evaluate(
        as_of=_as_of(points),
        outcome_history=points if tracked else (),
        outcome_rules=rules,
        model=in_use.model,
        risk_flags=flags,
        settings=settings,
    )
    version = in_use.version.id if in_use.version else None
    return _Evaluation(list(findings), OUTCOME_TYPES if tracked else (), version, latest)


def _as_of(points: Sequence[ScorePoint]) -> date:
    return points[-1].on if points else utcnow().date()


def _risk_flags(administration: Administration, points: Sequence[ScorePoint]) -> list[RiskFlag]:
    """A flag for each risk item triggered or left unanswered at this administration."""
    session = points[-1].session if points else 1
    answers = administration.answers or {}
    return [
        RiskFlag(
            session=session,
            item=item,
            score=None if answers.get(item) is None else float(answers[item]),
        )
        for item in administration.risk_items
    ]


def reconcile(
    *,
    episode: Episode,
    code: str,
    findings: Sequence[Finding],
    covered: Iterable[str],
    now: datetime,
    administration: Administration | None = None,
    model_version_id: int | None = None,
    resolve_reason: str = CONDITION_CLEARED,
) -> list[Alert]:
    """Make the unresolved alerts of (episode, code) match ``findings``.

    1. A finding whose type has an unresolved alert updates it (no duplicate).
    2. A new finding opens an alert.
    3. An unresolved alert of a ``covered`` type with no finding now resolves by itself
       (audited with ``resolve_reason``). Risk alerts are never in ``covered``: a clinician
       must close them (or a correction of the score that raised them).
    """
    open_alerts = {a.type: a for a in unresolved(episode, code)}
    touched = [
        _update(open_alerts.pop(f.type), f, now, administration, model_version_id)
        if f.type in open_alerts
        else _open(episode, code, f, now, administration, model_version_id)
        for f in findings
    ]
    for alert_type, alert in open_alerts.items():
        if alert_type in set(covered):
            _auto_resolve(alert, now, resolve_reason)
    return touched


def unresolved(episode: Episode, code: str | None = None) -> list[Alert]:
    query = sa.select(Alert).where(
        Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED
    )
    if code is not None:
        query = query.where(Alert.instrument_code == code)
    return list(db.session.scalars(query.order_by(Alert.opened_at)))


def _open(episode, code, finding, now, administration, version) -> Alert:
    alert = Alert(
        episode=episode,
        instrument_code=code,
        type=finding.type.value,
        severity=finding.severity.value if finding.severity else None,
        reason_text=finding.reason,
        reason=finding.details,
        opened_at=now,
        updated_at=now,
        administration=administration,
        model_version_id=version,
    )
    db.session.add(alert)
    record(
        by=None,
        action="alert.raise",
        obj=alert,
        details={"type": alert.type, "severity": alert.severity, "reason": alert.reason_text},
    )
    return alert


def _update(alert: Alert, finding: Finding, now, administration, version) -> Alert:
    severity = finding.severity
    changed = severity != alert.severity
    alert.severity, alert.reason_text, alert.reason = severity, finding.reason, finding.details
    alert.updated_at, alert.model_version_id = now, version
    if administration is not None:
        alert.administration = administration
    if changed:
        record(
            by=None,
            action="alert.update",
            obj=alert,
            details={"severity": severity, "reason": finding.reason},
        )
    return alert


def _auto_resolve(alert: Alert, now: datetime, reason: str = CONDITION_CLEARED) -> None:
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_automatically = now, True
    if reason != CONDITION_CLEARED:
        alert.action_note = "\n".join(filter(None, [alert.action_note, reason]))
    record(by=None, action="alert.auto_resolve", obj=alert, details={"reason": reason})


def acknowledge_alert(
    *, alert: Alert, actions: Sequence[str], note: str, by: User, now: datetime
) -> None:
    """Record what the therapist did; 'discussed, no change' needs a reason."""
    if alert.status != AlertStatus.OPEN:
        raise ServiceError(_l("This alert has already been acknowledged or resolved."))
    allowed = set(prompts_for(alert.type))
    try:
        chosen = tuple(SupportAction(a) for a in actions)
    except ValueError:
        raise ServiceError(_l("Choose actions from the checklist.")) from None
    if not chosen or not set(chosen) <= allowed:
        raise ServiceError(_l("Choose at least one action from the checklist."))
    if needs_reason(chosen) and not note.strip():
        raise ServiceError(_l("Say why no change is needed."))
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.actions, alert.action_note = [a.value for a in chosen], note.strip() or None
    alert.acknowledged_at, alert.acknowledged_by_id = now, by.id
    record(
        by=by,
        action="alert.acknowledge",
        obj=alert,
        details={"actions": alert.actions, "note": alert.action_note},
    )
    case_status.refresh(alert.episode)
    db.session.commit()


def resolve_alert(*, alert: Alert, note: str, by: User, now: datetime) -> None:
    if alert.status == AlertStatus.RESOLVED:
        raise ServiceError(_l("This alert is already resolved."))
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by_id, alert.resolved_automatically = now, by.id, False
    alert.action_note = "\n".join(filter(None, [alert.action_note, note.strip()])) or None
    record(by=by, action="alert.resolve", obj=alert, details={"note": note.strip()})
    case_status.refresh(alert.episode)
    db.session.commit()


def escalation_due(current: ServiceSettings, now: datetime) -> sa.ColumnElement[bool]:
    """Red (not on track red, reliable deterioration) and risk alerts left open too long, as
    one SQL criterion: opened at or before ``now`` less the limit of their kind."""
    risk_since = now - timedelta(hours=current.escalate_risk_after_hours)
    red_since = now - timedelta(hours=current.escalate_red_after_hours)
    red = sa.or_(Alert.severity == Severity.RED, Alert.type == AlertType.RELIABLE_DETERIORATION)
    return sa.or_(
        sa.and_(Alert.type == AlertType.RISK_ITEM, Alert.opened_at <= risk_since),
        sa.and_(Alert.type != AlertType.RISK_ITEM, red, Alert.opened_at <= red_since),
    )


def escalate_overdue(*, now: datetime, batch_size: int | None = None) -> int:
    """Escalate unacknowledged red and risk alerts; each one exactly once.

    1. Read the ids of the due alerts (one query; the database decides what is due).
    2. Per batch of ``batch_size`` (default ``ESCALATION_BATCH``): claim them with one
       conditional UPDATE ... RETURNING id (``alert_batches.claim``: only alerts still open,
       unescalated and due), write one ``alert.escalate`` audit row per claimed alert in one
       INSERT, refresh the stored status of their episodes and commit. A second scheduler's
       claim returns none of the alerts this one claimed, so only one run audits each and the
       counts add up.
    Each batch is its own use-case (ADR 8): a failure keeps the batches already committed and
    the next run goes on with the rest.
    """
    due = escalation_due(get_settings(), now)
    ids = db.session.scalars(
        sa.select(Alert.id)
        .where(Alert.status == AlertStatus.OPEN, Alert.escalated_at.is_(None), due)
        .order_by(Alert.id)
    ).all()
    escalated = 0
    for batch in alert_batches.batched(ids, batch_size or ESCALATION_BATCH):
        try:
            claimed = alert_batches.claim(batch, due, now)
            episodes = alert_batches.audit_alerts(claimed, action="alert.escalate", now=now)
            case_status.refresh_many(episodes)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        escalated += len(claimed)
    return escalated


def check_overdue(*, today: date, now: datetime, batch_size: int | None = None) -> int:
    """Raise or clear 'overdue outcome measure' on every active episode; returns alerts open.

    1. The active episodes are read ``batch_size`` (default ``OVERDUE_BATCH``) at a time
       (keyset paging, bounded memory).
    2. Per batch: one query each for their attended sessions, their current outcome scores and
       their open overdue alerts; the rule is the one path (``core.alerts.evaluate``).
    3. ``alert_batches.reconcile_type`` opens, rewords and clears the alerts a statement per
       step (an unchanged alert is not written); the stored status of the episodes whose alert
       opened or cleared is refreshed; one commit per batch (a rerun reconciles to the same
       state, so a failure loses nothing).
    """
    settings = alert_settings(get_settings())
    codes = [d.code for d in instruments.library().values() if d.purpose == Purpose.OUTCOME]
    raised = 0
    for batch in alert_batches.active_episode_batches(batch_size or OVERDUE_BATCH):
        try:
            raised += _overdue_batch(batch, codes, settings, today, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return raised


def _overdue_batch(
    batch: list[tuple[int, date]],
    codes: list[str],
    settings: rules_core.AlertSettings,
    today: date,
    now: datetime,
) -> int:
    ids = [id_ for id_, _opened in batch]
    held = alert_batches.held_sessions(ids)
    scored = alert_batches.scored(codes).where(Administration.episode_id.in_(ids))
    scores = dict(alert_batches.score_rows(scored))
    found = {
        id_: _overdue_finding(opened_on, scores.get(id_, []), held[id_], settings, today)
        for id_, opened_on in batch
    }
    changed = alert_batches.reconcile_type(
        found,
        alert_batches.open_alerts_of_type(ids, AlertType.OVERDUE_MEASURE, EPISODE_SCOPE),
        type_=AlertType.OVERDUE_MEASURE,
        code=EPISODE_SCOPE,
        now=now,
        cleared=CONDITION_CLEARED,
    )
    case_status.refresh_many(changed)
    return sum(f is not None for f in found.values())


def _overdue_finding(
    opened_on: date,
    scores: list[alert_batches.ScoreRow],
    held: list[alert_batches.SessionRow],
    settings: rules_core.AlertSettings,
    today: date,
) -> Finding | None:
    """The overdue rule through the one rule path, counted in therapy sessions."""
    activity = rules_core.EpisodeActivity(
        opened_on=opened_on,
        held=tuple(s.number for s in held),
        last_measured=alert_batches.last_measured(scores, held),
        active=True,
    )
    findings = rules_core.evaluate(
        as_of=today,
        outcome_history=feedback.history(alert_batches.as_administrations(scores)),
        activity=activity,
        settings=settings,
    )
    return next((f for f in findings if f.type == AlertType.OVERDUE_MEASURE), None)
