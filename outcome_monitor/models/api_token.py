"""Personal access tokens for the REST API: only a hash of the secret is stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class TokenScope(StrEnum):
    """What a token may do: read only, or also write (record scores, acknowledge alerts)."""

    READ = "read"
    READ_WRITE = "read-write"


class TokenState(StrEnum):
    """Derived from the timestamps, never stored: a token expires without anyone writing."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ApiToken(Model):
    """A user's token. ``token_hash`` is the SHA-256 of the secret (the secret is random, so a
    fast hash is enough and lets a request find its token with one indexed lookup);
    ``prefix`` is the secret's first characters, shown so a user can tell tokens apart."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    scope: so.Mapped[TokenScope] = so.mapped_column(str_enum(TokenScope))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship()

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        return TokenState.ACTIVE if now < self.expires_at else TokenState.EXPIRED

    def is_usable(self, now: datetime) -> bool:
        """Active, and the owner's account is active too."""
        return self.state(now) == TokenState.ACTIVE and self.user.active

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… {self.scope}>"
