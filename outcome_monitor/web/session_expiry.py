"""Session expiry: a login ends after ``SESSION_IDLE_MINUTES`` without activity, and
``SESSION_ABSOLUTE_HOURS`` after the password was entered, however active.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from outcome_monitor.models.types import utcnow

LAST_SEEN = "last_seen"
SIGNED_IN_AT = "signed_in_at"
# Requests that never end or extend a session.
UNGUARDED = {None, "static", "health.healthz", "charts.plotly_js"}


def now() -> datetime:
    """The time for session decisions (one place, so tests can move the clock)."""
    return utcnow()


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


def init_app(app: Flask) -> None:
    app.permanent_session_lifetime = app.config["SESSION_IDLE_MINUTES"] * 60
    app.before_request(_expire_session)
