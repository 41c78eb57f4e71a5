"""Accessibility checks in a real Chromium: axe-core (WCAG 2.0/2.1 A and AA rules), 200% zoom
on the client-facing pages, and answering a questionnaire by keyboard alone.

axe-core comes inside the axe-playwright-python wheel and is injected from that file: nothing is
downloaded at run time. axe finds perhaps a third to a half of WCAG problems; it does not replace
a walkthrough with a real screen reader (see docs/user-guide.md, "Accessibility").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Episode, User
from outcome_monitor.services import links, settings_changes
from outcome_monitor.services.links import IssuedLink
from tests.browser.conftest import (
    PASSWORD,
    BrowserWorld,
    answer_phq9,
    log_in,
    start_handover,
    tap_slider,
    unlock,
)

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
AXE = Axe()
# iPad portrait (834 CSS px wide) at 200% browser zoom leaves 417 x 597 CSS px.
ZOOM_200 = {"width": 417, "height": 597}
MIN_TARGET = 44  # CSS px, WCAG 2.5.5 (AAA) and the issue's touch-first requirement


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def check_axe(page: Any, name: str) -> None:
    """No serious or critical WCAG 2.0/2.1 A/AA violation on the page as it is now.

    The message lists every violation (any impact) with its nodes, and, for a human to look at,
    what axe could not decide ("incomplete"): those do not fail the test.
    """
    page.wait_for_load_state()
    if page.locator("[data-chart-url]").count():  # check the drawn chart, not "Loading…"
        page.wait_for_selector("[data-chart-url] .main-svg", timeout=15000)
    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations", "incomplete"],
    }
    results = AXE.run(page, options=options).response
    violations = results["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    undecided = [v for v in results["incomplete"] if v["impact"] in BLOCKING]
    assert not blocking, (
        f"axe on {name} ({page.url}):\n{_describe(violations)}\n"
        f"Needs review (not failing):\n{_describe(undecided)}"
    )


def check_reflow(page: Any, name: str, targets: str | None) -> None:
    """At 200% zoom: no horizontal scrolling, and every answer target is at least 44x44 px."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"{name} scrolls sideways at 200% zoom: {width}"
    if targets is None:
        return
    small = []
    for target in page.locator(targets).all():
        if not target.is_visible():
            continue
        box = target.bounding_box()
        assert box is not None
        if box["width"] < MIN_TARGET or box["height"] < MIN_TARGET:
            small.append(f"{target.evaluate('e => e.outerHTML.slice(0, 120)')}: {box}")
    assert page.locator(targets).count(), f"{name}: no targets matched {targets!r}"
    assert not small, f"{name}: targets smaller than 44x44 at 200% zoom:\n" + "\n".join(small)


ANSWER_TARGETS = ".choice, .vas-slider, .actions .button, .staff-exit a"


def enter_secret(page: Any) -> None:
    """Unlock the tablet when the unlock form is already open."""
    page.fill("#secret", PASSWORD)
    page.get_by_role("button", name="Unlock").tap()


def _issue(app: Flask, codes: list[str], now: datetime) -> IssuedLink:
    with app.app_context():
        episode = db.session.scalars(sa.select(Episode)).one()
        return links.issue_link(episode=episode, codes=codes, by=None, now=now, valid_days=4)


def test_staff_pages(page: Any, bworld: BrowserWorld) -> None:
    page.goto("/login")
    check_axe(page, "login page")
    log_in(page)
    check_axe(page, "caseload")
    page.goto(f"/clients/{bworld.client_id}")
    page.get_by_text("Choose the questionnaires to hand over").tap()  # open the details
    page.get_by_text("Send a link to answer at home").tap()
    check_axe(page, "client page")


def check_page(page: Any, name: str, targets: str | None = None) -> None:
    """axe at the iPad's own size, then reflow and target sizes at 200% zoom."""
    check_axe(page, name)
    size = page.viewport_size
    page.set_viewport_size(ZOOM_200)
    try:
        check_reflow(page, name, targets)
    finally:
        page.set_viewport_size(size)


def test_tablet_pages(page: Any, bworld: BrowserWorld) -> None:
    log_in(page)
    start_handover(page, bworld, {"phq9", "srs"})
    check_page(page, "tablet welcome", ".button")
    page.get_by_role("button", name="Start").tap()
    page.wait_for_url("**/tablet/q/phq9")
    check_page(page, "tablet PHQ-9 (empty)", ANSWER_TARGETS)
    answer_phq9(page, last=6)
    page.get_by_role("button", name="Continue").tap()  # too many missing: the page says so
    page.locator(".is-missing").first.wait_for()
    check_page(page, "tablet PHQ-9 (missing answers)", ANSWER_TARGETS)
    answer_phq9(page)
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url("**/tablet/q/srs")
    page.wait_for_load_state("networkidle")
    page.locator(".vas-slider").first.wait_for(state="visible")
    check_page(page, "tablet SRS (untouched sliders)", ANSWER_TARGETS)
    for item in range(1, 5):
        tap_slider(page, item, 0.7)
    check_page(page, "tablet SRS (answered)", ANSWER_TARGETS)
    page.get_by_role("button", name="Finish").tap()
    page.get_by_role("heading", name="Thank you!").wait_for()
    check_page(page, "tablet thank-you", ".unlock summary")
    unlock(page, secret="wrong secret")
    page.locator(".unlock .error").wait_for()
    check_page(page, "tablet unlock form (wrong secret)", ".unlock summary, .unlock .button")
    enter_secret(page)
    page.wait_for_url(f"**/clients/{bworld.client_id}")
    check_axe(page, "client page after a hand-over")


