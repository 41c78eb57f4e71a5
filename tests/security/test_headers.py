"""Security headers, a CSP without inline scripts, and nothing staff-facing on the kiosk (Build 7).

The browser half (the chart still draws, and no page reports a CSP violation) is
tests/browser/test_csp_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import ProductionConfig
from outcome_monitor import create_app
from outcome_monitor.security import CONTENT_SECURITY_POLICY, PLOTLY_INLINE_STYLE_HASH
from tests.conftest import PASSWORD, World
from tests.security.plotly_css import PLOTLY_JS, STATIC_CSS, expected_css

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STAFF_NOTE = "Link created (copy it now): http://localhost/l/secret-of-another-client"


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def test_every_response_carries_the_security_headers(client: FlaskClient, world: World) -> None:
    for path in ("/login", "/healthz", "/static/app.css", "/no-such-page"):
        response = client.get(path)
        response.close()
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # not outside production


def test_the_policy_allows_no_inline_script_no_eval_and_no_framing() -> None:
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    every_source = [value for values in policy.values() for value in values]
    assert "'unsafe-inline'" not in every_source and "'unsafe-eval'" not in every_source
    assert policy["style-src-elem"] == ["'self'", f"'{PLOTLY_INLINE_STYLE_HASH}'"]


def test_production_sends_hsts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRET_KEY", "a production secret for this test only")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.db'}")
    monkeypatch.delenv("HSTS_SECONDS", raising=False)
    production = create_app(ProductionConfig)
    headers = production.test_client().get("/healthz").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    monkeypatch.setenv("HSTS_SECONDS", "0")
    assert "Strict-Transport-Security" not in (
        create_app(ProductionConfig).test_client().get("/healthz").headers
    )


# --- no inline script or style in any template -------------------------------------------------

INLINE = {
    "an inline <script> (use a file under static/)": re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE
    ),
    "a <style> block (use a stylesheet)": re.compile(r"<style\b", re.IGNORECASE),
    "an event-handler attribute (use addEventListener)": re.compile(
        r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE
    ),
    "a style attribute (use a class)": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_has_inline_script_or_style() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        found += [
            f"{path.relative_to(TEMPLATES)}: {what}"
            for what, pattern in INLINE.items()
            if pattern.search(text)
        ]
    assert not found, "\n".join(found)


def test_the_static_plotly_css_matches_the_installed_plotly() -> None:
    assert STATIC_CSS.read_text(encoding="utf-8") == expected_css(), (
        "regenerate with: .venv/bin/python -m tests.security.plotly_css"
    )


def test_the_one_allowed_inline_style_is_the_one_plotly_adds() -> None:
    """plotly.min.js adds MapLibre's stylesheet as a <style>; its hash is the one allowed."""
    js = PLOTLY_JS.read_text(encoding="utf-8")
    found = re.search(r"""e\.textContent='((?:[^'\\]|\\.)*)'""", js)
    assert found is not None and "maplibregl" in found.group(1)
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    assert f"sha256-{digest}" == PLOTLY_INLINE_STYLE_HASH


# --- the kiosk never shows staff messages ---------------------------------------------------


def _queue_staff_note(client: FlaskClient) -> None:
    """A message for the therapist not shown yet when the tablet is handed over (a page that
    was never rendered, a second tab)."""
    with client.session_transaction() as session:
        session["_flashes"] = [("link", STAFF_NOTE)]


def _hand_over(client: FlaskClient, world: World) -> None:
    episode = world.alices_client.current_episode
    response = client.post(
        f"/tablet/episodes/{episode.id}/start", data={"measures": ["gad7"], "session_id": 0}
    )
    assert response.location.endswith("/tablet/")


def _kiosk_pages(client: FlaskClient) -> str:
    pages = [client.get("/tablet/"), client.post("/tablet/begin", data={})]
    pages += [client.get("/tablet/q/gad7"), client.get("/tablet/unlock")]
    return "".join(page.get_data(as_text=True) for page in pages)


def test_a_staff_message_waiting_at_the_hand_over_never_shows_on_the_kiosk(
    login_as, world: World
) -> None:
    client = login_as(world.alice)
    _queue_staff_note(client)
    _hand_over(client, world)
    assert STAFF_NOTE not in _kiosk_pages(client)

    back = client.post("/tablet/unlock", data={"secret": PASSWORD}, follow_redirects=True)
    assert STAFF_NOTE in back.get_data(as_text=True)  # given back to the therapist


def test_a_staff_message_is_not_given_to_whoever_else_unlocks(login_as, world: World) -> None:
    client = login_as(world.alice)
    _queue_staff_note(client)
    _hand_over(client, world)
    client.post("/tablet/unlock", data={"email": world.sam.email, "secret": PASSWORD})
    assert STAFF_NOTE not in client.get("/login").get_data(as_text=True)


def test_the_client_layout_renders_no_flash_messages(app: Flask) -> None:
    layout = (TEMPLATES / "tablet" / "_layout.html").read_text(encoding="utf-8")
    assert "get_flashed_messages" not in re.sub(r"{#.*?#}", "", layout, flags=re.DOTALL)
