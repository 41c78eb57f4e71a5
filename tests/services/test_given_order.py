"""A score given outside a session (a remote link's, a form without a session) takes its
place in the history by the date it was given, after the sessions of its day
(``feedback.given_order``). It used to count as session 0: first in the history, where the
session-1 score then replaced it, so the newest score never reached the chart, the stored
status or the alerts."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, EntryMode, Episode
from outcome_monitor.services import care, feedback, measures
from tests.builders import WEEK0, phq9, record_sessions
from tests.conftest import World


def _outside_a_session(world: World, episode: Episode, total: int) -> None:
    measures.record_administration(
        episode=episode,
        session_id=None,
        instrument_code="phq9",
        answers=phq9(total),
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )


def _history(episode: Episode) -> list[tuple[int, float]]:
    points = feedback.history(feedback.episode_administrations(episode, "phq9"))
    return [(p.session, p.score) for p in points]


def test_a_score_outside_a_session_after_three_sessions_is_the_latest(world: World) -> None:
    episode = world.alices_client.current_episode
    record_sessions(
        episode, (("phq9", phq9(14)),), (("phq9", phq9(15)),), (("phq9", phq9(16)),), by=world.alice
    )
    _outside_a_session(world, episode, 24)  # entered today, weeks after the third session

    assert _history(episode) == [(1, 14.0), (2, 15.0), (3, 16.0), (4, 24.0)]
    status = episode.case_status
    db.session.refresh(status)
    assert (status.last_score, status.scores_counted) == (24.0, 4)
    open_types = set(
        db.session.scalars(
            sa.select(Alert.type).where(
                Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED
            )
        )
    )
    assert "reliable_deterioration" in open_types  # 14 -> 24 on the PHQ-9


def test_a_score_outside_a_session_follows_the_sessions_of_its_day(world: World) -> None:
    episode = world.alices_client.current_episode
    record_sessions(episode, (("phq9", phq9(14)),), (("phq9", phq9(15)),), by=world.alice)
    _outside_a_session(world, episode, 20)  # today, entered before today's session
    today = care.record_session(
        episode=episode, session_date=date.today(), attended=True, by=world.alice
    )
    measures.record_administration(
        episode=episode,
        session_id=today.id,
        instrument_code="phq9",
        answers=phq9(16),
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )

    assert _history(episode) == [(1, 14.0), (2, 15.0), (3, 16.0), (4, 20.0)]


def test_a_session_entered_late_keeps_its_number_in_the_history(world: World) -> None:
    """Sessions count by number (``numbered`` needs numbers that never go down): session 3,
    entered after session 2 but dated a week before it, is still the third point."""
    episode = world.alices_client.current_episode
    for on, total in (
        (WEEK0, 14),
        (WEEK0 + timedelta(days=14), 15),
        (WEEK0 + timedelta(days=7), 22),
    ):
        session = care.record_session(
            episode=episode, session_date=on, attended=True, by=world.alice
        )
        measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code="phq9",
            answers=phq9(total),
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    _outside_a_session(world, episode, 24)

    assert _history(episode) == [(1, 14.0), (2, 15.0), (3, 22.0), (4, 24.0)]
