"""Questionnaires a client answers without a staff login: a tablet hand-over or a remote link.

Both keep every answer as a draft row the moment it is given, so a timeout, a reload or a lost
connection never loses what the client typed; a measure becomes an ``Administration`` only when
the client finishes it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.care import Episode, TherapySession
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class HandOverStatus(StrEnum):
    ACTIVE = "active"  # the client is answering on the tablet
    FINISHED = "finished"  # the client finished; the tablet waits for staff to unlock it
    LOCKED = "locked"  # abandoned (idle timeout); the tablet waits for staff to unlock it
    PAUSED = "paused"  # unlocked before the client finished: resume or discard
    CLOSED = "closed"  # finished and unlocked
    DISCARDED = "discarded"


# A hand-over in one of these states still needs the therapist's attention.
OPEN_HANDOVER_STATUSES = (
    HandOverStatus.ACTIVE,
    HandOverStatus.FINISHED,
    HandOverStatus.LOCKED,
    HandOverStatus.PAUSED,
)


class HandOver(Model):
    """A tablet handed to the client in the room for the chosen measures."""

    __tablename__ = "hand_over"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    session_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("therapy_session.id"))
    started_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    measures: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    language: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    status: so.Mapped[HandOverStatus] = so.mapped_column(
        str_enum(HandOverStatus), default=HandOverStatus.ACTIVE
    )
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    locked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    unlocked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    unlocked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    # Wrong unlock attempts on this tablet since it was last unlocked; past a few, no PIN works.
    failed_unlocks: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    episode: so.Mapped[Episode] = so.relationship()
    session: so.Mapped[TherapySession | None] = so.relationship()
    started_by: so.Mapped[User] = so.relationship(foreign_keys=[started_by_id])
    unlocked_by: so.Mapped[User | None] = so.relationship(foreign_keys=[unlocked_by_id])


class RemoteLink(Model):
    """A one-time link for the client's own phone; only a hash of its token is stored."""

    __tablename__ = "remote_link"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    measures: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    language: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    first_opened_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_activity_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    emailed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    episode: so.Mapped[Episode] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()

    @property
    def session(self) -> None:
        """A link is answered outside a session (same interface as ``HandOver``)."""
        return None


class DraftAnswer(Model):
    """One answer given so far, owned by exactly one hand-over or remote link."""

    __tablename__ = "draft_answer"
    __table_args__ = (
        sa.UniqueConstraint("handover_id", "instrument_code", "item_id"),
        sa.UniqueConstraint("link_id", "instrument_code", "item_id"),
        sa.CheckConstraint("(handover_id IS NULL) <> (link_id IS NULL)", name="one_owner"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    handover_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("hand_over.id", ondelete="CASCADE")
    )
    link_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("remote_link.id", ondelete="CASCADE")
    )
    instrument_code: so.Mapped[str] = so.mapped_column(sa.String(40))
    item_id: so.Mapped[str] = so.mapped_column(sa.String(20))
    value: so.Mapped[float]
    answered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
