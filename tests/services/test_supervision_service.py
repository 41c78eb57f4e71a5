"""Supervision reviews and requests, and the case-review queue they feed (synthetic data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.core.supervision import CaseFilter, CaseState, QueueFlag
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    AuditEvent,
    EpisodeStatus,
    RequestSource,
    ReviewDecision,
    SupervisionRequest,
    SupervisionReview,
    User,
)
from outcome_monitor.services import (
    NotFound,
    ServiceError,
    alerting,
    attention,
    care,
    refit,
    review_queue,
    settings_changes,
    supervision,
)
from outcome_monitor.services.case_outlook import NoPrognosis
from tests.builders import (
    NOW,
    crisis,
    give,
    insert_closed_episodes,
    phq9_sessions,
    south_supervisor,
)
from tests.conftest import World, count

TODAY = date(2026, 11, 20)


def review(world: World, **changes: object) -> SupervisionReview:
    """Sam reviews Alice's client: 'change the plan', no follow-up, unless ``changes`` say."""
    values: dict[str, object] = {
        "episode": world.alices_client.current_episode,
        "reviewed_on": TODAY,
        "decision": ReviewDecision.CHANGE_PLAN,
        "note": "Agreed to add behavioural activation.",
        "follow_up_on": None,
        "by": world.sam,
        "today": TODAY,
    } | changes
    return supervision.record_review(**values)  # type: ignore[arg-type]


def queue_codes(
    user: User,
    today: date = TODAY,
    *,
    team_id: int | None = None,
    therapist_id: int | None = None,
    **case: object,
) -> dict[str, CaseState]:
    """Client code -> the case state, in queue order (``case``: ``CaseFilter`` fields)."""
    filters = review_queue.QueueFilters(team_id, therapist_id, CaseFilter(**case))  # type: ignore[arg-type]
    result = review_queue.review_queue(user, today=today, filters=filters)
    return {row.episode.client.code: row.state for row in result.rows}


def test_record_review_stores_it_with_one_audit_row(world: World) -> None:
    crisis(world)
    before = count(AuditEvent)
    stored = review(world, follow_up_on=TODAY + timedelta(weeks=2))
    db.session.expire_all()
    row = db.session.get(SupervisionReview, stored.id)
    assert row is not None
    assert (row.reviewer_id, row.reviewed_on, row.decision) == (
        world.sam.id,
        TODAY,
        ReviewDecision.CHANGE_PLAN,
    )
    assert isinstance(row.decision, ReviewDecision)  # loaded back as the enum
    assert row.follow_up_on == TODAY + timedelta(weeks=2)
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()[before:]
    assert [(e.action, e.object_id) for e in events] == [("supervision.review", str(row.id))]
    assert events[0].details["decision"] == "change_plan"
    assert events[0].actor_id == world.sam.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"follow_up_on": TODAY - timedelta(days=1)}, "follow-up date cannot be before"),
        ({"reviewed_on": TODAY + timedelta(days=1)}, "cannot be in the future"),
        ({"reviewed_on": date(2026, 8, 31)}, "before the episode opened"),
        ({"note": "   "}, "Write a note"),
        ({"note": "x" * (supervision.NOTE_MAX + 1)}, "too long"),
        ({"decision": "carry_on"}, "Choose one of the decisions"),
        ({"follow_up_on": TODAY}, None),  # control: a follow-up on the review date is fine
    ],
    ids=[
        "follow-up before review",
        "future review",
        "before the episode",
        "no note",
        "note too long",
        "unknown decision",
        "valid",
    ],
)
def test_invalid_reviews_are_refused_and_nothing_is_stored(world, changes, message) -> None:
    audit_rows = count(AuditEvent)
    if message is None:
        review(world, **changes)
        assert count(SupervisionReview) == 1
        return
    with pytest.raises(ServiceError, match=message):
        review(world, **changes)
    db.session.rollback()
    assert count(SupervisionReview) == 0
    assert count(AuditEvent) == audit_rows


