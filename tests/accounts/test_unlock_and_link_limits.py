"""Limits per sitting and per token: a hand-over locks its PIN; a link counts per token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import HandOver
from outcome_monitor.services import ServiceError, accounts, links
from outcome_monitor.services import handover as handovers
from tests.conftest import PASSWORD, World

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
PIN = "4821"


def _handover(world: World) -> HandOver:
    accounts.set_unlock_pin(user=world.alice, pin=PIN, by=world.alice)
    return handovers.start_handover(
        episode=world.alices_client.current_episode,
        session_id=None,
        codes=["srs"],
        by=world.alice,
        now=NOW,
    )


def _unlock(handover: HandOver, secret: str, email: str | None = None) -> None:
    handovers.unlock_handover(
        handover=handover, email=email, secret=secret, now=NOW, pin_attempts=3
    )


def test_after_three_wrong_attempts_the_right_pin_no_longer_unlocks(world: World) -> None:
    handover = _handover(world)
    for _ in range(3):
        with pytest.raises(ServiceError):
            _unlock(handover, "0000")
    with pytest.raises(ServiceError, match="PIN no longer unlocks"):
        _unlock(handover, PIN)
    assert handover.failed_unlocks == 4


def test_after_the_pin_locks_the_therapists_password_still_unlocks(world: World) -> None:
    handover = _handover(world)
    for _ in range(3):
        with pytest.raises(ServiceError):
            _unlock(handover, "0000")
    _unlock(handover, PASSWORD)
    assert handover.unlocked_by == world.alice
    assert handover.failed_unlocks == 0


def test_fewer_wrong_attempts_leave_the_pin_working(world: World) -> None:
    handover = _handover(world)
    for _ in range(2):
        with pytest.raises(ServiceError, match="does not unlock"):
            _unlock(handover, "0000")
    _unlock(handover, PIN)
    assert handover.unlocked_by == world.alice


def test_the_count_is_per_sitting_whatever_the_address(
    app: Flask, login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "UNLOCK_PIN_ATTEMPTS", 2)
    client = login_as(world.alice)
    accounts.set_unlock_pin(user=world.alice, pin=PIN, by=world.alice)
    client.post(
        f"/tablet/episodes/{world.alices_client.current_episode.id}/start",
        data={"measures": ["srs"], "session_id": 0},
    )
    for address in ("10.0.0.1", "10.0.0.2"):
        client.post(
            "/tablet/unlock", data={"secret": "0000"}, environ_base={"REMOTE_ADDR": address}
        )
    page = client.post(
        "/tablet/unlock", data={"secret": PIN}, environ_base={"REMOTE_ADDR": "10.0.0.3"}
    )
    assert "PIN no longer unlocks" in page.get_data(as_text=True)
    response = client.post(
        "/tablet/unlock", data={"secret": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.4"}
    )
    assert response.status_code == 302


def test_an_unknown_email_at_the_tablet_costs_one_verification(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: calls.append(h) or real(self, h, p)
    )
    handover = _handover(world)
    with pytest.raises(ServiceError):
        _unlock(handover, "whatever", email="nobody@example.test")
    assert len(calls) == 1


def _issue(world: World) -> str:
    return links.issue_link(
        episode=world.alices_client.current_episode,
        codes=["srs"],
        by=world.alice,
        now=datetime.now(UTC),
        valid_days=4,
    ).token


def test_link_requests_are_counted_per_token_across_addresses(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LINK_TOKEN_RATE_LIMIT", "3 per minute")
    token, other = _issue(world), _issue(world)
    codes = [
        client.get(f"/l/{token}", environ_base={"REMOTE_ADDR": f"10.0.1.{n}"}).status_code
        for n in range(4)
    ]
    assert codes[:3] != [429, 429, 429] and codes[3] == 429
    assert client.get(f"/l/{other}", environ_base={"REMOTE_ADDR": "10.0.1.0"}).status_code != 429


def test_guessing_behind_a_shared_address_does_not_lock_out_real_links(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LINK_FAILURE_RATE_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "LINK_RATE_LIMIT", "5 per minute")
    guesses = [client.get(f"/l/guess-{n}").status_code for n in range(6)]
    assert guesses[:3] == [404, 404, 404] and set(guesses[3:]) == {429}
    assert client.get(f"/l/{_issue(world)}").status_code == 200
    db.session.remove()
