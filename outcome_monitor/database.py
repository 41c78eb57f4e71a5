"""Per-connection settings of the database engine (SQLite's journal mode and busy timeout),
and the note of a transaction that wrote (read by the read audit)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from outcome_monitor.extensions import db


def init_app(app: Flask) -> None:
    """Configure the engine Flask-SQLAlchemy made for ``app`` (call after ``db.init_app``)."""
    with app.app_context():
        engine = db.engine
    configure_sqlite(
        engine,
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        synchronous=app.config["SQLITE_SYNCHRONOUS"],
    )
    note_writes(engine)


# A key of ``Connection.info``: the connection's current transaction wrote (an INSERT, UPDATE
# or DELETE, from a flush or a statement; any SQL that is not a SELECT), or a statement in it
# failed. Forgotten when the transaction ends (commit, rollback, or the pool's reset).
WROTE = "outcome_monitor.wrote"


def note_writes(engine: sa.Engine) -> None:
    """Keep ``WROTE`` on the connections of ``engine``, so that a caller about to commit work
    of its own (the read audit) knows whether the request left anything to roll back first,
    however it was written: an ORM flush, ``session.execute(update(...))``, a bulk insert, SQL
    text, or a statement that failed and left the transaction aborted."""
    sa.event.listen(engine, "before_cursor_execute", _note_statement)
    sa.event.listen(engine, "handle_error", _note_failure)
    sa.event.listen(engine, "commit", _forget)
    sa.event.listen(engine, "rollback", _forget)
    sa.event.listen(engine, "reset", _forget_on_reset)


def transaction_wrote(session: so.Session) -> bool:
    """Whether the session's current transaction wrote or failed (see ``WROTE``)."""
    if not session.in_transaction():
        return False
    return bool(session.connection().info.get(WROTE))


def _writes(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    compiled = getattr(context, "compiled", None)
    if isinstance(getattr(compiled, "statement", None), sa.Select | sa.CompoundSelect):
        return False
    return statement.lstrip()[:6].upper() != "SELECT"


def _note_statement(
    conn: sa.Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    if _writes(statement, context):
        conn.info[WROTE] = True


def _note_failure(context: sa.engine.ExceptionContext) -> None:
    if context.connection is not None:
        context.connection.info[WROTE] = True


def _forget(conn: sa.Connection) -> None:
    conn.info.pop(WROTE, None)


def _forget_on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
    record.info.pop(WROTE, None)


def configure_sqlite(
    engine: sa.Engine, *, busy_timeout_ms: int, synchronous: str = "NORMAL"
) -> None:
    """WAL mode, a busy timeout and the sync level on every new connection to a SQLite file.

    In WAL mode readers never wait for the writer and the writer never waits for readers, so
    two gunicorn workers and the scheduler share one file; a second writer waits up to
    ``busy_timeout_ms`` for the first instead of failing at once with "database is locked".
    WAL is a property of the file (it needs shared memory beside it), so an in-memory database
    is left alone, as is every other database. ``synchronous`` is NORMAL (the default, usual
    with WAL: no fsync per commit; the file is never corrupted, but the last commits may be lost
    if the machine, not the app, fails) or FULL (an fsync per commit: a saved score survives a
    power cut).
    """
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    if not is_sqlite_file(engine.url):
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cursor.close()


def is_sqlite_file(url: sa.URL) -> bool:
    """A SQLite database kept in a file (not ``sqlite://``, ``:memory:`` or ``mode=memory``)."""
    if url.get_backend_name() != "sqlite":
        return False
    name = url.database or ""
    in_memory = name in ("", ":memory:") or url.query.get("mode") == "memory"
    return not in_memory
