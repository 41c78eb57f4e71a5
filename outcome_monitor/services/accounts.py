"""Accounts: users, teams, logins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Role, Team, User
from outcome_monitor.security import hash_secret, verify_secret
from outcome_monitor.services import ServiceError
from outcome_monitor.services.audit import record

MIN_PASSWORD_LENGTH = 10


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )


def create_team(*, name: str, by: User | None) -> Team:
    name = name.strip()
    if not name:
        raise ServiceError(_l("A team needs a name."))
    if db.session.scalar(sa.select(Team).where(Team.name == name)):
        raise ServiceError(_l("A team called %(name)s already exists.", name=name))
    team = Team(name=name)
    db.session.add(team)
    record(by=by, action="team.create", obj=team, details={"name": name})
    db.session.commit()
    return team


def create_user(
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    team: Team | None = None,
    by: User | None,
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError(_l("Enter a valid email address."))
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise ServiceError(_l("A user with the email %(email)s already exists.", email=email))
    _check_password(password)
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        role=Role(role).value,
        team=team,
        password_hash=hash_secret(password),
    )
    db.session.add(user)
    record(
        by=by,
        action="user.create",
        obj=user,
        details={"email": email, "role": user.role, "team": team.name if team else None},
    )
    db.session.commit()
    return user


def set_active(*, user: User, active: bool, by: User) -> None:
    if user.id == by.id and not active:
        raise ServiceError(_l("You cannot deactivate your own account."))
    user.active = active
    record(by=by, action="user.activate" if active else "user.deactivate", obj=user)
    db.session.commit()


def reset_password(*, user: User, password: str, by: User | None) -> None:
    _check_password(password)
    user.password_hash = hash_secret(password)
    record(by=by, action="user.reset_password", obj=user)
    db.session.commit()


def set_unlock_pin(*, user: User, pin: str, by: User) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ServiceError(_l("The PIN must be 4 to 8 digits."))
    user.unlock_pin_hash = hash_secret(pin)
    record(by=by, action="user.set_pin", obj=user)
    db.session.commit()


def assign_teams(*, user: User, team: Team | None, supervised: Iterable[Team], by: User) -> None:
    supervised = list(supervised)
    if supervised and user.role != Role.SUPERVISOR:
        raise ServiceError(_l("Only supervisors supervise teams."))
    user.team = team
    user.supervised_teams = supervised
    record(
        by=by,
        action="user.assign_teams",
        obj=user,
        details={"team": team.name if team else None, "supervises": [t.name for t in supervised]},
    )
    db.session.commit()


def authenticate(*, email: str, password: str, now: datetime) -> User | None:
    """Return the active user with these credentials, recording the login; else None."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not verify_secret(user.password_hash, password):
        return None
    user.last_login_at = now
    record(by=user, action="user.login", obj=user)
    db.session.commit()
    return user
