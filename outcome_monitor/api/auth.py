"""Bearer tokens as a Flask-Login request loader, on the token paths (/api/ and /fhir/) only.

On a token path:

* the session cookie is neither read nor written (``TokenPathSessionInterface``), so the only
  credential is the ``Authorization`` header. A browser never adds that header to a cross-site
  request by itself, so these routes need no CSRF token, and their blueprints are exempt;
* the request loader turns a valid token into the current user, so any view there protected by
  ``login_required``, ``roles_required`` or ``clinical_required`` accepts the token.

Everywhere else the loader answers None: a token never stands in for the session, and so never
for the session's CSRF token, on the HTML pages.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Blueprint, Flask, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request, Response
from flask_limiter.util import get_remote_address
from flask_login import current_user

from outcome_monitor.extensions import csrf, login_manager
from outcome_monitor.models import TokenScope, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import api_tokens
from outcome_monitor.web import session_expiry

TOKEN_PATH_PREFIXES = ("/api/", "/fhir/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SECRET = re.compile(r"[A-Za-z0-9_\-]{16,200}")


def is_token_path(path: str) -> bool:
    return path.startswith(TOKEN_PATH_PREFIXES)


def bearer_secret(req: Request) -> str | None:
    """The secret of an ``Authorization: Bearer SECRET`` header, or None."""
    scheme, _, value = req.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _SECRET.fullmatch(value):
        return None
    return value


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login's request loader: the owner of a usable token, on token paths only."""
    if not is_token_path(req.path):
        return None
    secret = bearer_secret(req)
    token = api_tokens.authenticate(secret, now=utcnow()) if secret else None
    if token is None:
        return None
    g.api_token_id, g.api_token_scope = token.id, token.scope
    return token.user


class TokenPathSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session everywhere except on token paths, where each request gets a
    fresh session that is never saved: no cookie is read, and none is set."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_token_path(request.path):
            _forget_request_user()
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if is_token_path(request.path):
            _forget_request_user()
            return
        super().save_session(app, session, response)


REQUEST_STATE = ("_login_user", "api_token_id", "api_token_scope", "api_subject")


def _forget_request_user() -> None:
    """A token's user lives for its request only. ``g`` belongs to the app context, which a
    request normally has to itself; where several requests share one (a test client inside
    ``app.app_context()``), no request may inherit another's user, token or audit subject."""
    for name in REQUEST_STATE:
        g.pop(name, None)


def token_only(blueprint: Blueprint) -> None:
    """Make a blueprint on a token path token-only: no CSRF check (there is no cookie to ride
    on) and a 401 instead of the login page's redirect for a request without a usable token."""
    csrf.exempt(blueprint)
    login_manager.blueprint_login_views[blueprint.name] = None


def leave_sessions_alone(app: Flask) -> None:
    """A request on a token path has no session to expire, extend or send to two-factor
    enrolment: its endpoints join the session guard's unguarded ones (call this after every
    blueprint on a token path is registered)."""
    session_expiry.UNGUARDED.update(
        rule.endpoint for rule in app.url_map.iter_rules() if is_token_path(rule.rule)
    )


def rate_limit_key() -> str:
    """Rate limits count per token (a digest of it, never the secret), else per address."""
    secret = bearer_secret(request)
    if secret is None:
        return "address:" + get_remote_address()
    return "token:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


def token_scope() -> TokenScope | None:
    """The scope of the request's token, None when no usable token came with it."""
    current_user._get_current_object()  # runs the request loader once, if not run yet
    scope = g.get("api_token_scope")
    return TokenScope(scope) if scope is not None else None


def may_write(scope: TokenScope) -> bool:
    return request.method in SAFE_METHODS or scope == TokenScope.READ_WRITE
