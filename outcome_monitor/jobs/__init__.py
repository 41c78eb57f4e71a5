"""The job table: every scheduled job as data (stable id, module-level function, trigger).

The ids, descriptions, triggers and quiet limits live in ``services.job_schedule`` (the admin
page shows them too, and the web does not import ``jobs``); this module binds each id to its
function. Nothing is built at import time: ``job_table(timezone)`` makes the triggers, each
with the service's explicit time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import tzinfo

from flask import Flask

from outcome_monitor.jobs.runs import JobResult
from outcome_monitor.jobs.tasks import (
    escalation_job,
    overdue_job,
    refit_job,
    retention_job,
    scheduled_links_job,
)
from outcome_monitor.services.job_schedule import JOB_IDS, ScheduledJob, scheduled_jobs

__all__ = [
    "JOB_IDS",
    "JobResult",
    "JobSpec",
    "UnknownJob",
    "find_job",
    "job_table",
]

JOB_FUNCTIONS: dict[str, Callable[[Flask], JobResult]] = {
    "refit_models": refit_job,
    "escalate_alerts": escalation_job,
    "overdue_measures": overdue_job,
    "send_scheduled_links": scheduled_links_job,
    "purge_expired_records": retention_job,
}


@dataclass(frozen=True)
class JobSpec(ScheduledJob):
    """A scheduled job and the function the scheduler calls with the app."""

    func: Callable[[Flask], JobResult]


def job_table(timezone: tzinfo) -> tuple[JobSpec, ...]:
    return tuple(
        JobSpec(**{f.name: getattr(job, f.name) for f in fields(job)}, func=JOB_FUNCTIONS[job.id])
        for job in scheduled_jobs(timezone)
    )


class UnknownJob(LookupError):
    """No job with that id in the job table."""


def find_job(job_id: str, timezone: tzinfo) -> JobSpec:
    for spec in job_table(timezone):
        if spec.id == job_id:
            return spec
    raise UnknownJob(f"no job {job_id!r}; the jobs are {', '.join(JOB_IDS)}")
