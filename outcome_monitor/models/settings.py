"""Service-level settings: instruments enabled, threshold overrides, other options."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.types import UTCDateTime, utcnow


class InstrumentSetting(Model):
    """Whether an instrument is offered in this service (absent row: enabled)."""

    code: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    enabled: so.Mapped[bool] = so.mapped_column(default=True)


class ThresholdOverride(Model):
    """One change of a published threshold by the service; the newest row per field is in force.

    ``new_value`` None means "back to the published value".
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    instrument_code: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    field: so.Mapped[str] = so.mapped_column(sa.String(40))
    old_value: so.Mapped[float | None]
    new_value: so.Mapped[float | None]
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    created_by: so.Mapped[User | None] = so.relationship()


class ServiceSetting(Model):
    """A named service option (values validated by services.settings)."""

    key: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    value: so.Mapped[Any] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
