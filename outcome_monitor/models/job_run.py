"""Scheduler job runs: the record an admin reads to see that a job stopped."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.types import UTCDateTime, utcnow


class JobRun(Model):
    """One run of a scheduled job: when it started and ended, and how."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    job_id: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    succeeded: so.Mapped[bool | None]
    summary: so.Mapped[str | None] = so.mapped_column(sa.Text)
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
