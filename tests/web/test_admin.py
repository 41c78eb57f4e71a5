from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import User
from tests.conftest import World, login


def test_admin_creates_a_user_who_can_log_in(client, login_as, world: World) -> None:
    admin = login_as(world.ada)
    response = admin.post(
        "/admin/users",
        data={
            "email": "dora@example.test",
            "display_name": "Dora",
            "role": "therapist",
            "team_id": world.north.id,
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    dora = db.session.scalar(sa.select(User).where(User.email == "dora@example.test"))
    assert dora.team_id == world.north.id
    admin.get("/logout")
    assert login(client, "dora@example.test", "a long enough password").status_code == 302


def test_admin_deactivates_a_user(client, login_as, world: World) -> None:
    login_as(world.ada).post(f"/admin/users/{world.bob.id}/active")
    db.session.refresh(world.bob)
    assert world.bob.active is False


def test_admin_cannot_deactivate_themselves(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        f"/admin/users/{world.ada.id}/active", follow_redirects=True
    )
    assert "cannot deactivate your own account" in response.get_data(as_text=True)


def test_admin_resets_a_password(client, login_as, world: World) -> None:
    admin = login_as(world.ada)
    admin.post(f"/admin/users/{world.bob.id}/password", data={"password": "brand new password"})
    admin.get("/logout")
    assert login(client, world.bob, "brand new password").status_code == 302


def test_short_password_reset_is_refused(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        f"/admin/users/{world.bob.id}/password", data={"password": "short"}, follow_redirects=True
    )
    assert "at least 10 characters" in response.get_data(as_text=True)


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
