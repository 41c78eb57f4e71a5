"""The job table, the scheduler it builds, and the record each job run leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from outcome_monitor.extensions import db
from outcome_monitor.jobs import JOB_IDS, UnknownJob, job_table
from outcome_monitor.jobs.runner import add_jobs, build_scheduler, run_job
from outcome_monitor.models import Alert, AuditEvent, EntryMode, JobRun
from outcome_monitor.services import alerting, care, job_runs, measures, settings_changes
from tests.builders import insert_closed_episodes
from tests.conftest import World, count

PARIS = ZoneInfo("Europe/Paris")


def test_job_table_lists_every_job_each_in_the_given_time_zone() -> None:
    table = job_table(PARIS)
    assert tuple(spec.id for spec in table) == JOB_IDS
    assert all(spec.trigger.timezone == PARIS for spec in table)
    refit = table[0]
    assert refit.trigger.get_next_fire_time(None, datetime(2026, 3, 29, 12, tzinfo=PARIS)) == (
        datetime(2026, 3, 30, 2, 0, tzinfo=PARIS)
    )


def test_scheduler_is_built_in_the_service_time_zone(app) -> None:
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert scheduler.timezone == ZoneInfo(app.config["SERVICE_TIMEZONE"])
    assert {job.id for job in scheduler.get_jobs()} == set(JOB_IDS)


def test_adding_the_jobs_twice_replaces_them(app) -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        add_jobs(scheduler, app)
        add_jobs(scheduler, app)  # replace_existing: no ConflictingIdError, no duplicates
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert sorted(job.id for job in jobs) == sorted(JOB_IDS)
    service_zone = ZoneInfo(app.config["SERVICE_TIMEZONE"])
    for job in jobs:
        assert job.args == (app,)
        assert job.coalesce and job.max_instances == 1
        assert job.trigger.timezone == service_zone


def test_unknown_job_id_is_refused(app) -> None:
    with pytest.raises(UnknownJob, match="refit_models"):
        run_job(app, "make_coffee")


def _overdue_risk_alert(world: World, hours: int = 30) -> Alert:
    """A risk alert raised through the services, then backdated (a fixture edit)."""
    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 1), attended=True, by=world.alice
    )
    answers = {str(i): 0.0 for i in range(1, 10)} | {"1": 3.0, "9": 1.0}
    recorded = measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code="phq9",
        answers=answers,
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )
    alert = recorded.alerts[0]
    assert alert.type == "risk_item"
    db.session.execute(
        sa.update(Alert)
        .where(Alert.id == alert.id)
        .values(opened_at=datetime.now(UTC) - timedelta(hours=hours))
    )
    db.session.commit()
    return alert


def test_escalation_job_escalates_once_however_often_it_runs(app, world: World) -> None:
    alert = _overdue_risk_alert(world)
    first = run_job(app, "escalate_alerts")
    second = run_job(app, "escalate_alerts")
    assert (first.summary, second.summary) == ("escalated 1 alerts", "escalated 0 alerts")
    assert count(AuditEvent, AuditEvent.action == "alert.escalate") == 1
    db.session.refresh(alert)
    assert alert.escalated_at == first.started_at
    recorded = db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
    assert [(r.job_id, r.succeeded) for r in recorded] == [("escalate_alerts", True)] * 2
    assert all(r.finished_at >= r.started_at for r in recorded)


def test_failing_job_records_the_error_and_keeps_nothing_else(
    app, world: World, monkeypatch
) -> None:
    alert = _overdue_risk_alert(world)

    def escalate_then_fail(*, now: datetime) -> int:
        db.session.execute(sa.update(Alert).values(action_note="half-done work"))
        raise RuntimeError("mail relay unreachable")

    monkeypatch.setattr(alerting, "escalate_overdue", escalate_then_fail)
    result = run_job(app, "escalate_alerts")
    assert not result.succeeded and result.summary is None
    row = db.session.scalars(sa.select(JobRun)).one()
    assert row.succeeded is False and row.finished_at is not None
    assert "Traceback" in row.error and "RuntimeError: mail relay unreachable" in row.error
    db.session.refresh(alert)
    assert alert.action_note is None  # the failed job's work was rolled back


def test_overdue_job_uses_the_clinic_date(app, world: World, monkeypatch) -> None:
    seen: list[date] = []
    real = alerting.check_overdue

    def spy(*, today: date, now: datetime) -> int:
        seen.append(today)
        return real(today=today, now=now)

    monkeypatch.setattr(alerting, "check_overdue", spy)
    monkeypatch.setattr(job_runs, "utcnow", lambda: datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    monkeypatch.setitem(app.config, "SERVICE_TIMEZONE", "Pacific/Auckland")
    result = run_job(app, "overdue_measures")
    assert seen == [date(2026, 11, 21)]  # already Saturday in Auckland
    assert result.summary == "2 active episodes have an overdue outcome measure"


def test_refit_job_records_what_it_fitted(app, world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(changes={"empirical_min_episodes": 20}, by=world.ada)
    result = run_job(app, "refit_models")
    head, *reasons = result.summary.splitlines()
    assert head.startswith("stored 2 model versions: phq9/empirical")
    assert any(line.startswith("gad7/empirical: fell back") for line in reasons)
    assert count(JobRun, JobRun.job_id == "refit_models", JobRun.succeeded.is_(True)) == 1
