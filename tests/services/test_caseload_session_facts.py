"""The caseload reads each row's session facts (the last session's date, how many) in the
same statement as the page, for the page's rows only: the values and the two session sorts
must equal what the sessions say, on every page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from outcome_monitor.services import care, worklist
from outcome_monitor.services.paging import PAGE_SIZE
from tests.builders import WEEK0, new_episode, record_sessions
from tests.conftest import World

# Episodes B-000 ... with 0 to 4 sessions; the last one starts later, so dates and counts
# order the rows differently.
SESSIONS = [n % 5 for n in range(PAGE_SIZE + 4)]


@pytest.fixture
def caseload(world: World) -> dict[str, tuple[date | None, int]]:
    """Bob's caseload: client code -> (last session, sessions), as recorded."""
    expected: dict[str, tuple[date | None, int]] = {}
    for n, held in enumerate(SESSIONS):
        code = f"B-{n:03d}"
        episode = new_episode(world.bob, code)
        start = WEEK0 + timedelta(days=n % 7)
        record_sessions(episode, *([None] * held), by=world.bob, start=start)
        last = start + timedelta(weeks=held - 1) if held else None
        expected[code] = (last, held)
    closed = new_episode(world.bob, "B-CLOSED")
    record_sessions(closed, None, by=world.bob)
    care.close_episode(
        episode=closed, status="closed", closed_on=date.today(), reason="", by=world.bob
    )
    return expected


def _all_pages(world: World, sort: str) -> list[worklist.CaseloadEntry]:
    entries: list[worklist.CaseloadEntry] = []
    for number in (1, 2):
        page = worklist.caseload_entries(world.bob, sort=sort, page=number)
        assert page.total == len(SESSIONS)
        entries += page.items
    return entries


@pytest.mark.parametrize("sort", worklist.SORTS)
def test_every_row_has_its_own_session_facts(world: World, caseload, sort: str) -> None:
    entries = _all_pages(world, sort)
    assert {e.client_code: (e.last_session, e.sessions) for e in entries} == caseload


def test_sorted_by_last_session_then_client_none_last(world: World, caseload) -> None:
    codes = [e.client_code for e in _all_pages(world, "last_session")]
    key = {c: (last is None, last or date.min, c) for c, (last, _n) in caseload.items()}
    assert codes == sorted(caseload, key=key.__getitem__)


def test_sorted_by_most_sessions_then_client(world: World, caseload) -> None:
    codes = [e.client_code for e in _all_pages(world, "sessions")]
    assert codes == sorted(caseload, key=lambda c: (-caseload[c][1], c))
