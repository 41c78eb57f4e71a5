"""Two schedulers at once issue each scheduled link once (PostgreSQL: real concurrent writers).

As in ``test_jobs_postgres.py``: the test locks ``link_schedule`` IN EXCLUSIVE MODE, which lets
both runs read the full list of due schedules but blocks their first claim. Once both wait on
the lock it is released, so two runs holding the same list race for every schedule. Only the
conditional UPDATE (``processed_at IS NULL``) keeps each schedule to one link and one email.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, JobRun, LinkSchedule, RemoteLink, ScheduleState
from outcome_monitor.services import care, link_schedules
from tests.conftest import USING_POSTGRES, World, count
from tests.jobs.pg_gate import two_schedulers_race

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL on PostgreSQL"),
]


def _due_schedules(app, world: World, n: int) -> list[int]:
    """``n`` episodes, each with a link scheduled (with an address) for the clinic's today."""
    today = datetime.now(ZoneInfo(app.config["SERVICE_TIMEZONE"])).date()
    ids = []
    for i in range(n):
        client = care.create_client(code=f"S-{i:03d}", therapist=world.alice, by=world.alice)
        episode = care.open_episode(client=client, opened_on=today, by=world.alice)
        made = link_schedules.schedule_link(
            episode=episode,
            codes=["srs"],
            send_on=today,
            email=f"client{i}@example.test",
            by=world.alice,
            now=datetime.now(UTC),
            today=today - timedelta(days=1),
        )
        ids.append(made.id)
    return ids


def test_two_scheduler_threads_at_once_issue_and_email_each_link_once(
    app,
    world: World,
    smtp_server,
    monkeypatch,
) -> None:
    smtp, received = smtp_server
    settings = {"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, "SMTP_FROM": smtp.sender}
    for key, value in (settings | {"PUBLIC_BASE_URL": "https://rom.example.test"}).items():
        monkeypatch.setitem(app.config, key, value)
    ids = _due_schedules(app, world, 10)
    two_schedulers_race(app, "send_scheduled_links", table="link_schedule")
    db.session.expire_all()
    runs = db.session.scalars(sa.select(JobRun)).all()
    assert len(runs) == 2 and all(r.succeeded for r in runs), [r.error for r in runs]
    assert count(RemoteLink) == len(ids) and len(received) == len(ids)
    assert sorted(m["To"] for m in received) == sorted(f"client{i}@example.test" for i in range(10))
    processed = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "link_schedule.process")
    ).all()
    assert sorted(processed) == sorted(str(i) for i in ids)
    for schedule_id in ids:
        made = db.session.get_one(LinkSchedule, schedule_id)
        assert made.state is ScheduleState.EMAILED and made.email is None