def test_only_a_supervisor_of_the_clients_team_may_review(world: World) -> None:
    sue = south_supervisor(world)
    for outsider in (world.alice, world.bob, world.ada, sue):
        with pytest.raises(NotFound):
            review(world, by=outsider)
        with pytest.raises(NotFound):
            supervision.get_reviewable_episode(outsider, world.alices_client.current_episode.id)
    carols = world.carols_client.current_episode
    with pytest.raises(NotFound):
        review(world, episode=carols)  # Sam does not supervise South
    assert supervision.get_reviewable_episode(sue, carols.id) is carols
    assert count(SupervisionReview) == 0


def test_a_review_clears_not_yet_reviewed_until_a_new_reason_opens(world: World) -> None:
    episode = crisis(world)
    assert queue_codes(world.sam)["A-001"].not_yet_reviewed
    review(world)
    case = queue_codes(world.sam)["A-001"]
    assert case.card is not None and not case.not_yet_reviewed  # still flagged, but reviewed
    assert queue_codes(world.sam, not_reviewed_only=True) == {}
    alerting.check_overdue(today=date(2026, 12, 31), now=datetime.now(UTC))  # a new reason
    assert queue_codes(world.sam)["A-001"].not_yet_reviewed
    assert attention.episode_card(episode) is not None


def test_a_follow_up_date_that_passes_brings_the_case_back(world: World) -> None:
    review(world, follow_up_on=TODAY + timedelta(days=14))
    assert queue_codes(world.sam) == {}  # no alerts, follow-up not yet due
    back = queue_codes(world.sam, today=TODAY + timedelta(days=14))
    assert list(back) == ["A-001"] and back["A-001"].follow_up_due
    assert back["A-001"].card is None
    review(world, reviewed_on=TODAY + timedelta(days=14), today=TODAY + timedelta(days=14))
    assert queue_codes(world.sam, today=TODAY + timedelta(days=30)) == {}


def test_a_follow_up_of_a_closed_episode_does_not_come_back(world: World) -> None:
    review(world, follow_up_on=TODAY + timedelta(days=1))
    care.close_episode(
        episode=world.alices_client.current_episode,
        closed_on=TODAY,
        status=EpisodeStatus.CLOSED,
        reason="planned ending",
        by=world.alice,
    )
    assert queue_codes(world.sam, today=TODAY + timedelta(days=5)) == {}


def test_take_to_supervision_in_the_checklist_flags_the_case(world: World) -> None:
    episode = crisis(world)
    attention.acknowledge_card(
        episode=episode,
        actions=["supervision"],
        note="Stuck; please advise",
        by=world.alice,
        now=NOW,
    )
    request = supervision.open_request(episode)
    assert request is not None
    assert (request.source, request.note, request.requested_by_id) == (
        RequestSource.CHECKLIST,
        "Stuck; please advise",
        world.alice.id,
    )
    assert count(AuditEvent, AuditEvent.action == "supervision.request") == 1
    entry = attention.episode_card(episode)
    assert entry is not None
    for reason in entry.card.reasons:
        attention.resolve_reason(
            episode=episode, key=reason.key, note="done", by=world.alice, now=NOW
        )
    case = queue_codes(world.sam)["A-001"]  # no alert left: the request alone keeps it there
    assert case.card is None and case.requested and case.flags == (QueueFlag.REQUESTED,)
    stored = review(world)
    db.session.refresh(request)
    assert request.review_id == stored.id
    assert queue_codes(world.sam) == {}


def test_acknowledging_without_supervision_asks_for_none(world: World) -> None:
    episode = crisis(world)
    attention.acknowledge_card(
        episode=episode, actions=["risk_assessment"], note="", by=world.alice, now=NOW
    )
    assert supervision.open_request(episode) is None
    assert count(SupervisionRequest) == 0


