"""Build FHIR R4 resources from instrument definitions and stored administrations.

Licence rule: the Questionnaire and QuestionnaireResponse of a scoring-only instrument
(``licence.ships_text`` false: SRS, ORS, CORE-10, WAI-SR) carry item numbers and answer values
only. Not the wording, not the instructions and not the answer labels, even when the service
has installed a text pack: a pack licenses display inside this service, not redistribution.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.fhir import codes
from outcome_monitor.models import Administration, Client

SCORING_ONLY_NOTE = (
    "Scoring only: the licence of this instrument does not allow its wording to be "
    "distributed, so items carry their numbers and answer values but no text."
)


def questionnaire(definition: InstrumentDefinition) -> Questionnaire:
    """One Questionnaire per instrument version; wording only where the licence ships it."""
    ships_text = definition.licence.ships_text
    description = (
        definition.citation if ships_text else f"{definition.citation} {SCORING_ONLY_NOTE}"
    )
    items = [_question(definition, item) for item in definition.items]
    if ships_text and definition.instructions:
        items.insert(
            0, {"linkId": "instructions", "type": "display", "text": definition.instructions}
        )
    return Questionnaire.model_validate(
        {
            "id": definition.code,
            "url": codes.questionnaire_url(definition.code),
            "version": definition.version,
            "name": definition.code.upper(),
            "title": definition.name,
            "status": "active",
            "subjectType": ["Patient"],
            "description": description,
            "copyright": definition.licence.attribution,
            "code": [_instrument_coding(definition)],
            "item": items,
        }
    )


def _question(definition: InstrumentDefinition, item: Item) -> dict[str, Any]:
    question: dict[str, Any] = {
        "linkId": item.id,
        "prefix": f"{item.id}.",
        "required": definition.scoring.max_missing == 0,
    }
    if definition.licence.ships_text and item.text:
        question["text"] = item.text
    if item.kind is ItemKind.VAS:
        question["type"] = "decimal"
        question["extension"] = [
            {"url": codes.MIN_VALUE, "valueDecimal": Decimal(str(item.min_value))},
            {"url": codes.MAX_VALUE, "valueDecimal": Decimal(str(item.max_value))},
            {"url": codes.MAX_DECIMAL_PLACES, "valueInteger": 1},
        ]
        return question
    question["type"] = "choice"
    question["answerOption"] = [
        {
            "valueCoding": _answer_coding(definition, option.value, option.label),
            "extension": [{"url": codes.ORDINAL_VALUE, "valueDecimal": _decimal(option.value)}],
        }
        for option in item.options
    ]
    return question


def _answer_coding(
    definition: InstrumentDefinition, value: float, label: str | None
) -> dict[str, str]:
    coding = {"system": codes.answer_system(definition.code), "code": codes.value_code(value)}
    if definition.licence.ships_text and label:
        coding["display"] = label
    return coding


def _instrument_coding(definition: InstrumentDefinition) -> dict[str, str]:
    return {"system": codes.INSTRUMENT_SYSTEM, "code": definition.code, "display": definition.name}


def _decimal(value: float) -> Decimal:
    return Decimal(codes.value_code(value))


def patient(client: Client) -> Patient:
    """The client as a Patient: the pseudonymous code and nothing else.

    Birth year and gender are stored but left out on purpose (data minimisation: together with
    the dates of the responses they narrow down who the client is).
    """
    return Patient.model_validate(
        {"id": str(client.id), "identifier": [patient_identifier(client.code)]}
    )


def patient_identifier(code: str) -> dict[str, str]:
    return {"system": codes.CLIENT_CODE_SYSTEM, "value": code}


def patient_reference(client: Client) -> dict[str, Any]:
    return {"reference": f"Patient/{client.id}", "identifier": patient_identifier(client.code)}


def administered_on(administration: Administration) -> date | datetime:
    """The session's date when the administration belongs to one, else when it was saved."""
    if administration.session is not None:
        return administration.session.date
    return administration.created_at


def questionnaire_response(
    administration: Administration, definition: InstrumentDefinition, client: Client
) -> QuestionnaireResponse:
    """One administration: answers by linkId; a total-only one carries its total instead."""
    answers = administration.answers or {}
    items = [
        _answered_item(definition, item, answers[item.id])
        for item in definition.items
        if answers.get(item.id) is not None
    ]
    extensions = []
    if administration.session is not None:
        extensions.append(
            {"url": codes.SESSION_NUMBER_EXTENSION, "valueInteger": administration.session.number}
        )
    if not items and administration.total is not None:
        extensions.append(
            {"url": codes.TOTAL_SCORE_EXTENSION, "valueDecimal": _decimal(administration.total)}
        )
    resource: dict[str, Any] = {
        "id": str(administration.id),
        "identifier": {"system": codes.ADMINISTRATION_SYSTEM, "value": str(administration.id)},
        "questionnaire": f"{codes.questionnaire_url(definition.code)}|{definition.version}",
        "status": "completed",
        "subject": patient_reference(client),
        "authored": administered_on(administration).isoformat(),
        "extension": extensions or None,
        "item": items or None,
    }
    return QuestionnaireResponse.model_validate(resource)


def _answered_item(definition: InstrumentDefinition, item: Item, value: float) -> dict[str, Any]:
    answered: dict[str, Any] = {"linkId": item.id}
    if definition.licence.ships_text and item.text:
        answered["text"] = item.text
    if item.kind is ItemKind.VAS:
        answered["answer"] = [{"valueDecimal": _decimal(value)}]
        return answered
    label = next((o.label for o in item.options if o.value == value), None)
    answered["answer"] = [{"valueCoding": _answer_coding(definition, value, label)}]
    return answered


def observation(
    administration: Administration, definition: InstrumentDefinition, client: Client
) -> Observation | None:
    """The total score as a survey Observation derived from the QuestionnaireResponse."""
    if administration.total is None:
        return None
    coding = [_instrument_coding(definition)]
    if definition.code in codes.TOTAL_SCORE_LOINC:
        loinc, display = codes.TOTAL_SCORE_LOINC[definition.code]
        coding.insert(0, {"system": codes.LOINC, "code": loinc, "display": display})
    resource: dict[str, Any] = {
        "id": str(administration.id),
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": codes.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                ]
            }
        ],
        "code": {"coding": coding, "text": f"{definition.name} total score"},
        "subject": patient_reference(client),
        "effectiveDateTime": administered_on(administration).isoformat(),
        "valueQuantity": {
            "value": _decimal(administration.total),
            "unit": "score",
            "system": codes.UCUM,
            "code": "{score}",
        },
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{administration.id}"}],
    }
    if administration.severity:
        resource["interpretation"] = [{"text": administration.severity}]
    return Observation.model_validate(resource)
