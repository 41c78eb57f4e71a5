"""Backups of a SQLite database with Python's online backup API, and their restore.

The backup API copies the live database page by page inside one read transaction, so the copy
is consistent while the web and scheduler processes keep running (a plain file copy of a
database being written is not). PostgreSQL is backed up with ``pg_dump`` and restored with
``pg_restore`` (docs/security.md, "Backups"); these functions refuse it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.services import ServiceError

# Tables every database of this application has: a file without them is not one of ours.
REQUIRED_TABLES = frozenset({"client", "episode", "audit_event", "user"})


@dataclass(frozen=True)
class BackupSummary:
    """A database file that passed SQLite's integrity check, and its rows per table."""

    path: Path
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def backup_sqlite(*, engine: sa.Engine, out: Path) -> BackupSummary:
    """Copy the live database to ``out`` (a new file), then check the copy.

    The copy is written next to ``out`` first and renamed only once it has passed the
    integrity check, so ``out`` is never a half-written backup.
    """
    _require_sqlite(engine)
    if out.exists():
        raise ServiceError(_l("%(path)s already exists; choose a new file name.", path=out))
    if not out.parent.is_dir():
        raise ServiceError(_l("The folder %(path)s does not exist.", path=out.parent))
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    with _driver_connection(engine) as source, closing(sqlite3.connect(partial)) as target:
        source.backup(target)
    summary = inspect_backup(partial)
    partial.replace(out)
    return BackupSummary(out, summary.rows)


def restore_sqlite(*, engine: sa.Engine, backup: Path) -> BackupSummary:
    """Replace the live database's content by the backup's, after checking the backup.

    Stop the web and scheduler processes first: they would otherwise keep working on what
    they had read before the restore.
    """
    _require_sqlite(engine)
    summary = inspect_backup(backup)
    with closing(sqlite3.connect(backup)) as source, _driver_connection(engine) as target:
        source.backup(target)
    return summary


def inspect_backup(path: Path) -> BackupSummary:
    """Integrity check and row counts of a backup file; ServiceError when it is not a sound
    database of this application."""
    if not path.is_file():
        raise ServiceError(_l("No backup file at %(path)s.", path=path))
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            check = connection.execute("PRAGMA integrity_check").fetchone()[0]
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            rows = {name: _count(connection, name) for name in names}
    except sqlite3.DatabaseError as error:
        message = _l("%(path)s is not a SQLite database (%(error)s).", path=path, error=error)
        raise ServiceError(message) from None
    if check != "ok":
        message = _l("%(path)s failed the integrity check: %(check)s", path=path, check=check)
        raise ServiceError(message)
    if not set(rows) >= REQUIRED_TABLES:
        raise ServiceError(_l("%(path)s is not a database of this application.", path=path))
    return BackupSummary(path, rows)


def _count(connection: sqlite3.Connection, table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'
    return int(connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])


def _require_sqlite(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        raise ServiceError(
            _l(
                "This database is %(dialect)s: back it up with pg_dump and restore it with "
                "pg_restore (docs/security.md, Backups).",
                dialect=engine.dialect.name,
            )
        )


@contextmanager
def _driver_connection(engine: sa.Engine) -> Iterator[sqlite3.Connection]:
    """The pool's own sqlite3 connection (an in-memory database exists only there)."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        yield connection
    finally:
        raw.close()
