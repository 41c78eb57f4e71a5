"""Migration 0008: the events written before it get their client's code and 'allowed'."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.extensions import db

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = str(ROOT / "migrations")
REVISION = "0008_audit_reads"


@pytest.fixture
def file_app(tmp_path: Path) -> Iterator[Flask]:
    class OnFile(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'before.db'}"

    app = create_app(OnFile)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _insert(connection: sa.Connection, table_name: str, /, **values: object) -> None:
    """Insert a row, filling any other required column with a placeholder: the migrations
    before 0008 may add columns this test does not know about."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None:
            continue
        if column.primary_key:
            continue
        values[column.name] = _placeholder(column.type)
    connection.execute(table.insert().values(**values))


def _placeholder(kind: sa.types.TypeEngine[object]) -> object:
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _seed_before_revision(connection: sa.Connection) -> None:
    _insert(connection, "team", id=1, name="North")
    _insert(connection, "user", id=1, email="a@x.test", role="therapist", team_id=1)
    _insert(connection, "client", id=5, code="A-001", therapist_id=1)
    _insert(connection, "episode", id=7, client_id=5, therapist_id=1, opened_on=date(2026, 1, 2))
    _insert(connection, "therapy_session", id=9, episode_id=7, number=1, date=date(2026, 1, 3))
    events = [
        ("client.create", "Client", "5"),
        ("episode.open", "Episode", "7"),
        ("session.record", "TherapySession", "9"),
        ("team.create", "Team", "1"),
        ("episode.open", "Episode", "404"),
    ]
    for number, (action, object_type, object_id) in enumerate(events, start=1):
        _insert(
            connection,
            "audit_event",
            id=number,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details={},
        )


def test_earlier_events_get_their_clients_code_and_are_allowed(file_app: Flask) -> None:
    upgrade(directory=MIGRATIONS, revision=f"{REVISION}-1")
    with db.engine.begin() as connection:
        _seed_before_revision(connection)
    upgrade(directory=MIGRATIONS, revision=REVISION)
    with db.engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT action, object_id, client_code, outcome FROM audit_event ORDER BY id")
        ).all()
    assert [tuple(row) for row in found] == [
        ("client.create", "5", "A-001", "allowed"),
        ("episode.open", "7", "A-001", "allowed"),
        ("session.record", "9", "A-001", "allowed"),
        ("team.create", "1", None, "allowed"),
        ("episode.open", "404", None, "allowed"),
    ]
    downgrade(directory=MIGRATIONS, revision=f"{REVISION}-1")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("audit_event")}
    assert "client_code" not in columns and "outcome" not in columns
