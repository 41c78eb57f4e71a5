"""Remote links: hashed tokens, expiry, one-time use, audit, email through a local SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, AuditEvent, EntryMode, RemoteLink
from outcome_monitor.services import NotFound, ServiceError, links
from outcome_monitor.services.links import IssuedLink, LinkExpired, LinkUsed, hash_token
from outcome_monitor.services.mail import SmtpSettings, check_address
from tests.conftest import World, count

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SRS = {"1": 8.0, "2": 8.5, "3": 9.0, "4": 9.0}


def issue(world: World, *, by: Any = "alice", days: int = 4, now: datetime = NOW) -> IssuedLink:
    return links.issue_link(
        episode=world.alices_client.current_episode,
        codes=["srs"],
        by=world.alice if by == "alice" else by,
        now=now,
        valid_days=days,
    )


def test_only_a_hash_of_the_token_is_stored(world: World) -> None:
    issued = issue(world)
    stored = db.session.scalars(sa.select(RemoteLink)).one()
    assert stored.token_hash == hash_token(issued.token) != issued.token
    assert len(issued.token) >= 40
    assert stored.expires_at == NOW + timedelta(days=4)


def test_a_scheduled_link_has_no_actor(world: World) -> None:
    issue(world, by=None)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "link.issue")).one()
    assert event.actor_id is None and event.details["scheduled"] is True


def test_validity_is_bounded(world: World) -> None:
    with pytest.raises(ServiceError):
        issue(world, days=0)


def test_an_unknown_token_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        links.find_link(token="not-a-token", now=NOW)


def test_an_expired_link_says_so_and_is_audited(world: World) -> None:
    issued = issue(world, days=1)
    with pytest.raises(LinkExpired, match="expired"):
        links.find_link(token=issued.token, now=NOW + timedelta(days=1))
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "link.refused"))
    assert [(e.details["reason"], e.outcome) for e in refused] == [("expired", "denied")]


def test_a_finished_link_is_used_up(world: World) -> None:
    issued = issue(world)
    link = links.find_link(token=issued.token, now=NOW)
    links.open_link(link=link, now=NOW)
    links.submit_link_measure(link=link, code="srs", answers=SRS, now=NOW)
    assert link.used_at == NOW
    administration = db.session.scalars(sa.select(Administration)).one()
    assert administration.entry_mode == EntryMode.REMOTE_LINK and administration.total == 34.5
    with pytest.raises(LinkUsed, match="already been used"):
        links.find_link(token=issued.token, now=NOW)
    assert links.already_used(issued.token)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"link.issue", "link.open", "link.complete", "link.refused"} <= actions


def test_used_wins_over_expired(world: World) -> None:
    issued = issue(world, days=1)
    links.submit_link_measure(link=issued.link, code="srs", answers=SRS, now=NOW)
    with pytest.raises(LinkUsed):
        links.find_link(token=issued.token, now=NOW + timedelta(days=3))


def test_link_status_for_the_panel(world: World) -> None:
    issued = issue(world, days=1)
    assert links.link_status(issued.link, NOW) == "waiting"
    links.open_link(link=issued.link, now=NOW)
    assert links.link_status(issued.link, NOW) == "opened"
    assert links.link_status(issued.link, NOW + timedelta(days=2)) == "expired"


@pytest.mark.parametrize(
    "address", ["", "no-at-sign", "a@b", "a@b.test\nBcc: x@y.test", "A <a@b.test>"]
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(ServiceError):
        check_address(address)


def test_smtp_settings_come_from_the_config_or_not_at_all() -> None:
    assert SmtpSettings.from_config({}) is None
    smtp = SmtpSettings.from_config({"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "rom@example.test"})
    assert smtp == SmtpSettings(host="127.0.0.1", port=25, sender="rom@example.test")


def test_the_link_is_emailed_and_the_address_not_stored(world: World, smtp_server) -> None:
    smtp, received = smtp_server
    issued = issue(world)
    url = f"https://rom.example.test/l/{issued.token}"
    links.send_link_email(
        link=issued.link, url=url, to="client@example.test", smtp=smtp, by=world.alice, now=NOW
    )
    assert len(received) == 1
    assert received[0]["To"] == "client@example.test"
    assert url in received[0].get_payload()
    assert issued.link.emailed_at == NOW
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "link.email"))
    assert "client@example.test" not in str([e.details for e in events])


def test_a_failing_relay_is_a_service_error(world: World) -> None:
    issued = issue(world)
    dead = SmtpSettings(host="127.0.0.1", port=1, sender="rom@example.test", timeout=2)
    with pytest.raises(ServiceError, match="could not be sent"):
        links.send_link_email(
            link=issued.link, url="u", to="client@example.test", smtp=dead, by=None, now=NOW
        )
    assert issued.link.emailed_at is None
    assert count(AuditEvent, AuditEvent.action == "link.email") == 0
