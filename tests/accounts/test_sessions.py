"""Sessions that end: logout is a POST, and a copied cookie dies with the session it copied."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.services import accounts
from tests.accounts.helpers import copied_session, frozen_clock
from tests.conftest import PASSWORD, World, login


def test_get_logout_only_asks_and_keeps_the_session(client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    page = client.get("/logout")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert client.get("/clients/").status_code == 200


def test_the_menu_logs_out_with_a_post_form(client: FlaskClient, world: World) -> None:
    login(client, world.alice)
    page = client.get("/clients/").get_data(as_text=True)
    assert '<form class="nav-logout" method="post" action="/logout">' in page
    assert 'href="/logout"' not in page


def test_a_cookie_copied_before_logout_no_longer_works_after_it(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.alice)
    thief = copied_session(client, app)
    assert thief.get("/clients/").status_code == 200
    assert client.post("/logout").status_code == 302
    response = thief.get("/clients/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logging_out_ends_the_users_other_sessions_too(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.alice)
    other_device = app.test_client()
    login(other_device, world.alice)
    client.post("/logout")
    assert other_device.get("/clients/").status_code == 302


def test_a_copied_cookie_dies_when_an_admin_resets_the_password(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.bob)
    thief = copied_session(client, app)
    admin = app.test_client()
    login(admin, world.ada)
    admin.post(f"/admin/users/{world.bob.id}/reset-link")
    assert thief.get("/clients/").status_code == 302
    assert client.get("/clients/").status_code == 302


def test_a_copied_cookie_dies_when_the_account_is_deactivated_and_stays_dead(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.bob)
    thief = copied_session(client, app)
    accounts.set_active(user=world.bob, active=False, by=world.ada)
    assert thief.get("/clients/").status_code == 302
    accounts.set_active(user=world.bob, active=True, by=world.ada)
    assert thief.get("/clients/").status_code == 302  # reactivation does not revive it


def test_changing_the_own_password_ends_other_sessions_but_keeps_this_one(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.alice)
    thief = copied_session(client, app)
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert response.status_code == 302
    assert client.get("/clients/").status_code == 200
    assert thief.get("/clients/").status_code == 302


def test_the_absolute_lifetime_ends_even_an_active_session(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    for _ in range(2):  # active every 25 minutes: never idle
        clock.advance(minutes=25)
        assert client.get("/clients/").status_code == 200
    clock.advance(minutes=11)
    response = client.get("/clients/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "at most 1 hours" in client.get("/login").get_data(as_text=True)
    assert client.get("/clients/").status_code == 302


def test_the_idle_lifetime_still_ends_a_quiet_session(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    assert client.get("/clients/").status_code == 302


def test_a_cookie_from_before_the_session_version_is_refused(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.alice)
    with client.session_transaction() as session:
        session["_user_id"] = str(world.alice.id)  # the login as stored before this change
    assert client.get("/clients/").status_code == 302


def test_logout_without_the_csrf_token_is_refused(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, world.alice)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/logout").status_code == 400
    assert client.get("/clients/").status_code == 200
    page = client.get("/clients/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/clients/").status_code == 302


def test_on_the_kiosk_an_expiry_ends_only_the_staff_login(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    episode = world.alices_client.current_episode
    client.post(f"/tablet/episodes/{episode.id}/start", data={"measures": ["srs"], "session_id": 0})
    for _ in range(3):  # the client keeps answering past the staff session's end
        clock.advance(minutes=25)
        assert client.get("/tablet/").status_code in (200, 302)
        assert "/login" not in client.get("/tablet/").headers.get("Location", "")
    response = client.post("/tablet/unlock", data={"secret": PASSWORD})
    assert "/login" in response.headers["Location"]  # a fresh login, not the old session
    assert client.get("/clients/").status_code == 302
