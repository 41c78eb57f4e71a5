"""Login wiring, inactivity expiry, security headers and error pages."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from outcome_monitor.extensions import db, login_manager
from outcome_monitor.models import User

LAST_SEEN = "last_seen"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _expire_idle_session(app: Flask) -> WerkzeugResponse | None:
    """Log out a user who has been inactive for longer than SESSION_IDLE_MINUTES."""
    if request.endpoint in (None, "static", "health.healthz", "charts.plotly_js"):
        return None
    now = datetime.now(UTC).timestamp()
    last_seen = session.get(LAST_SEEN)
    idle_limit = app.config["SESSION_IDLE_MINUTES"] * 60
    if current_user.is_authenticated and last_seen is not None and now - last_seen > idle_limit:
        logout_user()
        session.clear()
        flash(
            _(
                "You were logged out after %(minutes)s minutes without activity.",
                minutes=app.config["SESSION_IDLE_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login", next=request.path))
    session[LAST_SEEN] = now
    return None


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.permanent_session_lifetime = app.config["SESSION_IDLE_MINUTES"] * 60
    app.before_request(lambda: _expire_idle_session(app))
    app.after_request(_security_headers)
    for code in (403, 404):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int):  # type: ignore[no-untyped-def]
    def handler(error: Exception) -> tuple[str, int]:
        return render_template("error.html", code=code), code

    return handler
