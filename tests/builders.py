"""Builders shared by several test modules: answers, scored sessions and small scenarios.

Synthetic data only. Each builder writes through the services (except
``insert_closed_episodes``, which writes rows directly for speed), on the named world of
``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    AuditEvent,
    AuditOutcome,
    Client,
    EntryMode,
    Episode,
    EpisodeStatus,
    ReviewDecision,
    Role,
    SupervisionReview,
    TherapySession,
    User,
)
from outcome_monitor.services import accounts, care, demo, instruments, measures, supervision
from tests.conftest import PASSWORD, World

# The time the scenarios below are looked at (after their last session).
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WEEK0 = date(2026, 9, 1)  # the first session of the scenarios below
REFERENCE_START = date(2025, 1, 6)  # the opening of ``insert_closed_episodes``' episodes


def phq9(total: int, item9: int = 0) -> dict[str, float]:
    """Answers summing to ``total`` with item 9 as given (items 1-8 filled from the top)."""
    answers = {str(i): 0.0 for i in range(1, 10)}
    answers["9"] = float(item9)
    left = total - item9
    for i in range(1, 9):
        answers[str(i)] = float(min(3, left))
        left -= int(answers[str(i)])
    assert left == 0
    return answers


def srs(total: float) -> dict[str, float]:
    """Four VAS marks with one decimal that sum to ``total`` (a multiple of 0.1)."""
    tenths = round(total * 10)
    marks = [tenths // 4 + (1 if i < tenths % 4 else 0) for i in range(4)]
    return {str(i + 1): m / 10 for i, m in enumerate(marks)}


def gad7(total: int) -> dict[str, float | None]:
    return demo.spread(total, [str(i) for i in range(1, 8)], 3)


def week_date(n: int) -> date:
    return WEEK0 + timedelta(weeks=n)


def give_score(
    world: World, code: str, answers: dict[str, float], on: date
) -> measures.RecordedAdministration:
    episode = world.alices_client.current_episode
    session = care.record_session(episode=episode, session_date=on, attended=True, by=world.alice)
    return measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code=code,
        answers=answers,
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )


def mistaken_high(world: World) -> Administration:
    """PHQ-9 intake 12, then a mistyped 19: reliable deterioration and not on track (red)."""
    give_score(world, "phq9", phq9(12), week_date(0))
    return give_score(world, "phq9", phq9(19), week_date(1)).administration


def record_sessions(
    episode: Episode,
    *scores: Iterable[tuple[str, dict[str, float]]] | None,
    by: User,
    start: date = WEEK0,
) -> Episode:
    """One attended session a week from ``start`` per argument, recorded by ``by``; each gives
    the (code, answers) pairs listed in it (``None``: none)."""
    for week, given in enumerate(scores):
        session = care.record_session(
            episode=episode, session_date=start + timedelta(weeks=week), attended=True, by=by
        )
        for code, answers in given or ():
            measures.record_administration(
                episode=episode,
                session_id=session.id,
                instrument_code=code,
                answers=answers,
                entry_mode=EntryMode.THERAPIST,
                by=by,
            )
    return episode


def give(world: World, *scores: tuple[str, dict[str, float]] | None) -> Episode:
    """One attended session of Alice's client per argument (see ``record_sessions``)."""
    return record_sessions(world.alices_client.current_episode, *scores, by=world.alice)


def phq9_sessions(*totals: int) -> list[tuple[tuple[str, dict[str, float]], ...]]:
    return [(("phq9", phq9(t)),) for t in totals]


def give_session(world: World, on: date, **answers: dict) -> None:  # type: ignore[type-arg]
    """One therapy session of Alice's client with the given measures (code=answers)."""
    episode = world.alices_client.current_episode
    record_sessions(episode, tuple(answers.items()), by=world.alice, start=on)


def crisis(world: World) -> Episode:
    """Risk item, red not-on-track + reliable deterioration on PHQ-9 and GAD-7, low alliance."""
    give_session(world, WEEK0, phq9=phq9(12), gad7=gad7(8), srs=srs(38))
    give_session(
        world, WEEK0 + timedelta(weeks=1), phq9=phq9(19, item9=1), gad7=gad7(14), srs=srs(30)
    )
    episode = world.alices_client.current_episode
    assert episode is not None
    return episode


def insert_closed_episodes(
    therapist: User,
    *,
    n: int,
    code: str = "phq9",
    status: EpisodeStatus = EpisodeStatus.CLOSED,
    seed: int = 7,
) -> None:
    """Fixture rows written directly (much faster than the services): simulated episodes."""
    version = instruments.library()[code].version
    for i, sim in enumerate(simulate(preset(code), episodes=n, seed=seed)):
        client = Client(code=f"R-{status}-{seed}-{i:03d}", therapist_id=therapist.id)
        weeks = len(sim.scores)
        episode = Episode(
            client=client,
            therapist_id=therapist.id,
            opened_on=REFERENCE_START,
            status=str(status),
            closed_on=(
                None if status == EpisodeStatus.ACTIVE else REFERENCE_START + timedelta(weeks=weeks)
            ),
        )
        for number, total in enumerate(sim.scores, start=1):
            session = TherapySession(
                episode=episode, number=number, date=REFERENCE_START + timedelta(weeks=number - 1)
            )
            db.session.add(
                Administration(
                    episode=episode,
                    session=session,
                    instrument_code=code,
                    instrument_version=version,
                    answers={},
                    total=total,
                    entry_mode=EntryMode.IMPORT.value,
                )
            )
    db.session.commit()


