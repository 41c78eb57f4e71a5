"""The job table: every scheduled job as data (stable id, module-level function, trigger).

Nothing is built at import time: ``job_table(timezone)`` makes the triggers, each with the
service's explicit time zone (a trigger without one would follow the host's zone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from outcome_monitor.jobs.runs import JobResult, service_timezone
from outcome_monitor.jobs.tasks import (
    escalation_job,
    overdue_job,
    refit_job,
    retention_job,
    scheduled_links_job,
)

__all__ = [
    "JOB_IDS",
    "JobResult",
    "JobSpec",
    "UnknownJob",
    "find_job",
    "job_table",
    "service_timezone",
]

JOB_IDS = (
    "refit_models",
    "escalate_alerts",
    "overdue_measures",
    "send_scheduled_links",
    "purge_expired_records",
)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job. ``quiet_limit``: no success for longer than this and the admin page
    warns that the job has stopped."""

    id: str
    func: Callable[[Flask], JobResult]
    description: str
    schedule: str
    trigger: BaseTrigger
    quiet_limit: timedelta


def job_table(timezone: tzinfo) -> tuple[JobSpec, ...]:
    return (
        JobSpec(
            id="refit_models",
            func=refit_job,
            description="Refit the expected-trajectory models from the closed episodes",
            schedule="daily at 02:00",
            trigger=CronTrigger(hour=2, minute=0, timezone=timezone),
            quiet_limit=timedelta(hours=26),
        ),
        JobSpec(
            id="escalate_alerts",
            func=escalation_job,
            description="Escalate red and risk alerts left unacknowledged too long",
            schedule="hourly at :05",
            trigger=CronTrigger(minute=5, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        JobSpec(
            id="overdue_measures",
            func=overdue_job,
            description="Raise or clear 'overdue outcome measure' alerts on active episodes",
            schedule="hourly at :10",
            trigger=CronTrigger(minute=10, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        JobSpec(
            id="send_scheduled_links",
            func=scheduled_links_job,
            description="Issue the links therapists scheduled for today; email them if possible",
            schedule="hourly at :15",
            trigger=CronTrigger(minute=15, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        JobSpec(
            id="purge_expired_records",
            func=retention_job,
            description="Erase the clients whose episodes all closed longer ago than the "
            "retention period (RETENTION_YEARS)",
            schedule="daily at 03:30",
            trigger=CronTrigger(hour=3, minute=30, timezone=timezone),
            quiet_limit=timedelta(hours=26),
        ),
    )


class UnknownJob(LookupError):
    """No job with that id in the job table."""


def find_job(job_id: str, timezone: tzinfo) -> JobSpec:
    for spec in job_table(timezone):
        if spec.id == job_id:
            return spec
    raise UnknownJob(f"no job {job_id!r}; the jobs are {', '.join(JOB_IDS)}")
