"""Login wiring, session expiry, security headers and error pages.

A session ends (server-side, whatever the browser keeps) when:

* the user logs out, changes or resets their password, turns on two-factor sign-in, or is
  deactivated: each bumps ``User.session_version``, which is part of the login stored in the
  cookie (``User.get_id``), and the user loader refuses a cookie with an old version;
* it has been idle for ``SESSION_IDLE_MINUTES``;
* it is older than ``SESSION_ABSOLUTE_HOURS`` since the password was entered, however active.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from outcome_monitor.extensions import db, login_manager
from outcome_monitor.models import User
from outcome_monitor.models.types import utcnow

LAST_SEEN = "last_seen"
SIGNED_IN_AT = "signed_in_at"
# Requests that never end or extend a session.
UNGUARDED = {None, "static", "health.healthz", "charts.plotly_js"}
# What a user who must enrol in two-factor sign-in may still reach.
BEFORE_ENROLMENT = {"auth.mfa_setup", "auth.logout", "auth.login"}


def now() -> datetime:
    """The time for session decisions (one place, so tests can move the clock)."""
    return utcnow()


@login_manager.user_loader
def load_user(login: str) -> User | None:
    """The user of a session whose stored login ("id:session version") is still current."""
    user_id, _sep, version = login.partition(":")
    if not (user_id.isdigit() and version.isdigit() and len(user_id) < 19 and len(version) < 19):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _forget_cached_login() -> None:
    """Load the login afresh in every request.

    Flask-Login caches the user in ``g``, which lives as long as the app context: when one is
    already pushed (a test, a CLI command serving requests) it would outlive the request, and
    a logout or password change elsewhere would go unnoticed by this client.
    """
    g.pop("_login_user", None)


def _expiry_message(moment: float) -> str | None:
    """Why the current login has expired, or None."""
    config = current_app.config
    last_seen, signed_in_at = session.get(LAST_SEEN), session.get(SIGNED_IN_AT)
    if last_seen is not None and moment - last_seen > config["SESSION_IDLE_MINUTES"] * 60:
        return _(
            "You were logged out after %(minutes)s minutes without activity.",
            minutes=config["SESSION_IDLE_MINUTES"],
        )
    if signed_in_at is None or moment - signed_in_at > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return _(
            "You were logged out: a session lasts at most %(hours)s hours. Please log in again.",
            hours=config["SESSION_ABSOLUTE_HOURS"],
        )
    return None


def _expire_session() -> WerkzeugResponse | None:
    """Log out an idle or too old session; on the kiosk only the staff login goes."""
    endpoint = request.endpoint
    if endpoint in UNGUARDED:
        return None
    moment = now().timestamp()
    message = _expiry_message(moment) if current_user.is_authenticated else None
    if message is not None:
        logout_user()
        if (endpoint or "").startswith("tablet.kiosk"):
            # The client keeps answering; unlocking will ask for a fresh login.
            session[LAST_SEEN] = moment
            return None
        session.clear()
        flash(message, "info")
        return redirect(url_for("auth.login", next=request.path))
    session[LAST_SEEN] = moment
    return None


def mfa_enrolment_required(user: User) -> bool:
    """True when the user's role must use two-factor sign-in and they have not set it up."""
    return user.role in current_app.config["MFA_REQUIRED_ROLES"] and not user.mfa_enabled


def _require_mfa_enrolment() -> WerkzeugResponse | None:
    endpoint = request.endpoint or ""
    if endpoint in UNGUARDED or endpoint in BEFORE_ENROLMENT or endpoint.startswith("tablet.kiosk"):
        return None
    if current_user.is_authenticated and mfa_enrolment_required(current_user):
        return redirect(url_for("auth.mfa_setup"))
    return None


def _no_store(response: Response) -> Response:
    """Pages with client data are never cached (the security headers are set in security.py)."""
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.permanent_session_lifetime = app.config["SESSION_IDLE_MINUTES"] * 60
    app.before_request(_forget_cached_login)
    app.before_request(_expire_session)
    app.before_request(_require_mfa_enrolment)
    app.after_request(_no_store)
    for code in (403, 404):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int):
    def handler(error: Exception) -> tuple[str, int]:
        return render_template("error.html", code=code), code

    return handler
