"""What needs attention: the caseload, read from the stored status (``CaseStatus``, issue 12).
(The supervisor's case-review queue is ``services.review_queue``.)

The caseload is one statement per page plus its count: clients, active episodes, session
counts and stored statuses joined, sorted, filtered and paged by the database. Nothing is
recomputed per row; an episode without a stored status yet shows as grey and sorts with grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.trajectories import TrackStatus
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, Client, Episode, User
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.services import care, instruments, paging
from outcome_monitor.services.case_status import RISK_TYPES, RUPTURE_TYPES, UNCOMPUTED_RANK
from outcome_monitor.services.paging import Page

STATUS_WORDS: dict[str, LazyString] = {
    TrackStatus.WHITE: _l("in the non-clinical range"),
    TrackStatus.GREEN: _l("on track"),
    TrackStatus.YELLOW: _l("less progress than expected"),
    TrackStatus.RED: _l("not on track"),
    TrackStatus.GREY: _l("too few data"),
}
NOT_COMPUTED = _l("status not computed yet")


@dataclass(frozen=True)
class CaseloadEntry:
    """One row of the caseload: the client, the active episode, its sessions, its stored
    status (None until ``case_status`` has computed it) and that status in words."""

    client: Client
    episode: Episode
    last_session: date | None
    sessions: int
    status: CaseStatus | None
    status_words: str

    @property
    def colour(self) -> str:
        return self.status.colour if self.status else TrackStatus.GREY

    @property
    def open_reasons(self) -> list[str]:
        return list(self.status.open_reasons or []) if self.status else []

    @property
    def has_risk(self) -> bool:
        return bool(self.status and self.status.has_risk)

    @property
    def has_rupture(self) -> bool:
        return bool(self.status and self.status.has_rupture)

    @property
    def other_alerts(self) -> int:
        """Unresolved alerts that are neither risk nor alliance (the caseload's "other")."""
        shown = RISK_TYPES | RUPTURE_TYPES
        return sum(1 for t in self.open_reasons if t not in shown)


CaseloadQuery = sa.Select[Client, Episode, CaseStatus]
SORTS = ("attention", "client", "last_session", "sessions")
# Sorts by session facts join the grouped sessions of the whole scope; the others read the
# page's sessions afterwards, in one IN query for its 50 episodes.
SESSION_SORTS = ("last_session", "sessions")


def caseload_entries(user: User, *, sort: str = "attention", page: int = 1) -> Page[CaseloadEntry]:
    """One page of the caseload (clients with an active episode ``user`` may see), sorted by
    ``sort`` (an unknown sort reads as "attention": who needs attention first).

    Three queries whatever the caseload: the total, the page (clients, episodes, stored
    statuses and therapists joined; sorted and cut by the database), the page's sessions.
    """
    number = paging.clamp(page)
    scope = care.active_episodes_in_scope(user)
    query = (
        sa.select(Client, Episode, CaseStatus)
        .join(Episode, Episode.client_id == Client.id)
        .outerjoin(CaseStatus, CaseStatus.episode_id == Episode.id)
        .where(Episode.id.in_(scope))
        .options(so.joinedload(Client.therapist))
    )
    query = _sorted(query, sort if sort in SORTS else "attention", scope)
    total = paging.count(scope)
    rows = db.session.execute(query.limit(paging.PAGE_SIZE).offset(paging.offset_of(number)))
    return Page(_entries(rows.all()), number, total)


def _sorted(query: CaseloadQuery, sort: str, scope: sa.Select[int]) -> CaseloadQuery:
    """``query`` in the order of ``sort``, then by client code and episode (a unique key, so
    pages never overlap)."""
    order: tuple[Any, ...] = ()
    if sort in SESSION_SORTS:
        stats = care.session_stats(scope).subquery()
        query = query.outerjoin(stats, stats.c.episode_id == Episode.id)
        if sort == "last_session":
            order = (stats.c.last.is_(None), stats.c.last)
        else:
            order = (sa.func.coalesce(stats.c.n, 0).desc(),)
    elif sort == "attention":
        order = (sa.func.coalesce(CaseStatus.attention_rank, UNCOMPUTED_RANK),)
    return query.order_by(*order, Client.code, Episode.id)


def _entries(rows: Sequence[Any]) -> list[CaseloadEntry]:
    """The page's rows with their session facts (one query for the page's episodes)."""
    episode_ids = [row[1].id for row in rows]
    stats: dict[int, tuple[date | None, int]] = {}
    if episode_ids:
        for episode_id, held_last, held in db.session.execute(care.session_stats(episode_ids)):
            stats[episode_id] = (held_last, held)
    words = {colour: str(text) for colour, text in STATUS_WORDS.items()}  # once, not per row
    entries = []
    for client, episode, status in rows:
        last, n = stats.get(episode.id, (None, 0))
        entries.append(CaseloadEntry(client, episode, last, n, status, _in_words(status, words)))
    return entries


def _in_words(status: CaseStatus | None, words: dict[str, str]) -> str:
    if status is None:
        return str(NOT_COMPUTED)
    if status.measure_code is None:
        return words[TrackStatus.GREY]
    colour = words.get(status.colour, words[TrackStatus.GREY])
    return f"{instruments.measure_label(status.measure_code)}: {colour}"


def alert_history(episode: Episode) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert).where(Alert.episode_id == episode.id).order_by(Alert.opened_at.desc())
        )
    )
