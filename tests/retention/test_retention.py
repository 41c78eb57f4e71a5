"""Retention: a client is purged once every episode closed longer ago than the period; the
purge reaches every table of client data and leaves the audit trail with the code only."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.jobs.runner import run_job
from outcome_monitor.models import AuditEvent, Client, EpisodeStatus, JobRun
from outcome_monitor.services import ServiceError, care, retention
from tests.conftest import World, count
from tests.retention.conftest import full_record, orphans, table_counts


def codes_due(today: date, years: int = 20) -> list[str]:
    return [c.code for c in retention.clients_due(today=today, retention_years=years)]


@pytest.mark.parametrize(
    ("today", "years", "cutoff"),
    [
        (date(2046, 10, 1), 20, date(2026, 10, 1)),
        (date(2032, 2, 29), 8, date(2024, 2, 29)),
        (date(2028, 2, 29), 1, date(2027, 2, 28)),
    ],
    ids=["plain", "leap day to leap day", "leap day to a common year"],
)
def test_the_cutoff_is_the_same_day_so_many_years_ago(
    today: date, years: int, cutoff: date
) -> None:
    assert retention.retention_cutoff(today, years) == cutoff


def test_a_retention_period_under_a_year_is_refused() -> None:
    with pytest.raises(ServiceError):
        retention.retention_cutoff(date(2026, 1, 1), 0)


def test_a_client_is_due_only_when_every_episode_is_past_retention(world: World) -> None:
    episode = world.alices_client.current_episode
    care.close_episode(
        episode=episode,
        closed_on=date(2026, 10, 1),
        status=EpisodeStatus.CLOSED,
        reason="",
        by=world.alice,
    )
    assert codes_due(date(2046, 9, 30)) == []  # one day short
    assert codes_due(date(2046, 10, 1)) == ["A-001"]  # Carol's episode is still active
    care.open_episode(client=world.alices_client, opened_on=date(2030, 1, 1), by=world.alice)
    assert codes_due(date(2046, 10, 1)) == []  # a newer episode keeps the whole record


def test_a_client_with_no_episode_is_never_due(world: World) -> None:
    care.create_client(code="N-001", therapist=world.alice, by=world.alice)
    assert "N-001" not in codes_due(date(2200, 1, 1))


def test_the_purge_removes_every_row_of_the_client_and_nothing_else(world: World) -> None:
    full_record(world.carols_client, world.carol, None, closed_on=None)
    before = table_counts()
    full_record(world.alices_client, world.alice, world.sam, closed_on=date(2026, 10, 1))
    with_alice = table_counts()
    client_tables = {t.name for t in retention.client_data_tables()}
    # one row each for Alice's client already (opening an episode stores its status)
    created_by_the_world = {"client", "episode", "case_status"}
    grown = client_tables - created_by_the_world
    untouched = sorted(n for n in grown if with_alice[n] <= before[n])
    assert untouched == [], "the synthetic record must reach every table of client data"
    summary = retention.purge_expired(today=date(2046, 10, 1), retention_years=20)
    assert [e.code for e in summary.erased] == ["A-001"]
    after = table_counts()
    for name in set(after) - {"audit_event"}:  # every table, not only those found as client data
        expected = before[name] - (1 if name in created_by_the_world else 0)
        assert after[name] == expected, name
    assert orphans() == []
    assert db.session.scalar(sa.select(Client.code)) == "C-001"


def test_the_trail_keeps_the_code_only_and_records_the_purge(world: World) -> None:
    full_record(world.alices_client, world.alice, world.sam, closed_on=date(2026, 10, 1))
    about_alice = count(AuditEvent, AuditEvent.client_code == "A-001")
    retention.purge_expired(today=date(2046, 10, 1), retention_years=20)
    kept = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.client_code == "A-001").order_by(AuditEvent.id)
    ).all()
    *history, purge = kept
    assert len(history) == about_alice
    assert all(e.details == {} for e in history)
    assert purge.action == "client.purge" and purge.actor_id is None
    assert purge.details["retention_years"] == 20 and purge.details["rows"]["administration"] == 2
    assert "A-001" not in repr([e.details for e in kept])


def test_other_clients_audit_rows_keep_their_details(world: World) -> None:
    care.close_episode(
        episode=world.alices_client.current_episode,
        closed_on=date(2026, 10, 1),
        status=EpisodeStatus.CLOSED,
        reason="",
        by=world.alice,
    )
    retention.purge_expired(today=date(2046, 10, 1), retention_years=20)
    carols = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.client_code == "C-001", AuditEvent.action == "client.create"
        )
    )
    assert carols.details == {"code": "C-001"}


def test_the_scheduled_job_purges_with_the_configured_period(
    app, world: World, monkeypatch
) -> None:
    old = care.create_client(code="O-001", therapist=world.alice, by=world.alice)
    episode = care.open_episode(client=old, opened_on=date(2020, 1, 1), by=world.alice)
    care.close_episode(
        episode=episode,
        closed_on=date(2020, 6, 1),
        status=EpisodeStatus.DROPPED_OUT,
        reason="",
        by=world.alice,
    )
    monkeypatch.setitem(app.config, "RETENTION_YEARS", 1)
    result = run_job(app, "purge_expired_records")
    assert result.succeeded, result.error
    assert "purged 1 clients" in (result.summary or "")
    assert count(Client, Client.code == "O-001") == 0
    assert count(Client) == 2  # the active episodes of the world are kept
    assert count(JobRun, JobRun.job_id == "purge_expired_records") == 1
    again = run_job(app, "purge_expired_records")
    assert again.succeeded and "purged 0 clients" in (again.summary or "")


def test_retention_years_comes_from_the_environment() -> None:
    from config import Config, ConfigError

    assert Config({}).RETENTION_YEARS == 20
    assert Config({"RETENTION_YEARS": "8"}).RETENTION_YEARS == 8
    with pytest.raises(ConfigError):
        Config({"RETENTION_YEARS": "0"})


def test_retention_due_lists_without_changing_anything(runner, world: World) -> None:
    care.close_episode(
        episode=world.alices_client.current_episode,
        closed_on=date(2026, 10, 1),
        status=EpisodeStatus.CLOSED,
        reason="",
        by=world.alice,
    )
    result = runner.invoke(args=["retention", "due", "--today", "2046-10-01"])
    assert result.exit_code == 0, result.output
    assert "1 clients" in result.output and "A-001" in result.output
    assert count(Client, Client.code == "A-001") == 1