def south_supervisor(world: World) -> User:
    sue = accounts.create_user(
        email="sue@example.test",
        display_name="Sue",
        role=Role.SUPERVISOR,
        password=PASSWORD,
        by=None,
    )
    accounts.assign_teams(user=sue, team=None, supervised=[world.south], by=world.ada)
    return sue


def new_episode(therapist: User, code: str) -> Episode:
    """A new client of ``therapist`` with an episode opened on ``WEEK0``."""
    client = care.create_client(code=code, therapist=therapist, by=therapist)
    return care.open_episode(client=client, opened_on=WEEK0, by=therapist)


def bobs_episode(world: World, code: str = "B-001") -> Episode:
    return new_episode(world.bob, code)


def review_case(world: World, episode: Episode, **changes: object) -> SupervisionReview:
    """Sam reviews ``episode`` today ('continue', no follow-up) unless ``changes`` say."""
    today = date.today()
    values: dict[str, object] = {
        "episode": episode,
        "reviewed_on": today,
        "decision": ReviewDecision.CONTINUE,
        "note": "Reviewed in supervision.",
        "follow_up_on": None,
        "by": world.sam,
        "today": today,
    } | changes
    return supervision.record_review(**values)  # type: ignore[arg-type]


def flagged_case(world: World, n: int) -> None:
    """One of Bob's clients with two PHQ-9 scores (worse: alerts), and by turns a request, a
    review with a follow-up that has come, and an acknowledgement."""
    today = date.today()
    episode = record_sessions(
        bobs_episode(world, f"B-{n:03d}"), *phq9_sessions(12, 19), by=world.bob
    )
    if n % 3 == 0:
        supervision.request_supervision(episode=episode, by=world.bob, note="", now=NOW)
    if n % 3 == 1:
        review_case(world, episode, reviewed_on=today - timedelta(days=7), follow_up_on=today)


def table_state(*, ignore: Iterable[str] = ()) -> dict[str, tuple[Any, ...]]:
    """Every table's row count (and latest ``updated_at``, where it has one), in one query.

    The audit rows of refused requests (outcome "denied", written by the read audit) are not
    counted: they record the refusal, they change nothing.
    """
    ignored = set(ignore)
    columns, names = [], []
    for table in db.metadata.sorted_tables:
        if table.name in ignored:
            continue
        names.append(table.name)
        rows = sa.select(sa.func.count()).select_from(table)
        if table is AuditEvent.__table__:
            rows = rows.where(AuditEvent.outcome != AuditOutcome.DENIED)
        columns.append(rows.scalar_subquery())
        if "updated_at" in table.c:
            columns.append(sa.select(sa.func.max(table.c.updated_at)).scalar_subquery())
        else:
            columns.append(sa.literal(None))
    row = db.session.execute(sa.select(*columns)).one()
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(names)}


@contextmanager
def unchanged(*, ignore: Iterable[str] = (), what: str = "a refused request") -> Iterator[None]:
    """Assert that the block (``what``) adds, deletes and updates no rows.

    Row counts and the latest ``updated_at`` of every table but ``ignore`` are compared.
    """
    before = table_state(ignore=ignore)
    yield
    after = table_state(ignore=ignore)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"changed by {what}: {changed}"


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """The SQL statements the block sends to the database, in order (the list grows as it runs)."""
    statements: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)


def core_queue(supervisor: User, today: date) -> list[int]:
    """The review queue of ``supervisor`` as the core tells it from the facts themselves (the
    episodes of the scope, their unresolved alerts, latest review and waiting request), most
    need first: what the database's queue must equal."""
    from outcome_monitor.core.supervision import CaseFacts, ReviewFact, case_state
    from outcome_monitor.services import alerting, feedback

    scope = supervision.reviewable_therapist_ids(supervisor)
    episodes = db.session.scalars(
        sa.select(Episode).join(Client).where(Client.therapist_id.in_(scope))
    ).all()
    keyed = []
    for episode in episodes:
        reviews, request = supervision.reviews_of(episode), supervision.open_request(episode)
        last = reviews[0] if reviews else None
        facts = CaseFacts(
            alerts=tuple(feedback.fact(a) for a in alerting.unresolved(episode)),
            last_review=ReviewFact(last.reviewed_on, last.created_at, last.follow_up_on)
            if last
            else None,
            requested_at=request.requested_at if request else None,
            active=episode.is_active,
        )
        state = case_state(facts, today=today)
        if state is not None:
            keyed.append((state.need, episode.client.code, episode.id))
    return [episode_id for *_key, episode_id in sorted(keyed)]
