"""Accounts without shared secrets: invitation and reset links; the admin never sets a password."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import AccountToken, AuditEvent, Role, TokenPurpose, User
from outcome_monitor.services import NotFound, ServiceError, invitations
from outcome_monitor.services.invitations import TokenUnavailable
from tests.accounts.helpers import invitation_link
from tests.conftest import PASSWORD, World, count, login

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NEW = "a password nobody else knows"


def _invite(
    world: World, email: str = "dora@example.test", **kwargs: Any
) -> invitations.IssuedToken:
    return invitations.invite_user(
        email=email,
        display_name="Dora",
        role=kwargs.get("role", Role.THERAPIST),
        team=kwargs.get("team", world.north),
        by=world.ada,
        now=kwargs.get("now") or datetime.now(UTC),
        valid_for=timedelta(days=7),
    )


def _invite_on_the_web(admin: FlaskClient, world: World) -> Any:
    return admin.post(
        "/admin/users",
        data={
            "email": "dora@example.test",
            "display_name": "Dora",
            "role": "therapist",
            "team_id": world.north.id,
        },
        follow_redirects=True,
    )


def test_the_invitation_link_is_shown_to_the_admin_once(login_as, world: World) -> None:
    admin = login_as(world.ada)
    page = _invite_on_the_web(admin, world).get_data(as_text=True)
    assert "/account/setup/" in invitation_link(page)
    assert "shown only now" in page
    assert "/account/setup/" not in admin.get("/admin/users").get_data(as_text=True)


def test_only_a_digest_of_the_token_is_stored(world: World) -> None:
    issued = _invite(world)
    row = db.session.scalar(sa.select(AccountToken))
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str([row.token_hash, row.id])
    assert row.purpose == TokenPurpose.INVITATION


def test_with_smtp_the_link_is_emailed_to_the_user_and_not_shown_to_the_admin(
    app: Flask,
    login_as,
    world: World,
    mail_inbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received = mail_inbox
    page = _invite_on_the_web(login_as(world.ada), world).get_data(as_text=True)
    assert "/account/setup/" not in page
    assert "emailed to dora@example.test" in page
    assert len(received) == 1 and received[0]["To"] == "dora@example.test"
    assert invitation_link(received[0].get_payload())


def test_the_holder_of_the_link_sets_the_password_and_the_link_then_dies(
    client: FlaskClient, world: World
) -> None:
    link = invitation_link("http://localhost/account/setup/" + _invite(world).token)
    page = client.get(link).get_data(as_text=True)
    assert "Welcome, Dora" in page and "not even your administrator" in page
    response = client.post(link, data={"password": NEW, "confirm": NEW})
    assert response.headers["Location"].endswith("/account/mfa")
    client.post("/logout")
    assert client.get(link).status_code == 410
    assert (
        client.post(
            link, data={"password": "another password!", "confirm": "another password!"}
        ).status_code
        == 410
    )
    assert login(client, "dora@example.test", NEW).status_code == 302
    assert count(AuditEvent, AuditEvent.action == "user.accept_invitation") == 1


def test_an_expired_or_unknown_link_is_refused(client: FlaskClient, world: World) -> None:
    issued = _invite(world, now=datetime.now(UTC) - timedelta(days=8))
    assert client.get(f"/account/setup/{issued.token}").status_code == 410
    assert client.get("/account/setup/not-a-token").status_code == 404
    with pytest.raises(TokenUnavailable):
        invitations.redeem(token=issued.token, password=NEW, now=datetime.now(UTC))
    with pytest.raises(NotFound):
        invitations.redeem(token="not-a-token", password=NEW, now=datetime.now(UTC))


def test_a_short_password_is_refused_and_the_link_still_works(
    client: FlaskClient, world: World
) -> None:
    link = f"/account/setup/{_invite(world).token}"
    page = client.post(link, data={"password": "short", "confirm": "short"})
    assert page.status_code == 200 and "at least 10 and" in page.get_data(as_text=True)
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 302


def test_an_invited_account_cannot_log_in_before_choosing_a_password(
    client: FlaskClient, world: World
) -> None:
    _invite(world)
    for password in ("", "None", PASSWORD):
        assert login(client, "dora@example.test", password).status_code in (200, 429)
    assert (
        db.session.scalar(sa.select(User.password_hash).where(User.email == "dora@example.test"))
        is None
    )


def test_a_reset_clears_the_password_and_a_new_link_replaces_the_old(
    client: FlaskClient, world: World
) -> None:
    first = invitations.issue_password_reset(
        user=world.bob, by=world.ada, now=NOW, valid_for=timedelta(hours=24)
    )
    assert world.bob.password_hash is None
    second = invitations.issue_password_reset(
        user=world.bob, by=world.ada, now=NOW, valid_for=timedelta(hours=24)
    )
    assert second.purpose == TokenPurpose.INVITATION  # no password yet: an invitation again
    later = NOW + timedelta(minutes=5)
    with pytest.raises(TokenUnavailable):
        invitations.redeem(token=first.token, password=NEW, now=later)
    invitations.redeem(token=second.token, password=NEW, now=later)
    assert login(client, world.bob, NEW).status_code == 302


def test_the_reset_page_of_an_account_with_mfa_sends_to_the_login(
    client: FlaskClient, world: World
) -> None:
    world.bob.mfa_secret, world.bob.mfa_enabled_at = "JBSWY3DPEHPK3PXP", NOW
    db.session.commit()
    issued = invitations.issue_password_reset(
        user=world.bob, by=world.ada, now=datetime.now(UTC), valid_for=timedelta(hours=1)
    )
    response = client.post(f"/account/setup/{issued.token}", data={"password": NEW, "confirm": NEW})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/clients/").status_code == 302  # the code is still needed


def test_users_change_their_own_password_with_the_current_one(login_as, world: World) -> None:
    client = login_as(world.alice)
    wrong = client.post(
        "/account/password", data={"current": "not it at all", "password": NEW, "confirm": NEW}
    )
    assert "not your current password" in wrong.get_data(as_text=True)
    client.post("/account/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    client.post("/logout")
    assert login(client, world.alice, PASSWORD).status_code == 200
    assert login(client, world.alice, NEW).status_code == 302


def test_a_deactivated_account_gets_no_reset_link(world: World) -> None:
    world.bob.active = False
    db.session.commit()
    with pytest.raises(ServiceError, match="Reactivate"):
        invitations.issue_password_reset(
            user=world.bob, by=world.ada, now=NOW, valid_for=timedelta(hours=1)
        )


def test_the_operator_still_creates_a_user_with_a_password(
    runner, client: FlaskClient, app: Flask
) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "op@example.test",
            "--role",
            "admin",
            "--password",
            "set by the operator",
        ]
    )
    assert result.exit_code == 0, result.output
    assert login(client, "op@example.test", "set by the operator").status_code == 302
