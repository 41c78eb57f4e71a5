from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import User
from outcome_monitor.security import verify_secret
from tests.accounts.helpers import invitation_link
from tests.conftest import PASSWORD, World, login


def test_admin_invites_a_user_who_sets_a_password_and_can_log_in(
    client, login_as, world: World
) -> None:
    admin = login_as(world.ada)
    response = admin.post(
        "/admin/users",
        data={
            "email": "dora@example.test",
            "display_name": "Dora",
            "role": "therapist",
            "team_id": world.north.id,
            "password": "the admin's choice!",  # ignored: there is no such field any more
        },
    )
    assert response.status_code == 302
    dora = db.session.scalar(sa.select(User).where(User.email == "dora@example.test"))
    assert dora.team_id == world.north.id
    assert dora.password_hash is None
    link = invitation_link(admin.get("/admin/users").get_data(as_text=True))
    admin.post("/logout")
    assert login(client, "dora@example.test", "the admin's choice!").status_code == 200
    client.post(link, data={"password": "dora's own password", "confirm": "dora's own password"})
    client.post("/logout")
    assert login(client, "dora@example.test", "dora's own password").status_code == 302


def test_the_user_form_has_no_password_field(login_as, world: World) -> None:
    page = login_as(world.ada).get("/admin/users").get_data(as_text=True)
    assert 'type="password"' not in page


def test_admin_deactivates_a_user(client, login_as, world: World) -> None:
    login_as(world.ada).post(f"/admin/users/{world.bob.id}/active")
    db.session.refresh(world.bob)
    assert world.bob.active is False


def test_admin_cannot_deactivate_themselves(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        f"/admin/users/{world.ada.id}/active", follow_redirects=True
    )
    assert "cannot deactivate your own account" in response.get_data(as_text=True)


def test_the_admin_password_route_is_gone(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        f"/admin/users/{world.bob.id}/password", data={"password": "brand new password"}
    )
    assert response.status_code in (404, 405)
    db.session.refresh(world.bob)
    assert verify_secret(world.bob.password_hash, PASSWORD)


def test_admin_reset_sends_a_link_and_the_user_chooses_the_password(
    client, login_as, world: World
) -> None:
    admin = login_as(world.ada)
    admin.post(f"/admin/users/{world.bob.id}/reset-link")
    link = invitation_link(admin.get(f"/admin/users/{world.bob.id}").get_data(as_text=True))
    admin.post("/logout")
    assert login(client, world.bob).status_code == 200  # the old password is gone
    client.post(link, data={"password": "brand new password", "confirm": "brand new password"})
    client.post("/logout")
    assert login(client, world.bob, "brand new password").status_code == 302


def test_admin_assigns_supervised_teams(login_as, world: World) -> None:
    login_as(world.ada).post(
        f"/admin/users/{world.sam.id}/teams",
        data={"team_id": 0, "supervised": [world.north.id, world.south.id]},
    )
    db.session.refresh(world.sam)
    assert {t.name for t in world.sam.supervised_teams} == {"North", "South"}


def test_admin_creates_a_team(login_as, world: World) -> None:
    page = login_as(world.ada).post("/admin/teams", data={"name": "East"}, follow_redirects=True)
    assert "East" in page.get_data(as_text=True)


def test_admin_user_page_shows_no_client_codes(login_as, world: World) -> None:
    page = login_as(world.ada).get("/admin/users").get_data(as_text=True)
    assert "A-001" not in page and "C-001" not in page
