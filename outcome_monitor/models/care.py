"""The clinical aggregate: clients, their episodes of care and the sessions in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class EpisodeStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    DROPPED_OUT = "dropped_out"


class Client(Model):
    """A client known only by a pseudonymous code; no names are stored anywhere."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    birth_year: so.Mapped[int | None]
    gender: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    preferred_language: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    preferences: so.Mapped[str | None] = so.mapped_column(sa.Text)
    therapist_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    therapist: so.Mapped[User] = so.relationship()
    episodes: so.Mapped[list[Episode]] = so.relationship(
        back_populates="client", order_by="Episode.opened_on"
    )

    @property
    def current_episode(self) -> Episode | None:
        active = [e for e in self.episodes if e.status == EpisodeStatus.ACTIVE]
        return active[-1] if active else None


class Episode(Model):
    # ``label`` names an imported episode within its client (CSV import, issue 11); episodes
    # opened in the app have none (NULLs never collide in a unique constraint).
    __table_args__ = (
        sa.UniqueConstraint("client_id", "label"),
        # The report and its drill-down: a therapist's episodes closed in a period.
        sa.Index("ix_episode_therapist_status_closed", "therapist_id", "status", "closed_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("client.id"), index=True)
    therapist_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    opened_on: so.Mapped[date]
    closed_on: so.Mapped[date | None]
    status: so.Mapped[EpisodeStatus] = so.mapped_column(
        str_enum(EpisodeStatus), default=EpisodeStatus.ACTIVE
    )
    closing_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    label: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    client: so.Mapped[Client] = so.relationship(back_populates="episodes")
    therapist: so.Mapped[User] = so.relationship()
    sessions: so.Mapped[list[TherapySession]] = so.relationship(
        back_populates="episode", order_by="TherapySession.number"
    )

    @property
    def is_active(self) -> bool:
        return self.status == EpisodeStatus.ACTIVE


class TherapySession(Model):
    """One session of an episode (called ``Session`` in the clinic; renamed to avoid
    confusion with the database session)."""

    __tablename__ = "therapy_session"
    __table_args__ = (sa.UniqueConstraint("episode_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    number: so.Mapped[int]
    date: so.Mapped[date]
    attended: so.Mapped[bool] = so.mapped_column(default=True)

    episode: so.Mapped[Episode] = so.relationship(back_populates="sessions")
