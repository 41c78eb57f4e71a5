"""Text packs: item wording a licensed service installs for a scoring-only instrument.

Licences such as those of the ORS/SRS, CORE and WAI forbid shipping the wording in an
open-source repository (reference §7), so the repository ships scoring and domain labels only
and a service holding a licence drops a TOML file into ``instance/text-packs/``, as CamCOPS
does with its "data collection plus local upgrade" strings::

    instrument = "srs"
    version = "3"
    licence_note = "Used under licence no. ... held by Example Service"
    languages = ["de"]                 # optional: languages the translations add
    instructions = "..."               # optional
    [items.1]
    text = "..."
    translations = { de = "..." }      # optional

A pack for an instrument that already ships its wording may add translations only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from outcome_monitor.core import toml_fields as tf
from outcome_monitor.core.definitions import InstrumentDefinition, Item
from outcome_monitor.core.toml_fields import At, Table

_PACK = {"instrument", "version", "licence_note", "languages", "instructions", "items"}


def apply_text_pack(
    library: Mapping[str, InstrumentDefinition], data: Table, *, source: str
) -> dict[str, InstrumentDefinition]:
    """A new library in which the pack's instrument carries the pack's wording.

    DefinitionError (naming ``source`` and the field) for an unknown instrument, a version
    mismatch, an unknown item, an item left without text, or shipped wording being replaced.
    ``library`` is not modified.
    """
    at = At(source)
    tf.check_keys(data, _PACK, at)
    definition = library.get(tf.text(data, "instrument", at))
    if definition is None:
        raise at.child("instrument").error("is not a known instrument code")
    if tf.text(data, "version", at) != definition.version:
        raise at.child("version").error(f"must match the definition's {definition.version!r}")
    languages = definition.languages + tuple(
        lang for lang in tf.strings(data, "languages", at) if lang not in definition.languages
    )
    texts = tf.table(data, "items", at)
    items = tuple(
        _merged_item(item, texts, languages, at.child("items")) for item in definition.items
    )
    _check_known_items(definition, texts, at.child("items"))
    merged = replace(
        definition,
        items=items,
        languages=languages,
        instructions=tf.opt_text(data, "instructions", at) or definition.instructions,
        licence=replace(
            definition.licence, text_pack=source, text_pack_note=tf.text(data, "licence_note", at)
        ),
    )
    return {**library, definition.code: merged}


def _check_known_items(definition: InstrumentDefinition, texts: Table, at: At) -> None:
    known = {item.id for item in definition.items}
    unknown = sorted(set(texts) - known)
    if unknown:
        raise at.child(unknown[0]).error(f"is not an item of {definition.code}")


def _merged_item(item: Item, texts: Table, languages: tuple[str, ...], at: At) -> Item:
    entry = tf.opt_table(texts, item.id, at)
    at = at.child(item.id)
    if entry is None:
        if item.text is None:
            raise at.error("text is required for every item of a scoring-only instrument")
        return item
    tf.check_keys(entry, {"text", "translations"}, at)
    text = tf.opt_text(entry, "text", at)
    if text is not None and item.text is not None:
        raise at.child("text").error("the instrument ships its wording; a pack adds translations")
    if text is None and item.text is None:
        raise at.child("text").error("is required for a scoring-only instrument")
    found = tf.opt_table(entry, "translations", at) or {}
    for language in found:
        if language not in languages[1:]:
            raise at.child("translations").child(language).error("language is not declared")
    translations = {k: tf.text(found, k, at.child("translations")) for k in found}
    return replace(
        item,
        text=text or item.text,
        translations=MappingProxyType({**item.translations, **translations}),
    )
