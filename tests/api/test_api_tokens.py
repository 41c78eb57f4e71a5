"""Personal access tokens: issued once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import ApiToken, AuditEvent, TokenScope
from outcome_monitor.services import ServiceError, accounts, api_tokens
from tests.api.conftest import NOW, assert_problem, issue
from tests.conftest import World, count

SECRET = re.compile(r"omt_[A-Za-z0-9_\-]{40,}")


def _stored_text() -> str:
    """Everything the token and audit tables hold, as one string."""
    rows = db.session.execute(sa.select(ApiToken.__table__)).all()
    events = db.session.scalars(sa.select(AuditEvent.details)).all()
    return repr(rows) + repr(events)


def test_only_the_hash_and_a_short_prefix_of_the_secret_are_stored(world: World) -> None:
    secret = issue(world.alice)
    token = db.session.scalar(sa.select(ApiToken))
    assert token is not None
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and len(token.prefix) == 12
    assert secret not in _stored_text()


def test_a_fresh_token_reads_and_stamps_its_last_use(api, world: World) -> None:
    secret = issue(world.alice)
    assert api("GET", "/api/clients", secret).status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    assert token is not None and token.last_used_at is not None


def test_unknown_expired_and_revoked_tokens_are_refused_alike(api, world: World) -> None:
    expired = issue(world.alice, days=1, now=NOW - timedelta(days=2))
    revoked = issue(world.alice)
    api_tokens.revoke_token(
        token_id=db.session.scalar(sa.select(sa.func.max(ApiToken.id))), by=world.alice, now=NOW
    )
    answers = [
        api("GET", "/api/clients", secret)
        for secret in (expired, revoked, "omt_" + "x" * 43, "not a token at all")
    ]
    bodies = [assert_problem(response, 401) for response in answers]
    assert all(body == bodies[0] for body in bodies)
    assert all(r.headers["WWW-Authenticate"].startswith("Bearer") for r in answers)


def test_a_request_without_a_token_is_401(api, world: World) -> None:
    assert_problem(api("GET", "/api/clients"), 401)


def test_a_deactivated_users_tokens_stop_working(api, world: World) -> None:
    secret = issue(world.alice)
    accounts.set_active(user=world.alice, active=False, by=world.ada)
    assert_problem(api("GET", "/api/clients", secret), 401)


def test_expiry_is_bounded(world: World) -> None:
    for days in (0, 366):
        with pytest.raises(ServiceError):
            api_tokens.create_token(
                user=world.alice,
                name="x",
                scope=TokenScope.READ,
                expires_days=days,
                by=world.alice,
                now=NOW,
            )
    assert count(ApiToken) == 0


def test_cli_prints_the_token_once_and_it_works(runner, api, world: World) -> None:
    result = runner.invoke(
        args=["api-token", "create", "--email", "ALICE@example.test", "--expires-days", "7"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert SECRET.fullmatch(secret)
    assert "shown only now" in result.stderr
    token = db.session.scalar(sa.select(ApiToken))
    assert token is not None
    assert token.scope == TokenScope.READ  # least privilege unless asked
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert api("GET", "/api/clients", secret).status_code == 200


def test_cli_issues_a_read_write_token_when_asked(runner, world: World) -> None:
    result = runner.invoke(
        args=["api-token", "create", "--email", world.alice.email, "--scope", "read-write"]
    )
    assert result.exit_code == 0, result.output
    token = db.session.scalar(sa.select(ApiToken))
    assert token is not None and token.scope == TokenScope.READ_WRITE


def test_cli_refuses_an_unknown_email(runner, world: World) -> None:
    result = runner.invoke(args=["api-token", "create", "--email", "nobody@example.test"])
    assert result.exit_code != 0
    assert "No active user" in result.output
    assert count(ApiToken) == 0


def test_the_page_shows_a_new_secret_once_then_only_its_prefix(login_as, world: World) -> None:
    client = login_as(world.alice)
    created = client.post(
        "/account/tokens", data={"name": "EHR link", "scope": "read-write", "expires_days": "30"}
    )
    assert created.status_code == 200
    secret = SECRET.search(created.get_data(as_text=True))
    assert secret is not None
    token = db.session.scalar(sa.select(ApiToken))
    assert token is not None and token.scope == TokenScope.READ_WRITE
    assert token.name == "EHR link"
    later = client.get("/account/tokens").get_data(as_text=True)
    assert secret.group() not in later
    assert token.prefix in later and "EHR link" in later


def test_the_nav_links_to_the_token_page(login_as, world: World) -> None:
    page = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert 'href="/account/tokens"' in page


def test_a_user_revokes_their_token_and_it_stops_working(login_as, api, world: World) -> None:
    secret = issue(world.alice)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    response = login_as(world.alice).post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert_problem(api("GET", "/api/clients", secret), 401)
    assert count(AuditEvent, AuditEvent.action == "api_token.revoke") == 1


def test_another_users_token_cannot_be_revoked(login_as, api, world: World) -> None:
    secret = issue(world.alice)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    assert login_as(world.carol).post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert api("GET", "/api/clients", secret).status_code == 200
