"""Two schedulers started together do not escalate twice (PostgreSQL: real concurrent writers).

Both copies are held at the same point: the test locks the ``alert`` table IN EXCLUSIVE MODE,
which still lets them read (each loads the full list of overdue alerts) but blocks their first
UPDATE. Once both are waiting on the lock the test releases it, so two runs holding the same
stale candidate list race to claim every alert. Only the conditional UPDATE
(``escalated_at IS NULL``) keeps each alert to one escalation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AuditEvent, JobRun
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import alerting, care
from tests.conftest import USING_POSTGRES, World
from tests.jobs.pg_gate import two_scheduler_processes_race, two_schedulers_race

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL on PostgreSQL"),
]


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
    two_schedulers_race(app, "escalate_alerts", table="alert", timeout=30)
    _assert_each_alert_escalated_once(ids)


@pytest.mark.slow
def test_two_scheduler_processes_at_once_escalate_each_alert_once(world: World) -> None:
    ids = _overdue_risk_alerts(world, 12)
    two_scheduler_processes_race("escalate_alerts", table="alert")
    _assert_each_alert_escalated_once(ids)


def test_two_schedulers_racing_over_many_batches_escalate_each_alert_once(
    app, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 4 over 30 alerts: both runs hold the same stale list of every due alert and
    claim batch after batch at once; ``FOR UPDATE SKIP LOCKED`` and the conditional UPDATE
    give each alert to exactly one of them, and neither waits for the other's batch."""
    monkeypatch.setattr(alerting, "ESCALATION_BATCH", 4)
    ids = _overdue_risk_alerts(world, 30)
    two_schedulers_race(app, "escalate_alerts", table="alert")
    _assert_each_alert_escalated_once(ids)
