"""Alerts as tasks: raised with each administration, updated not duplicated, acknowledged with
a support action, resolved by hand or when the condition clears, escalated when left alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core import alerts as rules_core
from outcome_monitor.core.alerts import AlertType, Finding, RiskFlag
from outcome_monitor.core.definitions import Purpose
from outcome_monitor.core.rupture import RuptureSettings
from outcome_monitor.core.support import SupportAction, needs_reason, prompts_for
from outcome_monitor.core.trajectories import ScorePoint
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, AlertStatus, Episode, TherapySession, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, feedback, measures
from outcome_monitor.services.audit import record
from outcome_monitor.services.settings import ServiceSettings, get_settings

OUTCOME_TYPES = (
    AlertType.NOT_ON_TRACK,
    AlertType.RELIABLE_DETERIORATION,
    AlertType.NO_RELIABLE_CHANGE,
)
ALLIANCE_TYPES = (AlertType.LOW_ALLIANCE, AlertType.ALLIANCE_RUPTURE)
EPISODE_SCOPE = ""  # instrument_code of alerts about the episode rather than one measure


def alert_settings(current: ServiceSettings) -> rules_core.AlertSettings:
    return rules_core.AlertSettings(
        no_change_session=current.no_change_session,
        overdue_days=current.overdue_days,
        overdue_sessions=current.overdue_sessions,
        rupture=RuptureSettings(k=current.rupture_k),
    )


def evaluate_after_administration(administration: Administration) -> list[Alert]:
    """Evaluate the measure just given; raise, update or clear its alerts (caller commits).

    Loads the measure's history and the model in force, calls the one pure rule path
    (``core.alerts.evaluate``, the same the backtest replays) and reconciles the findings.
    """
    definition = measures.library()[administration.instrument_code]
    current = get_settings()
    db.session.flush()
    is_alliance = definition.purpose == Purpose.ALLIANCE
    points = feedback.history(
        measures.episode_administrations(administration.episode, definition.code),
        from_intake=not is_alliance,
    )
    rules = measures.rules_for(definition)
    settings = alert_settings(current)
    flags = _risk_flags(administration, points)
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
        covered: tuple[AlertType, ...] = ALLIANCE_TYPES
        version = sd_version.id if sd_version else None
    else:
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
        covered = OUTCOME_TYPES if tracked else ()
        version = in_use.version.id if in_use.version else None
    return reconcile(
        episode=administration.episode,
        code=definition.code,
        findings=findings,
        covered=covered,
        administration=administration,
        model_version_id=version,
        now=administration.created_at or utcnow(),
    )


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
) -> list[Alert]:
    """Make the unresolved alerts of (episode, code) match ``findings``.

    1. A finding whose type has an unresolved alert updates it (no duplicate).
    2. A new finding opens an alert.
    3. An unresolved alert of a ``covered`` type with no finding now resolves by itself.
       Risk alerts are never in ``covered``: a clinician must close them.
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
            _auto_resolve(alert, now)
    return touched


def unresolved(episode: Episode, code: str | None = None) -> list[Alert]:
    query = sa.select(Alert).where(
        Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED
    )
    if code is not None:
        query = query.where(Alert.instrument_code == code)
    return list(db.session.scalars(query.order_by(Alert.opened_at)))


def _open(episode, code, finding, now, administration, version) -> Alert:  # type: ignore[no-untyped-def]
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


def _update(alert: Alert, finding: Finding, now, administration, version) -> Alert:  # type: ignore[no-untyped-def]
    severity = finding.severity.value if finding.severity else None
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


def _auto_resolve(alert: Alert, now: datetime) -> None:
    alert.status = AlertStatus.RESOLVED.value
    alert.resolved_at, alert.resolved_automatically = now, True
    record(
        by=None,
        action="alert.auto_resolve",
        obj=alert,
        details={"reason": "the condition no longer holds"},
    )


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
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.actions, alert.action_note = [a.value for a in chosen], note.strip() or None
    alert.acknowledged_at, alert.acknowledged_by_id = now, by.id
    record(
        by=by,
        action="alert.acknowledge",
        obj=alert,
        details={"actions": alert.actions, "note": alert.action_note},
    )
    db.session.commit()


