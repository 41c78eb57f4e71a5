"""Set-based alert work for the jobs and for closing episodes (issue 12): one statement per batch
instead of one per alert, and score histories read as plain rows instead of ORM objects.

Nothing here commits; the public use-cases in ``services.alerting`` and ``services.care`` do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa

from outcome_monitor.core.alerts import Finding
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AlertStatus,
    AuditEvent,
    Client,
    Episode,
    EpisodeStatus,
    TherapySession,
    User,
)
from outcome_monitor.models.audit import AuditOutcome
from outcome_monitor.services.audit import record
from outcome_monitor.services.feedback import ScoreRow, SessionRow, given_order

EPISODE_CLOSED = "episode_closed"  # the reason key of an alert resolved by closing its episode
CLOSURE_NOTE = "Resolved when the episode was closed."
T = TypeVar("T")
if TYPE_CHECKING:
    # (episode id, total, session number, session date, created_at)
    ScoredQuery = sa.Select[int, float | None, int, date, datetime | None]


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def resolve_on_closure(*, episode: Episode, by: User | None, now: datetime) -> int:
    """Resolve the unresolved alerts of an episode that closed or dropped out (caller commits).

    A closed episode's alerts are nobody's task any more; left open they would fill the queue
    forever. They are resolved in one UPDATE, recorded as resolved by the closure
    (automatically, by the user who closed the episode, with the note ``CLOSURE_NOTE``) and
    audited once with their count and the reason ``episode_closed``. Returns the count; the
    caller refreshes the episode's stored status.
    """
    ids = resolve_closed(episode, by=by, now=now)
    if ids:
        record(
            by=by,
            action="alert.resolve_on_closure",
            obj=episode,
            details={"reason": EPISODE_CLOSED, "count": len(ids), "alerts": ids},
        )
    return len(ids)


def resolve_closed(episode: Episode, *, by: User | None, now: datetime) -> list[int]:
    """Resolve every unresolved alert of the episode in one UPDATE; their ids."""
    note = sa.func.coalesce(Alert.action_note + "\n", "") + CLOSURE_NOTE
    claimed = db.session.execute(
        sa.update(Alert)
        .where(Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED)
        .values(
            status=AlertStatus.RESOLVED.value,
            resolved_at=now,
            resolved_automatically=True,
            resolved_by_id=by.id if by is not None else None,
            action_note=note,
            updated_at=now,
        )
        .returning(Alert.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(claimed.scalars())
    _expire_loaded(ids)
    return ids


def _expire_loaded(ids: Sequence[int]) -> None:
    """Expire the alerts of ``ids`` this session has loaded: an UPDATE without session
    synchronisation changed them, and the stored status refreshed next must read them anew."""
    changed = set(ids)
    for alert in list(db.session.identity_map.values()):
        if isinstance(alert, Alert) and alert.id in changed:
            db.session.expire(alert)


def claim(ids: Sequence[int], due: sa.ColumnElement[bool], now: datetime) -> list[int]:
    """Set ``escalated_at`` on the alerts of ``ids`` still open, unescalated and ``due``.

    One statement per batch. On PostgreSQL the rows are locked first in id order, skipping
    those another transaction holds (``FOR UPDATE SKIP LOCKED``): two runs never wait on each
    other in opposite orders; an alert locked by the other run is that run's to escalate, and
    one locked by an acknowledgement in progress is left to the next run if it stays open. The
    UPDATE re-checks ``escalated_at IS NULL`` on the committed row: each alert is claimed once.
    """
    locked = (
        sa.select(Alert.id)
        .where(Alert.id.in_(ids), Alert.escalated_at.is_(None))
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        sa.update(Alert)
        .where(
            Alert.id.in_(locked.scalar_subquery()),
            Alert.escalated_at.is_(None),
            Alert.status == AlertStatus.OPEN,
            due,
        )
        .values(escalated_at=now)
        .returning(Alert.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(claimed.scalars())
    _expire_loaded(ids)
    return ids


def audit_alerts(ids: Sequence[int], *, action: str, now: datetime) -> list[int]:
    """One audit row per alert of ``ids`` (actor: the system), inserted in one statement;
    returns the alerts' episode ids."""
    rows = db.session.execute(
        sa.select(Alert.id, Alert.episode_id, Alert.type, Alert.opened_at, Client.code)
        .join(Episode, Episode.id == Alert.episode_id)
        .join(Client, Client.id == Episode.client_id)
        .where(Alert.id.in_(ids))
    ).all()
    if rows:
        events = [
            _event(action, id_, {"type": type_, "opened_at": opened_at.isoformat()}, now, code)
            for id_, _episode, type_, opened_at, code in rows
        ]
        db.session.execute(sa.insert(AuditEvent), events)
    return sorted({episode for _id, episode, *_rest in rows})


