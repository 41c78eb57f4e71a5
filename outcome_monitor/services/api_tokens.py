"""Personal access tokens: issue (the secret is shown once), authenticate, revoke, and the
audit row every API call writes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import ApiToken, AuditOutcome, TokenScope, User
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.audit import record

SECRET_PREFIX = "omt_"
SHOWN_PREFIX_LENGTH = 12  # "omt_" and 8 random characters: enough to tell tokens apart
MAX_EXPIRES_DAYS = 365
DEFAULT_EXPIRES_DAYS = 90
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret; the secret exists only here and is never stored."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def shown_prefix(secret: str) -> str | None:
    """The part of a presented secret that may be logged (None when it is not one of ours)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) <= SHOWN_PREFIX_LENGTH:
        return None
    return secret[:SHOWN_PREFIX_LENGTH]


def create_token(
    *,
    user: User,
    name: str,
    scope: TokenScope,
    expires_days: int,
    by: User | None,
    now: datetime,
) -> IssuedToken:
    """Issue a token for ``user``; the caller shows ``secret`` once (it cannot be recovered)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ServiceError(
            _l("A token needs a name of at most %(n)s characters.", n=MAX_NAME_LENGTH)
        )
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ServiceError(_l("A token expires after 1 to %(n)s days.", n=MAX_EXPIRES_DAYS))
    if not user.active:
        raise ServiceError(_l("A deactivated account cannot have tokens."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        scope=TokenScope(scope),
        created_at=now,
        expires_at=now + timedelta(days=expires_days),
    )
    db.session.add(token)
    record(
        by=by,
        action="api_token.create",
        obj=token,
        details={"user": user.id, "name": name, "scope": token.scope.value, "days": expires_days},
    )
    db.session.commit()
    return IssuedToken(token, secret)


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, marked as such)."""
    query = (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def revoke_token(*, token_id: int, by: User, now: datetime) -> ApiToken:
    """Revoke one of ``by``'s own tokens; another user's token is NotFound, like a missing one."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == by.id)
    )
    if token is None:
        raise NotFound(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        record(by=by, action="api_token.revoke", obj=token, details={"prefix": token.prefix})
        db.session.commit()
    return token


def authenticate(secret: str, *, now: datetime) -> ApiToken | None:
    """The usable token with this secret (one query), or None: unknown, revoked, expired, or
    its owner deactivated are not told apart."""
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret))
        .options(so.joinedload(ApiToken.user))
    )
    if token is None or not token.is_usable(now):
        return None
    return token


def active_user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise NotFound(_l("No active user with the email %(email)s.", email=email))
    return user


@dataclass(frozen=True)
class ApiCall:
    """One API request as the audit trail records it (never the body: it holds clinical data).

    ``subject`` is the record the call read or wrote, when the view found it; otherwise the
    call names what its path named (``object_type``, ``object_id``, and ``client_code`` of a
    foreign record, so a client's access log shows refused attempts too).
    """

    action: str
    method: str
    path: str
    status: int
    token_prefix: str | None
    subject: Any = None
    object_type: str = "api"
    object_id: str | None = None
    client_code: str | None = None

    @property
    def id(self) -> str | None:  # what ``audit.record`` stores as the object id
        return self.object_id

    @property
    def allowed(self) -> bool:
        return self.status < 400


def record_api_call(*, token_id: int | None, call: ApiCall, now: datetime) -> None:
    """Audit an API call, allowed or refused, and stamp the token's last use; one commit.

    Anything a failed request left unflushed is rolled back first: the services commit their
    own work, so what remains here is never meant to be saved, and the audit row must be.
    """
    db.session.rollback()
    token = db.session.get(ApiToken, token_id) if token_id is not None else None
    if token is not None:
        token.last_used_at = now
    details: dict[str, Any] = {
        "method": call.method,
        "path": call.path,
        "status": call.status,
        "token": token.prefix if token is not None else call.token_prefix,
    }
    subject = call.subject if call.subject is not None else call
    record(
        by=token.user if token is not None else None,
        action=call.action,
        obj=subject,
        object_type=None if call.subject is not None else call.object_type,
        details=details,
        outcome=AuditOutcome.ALLOWED if call.allowed else AuditOutcome.DENIED,
        client_code=call.client_code,
    )
    db.session.commit()
