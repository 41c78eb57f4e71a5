"""The "Schedule a link" form and the scheduled links on the client page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, LinkSchedule, ScheduleState
from outcome_monitor.services import link_schedules, links
from tests.builders import unchanged
from tests.conftest import World, count

ADDRESS = "client@example.test"


def tomorrow() -> date:
    return datetime.now(UTC).date() + timedelta(days=1)


def post_schedule(client, world: World, **data) -> object:
    episode = world.alices_client.current_episode
    form = {"measures": ["gad7"], "send_on": tomorrow().isoformat()} | data
    return client.post(f"/links/episodes/{episode.id}/schedules", data=form, follow_redirects=True)


def make_schedule(world: World, email: str | None = None) -> LinkSchedule:
    today = datetime.now(UTC).date()
    return link_schedules.schedule_link(
        episode=world.alices_client.current_episode,
        codes=["srs"],
        send_on=today,
        email=email,
        by=world.alice,
        now=datetime.now(UTC),
        today=today - timedelta(days=1),
    )


def process_due() -> None:
    link_schedules.issue_due_links(
        today=tomorrow(), now=datetime.now(UTC), smtp=None, base_url=None, valid_days=4
    )


def test_the_client_page_offers_to_schedule_a_link(login_as, world: World) -> None:
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "Schedule a link" in page and 'name="send_on"' in page


def test_the_therapist_schedules_a_link_and_sees_it_waiting(login_as, world: World) -> None:
    response = post_schedule(login_as(world.alice), world, email=ADDRESS)
    page = response.get_data(as_text=True)
    assert f"The link will be sent on {tomorrow().isoformat()}" in page
    assert "waiting to be sent by email" in page and ADDRESS not in page
    made = db.session.scalars(sa.select(LinkSchedule)).one()
    assert made.email == ADDRESS and made.created_by_id == world.alice.id


def test_a_past_date_is_refused(login_as, world: World) -> None:
    yesterday = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    page = post_schedule(login_as(world.alice), world, send_on=yesterday).get_data(as_text=True)
    assert "Choose a date from today" in page
    assert count(LinkSchedule) == 0


def test_a_schedule_without_a_date_is_refused(login_as, world: World) -> None:
    page = post_schedule(login_as(world.alice), world, send_on="").get_data(as_text=True)
    assert "the day to send the link" in page
    assert count(LinkSchedule) == 0


def test_carol_cannot_schedule_a_link_for_alices_client(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    response = login_as(world.carol).post(
        f"/links/episodes/{episode.id}/schedules",
        data={"measures": ["srs"], "send_on": tomorrow().isoformat()},
    )
    assert response.status_code == 404
    assert count(LinkSchedule) == 0


def test_carol_cannot_cancel_or_show_alices_scheduled_link(login_as, world: World) -> None:
    made = make_schedule(world)
    client = login_as(world.carol)
    with unchanged():
        assert client.post(f"/links/schedules/{made.id}/cancel").status_code == 404
        assert client.post(f"/links/schedules/{made.id}/show").status_code == 404
        assert client.post("/links/schedules/999999/cancel").status_code == 404
    assert db.session.get_one(LinkSchedule, made.id).processed_at is None


def test_the_therapist_cancels_a_scheduled_link(login_as, world: World) -> None:
    made = make_schedule(world, email=ADDRESS)
    client = login_as(world.alice)
    page = client.post(f"/links/schedules/{made.id}/cancel", follow_redirects=True)
    assert "The scheduled link was cancelled" in page.get_data(as_text=True)
    db.session.refresh(made)
    assert made.state is ScheduleState.CANCELLED and made.email is None
    again = client.post(f"/links/schedules/{made.id}/cancel", follow_redirects=True)
    assert "already sent or cancelled" in again.get_data(as_text=True)


def test_a_ready_link_is_shown_once_on_request(login_as, world: World) -> None:
    made = make_schedule(world)
    process_due()
    client = login_as(world.alice)
    panel = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "ready to pass on" in panel and "Show the link" in panel
    page = client.post(f"/links/schedules/{made.id}/show", follow_redirects=True)
    token = re.search(r"http://localhost/l/([\w-]+)", page.get_data(as_text=True)).group(1)
    db.session.refresh(made)
    assert made.link is not None and made.link.token_hash == links.hash_token(token)
    assert token not in client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    revealed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "link.reveal"))
    assert [e.actor_id for e in revealed] == [world.alice.id]


def test_a_link_that_could_not_be_emailed_shows_why(login_as, world: World) -> None:
    make_schedule(world, email=ADDRESS)
    process_due()  # no SMTP set up
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "ready to pass on" in page and "Show the link" in page
    assert "(not emailed: email is not set up (SMTP_HOST, SMTP_FROM))" in page
    assert "Cancel" not in page.split('aria-label="Scheduled links"')[1]
