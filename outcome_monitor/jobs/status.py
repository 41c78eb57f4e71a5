"""What the admin page shows per job: next run, last start, last success, last error, and a
warning when a job has stopped succeeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.jobs import JobSpec, job_table
from outcome_monitor.models import JobRun


@dataclass(frozen=True)
class JobStatus:
    spec: JobSpec
    next_run: datetime | None
    last_start: JobRun | None
    last_success: JobRun | None
    last_failure: JobRun | None
    warning: str | None


def job_statuses(*, timezone: tzinfo, now: datetime) -> list[JobStatus]:
    return [_status(spec, timezone, now) for spec in job_table(timezone)]


def _status(spec: JobSpec, timezone: tzinfo, now: datetime) -> JobStatus:
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
    spec: JobSpec,
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
