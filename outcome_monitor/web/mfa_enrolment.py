"""The two-factor enrolment gate: a user whose role must use two-factor sign-in reaches only
the enrolment page (and logging out) until they have set it up.
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from outcome_monitor.models import User
from outcome_monitor.web.session_expiry import UNGUARDED

# What a user who must enrol in two-factor sign-in may still reach.
BEFORE_ENROLMENT = {"auth.mfa_setup", "auth.logout", "auth.login"}


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


def init_app(app: Flask) -> None:
    app.before_request(_require_mfa_enrolment)
