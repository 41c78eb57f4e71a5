"""Read a posted Bundle into scored responses, naming the entry and field of every error.

No database access: this is the structural and clinical validation of ``importer``.

1. The Bundle itself: JSON object, ``resourceType`` Bundle, ``type`` transaction, batch or
   collection; its entries validated by fhir.resources (R4B) without their resources.
2. Each resource validated by fhir.resources against its own type.
3. Patients: the pseudonymous code is read from the identifier with the client-code system
   only; other identifiers (a national number ...) are never read, so never stored.
4. Each QuestionnaireResponse: status, questionnaire -> instrument, subject -> client code,
   authored -> date, answers by linkId -> item ids, then scored by the instrument definition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
)
from pydantic import ValidationError

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.scoring import Score, score
from outcome_monitor.fhir import codes

BUNDLE_TYPES = ("transaction", "batch", "collection")
STATUSES = ("completed", "amended")


@dataclass(frozen=True)
class EntryError:
    """``index`` is the entry's position (None: the Bundle itself); ``field`` a FHIRPath."""

    index: int | None
    field: str
    message: str

    @property
    def expression(self) -> str:
        if self.index is None:
            return f"Bundle.{self.field}" if self.field else "Bundle"
        return f"Bundle.entry[{self.index}].{self.field}"

    def __str__(self) -> str:
        where = "bundle" if self.index is None else f"entry {self.index}"
        return f"{where}: {self.field}: {self.message}"


@dataclass(frozen=True)
class ParsedResponse:
    """One QuestionnaireResponse ready to store; ``total_only`` when it had no answers."""

    index: int
    identifier: tuple[str, str] | None
    client_code: str
    definition: InstrumentDefinition
    answers: dict[str, float]
    result: Score | None
    total_only: float | None
    on: date
    session_number: int | None


@dataclass
class ParsedBundle:
    bundle_type: str
    entry_types: list[str]
    responses: list[ParsedResponse] = field(default_factory=list)
    patients: dict[int, str] = field(default_factory=dict)
    errors: list[EntryError] = field(default_factory=list)


