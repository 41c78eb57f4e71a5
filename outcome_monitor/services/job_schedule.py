"""The scheduled jobs as data: stable id, what the job does, when it runs, how long it may stay
quiet. ``jobs/`` binds each id to its function; the admin page (``job_runs``) shows the same
table next to each job's last runs, without importing the scheduler's code.

Nothing is built at import time: ``scheduled_jobs(timezone)`` makes the triggers, each with the
service's explicit time zone (a trigger without one would follow the host's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

JOB_IDS = (
    "refit_models",
    "escalate_alerts",
    "overdue_measures",
    "send_scheduled_links",
    "purge_expired_records",
)


@dataclass(frozen=True)
class ScheduledJob:
    """One scheduled job. ``quiet_limit``: no success for longer than this and the admin page
    warns that the job has stopped."""

    id: str
    description: str
    schedule: str
    trigger: BaseTrigger
    quiet_limit: timedelta


def scheduled_jobs(timezone: tzinfo) -> tuple[ScheduledJob, ...]:
    return (
        ScheduledJob(
            id="refit_models",
            description="Refit the expected-trajectory models from the closed episodes",
            schedule="daily at 02:00",
            trigger=CronTrigger(hour=2, minute=0, timezone=timezone),
            quiet_limit=timedelta(hours=26),
        ),
        ScheduledJob(
            id="escalate_alerts",
            description="Escalate red and risk alerts left unacknowledged too long",
            schedule="hourly at :05",
            trigger=CronTrigger(minute=5, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        ScheduledJob(
            id="overdue_measures",
            description="Raise or clear 'overdue outcome measure' alerts on active episodes",
            schedule="hourly at :10",
            trigger=CronTrigger(minute=10, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        ScheduledJob(
            id="send_scheduled_links",
            description="Issue the links therapists scheduled for today; email them if possible",
            schedule="hourly at :15",
            trigger=CronTrigger(minute=15, timezone=timezone),
            quiet_limit=timedelta(hours=2),
        ),
        ScheduledJob(
            id="purge_expired_records",
            description="Erase the clients whose episodes all closed longer ago than the "
            "retention period (RETENTION_YEARS)",
            schedule="daily at 03:30",
            trigger=CronTrigger(hour=3, minute=30, timezone=timezone),
            quiet_limit=timedelta(hours=26),
        ),
    )
