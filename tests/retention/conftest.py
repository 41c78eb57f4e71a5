"""A full synthetic record for a client: something in every table that holds client data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Client, EntryMode, EpisodeStatus, User
from outcome_monitor.services import (
    care,
    handover,
    link_schedules,
    links,
    measures,
    supervision,
)
from outcome_monitor.services.drafts import save_answers

NOW = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)
PHQ9_WITH_RISK = {**{str(i): 2.0 for i in range(1, 9)}, "9": 3.0}


def full_record(
    client: Client, therapist: User, supervisor: User | None, *, closed_on: date | None
) -> None:
    """Sessions, scores (raising alerts), a tablet hand-over and a link with draft answers, a
    scheduled link, a supervision request and review; the episode closed on ``closed_on``."""
    episode = client.current_episode
    assert episode is not None
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 15), attended=True, by=therapist
    )
    for _ in range(2):
        measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code="phq9",
            answers=PHQ9_WITH_RISK,
            entry_mode=EntryMode.THERAPIST,
            by=therapist,
        )
    sitting = handover.start_handover(
        episode=episode, session_id=session.id, codes=["gad7"], by=therapist, now=NOW
    )
    save_answers(owner=sitting, code="gad7", answers={"1": 1.0}, now=NOW)
    issued = links.issue_link(episode=episode, codes=["phq9"], by=therapist, now=NOW, valid_days=7)
    links.save_link_answers(link=issued.link, code="phq9", answers={"1": 2.0}, now=NOW)
    link_schedules.schedule_link(
        episode=episode,
        codes=["phq9"],
        send_on=date(2026, 9, 25),
        email="client@example.test",
        by=therapist,
        now=NOW,
        today=date(2026, 9, 20),
    )
    supervision.request_supervision(episode=episode, by=therapist, note="stuck", now=NOW)
    if supervisor is not None:
        supervision.record_review(
            episode=episode,
            reviewed_on=date(2026, 9, 21),
            decision="continue",
            note="keep going",
            follow_up_on=None,
            by=supervisor,
            today=date(2026, 9, 22),
        )
    if closed_on is not None:
        care.close_episode(
            episode=episode,
            closed_on=closed_on,
            status=EpisodeStatus.CLOSED,
            reason="finished",
            by=therapist,
        )


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def orphans() -> list[str]:
    """Foreign keys pointing at rows that no longer exist (SQLite does not enforce them)."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column
            query = (
                sa.select(sa.func.count())
                .select_from(table)
                .where(fk.parent.is_not(None), fk.parent.not_in(sa.select(parent)))
            )
            if db.session.scalar(query):
                found.append(f"{table.name}.{fk.parent.name} -> {parent.table.name}")
    return found
