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
from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.rupture import RuptureSettings
from outcome_monitor.core.support import SupportAction, needs_reason, prompts_for
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, AlertStatus, Episode, User
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
    """Evaluate the measure just given; raise, update or clear its alerts (caller commits)."""
    definition = measures.library()[administration.instrument_code]
    current = get_settings()
    db.session.flush()
    is_alliance = definition.purpose == Purpose.ALLIANCE
    points = feedback.history(
        measures.episode_administrations(administration.episode, definition.code),
        from_intake=not is_alliance,
    )
    if is_alliance:
        sd_version = feedback.alliance_sd_version(definition.code)
        findings = _alliance_findings(definition, points, current, sd_version)
        covered, version = ALLIANCE_TYPES, sd_version.id if sd_version else None
    else:
        findings, covered, version = _outcome_findings(definition, points, current)
    risk = _risk_finding(definition, administration, points)
    if risk is not None:
        findings = (*findings, risk)
    return reconcile(
        episode=administration.episode,
        code=definition.code,
        findings=findings,
        covered=covered,
        administration=administration,
        model_version_id=version,
        now=administration.created_at or utcnow(),
    )


def _outcome_findings(definition: InstrumentDefinition, points, current):  # type: ignore[no-untyped-def]
    rules = measures.rules_for(definition)
    if rules.reliable_change is None or not points:
        return (), (), None
    in_use = feedback.model_in_use(definition.code, current)
    settings = alert_settings(current)
    found = (
        rules_core.not_on_track(points, rules, in_use.model),
        rules_core.reliable_deterioration(points, rules),
        rules_core.no_reliable_change(points, rules, by_session=settings.no_change_session),
    )
    version = in_use.version.id if in_use.version else None
    return tuple(f for f in found if f is not None), OUTCOME_TYPES, version


def _alliance_findings(definition, points, current, sd_version):  # type: ignore[no-untyped-def]
    """Low alliance and rupture; the rupture guard uses the service's fitted SD when there is
    one (reference §5.2: the larger of the client's own and the service's SD)."""
    rules = measures.rules_for(definition)
    found = [rules_core.low_alliance(points, rules)] if points else []
    if rules.reliable_change is not None and points:
        rupture = alert_settings(current).rupture
        if sd_version is not None:
            rupture = dataclasses.replace(rupture, service_sd=sd_version.parameters["service_sd"])
        found.append(rules_core.alliance_rupture(points, rules, rupture))
    return tuple(f for f in found if f is not None)


def _risk_finding(definition, administration, points) -> Finding | None:  # type: ignore[no-untyped-def]
    session = points[-1].session if points else 1
    answers = administration.answers or {}
    flags = [
        RiskFlag(session=session, item=item, score=float(answers.get(item) or 0))
        for item in administration.risk_items
    ]
    return rules_core.risk_item(flags, definition.code)


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


def _overdue_finding(episode: Episode, settings, today: date) -> Finding | None:  # type: ignore[no-untyped-def]
    outcome_admins = [
        a
        for a in measures.episode_administrations(episode)
        if (d := measures.library().get(a.instrument_code)) and d.purpose == Purpose.OUTCOME
    ]
    held = [s for s in episode.sessions if s.attended]
    since = [s for s in held if not outcome_admins or s.date > _last_date(outcome_admins)]
    activity = rules_core.EpisodeActivity(
        opened_on=episode.opened_on, sessions_held=len(held), active=episode.is_active
    )
    points = feedback.history(outcome_admins)
    finding = rules_core.overdue_measure(points, activity, settings, today)
    if finding is None and len(since) >= settings.overdue_sessions and outcome_admins:
        return rules_core.Finding(
            AlertType.OVERDUE_MEASURE,
            None,
            f"{len(since)} sessions since the last outcome measure",
            {"sessions": len(since)},
        )
    return finding


def _last_date(administrations: list[Administration]) -> date:
    last = administrations[-1]
    return last.session.date if last.session else last.created_at.date()