def score_rows(query: ScoredQuery) -> Iterator[tuple[int, list[ScoreRow]]]:
    """Run ``scored(...)``'s query and group its rows by episode, in the query's order."""
    result = db.session.execute(query)
    for episode_id, group in itertools.groupby(result, key=lambda row: row[0]):
        yield episode_id, [
            ScoreRow(
                total=total,
                session=None if number is None else SessionRow(number, on),
                created_at=created_at,
            )
            for _e, total, number, on, created_at in group
        ]


def scored(codes: Iterable[str]) -> ScoredQuery:
    """Administrations of ``codes`` as (episode id, total, session number, session date,
    created_at), ordered by episode and then as ``feedback.episode_administrations`` orders."""
    return (
        sa.select(
            Administration.episode_id,
            Administration.total,
            TherapySession.number,
            TherapySession.date,
            sa.case((Administration.session_id.is_(None), Administration.created_at)),
        )
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(Administration.instrument_code.in_(list(codes)), Administration.current())
        .order_by(Administration.episode_id, *given_order())
    )


def as_administrations(rows: list[ScoreRow]) -> list[Administration]:
    """``feedback.numbered`` reads only ``total``, ``session.number`` and ``given_on``; a
    ``ScoreRow`` has exactly those, so the one numbering serves both."""
    return cast(list[Administration], rows)


def active_episode_batches(size: int) -> Iterator[list[tuple[int, date]]]:
    """The active episodes as (id, opened_on), ``size`` at a time in id order (keyset paging:
    each batch is one query, whatever the number of episodes, and memory stays bounded)."""
    last = 0
    while True:
        batch = [
            (id_, opened_on)
            for id_, opened_on in db.session.execute(
                sa.select(Episode.id, Episode.opened_on)
                .where(Episode.status == EpisodeStatus.ACTIVE, Episode.id > last)
                .order_by(Episode.id)
                .limit(size)
            )
        ]
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def held_sessions(episode_ids: Sequence[int]) -> dict[int, list[SessionRow]]:
    """The attended therapy sessions of each episode, in number order (one query)."""
    held: dict[int, list[SessionRow]] = {id_: [] for id_ in episode_ids}
    rows = db.session.execute(
        sa.select(TherapySession.episode_id, TherapySession.number, TherapySession.date)
        .where(TherapySession.episode_id.in_(episode_ids), TherapySession.attended.is_(True))
        .order_by(TherapySession.episode_id, TherapySession.number)
    )
    for episode_id, number, on in rows:
        held[episode_id].append(SessionRow(number, on))
    return held


@dataclass(frozen=True, slots=True)
class OpenAlert:
    id: int
    episode_id: int
    severity: str | None
    reason_text: str
    reason: dict[str, Any]


def open_alerts_of_type(episode_ids: Sequence[int], type_: str, code: str) -> dict[int, OpenAlert]:
    """The unresolved alert of ``type_`` about ``code`` of each episode that has one (rows)."""
    rows = db.session.execute(
        sa.select(Alert.id, Alert.episode_id, Alert.severity, Alert.reason_text, Alert.reason)
        .where(
            Alert.episode_id.in_(episode_ids),
            Alert.type == type_,
            Alert.instrument_code == code,
            Alert.status != AlertStatus.RESOLVED,
        )
    )
    return {row.episode_id: OpenAlert(*row) for row in rows}


