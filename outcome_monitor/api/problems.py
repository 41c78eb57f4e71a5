"""Errors as RFC 9457 problem details (``application/problem+json``), for every status the API
answers with, validation errors included.

The handlers are registered on the API's blueprints, by status code: Flask prefers an app-wide
handler for a code over a blueprint's handler for a class, and the HTML pages keep theirs.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, NoReturn

import marshmallow as ma
from flask import Blueprint, Response, current_app, json
from flask_smorest import abort as smorest_abort
from werkzeug.exceptions import HTTPException, MethodNotAllowed

PROBLEM_JSON = "application/problem+json"
HANDLED_CODES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500)

# One text for a record that does not exist and one the token's user may not see: the two
# answers must be identical, or the API would tell which ids exist.
NOT_FOUND_DETAIL = "No such record, or not one this token may see."
UNAUTHORIZED_DETAIL = (
    "Send a valid personal access token as 'Authorization: Bearer TOKEN'. "
    "Unknown, expired and revoked tokens are refused alike."
)
DETAILS = {
    404: NOT_FOUND_DETAIL,
    401: UNAUTHORIZED_DETAIL,
    500: "The server could not complete the request.",
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem; ``errors`` lists invalid fields by location, then by field."""

    type = ma.fields.String(
        required=True, metadata={"description": "A URI reference naming the problem type."}
    )
    title = ma.fields.String(required=True, metadata={"description": "The HTTP status phrase."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(
        required=True, metadata={"description": "What went wrong with this request."}
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Invalid fields: location (json, query), then field name."},
    )


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def fail(
    status: int, *, message: str | None = None, errors: dict[str, Any] | None = None
) -> NoReturn:
    """Stop the view with a problem: ``message`` as its detail, ``errors`` by location."""
    data: dict[str, Any] = {}
    if message is not None:
        data["message"] = message
    if errors is not None:
        data["messages"] = errors
    smorest_abort(status, **data)
    raise AssertionError("abort returned")  # pragma: no cover


def _detail(error: HTTPException, data: dict[str, Any]) -> str:
    code = error.code or 500
    if code in DETAILS:
        return DETAILS[code]
    if data.get("message"):
        return str(data["message"])
    if data.get("messages") is not None:
        return "The request has invalid fields; see 'errors'."
    return str(error.description or HTTPStatus(code).phrase)


def handle_http_exception(error: HTTPException) -> Response:
    """Any HTTP error raised in an API view (``abort``, webargs validation, rate limiting)."""
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="outcome_monitor"'
    return problem(
        error.code or 500, _detail(error, data), errors=data.get("messages"), headers=headers
    )


def register(blueprint: Blueprint) -> None:
    for code in HANDLED_CODES:
        blueprint.register_error_handler(code, handle_http_exception)
    blueprint.register_error_handler(HTTPException, handle_http_exception)
