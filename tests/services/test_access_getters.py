"""The load-and-authorise getters of ``services/access.py``: each takes (user, id) and answers
NotFound alike for a row of a client the user may not see and for a row that does not exist;
the pages that use them answer 404 and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AuditEvent,
    AuditOutcome,
    EntryMode,
    Episode,
    HandOver,
    LinkSchedule,
    TherapySession,
    User,
)
from outcome_monitor.services import NotFound, ServiceError, access, care, link_schedules, measures
from outcome_monitor.services import handover as handovers
from tests.conftest import World

NOW = datetime.now(UTC)
MISSING_ID = 2_000_000_000


@dataclass(frozen=True)
class Rows:
    session: TherapySession
    administration: Administration
    alert: Alert
    handover: HandOver
    schedule: LinkSchedule


def _fill(therapist: User, episode: Episode) -> Rows:
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 2), attended=True, by=therapist
    )
    recorded = measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code="phq9",
        answers={str(i): 2.0 for i in range(1, 10)},  # item 9 above 0: a risk alert
        entry_mode=EntryMode.THERAPIST,
        by=therapist,
    )
    handover = handovers.start_handover(
        episode=episode, session_id=session.id, codes=["gad7"], by=therapist, now=NOW
    )
    schedule = link_schedules.schedule_link(
        episode=episode,
        codes=["srs"],
        send_on=NOW.date() + timedelta(days=3),
        email=None,
        by=therapist,
        now=NOW,
        today=NOW.date(),
    )
    alert = db.session.scalars(sa.select(Alert).where(Alert.episode_id == episode.id)).first()
    assert alert is not None
    return Rows(session, recorded.administration, alert, handover, schedule)


@pytest.fixture()
def carols(world: World) -> Rows:
    """Carol's rows (another team: Alice and Sam may not see them)."""
    return _fill(world.carol, world.carols_client.current_episode)


Getter = Callable[[User, int], Any]
GETTERS: dict[str, tuple[Getter, str]] = {
    "session": (access.therapy_session_for, "session"),
    "administration": (access.administration_for, "administration"),
    "alert": (access.alert_for, "alert"),
    "handover": (access.handover_for, "handover"),
    "schedule": (access.schedule_for, "schedule"),
}


@pytest.mark.parametrize("kind", GETTERS)
def test_a_getter_returns_the_row_to_its_therapist(world: World, carols: Rows, kind: str) -> None:
    getter, attribute = GETTERS[kind]
    row = getattr(carols, attribute)
    assert getter(world.carol, row.id) is row


@pytest.mark.parametrize("kind", GETTERS)
@pytest.mark.parametrize("who", ["alice", "sam", "ada"])
def test_a_getter_refuses_a_foreign_row_like_a_missing_one(
    world: World, carols: Rows, kind: str, who: str
) -> None:
    getter, attribute = GETTERS[kind]
    user = getattr(world, who)
    with pytest.raises(NotFound):
        getter(user, getattr(carols, attribute).id)
    with pytest.raises(NotFound):
        getter(user, MISSING_ID)


def _state() -> tuple[object, ...]:
    """What a refused request must leave as it was (the read audit's rows aside)."""
    handovers_now = db.session.execute(sa.select(HandOver.id, HandOver.status)).all()
    schedules = db.session.execute(sa.select(LinkSchedule.id, LinkSchedule.state)).all()
    alerts = db.session.execute(sa.select(Alert.id, Alert.status)).all()
    administrations = db.session.execute(
        sa.select(Administration.id, Administration.voided_at)
    ).all()
    return tuple(map(sorted, (handovers_now, schedules, alerts, administrations)))


POSTS: dict[str, tuple[str, str]] = {
    "resume a hand-over": ("/handovers/{id}/resume", "handover"),
    "discard a hand-over": ("/handovers/{id}/discard", "handover"),
    "cancel a scheduled link": ("/links/schedules/{id}/cancel", "schedule"),
    "show a scheduled link": ("/links/schedules/{id}/show", "schedule"),
    "void a score": ("/administrations/{id}/void", "administration"),
}


@pytest.mark.parametrize("name", POSTS)
def test_a_post_naming_a_foreign_or_missing_row_answers_404_and_changes_nothing(
    app: Any, login_as: Any, world: World, carols: Rows, name: str
) -> None:
    path, attribute = POSTS[name]
    client = login_as(world.alice)
    before = _state()
    changes = sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.outcome != AuditOutcome.DENIED
    )
    recorded = db.session.scalar(changes)
    foreign = client.post(path.format(id=getattr(carols, attribute).id), data={"reason": "x"})
    missing = client.post(path.format(id=MISSING_ID), data={"reason": "x"})
    assert (foreign.status_code, missing.status_code) == (404, 404)
    db.session.expire_all()
    assert _state() == before
    assert db.session.scalar(changes) == recorded  # no change was audited either


def test_an_admin_page_for_a_missing_user_answers_404(login_as: Any, world: World) -> None:
    client = login_as(world.ada)
    assert client.get(f"/admin/users/{MISSING_ID}").status_code == 404
    assert client.post(f"/admin/users/{MISSING_ID}/active").status_code == 404


def test_starting_a_handover_with_a_session_of_another_episode_is_refused(
    world: World, carols: Rows
) -> None:
    episode = world.alices_client.current_episode
    with pytest.raises(Exception, match="another episode"):
        handovers.start_handover(
            episode=episode, session_id=carols.session.id, codes=["gad7"], by=world.alice, now=NOW
        )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(HandOver.id)).where(HandOver.episode_id == episode.id)
        )
        == 0
    )


def test_recording_a_score_with_a_session_of_another_episode_is_refused(
    world: World, carols: Rows
) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    with pytest.raises(ServiceError, match="not one of this episode's sessions"):
        measures.record_administration(
            episode=episode,
            session_id=carols.session.id,
            instrument_code="phq9",
            answers={str(i): 1.0 for i in range(1, 10)},
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    given = sa.select(sa.func.count(Administration.id)).where(
        Administration.episode_id == episode.id
    )
    assert db.session.scalar(given) == 0
