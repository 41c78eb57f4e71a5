"""The tablet hand-over lifecycle: start, drafts, finish, idle lock, unlock, resume, discard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    AuditEvent,
    DraftAnswer,
    EntryMode,
    HandOver,
    HandOverStatus,
)
from outcome_monitor.services import NotFound, ServiceError, accounts, drafts
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.drafts import IncompleteMeasure
from tests.conftest import PASSWORD, World, count

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
PHQ9_MILD = {str(i): 1.0 for i in range(1, 10)} | {"9": 0.0}
SRS_GOOD = {"1": 9.5, "2": 9.0, "3": 9.2, "4": 9.8}


def start(world: World, codes: tuple[str, ...] = ("phq9", "srs"), now: datetime = NOW) -> HandOver:
    episode = world.alices_client.current_episode
    return handovers.start_handover(
        episode=episode, session_id=None, codes=codes, by=world.alice, now=now
    )


def finish_all(handover: HandOver, now: datetime = NOW) -> None:
    handovers.submit_measure(handover=handover, code="phq9", answers=PHQ9_MILD, now=now)
    handovers.submit_measure(handover=handover, code="srs", answers=SRS_GOOD, now=now)


def test_start_records_the_measures_and_an_audit_row(world: World) -> None:
    handover = start(world, ("phq9", "phq9", "srs"))
    assert handover.status == HandOverStatus.ACTIVE
    assert handover.measures == ["phq9", "srs"]
    assert count(AuditEvent, AuditEvent.action == "handover.start") == 1


def test_start_refuses_an_unknown_instrument(world: World) -> None:
    with pytest.raises(NotFound):
        start(world, ("nope",))
    assert count(HandOver) == 0


def test_start_refuses_a_second_open_handover_for_the_episode(world: World) -> None:
    start(world)
    with pytest.raises(ServiceError, match="unfinished"):
        start(world)


def test_each_answer_is_kept_as_a_draft(world: World) -> None:
    handover = start(world)
    drafts.save_answers(owner=handover, code="phq9", answers={"1": 2.0}, now=NOW)
    drafts.save_answers(owner=handover, code="phq9", answers={"1": 3.0, "2": 0.0}, now=NOW)
    assert drafts.draft_answers(handover, "phq9") == {"1": 3.0, "2": 0.0}
    assert count(DraftAnswer) == 2


def test_an_invalid_answer_saves_nothing(world: World) -> None:
    handover = start(world)
    with pytest.raises(ServiceError):
        drafts.save_answers(owner=handover, code="phq9", answers={"1": 1.0, "2": 7.0}, now=NOW)
    assert count(DraftAnswer) == 0


def test_finishing_every_measure_records_through_the_one_scoring_path(world: World) -> None:
    handover = start(world)
    finish_all(handover)
    rows = db.session.scalars(sa.select(Administration).order_by(Administration.id)).all()
    assert [(a.instrument_code, a.total, a.entry_mode) for a in rows] == [
        ("phq9", 8.0, EntryMode.CLIENT_TABLET),
        ("srs", 37.5, EntryMode.CLIENT_TABLET),
    ]
    assert handover.status == HandOverStatus.FINISHED


def test_a_second_submit_of_the_same_measure_creates_no_second_administration(
    world: World,
) -> None:
    handover = start(world)
    handovers.submit_measure(handover=handover, code="phq9", answers=PHQ9_MILD, now=NOW)
    recorded = drafts.record_measure(
        owner=handover, code="phq9", entry_mode=EntryMode.CLIENT_TABLET, now=NOW
    )
    assert recorded.created is False
    assert count(Administration) == 1


def test_too_many_missing_items_name_the_missing_ones(world: World) -> None:
    handover = start(world)
    with pytest.raises(IncompleteMeasure) as raised:
        handovers.submit_measure(handover=handover, code="phq9", answers={"1": 1.0}, now=NOW)
    assert raised.value.missing == tuple(str(i) for i in range(2, 10))
    assert drafts.draft_answers(handover, "phq9") == {"1": 1.0}
    assert count(Administration) == 0


def test_an_idle_handover_locks_and_keeps_its_answers(world: World) -> None:
    handover = start(world)
    drafts.save_answers(owner=handover, code="phq9", answers={"1": 2.0}, now=NOW)
    assert not handovers.lock_if_idle(
        handover=handover, idle_minutes=10, now=NOW + timedelta(minutes=9)
    )
    assert handovers.lock_if_idle(
        handover=handover, idle_minutes=10, now=NOW + timedelta(minutes=11)
    )
    assert handover.status == HandOverStatus.LOCKED
    assert drafts.draft_answers(handover, "phq9") == {"1": 2.0}
    progress = drafts.progress(handover)
    assert progress[0].missing == tuple(str(i) for i in range(2, 10))
    assert count(AuditEvent, AuditEvent.action == "handover.lock") == 1


def test_a_locked_handover_takes_no_more_answers(world: World) -> None:
    handover = start(world)
    handovers.lock_if_idle(handover=handover, idle_minutes=10, now=NOW + timedelta(hours=1))
    with pytest.raises(ServiceError, match="paused"):
        handovers.submit_measure(handover=handover, code="phq9", answers=PHQ9_MILD, now=NOW)


def test_the_starter_unlocks_a_finished_handover_with_her_password(world: World) -> None:
    handover = start(world)
    finish_all(handover)
    user = handovers.unlock_handover(handover=handover, email=None, secret=PASSWORD, now=NOW)
    assert user == world.alice
    assert handover.status == HandOverStatus.CLOSED
    assert handover.unlocked_by == world.alice


def test_the_starter_unlocks_with_her_pin(world: World) -> None:
    accounts.set_unlock_pin(user=world.alice, pin="4821", by=world.alice)
    handover = start(world)
    handovers.unlock_handover(handover=handover, email=None, secret="4821", now=NOW)
    assert handover.status == HandOverStatus.PAUSED


def test_a_supervisor_of_the_team_may_unlock(world: World) -> None:
    handover = start(world)
    user = handovers.unlock_handover(
        handover=handover, email="SAM@example.test", secret=PASSWORD, now=NOW
    )
    assert user == world.sam


@pytest.mark.parametrize(
    ("who", "secret"),
    [("bob", PASSWORD), ("carol", PASSWORD), ("alice", "wrong password"), ("nobody", PASSWORD)],
    ids=["a colleague", "another team", "a wrong password", "an unknown email"],
)
def test_unlock_is_refused_and_audited(world: World, who: str, secret: str) -> None:
    handover = start(world)
    email = None if who == "alice" else f"{who}@example.test"
    with pytest.raises(ServiceError, match="does not unlock"):
        handovers.unlock_handover(handover=handover, email=email, secret=secret, now=NOW)
    assert handover.status == HandOverStatus.ACTIVE
    assert count(AuditEvent, AuditEvent.action == "handover.unlock_refused") == 1


def test_resume_reactivates_a_paused_handover(world: World) -> None:
    handover = start(world)
    handovers.unlock_handover(handover=handover, email=None, secret=PASSWORD, now=NOW)
    handovers.resume_handover(handover=handover, by=world.alice, now=NOW + timedelta(minutes=30))
    assert handover.status == HandOverStatus.ACTIVE
    assert not handovers.lock_if_idle(
        handover=handover, idle_minutes=10, now=NOW + timedelta(minutes=35)
    )


def test_discard_drops_drafts_but_keeps_finished_measures(world: World) -> None:
    handover = start(world)
    handovers.submit_measure(handover=handover, code="phq9", answers=PHQ9_MILD, now=NOW)
    drafts.save_answers(owner=handover, code="srs", answers={"1": 5.0}, now=NOW)
    handovers.lock_if_idle(handover=handover, idle_minutes=10, now=NOW + timedelta(hours=1))
    handovers.discard_handover(handover=handover, by=world.alice, now=NOW)
    assert handover.status == HandOverStatus.DISCARDED
    assert drafts.draft_answers(handover, "srs") == {}
    assert count(Administration) == 1
    assert handovers.open_handovers(world.alices_client.current_episode) == []


def test_an_active_handover_cannot_be_discarded(world: World) -> None:
    handover = start(world)
    with pytest.raises(ServiceError):
        handovers.discard_handover(handover=handover, by=world.alice, now=NOW)


def test_set_own_pin_checks_the_password(world: World) -> None:
    with pytest.raises(ServiceError):
        handovers.set_own_pin(user=world.alice, password="wrong", pin="1234")
    handovers.set_own_pin(user=world.alice, password=PASSWORD, pin="1234")
    assert world.alice.unlock_pin_hash


def test_the_alliance_measure_comes_last(world: World) -> None:
    assert start(world, ("srs", "gad7", "phq9")).measures == ["gad7", "phq9", "srs"]
