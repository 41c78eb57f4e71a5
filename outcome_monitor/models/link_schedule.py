"""A remote link the scheduler issues on a chosen day instead of the therapist right away."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.care import Episode
from outcome_monitor.models.handover import RemoteLink
from outcome_monitor.models.types import UTCDateTime, utcnow


class ScheduleOutcome(StrEnum):
    """The fixed outcomes; failures and skips add their reason after a colon."""

    EMAILED = "emailed"
    READY = "ready to pass on"
    SKIPPED_CLOSED = "skipped: episode closed"
    CANCELLED = "cancelled"


class LinkSchedule(Model):
    """A link to issue on ``send_on``; processed (or cancelled) exactly once.

    ``processed_at`` is the claim column: the scheduler and a cancelling therapist both set it
    with a conditional UPDATE (``WHERE processed_at IS NULL``), so only one of them wins.
    ``email`` is kept only until then: clients are pseudonymous, the address is cleared as soon
    as the schedule is processed, whatever the outcome.
    """

    __tablename__ = "link_schedule"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    measures: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    send_on: so.Mapped[date] = so.mapped_column(index=True)
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    language: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    processed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    link_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("remote_link.id"))
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    episode: so.Mapped[Episode] = so.relationship()
    created_by: so.Mapped[User] = so.relationship()
    link: so.Mapped[RemoteLink | None] = so.relationship()
