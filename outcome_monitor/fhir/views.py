"""The /fhir/r4/ endpoints: searchset Bundles to read, a Bundle POSTed to the base to import.

Authentication is the API's: /fhir/ is a token path (``outcome_monitor.api.auth``), so a request
carries ``Authorization: Bearer TOKEN`` and no session cookie; the import needs a read-write
token. Reads of client data are audited by ``web.read_audit`` (it registers these endpoints),
the import by its service. Role rules are the app's own (``clinical_required``: therapists and
supervisors; admins see no client data); a patient the user may not see answers 404 exactly like
one that does not exist. Every error, including the login and role refusals, is a FHIR
OperationOutcome.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.resource import Resource
from flask import Blueprint, Flask, Response, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from outcome_monitor.api import auth as api_auth
from outcome_monitor.extensions import csrf, login_manager
from outcome_monitor.fhir import bundles, codes, resources, search
from outcome_monitor.fhir.bundles import Issue
from outcome_monitor.fhir.importer import ImportRefused, import_bundle
from outcome_monitor.models import Role
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.instruments import library
from outcome_monitor.web.helpers import clinical_required

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")

DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_OFFSET = 10**7
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
JSON_TYPES = (codes.FHIR_JSON, "application/json")
FORMATS = ("json", "application/json", codes.FHIR_JSON)
RESOURCE_PATHS = ("Questionnaire", "QuestionnaireResponse", "Observation", "Patient")
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    415: "not-supported",
}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # No login view for this blueprint: Flask-Login answers 401 (an OperationOutcome) instead
    # of redirecting an API client to the HTML login page.
    login_manager.blueprint_login_views[bp.name] = None


class BadParameter(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.issue = Issue("invalid", message, expression=name)


def fhir_json(resource: Resource, status: int = 200) -> Response:
    return Response(resource.model_dump_json(), status=status, mimetype=codes.FHIR_JSON)


def outcome(status: int, *issues: Issue) -> Response:
    return fhir_json(bundles.operation_outcome(issues), status)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 401:
        response = outcome(401, Issue("login", "send a personal access token: Bearer TOKEN"))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    message = error.description or error.name
    return outcome(status, Issue(ISSUE_CODES.get(status, "exception"), message))


# Flask looks for a handler by status code (blueprint, then app) before it looks by class, so
# the app's HTML 403/404 pages would win over a class handler: register the codes one by one.
bp.register_error_handler(HTTPException, _http_error)
for _status in ISSUE_CODES:
    bp.register_error_handler(_status, _http_error)


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return outcome(400, error.issue)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    return outcome(404, Issue("not-found", str(error)))


def _params(*allowed: str) -> dict[str, str]:
    """The query parameters, each at most once; unknown names are refused, not ignored."""
    for name in request.args:
        if name not in (*allowed, "_format"):
            raise BadParameter(name, f"parameter {name!r} is not supported here")
        if len(request.args.getlist(name)) > 1:
            raise BadParameter(name, f"parameter {name!r} is given more than once")
    if request.args.get("_format", "json") not in FORMATS:
        raise BadParameter("_format", "only JSON is served")
    return {name: request.args[name] for name in request.args if name != "_format"}


def _whole(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _base() -> str:
    return url_for("fhir.base", _external=True).rstrip("/")


def _links(
    endpoint: str, params: dict[str, str], offset: int, count: int, total: int
) -> dict[str, str]:
    def link(at: int) -> str:
        query: dict[str, Any] = {**params, "_offset": at, "_count": count}
        return url_for(endpoint, _external=True, **query)

    links = {"self": link(offset)}
    if offset + count < total:
        links["next"] = link(offset + count)
    if offset > 0:
        links["previous"] = link(max(offset - count, 0))
    return links


@bp.get("/Questionnaire")
@login_required
def questionnaire_search() -> Response:
    params = _params("url")
    found = [resources.questionnaire(d) for d in sorted(library().values(), key=lambda d: d.code)]
    if "url" in params:
        url, _, version = params["url"].partition("|")
        found = [q for q in found if q.url == url and version in ("", q.version)]
    links = {"self": request.url}
    return fhir_json(bundles.searchset(found, base=_base(), total=len(found), links=links))


@bp.get("/Questionnaire/<qid>")
@login_required
def questionnaire_read(qid: str) -> Response:
    _params()
    definition = library().get(qid)
    if definition is None:
        raise NotFound(f"No Questionnaire {qid[:64]!r}.")
    return fhir_json(resources.questionnaire(definition))


@bp.get("/Patient/<pid>")
@clinical_required
def patient_read(pid: str) -> Response:
    _params()
    return fhir_json(resources.patient(search.visible_client(current_user, f"Patient/{pid}")))


@bp.get("/QuestionnaireResponse")
@clinical_required
def response_search() -> Response:
    return _search(
        "fhir.response_search", _params("patient", "_count", "_offset"), observations=False
    )


@bp.get("/Observation")
@clinical_required
def observation_search() -> Response:
    return _search(
        "fhir.observation_search",
        _params("patient", "code", "_count", "_offset"),
        observations=True,
    )


def _search(endpoint: str, params: dict[str, str], *, observations: bool) -> Response:
    if not params.get("patient", "").strip():
        raise BadParameter("patient", "patient is required (the client's code)")
    count = _whole(params, "_count", DEFAULT_COUNT, 1, MAX_COUNT)
    offset = _whole(params, "_offset", 0, 0, MAX_OFFSET)
    client = search.visible_client(current_user, params["patient"].strip())
    definitions = library()
    wanted = set(definitions)
    if "code" in params:
        wanted &= search.instruments_for_token(params["code"].strip(), definitions.values())
    page = search.administrations(
        client, instrument_codes=wanted, offset=offset, count=count, with_total=observations
    )
    found: list[Any] = []
    for administration in page.administrations:
        definition = definitions[administration.instrument_code]
        if observations:
            found.append(resources.observation(administration, definition, client))
        else:
            found.append(resources.questionnaire_response(administration, definition, client))
    links = _links(endpoint, params, offset, count, page.total)
    return fhir_json(bundles.searchset(found, base=_base(), total=page.total, links=links))


@bp.route("/", methods=["POST"], endpoint="base")
@csrf.exempt
@clinical_required
def import_endpoint() -> Response:
    """Import a Bundle; a read-only token is refused (403), as the API refuses it writes.

    CSRF-exempt: a token path reads no session cookie, so there is nothing for a cross-site
    request to ride on; and a browser cannot send a JSON content type cross-site without a
    CORS preflight, which this app never grants, so the content type is required as well."""
    scope = api_auth.token_scope()
    if scope is None or not api_auth.may_write(scope):
        return outcome(403, Issue("forbidden", "importing needs a read-write token"))
    if request.mimetype not in JSON_TYPES:
        return outcome(415, Issue("not-supported", f"send the Bundle as {codes.FHIR_JSON}"))
    if (request.content_length or 0) > MAX_BUNDLE_BYTES:
        return outcome(413, Issue("too-costly", "the Bundle is too large; split it"))
    body = request.get_data(cache=False)
    if len(body) > MAX_BUNDLE_BYTES:
        return outcome(413, Issue("too-costly", "the Bundle is too large; split it"))
    therapist = current_user if current_user.role == Role.THERAPIST else None
    try:
        report = import_bundle(text=body, library=library(), by=current_user, therapist=therapist)
    except ImportRefused as refused:
        issues = [Issue("invalid", str(e), expression=e.expression) for e in refused.errors]
        status = 400 if any(e.index is None for e in refused.errors) else 422
        return outcome(status, *issues)
    except ServiceError as error:
        return outcome(422, Issue("business-rule", str(error)))
    response_type = "batch-response" if report.bundle_type == "batch" else "transaction-response"
    entries = [_entry_response(o) for o in report.outcomes]
    return fhir_json(bundles.response_bundle(response_type, entries))


def _entry_response(entry: Any) -> dict[str, Any]:
    response: dict[str, Any] = {"status": entry.status}
    if entry.location:
        response["location"] = entry.location
    if entry.note:
        response["outcome"] = bundles.operation_outcome(
            [Issue("informational", entry.note, severity="information")]
        )
    return response


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@login_required
def unknown(rest: str) -> Response:
    if rest.split("/", 1)[0] in RESOURCE_PATHS:
        return outcome(405, Issue("not-supported", f"{request.method} is not supported here"))
    return outcome(404, Issue("not-supported", f"no FHIR endpoint {rest[:80]!r}"))
