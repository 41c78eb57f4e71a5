"""Retention and erasure: a client's clinical data are purged once every one of their episodes
closed longer ago than the retention period, or on request (erasure of one client).

What is removed is found from the schema, not from a list kept by hand: every table whose rows
lead to the client through foreign keys (episodes, sessions, administrations, alerts, hand-overs
and their drafts, links, schedules, supervision notes, and any table added later that refers
to one of them), children first, then the client row. The audit trail stays: the events about
the client keep its pseudonymous code, their details are emptied (a Core UPDATE, the one
exception to the append-only rule), and one more event records the purge or the erasure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import Model, db
from outcome_monitor.models import AuditEvent, Client, Episode, EpisodeStatus, User
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.audit import record

CLIENT_TABLE = "client"
NOT_CLIENT_DATA = frozenset({"audit_event"})
IN_CHUNK = 500  # ids per IN (...) list when the audit rows of a client's objects are emptied


@dataclass(frozen=True)
class Erasure:
    """What was removed for one client: rows per table."""

    code: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class PurgeSummary:
    cutoff: date
    erased: list[Erasure] = field(default_factory=list)

    def text(self) -> str:
        rows = sum(e.total for e in self.erased)
        return (
            f"purged {len(self.erased)} clients whose episodes all closed on or before "
            f"{self.cutoff.isoformat()} ({rows} rows)"
        )


def retention_cutoff(today: date, years: int) -> date:
    """The last closing date that is past retention on ``today`` (29 February -> 28th)."""
    if years < 1:
        raise ServiceError(_l("The retention period must be at least one year."))
    year = today.year - years
    try:
        return today.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def clients_due(*, today: date, retention_years: int) -> list[Client]:
    """Clients with at least one episode, every one closed on or before the cutoff.

    A client with no episode at all is never due (there is no closing date to count from);
    erase such a record on request.
    """
    cutoff = retention_cutoff(today, retention_years)
    still_kept = sa.select(Episode.id).where(
        Episode.client_id == Client.id,
        sa.or_(
            Episode.status == EpisodeStatus.ACTIVE,
            Episode.closed_on.is_(None),
            Episode.closed_on > cutoff,
        ),
    )
    has_episode = sa.select(Episode.id).where(Episode.client_id == Client.id)
    query = sa.select(Client).where(has_episode.exists(), ~still_kept.exists())
    return list(db.session.scalars(query.order_by(Client.code)))


def purge_expired(*, today: date, retention_years: int) -> PurgeSummary:
    """Purge every client past retention; each client is its own transaction (a failure
    leaves the clients purged before it purged, and the rest for the next run)."""
    summary = PurgeSummary(retention_cutoff(today, retention_years))
    for client in clients_due(today=today, retention_years=retention_years):
        details = {"retention_years": retention_years, "cutoff": summary.cutoff.isoformat()}
        summary.erased.append(_erase(client, action="client.purge", by=None, details=details))
        db.session.commit()
    return summary


def erase_client(*, code: str, reason: str, by: User | None) -> Erasure:
    """Erase one client on request (one transaction, one audit row with the reason)."""
    reason = reason.strip()
    if not reason:
        raise ServiceError(_l("Give the reason for the erasure."))
    client = find_client(code)
    erasure = _erase(client, action="client.erase", by=by, details={"reason": reason})
    db.session.commit()
    return erasure


def find_client(code: str) -> Client:
    client = db.session.scalar(sa.select(Client).where(Client.code == code.strip()))
    if client is None:
        raise NotFound(_l("No client with the code %(code)s.", code=code.strip()))
    return client


def client_data_tables() -> list[sa.Table]:
    """The tables holding a client's data, children before parents (the order to delete in)."""
    owned = {CLIENT_TABLE}
    for table in db.metadata.sorted_tables:  # parents before children
        if table.name in NOT_CLIENT_DATA:
            continue
        if any(fk.column.table.name in owned for fk in table.foreign_keys):
            owned.add(table.name)
    return [t for t in reversed(db.metadata.sorted_tables) if t.name in owned]


def belongs_to(table: sa.Table, client_id: int, owned: frozenset[str]) -> sa.ColumnElement[bool]:
    """Rows of ``table`` that lead to the client through foreign keys to ``owned`` tables."""
    if table.name == CLIENT_TABLE:
        return table.c.id == client_id
    paths = [
        fk.parent.in_(sa.select(fk.column).where(belongs_to(fk.column.table, client_id, owned)))
        for fk in table.foreign_keys
        if fk.column.table.name in owned and fk.column.table is not table
    ]
    return sa.or_(*paths)


def rows_of(client: Client) -> dict[str, int]:
    """How many rows of each table an erasure of ``client`` would delete (nothing changes)."""
    tables = client_data_tables()
    owned = frozenset(t.name for t in tables)
    counts = {
        t.name: db.session.scalar(
            sa.select(sa.func.count()).select_from(t).where(belongs_to(t, client.id, owned))
        )
        or 0
        for t in reversed(tables)
    }
    return {name: n for name, n in counts.items() if n}


def _erase(client: Client, *, action: str, by: User | None, details: dict[str, object]) -> Erasure:
    """1. Note the ids of every row to go, per table (for the audit trail and the counts).
    2. Empty the details of the audit events about the client or any of those rows.
    3. Add the event of this purge or erasure (it keeps the code and the counts).
    4. Delete the rows, children first. The caller commits."""
    code, client_id = client.code, client.id
    tables = client_data_tables()
    owned = frozenset(t.name for t in tables)
    ids = {t.name: _ids(t, client_id, owned) for t in tables if "id" in t.c}
    _empty_audit_details(code, ids)
    rows = {name: len(found) for name, found in ids.items() if found}
    record(by=by, action=action, obj=client, details={**details, "rows": rows})
    for table in tables:
        db.session.execute(table.delete().where(belongs_to(table, client_id, owned)))
    db.session.expire_all()
    return Erasure(code, rows)


def _ids(table: sa.Table, client_id: int, owned: frozenset[str]) -> list[str]:
    query = sa.select(table.c.id).where(belongs_to(table, client_id, owned))
    return [str(i) for i in db.session.scalars(query)]


def _empty_audit_details(code: str, ids: dict[str, list[str]]) -> None:
    """The events about the client's objects keep the code only (details emptied)."""
    scrub = {"details": {}, "client_code": code}
    update = sa.update(AuditEvent).execution_options(synchronize_session=False)
    db.session.execute(update.where(AuditEvent.client_code == code).values(**scrub))
    for object_type, chunk in _typed_chunks(ids):
        where = sa.and_(AuditEvent.object_type == object_type, AuditEvent.object_id.in_(chunk))
        db.session.execute(update.where(where).values(**scrub))


def _typed_chunks(ids: dict[str, list[str]]) -> Iterator[tuple[str, list[str]]]:
    """(object type as the audit trail names it, a chunk of ids) per mapped table."""
    names = {
        table.name: m.class_.__name__
        for m in Model.registry.mappers
        if isinstance(table := m.local_table, sa.Table)
    }
    for table_name, table_ids in ids.items():
        if table_name not in names:
            continue
        for start in range(0, len(table_ids), IN_CHUNK):
            yield names[table_name], table_ids[start : start + IN_CHUNK]
