"""Audit rows, added to the caller's transaction; and the read side of the trail (the export,
a client's access log, the admin's list)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor import database
from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, AuditOutcome, Client, Episode, User
from outcome_monitor.services import NotFound, paging

EXPORT_BATCH = 1000  # rows fetched from the database at a time: the export's memory bound
PAGE_SIZE = paging.PAGE_SIZE


def record(
    *,
    by: User | None,
    action: str,
    obj: Any,
    details: dict[str, Any] | None = None,
    object_type: str | None = None,
    outcome: AuditOutcome = AuditOutcome.ALLOWED,
    client_code: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``obj`` to the current transaction (the caller commits).

    ``object_type`` names the object when ``obj`` is not a model row (e.g. the settings).
    ``client_code`` defaults to the code of the client ``obj`` belongs to (a client, an
    episode, or a row with an ``episode``), so a client's trail can be found by its code even
    after the client's erasure.
    """
    db.session.flush()
    event = AuditEvent(
        actor_id=by.id if by is not None else None,
        action=action,
        object_type=object_type or type(obj).__name__,
        object_id=str(obj.id) if getattr(obj, "id", None) is not None else None,
        details=details or {},
        outcome=outcome,
        client_code=client_code or client_code_of(obj),
    )
    db.session.add(event)
    return event


def record_read(
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    details: dict[str, Any],
    outcome: AuditOutcome,
    client_code: sa.ScalarSelect[str] | None,
    at: datetime,
) -> None:
    """Save one access event alone, as ONE statement (``client_code`` is a subquery, so the
    INSERT finds the code itself), and commit it; a use-case of its own (the read audit).

    Anything the request left uncommitted is not meant to be saved (services commit their own
    work): it is rolled back first. A request that left nothing (every page view: no pending
    object, nothing written in the transaction, no failed statement; ``database.WROTE``) skips
    that rollback, and the audit's commit keeps what the page loaded as it was: a rollback and
    a commit would each expire every loaded object (a queue page holds a few hundred), and
    nothing they hold has changed. Should the event still fail on that path (a transaction
    broken in a way not noticed), it is rolled back and written once more. On failure the
    session is rolled back and the error raised.
    """
    session = db.session()
    left_something = (
        not session.is_active or _has_pending(session) or database.transaction_wrote(session)
    )
    if left_something:
        session.rollback()
    statement = _READ_EVENT if client_code is None else _READ_EVENT.values(client_code=client_code)
    values = {
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "at": at,
        "details": details,
        "outcome": outcome,
    }
    try:
        _commit_alone(session, statement, values)
    except Exception:
        session.rollback()
        if left_something:
            raise
        try:
            _commit_alone(session, statement, values)
        except Exception:
            session.rollback()
            raise


def read_afresh() -> None:
    """At the start of a request: objects a previous request loaded are read again.

    ``record_read``'s commit does not expire what a page loaded. A served request has a
    session of its own, empty at this point, so this costs nothing; but when an app context
    outlives its requests (tests, a CLI command serving requests) the session and its objects
    carry over, and a change made meanwhile elsewhere (another connection, a job) must not be
    hidden behind them. Objects with changes not yet flushed are left as they are."""
    session = db.session()
    if session.identity_map and not _has_pending(session):
        session.expire_all()


def _has_pending(session: so.Session) -> bool:
    """Objects added, changed or deleted in the session and not yet flushed."""
    return bool(session.new or session.dirty or session.deleted)


# The read audit's event, written on every page view: a Core insert built once, run on the
# session's connection with the event's values (a third of the time of an ORM insert built
# for each event, which the ORM turns into this same statement).
_READ_EVENT = sa.insert(cast(sa.Table, AuditEvent.__table__))


def _commit_alone(session: so.Session, statement: sa.Insert, values: dict[str, Any]) -> None:
    """Execute ``statement`` and commit without expiring the session's objects."""
    session.connection().execute(statement, values)
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def code_by_subquery(code: sa.ScalarSelect[str]) -> str | None:
    """The client code a read-audit subject's subquery finds, or None."""
    return db.session.scalar(sa.select(code))


def client_code_of(obj: Any) -> str | None:
    """The code of the client ``obj`` is about, or None when it is about no client."""
    if isinstance(obj, Client):
        return obj.code
    episode = obj if isinstance(obj, Episode) else getattr(obj, "episode", None)
    if isinstance(episode, Episode) and episode.client is not None:
        return episode.client.code
    return None


@dataclass(frozen=True)
class ExportFilter:
    """What ``audit export`` selects: ``since`` inclusive, ``until`` exclusive (UTC)."""

    since: datetime
    until: datetime | None = None
    client_code: str | None = None
    actor_id: int | None = None


@dataclass(frozen=True)
class ExportRow:
    at: datetime
    actor_email: str | None
    action: str
    object_type: str
    object_id: str | None
    client_code: str | None
    outcome: AuditOutcome
    details: dict[str, Any]


def actor_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_l("No user with the email %(email)s.", email=email))
    return user


def export_rows(selection: ExportFilter) -> Iterator[ExportRow]:
    """The selected events, oldest first, fetched ``EXPORT_BATCH`` rows at a time (a server-side
    cursor on PostgreSQL), so memory stays bounded however long the trail is."""
    query = (
        sa.select(
            AuditEvent.at,
            User.email,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.client_code,
            AuditEvent.outcome,
            AuditEvent.details,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.at >= selection.since)
        .order_by(AuditEvent.at, AuditEvent.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    if selection.until is not None:
        query = query.where(AuditEvent.at < selection.until)
    if selection.client_code is not None:
        query = query.where(AuditEvent.client_code == selection.client_code)
    if selection.actor_id is not None:
        query = query.where(AuditEvent.actor_id == selection.actor_id)
    for row in db.session.execute(query):
        yield ExportRow(*row)


class Page(paging.Page[AuditEvent]):
    """A page of the trail (``events``: its rows, newest first)."""

    @property
    def events(self) -> list[AuditEvent]:
        return self.items


def client_access_log(client: Client, *, page: int) -> Page:
    """Who opened (or tried to open) the client's record, and every change, newest first.

    ``client`` must already be authorised by the caller. Two queries whatever the length
    (the total, and the page with its actors).
    """
    query = sa.select(AuditEvent).where(AuditEvent.client_code == client.code)
    return _page(query, page)


def service_events(*, page: int, denied_only: bool) -> Page:
    """The whole trail for the admin, newest first (the page shows no client codes)."""
    query = sa.select(AuditEvent)
    if denied_only:
        query = query.where(AuditEvent.outcome == AuditOutcome.DENIED)
    return _page(query, page)


def _page(query: sa.Select[AuditEvent], page: int) -> Page:
    """Newest first, cut in SQL (the indexes on (at, id), (client_code, at, id) and
    (outcome, at, id) serve the order), the actors joined."""
    found = paging.paginate(
        query.options(so.joinedload(AuditEvent.actor)).order_by(
            AuditEvent.at.desc(), AuditEvent.id.desc()
        ),
        page,
        size=PAGE_SIZE,
    )
    return Page(found.items, found.number, found.total, found.size)