def test_a_second_take_to_supervision_adds_no_second_request(world: World) -> None:
    episode = crisis(world)
    attention.acknowledge_card(
        episode=episode, actions=["supervision"], note="", by=world.alice, now=NOW
    )
    alerting.check_overdue(today=date(2026, 12, 31), now=NOW)  # reopens the card
    attention.acknowledge_card(
        episode=episode, actions=["motivation_goals"], note="", by=world.alice, now=NOW
    )
    supervision.flag_for_supervision(
        episode=episode, by=world.alice, source=RequestSource.CHECKLIST, note=None, now=NOW
    )
    assert count(SupervisionRequest) == 1


def test_ask_for_supervision_button(world: World) -> None:
    episode = world.alices_client.current_episode
    request = supervision.request_supervision(
        episode=episode, by=world.alice, note="  Ending soon? ", now=NOW
    )
    assert (request.source, request.note) == (RequestSource.BUTTON, "Ending soon?")
    with pytest.raises(ServiceError, match="already been asked"):
        supervision.request_supervision(episode=episode, by=world.alice, note="", now=NOW)
    assert list(queue_codes(world.sam)) == ["A-001"]
    assert queue_codes(world.alice)["A-001"].requested  # the therapist's own queue shows it


def test_a_closed_episode_cannot_be_taken_to_supervision(world: World) -> None:
    episode = world.alices_client.current_episode
    care.close_episode(
        episode=episode, closed_on=TODAY, status=EpisodeStatus.CLOSED, reason="", by=world.alice
    )
    with pytest.raises(ServiceError, match="closed"):
        supervision.request_supervision(episode=episode, by=world.alice, note="", now=NOW)
    assert count(SupervisionRequest) == 0


def test_reviews_are_listed_latest_first(world: World) -> None:
    first = review(world, reviewed_on=TODAY - timedelta(days=7), note="first")
    second = review(world, decision=ReviewDecision.PLAN_ENDING, note="second")
    panel = supervision.panel(world.alice, world.alices_client.current_episode)
    assert [r.id for r in panel.reviews] == [second.id, first.id]
    assert not panel.can_review and panel.can_request
    assert supervision.panel(world.sam, world.alices_client.current_episode).can_review


def test_the_queue_is_the_supervisors_teams_only(world: World) -> None:
    crisis(world)
    carols = world.carols_client.current_episode
    supervision.request_supervision(episode=carols, by=world.carol, note="", now=NOW)
    sue = south_supervisor(world)
    assert list(queue_codes(world.sam)) == ["A-001"]
    assert list(queue_codes(sue)) == ["C-001"]
    assert queue_codes(world.ada) == {}
    assert list(queue_codes(world.sam, therapist_id=world.alice.id)) == ["A-001"]
    assert queue_codes(world.sam, therapist_id=world.bob.id) == {}
    assert list(queue_codes(world.sam, team_id=world.north.id)) == ["A-001"]


def test_the_queue_shows_no_prognosis_under_the_rational_method(world: World) -> None:
    crisis(world)
    row = review_queue.review_queue(world.sam, today=TODAY).rows[0]
    assert row.outlook.prognosis is None and row.outlook.missing == NoPrognosis.RATIONAL


def test_the_queue_shows_the_prognosis_under_a_fitted_model(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    refit.refit_models(now=NOW)
    give(world, *phq9_sessions(12, 19))
    supervision.request_supervision(
        episode=world.alices_client.current_episode, by=world.alice, note="", now=NOW
    )
    bobs = care.create_client(code="B-001", therapist=world.bob, by=world.bob)
    care.open_episode(client=bobs, opened_on=date(2026, 9, 1), by=world.bob)
    supervision.request_supervision(episode=bobs.current_episode, by=world.bob, note="", now=NOW)
    rows = {
        r.episode.client.code: r for r in review_queue.review_queue(world.sam, today=TODAY).rows
    }
    outlook = rows["A-001"].outlook
    assert outlook.code == "phq9" and outlook.prognosis is not None
    assert 0.0 <= outlook.prognosis.p_deterioration <= 1.0
    assert rows["B-001"].outlook.missing == NoPrognosis.NO_MEASURE
