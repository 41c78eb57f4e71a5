"""Migration 0011 resolves the alerts left open on closed and dropped-out episodes (issue 12),
on SQLite and (with a PostgreSQL TEST_DATABASE_URL) on a throwaway PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from outcome_monitor.extensions import db
from tests.conftest import MIGRATIONS, migrated

OPENED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _seed() -> dict[str, int]:
    """A user, three clients: one episode closed in the app (audited), one imported closed
    (no audit row), one still active; each with alerts. Plain inserts: the schema is at 0010."""
    with db.engine.begin() as connection:

        def insert(table: str, **values: object) -> int:
            result = connection.execute(sa.insert(_table(table)).values(**values))
            return int(result.inserted_primary_key[0])

        user = insert(
            "user", email="alice@example.test", display_name="Alice", role="therapist",
            password_hash="x", active=True,
        )  # fmt: skip
        episodes = {}
        for code, status in (("CL", "closed"), ("IM", "dropped_out"), ("AC", "active")):
            client = insert("client", code=code, therapist_id=user, created_at=OPENED)
            episodes[code] = insert(
                "episode", client_id=client, therapist_id=user, opened_on=date(2026, 1, 5),
                status=status, closed_on=None if status == "active" else date(2026, 3, 2),
            )  # fmt: skip
        insert(
            "audit_event", actor_id=user, action="episode.close", object_type="Episode",
            object_id=str(episodes["CL"]), at=OPENED, details={}, outcome="allowed",
            client_code="CL",
        )  # fmt: skip

        def alert(code: str, status: str, type_: str, note: str | None = None) -> int:
            return insert(
                "alert", episode_id=episodes[code], type=type_, instrument_code="phq9",
                status=status, reason_text="synthetic", reason={}, opened_at=OPENED,
                updated_at=OPENED, actions=[], action_note=note, resolved_automatically=False,
            )  # fmt: skip

        return {
            "closed_open": alert("CL", "open", "risk_item"),
            "closed_acknowledged": alert("CL", "acknowledged", "low_alliance", "called the GP"),
            "closed_resolved": alert("CL", "resolved", "risk_item"),
            "imported_open": alert("IM", "open", "risk_item"),
            "active_open": alert("AC", "open", "risk_item"),
            "user": user,
        }


def test_upgrade_resolves_orphaned_alerts_and_downgrade_keeps_them(
    empty_database_url: str,
) -> None:
    with migrated(empty_database_url, "0010_corrections"):
        ids = _seed()
        upgrade(directory=MIGRATIONS, revision="0011_closed_episode_alerts")
        alerts = _table("alert")
        with db.engine.connect() as connection:
            columns = ("id", "status", "resolved_automatically", "resolved_by_id", "action_note")
            selected = [alerts.c[name] for name in (*columns, "resolved_at")]
            rows = {r.id: r for r in connection.execute(sa.select(*selected))}
            audits = connection.execute(
                sa.select(_table("audit_event").c.client_code, _table("audit_event").c.details)
                .where(_table("audit_event").c.action == "alert.resolve_on_closure")
                .order_by(_table("audit_event").c.client_code)
            ).all()
        downgrade(directory=MIGRATIONS, revision="0010_corrections")
        with db.engine.connect() as connection:
            still = connection.scalar(
                sa.select(alerts.c.status).where(alerts.c.id == ids["imported_open"])
            )
    for key in ("closed_open", "closed_acknowledged", "imported_open"):
        assert rows[ids[key]].status == "resolved" and rows[ids[key]].resolved_automatically
        assert rows[ids[key]].resolved_at is not None
    assert rows[ids["closed_open"]].resolved_by_id == ids["user"]
    assert rows[ids["imported_open"]].resolved_by_id is None
    assert rows[ids["closed_acknowledged"]].action_note == (
        "called the GP\nResolved when the episode was closed."
    )
    assert rows[ids["closed_resolved"]].resolved_at is None  # untouched
    assert rows[ids["active_open"]].status == "open"
    assert [(code, d["count"], d["reason"]) for code, d in audits] == [
        ("CL", 2, "episode_closed"),
        ("IM", 1, "episode_closed"),
    ]
    assert still == "resolved"
