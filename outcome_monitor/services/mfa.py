"""Two-factor sign-in: TOTP (RFC 6238, an authenticator app) with single-use recovery codes.

The TOTP secret must be readable to check a code, so it is stored as is; recovery codes are
80-bit random values stored as SHA-256 digests (too many to guess, so a fast hash suffices)
and shown once. A code's time step is remembered, so an observed code cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import GrantKind, RecoveryCode, User
from outcome_monitor.security import verify_secret
from outcome_monitor.services import ServiceError
from outcome_monitor.services.access_grants import grant, is_clinical, teams_of
from outcome_monitor.services.accounts import end_sessions
from outcome_monitor.services.audit import record

ISSUER = "Outcome monitor"
RECOVERY_CODE_COUNT = 10
TOTP_METHOD = "totp"
RECOVERY_METHOD = "recovery_code"


def new_secret() -> str:
    """A fresh 160-bit base32 secret for an authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(*, user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _normalise(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now, or one step either side for clock drift) whose code is ``code``."""
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=totp.interval * drift)
        if hmac.compare_digest(totp.at(moment).encode(), code.encode()):
            return totp.timecode(moment)
    return None


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    if user.mfa_secret is None or not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    step = _matching_step(user.mfa_secret, code, now)
    if step is None or (user.mfa_last_step is not None and step <= user.mfa_last_step):
        return False
    user.mfa_last_step = step
    return True


def _code_digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode("ascii", "ignore")).hexdigest()


def _accept_recovery_code(user: User, code: str, now: datetime) -> bool:
    row = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_digest(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = now
    return True


def check_second_factor(*, user: User, code: str, now: datetime) -> str | None:
    """The method that accepted ``code`` (TOTP or a recovery code), else None; caller commits."""
    code = _normalise(code)
    if _accept_totp(user, code, now):
        return TOTP_METHOD
    if len(code) == 16 and _accept_recovery_code(user, code, now):
        return RECOVERY_METHOD
    return None


def recovery_codes_left(user: User) -> int:
    query = sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return db.session.scalar(query) or 0


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_digest(c)) for c in codes)
    return codes


def enable(*, user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn on TOTP once the app shows a matching code; the new recovery codes, shown once.

    Every other session of the user ends: they were opened without the second factor.
    """
    if user.mfa_enabled:
        raise ServiceError(_l("Two-factor sign-in is already on."))
    step = _matching_step(secret, _normalise(code), now)
    if step is None:
        raise ServiceError(
            _l("That code does not match. Check the clock of your phone and try again.")
        )
    user.mfa_secret, user.mfa_enabled_at, user.mfa_last_step = secret, now, step
    codes = _new_recovery_codes(user)
    end_sessions(user)
    record(by=user, action="user.mfa_enable", obj=user)
    db.session.commit()
    return codes


def regenerate_recovery_codes(*, user: User, code: str, now: datetime) -> list[str]:
    """New recovery codes (the old ones stop working), after a current authenticator code."""
    if not _accept_totp(user, _normalise(code), now):
        raise ServiceError(_l("That code does not match."))
    codes = _new_recovery_codes(user)
    record(by=user, action="user.mfa_recovery_codes", obj=user)
    db.session.commit()
    return codes


def _clear(user: User) -> None:
    user.mfa_secret = user.mfa_enabled_at = user.mfa_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)


def disable(*, user: User, password: str, required: bool) -> None:
    """The user turns two-factor sign-in off (not allowed when their role requires it)."""
    if required:
        raise ServiceError(_l("Your role requires two-factor sign-in."))
    if not verify_secret(user.password_hash, password):
        raise ServiceError(_l("That is not your current password."))
    _clear(user)
    record(by=user, action="user.mfa_disable", obj=user)
    db.session.commit()


def reset(*, user: User, by: User, now: datetime) -> None:
    """An admin removes a lost authenticator; the user enrols again at the next sign-in.

    For a clinical account this is an access grant: whoever knows the password now gets in
    without the phone, so the team's supervisors are told.
    """
    if not user.mfa_enabled:
        raise ServiceError(_l("This account has no two-factor sign-in."))
    _clear(user)
    record(by=by, action="user.mfa_reset", obj=user)
    if is_clinical(user):
        grant(user=user, teams=teams_of(user), kind=GrantKind.MFA_RESET, by=by, now=now)
    db.session.commit()
