"""CSV export of scores in the import's format (issue 11; docs/interop.md).

One row per administration, items when it has answers and the total otherwise, ``closed`` and
``planned_end`` on every row of a closed episode, so that export then import into an empty
database gives the same records. Rows are streamed from the database (``yield_per``); memory does
not grow with the export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Client,
    Episode,
    EpisodeStatus,
    Team,
    TherapySession,
    User,
)
from outcome_monitor.services import ServiceError, instruments
from outcome_monitor.services.audit import record
from outcome_monitor.services.importing.known import episode_key

HEAD = ("client", "episode", "therapist", "session", "date", "measure", "total")
TAIL = ("closed", "planned_end")
PLANNED_END = {EpisodeStatus.CLOSED.value: "yes", EpisodeStatus.DROPPED_OUT.value: "no"}
YIELD_PER = 2000


@dataclass
class ExportResult:
    """Counts of what was written, and of what the format cannot carry (left out)."""

    rows: int = 0
    episodes: set[int] = field(default_factory=set)
    without_session: int = 0
    superseded: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "episodes": len(self.episodes),
            "left_out_without_session": self.without_session,
            "left_out_superseded": self.superseded,
        }


def export_scores(
    *,
    out: TextIO,
    name: str,
    team: str | None = None,
    closed_only: bool = False,
    operator: str | None = None,
) -> ExportResult:
    """Write the scores (all, a team's clients', or closed episodes only) to ``out``; audit it.

    The format carries one score per client, episode, measure and session: when a measure was
    given twice in one session only the later is written (the one the charts use), and an
    administration not tied to a session cannot be written; both are counted as left out.
    """
    scope = _scope(team, closed_only)
    library = instruments.library()
    item_ids = _item_columns(library, _codes(scope))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*HEAD, *(f"item_{i}" for i in item_ids), *TAIL])
    result = ExportResult(without_session=_count_without_session(scope))
    for row in _latest_per_session(_rows(scope), result):
        writer.writerow(_line(row, item_ids, library))
        result.rows += 1
        result.episodes.add(row.episode_id)
    details = {"file": name, "team": team, "closed_only": closed_only, "operator": operator}
    record(
        by=None,
        action="scores.export",
        obj=None,
        object_type="ScoreExport",
        details={**details, **result.counts()},
    )
    db.session.commit()
    return result


def _scope(team_name: str | None, closed_only: bool) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if team_name is not None:
        team = db.session.scalar(sa.select(Team).where(Team.name == team_name.strip()))
        if team is None:
            raise ServiceError(_l("No team called %(name)s.", name=team_name))
        members = sa.select(User.id).where(User.team_id == team.id)
        conditions.append(Client.therapist_id.in_(members))
    if closed_only:
        closed = [EpisodeStatus.CLOSED.value, EpisodeStatus.DROPPED_OUT.value]
        conditions.append(Episode.status.in_(closed))
    return conditions


def _scoped(query: sa.Select[Any], scope: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    return (
        query.join(Episode, Administration.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(Administration.current(), *scope)
    )


def _codes(scope: list[sa.ColumnElement[bool]]) -> list[str]:
    query = _scoped(sa.select(Administration.instrument_code).distinct(), scope)
    return sorted(db.session.scalars(query))


def _count_without_session(scope: list[sa.ColumnElement[bool]]) -> int:
    query = _scoped(sa.select(sa.func.count(Administration.id)), scope)
    return db.session.scalar(query.where(Administration.session_id.is_(None))) or 0


def _item_columns(library: Mapping[str, InstrumentDefinition], codes: Iterable[str]) -> list[str]:
    """Every item id of the exported measures, numbers in numeric order (item_2 before item_10)."""
    ids = {item.id for code in codes if code in library for item in library[code].items}
    return sorted(ids, key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i))


def _rows(scope: list[sa.ColumnElement[bool]]) -> Iterator[sa.Row[Any]]:
    query = _scoped(
        sa.select(
            Client.code,
            Episode.id.label("episode_id"),
            Episode.label,
            User.email,
            TherapySession.number,
            TherapySession.date,
            Administration.instrument_code,
            Administration.answers,
            Administration.total,
            Episode.closed_on,
            Episode.status,
        ),
        scope,
    )
    query = (
        query.join(User, Episode.therapist_id == User.id)
        .join(TherapySession, Administration.session_id == TherapySession.id)
        .order_by(
            Client.code,
            Episode.opened_on,
            Episode.id,
            TherapySession.number,
            Administration.instrument_code,
            Administration.id,
        )
    )
    yield from db.session.execute(query.execution_options(yield_per=YIELD_PER))


def _latest_per_session(rows: Iterator[sa.Row[Any]], result: ExportResult) -> Iterator[sa.Row[Any]]:
    """The last row of each (episode, session, measure); rows come ordered by id within it."""
    pending = None
    for row in rows:
        if pending is not None and _key(pending) == _key(row):
            result.superseded += 1
        elif pending is not None:
            yield pending
        pending = row
    if pending is not None:
        yield pending


def _key(row: sa.Row[Any]) -> tuple[int, int, str]:
    return row.episode_id, row.number, row.instrument_code


def _line(
    row: sa.Row[Any], item_ids: list[str], library: Mapping[str, InstrumentDefinition]
) -> list[str]:
    answers = row.answers or {}
    with_items = bool(answers) and row.instrument_code in library
    items = [_number(answers.get(i)) if with_items else "" for i in item_ids]
    closed = row.closed_on.isoformat() if row.closed_on else ""
    return [
        row.code,
        episode_key(row.label, row.episode_id),
        row.email,
        str(row.number),
        row.date.isoformat(),
        row.instrument_code,
        "" if with_items else _number(row.total),
        *items,
        closed,
        PLANNED_END.get(row.status, "") if closed else "",
    ]


def _number(value: float | None) -> str:
    """Shortest text that reads back as the same float: 3 (not 3.0), 7.5, 14.444444444444445."""
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)
