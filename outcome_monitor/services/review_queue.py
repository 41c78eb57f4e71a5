"""The case-review queue: one row per client episode a supervisor should look at.

Which cases and in what order is decided by ``core.supervision`` (unresolved alerts, a
therapist's request, a follow-up date that has come; escalated and risk first). This module
loads the facts for every case of the user's scope and hands them over.

Constant queries whatever the number of rows: the unresolved alerts (with episode, client and
therapist, plus one IN query for who acknowledged them), the latest review per episode, the
waiting requests, and the prognoses (``services.case_outlook``: one query for the
administrations, and per outcome measure one for the model and one for the thresholds).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.attention import Card
from outcome_monitor.core.supervision import (
    CaseFacts,
    CaseFilter,
    CaseState,
    QueueCounts,
    ReviewFact,
    case_state,
    queue_counts,
)
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    AlertStatus,
    Client,
    Episode,
    EpisodeStatus,
    Role,
    SupervisionRequest,
    SupervisionReview,
    Team,
    User,
)
from outcome_monitor.services import access, attention, supervision
from outcome_monitor.services.attention import Acknowledgement
from outcome_monitor.services.case_outlook import Outlook, outlooks
from outcome_monitor.services.settings import ServiceSettings, get_settings


@dataclass(frozen=True)
class QueueFilters:
    """Team and therapist (ids the caller has checked against ``filter_choices``) and the
    filters on the case itself."""

    team_id: int | None = None
    therapist_id: int | None = None
    case: CaseFilter = field(default_factory=CaseFilter)

    def admits(self, episode: Episode, state: CaseState) -> bool:
        therapist = episode.client.therapist
        if self.therapist_id is not None and therapist.id != self.therapist_id:
            return False
        if self.team_id is not None and therapist.team_id != self.team_id:
            return False
        return self.case.admits(state)


@dataclass(frozen=True)
class QueueRow:
    """One case: the episode (client and therapist loaded), its state, the therapist's last
    acknowledgement, the latest review, the waiting request and the prognosis."""

    episode: Episode
    state: CaseState
    acknowledgement: Acknowledgement | None
    last_review: SupervisionReview | None
    request: SupervisionRequest | None
    outlook: Outlook
    can_review: bool

    @property
    def card(self) -> Card | None:
        return self.state.card


@dataclass(frozen=True)
class ReviewQueue:
    """The rows the filters admit, most need first; the counts are of the whole queue."""

    rows: list[QueueRow]
    counts: QueueCounts


@dataclass(frozen=True)
class FilterChoices:
    teams: list[Team]
    therapists: list[User]


def filter_choices(user: User) -> FilterChoices:
    """The teams a supervisor supervises and the members of those teams (nothing for others)."""
    teams = db.session.scalars(
        sa.select(Team)
        .where(Team.id.in_(supervision.supervised_team_ids(user)))
        .order_by(Team.name)
    ).all()
    therapists = db.session.scalars(
        sa.select(User)
        .where(User.id.in_(supervision.reviewable_therapist_ids(user)))
        .order_by(User.display_name, User.id)
    ).all()
    return FilterChoices(list(teams), list(therapists))


def _scope(user: User) -> sa.Select[int]:
    """Whose clients: a supervisor's teams; a therapist's own clients; nobody for an admin."""
    if user.role == Role.SUPERVISOR:
        return supervision.reviewable_therapist_ids(user)
    return access.visible_therapist_ids(user)


def review_queue(
    user: User,
    *,
    today: date,
    filters: QueueFilters | None = None,
    current: ServiceSettings | None = None,
) -> ReviewQueue:
    """The queue of ``user`` on ``today``.

    1. Load the unresolved alerts, latest reviews and waiting requests of the scope.
    2. Decide each case's state (``core.supervision.case_state``); drop cases not in the queue.
    3. Count the whole queue; keep the rows the filters admit; load their prognoses; sort.
    """
    filters = filters or QueueFilters()
    scope = _scope(user)
    alerts = _unresolved_alerts(scope)
    reviews = _latest_reviews(scope)
    requests = _waiting_requests(scope)
    episodes = _episodes(alerts, reviews, requests)
    states = {}
    for episode_id, episode in episodes.items():
        state = case_state(_facts(episode, alerts, reviews, requests), today=today)
        if state is not None:
            states[episode_id] = state
    counts = queue_counts(states.values())
    shown = [i for i, s in states.items() if filters.admits(episodes[i], s)]
    prognoses = outlooks([episodes[i] for i in shown], current or get_settings())
    reviewer = user.role == Role.SUPERVISOR
    rows = [
        QueueRow(
            episode=episodes[i],
            state=states[i],
            acknowledgement=attention._last_acknowledgement(alerts.get(i, [])),
            last_review=reviews.get(i),
            request=requests.get(i),
            outlook=prognoses[i],
            can_review=reviewer,
        )
        for i in shown
    ]
    rows.sort(key=lambda row: (row.state.need, row.episode.client.code))
    return ReviewQueue(rows, counts)


def _facts(
    episode: Episode,
    alerts: dict[int, list[Alert]],
    reviews: dict[int, SupervisionReview],
    requests: dict[int, SupervisionRequest],
) -> CaseFacts:
    review = reviews.get(episode.id)
    request = requests.get(episode.id)
    return CaseFacts(
        alerts=tuple(attention.fact(a) for a in alerts.get(episode.id, [])),
        last_review=ReviewFact(review.reviewed_on, review.created_at, review.follow_up_on)
        if review
        else None,
        requested_at=request.requested_at if request else None,
        active=episode.is_active,
    )


def _episodes(
    alerts: dict[int, list[Alert]],
    reviews: dict[int, SupervisionReview],
    requests: dict[int, SupervisionRequest],
) -> dict[int, Episode]:
    """Every episode met in the loaded rows (the same objects, from the identity map)."""
    found = {episode_id: group[0].episode for episode_id, group in alerts.items()}
    rows: list[SupervisionReview | SupervisionRequest] = [*reviews.values(), *requests.values()]
    for row in rows:
        found.setdefault(row.episode_id, row.episode)
    return found


def _in_scope(scope: sa.Select[int]) -> sa.ColumnElement[bool]:
    return Client.therapist_id.in_(scope)


def _unresolved_alerts(scope: sa.Select[int]) -> dict[int, list[Alert]]:
    rows = db.session.scalars(
        sa.select(Alert)
        .join(Episode, Alert.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(_in_scope(scope), Alert.status != AlertStatus.RESOLVED)
        .options(
            so.contains_eager(Alert.episode)
            .contains_eager(Episode.client)
            .joinedload(Client.therapist),
            so.selectinload(Alert.acknowledged_by),
        )
        .order_by(Alert.opened_at, Alert.id)
    )
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for alert in rows:
        grouped[alert.episode_id].append(alert)
    return grouped


def _latest_reviews(scope: sa.Select[int]) -> dict[int, SupervisionReview]:
    """The latest review (by date, then by recording) of every episode that is active or has
    unresolved alerts, in one query (a window function)."""
    flagged = sa.select(Alert.episode_id).where(Alert.status != AlertStatus.RESOLVED)
    rank = (
        sa.func.row_number()
        .over(
            partition_by=SupervisionReview.episode_id,
            order_by=(SupervisionReview.reviewed_on.desc(), SupervisionReview.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(SupervisionReview.id, rank)
        .join(Episode, SupervisionReview.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(
            _in_scope(scope),
            sa.or_(Episode.status == EpisodeStatus.ACTIVE, Episode.id.in_(flagged)),
        )
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(SupervisionReview)
        .join(ranked, ranked.c.id == SupervisionReview.id)
        .where(ranked.c.rank == 1)
        .options(
            so.joinedload(SupervisionReview.episode)
            .joinedload(Episode.client)
            .joinedload(Client.therapist),
            so.joinedload(SupervisionReview.reviewer),
        )
    )
    return {review.episode_id: review for review in rows}


def _waiting_requests(scope: sa.Select[int]) -> dict[int, SupervisionRequest]:
    rows = db.session.scalars(
        sa.select(SupervisionRequest)
        .join(Episode, SupervisionRequest.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(
            _in_scope(scope),
            SupervisionRequest.review_id.is_(None),
            Episode.status == EpisodeStatus.ACTIVE,
        )
        .options(
            so.contains_eager(SupervisionRequest.episode)
            .contains_eager(Episode.client)
            .joinedload(Client.therapist),
            so.joinedload(SupervisionRequest.requested_by),
        )
    )
    return {request.episode_id: request for request in rows}
