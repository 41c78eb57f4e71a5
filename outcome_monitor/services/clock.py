"""The service's clock: its time zone and "today" there (the clinic's date, not UTC's)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from outcome_monitor.models.types import utcnow


def service_timezone(app: Flask) -> ZoneInfo:
    """The zone the service's clocks run on (``SERVICE_TIMEZONE``, e.g. Europe/London)."""
    name = app.config["SERVICE_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SERVICE_TIMEZONE {name!r} is not a known time zone") from None


def service_today(app: Flask, now: datetime | None = None) -> date:
    """The clinic's date at ``now`` (default: now): "today" in the service's time zone, not in
    UTC's (at 00:30 in London it is already tomorrow)."""
    return (now or utcnow()).astimezone(service_timezone(app)).date()
