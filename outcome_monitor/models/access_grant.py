"""Grants of clinical access, kept so that supervisors and the access report can see them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import Team, User
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class GrantKind(StrEnum):
    NEW_ACCOUNT = "new_account"  # a clinical account was created in (or invited to) the team
    TEAM_MEMBER = "team_member"  # an account was moved into the team
    SUPERVISES = "supervises"  # a supervisor now supervises the team
    ROLE_CHANGE = "role_change"  # an account in the team became a therapist or supervisor
    PASSWORD_RESET = "password_reset"  # an admin reset the password of an account in the team
    MFA_RESET = "mfa_reset"  # an admin removed the two-factor sign-in of such an account


class AccessGrant(Model):
    """One change that gave ``user`` (new) access to the clients of ``team``.

    ``team`` is None when the change touched no team yet (a new therapist without one): such
    grants appear on the admins' access report only. Append-only, like the audit trail.
    """

    __tablename__ = "access_grant"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    team_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("team.id"), index=True)
    kind: so.Mapped[GrantKind] = so.mapped_column(str_enum(GrantKind))
    by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    team: so.Mapped[Team | None] = so.relationship()
    by: so.Mapped[User | None] = so.relationship(foreign_keys=[by_id])
