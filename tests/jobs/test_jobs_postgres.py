"""Two schedulers started together do not escalate twice (PostgreSQL: real concurrent writers).

Both copies are held at the same point: the test locks the ``alert`` table IN EXCLUSIVE MODE,
which still lets them read (each loads the full list of overdue alerts) but blocks their first
UPDATE. Once both are waiting on the lock the test releases it, so two runs holding the same
stale candidate list race to claim every alert. Only the conditional UPDATE
(``escalated_at IS NULL``) keeps each alert to one escalation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.jobs.runner import run_job
from outcome_monitor.models import Alert, AuditEvent, JobRun
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import alerting, care
from tests.conftest import USING_POSTGRES, World
from tests.jobs.pg_gate import writes_gated

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL on PostgreSQL"),
]
ROOT = Path(__file__).resolve().parents[2]


def _overdue_risk_alerts(world: World, n: int) -> list[int]:
    """``n`` episodes (through the services), each with a risk alert open for 2 days (fixture)."""
    ids = []
    for i in range(n):
        client = care.create_client(code=f"P-{i:03d}", therapist=world.alice, by=world.alice)
        episode = care.open_episode(client=client, opened_on=utcnow().date(), by=world.alice)
        opened = utcnow() - timedelta(hours=48)
        alert = Alert(
            episode=episode,
            type="risk_item",
            instrument_code="phq9",
            reason_text="synthetic risk item",
            opened_at=opened,
            updated_at=opened,
        )
        db.session.add(alert)
        db.session.commit()
        ids.append(alert.id)
    return ids


def _assert_each_alert_escalated_once(ids: list[int]) -> None:
    db.session.expire_all()
    runs = db.session.scalars(sa.select(JobRun).where(JobRun.job_id == "escalate_alerts")).all()
    assert len(runs) == 2 and all(r.succeeded for r in runs), [r.error for r in runs]
    escalated = sum(int(r.summary.split()[1]) for r in runs)
    assert escalated == len(ids)
    audits = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "alert.escalate")
    ).all()
    assert sorted(audits) == sorted(str(i) for i in ids)
    starts = {r.started_at for r in runs}
    for alert_id in ids:
        assert db.session.get_one(Alert, alert_id).escalated_at in starts


def test_two_scheduler_threads_at_once_escalate_each_alert_once(app, world: World) -> None:
    ids = _overdue_risk_alerts(world, 12)
    barrier = threading.Barrier(2, timeout=10)

    def one_scheduler() -> None:
        barrier.wait()
        run_job(app, "escalate_alerts")

    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    with writes_gated("alert", waiters=2) as release:
        for thread in threads:
            thread.start()
        release()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    _assert_each_alert_escalated_once(ids)


@pytest.mark.slow
def test_two_scheduler_processes_at_once_escalate_each_alert_once(world: World) -> None:
    ids = _overdue_risk_alerts(world, 12)
    env = os.environ | {"OUTCOME_MONITOR_ENV": "testing"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi"]
    command += ["scheduler", "run-once", "escalate_alerts"]
    with writes_gated("alert", waiters=2) as release:
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
    _assert_each_alert_escalated_once(ids)


def test_two_schedulers_racing_over_many_batches_escalate_each_alert_once(
    app, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 4 over 30 alerts: both runs hold the same stale list of every due alert and
    claim batch after batch at once; ``FOR UPDATE SKIP LOCKED`` and the conditional UPDATE
    give each alert to exactly one of them, and neither waits for the other's batch."""
    monkeypatch.setattr(alerting, "ESCALATION_BATCH", 4)
    ids = _overdue_risk_alerts(world, 30)
    barrier = threading.Barrier(2, timeout=10)

    def one_scheduler() -> None:
        barrier.wait()
        run_job(app, "escalate_alerts")

    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    with writes_gated("alert", waiters=2) as release:
        for thread in threads:
            thread.start()
        release()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    _assert_each_alert_escalated_once(ids)
