"""Read a long-format CSV (one row per person and time point) into pre/post pairs.

Nothing is guessed: a missing column, a score that is not a number, an empty id or a person
with two scores at the same time point stops with an AnalysisError naming the row (the header
is row 1). An empty score is a missing value: that person is left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from outcome_monitor.analysis.csv_input import CheckedDictReader, open_text
from outcome_monitor.core.errors import AnalysisError


@dataclass(frozen=True)
class Columns:
    """The CSV columns and the two time values to pair."""

    id: str
    time: str
    outcome: str
    pre: str
    post: str


@dataclass(frozen=True)
class Pair:
    """One person's pre and post scores."""

    id: str
    pre: float
    post: float


@dataclass(frozen=True)
class Pairing:
    """Paired people in file order; ``n_total`` counts every distinct id in the file."""

    pairs: tuple[Pair, ...]
    n_total: int


def read_pairs(path: Path, columns: Columns) -> Pairing:
    """Pair the rows of the CSV file at ``path`` (UTF-8, a BOM is accepted)."""
    reader = CheckedDictReader(open_text(path), name=path.name)
    _check_columns(reader.fieldnames or [], columns)
    return pair_rows(reader, columns)


def pair_rows(rows: Iterable[Mapping[str, str | None]], columns: Columns) -> Pairing:
    """Pair rows whose time is ``columns.pre`` or ``columns.post`` by id.

    Time values match as numbers when both are numeric (``1`` matches ``1.0``), otherwise as
    trimmed text. People without both scores, or with an empty score, are left out.
    """
    ids: dict[str, None] = {}
    scores: dict[tuple[str, str], tuple[float | None, int]] = {}
    for row_number, row in enumerate(rows, start=2):
        person = _cell(row, columns.id)
        if not person:
            raise AnalysisError(f"row {row_number}: empty {columns.id!r}")
        ids[person] = None
        when = _which_time(_cell(row, columns.time), columns)
        if when is None:
            continue
        if (person, when) in scores:
            earlier = scores[person, when][1]
            raise AnalysisError(
                f"row {row_number}: {person!r} already has a score at time {when} (row {earlier})"
            )
        scores[person, when] = (_score(row, columns.outcome, row_number), row_number)
    return Pairing(_pairs(ids, scores), len(ids))


def _pairs(
    ids: Mapping[str, None], scores: Mapping[tuple[str, str], tuple[float | None, int]]
) -> tuple[Pair, ...]:
    pairs = []
    for person in ids:
        pre = scores.get((person, "pre"), (None, 0))[0]
        post = scores.get((person, "post"), (None, 0))[0]
        if pre is not None and post is not None:
            pairs.append(Pair(person, pre, post))
    return tuple(pairs)


def _check_columns(header: Iterable[str], columns: Columns) -> None:
    present = list(header)
    for name in (columns.id, columns.time, columns.outcome):
        if name not in present:
            raise AnalysisError(f"row 1: no column {name!r} (columns: {', '.join(present)})")


def _cell(row: Mapping[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def _which_time(value: str, columns: Columns) -> str | None:
    for label, wanted in (("pre", columns.pre), ("post", columns.post)):
        if _same_time(value, wanted.strip()):
            return label
    return None


def _same_time(value: str, wanted: str) -> bool:
    number, target = _number(value), _number(wanted)
    if number is not None and target is not None:
        return number == target
    return value == wanted


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _score(row: Mapping[str, str | None], column: str, row_number: int) -> float | None:
    text = _cell(row, column)
    if not text:
        return None
    value = _number(text)
    if value is None:
        raise AnalysisError(f"row {row_number}: {column} {text!r} is not a number")
    return value
