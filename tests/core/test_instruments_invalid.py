"""Invalid definitions stop with a DefinitionError naming the file and the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from outcome_monitor.core.errors import DefinitionError
from outcome_monitor.core.instruments import load_library, parse_definition
from outcome_monitor.instruments import BUNDLED_DIR

Data = dict[str, Any]


def valid() -> Data:
    """A small synthetic instrument with every optional section."""
    return {
        "code": "demo",
        "version": "1",
        "name": "Demo",
        "purpose": "outcome",
        "direction": "higher_is_worse",
        "citation": "Synthetic",
        "language": "en",
        "languages": ["en", "de"],
        "licence": {"ships_text": True, "attribution": "Synthetic", "note": "Synthetic"},
        "options": [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}],
        "items": [
            {"id": "a", "text": "A", "subscale": "s", "translations": {"de": "A-de"}},
            {"id": "b", "text": "B", "subscale": "s"},
            {"id": "c", "text": "C", "kind": "vas"},
        ],
        "scoring": {
            "method": "sum",
            "min": 0,
            "max": 12,
            "max_missing": 1,
            "missing_source": "s",
            "missing_tag": "U",
            "source": "s",
            "tag": "C",
            "note": "n",
        },
        "cutoff": {"value": 5, "inclusive": True, "source": "s", "tag": "U", "note": "n"},
        "reliable_change": {"z": 1.96, "sd": 3.0, "reliability": 0.8, "source": "s", "tag": "C"},
        "severity": {
            "source": "s",
            "tag": "S",
            "bands": [
                {"label": "low", "from": 0, "below": 5},
                {"label": "high", "from": 5, "to": 12},
            ],
        },
        "risk": [{"item": "a", "above": 0, "label": "r", "source": "s", "tag": "S"}],
    }


def test_the_synthetic_definition_is_valid() -> None:
    definition = parse_definition(valid(), source="demo.toml")

    assert definition.item_text("a", "de") == "A-de"
    assert definition.item_text("b", "de") == "B"
    assert definition.notes == {"scoring": "n", "cutoff": "n"}
    assert definition.reliable_change is not None
    assert definition.reliable_change.value == pytest.approx(1.96 * 2**0.5 * 3 * 0.2**0.5)
    assert definition.reliable_change.inclusive is False


def test_a_definition_without_a_label_is_named_by_its_code() -> None:
    assert parse_definition(valid(), source="demo.toml").label == "DEMO"
    assert parse_definition({**valid(), "label": "Demo-1"}, source="demo.toml").label == "Demo-1"
    with pytest.raises(DefinitionError, match="label: must be a non-empty string"):
        parse_definition({**valid(), "label": " "}, source="demo.toml")


def _set(path: str, value: Any) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

CASES = [
    ("unknown top-level key", _set("colour", "red"), "demo.toml: unknown field(s) colour"),
    ("missing licence", _set("licence", _DELETE), "demo.toml: licence: is required"),
    ("licence not a table", _set("licence", "free"), "licence: must be a table"),
    ("empty name", _set("name", " "), "name: must be a non-empty string"),
    ("numeric name", _set("name", 5), "name: must be a non-empty string"),
    ("bad purpose", _set("purpose", "fun"), "purpose: must be one of outcome, alliance"),
    ("bad direction", _set("direction", "up"), "direction: must be one of higher_is_better"),
    ("default language not listed", _set("languages", ["de"]), "languages: must include"),
    ("languages not strings", _set("languages", ["en", 1]), "languages: must be an array"),
    (
        "ships_text not boolean",
        _set("licence.ships_text", "yes"),
        "licence.ships_text: must be true or false",
    ),
    (
        "duplicate option values",
        _set("options", [{"value": 1}, {"value": 1}]),
        "items[0].options: values must be unique",
    ),
    (
        "option value a string",
        _set("options.0.value", "0"),
        "items[0].options[0].value: must be a number",
    ),
    (
        "option value a boolean",
        _set("options.0.value", True),
        "items[0].options[0].value: must be a number",
    ),
    (
        "one option only",
        _set("options", [{"value": 0}]),
        "items[0].options: a likert item needs at least two",
    ),
    ("no items", _set("items", []), "items: at least one item is required"),
    ("items not an array", _set("items", "abc"), "items: must be an array of tables"),
    ("item not a table", _set("items", ["abc"]), "items[0]: must be a table"),
    ("duplicate item ids", _set("items.1.id", "a"), "items: ids must be unique"),
    ("unknown item key", _set("items.0.wording", "x"), "items[0]: unknown field(s) wording"),
    ("bad item kind", _set("items.0.kind", "slider"), "items[0].kind: must be one of likert, vas"),
    (
        "vas item with options",
        _set("items.2.options", [{"value": 0}, {"value": 1}]),
        "items[2].options: a vas item has no options",
    ),
    (
        "missing text when shipped",
        _set("items.1.text", _DELETE),
        "items[1].text: is required when the licence ships",
    ),
    (
        "translation without text",
        _set("licence.ships_text", False),
        "items[0].text: the licence does not allow shipping",
    ),
    (
        "undeclared translation",
        _set("items.0.translations", {"fr": "A-fr"}),
        "items[0].translations.fr: language is not",
    ),
    (
        "empty translation",
        _set("items.0.translations", {"de": ""}),
        "items[0].translations.de: must be a non-empty",
    ),
    (
        "translation in the default language",
        _set("items.0.translations", {"en": "A"}),
        "translations.en: language is not",
    ),
    ("missing scoring", _set("scoring", _DELETE), "scoring: is required"),
    ("bad method", _set("scoring.method", "median"), "scoring.method: must be one of sum, mean"),
    (
        "max_missing all items",
        _set("scoring.max_missing", 3),
        "scoring.max_missing: must be between 0",
    ),
    (
        "max_missing fractional",
        _set("scoring.max_missing", 0.5),
        "scoring.max_missing: must be between 0",
    ),
    ("wrong score range", _set("scoring.max", 13), "scoring.min: score range must be 0 to 12"),
    (
        "mean over mixed ranges",
        _set("scoring.method", "mean"),
        "scoring.method: mean scoring needs items with one common range",
    ),
    ("bad tag", _set("scoring.tag", "X"), "scoring.tag: must be one of V, S, U, C"),
    (
        "missing missing_tag",
        _set("scoring.missing_tag", _DELETE),
        "scoring.missing_tag: is required",
    ),
    (
        "subscale could lose all its items",
        _set("scoring.max_missing", 2),
        "subscale 's' could lose all its items",
    ),
    (
        "cutoff outside range",
        _set("cutoff.value", 13),
        "cutoff.value: must lie within the score range",
    ),
    (
        "cutoff without bound",
        _set("cutoff.inclusive", _DELETE),
        "cutoff.inclusive: must be true or false",
    ),
    ("cutoff unknown key", _set("cutoff.bound", "incl"), "cutoff: unknown field(s) bound"),
    (
        "rc missing parameter",
        _set("reliable_change.sd", _DELETE),
        "reliable_change.value: is required unless",
    ),
    (
        "rc computed but inclusive",
        _set("reliable_change.inclusive", True),
        "reliable_change.inclusive: a computed threshold is strict",
    ),
    (
        "rc reliability above 1",
        _set("reliable_change.reliability", 1.2),
        "reliable_change: reliability must lie strictly",
    ),
    (
        "rc published not positive",
        _set("reliable_change.value", 0),
        "reliable_change.value: must be positive",
    ),
    (
        "rc published without bound",
        _set("reliable_change.value", 4),
        "reliable_change.inclusive: must be true or false",
    ),
    ("no bands", _set("severity.bands", []), "severity.bands: at least one band"),
    (
        "last band ends with below",
        _set("severity.bands.1", {"label": "high", "from": 5, "below": 12}),
        "severity.bands[1].below: the last band ends with 'to'",
    ),
    (
        "middle band ends with to",
        _set("severity.bands.0", {"label": "low", "from": 0, "to": 5}),
        "severity.bands[0].to: the last band ends with 'to'",
    ),
    (
        "band upside down",
        _set("severity.bands.0.below", 0),
        "severity.bands[0]: 'from' must be below",
    ),
    (
        "bands miss the top",
        _set("severity.bands.1.to", 11),
        "severity.bands: bands must start at the score minimum",
    ),
    (
        "gap between bands",
        _set("severity.bands.1.from", 6),
        "severity.bands[1].from: must equal the previous",
    ),
    ("risk on unknown item", _set("risk.0.item", "z"), "risk[0].item: is not the id of a likert"),
    ("risk on a vas item", _set("risk.0.item", "c"), "risk[0].item: is not the id of a likert"),
    (
        "two rules on one risk item",
        _set("risk", [{"item": "a", "above": 0, "label": "r", "source": "s", "tag": "S"}] * 2),
        "risk[1].item: already has a risk rule",
    ),
    (
        "a risk item could not be left unanswered",
        _set("scoring.max_missing", 0),
        "scoring.max_missing: must be at least 1: an unanswered risk item is missing",
    ),
    (
        "screening measure with a reliable change",
        _set("purpose", "screening"),
        "reliable_change: a screening measure is not tracked for change",
    ),
    ("cut-off not finite", _set("cutoff.value", float("inf")), "cutoff.value: must be a finite"),
    (
        "option value not finite",
        _set("options.0.value", float("-inf")),
        "items[0].options[0].value: must be a finite number",
    ),
    (
        "risk threshold at the maximum",
        _set("risk.0.above", 1),
        "risk[0].above: must lie within the item's range",
    ),
    (
        "conversion with missing allowed",
        _set("scoring.conversion", {"0": 0}),
        "scoring.conversion: needs max_missing = 0",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [pytest.param(m, e, id=i) for i, m, e in CASES])
def test_invalid_definition_names_file_and_field(
    mutate: Callable[[Data], None], message: str
) -> None:
    data = valid()
    mutate(data)

    with pytest.raises(DefinitionError) as raised:
        parse_definition(data, source="demo.toml")

    assert str(raised.value).startswith("demo.toml: ")
    assert message in str(raised.value)


def test_scoring_only_item_needs_a_label() -> None:
    data = valid()
    data["licence"]["ships_text"] = False
    for item in data["items"]:
        item.pop("text")
        item.pop("translations", None)

    with pytest.raises(
        DefinitionError, match=r"items\[0\].label: is required for a scoring-only item"
    ):
        parse_definition(data, source="demo.toml")


def _conversion_case(items: list[Data], conversion: dict[str, float], **scoring: Any) -> Data:
    data = valid()
    data.pop("severity")
    data.pop("cutoff")
    data["items"] = items
    data["scoring"].update(max_missing=0, conversion=conversion, **scoring)
    return data


TWO_ITEMS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            _conversion_case(TWO_ITEMS, {"x": 1}),
            "conversion.x: keys must be whole raw sums",
            id="non-numeric key",
        ),
        pytest.param(
            _conversion_case(TWO_ITEMS, {"0": 1, "1": 2}),
            "must give a score for every raw sum 0 to 2",
            id="missing raw sum",
        ),
        pytest.param(
            _conversion_case(TWO_ITEMS, {"0": 3, "1": 2, "2": 4}, min=2, max=4),
            "must not decrease",
            id="decreasing",
        ),
        pytest.param(
            _conversion_case(
                [
                    {
                        "id": "a",
                        "text": "A",
                        "options": [{"value": 0.5, "label": "x"}, {"value": 1.5, "label": "y"}],
                    }
                ],
                {"0": 1, "1": 2},
                min=1,
                max=2,
            ),
            "must give a score for every raw sum 0.5 to 1.5",
            id="fractional raw range",
        ),
        pytest.param(
            _conversion_case(TWO_ITEMS, {"0": 1, "1": 2, "2": 3}, min=0, max=2),
            "score range must be 1 to 3",
            id="range is the converted one",
        ),
    ],
)
def test_invalid_conversion_table(data: Data, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_definition(data, source="demo.toml")


def test_parse_does_not_modify_its_input() -> None:
    data = valid()
    before = copy.deepcopy(data)

    parse_definition(data, source="demo.toml")

    assert data == before


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('code = "x\n', encoding="utf-8")

    with pytest.raises(DefinitionError, match=r"broken.toml: invalid TOML"):
        load_library(tmp_path)


def test_two_files_with_one_code_are_rejected(tmp_path: Path) -> None:
    text = (BUNDLED_DIR / "gad7.toml").read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    (tmp_path / "b.toml").write_text(text, encoding="utf-8")

    with pytest.raises(DefinitionError, match=r"b.toml: code: 'gad7' is already defined"):
        load_library(tmp_path)


def test_translation_of_a_scoring_only_item_needs_the_default_text() -> None:
    data = valid()
    data["licence"]["ships_text"] = False
    data["items"] = [
        {"id": "a", "label": "A", "translations": {"de": "A-de"}},
        {"id": "b", "label": "B"},
    ]
    data.pop("severity")
    data["scoring"].update(max=2, max_missing=0)

    with pytest.raises(
        DefinitionError, match=r"items\[0\].translations: needs the default-language"
    ):
        parse_definition(data, source="demo.toml")


def test_a_screening_definition_without_reliable_change_is_valid() -> None:
    data = valid()
    data["purpose"] = "screening"
    data.pop("reliable_change")

    definition = parse_definition(data, source="demo.toml")

    assert definition.is_screening and definition.reliable_change is None
    assert definition.rules(rc_value=3).reliable_change is None
