"""Systems, extensions and codes of the FHIR interface (documented in docs/interop.md)."""

from __future__ import annotations

LOCAL = "https://outcome-monitor.example"
INSTRUMENT_SYSTEM = f"{LOCAL}/CodeSystem/instrument"
CLIENT_CODE_SYSTEM = f"{LOCAL}/NamingSystem/client-code"
ADMINISTRATION_SYSTEM = f"{LOCAL}/NamingSystem/administration"
QUESTIONNAIRE_BASE = f"{LOCAL}/Questionnaire/"
SESSION_NUMBER_EXTENSION = f"{LOCAL}/StructureDefinition/session-number"
TOTAL_SCORE_EXTENSION = f"{LOCAL}/StructureDefinition/total-score"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MAX_DECIMAL_PLACES = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"

# LOINC codes of total scores, only where checked against a published FHIR artefact (HL7
# personal-health-record-format IG, ValueSet ObservationScoredAssessmentScore). The other
# instruments have no verified LOINC code here and carry the local instrument code only.
TOTAL_SCORE_LOINC: dict[str, tuple[str, str]] = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}

FHIR_JSON = "application/fhir+json"


def answer_system(instrument_code: str) -> str:
    """The code system of an instrument's answers: the code is the scored value ("0" ... "4")."""
    return f"{LOCAL}/CodeSystem/{instrument_code}-answer"


def questionnaire_url(instrument_code: str) -> str:
    return QUESTIONNAIRE_BASE + instrument_code


def value_code(value: float) -> str:
    """An answer value as a code: "3" for 3.0, "9.1" for 9.1."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)
