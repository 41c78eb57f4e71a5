"""``flask scheduler list | run-once | run``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import JobRun
from outcome_monitor.services import alerting

ROOT = Path(__file__).resolve().parents[2]


def test_list_shows_every_job_with_its_next_run(runner) -> None:
    result = runner.invoke(args=["scheduler", "list"])
    assert result.exit_code == 0, result.output
    assert "time zone Europe/London" in result.output
    for job_id in ("refit_models", "escalate_alerts", "overdue_measures"):
        line = next(line for line in result.output.splitlines() if job_id in line)
        assert " next 20" in line


def test_run_once_runs_the_job_and_records_it(runner) -> None:
    result = runner.invoke(args=["scheduler", "run-once", "escalate_alerts"])
    assert result.exit_code == 0, result.output
    assert "escalate_alerts: escalated 0 alerts" in result.output
    assert db.session.scalars(sa.select(JobRun.job_id)).all() == ["escalate_alerts"]


def test_run_once_exits_with_an_error_when_the_job_fails(runner, monkeypatch) -> None:
    def fail(*, now: object) -> int:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(alerting, "escalate_overdue", fail)
    result = runner.invoke(args=["scheduler", "run-once", "escalate_alerts"])
    assert result.exit_code == 1
    assert "escalate_alerts failed: RuntimeError: database on fire" in result.output


def test_run_once_refuses_an_unknown_job(runner) -> None:
    result = runner.invoke(args=["scheduler", "run-once", "make_coffee"])
    assert result.exit_code == 2 and "refit_models" in result.output


@pytest.mark.slow
def test_scheduler_process_stops_cleanly_on_sigterm() -> None:
    env = os.environ | {"OUTCOME_MONITOR_ENV": "testing", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        lines = []
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("Scheduler started"):
                break
        time.sleep(0.5)  # let start() reach its wait loop; a busy CI machine is slow
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert "refit_models" in output and "next 20" in output
    assert "Scheduler stopped." in output