def reconcile_type(
    found: Mapping[int, Finding | None],
    open_alerts: Mapping[int, OpenAlert],
    *,
    type_: str,
    code: str,
    now: datetime,
    cleared: str,
) -> list[int]:
    """``alerting.reconcile`` for one alert type of many episodes, a statement per step.

    1. A finding whose alert is open updates it when its wording, details or severity changed
       (one executemany; ``updated_at`` moves only then, so the card's version, which an
       acknowledgement must match, changes only when what the card says does).
    2. A new finding opens an alert (one INSERT; ids read back by the unique open key).
    3. An open alert with no finding now resolves by itself (one UPDATE).
    Audit rows as ``reconcile`` writes them (``alert.update`` on a new severity,
    ``alert.raise``, ``alert.auto_resolve`` with ``cleared``), in one INSERT. Returns the
    episodes whose alert opened or resolved (their stored status changes).
    """
    changed = [
        (alert, f)
        for e, alert in open_alerts.items()
        if (f := found.get(e)) is not None and _differs(alert, f)
    ]
    new = {e: f for e, f in found.items() if f is not None and e not in open_alerts}
    gone = [a for e, a in open_alerts.items() if found.get(e) is None]
    touched = [*(a.episode_id for a, _f in changed), *new, *(a.episode_id for a in gone)]
    codes = _client_codes(touched)
    events = _update_alerts(changed, now, codes)
    events += _insert_alerts(new, type_=type_, code=code, now=now, codes=codes)
    if gone:
        db.session.execute(
            sa.update(Alert)
            .where(Alert.id.in_([a.id for a in gone]), Alert.status != AlertStatus.RESOLVED)
            .values(status=AlertStatus.RESOLVED.value, resolved_at=now, resolved_automatically=True)
            .execution_options(synchronize_session=False)
        )
        _expire_loaded([a.id for a in gone])
        events += [
            _event("alert.auto_resolve", a.id, {"reason": cleared}, now, codes[a.episode_id])
            for a in gone
        ]
    if events:
        db.session.execute(sa.insert(AuditEvent), events)
    return sorted({*new, *(a.episode_id for a in gone)})


def _differs(alert: OpenAlert, finding: Finding) -> bool:
    severity = finding.severity.value if finding.severity else None
    wording = (severity, finding.reason, finding.details)
    return wording != (alert.severity, alert.reason_text, alert.reason)


def _update_alerts(
    changed: list[tuple[OpenAlert, Finding]], now: datetime, codes: Mapping[int, str]
) -> list[dict[str, Any]]:
    if not changed:
        return []
    table = cast(sa.Table, Alert.__table__)
    rows = [
        {
            "alert_id": a.id,
            "severity": f.severity.value if f.severity else None,
            "reason_text": f.reason,
            "reason": f.details,
            "updated_at": now,
        }
        for a, f in changed
    ]
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("alert_id"))
        .values(
            severity=sa.bindparam("severity"),
            reason_text=sa.bindparam("reason_text"),
            reason=sa.bindparam("reason"),
            updated_at=sa.bindparam("updated_at"),
            model_version_id=None,
        ),
        rows,
    )
    return [
        _event(
            "alert.update",
            a.id,
            {"severity": row["severity"], "reason": f.reason},
            now,
            codes[a.episode_id],
        )
        for (a, f), row in zip(changed, rows, strict=True)
        if row["severity"] != a.severity
    ]


def _insert_alerts(
    new: Mapping[int, Finding], *, type_: str, code: str, now: datetime, codes: Mapping[int, str]
) -> list[dict[str, Any]]:
    if not new:
        return []
    rows = [
        {
            "episode_id": e,
            "type": type_,
            "instrument_code": code,
            "severity": f.severity.value if f.severity else None,
            "status": AlertStatus.OPEN.value,
            "reason_text": f.reason,
            "reason": f.details,
            "opened_at": now,
            "updated_at": now,
        }
        for e, f in new.items()
    ]
    db.session.execute(sa.insert(Alert), rows)
    ids = open_alerts_of_type(list(new), type_, code)
    events = []
    for episode_id, finding in new.items():
        severity = finding.severity.value if finding.severity else None
        details = {"type": type_, "severity": severity, "reason": finding.reason}
        events.append(_event("alert.raise", ids[episode_id].id, details, now, codes[episode_id]))
    return events


def _client_codes(episode_ids: list[int]) -> dict[int, str]:
    if not episode_ids:
        return {}
    rows = db.session.execute(
        sa.select(Episode.id, Client.code)
        .join(Client, Client.id == Episode.client_id)
        .where(Episode.id.in_(episode_ids))
    )
    return {id_: code for id_, code in rows}


def _event(
    action: str, alert_id: int, details: dict[str, Any], now: datetime, client_code: str
) -> dict[str, Any]:
    return {
        "actor_id": None,
        "action": action,
        "object_type": "Alert",
        "object_id": str(alert_id),
        "at": now,
        "details": details,
        "outcome": AuditOutcome.ALLOWED,
        "client_code": client_code,
    }


def last_measured(scores: Sequence[ScoreRow], held: Sequence[SessionRow]) -> int | None:
    """The therapy-session number of the latest outcome measure; for one given outside a
    session, the latest attended session on or before its date (None if never measured)."""
    if not scores:
        return None
    last = scores[-1]
    if last.session is not None:
        return last.session.number
    on = cast(datetime, last.created_at).date()
    return max((s.number for s in held if s.date <= on), default=0)
