"""Backups: a SQLite backup restored into a fresh file holds every record; PostgreSQL's
pg_dump / pg_restore round trip does the same (when the suite runs on PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from config import TestingConfig, normalise_database_url
from outcome_monitor import create_app
from outcome_monitor.extensions import db
from outcome_monitor.models import Role
from outcome_monitor.services import ServiceError, accounts, backup, care
from tests.retention.conftest import full_record

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def app_on(url: str) -> Flask:
    class OnDatabase(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    return create_app(OnDatabase)


def populate() -> None:
    """A small synthetic service: two teams, three clinicians, two full client records."""
    db.create_all()
    north = accounts.create_team(name="North", by=None)
    alice = accounts.create_user(
        email="alice@example.test",
        display_name="Alice",
        role=Role.THERAPIST,
        password="correct horse battery",
        team=north,
        by=None,
    )
    sam = accounts.create_user(
        email="sam@example.test",
        display_name="Sam",
        role=Role.SUPERVISOR,
        password="correct horse battery",
        team=None,
        by=None,
    )
    accounts.assign_teams(user=sam, team=None, supervised=[north], by=None)
    for code, closed_on in (("A-001", date(2026, 10, 1)), ("A-002", None)):
        client = care.create_client(code=code, therapist=alice, by=alice)
        care.open_episode(client=client, opened_on=date(2026, 9, 1), by=alice)
        full_record(client, alice, sam, closed_on=closed_on)


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite file, in a stable order."""
    with closing(sqlite3.connect(path)) as connection:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    app = app_on(f"sqlite:///{tmp_path / 'live.db'}")
    with app.app_context():
        populate()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_backup_restored_into_a_fresh_file_holds_every_record(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    out = tmp_path / "backup.db"
    result = sqlite_app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output
    fresh = tmp_path / "fresh.db"
    engine = sa.create_engine(f"sqlite:///{fresh}")
    try:
        summary = backup.restore_sqlite(engine=engine, backup=out)
    finally:
        engine.dispose()
    original, restored = dump(tmp_path / "live.db"), dump(fresh)
    assert restored == original
    assert summary.rows["administration"] == 4 and summary.rows["draft_answer"] == 4
    assert all(original[name] for name in ("client", "alert", "audit_event", "supervision_review"))


def test_the_restore_command_replaces_the_live_content(sqlite_app: Flask, tmp_path: Path) -> None:
    runner = sqlite_app.test_cli_runner()
    out = tmp_path / "backup.db"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    before = dump(tmp_path / "live.db")
    _late_client()
    assert dump(tmp_path / "live.db") != before
    refused = runner.invoke(args=["restore-backup", str(out)], input="n\n")
    assert refused.exit_code == 1 and dump(tmp_path / "live.db") != before
    result = runner.invoke(args=["restore-backup", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert dump(tmp_path / "live.db") == before


def _late_client() -> None:
    from outcome_monitor.models import User

    alice = db.session.scalar(sa.select(User).where(User.email == "alice@example.test"))
    care.create_client(code="LATE-1", therapist=alice, by=alice)


def test_a_backup_never_overwrites_a_file(sqlite_app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "taken.db"
    out.write_text("precious", encoding="utf-8")
    result = sqlite_app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert out.read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize("content", [b"not a database at all", b""])
def test_restoring_something_that_is_not_our_database_is_refused(
    sqlite_app: Flask, tmp_path: Path, content: bytes
) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(content)
    before = dump(tmp_path / "live.db")
    result = sqlite_app.test_cli_runner().invoke(args=["restore-backup", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert dump(tmp_path / "live.db") == before


def test_a_postgresql_database_is_sent_to_pg_dump() -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@localhost/none")
    with pytest.raises(ServiceError, match="pg_dump"):
        backup.backup_sqlite(engine=engine, out=Path("/nonexistent/x.db"))


# --- PostgreSQL: pg_dump / pg_restore, as docs/security.md says ----------------------------


def _pg_tools() -> bool:
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


@pytest.fixture
def pg_databases() -> Iterator[tuple[sa.URL, sa.URL]]:
    if not PG_URL.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL")
    if not _pg_tools():
        pytest.skip("pg_dump / pg_restore are not installed")
    server = sa.make_url(normalise_database_url(PG_URL))
    names = [f"om_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=names[0]), server.set(database=names[1])
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _libpq(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_rows(url: sa.URL) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {
                name: sorted(
                    (tuple(r) for r in connection.execute(sa.text(f'SELECT * FROM "{name}"'))),
                    key=repr,
                )
                for name in tables
            }
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore_round_trip_every_record(
    pg_databases: tuple[sa.URL, sa.URL], tmp_path: Path
) -> None:
    source, target = pg_databases
    app = app_on(source.render_as_string(hide_password=False))
    with app.app_context():
        populate()
        db.session.remove()
        db.engine.dispose()
    archive = tmp_path / "outcome_monitor.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={archive}", _libpq(source)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(target)}", str(archive)],
        check=True,
        capture_output=True,
    )
    original, restored = _pg_rows(source), _pg_rows(target)
    assert restored == original
    assert original["administration"] and original["audit_event"]
