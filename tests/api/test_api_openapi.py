"""The OpenAPI document and its docs page, and schemathesis against the document: requests
generated from it never get a 5xx, and every response matches what it documents.

Bounded for CI: a few examples per operation, derandomized (the same requests on every run),
on whichever database the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration
from tests.api.conftest import bearer, give, issue
from tests.builders import phq9
from tests.conftest import World

CHECKS = [not_a_server_error, response_schema_conformance]
MAX_EXAMPLES = 6  # per operation, mode and kind of id: about 250 requests in all


def test_the_document_is_openapi_3_with_bearer_auth(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    operations = {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item
    } - {("PARAMETERS", path) for path in spec["paths"]}
    assert ("POST", "/api/episodes/{episode_id}/administrations") in operations
    assert ("POST", "/api/episodes/{episode_id}/attention-card/acknowledge") in operations
    assert len(operations) == 11
    problem = spec["components"]["responses"]["NOT_FOUND"]["content"]
    assert "application/problem+json" in problem


def test_the_docs_page_loads_nothing_from_elsewhere(client) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assets = re.findall(r"(?:src|href)=\"(/api/docs/assets/[^\"]+)\"", html)
    assert len(assets) == 3
    for asset in assets:
        with client.get(asset) as served:
            assert served.status_code == 200, asset
    assert "<script>" not in html  # no inline script: the page keeps the app's CSP
    with client.get("/api/docs/assets/swagger-init.js") as init:
        assert b"validatorUrl: null" in init.data  # no call to the online validator


@dataclass
class ApiWorld:
    secret: str
    ids: dict[str, int]


@pytest.fixture
def api_world(world: World) -> ApiWorld:
    """Alice's read-write token and records for every kind of path id: a session, scores and
    an open risk alert, so that generated requests meet real records as well as missing ones."""
    episode = world.alices_client.current_episode
    assert episode is not None
    give(episode, world.alice, phq9(12), weeks=0)
    give(episode, world.alice, phq9(20, item9=2), weeks=1)
    administration_id = db.session.scalar(sa.select(sa.func.max(Administration.id)))
    assert administration_id is not None
    ids = {
        "client_id": world.alices_client.id,
        "episode_id": episode.id,
        "administration_id": administration_id,
    }
    return ApiWorld(issue(world.alice), ids)


@pytest.fixture
def api_schema(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


# schemathesis's own pytest plugin (``@schema.parametrize``) does not run under pytest 9.2, so
# each operation's strategy is driven by Hypothesis directly: same generation, same checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_the_promises_of_its_openapi_document(
    api_schema: Any, api_world: ApiWorld, mode: GenerationMode
) -> None:
    # The WSGI client does not decode gzip; responses over 1 KB are compressed when asked for.
    headers = {**bearer(api_world.secret), "Accept-Encoding": "identity"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        # Generated ids (nearly always missing records), then the real ones.
        for fixed in ({}, {name: api_world.ids[name] for name in names}) if names else ({},):
            strategy = operation.as_strategy(mode, path_parameters=fixed or None)
            _run(strategy, headers)


def _run(strategy: Any, headers: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
