"""Read-only lookups for the API, always within what the token's user may see
(``services.access``). Lists are paged in SQL: two queries (the page and its total) whatever
the size of the caseload."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AlertStatus,
    Client,
    Episode,
    TherapySession,
    User,
)
from outcome_monitor.services import NotFound, access

T = TypeVar("T")


def paged(query: sa.Select[T], *order: Any, limit: int, offset: int) -> tuple[list[T], int]:
    """One page of ``query`` in ``order`` and the number of rows in all pages."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(*order).limit(limit).offset(offset))
    return list(rows), total


def clients(user: User, *, limit: int, offset: int) -> tuple[list[Client], int]:
    return paged(access.visible_clients(user), Client.id, limit=limit, offset=offset)


def episodes(client: Client, *, limit: int, offset: int) -> tuple[list[Episode], int]:
    query = sa.select(Episode).where(Episode.client_id == client.id)
    return paged(query, Episode.opened_on, Episode.id, limit=limit, offset=offset)


def sessions(episode: Episode, *, limit: int, offset: int) -> tuple[list[TherapySession], int]:
    query = sa.select(TherapySession).where(TherapySession.episode_id == episode.id)
    return paged(query, TherapySession.number, limit=limit, offset=offset)


def administrations(
    episode: Episode, *, limit: int, offset: int
) -> tuple[list[Administration], int]:
    query = sa.select(Administration).where(
        Administration.episode_id == episode.id, Administration.current()
    )
    return paged(query, Administration.created_at, Administration.id, limit=limit, offset=offset)


def administration(user: User, administration_id: int) -> Administration:
    """The administration, or NotFound when missing or in an episode ``user`` may not see."""
    found = db.session.get(Administration, administration_id)
    if found is None:
        raise NotFound("No such administration.")
    access.get_episode(user, found.episode_id)
    return found


def alerts(
    user: User, *, status: AlertStatus | None, limit: int, offset: int
) -> tuple[list[Alert], int]:
    """Alerts of the clients ``user`` may see; unresolved ones unless ``status`` says which."""
    query = (
        sa.select(Alert)
        .join(Episode, Alert.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(Client.therapist_id.in_(access.visible_therapist_ids(user)))
    )
    if status is None:
        query = query.where(Alert.status != AlertStatus.RESOLVED)
    else:
        query = query.where(Alert.status == status)
    return paged(query, Alert.id, limit=limit, offset=offset)


def session_in(episode: Episode, session_id: int) -> TherapySession | None:
    """A session of ``episode`` by id; an id from another episode is not found."""
    return db.session.scalar(
        sa.select(TherapySession).where(
            TherapySession.id == session_id, TherapySession.episode_id == episode.id
        )
    )
