"""Accounts: teams, users and the teams a supervisor supervises."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from outcome_monitor.extensions import Model, db
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    THERAPIST = "therapist"


team_supervisor = sa.Table(
    "team_supervisor",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    members: so.Mapped[list[User]] = so.relationship(
        back_populates="team", foreign_keys="User.team_id"
    )
    supervisors: so.Mapped[list[User]] = so.relationship(
        secondary=team_supervisor, back_populates="supervised_teams"
    )

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(UserMixin, Model):
    # The admin's users list: by role, then email.
    __table_args__ = (sa.Index("ix_user_role_email", "role", "email"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    role: so.Mapped[Role] = so.mapped_column(str_enum(Role))
    team_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("team.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # None until the user chooses one from an invitation or reset link.
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    unlock_pin_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Part of the login stored in every session cookie: bumping it ends all of them.
    session_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    mfa_secret: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    mfa_enabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The last TOTP time step accepted: a code is refused if its step is not newer (replay).
    mfa_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger())
    # The newest access grant this supervisor has acknowledged (see models.access_grant).
    access_notices_seen_id: so.Mapped[int | None] = so.mapped_column()

    team: so.Mapped[Team | None] = so.relationship(back_populates="members", foreign_keys=[team_id])
    supervised_teams: so.Mapped[list[Team]] = so.relationship(
        secondary=team_supervisor, back_populates="supervisors"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_secret is not None and self.mfa_enabled_at is not None

    def get_id(self) -> str:
        """The login kept in the session: id and session version (see web.user_loader)."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
