"""Every route of the URL map, as every role, with foreign and missing ids (issue 9, Build 2).

Built from ``app.url_map``: a route added tomorrow is requested too. For each role (anonymous,
therapists Alice of North and Carol of South, supervisor Sam of North, admin Ada):

* no response is a server error;
* no response shows the code of a client the role may not see (an admin sees none);
* anonymous: every route asks for a login (a redirect to /login, or 401 on the token API),
  unless it is listed in PUBLIC with the reason;
* a record id the role may not see answers exactly like an id that does not exist (404, the
  same bytes), for every route that takes one;
* an id past the database's integer range answers 404 (never reaching the database).

Only what cannot be requested generically is skipped (SKIP, with the reason).
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from outcome_monitor.api.auth import is_token_path
from outcome_monitor.models import User
from tests.builders import unchanged
from tests.conftest import World, login
from tests.security.matrix_world import (
    ALL_CODES,
    MISSING_ID,
    VISIBLE,
    MatrixWorld,
    build,
    build_url,
    foreign_ids,
    id_params,
    model_for,
    requestable_rules,
)

ROLES = ["anonymous", "alice", "carol", "sam", "ada"]

# Endpoints an anonymous visitor may reach, and why. A new public endpoint fails the test
# until it is listed here.
PUBLIC = {
    "static": "stylesheets and scripts",
    "health.healthz": "the load balancer's probe; it names no record",
    "charts.plotly_js": "the charting library (a public file)",
    "auth.login": "the login page",
    "auth.second_factor": "the login's second step (it needs the first)",
    "auth.set_password": "an invitation or reset link: its token is the credential",
    "links.start": "a client's remote link: its token is the credential",
    "links.begin": "a client's remote link",
    "links.measure": "a client's remote link",
    "links.answer": "a client's remote link",
    "links.done": "the thank-you page after a remote link",
    "tablet.kiosk": "the kiosk: only a browser handed over by staff has a hand-over (else 404)",
    "tablet.kiosk_begin": "the kiosk",
    "tablet.kiosk_measure": "the kiosk",
    "tablet.kiosk_item": "the kiosk",
    "tablet.kiosk_answer": "the kiosk",
    "tablet.kiosk_unlock": "the kiosk",
    "api-docs.openapi_json": "the API's description (no records)",
    "api_extra.swagger_ui": "the API's documentation page (no records)",
    "api_extra.swagger_asset": "the API documentation's own files",
    "api_extra.unknown": "an unknown API path: a JSON 404",
    "fhir.unknown": "an unknown FHIR path: an OperationOutcome 404",
}
# (endpoint, method) that cannot be requested generically, and why.
SKIP = {
    ("auth.logout", "GET"): "ends the login the rest of the matrix needs (tests/web/test_auth.py)",
    ("auth.logout", "POST"): "ends the login the rest of the matrix needs (tests/web/test_auth.py)",
}
# Writes whose refusal is itself audited (an audit row; nothing else changes).
# Past PostgreSQL's integer, past SQLite's 64 bits.
BEYOND_RANGE = (2**31, 2**64 + 1)
CSRF = re.compile(rb'(name="csrf_token" type="hidden" value=|name="csrf-token" content=)"[^"]*"')


@dataclass(frozen=True)
class Probe:
    rule: Rule
    method: str
    url: str
    response: TestResponse

    def where(self) -> str:
        return f"{self.method} {self.url} ({self.rule.endpoint}) -> {self.response.status_code}"


def _request(client: FlaskClient, method: str, url: str, bearer: str | None) -> TestResponse:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer and is_token_path(url) else {}
    response = client.open(url, method=method, headers=headers)
    response.get_data()  # read (and keep) the body, then release a streamed file
    response.close()
    return response


def _signature(probe: Probe) -> tuple[int, str, bytes]:
    """Status, location and body with what legitimately differs (the path asked, the CSRF
    token) blanked out."""
    path = probe.url.encode()
    body = CSRF.sub(b"", probe.response.get_data())
    location = probe.response.headers.get("Location", "")
    for form in (path, quote(probe.url, safe="").encode()):
        body = body.replace(form, b"<path>")
        location = location.replace(form.decode(), "<path>")
    return probe.response.status_code, location, body


def _common_problems(probe: Probe, role: str) -> list[str]:
    problems = []
    if probe.response.status_code >= 500:
        problems.append(f"server error: {probe.where()}")
    body = probe.response.get_data(as_text=True)
    shown = sorted(code for code in ALL_CODES - VISIBLE[role] if code in body)
    if shown:
        problems.append(f"shows client {', '.join(shown)} to {role}: {probe.where()}")
    return problems


def _anonymous_problems(probe: Probe) -> list[str]:
    if probe.rule.endpoint in PUBLIC:
        return []
    status, location = probe.response.status_code, probe.response.headers.get("Location", "")
    if status == 401 or (status == 302 and location.startswith("/login")):
        return []
    return [f"anonymous not sent to the login: {probe.where()} {location}"]


def _beyond_range_problems(probe: Probe, role: str) -> list[str]:
    """An id past the database's range matches no rule: 404. (Werkzeug answers 405 instead
    when another rule has the same path for other methods, e.g. the API's GET and POST on
    ``/api/episodes/<id>/administrations``; neither reaches the database.) A string id part
    (FHIR's Patient/<pid>) matches its rule: there an anonymous visitor is asked to log in."""
    if not any(isinstance(c, IntegerConverter) for c in probe.rule._converters.values()):
        if role == "anonymous":
            return _anonymous_problems(probe)
        return [] if probe.response.status_code == 404 else [f"not 404: {probe.where()}"]
    if probe.response.status_code in (404, 405):
        return []
    return [f"an id past the database's range is not 404: {probe.where()}"]


def _role_client(app: Flask, found: MatrixWorld, role: str) -> tuple[FlaskClient, str | None]:
    client = app.test_client()
    if role == "anonymous":
        return client, None
    response = login(client, found.users[role])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, found.bearer[role]


def _foreign_ids(rule: Rule, role: str, user: User | None) -> list[dict[str, Any]]:
    """For each record part of ``rule``: ids of records ``role`` may not see."""
    cases = []
    for param in id_params(rule):
        model = model_for(param)
        if model is not None:
            cases += [{param: row_id} for row_id in foreign_ids(model, role, user)]
    return cases


def _missing_ids(rule: Rule, value: int) -> dict[str, Any]:
    """Every number part of ``rule`` set to ``value`` (never an id the world uses)."""
    return dict.fromkeys(id_params(rule), value)


def _check_rule(
    client: FlaskClient, rule: Rule, method: str, role: str, bearer: str | None, user: User | None
) -> list[str]:
    def probe(values: dict[str, Any]) -> Probe:
        url = build_url(rule, values)
        return Probe(rule, method, url, _request(client, method, url, bearer))

    missing = probe(_missing_ids(rule, MISSING_ID))
    problems = _common_problems(missing, role)
    if role == "anonymous":
        problems += _anonymous_problems(missing)
    if id_params(rule):
        for beyond in BEYOND_RANGE:
            problems += _beyond_range_problems(probe(_missing_ids(rule, beyond)), role)
    if role == "anonymous":
        return problems  # the login comes before any look-up (checked above)
    for values in _foreign_ids(rule, role, user):
        foreign = probe(_missing_ids(rule, MISSING_ID) | values)
        problems += _common_problems(foreign, role)
        if _signature(foreign) != _signature(missing):
            problems.append(
                f"foreign id {values} is told apart from a missing one: {foreign.where()} "
                f"vs {missing.response.status_code}"
            )
    return problems


def _unchanged_unless_read(method: str, endpoint: str) -> AbstractContextManager[None]:
    """A refused or empty write (no form, a missing or foreign id) changes nothing (the audit
    rows of refusals are recorded as denied, which ``unchanged`` leaves out)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return nullcontext()
    return unchanged(what=f"{method} {endpoint}")


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role_keeps_records_apart(app: Flask, world: World, role: str) -> None:
    found = build(world)
    client, bearer = _role_client(app, found, role)
    problems: list[str] = []
    checked = 0
    for rule, method in requestable_rules(app):
        if (rule.endpoint, method) in SKIP:
            continue
        with _unchanged_unless_read(method, rule.endpoint):
            problems += _check_rule(client, rule, method, role, bearer, found.users.get(role))
        checked += 1
    assert checked > 60, f"only {checked} routes: is the URL map complete?"
    assert not problems, "\n".join(problems)


def test_the_skips_and_public_endpoints_name_real_routes(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {endpoint for endpoint, _method in SKIP} <= endpoints
    assert set(PUBLIC) <= endpoints, set(PUBLIC) - endpoints
