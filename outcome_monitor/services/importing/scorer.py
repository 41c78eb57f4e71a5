"""Scoring item answers for the import: the one scoring path, with a memory of patterns."""

from __future__ import annotations

from collections.abc import Mapping

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.core.scoring import Score, score

Answers = dict[str, float | None]


class Scorer:
    """``core.scoring.score`` with a bounded memory of answer patterns already scored.

    Scoring is exact (fractions), about 0.1 ms a row; a historic file repeats answer patterns
    often and a pattern always scores the same, so a file of a million rows need not pay for
    every row (the memory is emptied when full: about 30 MB at most). Likert answers are
    checked against a set of the item's option values.
    """

    def __init__(self, library: Mapping[str, InstrumentDefinition], size: int = 50_000) -> None:
        self._size = size
        self._cache: dict[tuple[object, ...], Score] = {}
        self.options = {
            code: {
                item.id: frozenset(o.value for o in item.options)
                for item in definition.items
                if item.kind is ItemKind.LIKERT
            }
            for code, definition in library.items()
        }

    def accepts(self, definition: InstrumentDefinition, item: Item, value: float) -> bool:
        options = self.options[definition.code].get(item.id)
        return item.accepts(value) if options is None else value in options

    def score(self, definition: InstrumentDefinition, answers: Answers) -> Score:
        """Score ``answers`` (every item of ``definition``, in order); CoreError if invalid."""
        key = (definition.code, *answers.values())
        result = self._cache.get(key)
        if result is None:
            result = score(definition, answers)
            if len(self._cache) >= self._size:
                self._cache.clear()
            self._cache[key] = result
        return result
