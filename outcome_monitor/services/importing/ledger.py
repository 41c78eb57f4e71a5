"""What the first pass keeps: one small record per client and episode, a few integers per row.

Rows of one episode may be anywhere in the file, so whatever must agree across rows (the
episode's therapist, ``closed`` and ``planned_end``; one date per session; one row per client,
episode, measure and session) is checked here. Per row only integers are kept, in compact
arrays (21 bytes a row), and the checks that need every row run once at the end with a
sort (numpy) instead of a dictionary per session.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from outcome_monitor.models import EpisodeStatus
from outcome_monitor.services.importing.csvsource import Issue
from outcome_monitor.services.importing.rows import ScoreRow


@dataclass(slots=True)
class KnownEpisode:
    """An episode already in the database, as the import compares it."""

    id: int
    therapist_id: int
    closed_on: date | None
    status: str


@dataclass(slots=True)
class ClientPlan:
    """A client of the file; ``db_id`` is None for a client the import creates."""

    code: str
    first_line: int
    db_id: int | None = None
    db_therapist_id: int | None = None
    known: dict[str, KnownEpisode] = field(default_factory=dict)
    episodes: list[EpisodePlan] = field(default_factory=list)


@dataclass(slots=True)
class EpisodePlan:
    """An episode of the file, its rows folded in as they come."""

    index: int
    client: ClientPlan
    label: str
    therapist_id: int
    first_line: int
    opened_on: date
    last_day: date
    last_line: int
    known: KnownEpisode | None = None
    db_id: int | None = None
    closed: date | None = None
    closed_line: int = 0
    planned_end: bool | None = None
    planned_line: int = 0

    @property
    def status(self) -> EpisodeStatus:
        if self.closed is None:
            return EpisodeStatus.ACTIVE
        return EpisodeStatus.DROPPED_OUT if self.planned_end is False else EpisodeStatus.CLOSED


class Ledger:
    """Clients, episodes and the per-row integers of the first pass."""

    def __init__(self, measure_codes: list[str]) -> None:
        self.clients: dict[str, ClientPlan] = {}
        self.episodes: dict[tuple[str, str], EpisodePlan] = {}
        self._measure = {code: i for i, code in enumerate(measure_codes)}
        self._columns = {name: array("i") for name in ("episode", "measure", "session", "day")}
        self._lines = array("i")
        self._new_session = array("b")

    @property
    def rows(self) -> int:
        return len(self._lines)

    def episode_for(self, row: ScoreRow) -> EpisodePlan:
        """The episode of ``row`` (a new plan on first sight; the client must be resolved)."""
        key = (row.client, row.episode)
        plan = self.episodes.get(key)
        if plan is None:
            client = self.clients[row.client]
            plan = EpisodePlan(
                len(self.episodes),
                client,
                row.episode,
                row.therapist_id,
                row.line,
                row.day,
                row.day,
                row.line,
                known=client.known.get(row.episode),
            )
            plan.db_id = plan.known.id if plan.known else None
            client.episodes.append(plan)
            self.episodes[key] = plan
        return plan

    def add(self, row: ScoreRow, plan: EpisodePlan, *, new_session: bool) -> list[Issue]:
        """Fold ``row`` into its episode; the issues of rows that disagree with earlier ones."""
        issues = _fold(plan, row)
        columns = self._columns
        columns["episode"].append(plan.index)
        columns["measure"].append(self._measure[row.measure])
        columns["session"].append(row.session)
        columns["day"].append(row.day.toordinal())
        self._lines.append(row.line)
        self._new_session.append(new_session)
        return issues

    def finish(self) -> list[Issue]:
        """The checks that need every row: duplicates, session dates, episodes, open episodes."""
        issues = self._duplicates() + self._session_dates()
        for plan in self.episodes.values():
            issues += _episode_issues(plan)
        for client in self.clients.values():
            issues += _open_episode_issues(client)
        return issues

    def new_sessions(self) -> int:
        """How many distinct (episode, session) pairs the import creates."""
        mask = np.frombuffer(self._new_session, dtype=np.int8).astype(bool)
        pairs = self._array("episode")[mask] * (1 << 20) + self._array("session")[mask]
        return int(np.unique(pairs).size)

    def _array(self, name: str) -> npt.NDArray[np.int64]:
        return np.frombuffer(self._columns[name], dtype=np.int32).astype(np.int64)

    def _duplicates(self) -> list[Issue]:
        keys = [self._array(n) for n in ("episode", "measure", "session")]
        order, same = _groups(keys, self._line_array())
        lines = self._line_array()[order]
        return [
            Issue(
                int(lines[i]),
                "session",
                f"the same client, episode, measure and session as line {int(lines[i - 1])}",
            )
            for i in np.flatnonzero(same)
        ]

    def _session_dates(self) -> list[Issue]:
        order, same = _groups([self._array("episode"), self._array("session")], self._line_array())
        days, lines = self._array("day")[order], self._line_array()[order]
        first = np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))
        clash = same & (days != days[first])
        return [
            Issue(
                int(lines[i]),
                "date",
                f"this session is dated "
                f"{date.fromordinal(int(days[first[i]]))} on line {int(lines[first[i]])}",
            )
            for i in np.flatnonzero(clash)
        ]

    def _line_array(self) -> npt.NDArray[np.int64]:
        return np.frombuffer(self._lines, dtype=np.int32).astype(np.int64)


def _groups(
    keys: list[npt.NDArray[np.int64]], lines: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Rows sorted by ``keys`` then line; ``same[i]`` says row i has the keys of row i - 1."""
    order = np.lexsort([lines, *reversed(keys)])
    same = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same[1:] = np.logical_and.reduce([k[order][1:] == k[order][:-1] for k in keys])
    return order, same


