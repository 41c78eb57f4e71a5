"""Bulk loading for the service outcome report: a fixed number of queries whatever the number
of episodes (CONVENTIONS §9). Each function is one query; episode sets are passed as
subqueries, so no list of ids is ever sent to the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    Client,
    Episode,
    EpisodeStatus,
    TherapySession,
    User,
)
from outcome_monitor.services.care import CLOSING_STATUSES
from outcome_monitor.services.feedback import ScoreRow, SessionRow, given_order


@dataclass(frozen=True)
class EpisodeRow:
    episode_id: int
    client_code: str
    therapist_id: int
    therapist: str
    status: EpisodeStatus
    opened_on: date
    closed_on: date | None


@dataclass(frozen=True)
class AlertRow:
    episode_id: int
    type: str
    opened_at: datetime
    acknowledged_at: datetime | None
    actions: tuple[str, ...]
    escalated: bool


@dataclass(frozen=True)
class SessionCounts:
    attended: int
    missed: int
    attended_with_measure: int


def closed_ids(therapists: sa.Select[int], start: date, end: date) -> sa.Select[int]:
    """Episodes closed (planned or dropped out) with ``closed_on`` in start..end (inclusive)."""
    return sa.select(Episode.id).where(
        Episode.therapist_id.in_(therapists),
        Episode.status.in_([s.value for s in CLOSING_STATUSES]),
        Episode.closed_on >= start,
        Episode.closed_on <= end,
    )


def open_ids(therapists: sa.Select[int]) -> sa.Select[int]:
    return sa.select(Episode.id).where(
        Episode.therapist_id.in_(therapists), Episode.status == EpisodeStatus.ACTIVE
    )


def episode_rows(ids: sa.Select[int]) -> list[EpisodeRow]:
    """The episodes with their client's code and their therapist's name, in closing order."""
    rows = db.session.execute(episode_row_query(ids).order_by(Episode.closed_on, Episode.id))
    return [episode_row(r) for r in rows]


def episode_row_query(ids: sa.Select[int]) -> sa.Select[*tuple[Any, ...]]:
    """The columns of an ``EpisodeRow`` (see ``episode_row``) for the episodes ``ids``,
    unordered."""
    return (
        sa.select(
            Episode.id,
            Client.code,
            Episode.therapist_id,
            User.display_name,
            Episode.status,
            Episode.opened_on,
            Episode.closed_on,
        )
        .join(Client, Episode.client_id == Client.id)
        .join(User, Episode.therapist_id == User.id)
        .where(Episode.id.in_(ids))
    )


def episode_row(row: sa.Row[*tuple[Any, ...]]) -> EpisodeRow:
    """A row of ``episode_row_query``."""
    return EpisodeRow(row[0], row[1], row[2], row[3], EpisodeStatus(row[4]), row[5], row[6])


def scores(ids: sa.Select[int], code: str) -> dict[int, list[float]]:
    """Each episode's scored totals on ``code`` in the order given (the order of
    ``feedback.episode_administrations``, ``feedback.given_order``)."""
    rows = db.session.execute(
        sa.select(Administration.episode_id, Administration.total)
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(
            Administration.episode_id.in_(ids),
            Administration.instrument_code == code,
            Administration.total.is_not(None),
            Administration.current(),
        )
        .order_by(Administration.episode_id, *given_order())
    )
    grouped: dict[int, list[float]] = defaultdict(list)
    for episode_id, total in rows:
        if total is not None:  # excluded by the query; this tells the type checker
            grouped[episode_id].append(float(total))
    return grouped


def given_scores(ids: sa.Select[int], code: str) -> dict[int, list[ScoreRow]]:
    """Each episode's administrations of ``code`` (one query), in the order of
    ``feedback.episode_administrations``."""
    rows = db.session.execute(
        sa.select(
            Administration.episode_id,
            Administration.total,
            TherapySession.number,
            TherapySession.date,
            Administration.created_at,
        )
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(
            Administration.episode_id.in_(ids),
            Administration.instrument_code == code,
            Administration.current(),
        )
        .order_by(*given_order())
    )
    grouped: dict[int, list[ScoreRow]] = defaultdict(list)
    for episode_id, total, number, on, created_at in rows:
        session = SessionRow(number, on) if number is not None else None
        grouped[episode_id].append(ScoreRow(total, session, created_at))
    return grouped


def count_episodes(ids: sa.Select[int]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0


def opened_count(therapists: sa.Select[int], start: date, end: date) -> int:
    return count_episodes(
        sa.select(Episode.id).where(
            Episode.therapist_id.in_(therapists),
            Episode.opened_on >= start,
            Episode.opened_on <= end,
        )
    )


def session_counts(
    therapists: sa.Select[int], start: date, end: date, codes: list[str]
) -> SessionCounts:
    """Sessions dated start..end in the therapists' episodes (any status): attended, missed,
    and attended with a scored administration of one of ``codes``."""
    measured = sa.exists().where(
        Administration.session_id == TherapySession.id,
        Administration.instrument_code.in_(codes),
        Administration.total.is_not(None),
        Administration.current(),
    )
    rows = db.session.execute(
        sa.select(
            TherapySession.attended,
            sa.func.count(),
            sa.func.sum(sa.case((measured, 1), else_=0)),
        )
        .join(Episode, TherapySession.episode_id == Episode.id)
        .where(
            Episode.therapist_id.in_(therapists),
            TherapySession.date >= start,
            TherapySession.date <= end,
        )
        .group_by(TherapySession.attended)
    ).all()
    by_attended = {
        bool(attended): (n, int(with_measure or 0)) for attended, n, with_measure in rows
    }
    attended, with_measure = by_attended.get(True, (0, 0))
    return SessionCounts(attended, by_attended.get(False, (0, 0))[0], with_measure)


def alert_rows(ids: sa.Select[int]) -> list[AlertRow]:
    """Every alert ever raised in the episodes, whatever its state now."""
    rows = db.session.execute(
        sa.select(
            Alert.episode_id,
            Alert.type,
            Alert.opened_at,
            Alert.acknowledged_at,
            Alert.actions,
            Alert.escalated_at,
        )
        .where(Alert.episode_id.in_(ids))
        .order_by(Alert.id)
    )
    return [AlertRow(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5] is not None) for r in rows]
