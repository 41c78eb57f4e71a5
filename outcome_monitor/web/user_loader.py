"""Login wiring: Flask-Login's settings and the user loader that ends outdated sessions.

A session ends (server-side, whatever the browser keeps) when the user logs out, changes or
resets their password, turns on two-factor sign-in, or is deactivated: each bumps
``User.session_version``, which is part of the login stored in the cookie (``User.get_id``),
and the user loader refuses a cookie with an old version. Idle and too old sessions end in
``web/session_expiry.py``.
"""

from __future__ import annotations

from flask import Flask, g

from outcome_monitor.extensions import login_manager
from outcome_monitor.models import User
from outcome_monitor.services import audit, sign_in


@login_manager.user_loader
def load_user(login: str) -> User | None:
    """The user of a session whose stored login ("id:session version") is still current."""
    user_id, _sep, version = login.partition(":")
    if not (user_id.isdigit() and version.isdigit() and len(user_id) < 19 and len(version) < 19):
        return None
    return sign_in.user_for_login(int(user_id), int(version))


def _forget_cached_login() -> None:
    """Load the login afresh in every request.

    Flask-Login caches the user in ``g``, which lives as long as the app context: when one is
    already pushed (a test, a CLI command serving requests) it would outlive the request, and
    a logout or password change elsewhere would go unnoticed by this client.
    """
    g.pop("_login_user", None)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    # First of the request's hooks, before anything loads the user: objects kept from an
    # earlier request in the same app context are read again (audit.read_afresh).
    app.before_request(audit.read_afresh)
    app.before_request(_forget_cached_login)
