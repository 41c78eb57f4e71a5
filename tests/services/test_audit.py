"""Every service writes its audit row in the same transaction as the change."""

from __future__ import annotations

from datetime import date

import pytest

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, EpisodeStatus
from outcome_monitor.services import ServiceError, accounts, care
from tests.conftest import World, count


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_each_service_writes_its_audit_row(world: World) -> None:
    before = len(_actions())
    client = care.create_client(code="A-9", therapist=world.alice, by=world.alice)
    episode = care.open_episode(client=client, opened_on=date(2026, 10, 1), by=world.alice)
    care.record_session(
        episode=episode, session_date=date(2026, 10, 1), attended=True, by=world.alice
    )
    care.close_episode(
        episode=episode,
        closed_on=date(2026, 10, 2),
        status=EpisodeStatus.CLOSED,
        reason="done",
        by=world.alice,
    )
    accounts.set_active(user=world.bob, active=False, by=world.ada)
    accounts.reset_password(user=world.bob, password="another long one", by=world.ada)
    accounts.assign_teams(user=world.bob, team=world.south, supervised=[], by=world.ada)
    accounts.set_unlock_pin(user=world.alice, pin="4321", by=world.alice)
    assert _actions()[before:] == [
        "client.create",
        "episode.open",
        "session.record",
        "episode.close",
        "user.deactivate",
        "user.reset_password",
        "user.assign_teams",
        "user.set_pin",
    ]
    last = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.actor_id == world.alice.id and last.object_type == "User"


def test_a_refused_change_writes_no_audit_row(world: World) -> None:
    before = count(AuditEvent)
    with pytest.raises(ServiceError):
        care.create_client(code="A-001", therapist=world.alice, by=world.alice)
    db.session.rollback()
    assert count(AuditEvent) == before


def test_audit_events_cannot_be_changed(world: World) -> None:
    event = db.session.scalars(db.select(AuditEvent)).first()
    event.action = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
