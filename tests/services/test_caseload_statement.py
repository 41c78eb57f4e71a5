"""The caseload's statement is built once per sort and role and shared by every user of that
role (``worklist._page_statement``, the user's id bound when it runs): whoever asks, in
whatever order, sees their own caseload and its own total, never the previous user's."""

from __future__ import annotations

import pytest

from outcome_monitor.models import User
from outcome_monitor.services import worklist
from tests.builders import new_episode
from tests.conftest import World

CODES = {
    "alice": ["A-101", "A-102"],
    "bob": ["B-101", "B-102", "B-103"],
    "carol": ["C-101"],
}
IN_THE_WORLD = {"alice": {"A-001"}, "bob": set(), "carol": {"C-001"}}


@pytest.fixture
def caseloads(world: World) -> dict[str, set[str]]:
    """The clients with an active episode each user may see."""
    for name, codes in CODES.items():
        for code in codes:
            new_episode(getattr(world, name), code)
    seen = {name: set(codes) | IN_THE_WORLD[name] for name, codes in CODES.items()}
    seen["sam"] = seen["alice"] | seen["bob"]  # supervisor of North: Alice's and Bob's clients
    seen["ada"] = set()  # an admin sees no clients, by design
    return seen


def _codes(user: User, sort: str, page: int = 1) -> tuple[set[str], int]:
    found = worklist.caseload_entries(user, sort=sort, page=page)
    return {e.client_code for e in found.items}, found.total


@pytest.mark.parametrize("sort", worklist.SORTS)
def test_each_user_sees_their_own_caseload_from_the_shared_statement(
    world: World, caseloads: dict[str, set[str]], sort: str
) -> None:
    for name in ("bob", "carol", "alice", "sam", "bob", "ada", "carol"):
        codes, total = _codes(getattr(world, name), sort)
        assert codes == caseloads[name], name
        assert total == len(codes), name  # one page holds them all


def test_a_page_past_the_end_counts_that_users_caseload(
    world: World, caseloads: dict[str, set[str]]
) -> None:
    bob_total = _codes(world.bob, "attention")[1]
    carol_total = _codes(world.carol, "attention")[1]
    assert bob_total != carol_total
    for user, total in ((world.bob, bob_total), (world.carol, carol_total), (world.bob, bob_total)):
        assert _codes(user, "attention", page=3) == (set(), total)
