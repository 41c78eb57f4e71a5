"""Shared fixtures: an app on a fresh database per test, and the named world of CONVENTIONS §7.

The database is SQLite (in memory) unless TEST_DATABASE_URL points elsewhere (PostgreSQL in CI):
the schema is created once per run and every table is emptied after each test. The world is
built once per run through the services and copied into each test's database as the rows those
services wrote (``_world_rows``).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings

from config import TestingConfig, normalise_database_url
from outcome_monitor import create_app
from outcome_monitor.extensions import db, limiter
from outcome_monitor.models import Client, Role, Team, User
from outcome_monitor.services import accounts, care
from outcome_monitor.services.mail import SmtpSettings

PASSWORD = "correct horse battery"

# Property tests must not fail on a busy machine's timing, and CI must not find a new random
# counterexample on one run and miss it on the next: no deadline, and a fixed seed under CI.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
USING_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def _schema() -> Any:
    app = create_app(TestingConfig)
    with app.app_context():
        if USING_POSTGRES:
            db.drop_all()
        db.create_all()
        engine = db.engine
    yield app
    with app.app_context():
        if USING_POSTGRES:
            db.drop_all()
        engine.dispose()


@pytest.fixture
def app(_schema: Flask) -> Any:
    """The app on an empty database (the schema survives between tests)."""
    app = _schema
    limiter.reset()
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@dataclass
class World:
    """Alice and Bob (team North), Carol (team South), supervisor Sam (North), admin Ada."""

    north: Team
    south: Team
    alice: User
    bob: User
    carol: User
    sam: User
    ada: User
    alices_client: Client
    carols_client: Client


def _build_world() -> World:
    """The world through the services, as a user would make it (audit rows and all)."""
    north = accounts.create_team(name="North", by=None)
    south = accounts.create_team(name="South", by=None)

    def user(name: str, role: Role, team: Team | None) -> User:
        return accounts.create_user(
            email=f"{name}@example.test",
            display_name=name.title(),
            role=role,
            password=PASSWORD,
            team=team,
            by=None,
        )

    alice = user("alice", Role.THERAPIST, north)
    bob = user("bob", Role.THERAPIST, north)
    carol = user("carol", Role.THERAPIST, south)
    sam = user("sam", Role.SUPERVISOR, None)
    ada = user("ada", Role.ADMIN, None)
    accounts.assign_teams(user=sam, team=None, supervised=[north], by=ada)
    alices_client = care.create_client(code="A-001", therapist=alice, by=alice)
    care.open_episode(client=alices_client, opened_on=date(2026, 9, 1), by=alice)
    carols_client = care.create_client(code="C-001", therapist=carol, by=carol)
    care.open_episode(client=carols_client, opened_on=date(2026, 9, 1), by=carol)
    return World(north, south, alice, bob, carol, sam, ada, alices_client, carols_client)


@dataclass(frozen=True)
class _WorldRows:
    rows: dict[str, list[dict[str, Any]]]  # table -> its rows, as the services wrote them
    ids: dict[str, tuple[type, int]]  # World field -> (model, primary key)


@pytest.fixture(scope="session")
def _world_rows(_schema: Flask) -> _WorldRows:
    """The world built once per run through the services, kept as rows.

    Building it per test took about a tenth of a second (some hundred statements and a hundred
    thousand Python calls through the services); copying its rows back takes a few
    statements, and the suite runs twice in CI."""
    with _schema.app_context():
        built = _build_world()
        ids = {name: (type(value), value.id) for name, value in vars(built).items()}
        with db.engine.connect() as connection:
            rows = {
                table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                for table in db.metadata.sorted_tables
            }
        db.session.remove()
        _empty_tables()
    return _WorldRows(rows, ids)


@pytest.fixture
def world(app: Flask, _world_rows: _WorldRows) -> World:
    """Alice, Bob, Carol, Sam, Ada, their teams and two clients: the rows the services wrote
    for them (``_world_rows``), copied into the empty database, and loaded afresh."""
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if rows := _world_rows.rows[table.name]:
                connection.execute(table.insert(), rows)
                if USING_POSTGRES:
                    _advance_sequence(connection, table)
    return World(**{name: db.session.get(*key) for name, key in _world_rows.ids.items()})


def _advance_sequence(connection: sa.Connection, table: sa.Table) -> None:
    """Rows inserted with their ids leave PostgreSQL's sequence behind: move it past them."""
    for column in table.primary_key.columns:
        sequence = connection.scalar(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": f'"{table.name}"', "column": column.name},
        )
        if sequence is not None:
            connection.execute(
                sa.text(
                    f'SELECT setval(:sequence, (SELECT max({column.name}) FROM "{table.name}"))'
                ),
                {"sequence": sequence},
            )


def login(client: FlaskClient, user: User | str, password: str = PASSWORD) -> Any:
    email = user if isinstance(user, str) else user.email
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    def _login(user: User) -> FlaskClient:
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _free_port() -> int:
    # aiosmtpd's Controller checks readiness by connecting to its port, so port 0 does not work.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSettings, list[Any]]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Collect(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            received.append(message)

    port = _free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSettings(host="127.0.0.1", port=port, sender="rom@example.test"), received
    finally:
        controller.stop()


@pytest.fixture
def mail_inbox(
    app: Flask, smtp_server: tuple[SmtpSettings, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """The messages the app sends in this test: its SMTP relay is the test server's."""
    smtp, received = smtp_server
    relay = {"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, "SMTP_FROM": smtp.sender}
    for key, value in relay.items():
        monkeypatch.setitem(app.config, key, value)
    return received


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    if not TEST_DATABASE_URL.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL")
    server = sa.make_url(normalise_database_url(TEST_DATABASE_URL))
    name = f"om_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


@contextmanager
def migrated(database_url: str, revision: str = "head") -> Iterator[Flask]:
    """An app context on the empty database ``database_url`` (see ``empty_database_url``),
    upgraded to ``revision``; its engine is disposed of at the end."""

    class Fresh(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Fresh)
    with app.app_context():
        try:
            upgrade(directory=MIGRATIONS, revision=revision)
            yield app
        finally:
            db.engine.dispose()
