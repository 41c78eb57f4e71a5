from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from outcome_monitor.extensions import limiter
from outcome_monitor.models import Role
from outcome_monitor.services import accounts
from outcome_monitor.web.auth import bp
from outcome_monitor.web.auth.forms import LoginForm


def _home_for(role: str) -> str:
    return url_for("admin.users") if role == Role.ADMIN else url_for("clients.caseload")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.app_errorhandler(429)
def too_many_requests(error: Exception) -> tuple[str, int]:
    """Rate-limited requests get a page that says what happened and what to do."""
    message = _("Too many login attempts. Please wait a minute before trying again.")
    if request.endpoint != "auth.login":
        message = _("Too many requests. Please wait a minute before trying again.")
    return render_template("auth/login.html", form=LoginForm(), rate_limited=message), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(_home_for(current_user.role))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(
            email=form.email.data or "", password=form.password.data or "", now=datetime.now(UTC)
        )
        if user is None:
            flash(_("That email and password do not match an active account."), "error")
            return render_template("auth/login.html", form=form), 200
        session.clear()
        session.permanent = True
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or _home_for(user.role))
    return render_template("auth/login.html", form=form)


@bp.route("/logout")
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
