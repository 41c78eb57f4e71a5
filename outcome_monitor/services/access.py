"""Who may see which clients. Read-only; every clinical view loads through here."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

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


def visible_therapist_ids(user: User) -> sa.Select[int]:
    """The therapists whose clients ``user`` may see (admins: none, by design)."""
    if user.role == Role.THERAPIST:
        return sa.select(User.id).where(User.id == user.id)
    if user.role == Role.SUPERVISOR:
        teams = sa.select(team_supervisor.c.team_id).where(team_supervisor.c.user_id == user.id)
        return sa.select(User.id).where(sa.or_(User.team_id.in_(teams), User.id == user.id))
    return sa.select(User.id).where(sa.false())


def visible_clients(user: User) -> sa.Select[Client]:
    return sa.select(Client).where(Client.therapist_id.in_(visible_therapist_ids(user)))


def get_client(user: User, client_id: int) -> Client:
    """The client, or NotFound when it does not exist or ``user`` may not see it."""
    client = db.session.scalar(visible_clients(user).where(Client.id == client_id))
    if client is None:
        raise NotFound(_l("No such client."))
    return client


def get_episode(user: User, episode_id: int) -> Episode:
    episode = db.session.get(Episode, episode_id)
    if episode is None:
        raise NotFound(_l("No such episode."))
    get_client(user, episode.client_id)
    return episode


def administration_for(user: User, administration_id: int) -> Administration:
    """The administration, or NotFound when it does not exist or ``user`` may not see its
    client (the treating therapist and the supervisors of the therapist's team may; admins
    never: scores are clinical data)."""
    administration = db.session.get(Administration, administration_id)
    if administration is None:
        raise NotFound(_l("No such score."))
    get_episode(user, administration.episode_id)
    return administration


def alert_for(user: User, alert_id: int) -> Alert:
    """The alert, or NotFound when it does not exist or ``user`` may not see its client."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(_l("No such alert."))
    get_episode(user, alert.episode_id)
    return alert


def handover_for(user: User, handover_id: int) -> HandOver:
    """The tablet hand-over, or NotFound when it does not exist or ``user`` may not see its
    client."""
    handover = db.session.get(HandOver, handover_id)
    if handover is None:
        raise NotFound(_l("No such hand-over."))
    get_episode(user, handover.episode_id)
    return handover


def schedule_for(user: User, schedule_id: int) -> LinkSchedule:
    """The scheduled link, or NotFound when it does not exist or ``user`` may not see its
    client."""
    schedule = db.session.get(LinkSchedule, schedule_id)
    if schedule is None:
        raise NotFound(_l("No such scheduled link."))
    get_episode(user, schedule.episode_id)
    return schedule


def therapy_session_for(user: User, session_id: int) -> TherapySession:
    """The therapy session, or NotFound when it does not exist or ``user`` may not see its
    client."""
    session = db.session.get(TherapySession, session_id)
    if session is None:
        raise NotFound(_l("No such session."))
    get_episode(user, session.episode_id)
    return session


def assignable_therapists(user: User) -> list[User]:
    """Therapists a new client may be assigned to by ``user``."""
    query = sa.select(User).where(
        User.id.in_(visible_therapist_ids(user)),
        User.role == Role.THERAPIST,
        User.active.is_(True),
    )
    return list(db.session.scalars(query.order_by(User.display_name)))
