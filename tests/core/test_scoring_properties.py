"""Hypothesis properties of scoring every bundled instrument."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.scoring import score
from outcome_monitor.instruments import BUNDLED_DIR

LIBRARY = load_library(BUNDLED_DIR)
CODES = sorted(LIBRARY)


def _values(item: Item) -> st.SearchStrategy[float]:
    if item.kind is ItemKind.VAS:
        return st.integers(0, 100).map(lambda tenths: tenths / 10)
    return st.sampled_from([option.value for option in item.options])


def _complete(definition: InstrumentDefinition) -> st.SearchStrategy[dict[str, float]]:
    return st.fixed_dictionaries({item.id: _values(item) for item in definition.items})


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_complete_answers_always_score_inside_the_range(code: str, data: st.DataObject) -> None:
    definition = LIBRARY[code]

    result = score(definition, data.draw(_complete(definition)))

    assert definition.scoring.score_min <= result.total <= definition.scoring.score_max
    assert result.band is None or result.band.contains(result.total)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_raising_one_answer_moves_the_total_in_the_keyed_direction(
    code: str, data: st.DataObject
) -> None:
    definition = LIBRARY[code]
    answers = data.draw(_complete(definition))
    item = data.draw(st.sampled_from(definition.items))
    lower, higher = data.draw(
        st.lists(_values(item), min_size=2, max_size=2, unique=True).map(sorted)
    )

    before = score(definition, {**answers, item.id: lower}).total
    after = score(definition, {**answers, item.id: higher}).total

    assert (after < before) if item.reverse else (after > before)


@pytest.mark.parametrize("code", [c for c in CODES if LIBRARY[c].scoring.max_missing])
@given(data=st.data())
def test_prorated_total_stays_inside_the_range(code: str, data: st.DataObject) -> None:
    definition = LIBRARY[code]
    answers: dict[str, float | None] = dict(data.draw(_complete(definition)))
    answers[data.draw(st.sampled_from(definition.items)).id] = None

    result = score(definition, answers)

    assert definition.scoring.score_min <= result.total <= definition.scoring.score_max
    assert result.prorated