def _fold(plan: EpisodePlan, row: ScoreRow) -> list[Issue]:
    issues = []
    if row.therapist_id != plan.therapist_id:
        issues.append(
            Issue(
                row.line,
                "therapist",
                f"another therapist than on line {plan.first_line} (one therapist per episode)",
            )
        )
    if row.day < plan.opened_on:
        plan.opened_on = row.day
    if row.day > plan.last_day:
        plan.last_day, plan.last_line = row.day, row.line
    if row.closed is not None:
        if plan.closed is not None and row.closed != plan.closed:
            issues.append(
                Issue(
                    row.line,
                    "closed",
                    f"{row.closed} differs from {plan.closed} on "
                    f"line {plan.closed_line} (one closing date per episode)",
                )
            )
        elif plan.closed is None:
            plan.closed, plan.closed_line = row.closed, row.line
    if row.planned_end is not None:
        if plan.planned_end is not None and row.planned_end != plan.planned_end:
            issues.append(Issue(row.line, "planned_end", f"differs from line {plan.planned_line}"))
        elif plan.planned_end is None:
            plan.planned_end, plan.planned_line = row.planned_end, row.line
    return issues


def _episode_issues(plan: EpisodePlan) -> list[Issue]:
    issues = []
    if plan.planned_end is not None and plan.closed is None:
        issues.append(
            Issue(
                plan.planned_line,
                "planned_end",
                "given, but no row of this episode has a closed date",
            )
        )
    if plan.closed is not None and plan.closed < plan.last_day:
        issues.append(
            Issue(
                plan.closed_line,
                "closed",
                f"{plan.closed} is before the session on {plan.last_day} (line {plan.last_line})",
            )
        )
    known = plan.known
    if known is not None:
        file_values = (plan.therapist_id, plan.closed, str(plan.status))
        if file_values != (known.therapist_id, known.closed_on, known.status):
            issues.append(
                Issue(
                    plan.first_line,
                    "episode",
                    "this episode is already in the "
                    f"database with another therapist, closed date or status "
                    f"({known.status}, closed {known.closed_on or 'no'}); "
                    "the import never overwrites",
                )
            )
    return issues


def _open_episode_issues(client: ClientPlan) -> list[Issue]:
    in_file = {e.known.id for e in client.episodes if e.known is not None}
    open_known = [
        label
        for label, known in client.known.items()
        if known.status == EpisodeStatus.ACTIVE and known.id not in in_file
    ]
    open_new = [e for e in client.episodes if e.closed is None]
    if len(open_known) + len(open_new) <= 1:
        return []
    names = ", ".join([*open_known, *(e.label for e in open_new)])
    line = max(open_new, key=lambda e: e.first_line).first_line
    return [
        Issue(
            line,
            "closed",
            f"client {client.code} would have more than one open episode "
            f"({names}); every episode but the current one needs a closed date",
        )
    ]
