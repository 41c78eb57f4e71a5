"""Clients, episodes of care and sessions."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Client, Episode, EpisodeStatus, Role, TherapySession, User
from outcome_monitor.models.link_schedule import EPISODE_CLOSED, LinkSchedule, ScheduleState
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, alert_batches, case_status
from outcome_monitor.services.access import UserId, therapists_visible_to
from outcome_monitor.services.audit import record

CLOSING_STATUSES = (EpisodeStatus.CLOSED, EpisodeStatus.DROPPED_OUT)


def create_client(
    *,
    code: str,
    therapist: User,
    by: User,
    birth_year: int | None = None,
    gender: str | None = None,
    preferred_language: str | None = None,
    preferences: str | None = None,
) -> Client:
    code = code.strip().upper()
    if not code:
        raise ServiceError(_l("A client needs a code."))
    if therapist.role != Role.THERAPIST:
        raise ServiceError(_l("Clients are assigned to therapists."))
    if db.session.scalar(sa.select(Client.id).where(Client.code == code)):
        raise ServiceError(_l("The client code %(code)s is already in use.", code=code))
    client = Client(
        code=code,
        therapist=therapist,
        birth_year=birth_year,
        gender=gender or None,
        preferred_language=preferred_language or None,
        preferences=preferences or None,
    )
    db.session.add(client)
    record(by=by, action="client.create", obj=client, details={"code": code})
    db.session.commit()
    return client


def open_episode(*, client: Client, opened_on: date, by: User) -> Episode:
    if client.current_episode is not None:
        raise ServiceError(_l("This client already has an active episode; close it first."))
    episode = Episode(client=client, therapist_id=client.therapist_id, opened_on=opened_on)
    db.session.add(episode)
    record(by=by, action="episode.open", obj=episode, details={"opened_on": str(opened_on)})
    case_status.refresh(episode)
    db.session.commit()
    return episode


def close_episode(
    *, episode: Episode, closed_on: date, status: EpisodeStatus, reason: str, by: User
) -> None:
    if not episode.is_active:
        raise ServiceError(_l("This episode is already closed."))
    if EpisodeStatus(status) not in CLOSING_STATUSES:
        raise ServiceError(_l("An episode closes as 'closed' or 'dropped_out'."))
    if closed_on < episode.opened_on:
        raise ServiceError(_l("An episode cannot close before it opened."))
    episode.status = EpisodeStatus(status)
    episode.closed_on = closed_on
    episode.closing_reason = reason.strip() or None
    cancelled = _cancel_pending_links(episode)
    resolved = alert_batches.resolve_on_closure(episode=episode, by=by, now=utcnow())
    record(
        by=by,
        action="episode.close",
        obj=episode,
        details={
            "status": episode.status,
            "closed_on": str(closed_on),
            "reason": reason,
            "scheduled_links_cancelled": cancelled,
            "alerts_resolved": resolved,
        },
    )
    case_status.refresh(episode)
    db.session.commit()


def _cancel_pending_links(episode: Episode) -> int:
    """Scheduled links die with the episode, and so do the client addresses kept for them."""
    result = db.session.execute(
        sa.update(LinkSchedule)
        .where(LinkSchedule.episode_id == episode.id, LinkSchedule.processed_at.is_(None))
        .values(
            processed_at=utcnow(),
            email=None,
            state=ScheduleState.CANCELLED,
            reason=EPISODE_CLOSED,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult[Any], result).rowcount


def record_session(
    *, episode: Episode, session_date: date, attended: bool, by: User
) -> TherapySession:
    if not episode.is_active:
        raise ServiceError(_l("Sessions can only be added to an active episode."))
    if session_date < episode.opened_on:
        raise ServiceError(_l("A session cannot be before the episode opened."))
    number = _next_number(episode)
    session = TherapySession(episode=episode, number=number, date=session_date, attended=attended)
    try:
        db.session.add(session)
        record(
            by=by,
            action="session.record",
            obj=session,
            details={"episode": episode.id, "number": number, "attended": attended},
        )
        db.session.commit()
    except sa.exc.IntegrityError as error:
        # Two sessions of one episode saved at the same moment (a double click, two people):
        # the later one loses at the unique (episode, number) index. Nothing of it is kept.
        # Another failed constraint is not that race: it is raised as it is.
        db.session.rollback()
        if not _number_taken(episode, number):
            raise error
        raise ServiceError(
            _l(
                "Another session of this episode was being saved at the same moment, so this "
                "one was not saved. Check the sessions listed and record it again if it is "
                "missing."
            )
        ) from None
    return session


def _next_number(episode: Episode) -> int:
    """The number of a new session of ``episode``: one more than the highest."""
    highest = db.session.scalar(
        sa.select(sa.func.max(TherapySession.number)).where(TherapySession.episode_id == episode.id)
    )
    return 1 + (highest or 0)


def _number_taken(episode: Episode, number: int) -> bool:
    """Whether a session of ``episode`` already holds ``number`` (as another save committed)."""
    return (
        db.session.scalar(
            sa.select(TherapySession.id).where(
                TherapySession.episode_id == episode.id, TherapySession.number == number
            )
        )
        is not None
    )


def in_active_scope(user: User) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions, on ``Episode`` joined to its ``Client``, that make an episode one of
    ``user``'s caseload rows: active, and a client ``user`` may see.

    Put straight on a query that joins the two (the caseload's page) rather than as
    ``Episode.id IN (active_episodes_in_scope)``: PostgreSQL then walks the therapist's clients
    by index instead of scanning every active episode for the semi-join.
    """
    return in_active_scope_of(user.role, user.id)


def in_active_scope_of(role: Role, user_id: UserId) -> tuple[sa.ColumnElement[bool], ...]:
    """``in_active_scope`` for the user ``user_id`` of ``role`` (an id or a bound parameter)."""
    return (
        Episode.status == EpisodeStatus.ACTIVE,
        Client.therapist_id.in_(therapists_visible_to(role, user_id)),
    )


def active_episodes_in_scope(user: User) -> sa.Select[int]:
    """The ids of the active episodes of the clients ``user`` may see (the caseload's rows)."""
    return active_episodes_in_scope_of(user.role, user.id)


def active_episodes_in_scope_of(role: Role, user_id: UserId) -> sa.Select[int]:
    """``active_episodes_in_scope`` for the user ``user_id`` of ``role``."""
    return (
        sa.select(Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(*in_active_scope_of(role, user_id))
    )


def session_stats(
    episode_ids: sa.Select[int] | list[int],
) -> sa.Select[int, date, int]:
    """Per episode of ``episode_ids``: the date of its last session and how many it had (one
    grouped statement over those episodes only, never the whole service)."""
    return (
        sa.select(
            TherapySession.episode_id,
            sa.func.max(TherapySession.date).label("last"),
            sa.func.count(TherapySession.id).label("n"),
        )
        .where(TherapySession.episode_id.in_(episode_ids))
        .group_by(TherapySession.episode_id)
    )
