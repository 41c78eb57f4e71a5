"""The /fhir/r4/ read endpoints: searchset Bundles within the app's role rules."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask.testing import FlaskClient

from outcome_monitor.fhir import codes
from outcome_monitor.services import care
from tests.builders import count_statements
from tests.conftest import World
from tests.fhir.conftest import History, entries, record


def get_bundle(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == codes.FHIR_JSON
    text = response.get_data(as_text=True)
    bundle = Bundle.model_validate_json(text)
    assert bundle.type == "searchset"
    return response.get_json()


def get_outcome(client: FlaskClient, url: str, status: int) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == codes.FHIR_JSON
    OperationOutcome.model_validate_json(response.get_data(as_text=True))
    return response.get_json()


def test_questionnaires_are_listed_for_any_signed_in_user(as_user, world: World) -> None:
    bundle = get_bundle(as_user(world.ada), "/fhir/r4/Questionnaire")
    assert bundle["total"] == 8
    assert {q["id"] for q in entries(bundle, "Questionnaire")} >= {"phq9", "core10", "srs"}


def test_questionnaire_search_by_canonical_url(as_user, world: World) -> None:
    url = codes.questionnaire_url("gad7")
    bundle = get_bundle(as_user(world.alice), f"/fhir/r4/Questionnaire?url={url}|1")
    assert [q["id"] for q in entries(bundle, "Questionnaire")] == ["gad7"]


def test_questionnaire_read_and_missing_one(as_user, world: World) -> None:
    client = as_user(world.alice)
    response = client.get("/fhir/r4/Questionnaire/phq9")
    assert response.status_code == 200 and response.get_json()["resourceType"] == "Questionnaire"
    outcome = get_outcome(client, "/fhir/r4/Questionnaire/nope", 404)
    assert outcome["issue"][0]["code"] == "not-found"


def test_responses_of_own_client(as_user, world: World, history: History) -> None:
    bundle = get_bundle(as_user(world.alice), "/fhir/r4/QuestionnaireResponse?patient=A-001")
    assert bundle["total"] == 5
    found = entries(bundle, "QuestionnaireResponse")
    assert {r["id"] for r in found} == {
        str(a.id)
        for a in (
            history.phq9_first,
            history.phq9_second,
            history.gad7,
            history.core10,
            history.ors,
        )
    }
    assert all(e["fullUrl"].startswith("http://localhost/fhir/r4/") for e in bundle["entry"])


@pytest.mark.parametrize(
    "token", ["44261-6", "http://loinc.org|44261-6", "phq9", f"{codes.INSTRUMENT_SYSTEM}|phq9"]
)
def test_observations_by_code(as_user, world: World, history: History, token: str) -> None:
    bundle = get_bundle(as_user(world.alice), f"/fhir/r4/Observation?patient=A-001&code={token}")
    found = entries(bundle, "Observation")
    assert sorted(o["valueQuantity"]["value"] for o in found) == [8, 16]


def test_observation_code_matching_nothing_gives_an_empty_bundle(
    as_user, world: World, history: History
) -> None:
    bundle = get_bundle(as_user(world.alice), "/fhir/r4/Observation?patient=A-001&code=9999-9")
    assert bundle["total"] == 0 and "entry" not in bundle


def test_foreign_patient_answers_like_a_missing_one(as_user, world: World, history) -> None:
    client = as_user(world.alice)
    foreign = get_outcome(client, "/fhir/r4/QuestionnaireResponse?patient=C-001", 404)
    missing = get_outcome(client, "/fhir/r4/QuestionnaireResponse?patient=ZZ-404", 404)
    assert foreign == missing
    carol_id = world.carols_client.id
    assert get_outcome(client, f"/fhir/r4/Patient/{carol_id}", 404) == get_outcome(
        client, "/fhir/r4/Patient/999999", 404
    )


def test_supervisor_sees_the_team_but_not_other_teams(as_user, world: World, history) -> None:
    client = as_user(world.sam)
    assert get_bundle(client, "/fhir/r4/Observation?patient=A-001")["total"] == 5
    get_outcome(client, "/fhir/r4/Observation?patient=C-001", 404)


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/r4/QuestionnaireResponse?patient=A-001",
        "/fhir/r4/Observation?patient=A-001",
        "/fhir/r4/Patient/1",
    ],
)
def test_admin_gets_no_client_data(as_user, world: World, history: History, url: str) -> None:
    body = get_outcome(as_user(world.ada), url, 404)
    assert "A-001" not in str(body)


def test_anonymous_request_gets_401_outcome(client: FlaskClient, world: World) -> None:
    outcome = get_outcome(client, "/fhir/r4/QuestionnaireResponse?patient=A-001", 401)
    assert outcome["issue"][0]["code"] == "login"
    assert client.get("/fhir/r4/Questionnaire").headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?patient=",
        "?patient=A-001&_count=abc",
        "?patient=A-001&_count=0",
        "?patient=A-001&_count=100000",
        "?patient=A-001&_offset=-1",
        "?patient=A-001&foo=bar",
        "?patient=A-001&patient=A-002",
        "?patient=A-001&_format=xml",
    ],
)
def test_bad_parameters_give_400_outcome(as_user, world: World, query: str) -> None:
    outcome = get_outcome(as_user(world.alice), f"/fhir/r4/Observation{query}", 400)
    assert outcome["issue"][0]["code"] == "invalid"


@pytest.mark.parametrize(
    "value",
    [
        "%00",
        "Patient/abc",
        "Patient/99999999999999999999999999",
        "Patient/-1",
        "|||",
        "a|b|c",
        "x" * 5000,
        "%F0%9F%92%A9",
        "%FF%FE",
        "'; DROP TABLE client; --",
    ],
)
def test_garbage_values_never_cause_a_server_error(
    as_user, world: World, history: History, value: str
) -> None:
    client = as_user(world.alice)
    for url in (
        f"/fhir/r4/QuestionnaireResponse?patient={value}",
        f"/fhir/r4/Observation?patient=A-001&code={value}",
        f"/fhir/r4/Observation?patient=A-001&_offset={value}",
        f"/fhir/r4/Questionnaire/{value}",
        f"/fhir/r4/Questionnaire?url={value}",
        f"/fhir/r4/Patient/{value}",
    ):
        response = client.get(url)
        assert response.status_code < 500, url
        assert response.mimetype == codes.FHIR_JSON, url
        assert response.get_json()["resourceType"] in ("Bundle", "OperationOutcome")


def test_unknown_paths_and_methods_answer_with_an_outcome(as_user, world: World) -> None:
    client = as_user(world.alice)
    assert client.get("/fhir/r4/Encounter").status_code == 404
    response = client.delete("/fhir/r4/Questionnaire/phq9")
    assert response.status_code == 405
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_paging_links(as_user, world: World, history: History) -> None:
    client = as_user(world.alice)
    first = get_bundle(client, "/fhir/r4/QuestionnaireResponse?patient=A-001&_count=2")
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert first["total"] == 5 and len(first["entry"]) == 2 and "next" in links
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        page = get_bundle(client, url.removeprefix("http://localhost"))
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == 5


def _count_queries(client: FlaskClient, url: str) -> int:
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_search_runs_the_same_number_of_queries_for_2_and_20_responses(
    as_user, world: World
) -> None:
    client = as_user(world.alice)
    episode = world.alices_client.current_episode
    url = "/fhir/r4/QuestionnaireResponse?patient=A-001"

    def add_sessions(n: int) -> None:
        for _ in range(n):
            session = care.record_session(
                episode=episode, session_date=episode.opened_on, attended=True, by=world.alice
            )
            record(world, session, "gad7", {str(i): 1 for i in range(1, 8)})

    add_sessions(2)
    few = _count_queries(client, url)
    add_sessions(18)
    assert _count_queries(client, url) == few
