"""The scheduler's record of its runs: a ``JobRun`` row per run (start, end, summary, error),
and what the admin page reads from it (last start, success and error, and a warning when a
job has stopped succeeding).

Each write commits on its own, around the job's work, so a job that fails (and rolls back its
work) still leaves a row saying when and why. These rows are the scheduler's bookkeeping, not
clinical data, hence no audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import JobRun
from outcome_monitor.models.types import utcnow
from outcome_monitor.services.job_schedule import ScheduledJob, scheduled_jobs


def start_run(job_id: str) -> JobRun:
    """Record that ``job_id`` starts now; its ``started_at`` is the job's ``now``."""
    run = JobRun(job_id=job_id, started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run


def finish_run(run_id: int, *, succeeded: bool, text: str) -> JobRun:
    """Record the end of a run: ``text`` is its summary, or the error when it failed."""
    run = db.session.get_one(JobRun, run_id)
    run.finished_at, run.succeeded = utcnow(), succeeded
    if succeeded:
        run.summary = text
    else:
        run.error = text
    db.session.commit()
    return run


@dataclass(frozen=True)
class JobStatus:
    spec: ScheduledJob
    next_run: datetime | None
    last_start: JobRun | None
    last_success: JobRun | None
    last_failure: JobRun | None
    warning: str | None


def job_statuses(*, timezone: tzinfo, now: datetime) -> list[JobStatus]:
    return [_status(spec, timezone, now) for spec in scheduled_jobs(timezone)]


def _status(spec: ScheduledJob, timezone: tzinfo, now: datetime) -> JobStatus:
    last_start = _latest(spec.id)
    last_success = _latest(spec.id, JobRun.succeeded.is_(True))
    last_failure = _latest(spec.id, JobRun.succeeded.is_(False))
    return JobStatus(
        spec=spec,
        next_run=spec.trigger.get_next_fire_time(None, now.astimezone(timezone)),
        last_start=last_start,
        last_success=last_success,
        last_failure=last_failure,
        warning=warning_for(spec, last_start, last_success, last_failure, now),
    )


def _latest(job_id: str, *where: sa.ColumnElement[bool]) -> JobRun | None:
    return db.session.scalar(
        sa.select(JobRun)
        .where(JobRun.job_id == job_id, *where)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    )


def warning_for(
    spec: ScheduledJob,
    last_start: JobRun | None,
    last_success: JobRun | None,
    last_failure: JobRun | None,
    now: datetime,
) -> str | None:
    """Why an admin should look at this job, or None when it runs as expected."""
    limit_hours = spec.quiet_limit.total_seconds() / 3600
    if last_start is None:
        return "This job has never run. Is the scheduler process running?"
    if last_success is None:
        return "This job has never succeeded."
    quiet = now - (last_success.finished_at or last_success.started_at)
    if quiet > spec.quiet_limit:
        hours = quiet.total_seconds() / 3600
        return (
            f"No successful run for {hours:.0f} hours (expected at least every "
            f"{limit_hours:.0f} hours). Is the scheduler process running?"
        )
    if last_failure is not None and last_failure.started_at > last_success.started_at:
        return "The last run failed."
    return None
