"""Scoring the bundled instruments by hand, and the scoring rules on synthetic definitions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from outcome_monitor.core.errors import ScoringError
from outcome_monitor.core.instruments import load_library, parse_definition
from outcome_monitor.core.scoring import score
from outcome_monitor.instruments import BUNDLED_DIR

LIBRARY = load_library(BUNDLED_DIR)


def _answers(*values: float | None) -> dict[str, float | None]:
    return {str(number): value for number, value in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("code", "answers", "total", "band"),
    [
        pytest.param(
            "phq9", _answers(0, 1, 2, 3, 0, 1, 2, 3, 1), 13, "moderate", id="PHQ-9 sum 13"
        ),
        pytest.param("phq9", _answers(1, 1, 1, 1, 1, 0, 0, 0, 0), 5, "mild", id="PHQ-9 5 is mild"),
        pytest.param(
            "phq9", _answers(1, 1, 1, 1, 0, 0, 0, 0, 0), 4, "minimal", id="PHQ-9 4 is minimal"
        ),
        pytest.param("phq9", _answers(*[3] * 9), 27, "severe", id="PHQ-9 maximum"),
        pytest.param("gad7", _answers(*[3] * 7), 21, "severe", id="GAD-7 maximum"),
        pytest.param(
            "gad7", _answers(2, 2, 2, 2, 2, 0, 0), 10, "moderate", id="GAD-7 10 is moderate"
        ),
        pytest.param("auditc", _answers(4, 2, 1), 7, None, id="AUDIT-C sum 7"),
        pytest.param("pcl5", _answers(*[2] * 20), 40, None, id="PCL-5 all moderately"),
        pytest.param(
            "srs", _answers(9.1, 8.9, 9.0, 9.0), 36.0, None, id="SRS VAS sums exactly to 36"
        ),
        pytest.param("ors", _answers(5.5, 6.2, 7.0, 6.3), 25.0, None, id="ORS VAS sum 25"),
        # Items 2 and 3 reversed: 4 - 0 and 4 - 1; 2+4+3+3+2+0+4+1+2+3.
        pytest.param(
            "core10",
            _answers(2, 0, 1, 3, 2, 0, 4, 1, 2, 3),
            24,
            "moderate-to-severe",
            id="CORE-10 reverse keying",
        ),
        pytest.param(
            "core10",
            _answers(0, 4, 4, 0, 0, 0, 0, 0, 0, 0),
            0,
            "healthy / low level",
            id="CORE-10 reversed items at best",
        ),
        pytest.param(
            "waisr", _answers(5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4), 39, None, id="WAI-SR sum 39"
        ),
    ],
)
def test_bundled_instruments_score_by_hand(
    code: str, answers: dict[str, float | None], total: float, band: str | None
) -> None:
    result = score(LIBRARY[code], answers)

    assert result.total == total
    assert (result.band.label if result.band else None) == band
    assert (result.n_missing, result.prorated) == (0, False)


def test_core10_prorates_one_missing_item() -> None:
    result = score(LIBRARY["core10"], _answers(2, 0, 1, 3, 2, 0, 4, 1, 2, None))

    assert result.total == pytest.approx(10 * 21 / 9)
    assert (result.n_missing, result.prorated, result.band.label) == (1, True, "moderate-to-severe")  # type: ignore[union-attr]


def test_phq9_prorates_one_missing_item_and_an_absent_key_counts_as_missing() -> None:
    answers = _answers(0, 1, 2, 3, 0, 1, 2, 3)

    result = score(LIBRARY["phq9"], answers)

    assert result.total == 9 * 12 / 8
    assert result.band.label == "moderate"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "answers"),
    [
        pytest.param("phq9", _answers(0, 1, 2, 3, 0, 1, 2), id="PHQ-9 two missing"),
        pytest.param(
            "core10", _answers(1, 1, 1, 1, 1, 1, 1, 1, None, None), id="CORE-10 two missing"
        ),
        pytest.param("pcl5", _answers(*[1] * 19), id="PCL-5 one missing"),
        pytest.param("srs", _answers(9, 9, 9, None), id="SRS one missing"),
    ],
)
def test_too_many_missing_items_raises(code: str, answers: dict[str, float | None]) -> None:
    with pytest.raises(ScoringError, match="missing"):
        score(LIBRARY[code], answers)


@pytest.mark.parametrize(
    ("code", "item", "value"),
    [
        pytest.param("phq9", "1", 4, id="above the options"),
        pytest.param("phq9", "1", 1.5, id="between options"),
        pytest.param("phq9", "1", True, id="a boolean"),
        pytest.param("phq9", "1", "2", id="a string"),
        pytest.param("srs", "1", 10.5, id="VAS above 10"),
        pytest.param("srs", "1", -0.1, id="VAS below 0"),
        pytest.param("srs", "1", 9.25, id="VAS with two decimals"),
        pytest.param("srs", "1", float("nan"), id="NaN"),
    ],
)
def test_answer_the_item_does_not_accept_raises(code: str, item: str, value: Any) -> None:
    answers: dict[str, Any] = {i.id: i.max_value for i in LIBRARY[code].items}
    answers[item] = value

    with pytest.raises(ScoringError, match=f"item {item}: .* is not an allowed answer"):
        score(LIBRARY[code], answers)


def test_unknown_item_raises() -> None:
    with pytest.raises(ScoringError, match="unknown item"):
        score(LIBRARY["gad7"], {**_answers(*[1] * 7), "8": 1})


def test_scoring_does_not_modify_the_answers() -> None:
    answers = _answers(2, 0, 1, 3, 2, 0, 4, 1, 2, None)
    before = copy.deepcopy(answers)

    score(LIBRARY["core10"], answers)

    assert answers == before


@pytest.mark.parametrize(
    ("code", "answers", "risk"),
    [
        pytest.param("phq9", _answers(0, 0, 0, 0, 0, 0, 0, 0, 1), ("9",), id="PHQ-9 item 9 at 1"),
        pytest.param("phq9", _answers(3, 3, 3, 3, 3, 3, 3, 3, 0), (), id="PHQ-9 item 9 at 0"),
        pytest.param(
            "core10", _answers(0, 4, 4, 0, 0, 1, 0, 0, 0, 0), ("6",), id="CORE-10 item 6 at 1"
        ),
        pytest.param(
            "core10", _answers(4, 0, 0, 4, 4, 0, 4, 4, 4, 4), (), id="CORE-10 item 6 at 0"
        ),
    ],
)
def test_risk_items_trigger_on_any_answer_above_zero(
    code: str, answers: dict[str, float | None], risk: tuple[str, ...]
) -> None:
    assert score(LIBRARY[code], answers).risk_items == risk


@pytest.mark.parametrize(
    ("code", "answers", "total"),
    [
        pytest.param("phq9", _answers(3, 3, 3, 3, 3, 3, 3, 3, None), 27, id="PHQ-9 item 9 blank"),
        pytest.param(
            "core10", _answers(4, 0, 0, 4, 4, None, 4, 4, 4, 4), 40, id="CORE-10 item 6 blank"
        ),
    ],
)
def test_a_blank_risk_item_is_listed_as_unanswered_never_as_safe(
    code: str, answers: dict[str, float | None], total: float
) -> None:
    result = score(LIBRARY[code], answers)

    # The symptom total is prorated over the other items; the risk item is not filled in.
    assert (result.total, result.n_missing, result.prorated) == (total, 1, True)
    risk_item = LIBRARY[code].risk_rules[0].item_id
    assert result.risk_items == ()
    assert result.risk_unanswered == (risk_item,)
    assert result.risk_flagged == (risk_item,)


def test_an_absent_risk_item_key_counts_as_unanswered() -> None:
    answers = _answers(0, 0, 0, 0, 0, 0, 0, 0)

    assert score(LIBRARY["phq9"], answers).risk_unanswered == ("9",)


def test_an_answered_risk_item_is_not_unanswered() -> None:
    result = score(LIBRARY["phq9"], _answers(0, 0, 0, 0, 0, 0, 0, 0, 2))

    assert (result.risk_items, result.risk_unanswered, result.risk_flagged) == (("9",), (), ("9",))


def test_a_blank_non_risk_item_flags_no_risk() -> None:
    result = score(LIBRARY["phq9"], _answers(None, 0, 0, 0, 0, 0, 0, 0, 0))

    assert result.prorated and result.risk_flagged == ()


def test_pcl5_cluster_subscales() -> None:
    answers = _answers(*([4] * 5 + [3] * 2 + [2] * 7 + [1] * 6))

    result = score(LIBRARY["pcl5"], answers)

    assert dict(result.subscales) == {"B": 20, "C": 6, "D": 14, "E": 6}
    assert result.total == 46


def test_waisr_subscales_follow_the_item_keys() -> None:
    result = score(LIBRARY["waisr"], _answers(5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4))

    assert dict(result.subscales) == {"task": 14, "bond": 10, "goal": 15}


def _synthetic(**scoring: Any) -> dict[str, Any]:
    return {
        "code": "demo",
        "version": "1",
        "name": "Demo",
        "purpose": "process",
        "direction": "higher_is_better",
        "citation": "Synthetic",
        "language": "en",
        "licence": {"ships_text": False, "attribution": "Synthetic", "note": "Synthetic"},
        "options": [{"value": 0}, {"value": 0.5}, {"value": 1}],
        "items": [
            {"id": "a", "label": "A", "subscale": "s"},
            {"id": "b", "label": "B", "subscale": "s"},
            {"id": "c", "label": "C", "reverse": True},
        ],
        "scoring": {
            "method": "sum",
            "min": 0,
            "max": 3,
            "max_missing": 0,
            "missing_source": "s",
            "missing_tag": "U",
            "source": "s",
            "tag": "C",
            **scoring,
        },
    }


def test_mean_scoring_uses_the_answered_items() -> None:
    definition = parse_definition(
        _synthetic(method="mean", min=0, max=1, max_missing=1), source="demo.toml"
    )

    result = score(definition, {"a": 1, "b": 0.5, "c": None})

    assert result.total == 0.75
    assert dict(result.subscales) == {"s": 0.75}
    assert result.prorated


def test_conversion_table_maps_the_raw_sum() -> None:
    definition = parse_definition(
        _synthetic(min=7, max=9.5, conversion={"0": 7, "1": 8, "2": 9, "3": 9.5}),
        source="demo.toml",
    )

    assert score(definition, {"a": 1, "b": 1, "c": 0}).total == 9.5
    assert score(definition, {"a": 0, "b": 0, "c": 1}).total == 7


def test_conversion_table_rejects_a_raw_sum_between_entries() -> None:
    definition = parse_definition(
        _synthetic(min=7, max=9.5, conversion={"0": 7, "1": 8, "2": 9, "3": 9.5}),
        source="demo.toml",
    )

    with pytest.raises(ScoringError, match="no converted score"):
        score(definition, {"a": 0.5, "b": 0, "c": 1})
