"""What a client sees of a questionnaire, shared by the tablet and remote links.

Builds plain view values from a definition (item wording in the chosen language, or the domain
label of a scoring-only instrument; never invented wording) and reads answers back from a form.
A risk item offers "Prefer not to say" (form value ``declined``) next to its answers: the
client must choose one of them, and a decline is recorded as not answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.services import ServiceError, instruments
from outcome_monitor.services.drafts import MeasureProgress

DECLINED = "declined"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool
    decline: bool = False


@dataclass(frozen=True)
class ItemView:
    id: str
    number: int
    kind: str
    text: str
    lang: str | None
    choices: tuple[Choice, ...]
    answer: str
    missing: bool
    risk: bool = False


@dataclass(frozen=True)
class PageAnswers:
    """What one page sent: answers by item id, and the risk items declined."""

    answers: dict[str, float]
    declined: tuple[str, ...]


@dataclass(frozen=True)
class PageView:
    code: str
    name: str
    instructions: str | None
    text_installed: bool
    attribution: str
    items: tuple[ItemView, ...]
    item_count: int
    measure_number: int
    measure_count: int
    answered_total: int
    item_total: int


def format_value(value: float, kind: ItemKind) -> str:
    return f"{value:.1f}" if kind is ItemKind.VAS else f"{value:g}"


def _item_view(
    definition: InstrumentDefinition,
    item: Item,
    language: str | None,
    current: MeasureProgress,
    missing: bool,
) -> ItemView:
    text = definition.item_text(item.id, language)
    shown_lang = language if language and language in item.translations else definition.language
    answer = current.answered.get(item.id)
    shown = "" if answer is None else format_value(answer, item.kind)
    choices = tuple(
        Choice(f"{o.value:g}", o.label or f"{o.value:g}", shown == f"{o.value:g}")
        for o in item.options
    )
    risk = item.id in definition.risk_item_ids
    if risk:
        declined = item.id in current.declined
        choices += (Choice(DECLINED, str(_l("Prefer not to say")), declined, decline=True),)
    return ItemView(
        id=item.id,
        number=definition.items.index(item) + 1,
        kind=item.kind.value,
        text=text or item.label or item.id,
        lang=shown_lang,
        choices=choices,
        answer=shown,
        missing=missing,
        risk=risk,
    )


def page_view(
    *,
    code: str,
    progress: Sequence[MeasureProgress],
    language: str | None,
    only_item: int | None = None,
    missing: Iterable[str] = (),
) -> PageView:
    """The page for measure ``code``: all items, or only item number ``only_item`` (1-based)."""
    definition = instruments.get_definition(code)
    current = next(p for p in progress if p.code == code)
    missing = set(missing)
    items = definition.items if only_item is None else definition.items[only_item - 1 : only_item]
    return PageView(
        code=code,
        name=definition.name,
        instructions=definition.instructions,
        text_installed=definition.text_installed,
        attribution=definition.licence.attribution,
        items=tuple(_item_view(definition, i, language, current, i.id in missing) for i in items),
        item_count=len(definition.items),
        measure_number=[p.code for p in progress].index(code) + 1,
        measure_count=len(progress),
        answered_total=sum(len(p.answered) + len(p.declined) for p in progress),
        item_total=sum(len(p.item_ids) for p in progress),
    )


def read_answers(
    definition: InstrumentDefinition, form: MultiDict[str, str], item_ids: Iterable[str]
) -> PageAnswers:
    """The answers present in ``form`` (``item-<id>``) for ``item_ids``; blanks are skipped.

    ``declined`` collects the items answered "Prefer not to say"; the service checks that
    only risk items are declined.
    """
    answers, declined = {}, []
    for item_id in item_ids:
        raw = (form.get(f"item-{item_id}") or "").strip().replace(",", ".")
        if not raw:
            continue
        if raw == DECLINED:
            declined.append(item_id)
            continue
        try:
            answers[item_id] = float(raw)
        except ValueError:
            raise ServiceError(_l("That answer is not one of the choices.")) from None
    return PageAnswers(answers, tuple(declined))


def page_item_ids(definition: InstrumentDefinition, only_item: int | None) -> list[str]:
    if only_item is None:
        return [item.id for item in definition.items]
    return [definition.items[only_item - 1].id]


def languages_for(codes: Sequence[str]) -> list[str]:
    """Languages any of the chosen measures offers, the service default first."""
    found: dict[str, None] = {}
    for code in codes:
        found.update(dict.fromkeys(instruments.get_definition(code).languages))
    return list(found)


def language_names(codes: Iterable[str]) -> Mapping[str, str]:
    """Each language named in itself ("Deutsch", "English"), so a client recognises theirs."""
    names = {}
    for code in codes:
        try:
            names[code] = Locale.parse(code).get_display_name(code) or code
        except (ValueError, UnknownLocaleError):
            names[code] = code
    return names
