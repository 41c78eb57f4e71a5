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
        _daily(
            "refit_models",
            "Refit the expected-trajectory models from the closed episodes",
            hour=2,
            minute=0,
            timezone=timezone,
        ),
        _hourly(
            "escalate_alerts",
            "Escalate red and risk alerts left unacknowledged too long",
            minute=5,
            timezone=timezone,
        ),
        _hourly(
            "overdue_measures",
            "Raise or clear 'overdue outcome measure' alerts on active episodes",
            minute=10,
            timezone=timezone,
        ),
        _hourly(
            "send_scheduled_links",
            "Issue the links therapists scheduled for today; email them if possible",
            minute=15,
            timezone=timezone,
        ),
        _daily(
            "purge_expired_records",
            "Erase the clients whose episodes all closed longer ago than the "
            "retention period (RETENTION_YEARS)",
            hour=3,
            minute=30,
            timezone=timezone,
        ),
    )


def _daily(id_: str, description: str, *, hour: int, minute: int, timezone: tzinfo) -> ScheduledJob:
    return ScheduledJob(
        id=id_,
        description=description,
        schedule=f"daily at {hour:02d}:{minute:02d}",
        trigger=CronTrigger(hour=hour, minute=minute, timezone=timezone),
        quiet_limit=timedelta(hours=26),
    )


def _hourly(id_: str, description: str, *, minute: int, timezone: tzinfo) -> ScheduledJob:
    return ScheduledJob(
        id=id_,
        description=description,
        schedule=f"hourly at :{minute:02d}",
        trigger=CronTrigger(minute=minute, timezone=timezone),
        quiet_limit=timedelta(hours=2),
    )
