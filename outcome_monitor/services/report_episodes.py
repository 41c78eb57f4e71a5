"""The report's drill-down: the closed episodes behind its figures, a page at a time.

The same episodes as ``reports.build_report`` counts (closed or dropped out in the period, in
the scope), with the same first and last score and reliable change, and whether a progress
alert was ever raised. Filtered, sorted and cut in SQL; the page's scores and alerts in one
query each, so a page costs the same whatever the size of the service. Client codes: only
for the scopes that show them (never an admin's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.service_stats import EpisodeOutcome, episode_outcome
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, Client, Episode, EpisodeStatus, User
from outcome_monitor.services import NotFound, instruments, paging
from outcome_monitor.services import report_queries as q
from outcome_monitor.services.report_scope import Scope
from outcome_monitor.services.reports import PROGRESS_ALERTS, ReportRequest, report_measure


class EpisodeSort(StrEnum):
    """The drill-down's orders: latest closed first (the default), by client, by therapist."""

    CLOSED = "closed"
    CLIENT = "client"
    THERAPIST = "therapist"


@dataclass(frozen=True)
class EpisodeLine:
    episode: q.EpisodeRow
    scores: tuple[float, ...]
    outcome: EpisodeOutcome | None  # None without a first and a last score
    flagged: bool


def _order(sort: EpisodeSort) -> tuple[Any, ...]:
    return {
        EpisodeSort.CLOSED: (Episode.closed_on.desc(), Episode.id.desc()),
        EpisodeSort.CLIENT: (Client.code, Episode.id),
        EpisodeSort.THERAPIST: (User.display_name, Episode.closed_on.desc(), Episode.id.desc()),
    }[sort]


def closed_episodes(
    scope: Scope,
    wanted: ReportRequest,
    *,
    ending: EpisodeStatus | None = None,
    sort: EpisodeSort = EpisodeSort.CLOSED,
    page: int = 1,
) -> paging.Page[EpisodeLine]:
    """Page ``page`` of the closed episodes of the report ``wanted`` for ``scope``.

    ``ending`` keeps planned endings (``closed``) or drop-outs only. NotFound for a scope that
    shows no client codes.
    """
    if not scope.shows_client_codes:
        raise NotFound(_l("This list names clients: it is not available here."))
    definition = report_measure(wanted.measure)
    closed = q.closed_ids(scope.therapist_ids, wanted.start, wanted.end)
    query = q.episode_row_query(closed).order_by(*_order(sort))
    if ending is not None:
        query = query.where(Episode.status == ending)
    found = paging.paginate_rows(query, page)
    rules = instruments.rules_for(definition)

    def lines(rows: Sequence[Any]) -> list[EpisodeLine]:
        ids = [r[0] for r in rows]
        scores = q.scores(sa.select(Episode.id).where(Episode.id.in_(ids)), definition.code)
        flagged = _flagged(ids)
        result = []
        for r in rows:
            row = q.episode_row(r)
            given = tuple(scores.get(row.episode_id, ()))
            outcome = (
                episode_outcome(rules, pre=given[0], post=given[-1]) if len(given) > 1 else None
            )
            result.append(EpisodeLine(row, given, outcome, row.episode_id in flagged))
        return result

    return found.map(lines)


def _flagged(episode_ids: list[int]) -> set[int]:
    """The episodes among ``episode_ids`` with a progress alert ever raised (one query)."""
    rows = db.session.scalars(
        sa.select(Alert.episode_id)
        .where(Alert.episode_id.in_(episode_ids), Alert.type.in_(sorted(PROGRESS_ALERTS)))
        .distinct()
    )
    return set(rows)
