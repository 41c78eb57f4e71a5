"""Who sees what, in the named world: a record you may not see answers 404."""

from __future__ import annotations

import pytest

from tests.builders import unchanged
from tests.conftest import World


def test_alice_sees_her_client(login_as, world: World) -> None:
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}")
    assert page.status_code == 200
    assert "A-001" in page.get_data(as_text=True)


def test_alice_cannot_open_carols_client(login_as, world: World) -> None:
    assert login_as(world.alice).get(f"/clients/{world.carols_client.id}").status_code == 404


def test_a_missing_client_and_a_forbidden_client_look_the_same(login_as, world: World) -> None:
    client = login_as(world.alice)
    forbidden = client.get(f"/clients/{world.carols_client.id}")
    missing = client.get("/clients/999999")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.get_data() == missing.get_data()


def test_alice_cannot_record_a_session_in_carols_episode(login_as, world: World) -> None:
    episode = world.carols_client.current_episode
    client = login_as(world.alice)
    with unchanged():
        response = client.post(
            f"/clients/episodes/{episode.id}/sessions", data={"session_date": "2026-10-01"}
        )
    assert response.status_code == 404
    assert episode.sessions == []


def test_caseload_lists_only_own_clients(login_as, world: World) -> None:
    page = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert "A-001" in page
    assert "C-001" not in page


def test_colleague_on_same_team_does_not_see_alices_client(login_as, world: World) -> None:
    assert login_as(world.bob).get(f"/clients/{world.alices_client.id}").status_code == 404


def test_supervisor_sees_the_teams_they_supervise_only(login_as, world: World) -> None:
    client = login_as(world.sam)
    assert client.get(f"/clients/{world.alices_client.id}").status_code == 200
    assert client.get(f"/clients/{world.carols_client.id}").status_code == 404


def test_supervisor_over_both_teams_sees_both(app, login_as, world: World) -> None:
    from outcome_monitor.services import accounts

    accounts.assign_teams(
        user=world.sam, team=None, supervised=[world.north, world.south], by=world.ada
    )
    page = login_as(world.sam).get("/clients/").get_data(as_text=True)
    assert "A-001" in page and "C-001" in page


@pytest.mark.parametrize("path", ["/clients/", "/clients/new"])
def test_admin_sees_no_client_data(login_as, world: World, path: str) -> None:
    client = login_as(world.ada)
    assert client.get(path).status_code == 404
    assert client.get(f"/clients/{world.alices_client.id}").status_code == 404


def test_therapist_cannot_reach_admin_pages(login_as, world: World) -> None:
    assert login_as(world.alice).get("/admin/users").status_code == 404


def test_anonymous_user_is_sent_to_login(client, world: World) -> None:
    response = client.get(f"/clients/{world.alices_client.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
