"""API fixtures: tokens for the named world, and a client that sends them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outcome_monitor.models import Episode, TokenScope, User
from outcome_monitor.services import api_tokens
from tests.builders import record_sessions

NOW = datetime.now(UTC)
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def issue(
    user: User,
    scope: TokenScope = TokenScope.READ_WRITE,
    *,
    days: int = 30,
    now: datetime | None = None,
) -> str:
    """A token for ``user``; its secret."""
    issued = api_tokens.create_token(
        user=user, name="test", scope=scope, expires_days=days, by=user, now=now or NOW
    )
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token() -> Callable[..., str]:
    return issue


@pytest.fixture
def api(client: FlaskClient) -> Callable[..., TestResponse]:
    """``api(method, path, secret, json=...)``: one API request with that token (or none)."""

    def call(method: str, path: str, secret: str | None = None, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if secret is not None:
            headers.update(bearer(secret))
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with ``status``; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


def give(episode: Episode, by: User, answers: dict[str, float], weeks: int) -> None:
    """A session and a PHQ-9 in it, recorded through the service (as the web form does)."""
    on = episode.opened_on + timedelta(weeks=weeks)
    record_sessions(episode, (("phq9", answers),), by=by, start=on)
