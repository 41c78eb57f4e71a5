"""Who may see which clients. Read-only; every clinical view loads through here."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm.attributes import set_committed_value

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    Client,
    Episode,
    HandOver,
    LinkSchedule,
    Role,
    TherapySession,
    User,
    team_supervisor,
)
from outcome_monitor.services import NotFound

# The rows that belong to one episode and are seen by whoever may see the episode's client.
_EpisodeRow = TypeVar("_EpisodeRow", Administration, Alert, HandOver, LinkSchedule, TherapySession)


# A user's id in a statement: the value, or a bound parameter given when the statement runs
# (a statement built once for every user of a role, e.g. the caseload's).
UserId = int | sa.BindParameter[int]


def visible_therapist_ids(user: User) -> sa.Select[int]:
    """The therapists whose clients ``user`` may see (admins: none, by design)."""
    return therapists_visible_to(user.role, user.id)


def therapists_visible_to(role: Role, user_id: UserId) -> sa.Select[int]:
    """``visible_therapist_ids`` for the user ``user_id`` of ``role``."""
    if role == Role.THERAPIST:
        return sa.select(User.id).where(User.id == user_id)
    if role == Role.SUPERVISOR:
        teams = sa.select(team_supervisor.c.team_id).where(team_supervisor.c.user_id == user_id)
        return sa.select(User.id).where(sa.or_(User.team_id.in_(teams), User.id == user_id))
    return sa.select(User.id).where(sa.false())


def visible_clients(user: User) -> sa.Select[Client]:
    return sa.select(Client).where(Client.therapist_id.in_(visible_therapist_ids(user)))


def get_client(user: User, client_id: int, *, with_sessions: bool = False) -> Client:
    """The client, or NotFound when it does not exist or ``user`` may not see it. With
    ``with_sessions`` its episodes and their sessions come with it, joined in the same
    statement however many episodes (the client page lists every past episode's sessions)."""
    query = visible_clients(user).where(Client.id == client_id)
    if with_sessions:
        query = query.options(so.joinedload(Client.episodes).joinedload(Episode.sessions))
    client = db.session.scalars(query).unique().first()
    if client is None:
        raise NotFound(_l("No such client."))
    return client


def get_episode(user: User, episode_id: int) -> Episode:
    """The episode with its client, in one statement, or NotFound when it does not exist or
    ``user`` may not see its client (the same answer: nobody learns that an episode exists)."""
    found = db.session.execute(
        sa.select(Episode, Client)
        .join(Client, Client.id == Episode.client_id)
        .where(Episode.id == episode_id, Client.therapist_id.in_(visible_therapist_ids(user)))
    ).first()
    if found is None:
        raise NotFound(_l("No such episode."))
    episode, client = found
    # The session keeps objects only while something refers to them: hand the client to the
    # episode, or ``episode.client`` (the audit's client code, the page) loads it again.
    set_committed_value(episode, "client", client)
    return episode


def administration_for(user: User, administration_id: int) -> Administration:
    """The administration, or NotFound when it does not exist or ``user`` may not see its
    client (the treating therapist and the supervisors of the therapist's team may; admins
    never: scores are clinical data)."""
    return _episode_row(user, Administration, administration_id, _l("No such score."))


def alert_for(user: User, alert_id: int) -> Alert:
    """The alert, or NotFound when it does not exist or ``user`` may not see its client."""
    return _episode_row(user, Alert, alert_id, _l("No such alert."))


def handover_for(user: User, handover_id: int) -> HandOver:
    """The tablet hand-over, or NotFound when it does not exist or ``user`` may not see its
    client."""
    return _episode_row(user, HandOver, handover_id, _l("No such hand-over."))


def schedule_for(user: User, schedule_id: int) -> LinkSchedule:
    """The scheduled link, or NotFound when it does not exist or ``user`` may not see its
    client."""
    return _episode_row(user, LinkSchedule, schedule_id, _l("No such scheduled link."))


def therapy_session_for(user: User, session_id: int) -> TherapySession:
    """The therapy session, or NotFound when it does not exist or ``user`` may not see its
    client."""
    return _episode_row(user, TherapySession, session_id, _l("No such session."))


def _episode_row(
    user: User, model: type[_EpisodeRow], row_id: int, missing: LazyString
) -> _EpisodeRow:
    """The ``model`` row, or NotFound (``missing``) when it does not exist or ``user`` may not
    see its episode's client."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    set_committed_value(row, "episode", get_episode(user, row.episode_id))  # as in get_episode
    return row


def assignable_therapists(user: User) -> list[User]:
    """Therapists a new client may be assigned to by ``user``."""
    query = sa.select(User).where(
        User.id.in_(visible_therapist_ids(user)),
        User.role == Role.THERAPIST,
        User.active.is_(True),
    )
    return list(db.session.scalars(query.order_by(User.display_name)))
