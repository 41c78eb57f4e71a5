"""Signing in (password, then the second factor when the account has one) and logging out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from outcome_monitor.extensions import limiter
from outcome_monitor.services import accounts, sign_in
from outcome_monitor.services.sign_in import SignInOutcome, SignInResult
from outcome_monitor.web.auth import bp
from outcome_monitor.web.auth.forms import CodeForm, LoginForm, LogoutForm
from outcome_monitor.web.auth.signing import (
    PENDING_SECOND_FACTOR,
    SECOND_FACTOR_SECONDS,
    home_for,
    login_limits,
    now,
    safe_next,
    start_session,
)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.app_errorhandler(429)
def too_many_requests(error: Exception) -> tuple[str, int]:
    """Rate-limited requests get a page that says what happened and what to do."""
    message = _("Too many login attempts. Please wait a minute before trying again.")
    if request.endpoint not in ("auth.login", "auth.second_factor"):
        message = _("Too many requests. Please wait a minute before trying again.")
    return render_template("auth/login.html", form=LoginForm(), rate_limited=message), 429


def _refusal(result: SignInResult) -> str:
    if result.outcome == SignInOutcome.LOCKED:
        return _(
            "Too many failed attempts for this account: signing in is paused for up to "
            "%(minutes)s minutes. An administrator can lift the pause sooner.",
            minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
    return _("That email and password do not match an active account.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = LoginForm()
    if form.validate_on_submit():
        result = sign_in.check_password(
            email=form.email.data or "",
            password=form.password.data or "",
            now=now(),
            limits=login_limits(),
        )
        if result.outcome == SignInOutcome.SECOND_FACTOR and result.user is not None:
            session.clear()
            session[PENDING_SECOND_FACTOR] = {
                "user": result.user.id,
                "version": result.user.session_version,
                "at": now().timestamp(),
            }
            return redirect(url_for(".second_factor", next=safe_next(request.args.get("next"))))
        if result.outcome == SignInOutcome.SIGNED_IN and result.user is not None:
            return start_session(result.user, request.args.get("next"))
        flash(_refusal(result), "error")
    return render_template("auth/login.html", form=form)


def _pending() -> dict[str, int | float] | None:
    pending = session.get(PENDING_SECOND_FACTOR)
    if (
        not isinstance(pending, dict)
        or now().timestamp() - pending.get("at", 0) > SECOND_FACTOR_SECONDS
    ):
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    pending = _pending()
    if pending is None:
        session.pop(PENDING_SECOND_FACTOR, None)
        flash(_("Please enter your email and password again."), "info")
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        result = sign_in.check_code(
            user_id=int(pending["user"]),
            session_version=int(pending["version"]),
            code=form.code.data or "",
            now=now(),
            limits=login_limits(),
        )
        if result.outcome == SignInOutcome.SIGNED_IN and result.user is not None:
            return start_session(result.user, request.args.get("next"))
        form.code.errors = [
            _refusal(result)
            if result.outcome == SignInOutcome.LOCKED
            else _("That code is not right, or was used already.")
        ]
    return render_template("auth/second_factor.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET only asks (a link or an image elsewhere cannot log anyone out); POST, with its
    CSRF token, ends every session of the account."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for(".login"))
        return render_template("auth/logout.html", form=LogoutForm())
    if current_user.is_authenticated:
        accounts.log_out(user=current_user)
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for(".login"))


from outcome_monitor.web.auth import access_views, account_views, link_views  # noqa: E402,F401