def resolve_alert(*, alert: Alert, note: str, by: User, now: datetime) -> None:
    if alert.status == AlertStatus.RESOLVED:
        raise ServiceError(_l("This alert is already resolved."))
    alert.status = AlertStatus.RESOLVED.value
    alert.resolved_at, alert.resolved_by_id, alert.resolved_automatically = now, by.id, False
    alert.action_note = "\n".join(filter(None, [alert.action_note, note.strip()])) or None
    record(by=by, action="alert.resolve", obj=alert, details={"note": note.strip()})
    db.session.commit()


def escalation_due(alert: Alert, current: ServiceSettings, now: datetime) -> bool:
    """Red (not on track red, reliable deterioration) and risk alerts left open too long."""
    if alert.type == AlertType.RISK_ITEM:
        limit = current.escalate_risk_after_hours
    elif alert.severity == "red" or alert.type == AlertType.RELIABLE_DETERIORATION:
        limit = current.escalate_red_after_hours
    else:
        return False
    return now - alert.opened_at >= timedelta(hours=limit)


def escalate_overdue(*, now: datetime) -> int:
    """Escalate unacknowledged red and risk alerts; each one exactly once.

    Each alert is claimed with a conditional UPDATE (``escalated_at IS NULL``): when two
    schedulers run at once only one UPDATE changes the row, and only that run audits it.
    """
    current = get_settings()
    candidates = db.session.scalars(
        sa.select(Alert).where(Alert.status == AlertStatus.OPEN, Alert.escalated_at.is_(None))
    ).all()
    escalated = 0
    for alert in candidates:
        if not escalation_due(alert, current, now):
            continue
        claimed = db.session.execute(
            sa.update(Alert)
            .where(
                Alert.id == alert.id, Alert.escalated_at.is_(None), Alert.status == AlertStatus.OPEN
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(sa.CursorResult[Any], claimed).rowcount == 1:
            record(
                by=None,
                action="alert.escalate",
                obj=alert,
                details={"type": alert.type, "opened_at": alert.opened_at.isoformat()},
            )
            escalated += 1
        db.session.commit()
    return escalated


def check_overdue(*, today: date, now: datetime) -> int:
    """Raise or clear 'overdue outcome measure' on every active episode; returns alerts open."""
    current = get_settings()
    settings = alert_settings(current)
    episodes = db.session.scalars(sa.select(Episode).where(Episode.status == "active")).all()
    raised = 0
    for episode in episodes:
        finding = _overdue_finding(episode, settings, today)
        reconcile(
            episode=episode,
            code=EPISODE_SCOPE,
            findings=[finding] if finding else [],
            covered=(AlertType.OVERDUE_MEASURE,),
            now=now,
        )
        raised += finding is not None
    db.session.commit()
    return raised


def _overdue_finding(
    episode: Episode, settings: rules_core.AlertSettings, today: date
) -> Finding | None:
    """The overdue rule through the one rule path, counted in therapy sessions."""
    outcome_admins = [
        a
        for a in measures.episode_administrations(episode)
        if (d := measures.library().get(a.instrument_code)) and d.purpose == Purpose.OUTCOME
    ]
    held = [s for s in episode.sessions if s.attended]
    activity = rules_core.EpisodeActivity(
        opened_on=episode.opened_on,
        held=tuple(s.number for s in held),
        last_measured=_last_measured(outcome_admins, held),
        active=episode.is_active,
    )
    findings = rules_core.evaluate(
        as_of=today,
        outcome_history=feedback.history(outcome_admins),
        activity=activity,
        settings=settings,
    )
    return next((f for f in findings if f.type == AlertType.OVERDUE_MEASURE), None)


def _last_measured(administrations: list[Administration], held: list[TherapySession]) -> int | None:
    """The therapy-session number of the latest outcome measure; for one given outside a
    session, the latest attended session on or before its date (None if never measured)."""
    if not administrations:
        return None
    last = administrations[-1]
    if last.session is not None:
        return last.session.number
    on = last.created_at.date()
    return max((s.number for s in held if s.date <= on), default=0)
