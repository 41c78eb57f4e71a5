"""Every error the API gives is an RFC 9457 problem: type, title, status, detail."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.api.conftest import assert_problem, issue
from tests.conftest import World


def test_malformed_json_is_a_400_problem(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice),
        data="{not json",
        content_type="application/json",
    )
    assert_problem(response, 400)


def test_a_validation_error_lists_the_fields(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice),
        json={"answers": {"1": "often"}, "extra": 1},
    )
    errors = assert_problem(response, 422)["errors"]["json"]
    assert {"instrument_code", "answers", "extra"} <= set(errors)


def test_an_unknown_api_path_is_a_404_problem(api, world: World) -> None:
    assert_problem(api("GET", "/api/nothing/here", issue(world.alice)), 404)


def test_a_wrong_method_is_a_405_problem_with_allow(api, world: World) -> None:
    response = api("DELETE", "/api/clients", issue(world.alice))
    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET"


def test_rate_limit_is_per_token_and_a_429_problem(
    app: Flask, api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    alices, carols = issue(world.alice), issue(world.carol)
    assert [api("GET", "/api/clients", alices).status_code for _ in range(3)] == [200] * 3
    limited = api("GET", "/api/clients", alices)
    assert_problem(limited, 429)
    assert "Retry-After" in limited.headers
    assert api("GET", "/api/clients", carols).status_code == 200


def test_refused_tokens_are_limited_per_address(
    app: Flask, api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_AUTH_FAILURE_RATE_LIMIT", "2 per minute")
    for n in range(2):
        assert_problem(api("GET", "/api/clients", f"omt_guess{n:040}"), 401)
    assert_problem(api("GET", "/api/clients", "omt_guess" + "9" * 40), 429)


def test_a_server_error_is_a_500_problem_without_internals(
    app: Flask, api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outcome_monitor.api import queries

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "clients", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = api("GET", "/api/clients", issue(world.alice))
    body = assert_problem(response, 500)
    assert "internals" not in response.get_data(as_text=True)
    assert body["type"] == "about:blank"