def test_tablet_one_item_per_screen(page: Any, bworld: BrowserWorld, browser_app: Flask) -> None:
    with browser_app.app_context():
        alice = db.session.scalars(sa.select(User).filter_by(email="alice@example.test")).one()
        settings_changes.update_settings(changes={"handover_one_item_per_screen": True}, by=alice)
    log_in(page)
    start_handover(page, bworld, {"phq9"})
    page.get_by_role("button", name="Start").tap()
    page.wait_for_url("**/tablet/q/phq9/1")
    check_page(page, "tablet PHQ-9 item 1 of 9", ANSWER_TARGETS)
    page.locator("#q-1").get_by_text("Several days", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    page.wait_for_url("**/tablet/q/phq9/2")
    check_page(page, "tablet PHQ-9 item 2 of 9 (with Back)", ANSWER_TARGETS)


def test_link_pages(page: Any, bworld: BrowserWorld, browser_app: Flask) -> None:
    now = datetime.now(UTC)
    expired = _issue(browser_app, ["srs"], now - timedelta(days=5))
    fresh = _issue(browser_app, ["phq9", "srs"], now)
    page.goto(f"/l/{expired.token}")
    check_page(page, "expired link")
    page.goto(f"/l/{fresh.token}")
    check_page(page, "link landing page", ".button")
    page.get_by_role("button", name="Start").tap()
    page.wait_for_url("**/q/phq9")
    check_page(page, "link PHQ-9", ANSWER_TARGETS)
    answer_phq9(page)
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url("**/q/srs")
    page.locator(".vas-slider").first.wait_for(state="visible")
    check_page(page, "link SRS", ANSWER_TARGETS)
    for item in range(1, 5):
        tap_slider(page, item, 0.8)
    page.get_by_role("button", name="Finish").tap()
    page.get_by_role("heading", name="Thank you!").wait_for()
    check_page(page, "link thank-you")
    page.goto(f"/l/{fresh.token}")
    check_page(page, "used link")


def _tab_to(page: Any) -> dict[str, Any]:
    """Press Tab; describe the element that has the focus now, and whether it can be seen."""
    page.keyboard.press("Tab")
    return page.evaluate(
        """() => { const e = document.activeElement;
                   const box = e.getBoundingClientRect();
                   const item = e.closest('fieldset.item');
                   return {tag: e.tagName, name: e.name || '', type: e.type || '',
                           item: item ? item.id : '', text: e.textContent.trim(),
                           visible: box.width > 1 && box.height > 1,
                           outline: getComputedStyle(e.closest('label') || e).outlineStyle}; }"""
    )


def test_questionnaires_by_keyboard_alone(
    page: Any, bworld: BrowserWorld, browser_app: Flask
) -> None:
    """PHQ-9 (radio buttons) and SRS (sliders) answered with Tab, arrows, Space and Enter only;
    every stop of the focus is visible, in reading order, and the answers are saved."""
    log_in(page)
    start_handover(page, bworld, {"phq9", "srs"})
    page.get_by_role("button", name="Start").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/tablet/q/phq9")
    page.wait_for_load_state("networkidle")  # tablet.js has set up the page before we Tab
    for item in range(1, 10):
        focused = _tab_to(page)
        assert (focused["name"], focused["type"]) == (f"item-{item}", "radio"), focused
        assert focused["visible"] and focused["outline"] != "none", focused
        if item == 1:
            page.keyboard.press("Space")  # the first option: "Not at all"
        else:
            page.keyboard.press("ArrowDown")  # moves to and selects "Several days"
            page.keyboard.press("ArrowDown")  # and on to "More than half the days"
    focused = _tab_to(page)
    assert (focused["tag"], focused["text"]) == ("BUTTON", "Continue"), focused
    page.keyboard.press("Enter")
    page.wait_for_url("**/tablet/q/srs")
    page.wait_for_load_state("networkidle")
    page.locator(".vas-slider").first.wait_for(state="visible")
    untouched = page.locator("#q-1 .vas-slider").get_attribute("aria-valuetext")
    assert untouched and not untouched[0].isdigit(), untouched  # not "5", which is no answer
    keys = {1: ["End"], 2: ["Home"], 3: ["End", "ArrowLeft"], 4: ["Home", "ArrowRight"]}
    for item, presses in keys.items():
        focused = _tab_to(page)
        assert (focused["item"], focused["type"]) == (f"q-{item}", "range"), focused
        assert focused["visible"] and focused["outline"] != "none", focused
        for key in presses:
            page.keyboard.press(key)
        focused = _tab_to(page)  # the typed alternative, shown while it has the focus
        assert (focused["item"], focused["type"]) == (f"q-{item}", "number"), focused
        assert focused["visible"] and focused["outline"] != "none", focused
    page.wait_for_timeout(300)  # let the last autosave land
    focused = _tab_to(page)
    assert (focused["tag"], focused["text"]) == ("BUTTON", "Finish"), focused
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you!").wait_for()
    with browser_app.app_context():
        saved = {
            a.instrument_code: a.answers for a in db.session.scalars(sa.select(Administration))
        }
    assert sorted(saved["phq9"].values()) == [0] + [2] * 8, saved
    assert sorted(saved["srs"].values()) == [0, 0.1, 9.9, 10], saved
