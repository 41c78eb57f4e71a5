"""The stored status of an episode (issue 12): what the caseload and the queue read.

One row per episode, rewritten by ``services.case_status.refresh`` in the same transaction as
whatever changes it (a score, a correction, an acknowledgement or resolution, a refit, closing
the episode). List pages read and sort these columns in SQL and never recompute trajectories
per row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.attention import NO_CARD_RANK
from outcome_monitor.core.trajectories import TrackStatus
from outcome_monitor.extensions import Model
from outcome_monitor.models.care import Episode
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class CaseStatus(Model):
    __tablename__ = "case_status"
    __table_args__ = (
        # The caseload's and the queue's default order: who needs attention first.
        sa.Index("ix_case_status_attention", "attention_rank", "episode_id"),
        # The review queue's candidates: the episodes with a card.
        sa.Index("ix_case_status_card_level", "card_level"),
    )

    episode_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    # white / green / yellow / red / grey for the episode's primary outcome measure.
    colour: so.Mapped[TrackStatus] = so.mapped_column(
        str_enum(TrackStatus, length=10), default=TrackStatus.GREY
    )
    measure_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    last_score: so.Mapped[float | None]
    last_score_on: so.Mapped[date | None]
    scores_counted: so.Mapped[int] = so.mapped_column(default=0)
    # Open-card summary: unresolved alert types in card order (risk, outcome, alliance, overdue).
    open_reasons: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    open_alerts: so.Mapped[int] = so.mapped_column(default=0)
    has_risk: so.Mapped[bool] = so.mapped_column(default=False)
    has_rupture: so.Mapped[bool] = so.mapped_column(default=False)
    oldest_open_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The review queue's facts of the card (migration 0014): any alert escalated, the card's
    # level (``core.attention.LEVEL_RANK``; ``NO_CARD_RANK`` without a card) and the newest
    # unresolved alert (new reasons since the latest review).
    card_escalated: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    card_level: so.Mapped[int] = so.mapped_column(
        default=NO_CARD_RANK, server_default=str(NO_CARD_RANK)
    )
    newest_open_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # Prognosis (clinical reference §3.5) when a fitted method gives one: P(ending reliably worse).
    prognosis_worse: so.Mapped[float | None]
    prognosis: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    # Lower first; the caseload's "attention" sort (risk, colour, most urgent reason).
    attention_rank: so.Mapped[int] = so.mapped_column(default=99)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    episode: so.Mapped[Episode] = so.relationship(
        backref=so.backref("case_status", uselist=False, passive_deletes=True)
    )
