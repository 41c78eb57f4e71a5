"""Tokens authenticate on /api/ and /fhir/ only, never set a cookie, need no CSRF token there,
and never stand in for the session (and its CSRF token) on the HTML pages."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import current_user

from outcome_monitor.models import Administration, TokenScope
from outcome_monitor.web.helpers import clinical_required
from tests.api.conftest import assert_problem, bearer, issue
from tests.builders import phq9
from tests.conftest import World, count


def test_api_answers_set_no_cookie(api, world: World) -> None:
    secret = issue(world.alice)
    for response in (
        api("GET", "/api/clients", secret),
        api("GET", "/api/clients"),
        api("GET", "/api/openapi.json"),
    ):
        assert "Set-Cookie" not in response.headers


def test_a_logged_in_browser_session_does_not_open_the_api(api, login_as, world: World) -> None:
    login_as(world.alice)  # the test client now carries Alice's session cookie
    assert_problem(api("GET", "/api/clients"), 401)


def test_a_token_does_not_open_the_html_pages(client, world: World) -> None:
    response = client.get("/clients/", headers=bearer(issue(world.alice)))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_api_needs_no_csrf_token_even_with_csrf_on(
    app: Flask, api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice),
        json={"instrument_code": "phq9", "answers": phq9(4)},
    )
    assert response.status_code == 201


def test_a_token_does_not_bypass_csrf_on_an_html_form(
    app: Flask, client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    episode = world.alices_client.current_episode
    assert episode is not None
    data = {f"item_{i}": 1 for i in range(1, 10)}
    response = client.post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=data,
        headers=bearer(issue(world.alice)),
    )
    assert response.status_code == 400  # the CSRF check refuses it; the token is no help
    assert count(Administration) == 0


@pytest.mark.parametrize(
    ("path", "accepted"),
    [("/fhir/r4/Questionnaire", True), ("/api/clients", True), ("/clients/", False)],
)
def test_the_request_loader_accepts_tokens_on_token_paths_only(
    app: Flask, world: World, path: str, accepted: bool
) -> None:
    """Views behind the app's own decorators (clinical_required) accept a token there."""
    headers = bearer(issue(world.alice, TokenScope.READ))
    with app.test_request_context(path, headers=headers):
        assert current_user.is_authenticated is accepted
        if accepted:
            assert current_user.id == world.alice.id
            assert clinical_required(lambda: "seen")() == "seen"


def test_the_token_user_does_not_outlive_its_request(api, client, world: World) -> None:
    assert api("GET", "/api/clients", issue(world.alice)).status_code == 200
    assert client.get("/clients/").status_code == 302
    assert_problem(api("GET", "/api/clients"), 401)


def test_every_token_path_endpoint_is_left_out_of_the_session_guard(app: Flask) -> None:
    """A bearer request has no session to expire or to send to two-factor enrolment."""
    from outcome_monitor.api.auth import is_token_path
    from outcome_monitor.web import session_expiry

    endpoints = {r.endpoint for r in app.url_map.iter_rules() if is_token_path(r.rule)}
    assert {"api.list_clients", "api.record_administration"} <= endpoints
    assert endpoints <= session_expiry.UNGUARDED


def test_a_supervisor_who_must_enrol_in_two_factor_still_uses_a_token(
    app: Flask, api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ("supervisor",))
    assert api("GET", "/api/clients", issue(world.sam)).status_code == 200
