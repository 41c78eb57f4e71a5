"""Running a job and keeping its record: a ``JobRun`` row per run (start, end, summary, error),
written by ``services.job_runs`` in its own transactions around the job's work, so a job that
fails (and rolls back its work) still leaves a row saying when and why.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.services import job_runs

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
        run = job_runs.start_run(job_id)
        run_id, now = run.id, run.started_at
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


def _finish(run_id: int, *, succeeded: bool, text: str) -> JobResult:
    run = job_runs.finish_run(run_id, succeeded=succeeded, text=text)
    assert run.finished_at is not None
    return JobResult(run.job_id, succeeded, run.started_at, run.finished_at, run.summary, run.error)
