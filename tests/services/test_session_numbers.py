"""Sessions are numbered by date (``care.record_session``): a session entered late, dated
before sessions already recorded, takes its place among them and the later ones move up by
one, with their scores. Sessions numbered with gaps (an import's numbers) keep them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, EntryMode, Episode, TherapySession
from outcome_monitor.services import care, measures
from tests.builders import WEEK0, phq9
from tests.conftest import World


def _session(world: World, episode: Episode, days: int, total: int | None = None) -> int:
    session = care.record_session(
        episode=episode, session_date=WEEK0 + timedelta(days=days), attended=True, by=world.alice
    )
    if total is not None:
        measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code="phq9",
            answers=phq9(total),
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    return session.id


def _numbers(episode: Episode) -> list[tuple[int, int]]:
    """(number, days after WEEK0) of the episode's sessions, in number order, as stored."""
    rows = db.session.execute(
        sa.select(TherapySession.number, TherapySession.date)
        .where(TherapySession.episode_id == episode.id)
        .order_by(TherapySession.number)
    )
    return [(number, (on - WEEK0).days) for number, on in rows]


def test_a_session_entered_late_takes_its_place_and_moves_the_later_ones(world: World) -> None:
    episode = world.alices_client.current_episode
    first = _session(world, episode, 0, 14)
    third = _session(world, episode, 14, 15)
    fourth = _session(world, episode, 21, 16)
    second = _session(world, episode, 7, 22)  # forgotten, entered last

    assert _numbers(episode) == [(1, 0), (2, 7), (3, 14), (4, 21)]
    by_id = {s.id: s.number for s in db.session.scalars(sa.select(TherapySession))}
    assert [by_id[i] for i in (first, second, third, fourth)] == [1, 2, 3, 4]
    # The loaded objects say the same as the database (the move expired their numbers).
    assert db.session.get(TherapySession, fourth).number == 4
    assert care.later_sessions(db.session.get(TherapySession, second)) == 2
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "session.record")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None
    assert event.details["number"] == 2
    assert event.details["later_sessions_moved_up"] == 2


def test_the_stored_status_follows_the_new_order(world: World) -> None:
    """The latest score by date (16, the session of day 14) is the status's last score once the
    forgotten session of day 7 (score 22) is entered; numbered by entry, 22 would be last."""
    episode = world.alices_client.current_episode
    _session(world, episode, 0, 14)
    _session(world, episode, 14, 16)
    late = care.record_session(
        episode=episode, session_date=WEEK0 + timedelta(days=7), attended=True, by=world.alice
    )
    measures.record_administration(
        episode=episode,
        session_id=late.id,
        instrument_code="phq9",
        answers=phq9(22),
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )

    status = episode.case_status
    db.session.refresh(status)
    assert (status.last_score, status.scores_counted) == (16.0, 3)


def test_a_session_on_the_day_of_another_comes_after_it(world: World) -> None:
    episode = world.alices_client.current_episode
    _session(world, episode, 0)
    _session(world, episode, 7)
    _session(world, episode, 14)
    _session(world, episode, 7)  # a second session that day, entered later

    assert _numbers(episode) == [(1, 0), (2, 7), (3, 7), (4, 14)]


def test_a_session_after_every_other_moves_nothing(world: World) -> None:
    episode = world.alices_client.current_episode
    _session(world, episode, 0)
    _session(world, episode, 7)

    assert _numbers(episode) == [(1, 0), (2, 7)]
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "session.record")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and "later_sessions_moved_up" not in event.details


def test_numbers_with_gaps_keep_them(world: World) -> None:
    """Sessions 1, 2 and 5 (as an import may number them): a session after day 14 is 6; one
    between sessions 2 and 5 is 3, and session 5 moves to 6."""
    episode = world.alices_client.current_episode
    for number, days in ((1, 0), (2, 7), (5, 21)):
        db.session.add(
            TherapySession(
                episode=episode, number=number, date=WEEK0 + timedelta(days=days), attended=True
            )
        )
    db.session.commit()

    _session(world, episode, 28)
    assert _numbers(episode) == [(1, 0), (2, 7), (5, 21), (6, 28)]
    _session(world, episode, 14)
    assert _numbers(episode) == [(1, 0), (2, 7), (3, 14), (6, 21), (7, 28)]
