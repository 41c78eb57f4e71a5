"""Shared steps for the account tests: links out of pages and mails, TOTP codes, a movable clock."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient

from outcome_monitor.web import session_expiry

LINK = re.compile(r"https?://[^/\s]+(/account/setup/[A-Za-z0-9_-]+)")
SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


def invitation_link(text: str) -> str:
    """The path of the one invitation or reset link in ``text`` (a page or an email)."""
    found = LINK.findall(html.unescape(text))
    assert len(found) == 1, text
    return str(found[0])


def code_for(secret: str, at: datetime) -> str:
    return str(pyotp.TOTP(secret).at(at))


@dataclass
class Clock:
    """The time the session guard and the sign-in views see; moved by the test."""

    at: datetime

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def frozen_clock(monkeypatch: Any, at: datetime | None = None) -> Clock:
    clock = Clock(at or datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(session_expiry, "now", lambda: clock.at)
    return clock


def enrol(client: FlaskClient, at: datetime) -> tuple[str, list[str]]:
    """Set up two-factor sign-in for the logged-in user; the secret and the recovery codes."""
    page = client.get("/account/mfa").get_data(as_text=True)
    secret = SECRET.search(page)
    assert secret is not None, page
    done = client.post("/account/mfa", data={"code": code_for(secret.group(1), at)})
    codes = re.findall(
        r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>",
        done.get_data(as_text=True),
    )
    assert len(codes) == 10, done.get_data(as_text=True)
    return secret.group(1), codes


def copied_session(client: FlaskClient, app: Any) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie, as a thief would."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    return thief
