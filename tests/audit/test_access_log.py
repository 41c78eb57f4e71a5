"""A supervisor sees who opened a client of their team; nobody else sees that page, and the
admin's view of the trail never shows a client code."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, AuditOutcome
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import audit
from tests.builders import count_statements
from tests.conftest import World


def log_path(world: World, which: str = "alices_client") -> str:
    return f"/clients/{getattr(world, which).id}/access-log"


def test_the_supervisor_sees_who_opened_a_client_of_their_team(
    client, login_as, world: World
) -> None:
    login_as(world.alice).get(f"/clients/{world.alices_client.id}")
    client.post("/logout")
    login_as(world.bob).get(f"/clients/{world.alices_client.id}")  # refused: not his client
    client.post("/logout")
    page = login_as(world.sam).get(log_path(world))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Alice" in text and "alice@example.test" in text and "opened the client page" in text
    assert "bob@example.test" in text and "refused" in text


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "ada"])
def test_everyone_but_the_teams_supervisors_gets_404(login_as, world: World, who: str) -> None:
    assert login_as(getattr(world, who)).get(log_path(world)).status_code == 404


def test_the_supervisor_cannot_open_the_log_of_another_teams_client(login_as, world: World) -> None:
    client = login_as(world.sam)
    foreign = client.get(log_path(world, "carols_client"))
    missing = client.get("/clients/999999/access-log")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
    denied = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "client.access_log.view")
        .order_by(AuditEvent.id)  # without an order PostgreSQL may return them either way
    ).all()
    assert [(e.outcome, e.client_code) for e in denied] == [
        (AuditOutcome.DENIED, "C-001"),
        (AuditOutcome.DENIED, None),
    ]


def test_reading_the_log_is_itself_audited_through_the_decorator(login_as, world: World) -> None:
    login_as(world.sam).get(log_path(world))
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "client.access_log.view")
    ).all()
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.sam.id,
        AuditOutcome.ALLOWED,
        "A-001",
    )


def test_the_client_page_links_to_the_log_for_the_supervisor_only(
    login_as, client, world: World
) -> None:
    link = log_path(world)
    assert link in login_as(world.sam).get(f"/clients/{world.alices_client.id}").get_data(
        as_text=True
    )
    client.post("/logout")
    assert link not in login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(
        as_text=True
    )


def _add_views(world: World, n: int) -> None:
    start = utcnow() - timedelta(days=1)
    db.session.execute(
        sa.insert(AuditEvent),
        [
            {
                "actor_id": world.alice.id if i % 2 else world.bob.id,
                "action": "client.view",
                "object_type": "Client",
                "object_id": str(world.alices_client.id),
                "at": start + timedelta(seconds=i),
                "details": {},
                "outcome": AuditOutcome.ALLOWED,
                "client_code": "A-001",
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def _queries(app: Flask, client, path: str) -> int:  # type: ignore[no-untyped-def]
    with count_statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_the_log_runs_the_same_queries_for_ten_and_for_a_thousand_events(
    app: Flask, login_as, world: World
) -> None:
    client = login_as(world.sam)
    client.get(log_path(world))  # warm up
    _add_views(world, 10)
    few = _queries(app, client, log_path(world))
    _add_views(world, 1000)
    many = _queries(app, client, log_path(world))
    assert few == many
    page = client.get(log_path(world) + "?page=2").get_data(as_text=True)
    assert "Older" in page and "Newer" in page


def test_a_page_number_past_any_range_is_an_empty_page(login_as, world: World) -> None:
    response = login_as(world.sam).get(log_path(world) + "?page=99999999999999999999999")
    assert response.status_code == 200
    assert audit.client_access_log(world.alices_client, page=10**30).events == []


def test_the_admin_sees_the_trail_without_any_client_code(client, login_as, world: World) -> None:
    login_as(world.alice).get(f"/clients/{world.alices_client.id}")
    login_as(world.alice).get(f"/clients/{world.carols_client.id}")
    client.post("/logout")
    page = login_as(world.ada).get("/admin/audit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "client.view" in text and "alice@example.test" in text
    assert "A-001" not in text and "C-001" not in text
    denied = login_as(world.ada).get("/admin/audit?outcome=denied").get_data(as_text=True)
    assert "client.view" in denied and "client.create" not in denied


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_clinicians_do_not_reach_the_admins_trail(login_as, world: World, who: str) -> None:
    assert login_as(getattr(world, who)).get("/admin/audit").status_code == 404
