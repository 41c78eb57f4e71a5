"""Running a job and keeping its record: a ``JobRun`` row per run (start, end, summary, error).

The record is written in its own transactions around the job's work, so a job that fails
(and rolls back its work) still leaves a row saying when and why. These rows are the
scheduler's bookkeeping, not clinical data, hence no audit rows.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.models import JobRun
from outcome_monitor.models.types import utcnow

log = logging.getLogger("outcome_monitor.jobs")


@dataclass(frozen=True)
class JobResult:
    """What one run did, as plain values (usable after its app context has closed)."""

    job_id: str
    succeeded: bool
    started_at: datetime
    finished_at: datetime
    summary: str | None
    error: str | None


def run_tracked(app: Flask, job_id: str, work: Callable[[datetime], str]) -> JobResult:
    """Run ``work(now)`` in a fresh app context, recording start, success or error."""
    with app.app_context():
        started = time.monotonic()
        run_id, now = _start(job_id)
        try:
            summary = work(now)
        except Exception:
            db.session.rollback()
            result = _finish(run_id, succeeded=False, text=traceback.format_exc())
            log.exception("job %s failed after %.1fs", job_id, time.monotonic() - started)
            return result
        result = _finish(run_id, succeeded=True, text=summary)
        first_line = summary.splitlines()[0] if summary else ""
        log.info("job %s succeeded in %.1fs: %s", job_id, time.monotonic() - started, first_line)
        return result


def _start(job_id: str) -> tuple[int, datetime]:
    run = JobRun(job_id=job_id, started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run.id, run.started_at


def _finish(run_id: int, *, succeeded: bool, text: str) -> JobResult:
    run = db.session.get_one(JobRun, run_id)
    run.finished_at, run.succeeded = utcnow(), succeeded
    if succeeded:
        run.summary = text
    else:
        run.error = text
    db.session.commit()
    return JobResult(run.job_id, succeeded, run.started_at, run.finished_at, run.summary, run.error)


def service_timezone(app: Flask) -> ZoneInfo:
    """The zone the service's clocks run on (``SERVICE_TIMEZONE``, e.g. Europe/London)."""
    name = app.config["SERVICE_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SERVICE_TIMEZONE {name!r} is not a known time zone") from None
