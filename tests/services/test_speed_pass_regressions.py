"""Regression tests written against the speed pass of 2026-12-02 by a helper attacking it:
the caseload's totals and pages, the client with its sessions, the link schedules and the
review queue in awkward cases equal what they were (the read audit's are in
tests/audit/test_read_audit.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Episode,
    TherapySession,
    User,
)
from outcome_monitor.models.link_schedule import LinkSchedule, ScheduleState
from outcome_monitor.models.supervision import (
    RequestSource,
    ReviewDecision,
    SupervisionRequest,
    SupervisionReview,
)
from outcome_monitor.services import (
    NotFound,
    access,
    care,
    case_status,
    link_schedules,
    review_queue,
    supervision,
    worklist,
)
from outcome_monitor.services.paging import PAGE_SIZE
from tests.builders import (
    bobs_episode,
    core_queue,
    new_episode,
    phq9_sessions,
    record_sessions,
    south_supervisor,
)
from tests.conftest import World

TODAY = date.today()


# ---- 3. the caseload -----------------------------------------------------------------------


def _episodes_in_scope(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(care.active_episodes_in_scope(user).subquery())
    )


@pytest.mark.parametrize("sort", worklist.SORTS)
def test_caseload_totals_and_pages(world: World, sort: str) -> None:
    for n in range(PAGE_SIZE + 3):
        new_episode(world.bob, f"B-{n:03d}")
    closed = new_episode(world.bob, "B-CLOSED")
    care.close_episode(episode=closed, status="closed", closed_on=TODAY, reason="", by=world.bob)
    for user in (world.sam, world.bob, world.alice, world.carol, world.ada):
        expected = _episodes_in_scope(user)
        seen: list[int] = []
        for number in (1, 2, 3, 99):
            page = worklist.caseload_entries(user, sort=sort, page=number)
            assert page.total == expected, (user.email, number)
            seen += [e.episode_id for e in page.items]
        assert len(seen) == len(set(seen)) == expected


def test_caseload_page_past_the_end_over_http(login_as, world: World) -> None:
    client = login_as(world.alice)
    response = client.get("/clients/?page=5")
    assert response.status_code in (200, 404)
    body = client.get("/clients/?page=1").get_data(as_text=True)
    assert "A-001" in body and "C-001" not in body


# ---- 4. get_client -------------------------------------------------------------------------


def test_get_client_with_sessions_is_complete_and_never_foreign(world: World) -> None:
    cid = world.alices_client.id
    first = db.session.scalars(sa.select(Episode).where(Episode.client_id == cid)).one()
    record_sessions(first, *phq9_sessions(10, 12, 14), by=world.alice)
    care.close_episode(episode=first, status="closed", closed_on=TODAY, reason="", by=world.alice)
    second = care.open_episode(client=world.alices_client, opened_on=TODAY, by=world.alice)
    db.session.add_all([TherapySession(episode_id=second.id, number=n, date=TODAY) for n in (1, 2)])
    db.session.commit()
    db.session.expire_all()
    client = access.get_client(world.alice, cid, with_sessions=True)
    assert client.id == cid
    assert [len(e.sessions) for e in client.episodes] == [3, 2]
    expected = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TherapySession)
        .join(Episode)
        .where(Episode.client_id == cid)
    )
    assert sum(len(e.sessions) for e in client.episodes) == expected
    for user in (world.carol, world.ada):
        with pytest.raises(NotFound):
            access.get_client(user, cid, with_sessions=True)
    sue = south_supervisor(world)
    with pytest.raises(NotFound):
        access.get_client(sue, cid, with_sessions=True)
    assert access.get_client(world.sam, cid, with_sessions=True).id == cid
    with pytest.raises(NotFound):
        access.get_client(world.alice, world.carols_client.id, with_sessions=True)


# ---- 5. link schedules ---------------------------------------------------------------------


def test_episode_schedules_order_and_recent_limit(world: World) -> None:
    episode = db.session.scalars(
        sa.select(Episode).where(Episode.client_id == world.alices_client.id)
    ).one()
    other = bobs_episode(world)
    at = datetime(2026, 9, 10, 12, tzinfo=UTC)
    rows = []
    for n in range(9):
        processed = None if n % 3 == 0 else at + timedelta(hours=n // 2)  # ties
        rows.append(
            LinkSchedule(
                episode_id=episode.id if n != 4 else other.id,
                measures=["phq9"],
                send_on=TODAY + timedelta(days=(5 - n) % 4),
                created_by_id=world.alice.id,
                processed_at=processed,
                state=ScheduleState.PENDING if processed is None else ScheduleState.CANCELLED,
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    mine = sa.select(LinkSchedule).where(LinkSchedule.episode_id == episode.id)
    for recent in (0, 1, 2, 5):
        pending = db.session.scalars(
            mine.where(LinkSchedule.processed_at.is_(None)).order_by(
                LinkSchedule.send_on, LinkSchedule.id
            )
        ).all()
        done = db.session.scalars(
            mine.where(LinkSchedule.processed_at.is_not(None))
            .order_by(LinkSchedule.processed_at.desc(), LinkSchedule.id.desc())
            .limit(recent)
        ).all()
        got = link_schedules.episode_schedules(episode, recent=recent)
        assert [s.id for s in got] == [s.id for s in [*pending, *done]], recent


# ---- 6. the review queue -------------------------------------------------------------------


def _review(episode: Episode, by: User, on: date, follow_up: date | None, at: datetime) -> None:
    db.session.add(
        SupervisionReview(
            episode_id=episode.id,
            reviewer_id=by.id,
            reviewed_on=on,
            decision=ReviewDecision.CONTINUE,
            note="n",
            follow_up_on=follow_up,
            created_at=at,
        )
    )


def _request(episode: Episode, by: User, at: datetime) -> None:
    db.session.add(
        SupervisionRequest(
            episode_id=episode.id,
            requested_by_id=by.id,
            requested_at=at,
            source=RequestSource.BUTTON,
            note=None,
        )
    )


def test_the_queue_equals_the_core_in_awkward_cases(world: World) -> None:
    now = datetime.now(UTC)
    sam = world.sam
    # a card and a waiting request
    both = record_sessions(bobs_episode(world, "B-BOTH"), *phq9_sessions(12, 19), by=world.bob)
    supervision.request_supervision(episode=both, by=world.bob, note="", now=now)
    # a closed episode with a request (inserted directly)
    closed = bobs_episode(world, "B-CLOSED")
    _request(closed, world.bob, now - timedelta(days=3))
    db.session.commit()
    care.close_episode(episode=closed, status="closed", closed_on=TODAY, reason="", by=world.bob)
    # several reviews on the same date, the higher id without a follow-up
    same_day = bobs_episode(world, "B-SAME")
    _review(same_day, sam, TODAY - timedelta(days=2), TODAY - timedelta(days=1), now)
    db.session.commit()
    _review(same_day, sam, TODAY - timedelta(days=2), None, now - timedelta(days=5))
    db.session.commit()
    # the reverse: the higher id has the follow-up
    same_day2 = bobs_episode(world, "B-SAME2")
    _review(same_day2, sam, TODAY - timedelta(days=2), None, now)
    db.session.commit()
    _review(same_day2, sam, TODAY - timedelta(days=2), TODAY, now - timedelta(days=5))
    db.session.commit()
    # a due follow-up, then a later review without one
    later = bobs_episode(world, "B-LATER")
    _review(later, sam, TODAY - timedelta(days=10), TODAY - timedelta(days=3), now)
    _review(later, sam, TODAY - timedelta(days=4), None, now)
    db.session.commit()
    # a later review without a follow-up but recorded on an EARLIER date
    earlier_date = bobs_episode(world, "B-EARLIER")
    _review(earlier_date, sam, TODAY - timedelta(days=4), TODAY - timedelta(days=1), now)
    _review(earlier_date, sam, TODAY - timedelta(days=10), None, now)
    db.session.commit()
    # card with a review after every alert, and a due follow-up
    reviewed_card = record_sessions(
        bobs_episode(world, "B-RCARD"), *phq9_sessions(12, 19), by=world.bob
    )
    _review(reviewed_card, sam, TODAY, TODAY, now + timedelta(days=1))
    db.session.commit()
    # a closed episode with a card and a due follow-up
    closed_card = record_sessions(
        bobs_episode(world, "B-CCARD"), *phq9_sessions(12, 20), by=world.bob
    )
    _review(closed_card, sam, TODAY - timedelta(days=1), TODAY, now - timedelta(days=1))
    db.session.commit()
    care.close_episode(
        episode=closed_card, status="closed", closed_on=TODAY, reason="", by=world.bob
    )
    # carol (south): outside sam's teams
    carols = db.session.scalars(
        sa.select(Episode).where(Episode.client_id == world.carols_client.id)
    ).one()
    record_sessions(carols, *phq9_sessions(12, 19), by=world.carol)
    _request(carols, world.carol, now)
    db.session.commit()
    case_status.refresh_many(db.session.scalars(sa.select(Episode.id)).all())
    db.session.commit()

    for supervisor in (sam, south_supervisor(world)):
        queue = review_queue.review_queue(supervisor, today=TODAY)
        assert [r.episode.id for r in queue.rows] == core_queue(supervisor, TODAY), supervisor.email
        assert queue.page.total == len(queue.rows)
        ids = [r.episode.id for r in queue.rows]
        assert len(ids) == len(set(ids))
    for therapist in (world.bob, world.alice, world.carol):
        mine = review_queue.review_queue(therapist, today=TODAY)
        for row in mine.rows:
            assert row.episode.client.therapist.id == therapist.id
