"""The REST API under /api/ (flask-smorest, OpenAPI 3; see docs/adr/0010-api-framework.md).

Personal access tokens only (``api.auth``); every call is audited, rate-limited per token, and
answers errors as RFC 9457 problem details (``api.problems``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint

from outcome_monitor.api import auth, docs, hooks, problems
from outcome_monitor.api.problems import ProblemSchema
from outcome_monitor.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])

# Path ids are bounded so that no database is asked about an id its integer column cannot hold.
ID = "int(max=2147483647)"

bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api",
    description="Clients, episodes, sessions, scores and alerts, within what the token's "
    "user may see.",
)
problems.register(bp)
hooks.register(bp)
auth.token_only(bp)
auth.token_only(docs.bp)


def documented_errors(*codes: int) -> Callable[[F], F]:
    """Document the problem responses an operation gives (each is a ProblemSchema)."""
    from http import HTTPStatus

    def decorator(view: F) -> F:
        for code in codes:
            view = bp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorator


def _api_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def _auth_failure_limit() -> str:
    return str(current_app.config["API_AUTH_FAILURE_RATE_LIMIT"])


# Per token; and per address for refused tokens, so guessing costs the guesser, not the server.
limiter.limit(_api_limit, key_func=auth.rate_limit_key)(bp)
limiter.limit(
    _auth_failure_limit,
    key_func=get_remote_address,
    deduct_when=lambda response: response.status_code == 401,
)(bp)


class ProblemApi(Api):
    """flask-smorest's Api with RFC 9457 errors, documented as ``application/problem+json``.

    Its own app-wide HTTPException handler would turn the HTML pages' errors into JSON, so the
    handlers go on the API's blueprints instead (``problems.register``).
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        from http import HTTPStatus

        from flask_smorest.utils import prepare_response

        for status in HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "schema": ProblemSchema}
                prepare_response(response, self.spec, problems.PROBLEM_JSON)
                self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An RFC 9457 problem", "schema": ProblemSchema}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


SPEC_DEFAULTS: dict[str, Any] = {
    "API_TITLE": "outcome_monitor API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    # The documentation page is the API's own (``api.docs``): local files, no inline script.
    "API_SPEC_OPTIONS": {
        "security": [{"bearerAuth": []}],
        "info": {
            "description": "Send a personal access token as `Authorization: Bearer TOKEN` "
            "(create one on the 'API tokens' page or with `flask api-token create`). "
            "Errors are RFC 9457 problem details.",
        },
    },
}


def init_app(app: Flask) -> None:
    """Serve the API and its documents; bearer tokens become Flask-Login's request loader."""
    from outcome_monitor.api import alerts, records, scores
    from outcome_monitor.extensions import login_manager

    assert alerts and records and scores  # imported for their routes
    for key, value in SPEC_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.session_interface = auth.TokenPathSessionInterface()
    login_manager.request_loader(auth.load_user_from_request)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    auth.leave_sessions_alone(app)
