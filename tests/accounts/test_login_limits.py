"""Login limits per account, not only per address; the same work whether or not an email exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent
from outcome_monitor.services import accounts, invitations
from tests.accounts.helpers import code_for, enrol, frozen_clock
from tests.conftest import PASSWORD, World, count, login

LOCKED = "Too many failed attempts for this account"


@pytest.fixture
def verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification made, counted (never timed)."""
    calls: list[str] = []
    real: Callable[..., Any] = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str, password: str) -> Any:
        calls.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


@pytest.fixture
def three_strikes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)
    monkeypatch.setitem(app.config, "LOGIN_LOCK_MINUTES", 15)
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "100 per minute")


def _deactivated(world: World) -> str:
    accounts.set_active(user=world.bob, active=False, by=world.ada)
    return world.bob.email


def _invited(world: World) -> str:
    from datetime import UTC, datetime, timedelta

    from outcome_monitor.models import Role

    invitations.invite_user(
        email="dora@example.test",
        display_name="Dora",
        role=Role.THERAPIST,
        team=None,
        by=world.ada,
        now=datetime.now(UTC),
        valid_for=timedelta(days=1),
    )
    return "dora@example.test"


@pytest.mark.parametrize(
    ("case", "email_of", "password"),
    [
        ("unknown email", lambda w: "nobody@example.test", "whatever password"),
        ("known email, wrong password", lambda w: w.alice.email, "whatever password"),
        ("known email, right password", lambda w: w.alice.email, PASSWORD),
        ("deactivated account", _deactivated, PASSWORD),
        ("invited, no password yet", _invited, "whatever password"),
    ],
)
def test_every_password_attempt_costs_exactly_one_argon2_verification(
    client: FlaskClient,
    world: World,
    verify_calls: list[str],
    case: str,
    email_of: Any,
    password: str,
) -> None:
    email = email_of(world)
    verify_calls.clear()
    login(client, email, password)
    assert len(verify_calls) == 1, case


def test_a_locked_account_still_costs_one_verification(
    client: FlaskClient, world: World, verify_calls: list[str], three_strikes: None
) -> None:
    for _ in range(3):
        login(client, world.alice, "wrong password!")
    verify_calls.clear()
    login(client, world.alice)
    assert len(verify_calls) == 1


def test_the_account_locks_after_n_failures_even_for_the_right_password(
    client: FlaskClient, world: World, three_strikes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    for _ in range(2):
        assert LOCKED not in login(client, world.alice, "wrong password!").get_data(as_text=True)
    assert LOCKED in login(client, world.alice, "wrong password!").get_data(as_text=True)
    page = login(client, world.alice)
    assert page.status_code == 200 and LOCKED in page.get_data(as_text=True)
    assert "15 minutes" in page.get_data(as_text=True)
    assert count(AuditEvent, AuditEvent.action == "user.login_locked") == 1
    clock.advance(minutes=16)
    assert login(client, world.alice).status_code == 302


def test_the_lock_is_per_account(client: FlaskClient, world: World, three_strikes: None) -> None:
    for _ in range(3):
        login(client, world.alice, "wrong password!")
    assert login(client, world.bob).status_code == 302  # same address, other account


def test_an_unknown_email_locks_the_same_way(
    client: FlaskClient, world: World, three_strikes: None
) -> None:
    """The lock message must not tell which emails have accounts."""
    pages = []
    for email in ("nobody@example.test", world.alice.email):
        for _ in range(3):
            page = login(client, email, "wrong password!")
        pages.append(page.get_data(as_text=True).replace(email, "EMAIL"))
    assert LOCKED in pages[0]
    assert pages[0] == pages[1]


def test_a_success_resets_the_count(client: FlaskClient, world: World, three_strikes: None) -> None:
    for _ in range(2):
        login(client, world.alice, "wrong password!")
    login(client, world.alice)
    client.post("/logout")
    for _ in range(2):
        login(client, world.alice, "wrong password!")
    assert login(client, world.alice).status_code == 302


def test_wrong_second_factor_codes_count_and_a_right_password_does_not_reset_them(
    client: FlaskClient, world: World, three_strikes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    secret, _codes = enrol(client, clock.at)
    client.post("/logout")
    for _ in range(3):
        login(client, world.alice)  # the right password each time
        page = client.post("/login/code", data={"code": "000000"}).get_data(as_text=True)
    assert LOCKED in page
    clock.advance(seconds=30)
    login(client, world.alice)
    assert client.get("/clients/").status_code == 302
    assert client.post("/login/code", data={"code": code_for(secret, clock.at)}).status_code == 200


def test_an_admin_lifts_the_lock(
    client: FlaskClient, login_as, world: World, three_strikes: None, app: Flask
) -> None:
    for _ in range(3):
        login(client, world.alice, "wrong password!")
    admin = app.test_client()
    login(admin, world.ada)
    assert "paused after failed attempts" in admin.get(f"/admin/users/{world.alice.id}").get_data(
        as_text=True
    )
    admin.post(f"/admin/users/{world.alice.id}/unlock")
    assert login(client, world.alice).status_code == 302


def test_a_reset_link_clears_the_lock(
    client: FlaskClient, world: World, three_strikes: None
) -> None:
    from datetime import UTC, datetime, timedelta

    for _ in range(3):
        login(client, world.alice, "wrong password!")
    issued = invitations.issue_password_reset(
        user=world.alice, by=world.ada, now=datetime.now(UTC), valid_for=timedelta(hours=1)
    )
    invitations.redeem(token=issued.token, password="a brand new password", now=datetime.now(UTC))
    db.session.expire_all()
    assert login(client, world.alice, "a brand new password").status_code == 302
