"""The scheduler process: one ``BlockingScheduler`` holding the job table.

Started only by ``flask --app wsgi scheduler run``, never by ``create_app`` or a web worker
(every gunicorn worker would otherwise start its own copy).
"""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from outcome_monitor.jobs import JobResult, find_job, job_table
from outcome_monitor.services.clock import service_timezone

# A run may start this late (e.g. after a busy moment) before it is skipped until next time.
MISFIRE_GRACE_SECONDS = 15 * 60


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A scheduler in the service's time zone with every job of the table added."""
    scheduler = BlockingScheduler(timezone=service_timezone(app))
    add_jobs(scheduler, app)
    return scheduler


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Add (or replace) every job; the app goes to each job function as its argument.

    The default memory job store never pickles jobs, so passing the app object is safe.
    ``coalesce`` + ``max_instances=1``: missed runs collapse into one and a slow run is never
    overlapped by the next one of the same job.
    """
    for spec in job_table(service_timezone(app)):
        scheduler.add_job(
            spec.func,
            trigger=spec.trigger,
            args=[app],
            id=spec.id,
            name=spec.description,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )


def run_job(app: Flask, job_id: str) -> JobResult:
    """Run one job now, outside the scheduler (``scheduler run-once``, cron, tests)."""
    return find_job(job_id, service_timezone(app)).func(app)
