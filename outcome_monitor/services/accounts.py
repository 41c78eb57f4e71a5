"""Accounts: users, teams, roles, passwords and sessions.

Administrators never choose a clinician's password: accounts made in the web interface get an
invitation link (``services.invitations``). ``create_user`` and ``reset_password`` with a
password are the operator's path on the server (``flask create-user``) and the demo's.
Every change that opens a team's clients to an account records an access grant
(``services.access_grants``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import GrantKind, Role, Team, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.security import hash_secret, verify_secret
from outcome_monitor.services import NotFound, ServiceError, paging
from outcome_monitor.services.access_grants import grant, is_clinical, newest_grant_id, teams_of
from outcome_monitor.services.audit import record

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(
            _l("The password may have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)
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


def add_user(
    *, email: str, display_name: str, role: Role, team: Team | None, by: User | None
) -> User:
    """A new account without a password, audited, its grant recorded; flushes, never commits."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError(_l("Enter a valid email address."))
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise ServiceError(_l("A user with the email %(email)s already exists.", email=email))
    user = User(
        email=email,
        display_name=(display_name.strip() or email)[:120],
        role=Role(role).value,
        team=team,
        password_hash=None,
        session_version=1,
    )
    # Added before the query below: its autoflush would otherwise meet the team's new member
    # outside the session (a SAWarning).
    db.session.add(user)
    if user.role == Role.SUPERVISOR:
        # A new supervisor is told about grants from now on, not about the team's history.
        user.access_notices_seen_id = newest_grant_id()
    record(
        by=by,
        action="user.create",
        obj=user,
        details={"email": email, "role": user.role, "team": team.name if team else None},
    )
    if is_clinical(user):
        grant(user=user, teams=teams_of(user), kind=GrantKind.NEW_ACCOUNT, by=by, now=utcnow())
    return user


def create_user(
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    team: Team | None = None,
    by: User | None,
) -> User:
    """The operator's and the demo's path: an account with a password set on the server."""
    check_password(password)
    with new_account(email):
        user = add_user(email=email, display_name=display_name, role=role, team=team, by=by)
        user.password_hash = hash_secret(password)
        db.session.commit()
    return user


@contextmanager
def new_account(email: str) -> Iterator[None]:
    """A concurrent creation of the same email loses at the unique index: a clear error."""
    try:
        yield
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _l("A user with the email %(email)s already exists.", email=email.strip().lower())
        ) from None


def end_sessions(user: User) -> None:
    """Every session cookie of ``user`` stops working (the caller audits and commits)."""
    user.session_version = (user.session_version or 0) + 1


def log_out(*, user: User) -> None:
    """Logging out ends every session of the account, on every device."""
    end_sessions(user)
    record(by=user, action="user.logout", obj=user)
    db.session.commit()


def set_active(*, user: User, active: bool, by: User) -> None:
    if user.id == by.id and not active:
        raise ServiceError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        end_sessions(user)
    record(by=by, action="user.activate" if active else "user.deactivate", obj=user)
    db.session.commit()


def reset_password(*, user: User, password: str, by: User | None) -> None:
    """The operator's and the demo's path; admins send a reset link instead."""
    check_password(password)
    user.password_hash = hash_secret(password)
    end_sessions(user)
    record(by=by, action="user.reset_password", obj=user)
    db.session.commit()


def change_own_password(*, user: User, current: str, new: str) -> None:
    """The user changes their own password; every other session of theirs ends."""
    if not verify_secret(user.password_hash, current):
        raise ServiceError(_l("That is not your current password."))
    check_password(new)
    user.password_hash = hash_secret(new)
    end_sessions(user)
    record(by=user, action="user.change_password", obj=user)
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
    old_team, old_supervised = user.team, set(user.supervised_teams)
    user.team = team
    user.supervised_teams = supervised
    record(
        by=by,
        action="user.assign_teams",
        obj=user,
        details={"team": team.name if team else None, "supervises": [t.name for t in supervised]},
    )
    if is_clinical(user) and team is not None and team != old_team:
        grant(user=user, teams=[team], kind=GrantKind.TEAM_MEMBER, by=by, now=utcnow())
    added = [t for t in supervised if t not in old_supervised]
    if added:
        grant(user=user, teams=added, kind=GrantKind.SUPERVISES, by=by, now=utcnow())
    db.session.commit()


def change_role(*, user: User, role: Role, by: User) -> None:
    """A new role; a role that reaches clients is an access grant for the user's teams."""
    role = Role(role)
    if user.id == by.id:
        raise ServiceError(_l("You cannot change your own role."))
    if user.role == role:
        return
    old = user.role
    user.role = role
    if role != Role.SUPERVISOR:
        user.supervised_teams = []
    elif user.access_notices_seen_id is None:
        user.access_notices_seen_id = newest_grant_id()
    record(by=by, action="user.change_role", obj=user, details={"from": old, "to": role.value})
    if is_clinical(user):
        details = {"from": old, "to": role.value}
        grant(
            user=user,
            teams=teams_of(user),
            kind=GrantKind.ROLE_CHANGE,
            by=by,
            now=utcnow(),
            details=details,
        )
    db.session.commit()


def record_login(*, user: User, now: datetime, method: str) -> None:
    """A completed sign-in (after the second factor, if any); the caller commits."""
    user.last_login_at = now
    record(by=user, action="user.login", obj=user, details={"method": method})


class AccountState(StrEnum):
    """What the users list shows of an account: deactivated, invited (no password chosen
    yet) or active."""

    ACTIVE = "active"
    INVITED = "invited"
    DEACTIVATED = "deactivated"


NO_TEAM = 0  # the team filter's value for "users in no team"


@dataclass(frozen=True)
class UserFilter:
    """The users list's filters (each None: any). ``team_id`` is a team id or ``NO_TEAM``."""

    role: Role | None = None
    team_id: int | None = None
    state: AccountState | None = None


def teams() -> list[Team]:
    """Every team, by name (the admin pages' choices)."""
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def get_user(user_id: int) -> User:
    """The account, or NotFound (for the admin pages: admins manage every account)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user


def user_page(filters: UserFilter, *, page: int) -> paging.Page[User]:
    """One page of the accounts by role then email (index ``ix_user_role_email``), filtered
    in SQL, with their teams: three queries (the total, the page with its team, and the teams
    they supervise)."""
    query = (
        sa.select(User)
        .where(*_user_conditions(filters))
        .options(so.joinedload(User.team), so.selectinload(User.supervised_teams))
        .order_by(User.role, User.email, User.id)
    )
    return paging.paginate(query, page)


def _user_conditions(filters: UserFilter) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if filters.role is not None:
        found.append(User.role == filters.role)
    if filters.team_id == NO_TEAM:
        found.append(User.team_id.is_(None))
    elif filters.team_id is not None:
        found.append(User.team_id == filters.team_id)
    state = {
        AccountState.DEACTIVATED: User.active.is_(False),
        AccountState.INVITED: sa.and_(User.active.is_(True), User.password_hash.is_(None)),
        AccountState.ACTIVE: sa.and_(User.active.is_(True), User.password_hash.is_not(None)),
    }
    if filters.state is not None:
        found.append(state[filters.state])
    return found
