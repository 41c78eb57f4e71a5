"""``flask erase-client CODE --reason TEXT``: one client erased on request, confirmed, audited."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, AuditEvent, Client, Episode
from tests.conftest import World, count
from tests.retention.conftest import full_record, orphans


def erase(runner, *args: str, answer: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["erase-client", *args], input=answer)


def test_erasure_with_yes_removes_the_client_and_writes_one_audit_row(runner, world: World) -> None:
    full_record(world.alices_client, world.alice, world.sam, closed_on=None)
    erasures_before = count(AuditEvent, AuditEvent.action == "client.erase")
    result = erase(runner, "A-001", "--reason", "request ref 42", "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased client A-001" in result.output
    assert count(Client, Client.code == "A-001") == 0
    assert count(Administration) == 0 and count(Episode) == 1  # Carol's episode stays
    assert orphans() == []
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "client.erase")
    ).all()
    assert erasures_before == 0
    assert (event.client_code, event.actor_id) == ("A-001", None)
    assert event.details["reason"] == "request ref 42"
    assert event.details["rows"]["administration"] == 2


def test_the_prompt_names_what_goes_and_no_keeps_everything(runner, world: World) -> None:
    full_record(world.alices_client, world.alice, None, closed_on=date(2026, 10, 1))
    result = erase(runner, "A-001", "--reason", "request", answer="n\n")
    assert result.exit_code == 1
    assert "Erase client A-001" in result.output and "2 administration" in result.output
    assert count(Client, Client.code == "A-001") == 1
    assert count(AuditEvent, AuditEvent.action == "client.erase") == 0


def test_yes_at_the_prompt_erases(runner, world: World) -> None:
    result = erase(runner, "A-001", "--reason", "request", answer="y\n")
    assert result.exit_code == 0, result.output
    assert count(Client, Client.code == "A-001") == 0


def test_an_unknown_code_is_refused_clearly(runner, world: World) -> None:
    result = erase(runner, "ZZ-999", "--reason", "request", "--yes")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: No client with the code ZZ-999."
    assert count(Client) == 2


def test_a_blank_reason_is_refused(runner, world: World) -> None:
    result = erase(runner, "A-001", "--reason", "   ", "--yes")
    assert result.exit_code == 1 and "reason" in result.output
    assert count(Client, Client.code == "A-001") == 1


def test_the_reason_is_required(runner, world: World) -> None:
    result = erase(runner, "A-001", "--yes")
    assert result.exit_code == 2 and "--reason" in result.output
