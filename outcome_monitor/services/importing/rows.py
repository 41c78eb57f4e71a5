"""The score CSV's columns, and one row parsed, checked and scored on its own.

No database here: the caller passes what a row is checked against (the instrument library, the
user accounts, the team, today). Items are scored by ``core.scoring.score``, the one scoring
path of the app; a total given alone is range-checked and banded, nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.scoring import Score
from outcome_monitor.models import Role
from outcome_monitor.services.importing.columns import ITEM_PREFIX, Columns
from outcome_monitor.services.importing.csvsource import Issue, Record
from outcome_monitor.services.importing.scorer import Answers, Scorer

MAX_CODE = 40  # Client.code and Episode.label are String(40)
MAX_SESSION = 9999
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
WHOLE = re.compile(r"\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLANNED = {"": None, "yes": True, "no": False}


@dataclass(frozen=True)
class Account:
    """A user account as the import sees it (looked up by lower-case email)."""

    id: int
    role: str
    team_id: int | None


@dataclass(frozen=True)
class RowContext:
    """What every row is checked against; ``team_id`` is set by ``--team``."""

    library: Mapping[str, InstrumentDefinition]
    accounts: Mapping[str, Account]
    today: date
    scorer: Scorer
    team_id: int | None = None
    team_name: str | None = None


@dataclass(frozen=True)
class ScoreRow:
    """One valid row. ``answers`` is None for a total given alone (a total-only score)."""

    line: int
    client: str
    episode: str
    therapist_id: int
    session: int
    day: date
    measure: str
    answers: Answers | None
    score: Score
    closed: date | None
    planned_end: bool | None


class _Row:
    """A record being read; collects every problem of the row, not just the first."""

    def __init__(self, record: Record, columns: Columns) -> None:
        self.line = record.line
        self.fields = record.fields
        self.columns = columns
        self.issues: list[Issue] = []

    def get(self, name: str) -> str:
        position = self.columns.position.get(name)
        return "" if position is None else self.fields[position].strip()

    def fail(self, column: str, message: str) -> None:
        self.issues.append(Issue(self.line, column, message))


def parse_row(record: Record, columns: Columns, context: RowContext) -> ScoreRow | list[Issue]:
    """Check and score one record; every problem in it is returned, each with its column."""
    if len(record.fields) != columns.width:
        return [_width_issue(record, columns)]
    row = _Row(record, columns)
    client = _code(row, "client", upper=True)
    episode = _code(row, "episode", upper=False)
    therapist = _therapist(row, context)
    session = _session(row)
    day = _date(row, "date", context.today, required=True)
    closed = _date(row, "closed", context.today, required=False)
    planned_end = _planned_end(row)
    definition = _measure(row, context.library)
    scored = None if definition is None else _scored(row, definition, context.scorer)
    if row.issues or not (client and episode and therapist and session and day and scored):
        return row.issues
    answers, result = scored
    assert definition is not None
    return ScoreRow(
        row.line,
        client,
        episode,
        therapist,
        session,
        day,
        definition.code,
        answers,
        result,
        closed,
        planned_end,
    )


def _width_issue(record: Record, columns: Columns) -> Issue:
    n = len(record.fields)
    if n < columns.width:
        missing = next(name for name, i in columns.ordered() if i == n)
        return Issue(record.line, missing, f"the row has {n} fields, the header {columns.width}")
    return Issue(record.line, None, f"the row has {n} fields, the header only {columns.width}")


def _code(row: _Row, column: str, *, upper: bool) -> str | None:
    text = row.get(column)
    if not text:
        row.fail(column, "empty")
        return None
    if len(text) > MAX_CODE:
        row.fail(column, f"longer than {MAX_CODE} characters")
        return None
    return text.upper() if upper else text


def _therapist(row: _Row, context: RowContext) -> int | None:
    email = row.get("therapist").lower()
    account = context.accounts.get(email)
    if account is None:
        row.fail("therapist", f"no user account with the email {email!r}")
        return None
    if account.role != Role.THERAPIST:
        row.fail("therapist", f"{email} is not a therapist account")
        return None
    if context.team_id is not None and account.team_id != context.team_id:
        row.fail("therapist", f"{email} is not in team {context.team_name}")
        return None
    return account.id


def _session(row: _Row) -> int | None:
    text = row.get("session")
    number = int(text) if WHOLE.fullmatch(text) else 0
    if not 1 <= number <= MAX_SESSION:
        row.fail("session", f"{text!r} is not a session number (a whole number from 1, 1 = intake)")
        return None
    return number


def _date(row: _Row, column: str, today: date, *, required: bool) -> date | None:
    text = row.get(column)
    if not text:
        if required:
            row.fail(column, "empty (an ISO date, YYYY-MM-DD)")
        return None
    try:
        value = date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
    except ValueError:
        value = None
    if value is None:
        row.fail(column, f"{text!r} is not a date (YYYY-MM-DD)")
    elif value > today:
        row.fail(column, f"{text} is in the future (historic scores only)")
        return None
    return value


def _planned_end(row: _Row) -> bool | None:
    text = row.get("planned_end").lower()
    if text not in PLANNED:
        row.fail("planned_end", f"{text!r} is neither yes nor no")
        return None
    return PLANNED[text]


def _measure(row: _Row, library: Mapping[str, InstrumentDefinition]) -> InstrumentDefinition | None:
    code = row.get("measure").lower()
    definition = library.get(code)
    if definition is None:
        row.fail("measure", f"unknown measure {code!r} (known: {', '.join(sorted(library))})")
    return definition


def _scored(
    row: _Row, definition: InstrumentDefinition, scorer: Scorer
) -> tuple[Answers | None, Score] | None:
    total = row.get("total")
    given = {
        item_id: (column, row.fields[i].strip())
        for column, item_id, i in row.columns.items
        if row.fields[i].strip()
    }
    if total and given:
        row.fail("total", "give the total or the item answers, not both")
        return None
    if total:
        result = _total(row, definition, total)
        return None if result is None else (None, result)
    if not given:
        row.fail("total", "no total and no item answers")
        return None
    return _items(row, definition, given, scorer)


def _number(row: _Row, column: str, text: str) -> float | None:
    if not NUMBER.fullmatch(text):
        row.fail(column, f"{text!r} is not a number")
        return None
    return float(text)


def _total(row: _Row, definition: InstrumentDefinition, text: str) -> Score | None:
    value = _number(row, "total", text)
    if value is None:
        return None
    low, high = definition.scoring.score_min, definition.scoring.score_max
    if not low <= value <= high:
        row.fail("total", f"{text} is outside the {definition.code} range {low:g}-{high:g}")
        return None
    try:
        band = None if definition.severity is None else definition.severity.band_for(value)
    except CoreError as error:
        row.fail("total", str(error))
        return None
    return Score(total=value, n_missing=0, prorated=False, band=band, risk_items=())


def _items(
    row: _Row,
    definition: InstrumentDefinition,
    given: Mapping[str, tuple[str, str]],
    scorer: Scorer,
) -> tuple[Answers, Score] | None:
    known = {item.id: item for item in definition.items}
    answers: dict[str, float] = {}
    for item_id, (column, text) in given.items():
        item = known.get(item_id)
        value = None if item is None else _number(row, column, text)
        if item is None:
            row.fail(column, f"{definition.code} has no item {item_id}")
        elif value is not None and not scorer.accepts(definition, item, value):
            row.fail(
                column,
                f"{text} is not an answer of {definition.code} item {item_id} ({_allowed(item)})",
            )
        elif value is not None:
            answers[item_id] = value
    if row.issues:
        return None
    full: Answers = {item.id: answers.get(item.id) for item in definition.items}
    try:
        return full, scorer.score(definition, full)
    except CoreError as error:
        missing = [f"{ITEM_PREFIX}{k}" for k, v in full.items() if v is None]
        row.fail(", ".join(missing) or f"{ITEM_PREFIX}*", str(error))
        return None


def _allowed(item: Item) -> str:
    if item.kind is ItemKind.VAS:
        return "0 to 10, at most one decimal"
    return ", ".join(f"{option.value:g}" for option in item.options)
