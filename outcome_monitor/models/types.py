"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores UTC and always hands back timezone-aware UTC datetimes.

    SQLite has no time zones; PostgreSQL's ``timestamptz`` does. Normalising on the way in and
    out makes both databases behave the same and refuses naive datetimes early.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum: type[StrEnum], *, length: int = 20) -> sa.Enum:
    """A StrEnum column stored as its values in a plain VARCHAR(``length``) and loaded back as
    the member. No database enum type and no CHECK constraint, so a new member needs no
    migration; ``validate_strings`` makes a value outside the enum fail before it is written."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
