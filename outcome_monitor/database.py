"""Per-connection settings of the database engine (SQLite's journal mode and busy timeout)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
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
