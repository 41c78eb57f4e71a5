"""Migration 0014 fills the review queue's card facts of every stored status from the alerts,
with the same rules as ``services.case_status`` (which keeps them fresh afterwards): the values
the migration writes equal those a refresh computes, on SQLite and (with a PostgreSQL
TEST_DATABASE_URL) on a throwaway PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from outcome_monitor.core.attention import NO_CARD_RANK
from outcome_monitor.extensions import db
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.services import case_status
from tests.conftest import MIGRATIONS, migrated

AT = datetime(2026, 10, 1, 9, 15, tzinfo=UTC)

# Per episode: its alerts as (type, severity, status, hours after AT, escalated).
EPISODES: list[list[tuple[str, str | None, str, int, bool]]] = [
    [],
    [("risk_item", None, "open", 3, False), ("not_on_track", "red", "acknowledged", 1, True)],
    [("not_on_track", "yellow", "open", 2, False)],
    [
        ("reliable_deterioration", None, "resolved", 9, True),
        ("low_alliance", None, "open", 4, False),
    ],
    [
        ("not_on_track", "red", "acknowledged", 5, False),
        ("overdue_measure", None, "open", 7, False),
    ],
    [("no_reliable_change", None, "acknowledged", 6, True)],
    [
        ("reliable_deterioration", None, "open", 8, False),
        ("alliance_rupture", None, "open", 9, False),
    ],
    [("not_on_track", "yellow", "resolved", 1, True)],
]


def _seed() -> list[int]:
    """A therapist, a client, the episodes above with their alerts and a stored status each
    (as 0009 made it). Plain inserts: the schema is at 0013."""
    tables = db.metadata.tables
    with db.engine.begin() as connection:

        def insert(table: str, **values: object) -> int:
            result = connection.execute(sa.insert(tables[table]).values(**values))
            return int(result.inserted_primary_key[0])

        user = insert(
            "user", email="alice@example.test", display_name="Alice", role="therapist",
            password_hash="x", active=True,
        )  # fmt: skip
        client = insert("client", code="CS", therapist_id=user, created_at=AT)
        episodes = []
        for alerts in EPISODES:
            episode = insert(
                "episode", client_id=client, therapist_id=user, opened_on=date(2026, 1, 5),
                status="active",
            )  # fmt: skip
            episodes.append(episode)
            connection.execute(
                sa.text(
                    "INSERT INTO case_status (episode_id, colour, scores_counted, open_reasons, "
                    "open_alerts, has_risk, has_rupture, attention_rank, updated_at) VALUES "
                    "(:e, 'grey', 0, '[]', 0, false, false, 99, :at)"
                ),
                {"e": episode, "at": AT},
            )
            for kind, severity, status, hours, escalated in alerts:
                opened = AT + timedelta(hours=hours)
                insert(
                    "alert", episode_id=episode, type=kind, severity=severity, status=status,
                    instrument_code="phq9", reason_text="", reason={}, actions=[],
                    opened_at=opened, updated_at=opened, resolved_automatically=False,
                    escalated_at=opened if escalated else None,
                    resolved_at=opened if status == "resolved" else None,
                )  # fmt: skip
        return episodes


def _card_facts(episode_ids: list[int]) -> dict[int, tuple[bool, int, datetime | None]]:
    rows = db.session.scalars(sa.select(CaseStatus).where(CaseStatus.episode_id.in_(episode_ids)))
    return {r.episode_id: (bool(r.card_escalated), r.card_level, r.newest_open_at) for r in rows}


@pytest.mark.slow
def test_the_migration_fills_the_card_facts_as_a_refresh_computes_them(
    empty_database_url: str,
) -> None:
    with migrated(empty_database_url, "0013_link_schedule_state"):
        episodes = _seed()
        upgrade(directory=MIGRATIONS, revision="0014_case_status_card")
        migrated_facts = _card_facts(episodes)
        db.session.rollback()
        case_status.refresh_many(episodes)
        refreshed = _card_facts(episodes)
        db.session.rollback()
        downgrade(directory=MIGRATIONS, revision="0013_link_schedule_state")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("case_status")}

    assert migrated_facts == refreshed
    # What the rules give, spelled out: risk 0, red 1, yellow 2, other 3, no card 4.
    levels = [migrated_facts[e][1] for e in episodes]
    assert levels == [NO_CARD_RANK, 0, 2, 3, 1, 3, 1, NO_CARD_RANK]
    escalated = [migrated_facts[e][0] for e in episodes]
    assert escalated == [False, True, False, False, False, True, False, False]
    newest = [migrated_facts[e][2] for e in episodes]
    assert newest[0] is None and newest[7] is None
    assert newest[1] == AT + timedelta(hours=3) and newest[3] == AT + timedelta(hours=4)
    assert not {"card_escalated", "card_level", "newest_open_at"} & columns
