"""Supervision: reviews of a case by a supervisor of the client's team, and a therapist's
request to take a case to supervision."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.care import Episode
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class ReviewDecision(StrEnum):
    """What a supervision review decided for the case."""

    CONTINUE = "continue"
    CHANGE_PLAN = "change_plan"
    INCREASE_FREQUENCY = "increase_frequency"
    REFER_ON = "refer_on"
    PLAN_ENDING = "plan_ending"


class RequestSource(StrEnum):
    """Where a therapist asked for supervision: the attention card's checklist or the button."""

    CHECKLIST = "checklist"
    BUTTON = "button"


class SupervisionReview(Model):
    """One review of a client episode, recorded by a supervisor of the client's team."""

    __tablename__ = "supervision_review"
    __table_args__ = (
        # The latest review of each episode (the review queue's window function).
        sa.Index("ix_supervision_review_latest", "episode_id", "reviewed_on", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    reviewer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    reviewed_on: so.Mapped[date]
    decision: so.Mapped[ReviewDecision] = so.mapped_column(str_enum(ReviewDecision))
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    follow_up_on: so.Mapped[date | None]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    episode: so.Mapped[Episode] = so.relationship()
    reviewer: so.Mapped[User] = so.relationship()


class SupervisionRequest(Model):
    """A therapist's wish to take the case to supervision; open until a review answers it.

    ``review_id`` is the review that answered the request (set when the review is recorded),
    so "waiting for supervision" is stored, not recomputed. At most one open request per
    episode: a second "take to supervision" while one waits adds nothing.
    """

    __tablename__ = "supervision_request"
    __table_args__ = (
        sa.Index(
            "uq_supervision_request_episode_open",
            "episode_id",
            unique=True,
            sqlite_where=sa.text("review_id IS NULL"),
            postgresql_where=sa.text("review_id IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    source: so.Mapped[RequestSource] = so.mapped_column(str_enum(RequestSource))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    review_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("supervision_review.id"))

    episode: so.Mapped[Episode] = so.relationship()
    requested_by: so.Mapped[User] = so.relationship()
    review: so.Mapped[SupervisionReview | None] = so.relationship()
