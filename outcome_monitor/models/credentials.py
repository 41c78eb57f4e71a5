"""Secrets around an account: one-time invitation / reset links, recovery codes, login locks.

None of these tables holds a usable secret: tokens and recovery codes are stored as SHA-256
digests of 256-bit (tokens) or 80-bit (codes) random values, and the login lock is keyed by a
digest of the email typed, so an unknown address leaves no readable trace.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class TokenPurpose(StrEnum):
    INVITATION = "invitation"  # a new account chooses its first password
    PASSWORD_RESET = "password_reset"  # an existing account chooses a new one


class AccountToken(Model):
    """A single-use link that lets its holder set the password of one account until it expires."""

    __tablename__ = "account_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    purpose: so.Mapped[TokenPurpose] = so.mapped_column(str_enum(TokenPurpose))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])


class RecoveryCode(Model):
    """One of the codes shown once at MFA enrolment; each signs in once without the phone."""

    __tablename__ = "recovery_code"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class LoginThrottle(Model):
    """Failed sign-ins for one email (known or not) since the last success, and the lock."""

    __tablename__ = "login_throttle"

    email_digest: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failure_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
