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
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class ScheduleState(StrEnum):
    """Where a schedule stands. Every state but PENDING is final."""

    PENDING = "pending"  # waiting for its day (or for the run that is processing it)
    EMAILED = "emailed"
    READY = "ready"  # issued, not emailed: the therapist passes it on (``reason``: why not)
    FAILED = "failed"  # issued, but the email failed (``reason``: the relay's answer)
    SKIPPED = "skipped"  # not issued (``reason``: why not)
    CANCELLED = "cancelled"  # by the therapist, or with its episode (``reason``)


# The one reason the panel words itself (in the user's language); other reasons are shown as
# recorded, e.g. the relay's answer to a failed email.
EPISODE_CLOSED = "episode closed"


class LinkSchedule(Model):
    """A link to issue on ``send_on``; processed (or cancelled) exactly once.

    ``processed_at`` is the claim column: the scheduler and a cancelling therapist both set it
    with a conditional UPDATE (``WHERE processed_at IS NULL``), so only one of them wins.
    ``email`` is kept only until then: clients are pseudonymous, the address is cleared as soon
    as the schedule is processed, whatever the outcome. ``state`` says how it ended and
    ``reason`` why, when it did not end as planned.
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
    state: so.Mapped[ScheduleState] = so.mapped_column(
        str_enum(ScheduleState), default=ScheduleState.PENDING
    )
    reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    episode: so.Mapped[Episode] = so.relationship()
    created_by: so.Mapped[User] = so.relationship()
    link: so.Mapped[RemoteLink | None] = so.relationship()
