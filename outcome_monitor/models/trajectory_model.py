"""Fitted expected-trajectory models, one version per refit and measure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.types import UTCDateTime, utcnow


class TrajectoryModelVersion(Model):
    """One fitted trajectory model for one measure; each evaluation names the version it used."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    instrument_code: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(20))
    n_reference: so.Mapped[int]
    fitted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    parameters: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
