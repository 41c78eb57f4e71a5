"""The case-review queue: one row per client episode a supervisor should look at.

Which cases and in what order is decided by ``core.supervision`` (unresolved alerts, a
therapist's request, a follow-up date that has come; escalated and risk first). The database
applies the same rules to every case of the user's scope, so that the filters, the order, the
counts and the page are cut in SQL (``_cases``); only the page's rows are then loaded and told
in words by the core (``case_state``, ``attention_card``). The card's facts the order needs
(escalated, level, waiting for the therapist, oldest and newest alert) and the prognosis are
the stored status's (``CaseStatus``, kept fresh by ``services.case_status`` in the transaction
of every change of an episode's alerts), never aggregated or recomputed per request.

Constant queries whatever the number of cases: one statement for the counts, the filtered
total and the page's episodes (the cases are worked out once in it, a CTE over the episodes
with a card, a waiting request or a follow-up date that has come), then for the page's
episodes one query each for the unresolved alerts (with who acknowledged them), the latest
reviews, the waiting requests and the stored statuses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.attention import LEVEL_RANK, NO_CARD_RANK, Card, Level
from outcome_monitor.core.supervision import (
    CaseFacts,
    CaseFilter,
    CaseState,
    QueueCounts,
    QueueFlag,
    ReviewFact,
    case_state,
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
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.services import access, attention, case_status, feedback, paging, supervision
from outcome_monitor.services.attention import Acknowledgement
from outcome_monitor.services.case_outlook import Outlook
from outcome_monitor.services.paging import Page
from outcome_monitor.services.sql_functions import least, utc_date


@dataclass(frozen=True)
class QueueFilters:
    """Team and therapist (ids the caller has checked against ``filter_choices``) and the
    filters on the case itself."""

    team_id: int | None = None
    therapist_id: int | None = None
    case: CaseFilter = field(default_factory=CaseFilter)


@dataclass(frozen=True, slots=True)
class CaseTherapist:
    id: int
    display_name: str
    team_id: int | None


@dataclass(frozen=True, slots=True)
class CaseClient:
    code: str
    therapist: CaseTherapist


@dataclass(frozen=True, slots=True)
class CaseEpisode:
    """What a queue row shows of the episode, its client and therapist (plain values)."""

    id: int
    client_id: int
    is_active: bool
    client: CaseClient


@dataclass(frozen=True)
class QueueRow:
    """One case: the episode (with its client and therapist), its state, the therapist's last
    acknowledgement, the latest review, the waiting request and the stored prognosis (None
    when the episode has no stored status yet)."""

    episode: CaseEpisode
    state: CaseState
    acknowledgement: Acknowledgement | None
    last_review: SupervisionReview | None
    request: SupervisionRequest | None
    outlook: Outlook | None
    can_review: bool

    @property
    def card(self) -> Card | None:
        return self.state.card


@dataclass(frozen=True)
class ReviewQueue:
    """One page of the rows the filters admit, most need first; the counts are of the whole
    queue, ``page.total`` of the rows the filters admit."""

    page: Page[QueueRow]
    counts: QueueCounts

    @property
    def rows(self) -> list[QueueRow]:
        return self.page.items


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
    page: int = 1,
    size: int = paging.PAGE_SIZE,
) -> ReviewQueue:
    """Page ``page`` of the queue of ``user`` on ``today``.

    1. Describe every case of the scope in SQL (``_cases``): in the queue or not, and the
       parts of ``CaseState.need``.
    2. In one statement (``_counts_and_page``): count the whole queue and the rows the
       filters admit, and filter, sort and cut the page, all in the database.
    3. Load the page's alerts, reviews, requests and stored statuses (one query each) and
       tell each case with ``core.supervision.case_state``.
    """
    filters = filters or QueueFilters()
    number = paging.clamp(page)
    counts, total, ids = _counts_and_page(
        _cases(_scope(user), today), filters, paging.offset_of(number, size), size
    )
    reviewer = user.role == Role.SUPERVISOR
    return ReviewQueue(Page(_rows(ids, today, reviewer), number, total, size), counts)


def _counts_and_page(
    cases: sa.CTE, filters: QueueFilters, offset: int, size: int
) -> tuple[QueueCounts, int, list[int]]:
    """The whole queue's counts, the number of cases the filters admit and the page's
    episodes in order, in one statement: the counts' one row joined to the page's rows (a
    row with no episode when the page is empty). The cases are a materialized CTE, worked out
    once for the three instead of once each."""
    conditions = _conditions(cases, filters)
    admitted = sa.and_(*conditions) if conditions else sa.true()
    totals = sa.select(
        sa.func.count().label("cases"),
        sa.func.sum(cases.c.escalated).label("escalated"),
        sa.func.sum(cases.c.not_yet_reviewed).label("not_yet_reviewed"),
        sa.func.sum(cases.c.follow_up_due).label("follow_up_due"),
        sa.func.sum(cases.c.requested).label("requested"),
        sa.func.sum(_as_int(admitted)).label("admitted"),
    ).subquery("totals")
    order = (
        cases.c.escalated.desc(),
        cases.c.risk.desc(),
        cases.c.waiting.desc(),
        cases.c.card_open.desc(),
        cases.c.level,
        cases.c.since,
        cases.c.client_code,
        cases.c.episode_id,
    )
    position = sa.func.row_number().over(order_by=order).label("position")
    chosen = (
        sa.select(cases.c.episode_id, position)
        .where(*conditions)
        .order_by(*order)
        .limit(size)
        .offset(offset)
        .subquery("chosen")
    )
    rows = db.session.execute(
        sa.select(totals, chosen.c.episode_id)
        .select_from(totals.outerjoin(chosen, sa.true()))
        .order_by(chosen.c.position)
    ).all()
    first = rows[0]
    counts = QueueCounts(*(int(value or 0) for value in first[:5]))  # totals' order
    ids = [row.episode_id for row in rows if row.episode_id is not None]
    return counts, int(first.admitted or 0), ids


# ---- the cases in SQL ---------------------------------------------------------------------

NO_DATE = date(9999, 12, 31)


# The latest review (by date, then by recording) of an episode: an alias of the reviews and
# the condition that no later review of the same episode exists (an index probe per case on
# ``ix_supervision_review_latest``, however many reviews the service holds). Made once: an
# alias is a mapped class of its own, costly to build on every request.
LATEST_REVIEW = so.aliased(SupervisionReview, name="latest_review")
_LATER_REVIEW = so.aliased(SupervisionReview, name="later_review")
NO_LATER_REVIEW = ~sa.exists().where(
    _LATER_REVIEW.episode_id == LATEST_REVIEW.episode_id,
    sa.tuple_(_LATER_REVIEW.reviewed_on, _LATER_REVIEW.id)
    > sa.tuple_(LATEST_REVIEW.reviewed_on, LATEST_REVIEW.id),
)


def _waiting_request() -> sa.Subquery:
    """The open request of each episode (at most one: a partial unique index)."""
    return (
        sa.select(SupervisionRequest.episode_id, SupervisionRequest.requested_at)
        .where(SupervisionRequest.review_id.is_(None))
        .subquery("waiting_request")
    )


def _cases(scope: sa.Select[int], today: date) -> sa.CTE:
    """Every case of the scope that is in the queue, with the parts of ``CaseState.need``
    and the filters' columns, as ``core.supervision.case_state`` decides them (a CTE that
    the database works out once, however often the statement reads it). The card's facts
    are the stored status's (``CaseStatus``: escalated, level, open, oldest and newest alert,
    rewritten with every change of the episode's alerts), not an aggregate of the alerts.

    Two parts, one after the other (UNION ALL, never the same episode twice): the episodes
    with a card, read from the stored statuses' ``card_level`` (index
    ``ix_case_status_card_level``), and those without one that a waiting request or a
    follow-up date that has come brings in (few). Starting from the stored statuses rather
    than from a union of candidate ids took about 15 % off the statement's time at the
    benchmark's size (docs/performance.md)."""
    latest, no_later = LATEST_REVIEW, NO_LATER_REVIEW
    request = _waiting_request()
    card = CaseStatus
    active = Episode.status == EpisodeStatus.ACTIVE
    has_card = sa.func.coalesce(card.card_level, NO_CARD_RANK) < NO_CARD_RANK
    requested = sa.and_(active, request.c.requested_at.is_not(None))
    follow_up_due = sa.and_(active, latest.follow_up_on <= today)
    new_reasons = sa.and_(
        has_card, sa.or_(latest.episode_id.is_(None), card.newest_open_at > latest.created_at)
    )
    not_yet_reviewed = sa.or_(new_reasons, requested)
    since = least(
        sa.case((has_card, utc_date(card.oldest_open_at)), else_=NO_DATE),
        sa.case((requested, utc_date(request.c.requested_at)), else_=NO_DATE),
        sa.case((follow_up_due, latest.follow_up_on), else_=NO_DATE),
    )
    columns = (
        Episode.id.label("episode_id"),
        Client.code.label("client_code"),
        Client.therapist_id,
        User.team_id,
        _as_int(sa.and_(has_card, card.card_escalated)).label("escalated"),
        _as_int(card.card_level == LEVEL_RANK[Level.RISK]).label("risk"),
        _as_int(sa.or_(not_yet_reviewed, follow_up_due)).label("waiting"),
        _as_int(sa.and_(has_card, card.open_alerts > 0)).label("card_open"),
        sa.func.coalesce(card.card_level, NO_CARD_RANK).label("level"),
        since.label("since"),
        _as_int(not_yet_reviewed).label("not_yet_reviewed"),
        _as_int(requested).label("requested"),
        _as_int(follow_up_due).label("follow_up_due"),
    )

    def described(query: sa.Select[Any]) -> sa.Select[Any]:
        return (
            query.join(Client, Episode.client_id == Client.id)
            .join(User, Client.therapist_id == User.id)
            .outerjoin(latest, sa.and_(latest.episode_id == Episode.id, no_later))
            .outerjoin(request, request.c.episode_id == Episode.id)
            .where(Client.therapist_id.in_(scope))
        )

    with_card = described(
        sa.select(*columns)
        .select_from(card)
        .join(Episode, Episode.id == card.episode_id)
        .where(card.card_level < NO_CARD_RANK)
    )
    brought = sa.union(
        sa.select(SupervisionRequest.episode_id.label("episode_id")).where(
            SupervisionRequest.review_id.is_(None)
        ),
        sa.select(SupervisionReview.episode_id).where(SupervisionReview.follow_up_on <= today),
    ).subquery("brought")
    without_card = described(
        sa.select(*columns)
        .select_from(brought)
        .join(Episode, Episode.id == brought.c.episode_id)
        .outerjoin(card, card.episode_id == Episode.id)
        .where(sa.not_(has_card), sa.or_(requested, follow_up_due))
    )
    return sa.union_all(with_card, without_card).cte("cases").prefix_with("MATERIALIZED")


