"""Cells and tables of the service outcome report, and the labels of its figures. Small cells
are hidden by these builders, and only here, for an audience that sees aggregates outside the
clinical team (``Scope.hides_small_cells``).

Hiding (docs/reports.md): a count under 5 shows "<5" (zero included). In outcome figures a
count whose complement is under 5, and the next smallest of a partition with one hidden cell,
show "*", so that the small count cannot be worked out by subtraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.service_stats import SMALL_CELL, OutcomeRates, Proportion, hidden_cells
from outcome_monitor.core.support import ACTION_LABELS, SupportAction
from outcome_monitor.core.trajectories import TrackStatus
from outcome_monitor.services import alert_words
from outcome_monitor.services.reports import NO_SCORE, GroupRow

SMALL, HIDDEN = "<5", "*"
Value = str | int | float | None
RESULT_HEADERS = ("n", "of", "rate", "ci_low", "ci_high", "value")


@dataclass(frozen=True)
class Column:
    """``kind`` decides the CSV columns: text/count/number one, rate five (n, of, rate, CI),
    interval two, result six (the RESULT_HEADERS: a count, a rate or a number)."""

    label: str
    kind: str = "text"

    def headers(self) -> list[str]:
        if self.kind == "rate":
            return [f"{self.label}: {h}" for h in RESULT_HEADERS[:5]]
        if self.kind == "interval":
            return [f"{self.label}: low", f"{self.label}: high"]
        if self.kind == "result":
            return list(RESULT_HEADERS)
        return [self.label]


@dataclass(frozen=True)
class Cell:
    html: str
    csv: tuple[Value, ...]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = ""  # shown instead of the table when it has no rows
    notes: list[str] = field(default_factory=list)


def _r(x: float, digits: int = 4) -> float:
    return round(x, digits)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def text(value: object) -> Cell:
    return Cell(str(value), (str(value),))


def count(n: int, *, hide: bool = False, secondary: bool = False) -> Cell:
    if hide and n < SMALL_CELL:
        return Cell(SMALL, (SMALL,))
    if hide and secondary:
        return Cell(HIDDEN, (HIDDEN,))
    return Cell(str(n), (n,))


def number(x: float | None, digits: int, *, hide: bool = False) -> Cell:
    if x is None:
        return Cell("–", (None,))
    if hide:
        return Cell(HIDDEN, (HIDDEN,))
    return Cell(f"{x:.{digits}f}", (_r(x, digits),))


def interval(ci: tuple[float, float] | None, digits: int, *, hide: bool = False) -> Cell:
    if ci is None:
        return Cell("–", (None, None))
    if hide:
        return Cell(HIDDEN, (HIDDEN, HIDDEN))
    return Cell(f"{ci[0]:.{digits}f} to {ci[1]:.{digits}f}", (_r(ci[0], digits), _r(ci[1], digits)))


def rate(
    p: Proportion, *, hide: bool = False, secondary: bool = False, complement: bool = False
) -> Cell:
    """ "n of N — rate (lo to hi)". Hidden: "<5" for a count under 5; "*" for a partition's
    secondary cell, or (``complement``: outcome figures) when N - n is under 5."""
    of: Value = SMALL if hide and p.of < SMALL_CELL else p.of
    if hide and min(p.n, p.of) < SMALL_CELL:
        return Cell(f"{SMALL} of {of}", (SMALL, of, None, None, None))
    if hide and (secondary or (complement and p.of - p.n < SMALL_CELL)):
        return Cell(f"{HIDDEN} of {of}", (HIDDEN, of, None, None, None))
    if p.rate is None or p.ci is None:
        return Cell(str(_l("none")), (0, 0, None, None, None))
    lo, hi = p.ci
    html = f"{p.n} of {p.of} — {pct(p.rate)} ({pct(lo)} to {pct(hi)})"
    return Cell(html, (p.n, p.of, _r(p.rate), _r(lo), _r(hi)))


def result_count(n: int, *, hide: bool = False, secondary: bool = False) -> Cell:
    cell = count(n, hide=hide, secondary=secondary)
    return Cell(cell.html, (*cell.csv, None, None, None, None, None))


def result_rate(p: Proportion, *, hide: bool = False) -> Cell:
    cell = rate(p, hide=hide)
    return Cell(cell.html, (*cell.csv, None))


def result_number(x: float | None, digits: int, *, hide: bool = False) -> Cell:
    cell = number(x, digits, hide=hide)
    return Cell(cell.html, (None, None, None, None, None, *cell.csv))


ROW_LABELS: dict[str, LazyString] = {
    "reliable_improvement": _l("Reliable improvement"),
    "no_reliable_change": _l("No reliable change"),
    "reliable_deterioration": _l("Reliable deterioration"),
    "recovery": _l("Recovery"),
    "reliable_recovery": _l("Reliable recovery"),
}
STATUS_LABELS: dict[str, LazyString] = {
    TrackStatus.WHITE: _l("White: in the non-clinical range"),
    TrackStatus.GREEN: _l("Green: on track"),
    TrackStatus.YELLOW: _l("Yellow: less progress than expected"),
    TrackStatus.RED: _l("Red: not on track"),
    TrackStatus.GREY: _l("Grey: too few scores to tell"),
    NO_SCORE: _l("No score on this measure yet"),
}
RATE_FIGURES = (
    "reliable_improvement",
    "no_reliable_change",
    "reliable_deterioration",
    "recovery",
    "reliable_recovery",
)


def rate_cells(rates: OutcomeRates, hide: bool) -> list[Cell]:
    """The five outcome rates; the three reliable-change ones partition their denominator."""
    triple = [rates.reliable_improvement, rates.no_reliable_change, rates.reliable_deterioration]
    secondary = hidden_cells([p.n for p in triple]) if hide and triple[0].of else frozenset()
    return [
        *(
            rate(p, hide=hide, secondary=i in secondary, complement=True)
            for i, p in enumerate(triple)
        ),
        rate(rates.recovery, hide=hide, complement=True),
        rate(rates.reliable_recovery, hide=hide, complement=True),
    ]


def group_table(key: str, title: str, first: str, rows: Sequence[GroupRow], hide: bool) -> Table:
    """One row per group: closed, with a first and last score, and the five rates."""
    columns = [
        Column(first),
        Column(str(_l("Closed episodes")), "count"),
        Column(str(_l("With a first and last score")), "count"),
        *(Column(str(ROW_LABELS[f]), "rate") for f in RATE_FIGURES),
    ]
    closed = hidden_cells([r.closed for r in rows]) if hide else frozenset()
    judged = hidden_cells([r.rates.with_pre_and_post for r in rows]) if hide else frozenset()
    table = Table(key, title, columns)
    for i, row in enumerate(rows):
        table.rows.append(
            [
                text(row.label),
                count(row.closed, hide=hide, secondary=i in closed),
                count(row.rates.with_pre_and_post, hide=hide, secondary=i in judged),
                *rate_cells(row.rates, hide),
            ]
        )
    return table


def figure_table(key: str, title: str, rows: list[tuple[str, Cell]]) -> Table:
    columns = [Column(str(_l("Figure"))), Column(str(_l("Result")), "result")]
    return Table(key, title, columns, [[text(label), cell] for label, cell in rows])


def counts_table(key: str, title: str, first: str, counts: dict[str, int], hide: bool) -> Table:
    """Labelled counts that partition a total shown elsewhere (alerts by type, open episodes)."""
    items = list(counts.items())
    hidden = hidden_cells([n for _, n in items]) if hide else frozenset()
    table = Table(key, title, [Column(first), Column(str(_l("Number")), "count")])
    for i, (label, n) in enumerate(items):
        table.rows.append([text(label), count(n, hide=hide, secondary=i in hidden)])
    return table


def action_label(value: str) -> str:
    try:
        return str(ACTION_LABELS[SupportAction(value)])
    except ValueError:
        return value


def alert_label(value: str) -> str:
    return alert_words.type_title(value)


def status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))
