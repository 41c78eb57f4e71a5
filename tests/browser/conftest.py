"""Browser tests: Debian's Chromium driven by Playwright at an iPad Pro 11 viewport with touch.

The app runs in a thread (werkzeug ``make_server``) on its own database: a SQLite file, or the
TEST_DATABASE_URL database (PostgreSQL in CI), emptied after every test. CSRF is on, as in
production. Screenshots go to docs/screenshots/ when UPDATE_SCREENSHOTS=1 (synthetic data only).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.extensions import db, limiter
from outcome_monitor.models import Role
from outcome_monitor.services import accounts, care

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    return {"executable_path": str(CHROMIUM), "args": LAUNCH_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(playwright: Any, live_server: str) -> dict[str, Any]:
    return {**playwright.devices["iPad Pro 11"], "base_url": live_server, "locale": "en-GB"}


@pytest.fixture(scope="session")
def browser_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
    )

    class BrowserConfig(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            if not os.environ.get("TEST_DATABASE_URL"):
                self.SQLALCHEMY_DATABASE_URI = url  # a file: the server thread needs its own
            self.WTF_CSRF_ENABLED = True

    app = create_app(BrowserConfig)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(browser_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@dataclass(frozen=True)
class BrowserWorld:
    client_id: int


@pytest.fixture
def bworld(browser_app: Flask) -> Iterator[BrowserWorld]:
    """Therapist Alice (team North), supervisor Sam, and Alice's client B-001 in an episode."""
    limiter.reset()
    with browser_app.app_context():
        north = accounts.create_team(name="North", by=None)
        alice = accounts.create_user(
            email="alice@example.test",
            display_name="Alice",
            role=Role.THERAPIST,
            password=PASSWORD,
            team=north,
            by=None,
        )
        sam = accounts.create_user(
            email="sam@example.test",
            display_name="Sam",
            role=Role.SUPERVISOR,
            password=PASSWORD,
            by=None,
        )
        accounts.assign_teams(user=sam, team=None, supervised=[north], by=sam)
        client = care.create_client(code="B-001", therapist=alice, by=alice)
        episode = care.open_episode(client=client, opened_on=date(2026, 9, 1), by=alice)
        care.record_session(episode=episode, session_date=date(2026, 9, 1), attended=True, by=alice)
        world = BrowserWorld(client_id=client.id)
    yield world
    with browser_app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


def shot(page: Any, name: str) -> None:
    """Save a screenshot for the user guide when UPDATE_SCREENSHOTS=1."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        if page.locator("[data-chart-url]").count():
            page.wait_for_selector("[data-chart-url] .main-svg", timeout=15000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, email: str = "alice@example.test") -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    page.wait_for_url("**/clients/")


def start_handover(page: Any, world: BrowserWorld, codes: set[str]) -> None:
    """On the client page: choose exactly ``codes`` and hand the tablet over."""
    page.goto(f"/clients/{world.client_id}")
    shot(page, "staff-client-page")
    page.get_by_text("Choose the questionnaires to hand over").tap()
    for box in page.locator('input[name="measures"][type="checkbox"]').all():
        if box.is_visible() and (box.get_attribute("value") in codes) != box.is_checked():
            box.tap()
    page.get_by_role("button", name="Hand the tablet to the client").tap()
    page.wait_for_url("**/tablet/")


def tap_likert(page: Any, item: int, label: str) -> None:
    page.locator(f"#q-{item}").get_by_text(label, exact=True).tap()


def tap_slider(page: Any, item: int, fraction: float) -> str:
    slider = page.locator(f"#q-{item} .vas-slider")
    slider.wait_for(state="visible")  # tablet.js reveals the slider once the page has loaded
    box = slider.bounding_box()
    assert box is not None
    slider.tap(position={"x": box["width"] * fraction, "y": box["height"] / 2})
    return page.locator(f"#q-{item} [data-vas-output]").inner_text()


def answer_phq9(page: Any, last: int = 9) -> None:
    for item in range(1, last + 1):
        tap_likert(page, item, "Several days")


def unlock(page: Any, secret: str = PASSWORD) -> None:
    page.get_by_text("Staff: unlock the tablet").tap()
    page.fill("#secret", secret)
    page.get_by_role("button", name="Unlock").tap()
