"""Starting a staff session, and where a fresh session goes first."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from outcome_monitor.models import Role, User
from outcome_monitor.services.access_grants import pending_notices
from outcome_monitor.services.sign_in import LoginLimits
from outcome_monitor.web import session_expiry
from outcome_monitor.web.mfa_enrolment import mfa_enrolment_required
from outcome_monitor.web.session_expiry import LAST_SEEN, SIGNED_IN_AT

PENDING_SECOND_FACTOR = "second_factor"
SECOND_FACTOR_SECONDS = 300


def now() -> datetime:
    return session_expiry.now()


def login_limits() -> LoginLimits:
    return LoginLimits(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
    )


def home_for(role: str) -> str:
    """Admins: users; supervisors: the case-review queue; therapists: their caseload."""
    homes = {Role.ADMIN: "admin.users", Role.SUPERVISOR: "alerts.queue"}
    return url_for(homes.get(Role(role), "clients.caseload"))


def safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User, next_url: str | None = None) -> Response:
    """A new session for ``user`` (nothing kept from before), then the first page to see."""
    session.clear()
    session.permanent = True
    login_user(user)
    session[SIGNED_IN_AT] = session[LAST_SEEN] = now().timestamp()
    return redirect(first_page(user, safe_next(next_url)))


def renew_login(user: User) -> None:
    """Keep this session after the user's session version changed (their own change)."""
    # The real object, never the ``current_user`` proxy (which would then point at itself).
    real = user._get_current_object() if hasattr(user, "_get_current_object") else user
    login_user(real)


def first_page(user: User, next_url: str | None) -> str:
    if mfa_enrolment_required(user):
        return url_for("auth.mfa_setup")
    if user.role == Role.SUPERVISOR and pending_notices(user):
        return url_for("auth.access_notices", next=next_url)
    return next_url or home_for(user.role)