def _as_int(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """1 or 0 (never NULL): sortable and summable the same way on both databases."""
    return sa.case((condition, 1), else_=0)


def _conditions(cases: sa.CTE, filters: QueueFilters) -> list[sa.ColumnElement[bool]]:
    """The filters as SQL conditions on ``_cases`` (``CaseFilter.admits`` in the database)."""
    found: list[sa.ColumnElement[bool]] = []
    if filters.team_id is not None:
        found.append(cases.c.team_id == filters.team_id)
    if filters.therapist_id is not None:
        found.append(cases.c.therapist_id == filters.therapist_id)
    case = filters.case
    if case.escalated_only:
        found.append(cases.c.escalated == 1)
    if case.not_reviewed_only:
        found.append(cases.c.not_yet_reviewed == 1)
    if case.reason == QueueFlag.REQUESTED:
        found.append(cases.c.requested == 1)
    elif case.reason == QueueFlag.FOLLOW_UP_DUE:
        found.append(cases.c.follow_up_due == 1)
    elif case.reason is not None:
        found.append(
            sa.exists().where(
                Alert.episode_id == cases.c.episode_id,
                Alert.type == case.reason,
                Alert.status != AlertStatus.RESOLVED,
            )
        )
    return found


# ---- the page's rows ----------------------------------------------------------------------


def _rows(episode_ids: list[int], today: date, reviewer: bool) -> list[QueueRow]:
    """The page's cases in the order given, told by the core from their loaded facts."""
    episodes = _episodes(episode_ids)
    alerts = _unresolved_alerts(episode_ids)
    reviews = _latest_reviews(episode_ids)
    requests = _waiting_requests(episode_ids)
    prognoses = _prognoses(episode_ids)
    rows = []
    for episode_id in episode_ids:
        episode = episodes[episode_id]
        facts = _facts(episode, alerts, reviews, requests)
        state = case_state(facts, today=today)
        if state is None:  # changed between the page query and this one: not in the queue now
            continue
        rows.append(
            QueueRow(
                episode=episode,
                state=state,
                acknowledgement=attention._last_acknowledgement(alerts.get(episode_id, [])),
                last_review=reviews.get(episode_id),
                request=requests.get(episode_id),
                outlook=case_status.outlook_of(prognoses.get(episode_id)),
                can_review=reviewer,
            )
        )
    return rows


def _facts(
    episode: CaseEpisode,
    alerts: dict[int, list[Alert]],
    reviews: dict[int, SupervisionReview],
    requests: dict[int, SupervisionRequest],
) -> CaseFacts:
    review = reviews.get(episode.id)
    request = requests.get(episode.id)
    return CaseFacts(
        alerts=tuple(feedback.fact(a) for a in alerts.get(episode.id, [])),
        last_review=ReviewFact(review.reviewed_on, review.created_at, review.follow_up_on)
        if review
        else None,
        requested_at=request.requested_at if request else None,
        active=episode.is_active,
    )


def _episodes(episode_ids: list[int]) -> dict[int, CaseEpisode]:
    """The page's episodes with their client and therapist, as plain values (no ORM objects
    for the session to track and the read audit to let go of)."""
    rows = db.session.execute(
        sa.select(
            Episode.id,
            Episode.client_id,
            Episode.status,
            Client.code,
            User.id.label("therapist_id"),
            User.display_name,
            User.team_id,
        )
        .join(Client, Episode.client_id == Client.id)
        .join(User, Client.therapist_id == User.id)
        .where(Episode.id.in_(episode_ids))
    )
    return {
        row.id: CaseEpisode(
            id=row.id,
            client_id=row.client_id,
            is_active=row.status == EpisodeStatus.ACTIVE,
            client=CaseClient(
                code=row.code,
                therapist=CaseTherapist(row.therapist_id, row.display_name, row.team_id),
            ),
        )
        for row in rows
    }


def _unresolved_alerts(episode_ids: list[int]) -> dict[int, list[Alert]]:
    rows = db.session.scalars(
        sa.select(Alert)
        .where(Alert.episode_id.in_(episode_ids), Alert.status != AlertStatus.RESOLVED)
        .options(so.joinedload(Alert.acknowledged_by))
        .order_by(Alert.opened_at, Alert.id)
    )
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for alert in rows:
        grouped[alert.episode_id].append(alert)
    return grouped


def _latest_reviews(episode_ids: list[int]) -> dict[int, SupervisionReview]:
    """The latest review (by date, then by recording) of each episode, in one query."""
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
        .where(SupervisionReview.episode_id.in_(episode_ids))
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(SupervisionReview)
        .join(ranked, ranked.c.id == SupervisionReview.id)
        .where(ranked.c.rank == 1)
        .options(so.joinedload(SupervisionReview.reviewer))
    )
    return {review.episode_id: review for review in rows}


def _waiting_requests(episode_ids: list[int]) -> dict[int, SupervisionRequest]:
    rows = db.session.scalars(
        sa.select(SupervisionRequest)
        .where(
            SupervisionRequest.episode_id.in_(episode_ids),
            SupervisionRequest.review_id.is_(None),
        )
        .options(so.joinedload(SupervisionRequest.requested_by))
    )
    return {request.episode_id: request for request in rows}


def _prognoses(episode_ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """The stored prognosis of each of the page's episodes that has a stored status."""
    rows = db.session.execute(
        sa.select(CaseStatus.episode_id, CaseStatus.prognosis).where(
            CaseStatus.episode_id.in_(episode_ids)
        )
    )
    return {row.episode_id: row.prognosis for row in rows}
