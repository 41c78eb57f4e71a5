"""Signing in: the password, then the second factor when the account has one.

Limits per account, not only per address (the web layer adds a per-address rate limit):

1. Every password attempt costs exactly one argon2 verification, against a dummy hash when
   the email is unknown or has no password yet, so timing does not tell which emails exist.
2. Failed attempts are counted per email typed (a digest, so unknown addresses work the same
   and leave nothing readable); after ``max_failures`` in a row the email is locked for
   ``lock_minutes``, even for the right password. A success or the end of a lock resets it.
3. A wrong second-factor code counts as a failed attempt too, and a right password does not
   reset the count before the second factor passes, so codes cannot be guessed without limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import LoginThrottle, User
from outcome_monitor.security import verify_secret, verify_unknown
from outcome_monitor.services import mfa
from outcome_monitor.services.accounts import record_login
from outcome_monitor.services.audit import record

# Rows for emails nobody has tried for this long are dropped (they only hold a counter).
THROTTLE_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    lock_minutes: int


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"  # the password was right; the code is still needed
    REFUSED = "refused"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    user: User | None = None
    locked_until: datetime | None = None


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def check_password(
    *, email: str, password: str, now: datetime, limits: LoginLimits
) -> SignInResult:
    """Step one. SIGNED_IN records the login; SECOND_FACTOR leaves that to ``check_code``."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.password_hash:
        matches = verify_secret(user.password_hash, password)
    else:
        matches = verify_unknown(password)
    throttle = db.session.get(LoginThrottle, email_digest(email))
    if throttle is not None and _locked(throttle, now):
        return SignInResult(SignInOutcome.LOCKED, locked_until=throttle.locked_until)
    if user is None or not user.active or not matches:
        return _failed(email, throttle, user, now, limits)
    if user.mfa_enabled:
        return SignInResult(SignInOutcome.SECOND_FACTOR, user)
    return _succeeded(user, throttle, now, method="password")


def check_code(
    *, user_id: int, session_version: int, code: str, now: datetime, limits: LoginLimits
) -> SignInResult:
    """Step two for an account with two-factor sign-in: an authenticator or recovery code.

    ``session_version`` is the user's when the password was checked: a reset since then
    (which clears the password) refuses the code.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.mfa_enabled:
        return SignInResult(SignInOutcome.REFUSED)
    if user.session_version != session_version or not user.password_hash:
        return SignInResult(SignInOutcome.REFUSED)
    throttle = db.session.get(LoginThrottle, email_digest(user.email))
    if throttle is not None and _locked(throttle, now):
        return SignInResult(SignInOutcome.LOCKED, locked_until=throttle.locked_until)
    method = mfa.check_second_factor(user=user, code=code, now=now)
    if method is None:
        return _failed(user.email, throttle, user, now, limits)
    return _succeeded(user, throttle, now, method=method)


def user_for_login(user_id: int, session_version: int) -> User | None:
    """The user of a session's stored login when it is still current: the account exists,
    is active and has not ended its sessions since (``User.session_version``)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def clear_failures(email: str) -> None:
    """Forget the failed attempts of ``email`` (a new password was set); the caller commits."""
    db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.email_digest == email_digest(email))
    )


def locked_until(user: User, now: datetime) -> datetime | None:
    throttle = db.session.get(LoginThrottle, email_digest(user.email))
    return throttle.locked_until if throttle is not None and _locked(throttle, now) else None


def _locked(throttle: LoginThrottle, now: datetime) -> bool:
    return throttle.locked_until is not None and throttle.locked_until > now


def _succeeded(
    user: User, throttle: LoginThrottle | None, now: datetime, method: str
) -> SignInResult:
    if throttle is not None:
        clear_failures(user.email)
    record_login(user=user, now=now, method=method)
    db.session.commit()
    return SignInResult(SignInOutcome.SIGNED_IN, user)


def _failed(
    email: str,
    throttle: LoginThrottle | None,
    user: User | None,
    now: datetime,
    limits: LoginLimits,
) -> SignInResult:
    digest = email_digest(email)
    try:
        throttle = _count_failure(digest, throttle, now)
    except sa.exc.IntegrityError:  # a parallel first failure of the same email inserted it
        db.session.rollback()
        throttle = _count_failure(digest, db.session.get(LoginThrottle, digest), now)
    if throttle.failures >= limits.max_failures:
        throttle.locked_until = now + timedelta(minutes=limits.lock_minutes)
    if user is not None:
        action = "user.login_locked" if throttle.locked_until else "user.login_failed"
        record(by=None, action=action, obj=user, details={"failures": throttle.failures})
    db.session.commit()
    if throttle.locked_until is not None:
        return SignInResult(SignInOutcome.LOCKED, locked_until=throttle.locked_until)
    return SignInResult(SignInOutcome.REFUSED)


def _count_failure(digest: str, throttle: LoginThrottle | None, now: datetime) -> LoginThrottle:
    """One more failure, counted in SQL so that parallel attempts are all counted; flushes."""
    _drop_stale_throttles(now, keep=digest)
    if throttle is None or throttle.locked_until is not None:
        # The first failure, or the first after a lock ran out: count from one.
        if throttle is None:
            throttle = LoginThrottle(email_digest=digest)
            db.session.add(throttle)
        throttle.failures, throttle.locked_until, throttle.last_failure_at = 1, None, now
        db.session.flush()
        return throttle
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.email_digest == digest)
        .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(throttle)
    return throttle


def _drop_stale_throttles(now: datetime, *, keep: str) -> None:
    db.session.execute(
        sa.delete(LoginThrottle)
        .where(
            LoginThrottle.email_digest != keep,
            LoginThrottle.last_failure_at < now - THROTTLE_KEPT,
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
        .execution_options(synchronize_session=False)
    )


def lift_lock(*, user: User, by: User) -> None:
    """An administrator lets a locked-out user try again at once."""
    clear_failures(user.email)
    record(by=by, action="user.lift_login_lock", obj=user)
    db.session.commit()
