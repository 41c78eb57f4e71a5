from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent
from outcome_monitor.web.session_expiry import LAST_SEEN
from tests.conftest import World, count, login


def test_login_page_has_the_stable_fields(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    for name in ('name="email"', 'name="password"'):
        assert name in page


def test_login_with_good_password_reaches_caseload(client: FlaskClient, world: World) -> None:
    response = login(client, world.alice)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/clients/")
    assert client.get("/clients/").status_code == 200
    db.session.refresh(world.alice)
    assert world.alice.last_login_at is not None


def test_login_with_bad_password_is_refused(client: FlaskClient, world: World) -> None:
    response = login(client, world.alice, password="wrong password!")
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/clients/").status_code == 302


def test_deactivated_user_cannot_log_in(client: FlaskClient, world: World) -> None:
    world.bob.active = False
    db.session.commit()
    assert login(client, world.bob).status_code == 200


def test_too_many_attempts_get_a_clear_message(client: FlaskClient, world: World) -> None:
    for _ in range(5):
        login(client, world.alice, password="wrong password!")
    response = login(client, world.alice)
    assert response.status_code == 429
    assert "Too many login attempts" in response.get_data(as_text=True)


def test_session_expires_after_inactivity(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session[LAST_SEEN] = datetime.now(UTC).timestamp() - idle - 5
    response = client.get("/clients/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/clients/").status_code == 302


def test_activity_within_the_limit_keeps_the_session(client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    with client.session_transaction() as session:
        session[LAST_SEEN] = datetime.now(UTC).timestamp() - 60
    assert client.get("/clients/").status_code == 200


def test_logout_ends_the_session(client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    assert client.post("/logout").status_code == 302
    assert client.get("/clients/").status_code == 302


def test_login_is_audited(client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    assert count(AuditEvent, AuditEvent.action == "user.login") == 1


def test_open_redirect_is_ignored(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": world.alice.email, "password": "correct horse battery"},
    )
    assert response.headers["Location"].endswith("/clients/")


def test_forms_carry_a_csrf_token_and_posts_without_it_are_rejected() -> None:
    class WithCsrf(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.WTF_CSRF_ENABLED = True

    app = create_app(WithCsrf)
    client = app.test_client()
    assert 'name="csrf_token"' in client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": "a@example.test", "password": "whatever"})
    assert response.status_code == 400