def parse_bundle(text: str | bytes, library: Mapping[str, InstrumentDefinition]) -> ParsedBundle:
    """Parse and validate; ``errors`` lists every problem found (empty when all is well)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        return _refused(EntryError(None, "", f"is not valid JSON ({error})"))
    shell_errors = _shell_errors(data)
    if shell_errors:
        return ParsedBundle("", [], errors=shell_errors)
    parsed = ParsedBundle(data["type"], [])
    resources = _resources(data.get("entry") or [], parsed)
    refs = _patient_refs(data.get("entry") or [], resources)
    parsed.patients = {i: code for i, code in refs.items() if code is not None}
    for index, resource in resources.items():
        if isinstance(resource, QuestionnaireResponse):
            _read_response(index, resource, refs, library, parsed)
    return parsed


def _refused(error: EntryError) -> ParsedBundle:
    return ParsedBundle("", [], errors=[error])


def _shell_errors(data: Any) -> list[EntryError]:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return [EntryError(None, "resourceType", "a Bundle is expected")]
    entries = data.get("entry") or []
    if not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
        return [EntryError(None, "entry", "must be a list of entries")]
    shell = {**data, "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries]}
    if not entries:
        shell.pop("entry")
    try:
        Bundle.model_validate(shell)
    except ValidationError as error:
        return [_from_pydantic(None, e) for e in error.errors()]
    if data.get("type") not in BUNDLE_TYPES:
        return [EntryError(None, "type", f"must be one of {', '.join(BUNDLE_TYPES)}")]
    return []


def _from_pydantic(index: int | None, error: Mapping[str, Any], prefix: str = "") -> EntryError:
    loc = list(error.get("loc", ()))
    if index is None and len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
        index, loc, prefix = loc[1], loc[2:], ""
    path = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return EntryError(index, path.lstrip(".") or prefix.rstrip("."), str(error.get("msg")))


def _resources(entries: Sequence[dict[str, Any]], parsed: ParsedBundle) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for index, entry in enumerate(entries):
        raw = entry.get("resource")
        kind = raw.get("resourceType") if isinstance(raw, dict) else None
        parsed.entry_types.append(kind if isinstance(kind, str) else "")
        if not isinstance(kind, str):
            parsed.errors.append(EntryError(index, "resource", "a resource is required"))
            continue
        try:
            model = get_fhir_model_class(kind)
        except (ValueError, KeyError):
            parsed.errors.append(EntryError(index, "resource.resourceType", "unknown type"))
            continue
        try:
            found[index] = model.model_validate(raw)
        except ValidationError as error:
            parsed.errors.extend(_from_pydantic(index, e, "resource") for e in error.errors())
    return found


def _patient_refs(
    entries: Sequence[dict[str, Any]], resources: Mapping[int, Any]
) -> dict[Any, str | None]:
    """Patient entries by index, by fullUrl and by ``Patient/<id>`` -> client code (or None)."""
    refs: dict[Any, str | None] = {}
    for index, resource in resources.items():
        if not isinstance(resource, Patient):
            continue
        code = _client_code(resource.identifier or [])
        refs[index] = code
        if entries[index].get("fullUrl"):
            refs[entries[index]["fullUrl"]] = code
        if resource.id:
            refs[f"Patient/{resource.id}"] = code
    return refs


def _client_code(identifiers: Sequence[Any]) -> str | None:
    for identifier in identifiers:
        if identifier.system == codes.CLIENT_CODE_SYSTEM and identifier.value:
            return str(identifier.value).strip().upper() or None
    return None


class _Refusal(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _read_response(
    index: int,
    resource: QuestionnaireResponse,
    refs: Mapping[Any, str | None],
    library: Mapping[str, InstrumentDefinition],
    parsed: ParsedBundle,
) -> None:
    try:
        parsed.responses.append(_response(index, resource, refs, library))
    except _Refusal as refusal:
        parsed.errors.append(EntryError(index, f"resource.{refusal.field}", refusal.message))


def _response(
    index: int,
    resource: QuestionnaireResponse,
    refs: Mapping[Any, str | None],
    library: Mapping[str, InstrumentDefinition],
) -> ParsedResponse:
    if resource.status not in STATUSES:
        raise _Refusal("status", f"must be {' or '.join(STATUSES)}, not {resource.status!r}")
    definition = _definition(resource.questionnaire, library)
    answers = _answers(definition, resource.item or [])
    total_only = None if answers else _total_only(definition, resource)
    return ParsedResponse(
        index=index,
        identifier=_identifier(resource),
        client_code=_subject_code(resource, refs),
        definition=definition,
        answers=answers,
        result=None if total_only is not None else _scored(definition, answers),
        total_only=total_only,
        on=_authored(resource.authored),
        session_number=_extension(resource, codes.SESSION_NUMBER_EXTENSION, "valueInteger"),
    )


def _definition(
    canonical: str | None, library: Mapping[str, InstrumentDefinition]
) -> InstrumentDefinition:
    """``.../Questionnaire/phq9|1``, ``Questionnaire/phq9`` or our canonical URL."""
    if not canonical:
        raise _Refusal("questionnaire", "is required")
    url, _, version = canonical.partition("|")
    definition = library.get(url.rstrip("/").rpartition("/")[2].lower())
    if definition is None:
        raise _Refusal("questionnaire", f"{canonical!r} is not an instrument of this service")
    if version and version != definition.version:
        raise _Refusal(
            "questionnaire", f"version {version!r} is not {definition.code} {definition.version}"
        )
    return definition


def _identifier(resource: QuestionnaireResponse) -> tuple[str, str] | None:
    identifier = resource.identifier
    if identifier is None or not identifier.value:
        return None
    return (identifier.system or "", identifier.value)


def _subject_code(resource: QuestionnaireResponse, refs: Mapping[Any, str | None]) -> str:
    subject = resource.subject
    if subject is None:
        raise _Refusal("subject", "a Patient is required")
    if subject.identifier is not None:
        code = _client_code([subject.identifier])
        if code is None:
            raise _Refusal("subject.identifier", f"needs the system {codes.CLIENT_CODE_SYSTEM}")
        return code
    if subject.reference not in refs:
        raise _Refusal("subject.reference", "must name a Patient entry of this Bundle")
    code = refs[subject.reference]
    if code is None:
        raise _Refusal(
            "subject.reference",
            f"the Patient has no identifier with the system {codes.CLIENT_CODE_SYSTEM}",
        )
    return code


def _authored(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise _Refusal("authored", "a full date (YYYY-MM-DD or a date-time) is required")


def _extension(resource: QuestionnaireResponse, url: str, kind: str) -> Any:
    for extension in resource.extension or []:
        if extension.url == url:
            return getattr(extension, kind)
    return None


def _flattened(
    items: Sequence[QuestionnaireResponseItem], path: str = "item"
) -> Iterator[tuple[str, QuestionnaireResponseItem]]:
    for position, item in enumerate(items):
        here = f"{path}[{position}]"
        yield here, item
        yield from _flattened(item.item or [], f"{here}.item")


def _answers(
    definition: InstrumentDefinition, items: Sequence[QuestionnaireResponseItem]
) -> dict[str, float]:
    answers: dict[str, float] = {}
    known = {item.id: item for item in definition.items}
    for path, item in _flattened(items):
        if not item.answer:
            continue
        if item.linkId not in known:
            raise _Refusal(f"{path}.linkId", f"{item.linkId!r} is not an item of {definition.code}")
        if item.linkId in answers:
            raise _Refusal(f"{path}.linkId", f"item {item.linkId} is answered twice")
        if len(item.answer) > 1:
            raise _Refusal(f"{path}.answer", "one answer per item is expected")
        value = _answer_value(definition, item.answer[0], f"{path}.answer[0]")
        if not known[item.linkId].accepts(value):
            raise _Refusal(
                f"{path}.answer[0]",
                f"{codes.value_code(value)} is not an answer of {definition.code} item "
                f"{item.linkId}",
            )
        answers[item.linkId] = value
    return answers


def _answer_value(definition: InstrumentDefinition, answer: Any, path: str) -> float:
    if answer.valueCoding is not None:
        system, code = answer.valueCoding.system, answer.valueCoding.code
        if system not in (None, codes.answer_system(definition.code)):
            expected = codes.answer_system(definition.code)
            raise _Refusal(f"{path}.valueCoding.system", f"must be {expected}")
        try:
            return float(code)
        except (TypeError, ValueError):
            raise _Refusal(f"{path}.valueCoding.code", "must be the answer's value") from None
    for kind in ("valueInteger", "valueDecimal"):
        value = getattr(answer, kind)
        if value is not None:
            return float(value)
    raise _Refusal(path, "valueCoding, valueInteger or valueDecimal is expected")


def _total_only(definition: InstrumentDefinition, resource: QuestionnaireResponse) -> float:
    total = _extension(resource, codes.TOTAL_SCORE_EXTENSION, "valueDecimal")
    if total is None:
        raise _Refusal("item", "no answered item (and no total-score extension)")
    value = float(total)
    if not definition.scoring.score_min <= value <= definition.scoring.score_max:
        raise _Refusal(
            "extension",
            f"total {value} lies outside {definition.scoring.score_min}-"
            f"{definition.scoring.score_max}",
        )
    return value


def _scored(definition: InstrumentDefinition, answers: Mapping[str, float]) -> Score:
    try:
        return score(definition, answers)
    except CoreError as error:
        raise _Refusal("item", str(error)) from None
