"""Alerts: recorded state transitions (open -> acknowledged -> resolved)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.administration import Administration
from outcome_monitor.models.care import Episode
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(Model):
    __table_args__ = (
        # At most one unresolved alert of a type per episode and measure: re-evaluation updates it.
        sa.Index(
            "uq_alert_episode_type_unresolved",
            "episode_id",
            "type",
            "instrument_code",
            unique=True,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        ),
        # The review queue and the API list read the unresolved alerts by episode (issue 12).
        sa.Index("ix_alert_status_episode", "status", "episode_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    episode_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("episode.id"), index=True)
    type: so.Mapped[AlertType] = so.mapped_column(str_enum(AlertType, length=40))
    # The measure the alert is about ("" for alerts about the episode, e.g. an overdue measure).
    instrument_code: so.Mapped[str] = so.mapped_column(sa.String(40), default="", server_default="")
    severity: so.Mapped[Severity | None] = so.mapped_column(str_enum(Severity))
    status: so.Mapped[AlertStatus] = so.mapped_column(
        str_enum(AlertStatus), default=AlertStatus.OPEN
    )
    reason_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    reason: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    administration_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("administration.id"))
    opened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    acknowledged_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    actions: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    action_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    resolved_automatically: so.Mapped[bool] = so.mapped_column(default=False)
    escalated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    model_version_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("trajectory_model_version.id")
    )

    episode: so.Mapped[Episode] = so.relationship()
    administration: so.Mapped[Administration | None] = so.relationship()
    acknowledged_by: so.Mapped[User | None] = so.relationship(foreign_keys=[acknowledged_by_id])
    resolved_by: so.Mapped[User | None] = so.relationship(foreign_keys=[resolved_by_id])
