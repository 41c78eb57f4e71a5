"""Supervision of a case: reviews by a supervisor of the client's team, and therapists'
requests to take a case to supervision.

Who may do what:

* record a review: a supervisor of the team of the client's therapist, nobody else (a
  therapist, an admin and a supervisor of another team get NotFound, as for a missing case);
* read the reviews: whoever may see the client (its therapist and the team's supervisors;
  admins see no client data);
* ask for supervision: whoever may see the client (the view loads the episode through
  ``access``). At most one request waits per episode; a review answers every waiting request.

Every review and request writes an audit row in the same transaction; one commit per use-case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Client,
    Episode,
    RequestSource,
    ReviewDecision,
    Role,
    SupervisionRequest,
    SupervisionReview,
    User,
    team_supervisor,
)
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.audit import record

NOTE_MAX = 4000


def supervised_team_ids(user: User) -> sa.Select[int]:
    """The teams ``user`` supervises (none unless a supervisor)."""
    if user.role != Role.SUPERVISOR:
        return sa.select(team_supervisor.c.team_id).where(sa.false())
    return sa.select(team_supervisor.c.team_id).where(team_supervisor.c.user_id == user.id)


def reviewable_therapist_ids(user: User) -> sa.Select[int]:
    """The therapists whose clients' cases ``user`` may review: members of the teams they
    supervise (a supervisor's own caseload outside those teams is not theirs to review)."""
    return sa.select(User.id).where(User.team_id.in_(supervised_team_ids(user)))


def get_reviewable_episode(user: User, episode_id: int) -> Episode:
    """The episode, or NotFound unless ``user`` supervises the team of its client's therapist."""
    episode = db.session.scalar(
        sa.select(Episode)
        .join(Client, Episode.client_id == Client.id)
        .where(Episode.id == episode_id, Client.therapist_id.in_(reviewable_therapist_ids(user)))
    )
    if episode is None:
        raise NotFound(_l("No such episode."))
    return episode


def can_review(user: User, episode: Episode) -> bool:
    """Whether ``user`` may review ``episode``: only a supervisor of the team of its client's
    therapist (no query for anyone else: nobody else supervises a team)."""
    if user.role != Role.SUPERVISOR:
        return False
    try:
        return get_reviewable_episode(user, episode.id) is episode
    except NotFound:
        return False


def record_review(
    *,
    episode: Episode,
    reviewed_on: date,
    decision: ReviewDecision | str,
    note: str,
    follow_up_on: date | None,
    by: User,
    today: date,
) -> SupervisionReview:
    """Record a supervision review of ``episode`` and answer every waiting request.

    1. Check the reviewer supervises the client's team (NotFound otherwise) and the values:
       a known decision, a note, a date neither in the future nor before the episode opened,
       a follow-up date not before the review date.
    2. Add the review; link every waiting request of the episode to it.
    3. Audit; commit once.
    """
    if not can_review(by, episode):
        raise NotFound(_l("No such episode."))
    chosen = _decision(decision)
    text = _checked(episode=episode, reviewed_on=reviewed_on, note=note, today=today)
    if follow_up_on is not None and follow_up_on < reviewed_on:
        raise ServiceError(_l("The follow-up date cannot be before the review date."))
    review = SupervisionReview(
        episode=episode,
        reviewer=by,
        reviewed_on=reviewed_on,
        decision=chosen,
        note=text,
        follow_up_on=follow_up_on,
    )
    db.session.add(review)
    db.session.flush()
    answered = _answer_requests(episode, review)
    record(
        by=by,
        action="supervision.review",
        obj=review,
        details={
            "episode_id": episode.id,
            "reviewed_on": reviewed_on.isoformat(),
            "decision": str(chosen),
            "note": text,
            "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
            "answered_requests": answered,
        },
    )
    db.session.commit()
    return review


def _decision(value: ReviewDecision | str) -> ReviewDecision:
    try:
        return ReviewDecision(value)
    except ValueError:
        raise ServiceError(_l("Choose one of the decisions.")) from None


def _checked(*, episode: Episode, reviewed_on: date, note: str, today: date) -> str:
    text = note.strip()
    if not text:
        raise ServiceError(_l("Write a note: what was discussed and why this decision."))
    if len(text) > NOTE_MAX:
        raise ServiceError(_l("The note is too long (at most %(n)s characters).", n=NOTE_MAX))
    if reviewed_on > today:
        raise ServiceError(_l("The review date cannot be in the future."))
    if reviewed_on < episode.opened_on:
        raise ServiceError(_l("The review date cannot be before the episode opened."))
    return text


def _answer_requests(episode: Episode, review: SupervisionReview) -> list[int]:
    waiting = db.session.scalars(
        sa.select(SupervisionRequest).where(
            SupervisionRequest.episode_id == episode.id, SupervisionRequest.review_id.is_(None)
        )
    ).all()
    for request in waiting:
        request.review_id = review.id
    return [r.id for r in waiting]


def open_request(episode: Episode) -> SupervisionRequest | None:
    """The request waiting for a review, if any."""
    return db.session.scalar(
        sa.select(SupervisionRequest)
        .where(SupervisionRequest.episode_id == episode.id, SupervisionRequest.review_id.is_(None))
        .options(so.joinedload(SupervisionRequest.requested_by))
    )


def flag_for_supervision(
    *, episode: Episode, by: User, source: RequestSource, note: str | None, now: datetime
) -> SupervisionRequest | None:
    """Mark ``episode`` as wanting supervision inside the caller's transaction (no commit).

    Returns the new request, or None when one is already waiting (nothing is added). The
    attention card's "take to supervision" (active episodes only) and the client page's
    button both come here.
    """
    if open_request(episode) is not None:
        return None
    request = SupervisionRequest(
        episode=episode,
        requested_by=by,
        requested_at=now,
        source=source,
        note=(note or "").strip()[:NOTE_MAX] or None,
    )
    db.session.add(request)
    db.session.flush()
    record(
        by=by,
        action="supervision.request",
        obj=request,
        details={"episode_id": episode.id, "source": str(source), "note": request.note},
    )
    return request


def request_supervision(
    *, episode: Episode, by: User, note: str, now: datetime
) -> SupervisionRequest:
    """The "Ask for supervision" button: flag the case; refused when the episode is closed or
    a request already waits."""
    if not episode.is_active:
        raise ServiceError(_l("This episode is closed."))
    request = flag_for_supervision(
        episode=episode, by=by, source=RequestSource.BUTTON, note=note, now=now
    )
    if request is None:
        raise ServiceError(
            _l("Supervision has already been asked for; the case is in the supervisor's queue.")
        )
    db.session.commit()
    return request


def reviews_of(episode: Episode) -> list[SupervisionReview]:
    """The episode's reviews, latest first, with their reviewers."""
    return list(
        db.session.scalars(
            sa.select(SupervisionReview)
            .where(SupervisionReview.episode_id == episode.id)
            .options(so.joinedload(SupervisionReview.reviewer))
            .order_by(SupervisionReview.reviewed_on.desc(), SupervisionReview.id.desc())
        )
    )


@dataclass(frozen=True)
class SupervisionPanel:
    """What the client page's "Supervision" panel shows to ``user``."""

    reviews: list[SupervisionReview]
    waiting: SupervisionRequest | None
    can_review: bool

    @property
    def can_request(self) -> bool:
        return not self.can_review and self.waiting is None


def panel(user: User, episode: Episode) -> SupervisionPanel:
    """The panel of an episode ``user`` may already see (the view has authorised it)."""
    return SupervisionPanel(reviews_of(episode), open_request(episode), can_review(user, episode))
