"""Invitation and reset links: the holder chooses the account's password."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.wrappers import Response

from outcome_monitor.extensions import limiter
from outcome_monitor.models import AccountToken, TokenPurpose, User
from outcome_monitor.services import NotFound, ServiceError, invitations
from outcome_monitor.services.invitations import TokenUnavailable
from outcome_monitor.web.auth import bp
from outcome_monitor.web.auth.forms import NewPasswordForm
from outcome_monitor.web.auth.signing import now, start_session


def _gone(error: ServiceError, status: int) -> Response:
    return make_response(render_template("auth/link_gone.html", message=str(error)), status)


def _token_or_gone(token: str) -> AccountToken | Response:
    try:
        return invitations.find_token(token=token, now=now())
    except TokenUnavailable as error:
        return _gone(error, 410)
    except NotFound as error:
        return _gone(error, 404)


@bp.route("/account/setup/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_RATE_LIMIT"]), methods=["POST"])
def set_password(token: str):
    found = _token_or_gone(token)
    if isinstance(found, Response):
        return found
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = invitations.redeem(token=token, password=form.password.data or "", now=now())
        except ServiceError as error:
            form.password.errors = [str(error)]
        else:
            return _after_password_set(user)
    welcome = found.purpose == TokenPurpose.INVITATION
    return render_template("auth/set_password.html", form=form, account=found.user, welcome=welcome)


def _after_password_set(user: User) -> Response:
    """Straight in, to set up two-factor sign-in; an account that has it signs in with it."""
    if user.mfa_enabled:
        logout_user()
        flash(_("Your password is set. Log in with it and your authenticator app."), "success")
        return redirect(url_for(".login"))
    start_session(user)
    flash(_("Your password is set. Now protect your account with two-factor sign-in."), "success")
    return redirect(url_for(".mfa_setup"))
