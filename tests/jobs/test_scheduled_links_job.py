"""The ``send_scheduled_links`` job: in the table, run once from the CLI, settings from config."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.jobs import find_job
from outcome_monitor.jobs.runner import run_job
from outcome_monitor.models import JobRun, LinkSchedule
from outcome_monitor.services import job_runs, link_schedules
from tests.conftest import World

ADDRESS = "client@example.test"


def make_schedule(world: World, send_on: date, email: str | None = None) -> LinkSchedule:
    return link_schedules.schedule_link(
        episode=world.alices_client.current_episode,
        codes=["srs"],
        send_on=send_on,
        email=email,
        by=world.alice,
        now=datetime.now(UTC),
        today=send_on - timedelta(days=1),
    )


def test_the_job_runs_hourly_at_a_quarter_past_in_the_service_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    spec = find_job("send_scheduled_links", paris)
    assert spec.trigger.timezone == paris and spec.quiet_limit == timedelta(hours=2)
    fire = spec.trigger.get_next_fire_time(None, datetime(2026, 3, 29, 12, 20, tzinfo=paris))
    assert fire == datetime(2026, 3, 29, 13, 15, tzinfo=paris)


def test_run_once_issues_the_due_links_and_records_the_run(runner, world: World) -> None:
    made = make_schedule(world, send_on=datetime.now(UTC).date() - timedelta(days=1))
    result = runner.invoke(args=["scheduler", "run-once", "send_scheduled_links"])
    assert result.exit_code == 0, result.output
    assert "send_scheduled_links: processed 1 scheduled links: 1 ready to pass on" in result.output
    assert db.session.scalars(sa.select(JobRun.job_id)).all() == ["send_scheduled_links"]
    db.session.refresh(made)
    assert made.link is not None


def test_the_job_uses_the_clinic_date(app, world: World, monkeypatch) -> None:
    made = make_schedule(world, send_on=date(2026, 11, 21))
    monkeypatch.setattr(job_runs, "utcnow", lambda: datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    monkeypatch.setitem(app.config, "SERVICE_TIMEZONE", "Pacific/Auckland")
    result = run_job(app, "send_scheduled_links")
    assert result.summary == "processed 1 scheduled links: 1 ready to pass on"
    db.session.refresh(made)
    assert made.processed_at == datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def test_the_job_emails_with_the_configured_relay_and_public_address(
    app,
    world: World,
    smtp_server,
    monkeypatch,
) -> None:
    smtp, received = smtp_server
    settings = {"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, "SMTP_FROM": smtp.sender}
    settings["PUBLIC_BASE_URL"] = "https://rom.example.test"
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    made = make_schedule(world, send_on=datetime.now(UTC).date() - timedelta(days=1), email=ADDRESS)
    result = run_job(app, "send_scheduled_links")
    assert result.summary == "processed 1 scheduled links: 1 emailed"
    assert "https://rom.example.test/l/" in received[0].get_payload()
    db.session.refresh(made)
    assert made.email is None
