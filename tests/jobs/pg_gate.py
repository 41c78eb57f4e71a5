"""Hold two concurrent job runs at their first write on PostgreSQL, then let them race.

Locking a table IN EXCLUSIVE MODE still lets both runs read (each loads the same list of due
work) but blocks their first UPDATE; once both wait on the lock it is released, so two runs
holding the same stale list race to claim every row. ``two_schedulers_race`` runs a job so in
two threads, ``two_scheduler_processes_race`` in two ``flask scheduler run-once`` processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.jobs.runner import run_job

ROOT = Path(__file__).resolve().parents[2]


def waiting_on_lock(table: str) -> int:
    """How many backends wait for a lock on ``table``."""
    with db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE relation = CAST(:t AS regclass) "
                "AND NOT granted"
            ),
            {"t": table},
        )


@contextmanager
def writes_gated(table: str, waiters: int) -> Iterator[Callable[[], None]]:
    """Hold writes to ``table`` back; the yielded function releases them once ``waiters`` wait."""
    db.session.rollback()
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))

    def release_when_all_wait() -> None:
        deadline = time.monotonic() + 30
        while waiting_on_lock(table) < waiters:
            assert time.monotonic() < deadline, "the runs never reached their first claim"
            time.sleep(0.02)
        transaction.commit()

    try:
        yield release_when_all_wait
    finally:
        if transaction.is_active:
            transaction.rollback()
        connection.close()


def two_schedulers_race(app: Flask, job_id: str, *, table: str, timeout: float = 60) -> None:
    """Run ``job_id`` in two threads started together, both held at their first write to
    ``table`` until both wait there; return when both have finished."""
    barrier = threading.Barrier(2, timeout=10)

    def one_scheduler() -> None:
        barrier.wait()
        run_job(app, job_id)

    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    with writes_gated(table, waiters=2) as release:
        for thread in threads:
            thread.start()
        release()
        for thread in threads:
            thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)


def two_scheduler_processes_race(job_id: str, *, table: str) -> None:
    """Run ``job_id`` in two ``flask scheduler run-once`` processes, both held at their first
    write to ``table`` until both wait there; both must exit cleanly."""
    env = os.environ | {"OUTCOME_MONITOR_ENV": "testing"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi"]
    command += ["scheduler", "run-once", job_id]
    with writes_gated(table, waiters=2) as release:
        processes = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for _ in range(2)
        ]
        try:
            release()
            outputs = [p.communicate(timeout=60)[0].decode() for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    assert [p.returncode for p in processes] == [0, 0], outputs
