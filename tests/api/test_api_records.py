"""Who sees what through the API: the web's 404 rule, admins see no client data, paging."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.services import care
from tests.api.conftest import assert_problem, give, issue
from tests.builders import count_statements, phq9
from tests.conftest import World


def _paths(world: World) -> list[str]:
    """Every read of Alice's client's records."""
    episode = world.alices_client.current_episode
    assert episode is not None
    give(episode, world.alice, phq9(10), weeks=0)
    administration_id = db.session.scalar(sa.text("select max(id) from administration"))
    return [
        f"/api/clients/{world.alices_client.id}",
        f"/api/clients/{world.alices_client.id}/episodes",
        f"/api/episodes/{episode.id}",
        f"/api/episodes/{episode.id}/sessions",
        f"/api/episodes/{episode.id}/administrations",
        f"/api/episodes/{episode.id}/attention-card",
        f"/api/administrations/{administration_id}",
    ]


def test_alice_reads_every_record_of_her_client(api, world: World) -> None:
    secret = issue(world.alice)
    for path in _paths(world):
        assert api("GET", path, secret).status_code == 200, path


@pytest.mark.parametrize("who", ["carol", "bob", "ada"])
def test_others_get_404_exactly_like_a_missing_record(api, world: World, who: str) -> None:
    """Carol (another team), Bob (Alice's team, not her client) and Ada (admin)."""
    secret = issue(getattr(world, who))
    for path in _paths(world):
        foreign = api("GET", path, secret)
        missing = api("GET", path.replace(str(_first_id(path)), "2147483000", 1), secret)
        assert_problem(foreign, 404)
        assert foreign.get_data() == missing.get_data(), path


def _first_id(path: str) -> int:
    return int(next(part for part in path.split("/") if part.isdigit()))


def test_the_supervisor_reads_the_teams_clients_only(api, world: World) -> None:
    secret = issue(world.sam)
    codes = [c["code"] for c in api("GET", "/api/clients", secret).get_json()["items"]]
    assert codes == ["A-001"]
    assert api("GET", f"/api/clients/{world.alices_client.id}", secret).status_code == 200
    assert_problem(api("GET", f"/api/clients/{world.carols_client.id}", secret), 404)


def test_a_therapist_lists_only_their_own_clients(api, world: World) -> None:
    body = api("GET", "/api/clients", issue(world.carol)).get_json()
    assert [c["code"] for c in body["items"]] == ["C-001"]
    assert body["total"] == 1


def test_an_admin_sees_no_client_data(api, world: World) -> None:
    secret = issue(world.ada)
    assert api("GET", "/api/clients", secret).get_json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert api("GET", "/api/alerts", secret).get_json()["items"] == []


def test_a_client_reads_as_its_pseudonymous_code_and_fields(api, world: World) -> None:
    body = api("GET", f"/api/clients/{world.alices_client.id}", issue(world.alice)).get_json()
    assert body["code"] == "A-001"
    assert body["therapist_id"] == world.alice.id
    assert set(body) == {
        "id",
        "code",
        "therapist_id",
        "birth_year",
        "gender",
        "preferred_language",
        "created_at",
    }


def test_pages_are_windows_in_a_stable_order(api, world: World) -> None:
    for n in range(2, 6):
        care.create_client(code=f"A-00{n}", therapist=world.alice, by=world.alice)
    secret = issue(world.alice)
    first = api("GET", "/api/clients?limit=2", secret).get_json()
    second = api("GET", "/api/clients?limit=2&offset=2", secret).get_json()
    last = api("GET", "/api/clients?limit=2&offset=4", secret).get_json()
    codes = [c["code"] for page in (first, second, last) for c in page["items"]]
    assert codes == ["A-001", "A-002", "A-003", "A-004", "A-005"]
    assert first["total"] == second["total"] == last["total"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")],
)
def test_paging_parameters_are_validated(api, world: World, query: str, field: str) -> None:
    body = assert_problem(api("GET", f"/api/clients?{query}", issue(world.alice)), 422)
    assert field in body["errors"]["query"]


def test_episode_fields_and_status(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    body = api("GET", f"/api/episodes/{episode.id}", issue(world.alice)).get_json()
    assert body["status"] == "active"
    assert body["client_id"] == world.alices_client.id
    assert body["opened_on"] == "2026-09-01"


def test_sessions_are_listed_by_number(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    for day in (3, 10):
        care.record_session(
            episode=episode, session_date=date(2026, 9, day), attended=True, by=world.alice
        )
    body = api("GET", f"/api/episodes/{episode.id}/sessions", issue(world.alice)).get_json()
    assert [s["number"] for s in body["items"]] == [1, 2]


def _list_queries(api, secret: str, path: str) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    with count_statements() as statements:
        assert api("GET", path, secret).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/api/clients?limit=100", "/api/alerts?limit=100&status=open"])
def test_list_queries_do_not_grow_with_the_caseload(api, world: World, path: str) -> None:
    secret = issue(world.alice)
    small = _list_queries(api, secret, path)
    for n in range(30):
        client = care.create_client(code=f"Q-{n:03}", therapist=world.alice, by=world.alice)
        episode = care.open_episode(client=client, opened_on=date(2026, 9, 1), by=world.alice)
        give(episode, world.alice, phq9(20, item9=2), weeks=0)
    assert _list_queries(api, secret, path) == small
