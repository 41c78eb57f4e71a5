"""Migration 0013 turns each link schedule's outcome prose into a state and a reason, and the
downgrade writes the prose back; on SQLite and (with a PostgreSQL TEST_DATABASE_URL) on a
throwaway PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from outcome_monitor.extensions import db
from outcome_monitor.models.types import UTCDateTime
from tests.conftest import MIGRATIONS, migrated

AT = datetime(2026, 10, 1, 9, 15, tzinfo=UTC)
INTERRUPTED = "the run stopped before it recorded whether the email was sent"
LONG = "x" * 300

# outcome as recorded before 0013 -> (state, reason) after it
CASES: dict[str | None, tuple[str, str | None]] = {
    "emailed": ("emailed", None),
    "ready to pass on": ("ready", None),
    "ready to pass on (not emailed: PUBLIC_BASE_URL is not set)": (
        "ready",
        "not emailed: PUBLIC_BASE_URL is not set",
    ),
    "email failed: the relay said no (550)": ("failed", "the relay said no (550)"),
    "skipped: episode closed": ("skipped", "episode closed"),
    "skipped: Links can only be sent in an active episode.": (
        "skipped",
        "Links can only be sent in an active episode.",
    ),
    "cancelled": ("cancelled", None),
    "cancelled: episode closed": ("cancelled", "episode closed"),
    None: ("failed", INTERRUPTED),  # claimed, then the run stopped
    ("ready to pass on (not emailed: " + LONG)[:300]: (  # cut at 300: no closing parenthesis
        "ready",
        ("not emailed: " + LONG)[:300 - len("ready to pass on (")],
    ),
}

old_schedule = sa.Table(  # as it was at 0012 (the models no longer have ``outcome``)
    "link_schedule",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer),
    sa.Column("measures", sa.JSON),
    sa.Column("send_on", sa.Date),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("processed_at", UTCDateTime()),
    sa.Column("outcome", sa.String(300)),
)


def _seed() -> dict[int, str | None]:
    """One pending schedule and one per recorded outcome. Plain inserts: the schema is at 0012."""
    tables = db.metadata.tables
    with db.engine.begin() as connection:

        def insert(table: sa.Table, **values: object) -> int:
            result = connection.execute(sa.insert(table).values(**values))
            return int(result.inserted_primary_key[0])

        user = insert(
            tables["user"], email="alice@example.test", display_name="Alice", role="therapist",
            password_hash="x", active=True,
        )  # fmt: skip
        client = insert(tables["client"], code="LS", therapist_id=user, created_at=AT)
        episode = insert(
            tables["episode"], client_id=client, therapist_id=user, opened_on=date(2026, 1, 5),
            status="active",
        )  # fmt: skip

        def schedule(outcome: str | None, processed: bool = True) -> int:
            return insert(
                old_schedule, episode_id=episode, measures=["srs"], send_on=date(2026, 10, 1),
                created_by_id=user, created_at=AT, processed_at=AT if processed else None,
                outcome=outcome,
            )  # fmt: skip

        made = {schedule(outcome): outcome for outcome in CASES}
        made[schedule(None, processed=False)] = "pending"
        return made


def _rows(*columns: str) -> dict[int, tuple[object, ...]]:
    with db.engine.connect() as connection:
        names = ", ".join(columns)
        result = connection.execute(sa.text(f"SELECT id, {names} FROM link_schedule"))
        return {row[0]: tuple(row[1:]) for row in result}


@pytest.mark.slow
def test_outcomes_become_states_and_reasons_and_come_back_on_downgrade(
    empty_database_url: str,
) -> None:
    with migrated(empty_database_url, "0012_list_indexes"):
        made = _seed()
        upgrade(directory=MIGRATIONS, revision="0013_link_schedule_state")
        upgraded = _rows("state", "reason")
        downgrade(directory=MIGRATIONS, revision="0012_list_indexes")
        restored = _rows("outcome")

    expected = {
        schedule_id: ("pending", None) if outcome == "pending" else CASES[outcome]
        for schedule_id, outcome in made.items()
    }
    assert upgraded == expected
    unchanged = {i: o for i, o in made.items() if o is not None and o != "pending"}
    assert {i: restored[i][0] for i in unchanged} == unchanged
    pending = next(i for i, o in made.items() if o == "pending")
    interrupted = next(i for i, o in made.items() if o is None)
    assert restored[pending] == (None,)
    assert restored[interrupted] == (f"email failed: {INTERRUPTED}",)
