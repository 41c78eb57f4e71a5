"""Around every API call: a usable token first (401), write scope for writes (403), and an
audit row afterwards, whether the call was allowed or refused.

The row is the call's access event, so the read audit of the HTML pages (``web.read_audit``)
writes no second one; and it fails closed like that audit: when the row cannot be written,
an allowed call answers 503 instead of the record (a record is never shown unaudited); a
refused call keeps its answer (nothing was shown). Either way the failure is logged.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, abort, g, request
from flask.wrappers import Response

from outcome_monitor.api import auth, problems
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import api_tokens
from outcome_monitor.web import read_audit

logger = logging.getLogger(__name__)

READ_ONLY_DETAIL = "This token is read-only; recording and acknowledging need a read-write token."
UNAUDITED_DETAIL = "The request cannot be answered: the access could not be recorded."

# What a path id names, for the audit row of a call about one record.
OBJECT_TYPES = {
    "client_id": "Client",
    "episode_id": "Episode",
    "administration_id": "Administration",
}


def require_token() -> None:
    scope = auth.token_scope()
    if scope is None:
        abort(401)
    if not auth.may_write(scope):
        abort(403, description=READ_ONLY_DETAIL)


def audit_call(response: Response) -> Response:
    """One audit row per call: who (the token's user), what, about which record, allowed or
    refused; a refused token is recorded by its shown prefix only, never in full."""
    try:
        call = _call(response.status_code)
        api_tokens.record_api_call(token_id=g.get("api_token_id"), call=call, now=utcnow())
        read_audit.mark_recorded()  # this row is the call's access event: no second one
    except Exception:  # the audit must never fail silently, whatever went wrong
        logger.exception("audit event for %s %s not written", request.method, request.path)
        if response.status_code < 400:
            return problems.problem(503, UNAUDITED_DETAIL, headers={"Retry-After": "30"})
    return response


def _call(status: int) -> api_tokens.ApiCall:
    secret = auth.bearer_secret(request)
    call = api_tokens.ApiCall(
        action=(request.endpoint or "api.unknown")[:80],
        method=request.method,
        path=request.full_path.rstrip("?")[:300],
        status=status,
        token_prefix=api_tokens.shown_prefix(secret) if secret else None,
        subject=g.get("api_subject"),
    )
    if call.subject is not None:  # the record the view loaded (and its client's code)
        return call
    object_type, object_id = _named_in_path()
    # The code of a record named but not shown (refused, or a search by patient), so that a
    # client's access log lists refused attempts too.
    code = read_audit.requested_client_code()
    return replace(call, object_type=object_type, object_id=object_id, client_code=code)


def _named_in_path() -> tuple[str, str | None]:
    for name, value in (request.view_args or {}).items():
        if name in OBJECT_TYPES:
            return OBJECT_TYPES[name], str(value)[:40]
    return "api", None


def register(blueprint: Blueprint) -> None:
    blueprint.before_request(require_token)
    blueprint.after_request(audit_call)
