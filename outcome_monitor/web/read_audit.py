"""The audit of reads: every view of a client's record, and every refused attempt, writes one
audit event, from one place (an ``after_request`` hook) rather than from every view.

How a request is judged, from its endpoint and the response the view gave:

* a **registered read** (below) answering 2xx to GET or HEAD is an *allowed* read;
* any request that names a client's record in its URL (a view argument such as ``client_id``
  or ``episode_id``, see ``read_audit_subjects``) or is a registered read, and answers 401,
  403 or 404 (what the access helpers answer) or sends an anonymous user to the login page, is
  a *denied* attempt. A foreign record answers exactly like a missing one, but its audit row
  names the client's code; a missing one has no code;
* everything else writes nothing here (a change is audited by its service, in its own
  transaction; a 5xx is in the error log).

The event is ONE statement: an INSERT whose client code is a subquery on the id in the URL.

If the event cannot be written, the read fails closed: the page is replaced by a 503 ("the
record cannot be shown because the access could not be recorded") and the error is logged;
a client's record is never shown unaudited, and the failure is never silent. A refused attempt
whose event fails keeps its 404 (nothing was shown) and is logged.

Registering a new read endpoint (e.g. a new blueprint's detail page or an API read):

* with the decorator, placed directly above the view function (below ``@bp.route``)::

      @bp.get("/things/<int:episode_id>")
      @audited_read("thing.view", arg="episode_id")
      @clinical_required
      def thing(episode_id): ...

* or by endpoint name, without touching the view (this module's ``CORE_READS`` does this for
  the existing pages)::

      register_read("api.get_episode", "api.episode.view", arg="episode_id")

``arg`` names the view argument, or query-string argument, that identifies the record;
``subject`` says what kind of id it is when the name differs (``subject="client_code"`` for
an argument carrying a client's code). A list page registers without ``arg`` and gets no code.
A new kind of id registers with ``register_subject``. A view or blueprint that writes its own
access event (with ``outcome`` and ``client_code``) calls ``mark_recorded()`` so that no second
one is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from outcome_monitor.models import AuditOutcome
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import audit
from outcome_monitor.web.read_audit_subjects import SUBJECTS, Subject

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
READ_METHODS = frozenset({"GET", "HEAD"})
DENIED_STATUSES = frozenset({401, 403, 404})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ATTRIBUTE = "_audited_read"
RECORDED = "outcome_monitor.read_audit_recorded"  # a key of the request's WSGI environ


@dataclass(frozen=True)
class ReadSpec:
    action: str
    arg: str | None = None
    subject: str | None = None
    object_type: str = "Page"  # for a list page, which names no single record


# The reads of client records in the blueprints that existed before this module.
CORE_READS: dict[str, ReadSpec] = {
    "clients.detail": ReadSpec("client.view", arg="client_id"),
    "clients.caseload": ReadSpec("caseload.view", object_type="Caseload"),
    "charts.episode_chart_json": ReadSpec("chart.view", arg="episode_id"),
    "measures.result": ReadSpec("administration.view", arg="administration_id"),
    "measures.enter": ReadSpec("measure_form.view", arg="episode_id"),
    "alerts.queue": ReadSpec("alert_queue.view", object_type="AlertQueue"),
    "supervision.review": ReadSpec("supervision_review.view", arg="episode_id"),
    # Downloads listing closed episodes with client codes (the report's filters are in the
    # event's path).
    "reports.outcomes_episodes_csv": ReadSpec("report.episodes_export", object_type="EpisodeList"),
    "reports.outcomes_csv": ReadSpec("report.csv_export", object_type="Report"),
    # The REST API (/api/) and FHIR (/fhir/r4/) reads.
    "api.get_client": ReadSpec("api.client.read", arg="client_id"),
    "api.list_clients": ReadSpec("api.clients.list", object_type="ClientList"),
    "api.list_episodes": ReadSpec("api.episodes.list", arg="client_id"),
    "api.get_episode": ReadSpec("api.episode.read", arg="episode_id"),
    "api.list_sessions": ReadSpec("api.sessions.list", arg="episode_id"),
    "api.list_administrations": ReadSpec("api.administrations.list", arg="episode_id"),
    "api.get_administration": ReadSpec("api.administration.read", arg="administration_id"),
    "api.get_attention_card": ReadSpec("api.attention_card.read", arg="episode_id"),
    "api.list_alerts": ReadSpec("api.alerts.list", object_type="AlertList"),
    "fhir.patient_read": ReadSpec("fhir.patient.read", arg="pid", subject="client_id"),
    "fhir.observation_search": ReadSpec(
        "fhir.observation.search", arg="patient", subject="fhir_patient"
    ),
    "fhir.response_search": ReadSpec(
        "fhir.questionnaire_response.search", arg="patient", subject="fhir_patient"
    ),
}

_reads: dict[str, ReadSpec] = dict(CORE_READS)


def register_read(
    endpoint: str, action: str, *, arg: str | None = None, subject: str | None = None
) -> None:
    """Audit 2xx GETs of ``endpoint`` as reads of the record named by ``arg``."""
    _check_subject(subject or arg)
    _reads[endpoint] = ReadSpec(action, arg=arg, subject=subject)


def audited_read(action: str, *, arg: str | None = None, subject: str | None = None):
    """Decorator form of ``register_read``; put it directly below ``@bp.route``."""
    _check_subject(subject or arg)

    def decorator(view: F) -> F:
        setattr(view, ATTRIBUTE, ReadSpec(action, arg=arg, subject=subject))
        return view

    return decorator


def register_subject(
    name: str, object_type: str, code_of: Callable[[Any], sa.ScalarSelect[str] | None]
) -> None:
    """A new kind of id: requests naming it in their URL are audited when refused."""
    SUBJECTS[name] = Subject(object_type, code_of)


def _check_subject(name: str | None) -> None:
    if name is not None and name not in SUBJECTS:
        raise ValueError(f"unknown audit subject {name!r}; register it with register_subject")


def read_spec(endpoint: str | None) -> ReadSpec | None:
    if endpoint is None:
        return None
    spec = _reads.get(endpoint)
    if spec is None:
        view = current_app.view_functions.get(endpoint)
        spec = getattr(view, ATTRIBUTE, None)
    return spec


def mark_recorded() -> None:
    """Say that this request wrote its own access event, with its outcome and client code
    (``services.audit.record(..., outcome=..., client_code=...)``): no second one is written."""
    request.environ[RECORDED] = True


def requested_client_code() -> str | None:
    """The code of the client whose record the current request names (in its URL or, for a
    registered read, its query string), whether or not the user may see it; None when it
    names none or no such record exists. For code that writes its own access event."""
    subject = _subject(read_spec(request.endpoint))
    if subject is None:
        return None
    code = SUBJECTS[subject[0]].code_of(subject[1])
    return None if code is None else audit.code_by_subquery(code)


def init_app(app: Flask) -> None:
    app.after_request(audit_response)


def audit_response(response: Response) -> Response:
    """The ``after_request`` hook: judge the request and write its event (or nothing)."""
    if request.environ.get(RECORDED):
        return response
    spec = read_spec(request.endpoint)
    subject = _subject(spec)
    outcome = _outcome(response, spec, subject)
    if outcome is None:
        return response
    try:
        _write(outcome, spec, subject, response.status_code)
    except Exception:  # the audit must never fail silently, whatever went wrong
        logger.exception("audit event for %s %s not written", request.method, request.path)
        if outcome == AuditOutcome.ALLOWED:
            return _unavailable(response)
    return response


def _subject(spec: ReadSpec | None) -> tuple[str, Any] | None:
    """(kind of id, value) of the record the request names, if any."""
    view_args = request.view_args or {}
    if spec is not None and spec.arg is not None:
        value = view_args.get(spec.arg, request.args.get(spec.arg))
        return (spec.subject or spec.arg, value) if value is not None else None
    for name, value in view_args.items():
        if name in SUBJECTS:
            return name, value
    return None


def _outcome(
    response: Response, spec: ReadSpec | None, subject: tuple[str, Any] | None
) -> AuditOutcome | None:
    status = response.status_code
    if spec is not None and request.method in READ_METHODS and 200 <= status < 300:
        return AuditOutcome.ALLOWED
    if spec is None and subject is None:
        return None
    if status in DENIED_STATUSES or _sent_to_login(response):
        return AuditOutcome.DENIED
    return None


def _sent_to_login(response: Response) -> bool:
    """A redirect to the login page of a request without a login. The user is asked last: after
    a use-case's commit it is expired, and asking would load it again for every redirect."""
    if response.status_code not in REDIRECTS:
        return False
    if urlsplit(response.location or "").path != url_for("auth.login"):
        return False
    return not current_user.is_authenticated


def _write(
    outcome: AuditOutcome, spec: ReadSpec | None, subject: tuple[str, Any] | None, status: int
) -> None:
    actor_id = current_user.id if current_user.is_authenticated else None
    object_type, object_id, code = spec.object_type if spec else "Page", None, None
    if subject is not None:
        kind = SUBJECTS[subject[0]]
        object_type, object_id = kind.object_type, str(subject[1])[:40]
        code = kind.code_of(subject[1])
    path = request.full_path.rstrip("?")[:300]  # with the query: an export's filters, a search
    details: dict[str, Any] = {"method": request.method, "path": path}
    details["status"] = status
    audit.record_read(
        actor_id=actor_id,
        action=spec.action if spec else (request.endpoint or "")[:80],
        object_type=object_type,
        object_id=object_id,
        details=details,
        outcome=outcome,
        client_code=code,
        at=utcnow(),
    )


def _unavailable(response: Response) -> Response:
    if response.is_json:
        failed = jsonify(error="The record cannot be shown: the access could not be recorded.")
    else:
        failed = current_app.make_response(render_template("audit/unavailable.html"))
    failed.status_code = 503
    failed.headers["Retry-After"] = "30"
    return failed
