"""Resources built from definitions and administrations validate with fhir.resources (R4B)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from outcome_monitor.fhir import codes, resources
from outcome_monitor.services import care
from outcome_monitor.services.instruments import library
from tests.conftest import World
from tests.fhir.conftest import PACK_TEXT, SCORING_ONLY, WITH_WORDING, History


def test_every_instrument_gives_a_valid_questionnaire(app) -> None:
    for definition in library().values():
        text = resources.questionnaire(definition).model_dump_json()
        parsed = Questionnaire.model_validate_json(text)
        assert parsed.id == definition.code
        assert [i.linkId for i in parsed.item if i.type != "display"] == [
            i.id for i in definition.items
        ]


@pytest.mark.parametrize("code", SCORING_ONLY)
def test_scoring_only_questionnaire_has_numbers_and_values_but_no_wording(
    app, text_packs, code: str
) -> None:
    definition = library()[code]
    text = resources.questionnaire(definition).model_dump_json()
    data = json.loads(text)
    assert PACK_TEXT not in text
    for item in definition.items:
        assert item.text is not None and item.text not in text  # installed, yet not exported
    questions = data["item"]
    assert all("text" not in q for q in questions)
    assert [q["prefix"] for q in questions] == [f"{i.id}." for i in definition.items]
    for question, item in zip(questions, definition.items, strict=True):
        if question["type"] == "choice":
            offered = [o["valueCoding"]["code"] for o in question["answerOption"]]
            assert offered == [codes.value_code(o.value) for o in item.options]
        else:
            assert question["type"] == "decimal"


@pytest.mark.parametrize("code", WITH_WORDING)
def test_wording_instrument_questionnaire_carries_text_and_attribution(app, code: str) -> None:
    definition = library()[code]
    data = json.loads(resources.questionnaire(definition).model_dump_json())
    texts = {q["linkId"]: q.get("text") for q in data["item"]}
    assert all(texts[item.id] == item.text for item in definition.items)
    assert data["copyright"] == definition.licence.attribution
    labels = [o["valueCoding"].get("display") for o in data["item"][-1]["answerOption"]]
    assert labels == [o.label for o in definition.items[-1].options]


def test_questionnaire_response_has_answers_by_link_id(history: History, world: World) -> None:
    administration = history.phq9_first
    definition = library()["phq9"]
    text = resources.questionnaire_response(
        administration, definition, world.alices_client
    ).model_dump_json()
    data = json.loads(QuestionnaireResponse.model_validate_json(text).model_dump_json())
    assert data["status"] == "completed"
    assert data["authored"] == "2026-09-01"
    assert data["questionnaire"] == f"{codes.questionnaire_url('phq9')}|1"
    assert data["subject"]["identifier"] == {"system": codes.CLIENT_CODE_SYSTEM, "value": "A-001"}
    answers = {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in data["item"]}
    assert answers == {k: codes.value_code(v) for k, v in administration.answers.items()}


def test_scoring_only_response_carries_no_wording(history: History, world: World, text_packs):
    for administration in (history.core10, history.ors):
        definition = library()[administration.instrument_code]
        text = resources.questionnaire_response(
            administration, definition, world.alices_client
        ).model_dump_json()
        assert PACK_TEXT not in text
        assert '"text"' not in text


def test_ors_answers_are_decimals(history: History, world: World) -> None:
    data = json.loads(
        resources.questionnaire_response(
            history.ors, library()["ors"], world.alices_client
        ).model_dump_json()
    )
    assert [i["answer"][0]["valueDecimal"] for i in data["item"]] == [4.5, 5.1, 6.0, 3.2]


def test_phq9_total_observation_has_loinc_code_and_derives_from_the_response(
    history: History, world: World
) -> None:
    administration = history.phq9_first
    resource = resources.observation(administration, library()["phq9"], world.alices_client)
    assert resource is not None
    data = json.loads(Observation.model_validate_json(resource.model_dump_json()).model_dump_json())
    systems = {(c["system"], c["code"]) for c in data["code"]["coding"]}
    assert (codes.LOINC, "44261-6") in systems
    assert (codes.INSTRUMENT_SYSTEM, "phq9") in systems
    assert data["category"][0]["coding"][0]["code"] == "survey"
    assert data["valueQuantity"]["value"] == administration.total == 16
    assert data["effectiveDateTime"] == "2026-09-01"
    assert data["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{administration.id}"}]


def test_gad7_total_has_its_loinc_code(history: History, world: World) -> None:
    resource = resources.observation(history.gad7, library()["gad7"], world.alices_client)
    assert resource is not None
    assert (codes.LOINC, "70274-6") in {(c.system, c.code) for c in resource.code.coding}


def test_instrument_without_verified_loinc_code_has_only_the_local_code(
    history: History, world: World
) -> None:
    resource = resources.observation(history.core10, library()["core10"], world.alices_client)
    assert resource is not None
    assert [(c.system, c.code) for c in resource.code.coding] == [
        (codes.INSTRUMENT_SYSTEM, "core10")
    ]
    assert float(resource.valueQuantity.value) == history.core10.total


def test_patient_carries_the_pseudonymous_code_only(app, world: World) -> None:
    client = care.create_client(
        code="P-77", therapist=world.alice, by=world.alice, birth_year=1980, gender="female"
    )
    data = json.loads(
        Patient.model_validate_json(resources.patient(client).model_dump_json()).model_dump_json()
    )
    assert data == {
        "resourceType": "Patient",
        "id": str(client.id),
        "identifier": [{"system": codes.CLIENT_CODE_SYSTEM, "value": "P-77"}],
    }
