"""What needs attention: the caseload, read from the stored status (``CaseStatus``, issue 12).
(The supervisor's case-review queue is ``services.review_queue``.)

The caseload is one statement per page plus its count: clients, active episodes, session
counts and stored statuses joined, sorted, filtered and paged by the database. Nothing is
recomputed per row; an episode without a stored status yet shows as grey and sorts with grey.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.trajectories import TrackStatus
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, Client, Episode, Role, TherapySession, User
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


@dataclass(frozen=True, slots=True)
class CaseloadEntry:
    """One row of the caseload: the client, the active episode, its sessions and its stored
    status (grey, "not computed yet", until ``case_status`` has computed it), read as plain
    values: a page of 50 rows loads no ORM objects (four mapped classes a row, each object
    built and tracked by the session for nothing the page changes)."""

    client_id: int
    client_code: str
    therapist_name: str
    episode_id: int
    opened_on: date
    last_session: date | None
    sessions: int
    colour: str
    status_words: str
    open_reasons: tuple[str, ...] = ()
    has_risk: bool = False
    has_rupture: bool = False

    @property
    def other_alerts(self) -> int:
        """Unresolved alerts that are neither risk nor alliance (the caseload's "other")."""
        shown = RISK_TYPES | RUPTURE_TYPES
        return sum(1 for t in self.open_reasons if t not in shown)


CaseloadQuery = sa.Select[*tuple[Any, ...]]  # the ROW_COLUMNS below
SORTS = ("attention", "client", "last_session", "sessions")
# Sorts by session facts join the grouped sessions of the whole scope; the others read the
# page's sessions afterwards, in one IN query for its 50 episodes.
SESSION_SORTS = ("last_session", "sessions")
ROW_COLUMNS = (
    Client.id.label("client_id"),
    Client.code.label("client_code"),
    User.display_name.label("therapist_name"),
    Episode.id.label("episode_id"),
    Episode.opened_on,
    CaseStatus.episode_id.label("status_of"),  # None: no stored status yet
    CaseStatus.colour,
    CaseStatus.measure_code,
    CaseStatus.open_reasons,
    CaseStatus.has_risk,
    CaseStatus.has_rupture,
)


def caseload_entries(user: User, *, sort: str = "attention", page: int = 1) -> Page[CaseloadEntry]:
    """One page of the caseload (clients with an active episode ``user`` may see), sorted by
    ``sort`` (an unknown sort reads as "attention": who needs attention first).

    One statement whatever the caseload: clients, episodes, stored statuses and therapists
    joined, sorted, counted and cut by the database, with the page's session facts (the date
    of the last session, how many) for its rows only. The statement is built once per sort
    and role (``_page_statement``) and run with the user's id.
    """
    number = paging.clamp(page)
    statement = _page_statement(sort if sort in SORTS else "attention", user.role)
    rows, total = paging.run_page(statement, number, {VIEWER.key: user.id})
    return Page(_entries(rows), number, total)


# The user whose caseload a built statement reads (bound when it runs).
VIEWER = sa.bindparam("caseload_viewer", type_=sa.Integer)


@functools.cache
def _page_statement(sort: str, role: Role) -> paging.PageStatement:
    """The caseload's statement for ``sort`` and users of ``role``, the user's id bound as
    ``VIEWER``: built once per process (a dozen at most), as building it cost more than
    running it. Safe to share: a statement is not changed by running it."""
    query = (
        sa.select(*ROW_COLUMNS)
        .select_from(Client)
        .join(Episode, Episode.client_id == Client.id)
        .join(User, User.id == Client.therapist_id)
        .outerjoin(CaseStatus, CaseStatus.episode_id == Episode.id)
        .where(*care.in_active_scope_of(role, VIEWER))
    )
    query, order = _sorted(query, sort, role)
    return paging.page_statement(query, order=order, per_row=_session_facts)


def _sorted(
    query: CaseloadQuery, sort: str, role: Role
) -> tuple[CaseloadQuery, list[paging.OrderKey]]:
    """``query`` (joined to what ``sort`` needs) and its order: ``sort``, then client code and
    episode (a unique key, so pages never overlap)."""
    order: list[paging.OrderKey] = []
    if sort in SESSION_SORTS:
        scope = care.active_episodes_in_scope_of(role, VIEWER)
        stats = care.session_stats(scope).subquery()
        query = query.outerjoin(stats, stats.c.episode_id == Episode.id)
        if sort == "last_session":
            order = [(stats.c.last.is_(None), False), (stats.c.last, False)]
        else:
            order = [(sa.func.coalesce(stats.c.n, 0), True)]
    elif sort == "attention":
        order = [(sa.func.coalesce(CaseStatus.attention_rank, UNCOMPUTED_RANK), False)]
    return query, [*order, (Client.code, False), (Episode.id, False)]


def _session_facts(page: sa.Subquery) -> list[sa.ColumnElement[Any]]:
    """The date of the last session and the number of sessions of each of the page's rows."""
    of_row = TherapySession.episode_id == page.c.episode_id
    return [
        sa.select(sa.func.max(TherapySession.date)).where(of_row).scalar_subquery().label("last"),
        sa.select(sa.func.count()).where(of_row).scalar_subquery().label("held"),
    ]


def _entries(rows: Sequence[Any]) -> list[CaseloadEntry]:
    """The page's rows as plain entries."""
    words = {colour: str(text) for colour, text in STATUS_WORDS.items()}  # once, not per row
    not_computed = str(NOT_COMPUTED)
    labels: dict[str, str] = {}  # measure code -> label, looked up once a page
    entries = []
    for row in rows:
        stored = row.status_of is not None
        entries.append(
            CaseloadEntry(
                client_id=row.client_id,
                client_code=row.client_code,
                therapist_name=row.therapist_name,
                episode_id=row.episode_id,
                opened_on=row.opened_on,
                last_session=row.last,
                sessions=row.held,
                colour=row.colour if stored else TrackStatus.GREY,
                status_words=_in_words(row, words, labels) if stored else not_computed,
                open_reasons=tuple(row.open_reasons or ()) if stored else (),
                has_risk=bool(stored and row.has_risk),
                has_rupture=bool(stored and row.has_rupture),
            )
        )
    return entries


def _in_words(row: Any, words: dict[str, str], labels: dict[str, str]) -> str:
    """A stored status in words: the measure and its colour."""
    code = row.measure_code
    if code is None:
        return words[TrackStatus.GREY]
    if code not in labels:
        labels[code] = instruments.measure_label(code)
    colour = words.get(row.colour, words[TrackStatus.GREY])
    return f"{labels[code]}: {colour}"


def alert_history(episode: Episode) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert).where(Alert.episode_id == episode.id).order_by(Alert.opened_at.desc())
        )
    )
