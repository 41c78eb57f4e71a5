"""The Content-Security-Policy in a real Chromium: no page reports a violation, and the progress
chart (Plotly, served from this server) still draws, with its mode bar laid out by its styles.

Every page records ``securitypolicyviolation`` events from the first script on; a blocked
script, style or handler would show up there even when the page looks fine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.models import EntryMode, Episode, User
from outcome_monitor.services import care, links, measures
from tests.browser.conftest import (
    BrowserWorld,
    answer_phq9,
    log_in,
    start_handover,
    tap_slider,
    unlock,
)

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


def violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def _scores(app: Flask) -> None:
    """Three sessions with PHQ-9 and SRS scores, so the client page has a chart."""
    with app.app_context():
        alice = db.session.scalars(sa.select(User).filter_by(email="alice@example.test")).one()
        episode = db.session.scalars(sa.select(Episode)).one()
        for number, level in enumerate((3.0, 2.0, 1.0), start=2):
            session = care.record_session(
                episode=episode, session_date=date(2026, 9, number), attended=True, by=alice
            )
            for code, answers in (
                ("phq9", {str(i): level for i in range(1, 9)} | {"9": 0.0}),
                ("srs", {str(i): 8.0 for i in range(1, 5)}),
            ):
                measures.record_administration(
                    episode=episode,
                    session_id=session.id,
                    instrument_code=code,
                    answers=answers,
                    entry_mode=EntryMode.THERAPIST,
                    by=alice,
                )


def test_the_chart_draws_under_the_policy(
    page: Any, bworld: BrowserWorld, browser_app: Flask
) -> None:
    _scores(browser_app)
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page)
    response = page.goto(f"/clients/{bworld.client_id}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("[data-chart-url] .main-svg", timeout=15000)
    page.locator("[data-chart-url] .nsewdrag").first.hover()
    layout = page.evaluate(
        """() => { const bar = document.querySelector('.modebar');
                   const svg = document.querySelector('.main-svg');
                   const lines = '[data-chart-url] .scatterlayer .trace';
                   return [bar && getComputedStyle(bar).position,
                           getComputedStyle(svg).position,
                           document.querySelectorAll(lines).length]; }"""
    )
    assert layout[0] == "absolute" and layout[1] == "absolute", layout  # plotly.css applies
    assert layout[2] >= 1, layout  # the score lines are drawn
    assert violations(page) == []


def test_no_page_reports_a_violation(page: Any, bworld: BrowserWorld, browser_app: Flask) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    seen: dict[str, list[str]] = {}

    def visit(name: str) -> None:
        page.wait_for_load_state("load")
        if page.locator("[data-chart-url]").count():
            page.wait_for_selector("[data-chart-url] .main-svg", timeout=15000)
        page.wait_for_timeout(200)  # deferred scripts have run
        seen[name] = violations(page)

    page.goto("/login")
    visit("login")
    log_in(page)
    visit("caseload")
    page.goto(f"/clients/{bworld.client_id}")
    visit("client page")
    start_handover(page, bworld, {"phq9", "srs"})
    visit("tablet welcome")
    page.get_by_role("button", name="Start").tap()
    page.wait_for_url("**/tablet/q/phq9")
    answer_phq9(page)
    visit("tablet PHQ-9")
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url("**/tablet/q/srs")
    for item in range(1, 5):
        tap_slider(page, item, 0.6)
    visit("tablet SRS")
    page.get_by_role("button", name="Finish").tap()
    page.get_by_role("heading", name="Thank you!").wait_for()
    visit("tablet thank-you (with the progress bars)")
    unlock(page)
    page.wait_for_url(f"**/clients/{bworld.client_id}")
    visit("client page after the hand-over")
    with browser_app.app_context():
        episode = db.session.scalars(sa.select(Episode)).one()
        token = links.issue_link(
            episode=episode, codes=["srs"], by=None, now=datetime.now(UTC), valid_days=4
        ).token
    page.goto(f"/l/{token}")
    visit("link landing page")
    assert {name: found for name, found in seen.items() if found} == {}
