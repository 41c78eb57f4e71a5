"""Invitation and password-reset links: how an account gets a password nobody else chose.

An administrator invites a new user, or sends an existing one a reset link; the holder of the
link chooses the password. The token (32 random bytes) is emailed to the user when SMTP is
set up, and otherwise shown once to the administrator to pass on; only its SHA-256 digest is
stored, it works once, and it expires. A reset also clears the old password and ends every
session of the account at once, so a suspected compromise is contained before the link is used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import AccountToken, GrantKind, Role, Team, TokenPurpose, User
from outcome_monitor.security import hash_secret
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.access_grants import grant, is_clinical, teams_of
from outcome_monitor.services.accounts import add_user, check_password, end_sessions, new_account
from outcome_monitor.services.audit import record
from outcome_monitor.services.mail import SmtpSettings, send_mail
from outcome_monitor.services.sign_in import clear_failures


class TokenUnavailable(ServiceError):
    """The link exists but was used already, has expired or was replaced by a newer one."""


@dataclass(frozen=True)
class IssuedToken:
    user: User
    token: str  # shown or emailed once; only its digest is stored
    purpose: TokenPurpose
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _issue(
    user: User, purpose: TokenPurpose, by: User | None, now: datetime, valid_for: timedelta
) -> IssuedToken:
    """A new token for ``user``; earlier unused ones stop working. Flushes, never commits."""
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        user=user,
        purpose=purpose,
        token_hash=hash_token(token),
        created_by=by,
        created_at=now,
        expires_at=now + valid_for,
    )
    db.session.add(row)
    db.session.flush()
    return IssuedToken(user=user, token=token, purpose=purpose, expires_at=row.expires_at)


def invite_user(
    *,
    email: str,
    display_name: str,
    role: Role,
    team: Team | None,
    by: User,
    now: datetime,
    valid_for: timedelta,
) -> IssuedToken:
    """A new account without a password, and the invitation link that lets its owner set one."""
    with new_account(email):
        user = add_user(email=email, display_name=display_name, role=role, team=team, by=by)
        issued = _issue(user, TokenPurpose.INVITATION, by, now, valid_for)
        details = {"expires_at": issued.expires_at.isoformat()}
        record(by=by, action="user.invite", obj=user, details=details)
        db.session.commit()
    return issued


def issue_password_reset(
    *, user: User, by: User, now: datetime, valid_for: timedelta
) -> IssuedToken:
    """Clear the password, end the user's sessions and issue a reset link.

    An invitation not yet accepted is issued again instead (a new link, the old one dead).
    For a clinical account this is an access grant: the link's holder gets the account.
    """
    if not user.active:
        raise ServiceError(_l("Reactivate the account first."))
    purpose = TokenPurpose.PASSWORD_RESET if user.password_hash else TokenPurpose.INVITATION
    user.password_hash = None
    end_sessions(user)
    issued = _issue(user, purpose, by, now, valid_for)
    record(by=by, action="user.issue_reset", obj=user, details={"purpose": purpose.value})
    if is_clinical(user) and purpose == TokenPurpose.PASSWORD_RESET:
        grant(user=user, teams=teams_of(user), kind=GrantKind.PASSWORD_RESET, by=by, now=now)
    db.session.commit()
    return issued


def find_token(*, token: str, now: datetime) -> AccountToken:
    """The usable token; NotFound when unknown, TokenUnavailable when used or expired."""
    row = db.session.scalar(
        sa.select(AccountToken).where(AccountToken.token_hash == hash_token(token))
    )
    if row is None:
        raise NotFound(_l("This link is not valid. Ask your administrator for a new one."))
    if row.used_at is not None or row.expires_at <= now or not row.user.active:
        raise TokenUnavailable(
            _l("This link has been used or has expired. Ask your administrator for a new one.")
        )
    return row


def redeem(*, token: str, password: str, now: datetime) -> User:
    """The holder of a valid link sets the account's password; the link stops working."""
    row = find_token(token=token, now=now)
    check_password(password)
    user = row.user
    user.password_hash = hash_secret(password)
    row.used_at = now
    end_sessions(user)
    clear_failures(user.email)
    action = (
        "user.accept_invitation" if row.purpose == TokenPurpose.INVITATION else "user.reset_done"
    )
    record(by=user, action=action, obj=user)
    db.session.commit()
    return user


def send_link(*, issued: IssuedToken, url: str, smtp: SmtpSettings, by: User) -> None:
    """Email the link to the account's own address (ServiceError when the relay fails)."""
    if issued.purpose == TokenPurpose.INVITATION:
        subject = gettext("Your account on the outcome monitor")
        intro = gettext("An account has been created for you. Choose your password here:")
    else:
        subject = gettext("Choose a new password for the outcome monitor")
        intro = gettext("Your password was reset. Choose a new one here:")
    expiry = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    body = f"{intro}\n\n{url}\n\n" + gettext(
        "The link works once, until %(expiry)s. If you did not expect it, tell your administrator.",
        expiry=expiry,
    )
    send_mail(smtp=smtp, to=issued.user.email, subject=subject, body=body)
    record(
        by=by,
        action="user.link_emailed",
        obj=issued.user,
        details={"purpose": issued.purpose.value},
    )
    db.session.commit()
