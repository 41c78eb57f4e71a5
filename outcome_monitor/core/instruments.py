"""Parse and validate instrument definitions (TOML) into frozen values; load a library.

``parse_definition`` checks every field and raises DefinitionError naming the file and the field
(``phq9.toml: items[3].options: values must be unique``). ``load_library`` reads every ``*.toml``
of a directory and merges the text packs a licensed service installed. The format is documented
in ``docs/measures.md``; the value types live in ``outcome_monitor.core.definitions`` and are
re-exported here so callers need one import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from outcome_monitor.core import toml_fields as tf
from outcome_monitor.core.definitions import (
    InstrumentDefinition,
    Item,
    ItemKind,
    Licence,
    Purpose,
    ResponseOption,
    RiskRule,
    ScoringMethod,
    ScoringRule,
)
from outcome_monitor.core.errors import DefinitionError
from outcome_monitor.core.instrument_thresholds import (
    parse_conversion,
    parse_cutoff,
    parse_reliable_change,
    parse_severity,
)
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.text_packs import apply_text_pack
from outcome_monitor.core.toml_fields import At, Table

__all__ = [
    "InstrumentDefinition",
    "Item",
    "ItemKind",
    "Licence",
    "Purpose",
    "ResponseOption",
    "RiskRule",
    "ScoringMethod",
    "ScoringRule",
    "load_library",
    "parse_definition",
    "read_toml",
]

_TOP = {
    "code", "version", "name", "label", "purpose", "direction", "citation", "language",
    "languages", "instructions", "options", "items", "scoring", "cutoff", "reliable_change",
    "severity", "risk", "licence",
}  # fmt: skip
_ITEM = {"id", "text", "label", "kind", "options", "reverse", "subscale", "translations"}


def parse_definition(data: Table, *, source: str) -> InstrumentDefinition:
    """Validate one parsed TOML document and build the definition.

    ``source`` (the file name) prefixes every error message. Nothing in ``data`` is mutated.
    """
    at = At(source)
    tf.check_keys(data, _TOP, at)
    licence = _licence(tf.table(data, "licence", at), at.child("licence"))
    language = tf.text(data, "language", at)
    languages = _languages(data, language, at)
    items = _items(data, licence, languages, at)
    scoring, notes = _scoring(tf.table(data, "scoring", at), items, at.child("scoring"))
    purpose = _purpose(data, at)
    code = tf.text(data, "code", at)
    return InstrumentDefinition(
        code=code,
        version=tf.text(data, "version", at),
        name=tf.text(data, "name", at),
        label=tf.opt_text(data, "label", at) or code.upper(),
        purpose=purpose,
        direction=Direction[tf.choice(data, "direction", at, _DirectionName).name],
        citation=tf.text(data, "citation", at),
        language=language,
        languages=languages,
        instructions=tf.opt_text(data, "instructions", at),
        items=items,
        scoring=scoring,
        cutoff=parse_cutoff(tf.opt_table(data, "cutoff", at), scoring, at, notes),
        reliable_change=parse_reliable_change(tf.opt_table(data, "reliable_change", at), at, notes),
        severity=parse_severity(tf.opt_table(data, "severity", at), scoring, at, notes),
        risk_rules=_risk_rules(data, items, scoring.max_missing, at),
        licence=licence,
        notes=MappingProxyType(notes),
        source_file=source,
    )


def read_toml(path: Path) -> Table:
    """Read one TOML file; a syntax error becomes a DefinitionError naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(f"{path.name}: invalid TOML: {error}") from None


def load_library(
    directory: Path, *, text_pack_dir: Path | None = None
) -> dict[str, InstrumentDefinition]:
    """All definitions in ``directory`` keyed by code, with text packs merged.

    1. Parse every ``*.toml`` in ``directory`` (sorted, so errors are reproducible).
    2. Reject two files declaring the same code.
    3. Apply every ``*.toml`` in ``text_pack_dir`` (a missing directory means no packs).
    """
    library: dict[str, InstrumentDefinition] = {}
    for path in sorted(directory.glob("*.toml")):
        definition = parse_definition(read_toml(path), source=path.name)
        if definition.code in library:
            raise DefinitionError(f"{path.name}: code: {definition.code!r} is already defined")
        library[definition.code] = definition
    if text_pack_dir is not None and text_pack_dir.is_dir():
        for path in sorted(text_pack_dir.glob("*.toml")):
            library = apply_text_pack(library, read_toml(path), source=path.name)
    return library


