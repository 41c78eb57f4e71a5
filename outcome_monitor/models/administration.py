"""One completed (or partly completed) questionnaire."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.care import Episode, TherapySession
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class EntryMode(StrEnum):
    THERAPIST = "therapist"
    CLIENT_TABLET = "client_tablet"
    REMOTE_LINK = "remote_link"
    PAPER = "paper"
    IMPORT = "import"


class Administration(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    session_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("therapy_session.id"), index=True
    )
    instrument_code: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    instrument_version: so.Mapped[str] = so.mapped_column(sa.String(20))
    answers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    total: so.Mapped[float | None]
    subscales: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    severity: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    n_missing: so.Mapped[int] = so.mapped_column(default=0)
    prorated: so.Mapped[bool] = so.mapped_column(default=False)
    risk_items: so.Mapped[list[Any]] = so.mapped_column(sa.JSON, default=list)
    entry_mode: so.Mapped[EntryMode] = so.mapped_column(str_enum(EntryMode))
    entered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    # A client-side token per form; a second submit of the same form finds the first row.
    submission_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Corrections without loss (issue 9): a mistaken score is voided, never deleted or edited.
    # A corrected one is voided too and points at the new administration that replaces it.
    voided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    voided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    void_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    replaced_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("administration.id"))

    episode: so.Mapped[Episode] = so.relationship()
    session: so.Mapped[TherapySession | None] = so.relationship()
    entered_by: so.Mapped[User | None] = so.relationship(foreign_keys=[entered_by_id])
    voided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[voided_by_id])
    replaced_by: so.Mapped[Administration | None] = so.relationship(
        foreign_keys=[replaced_by_id], remote_side="Administration.id"
    )

    @classmethod
    def current(cls) -> sa.ColumnElement[bool]:
        """The SQL criterion of a score that counts: not voided (nor replaced by a correction).

        Every reader of scores (histories, charts, alerts, reports, exports, FHIR, API lists)
        filters with it; only the record views show voided ones, struck through.
        """
        return cls.voided_at.is_(None)

    @property
    def is_current(self) -> bool:
        return self.voided_at is None

    @property
    def given_on(self) -> date:
        """The day the measure was given: its session's date, else the day it was saved."""
        return self.session.date if self.session else self.created_at.date()

    @property
    def total_only(self) -> bool:
        """True for a score imported as a total alone: no item answers, so no risk-item
        information either (an unanswered risk item is stored as None, never left out)."""
        return not self.answers
