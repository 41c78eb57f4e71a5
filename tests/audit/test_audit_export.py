"""``flask audit export``: one row per event, filtered, as CSV or JSON; bad input is one line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outcome_monitor.audit_cli import COLUMNS
from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, AuditOutcome, EntryMode
from outcome_monitor.services import audit, measures
from tests.conftest import World

SINCE = "2000-01-01"


def export(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["audit", "export", *args])


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_therapists_view_of_a_client_appears_in_the_export(
    runner, login_as, world: World
) -> None:
    login_as(world.alice).get(f"/clients/{world.alices_client.id}")
    result = export(runner, "--since", SINCE, "--format", "csv")
    assert result.exit_code == 0, result.output
    found = rows(result.output)
    assert list(found[0]) == list(COLUMNS)
    [view] = [r for r in found if r["action"] == "client.view"]
    assert (view["actor_email"], view["client_code"], view["outcome"]) == (
        "alice@example.test",
        "A-001",
        "allowed",
    )
    assert json.loads(view["detail"])["path"] == f"/clients/{world.alices_client.id}"
    assert datetime.fromisoformat(view["time"]).tzinfo is not None


def test_events_about_no_client_have_an_empty_code_and_denials_say_so(
    runner, login_as, world: World
) -> None:
    login_as(world.alice).get(f"/clients/{world.carols_client.id}")
    found = rows(export(runner, "--since", SINCE).output)
    team = next(r for r in found if r["action"] == "team.create")
    assert team["client_code"] == "" and team["actor_email"] == ""
    denied = next(r for r in found if r["action"] == "client.view")
    assert (denied["outcome"], denied["client_code"]) == ("denied", "C-001")


def test_filters_by_client_actor_and_time(runner, world: World) -> None:
    by_client = rows(export(runner, "--since", SINCE, "--client", "C-001").output)
    assert by_client and {r["client_code"] for r in by_client} == {"C-001"}
    by_actor = rows(export(runner, "--since", SINCE, "--actor", "ADA@example.test").output)
    assert by_actor and {r["actor_email"] for r in by_actor} == {"ada@example.test"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert rows(export(runner, "--since", later).output) == []
    assert rows(export(runner, "--since", SINCE, "--until", "2000-01-02").output) == []


def test_json_is_one_array_of_objects_with_the_same_fields(runner, world: World) -> None:
    result = export(runner, "--since", SINCE, "--format", "json", "--client", "A-001")
    assert result.exit_code == 0
    events = json.loads(result.output)
    assert [e["action"] for e in events] == ["client.create", "episode.open"]
    assert set(events[0]) == set(COLUMNS)
    assert events[0]["detail"] == {"code": "A-001"} and events[0]["outcome"] == "allowed"


def test_an_empty_selection_is_still_valid_json(runner, world: World) -> None:
    result = export(runner, "--since", SINCE, "--format", "json", "--client", "NOBODY")
    assert json.loads(result.output) == []


def test_the_export_goes_to_a_file_with_out(runner, world: World, tmp_path: Path) -> None:
    out = tmp_path / "trail.csv"
    result = export(runner, "--since", SINCE, "--out", str(out))
    assert result.exit_code == 0 and result.output == ""
    assert len(rows(out.read_text(encoding="utf-8"))) == db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not an ISO date"),
        (["--since", SINCE, "--until", "2026-13-01"], "--until: '2026-13-01' is not an ISO date"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "--until must be later than --since"),
        (["--since", SINCE, "--actor", "nobody@example.test"], "No user with the email"),
    ],
)
def test_bad_input_is_one_clear_line(runner, world: World, args: list[str], message: str) -> None:
    result = export(runner, *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_a_zone_in_the_dates_is_honoured_and_a_missing_one_is_utc(world: World) -> None:
    from outcome_monitor.audit_cli import parse_moment

    assert parse_moment("--since", "2026-11-01T10:00:00+01:00") == datetime(
        2026, 11, 1, 9, 0, tzinfo=UTC
    )
    assert parse_moment("--since", "2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)


def test_an_export_spanning_many_fetch_batches_loses_no_row(world: World, monkeypatch) -> None:
    """Rows are fetched EXPORT_BATCH at a time (bench/bench_audit.py measures the memory)."""
    monkeypatch.setattr(audit, "EXPORT_BATCH", 7)
    db.session.execute(
        sa.insert(AuditEvent),
        [
            {
                "action": "client.view",
                "object_type": "Client",
                "object_id": "1",
                "at": datetime.now(UTC),
                "details": {},
                "outcome": AuditOutcome.DENIED,
                "client_code": "A-001",
            }
            for _ in range(50)
        ],
    )
    db.session.commit()
    stream = audit.export_rows(audit.ExportFilter(since=datetime(2000, 1, 1, tzinfo=UTC)))
    first = next(stream)
    assert first.action == "team.create"
    assert sum(1 for _ in stream) + 1 == db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
    )


def test_a_service_event_carries_its_clients_code(world: World) -> None:
    episode = world.alices_client.current_episode
    measures.record_administration(
        episode=episode,
        session_id=None,
        instrument_code="phq9",
        answers={str(i): 1.0 for i in range(1, 10)},
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )
    codes = dict(
        db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.client_code).where(
                AuditEvent.action.in_(["episode.open", "administration.record", "user.create"])
            )
        ).all()
    )
    assert codes["administration.record"] == "A-001"
    assert codes["user.create"] is None