class _DirectionName(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"


def _purpose(data: Table, at: At) -> Purpose:
    purpose = tf.choice(data, "purpose", at, Purpose)
    # A screening measure (AUDIT-C's past-year frame) is not followed for change (§2.3).
    if purpose is Purpose.SCREENING and "reliable_change" in data:
        raise at.child("reliable_change").error(
            "a screening measure is not tracked for change; leave reliable_change out"
        )
    return purpose


def _licence(data: Table, at: At) -> Licence:
    tf.check_keys(data, {"ships_text", "attribution", "note"}, at)
    return Licence(
        ships_text=tf.flag(data, "ships_text", at),
        attribution=tf.text(data, "attribution", at),
        note=tf.text(data, "note", at),
    )


def _languages(data: Table, language: str, at: At) -> tuple[str, ...]:
    languages = tf.strings(data, "languages", at) or [language]
    if language not in languages:
        raise at.child("languages").error(f"must include the default language {language!r}")
    return tuple(languages)


def _options(entries: Sequence[Table], at: At) -> tuple[ResponseOption, ...]:
    options = []
    for index, entry in enumerate(entries):
        where = at.child(index)
        tf.check_keys(entry, {"value", "label"}, where)
        value = tf.number(entry, "value", where)
        options.append(ResponseOption(value, tf.opt_text(entry, "label", where)))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise at.error("values must be unique")
    return tuple(options)


def _items(data: Table, licence: Licence, languages: tuple[str, ...], at: At) -> tuple[Item, ...]:
    shared = tf.tables(data, "options", at)
    entries = tf.tables(data, "items", at)
    if not entries:
        raise at.child("items").error("at least one item is required")
    items = tuple(
        _item(entry, shared, licence, languages, at.child("items").child(index))
        for index, entry in enumerate(entries)
    )
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise at.child("items").error("ids must be unique")
    return items


def _item(
    data: Table, shared: list[Table], licence: Licence, languages: tuple[str, ...], at: At
) -> Item:
    tf.check_keys(data, _ITEM, at)
    kind = tf.choice(data, "kind", at, ItemKind, default=ItemKind.LIKERT)
    item_text = tf.opt_text(data, "text", at)
    label = tf.opt_text(data, "label", at)
    _check_wording(item_text, label, licence, at)
    return Item(
        id=tf.text(data, "id", at),
        kind=kind,
        options=_item_options(data, shared, kind, at),
        text=item_text,
        label=label,
        reverse=tf.flag(data, "reverse", at, default=False),
        subscale=tf.opt_text(data, "subscale", at),
        translations=_translations(data, item_text, languages, at),
    )


def _check_wording(text: str | None, label: str | None, licence: Licence, at: At) -> None:
    # A scoring-only instrument must never carry licensed wording in this repository (§7).
    if licence.ships_text and text is None:
        raise at.child("text").error("is required when the licence ships the item text")
    if not licence.ships_text and text is not None:
        raise at.child("text").error("the licence does not allow shipping item text; use label")
    if text is None and label is None:
        raise at.child("label").error("is required for a scoring-only item")


def _item_options(
    data: Table, shared: list[Table], kind: ItemKind, at: At
) -> tuple[ResponseOption, ...]:
    own = tf.tables(data, "options", at)
    if kind is ItemKind.VAS:
        if own:
            raise at.child("options").error("a vas item has no options (it takes 0-10)")
        return ()
    options = _options(own or shared, at.child("options"))
    if len(options) < 2:
        raise at.child("options").error("a likert item needs at least two options")
    return options


def _translations(
    data: Table, text: str | None, languages: tuple[str, ...], at: At
) -> MappingProxyType[str, str]:
    found = tf.opt_table(data, "translations", at) or {}
    where = at.child("translations")
    if found and text is None:
        raise where.error("needs the default-language text")
    for language in found:
        if language not in languages[1:]:
            raise where.child(language).error("language is not in the instrument's languages")
        tf.text(found, language, where)
    return MappingProxyType({str(k): str(v) for k, v in found.items()})


def _scoring(data: Table, items: tuple[Item, ...], at: At) -> tuple[ScoringRule, dict[str, str]]:
    tf.check_keys(
        data,
        {"method", "min", "max", "max_missing", "missing_source", "missing_tag", "source", "tag",
         "note", "conversion"},
        at,
    )  # fmt: skip
    method = tf.choice(data, "method", at, ScoringMethod)
    max_missing = int(tf.number(data, "max_missing", at))
    if not 0 <= max_missing < len(items) or max_missing != tf.number(data, "max_missing", at):
        raise at.child("max_missing").error("must be between 0 and the number of items - 1")
    raw_min, raw_max = _raw_range(method, items, at)
    conversion = parse_conversion(data, raw_min, raw_max, max_missing, at)
    low, high = (
        (raw_min, raw_max)
        if conversion is None
        else (min(conversion.values()), max(conversion.values()))
    )
    if (tf.number(data, "min", at), tf.number(data, "max", at)) != (low, high):
        raise at.child("min").error(f"score range must be {low:g} to {high:g} (from the items)")
    _check_subscales(items, max_missing, at)
    rule = ScoringRule(
        method=method, score_min=low, score_max=high, max_missing=max_missing,
        missing_source=tf.text(data, "missing_source", at),
        missing_tag=tf.tag(data, at, "missing_tag"),
        source=tf.text(data, "source", at), tag=tf.tag(data, at), conversion=conversion,
    )  # fmt: skip
    notes = {"scoring": str(data["note"])} if "note" in data else {}
    return rule, notes


def _raw_range(method: ScoringMethod, items: tuple[Item, ...], at: At) -> tuple[float, float]:
    if method is ScoringMethod.SUM:
        return sum(i.min_value for i in items), sum(i.max_value for i in items)
    if len({(i.min_value, i.max_value) for i in items}) != 1:
        raise at.child("method").error("mean scoring needs items with one common range")
    return items[0].min_value, items[0].max_value


def _check_subscales(items: tuple[Item, ...], max_missing: int, at: At) -> None:
    # A subscale is prorated within itself, so it must keep one answer when max_missing are gone.
    for name in dict.fromkeys(i.subscale for i in items if i.subscale is not None):
        size = sum(1 for i in items if i.subscale == name)
        if size <= max_missing:
            raise at.child("max_missing").error(f"subscale {name!r} could lose all its items")


def _risk_rules(
    data: Table, items: tuple[Item, ...], max_missing: int, at: At
) -> tuple[RiskRule, ...]:
    """``[[risk]]`` rules, each on a distinct Likert item.

    A client may answer a risk item with "prefer not to say" (an explicit choice next to the
    options, hence Likert only); the item is then unanswered, so the prorating rule must allow
    every risk item to be missing, or a client who declines could not finish the measure.
    """
    rules: list[RiskRule] = []
    by_id = {item.id: item for item in items}
    entries = tf.tables(data, "risk", at)
    for index, entry in enumerate(entries):
        where = at.child("risk").child(index)
        tf.check_keys(entry, {"item", "above", "label", "source", "tag"}, where)
        item = by_id.get(tf.text(entry, "item", where))
        if item is None or item.kind is not ItemKind.LIKERT:
            raise where.child("item").error("is not the id of a likert item")
        if any(rule.item_id == item.id for rule in rules):
            raise where.child("item").error("already has a risk rule")
        above = tf.number(entry, "above", where)
        if not item.min_value <= above < item.max_value:
            raise where.child("above").error("must lie within the item's range, below its maximum")
        label, source = tf.text(entry, "label", where), tf.text(entry, "source", where)
        rules.append(RiskRule(item.id, above, label, source, tf.tag(entry, where)))
    if len(rules) > max_missing:
        raise (
            at.child("scoring")
            .child("max_missing")
            .error(f"must be at least {len(rules)}: an unanswered risk item is missing")
        )
    return tuple(rules)
