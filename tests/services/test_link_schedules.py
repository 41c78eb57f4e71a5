"""Scheduled links: validated when made, processed exactly once, emailed when possible, the
address forgotten as soon as the schedule is processed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    AuditEvent,
    EpisodeStatus,
    LinkSchedule,
    RemoteLink,
    ScheduleState,
)
from outcome_monitor.services import ServiceError, care, link_schedules, links
from outcome_monitor.services.link_schedules import DueSummary, link_url
from outcome_monitor.services.mail import SmtpSettings
from tests.conftest import World, count

TODAY = date(2026, 10, 1)
NOW = datetime(2026, 10, 1, 9, 15, tzinfo=UTC)
BASE_URL = "https://rom.example.test"
ADDRESS = "client@example.test"


def schedule(
    world: World, *, send_on: date = TODAY, email: str | None = None, codes: Any = ("srs",)
) -> LinkSchedule:
    return link_schedules.schedule_link(
        episode=world.alices_client.current_episode,
        codes=list(codes),
        send_on=send_on,
        email=email,
        by=world.alice,
        now=NOW - timedelta(days=3),
        today=TODAY - timedelta(days=3),
    )


def run(
    *,
    today: date = TODAY,
    smtp: SmtpSettings | None = None,
    base_url: str | None = BASE_URL,
) -> DueSummary:
    return link_schedules.issue_due_links(
        today=today, now=NOW, smtp=smtp, base_url=base_url, valid_days=4
    )


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"codes": ()}, "at least one"),
        ({"send_on": TODAY - timedelta(days=4)}, "from today"),
        ({"send_on": TODAY + timedelta(days=400)}, "from today"),
        ({"email": "not an address"}, "valid email"),
    ],
    ids=["no measures", "a past date", "more than a year ahead", "a bad address"],
)
def test_a_schedule_is_refused_with_a_reason(world: World, changes: Any, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        schedule(world, **changes)
    assert count(LinkSchedule) == 0


def test_an_unknown_measure_is_refused(world: World) -> None:
    with pytest.raises(ServiceError):
        schedule(world, codes=["no-such-measure"])


def test_a_schedule_is_audited_without_the_address(world: World) -> None:
    made = schedule(world, email=f"  {ADDRESS} ", codes=["srs", "phq9"])
    assert made.email == ADDRESS and made.measures == ["phq9", "srs"]  # alliance last
    (event,) = audit("link_schedule.create")
    assert event.actor_id == world.alice.id
    assert event.details["by_email"] is True and ADDRESS not in str(event.details)


def test_a_link_is_not_issued_before_its_day(world: World) -> None:
    made = schedule(world, send_on=TODAY + timedelta(days=1))
    assert run().outcomes == []
    assert count(RemoteLink) == 0
    assert made.state is ScheduleState.PENDING and made.reason is None


def test_without_an_address_the_link_is_ready_to_pass_on(world: World) -> None:
    made = schedule(world)
    summary = run()
    assert summary.text() == "processed 1 scheduled links: 1 ready to pass on"
    db.session.refresh(made)
    assert made.state is ScheduleState.READY and made.reason is None
    assert made.processed_at == NOW
    assert made.link is not None and made.link.created_by is None
    assert made.link.expires_at == NOW + timedelta(days=4)
    (event,) = audit("link_schedule.process")
    assert event.actor_id is None and event.details == {
        "state": "ready",
        "reason": None,
        "link": made.link.id,
    }


def test_a_second_run_issues_nothing(world: World) -> None:
    schedule(world)
    run()
    assert run().outcomes == []
    assert count(RemoteLink) == 1
    assert len(audit("link_schedule.process")) == 1


def test_a_run_holding_a_stale_list_cannot_process_a_schedule_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(world)
    stale = link_schedules.due_schedules(today=TODAY)
    run()  # the other scheduler
    monkeypatch.setattr(link_schedules, "due_schedules", lambda *, today: stale)
    assert run().outcomes == []
    assert count(RemoteLink) == 1 and len(audit("link.issue")) == 1


def test_the_link_is_emailed_and_the_address_cleared(world: World, smtp_server) -> None:
    smtp, received = smtp_server
    made = schedule(world, email=ADDRESS)
    assert run(smtp=smtp).text() == "processed 1 scheduled links: 1 emailed"
    db.session.refresh(made)
    assert made.state is ScheduleState.EMAILED and made.reason is None and made.email is None
    assert len(received) == 1 and received[0]["To"] == ADDRESS
    token = received[0].get_payload().split(f"{BASE_URL}/l/")[1].split()[0]
    assert made.link is not None and made.link.token_hash == links.hash_token(token)
    assert made.link.emailed_at == NOW
    every_detail = str([e.details for e in db.session.scalars(sa.select(AuditEvent))])
    assert ADDRESS not in every_detail


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [(None, "PUBLIC_BASE_URL is not set"), ("rom.example.test", "must start with https://")],
)
def test_without_a_public_address_the_link_is_not_emailed(
    world: World,
    smtp_server,
    base_url: str | None,
    reason: str,
) -> None:
    smtp, received = smtp_server
    made = schedule(world, email=ADDRESS)
    summary = run(smtp=smtp, base_url=base_url)
    db.session.refresh(made)
    assert made.state is ScheduleState.READY
    assert made.reason is not None and made.reason.startswith("not emailed: ")
    assert reason in made.reason
    assert made.email is None and received == []
    assert summary.text().splitlines() == [
        "processed 1 scheduled links: 1 ready to pass on",
        f"ready to pass on: {made.reason}",
    ]


def test_without_smtp_the_link_is_not_emailed(world: World) -> None:
    made = schedule(world, email=ADDRESS)
    run(smtp=None)
    db.session.refresh(made)
    assert made.state is ScheduleState.READY and made.email is None
    assert made.reason == "not emailed: email is not set up (SMTP_HOST, SMTP_FROM)"


def test_a_failing_relay_is_recorded_and_the_link_can_still_be_shown(world: World) -> None:
    made = schedule(world, email=ADDRESS)
    dead = SmtpSettings(host="127.0.0.1", port=1, sender="rom@example.test", timeout=2)
    summary = run(smtp=dead)
    db.session.refresh(made)
    assert made.state is ScheduleState.FAILED and made.email is None
    assert made.reason and made.reason != link_schedules.INTERRUPTED
    assert summary.text().splitlines() == [
        "processed 1 scheduled links: 1 email failed",
        f"email failed: {made.reason}",
    ]
    assert made.link is not None and made.link.emailed_at is None


def test_a_run_that_stops_while_emailing_leaves_the_schedule_failed_with_the_reason(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = schedule(world, email=ADDRESS)

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("the process was killed")

    monkeypatch.setattr(link_schedules, "send_link_email", crash)
    smtp = SmtpSettings(host="127.0.0.1", port=1, sender="rom@example.test", timeout=2)
    with pytest.raises(RuntimeError):
        run(smtp=smtp)
    db.session.rollback()
    db.session.refresh(made)
    assert made.state is ScheduleState.FAILED and made.reason == link_schedules.INTERRUPTED
    assert made.processed_at == NOW and made.link is not None  # the therapist can pass it on
    assert run(smtp=smtp).outcomes == []


def test_closing_the_episode_cancels_its_schedules_and_forgets_the_address(world: World) -> None:
    made = schedule(world, email=ADDRESS)
    episode = world.alices_client.current_episode
    care.close_episode(
        episode=episode, closed_on=TODAY, status=EpisodeStatus.CLOSED, reason="", by=world.alice
    )
    db.session.refresh(made)
    assert made.processed_at is not None and made.email is None
    assert made.state is ScheduleState.CANCELLED and made.reason == "episode closed"
    assert audit("episode.close")[-1].details["scheduled_links_cancelled"] == 1
    assert run().text().startswith("processed 0")
    assert count(RemoteLink) == 0


def test_an_episode_closed_outside_the_service_is_skipped(world: World) -> None:
    made = schedule(world, email=ADDRESS)
    episode = world.alices_client.current_episode
    episode.status = EpisodeStatus.CLOSED.value  # e.g. closed by an import, not by close_episode
    db.session.commit()
    assert run().text() == "processed 1 scheduled links: 1 skipped"
    db.session.refresh(made)
    assert made.state is ScheduleState.SKIPPED and made.reason == "episode closed"
    assert made.email is None and made.link is None
    assert count(RemoteLink) == 0


def test_a_cancelled_schedule_is_never_issued(world: World) -> None:
    made = schedule(world, email=ADDRESS)
    link_schedules.cancel_schedule(schedule=made, by=world.alice, now=NOW)
    assert run().outcomes == []
    db.session.refresh(made)
    assert made.state is ScheduleState.CANCELLED and made.reason is None and made.email is None
    assert [e.actor_id for e in audit("link_schedule.cancel")] == [world.alice.id]
    with pytest.raises(ServiceError, match="already sent or cancelled"):
        link_schedules.cancel_schedule(schedule=made, by=world.alice, now=NOW)


def test_a_processed_schedule_cannot_be_cancelled(world: World) -> None:
    made = schedule(world)
    run()
    with pytest.raises(ServiceError, match="already sent or cancelled"):
        link_schedules.cancel_schedule(schedule=made, by=world.alice, now=NOW)
    assert db.session.get_one(LinkSchedule, made.id).state is ScheduleState.READY


def test_showing_a_ready_link_gives_a_fresh_token_until_the_client_opens_it(world: World) -> None:
    made = schedule(world)
    run()
    first = link_schedules.reveal_link(schedule=made, by=world.alice, now=NOW)
    second = link_schedules.reveal_link(schedule=made, by=world.alice, now=NOW)
    assert first.token != second.token
    assert first.link.token_hash == links.hash_token(second.token)  # the first copy is dead
    links.open_link(link=links.find_link(token=second.token, now=NOW), now=NOW)
    with pytest.raises(ServiceError, match="opened"):
        link_schedules.reveal_link(schedule=made, by=world.alice, now=NOW)
    assert len(audit("link.reveal")) == 2


def test_the_emailed_address_agrees_with_the_route(app: Flask) -> None:
    with app.test_request_context(base_url="https://rom.example.test/clinic/"):
        expected = url_for("links.start", token="abc", _external=True)
    assert link_url("https://rom.example.test/clinic/", "abc") == expected


def test_pending_schedules_come_first_on_the_panel(world: World) -> None:
    later = schedule(world, send_on=TODAY + timedelta(days=7))
    done = schedule(world)
    soon = schedule(world, send_on=TODAY + timedelta(days=1))
    run()
    episode = world.alices_client.current_episode
    assert link_schedules.episode_schedules(episode) == [soon, later, done]


def test_the_panel_keeps_only_the_recent_processed_schedules(world: World) -> None:
    first_done = schedule(world)
    second_done = schedule(world)
    pending = schedule(world, send_on=TODAY + timedelta(days=3))
    run()
    episode = world.alices_client.current_episode
    assert first_done.processed_at == second_done.processed_at  # one run: the id decides
    assert link_schedules.episode_schedules(episode, recent=1) == [pending, second_done]
    assert link_schedules.episode_schedules(episode, recent=0) == [pending]
    assert link_schedules.episode_schedules(episode) == [pending, second_done, first_done]
