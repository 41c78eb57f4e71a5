"""Every grant of clinical access is shown to the team's supervisors and on the access report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import AccessGrant, GrantKind, Role
from outcome_monitor.services import access_grants, accounts, invitations
from tests.builders import count_statements
from tests.conftest import PASSWORD, World, login

NOTICES = "/account/access-notices"


def _invite_dora(world: World) -> None:
    invitations.invite_user(
        email="dora@example.test",
        display_name="Dora",
        role=Role.THERAPIST,
        team=world.north,
        by=world.ada,
        now=datetime.now(UTC),
        valid_for=timedelta(days=1),
    )


def _kinds(world: World) -> list[GrantKind]:
    return [g.kind for g in access_grants.pending_notices(world.sam)]


def test_a_new_clinical_account_is_shown_to_the_supervisor_at_the_next_sign_in(
    client: FlaskClient, world: World
) -> None:
    _invite_dora(world)
    response = login(client, world.sam)
    assert response.headers["Location"].startswith(NOTICES)
    page = client.get(NOTICES).get_data(as_text=True)
    assert "dora@example.test" in page and "new account" in page and "ada@example.test" in page


def test_acknowledged_notices_are_not_shown_again(client: FlaskClient, world: World) -> None:
    _invite_dora(world)
    login(client, world.sam)
    newest = max(g.id for g in access_grants.pending_notices(world.sam))
    response = client.post(NOTICES, data={"up_to": newest, "next": "/clients/"})
    assert response.headers["Location"].endswith("/clients/")
    client.post("/logout")
    assert not login(client, world.sam).headers["Location"].startswith(NOTICES)


def test_acknowledging_cannot_skip_grants_not_yet_made(client: FlaskClient, world: World) -> None:
    login(client, world.sam)
    client.post(NOTICES, data={"up_to": 10**12})
    _invite_dora(world)
    assert _kinds(world) == [GrantKind.NEW_ACCOUNT]


def test_team_role_and_supervision_changes_are_grants(world: World) -> None:
    accounts.assign_teams(user=world.carol, team=world.north, supervised=[], by=world.ada)
    accounts.change_role(user=world.bob, role=Role.SUPERVISOR, by=world.ada)
    accounts.assign_teams(user=world.bob, team=world.north, supervised=[world.north], by=world.ada)
    assert _kinds(world) == [GrantKind.TEAM_MEMBER, GrantKind.ROLE_CHANGE, GrantKind.SUPERVISES]


def test_an_admin_reset_of_a_clinicians_password_is_a_grant(world: World) -> None:
    invitations.issue_password_reset(
        user=world.alice, by=world.ada, now=datetime.now(UTC), valid_for=timedelta(hours=1)
    )
    assert _kinds(world) == [GrantKind.PASSWORD_RESET]


def test_other_teams_grants_and_admin_accounts_are_not_shown(world: World) -> None:
    accounts.create_user(
        email="eve@example.test",
        display_name="Eve",
        role=Role.THERAPIST,
        password=PASSWORD,
        team=world.south,
        by=None,
    )
    accounts.create_user(
        email="root@example.test", display_name="Root", role=Role.ADMIN, password=PASSWORD, by=None
    )
    accounts.assign_teams(
        user=world.carol, team=world.south, supervised=[], by=world.ada
    )  # no change
    assert _kinds(world) == []


def test_the_demo_style_operator_grant_names_the_operator(
    client: FlaskClient, world: World
) -> None:
    accounts.create_user(
        email="eve@example.test",
        display_name="Eve",
        role=Role.THERAPIST,
        password=PASSWORD,
        team=world.north,
        by=None,
    )
    login(client, world.sam)
    assert "the operator (command line)" in client.get(NOTICES).get_data(as_text=True)


def test_the_access_report_shows_admins_everything_and_supervisors_their_teams(
    client: FlaskClient, world: World
) -> None:
    _invite_dora(world)
    accounts.create_user(
        email="eve@example.test",
        display_name="Eve",
        role=Role.THERAPIST,
        password=PASSWORD,
        team=world.south,
        by=None,
    )
    login(client, world.ada)
    page = client.get("/access-report").get_data(as_text=True)
    assert "dora@example.test" in page and "eve@example.test" in page
    assert "A-001" not in page and "C-001" not in page
    client.post("/logout")
    login(client, world.sam)
    page = client.get("/access-report").get_data(as_text=True)
    assert "dora@example.test" in page and "eve@example.test" not in page
    client.post("/logout")
    login(client, world.alice)
    assert client.get("/access-report").status_code == 404
    assert client.get(NOTICES).status_code == 404


def test_the_access_report_rejects_a_bad_page(login_as, world: World) -> None:
    client = login_as(world.ada)
    for page in ("abc", "0", "-1", "99999999999999999999"):
        assert client.get(f"/access-report?page={page}").status_code == 404


def _report_queries(client: FlaskClient) -> int:
    db.session.expire_all()
    with count_statements() as statements:
        assert client.get("/access-report").status_code == 200
    return len(statements)


def test_the_access_report_runs_the_same_number_of_queries_for_few_and_many_grants(
    login_as, world: World
) -> None:
    client = login_as(world.ada)
    few = _report_queries(client)
    for n in range(30):
        team = accounts.create_team(name=f"Team {n}", by=None)
        accounts.create_user(
            email=f"t{n}@example.test",
            display_name=f"T{n}",
            role=Role.THERAPIST,
            password=PASSWORD,
            team=team,
            by=world.ada,
        )
    assert db.session.scalar(sa.select(sa.func.count(AccessGrant.id))) > 30
    assert _report_queries(client) == few


def test_a_supervisor_created_with_a_team_raises_no_warning(world: World) -> None:
    user = accounts.add_user(
        email="new.sup@example.test", display_name="", role=Role.SUPERVISOR,
        team=world.north, by=None,
    )
    db.session.commit()
    assert user.id is not None
