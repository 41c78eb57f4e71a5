"""The refit reads its reference data in one streamed query (issue 12) and numbers it exactly
as the per-episode path (``feedback.episode_administrations`` + ``feedback.history``) does."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from outcome_monitor.core.trajectories import ReferenceEpisode
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, Episode, EpisodeStatus
from outcome_monitor.services import feedback, instruments, refit
from tests.builders import count_statements, insert_closed_episodes
from tests.conftest import World


def _per_episode(code: str) -> list[ReferenceEpisode]:
    """The reference data as the refit read it before issue 12: one query per episode."""
    episodes = db.session.scalars(
        sa.select(Episode)
        .where(Episode.status.in_(["closed", "dropped_out"]))
        .order_by(Episode.id)
    )
    reference = []
    for episode in episodes:
        points = feedback.history(feedback.episode_administrations(episode, code))
        if points:
            reference.append(
                ReferenceEpisode(
                    sessions=tuple(p.session for p in points),
                    scores=tuple(p.score for p in points),
                )
            )
    return reference


def _statements(call) -> int:  # type: ignore[no-untyped-def]
    with count_statements() as seen:
        call()
    return len(seen)


def test_streamed_reference_data_equals_the_per_episode_histories(world: World) -> None:
    insert_closed_episodes(world.alice, n=12, status=EpisodeStatus.CLOSED, seed=1)
    insert_closed_episodes(world.alice, n=6, status=EpisodeStatus.DROPPED_OUT, seed=2)
    insert_closed_episodes(world.alice, n=5, status=EpisodeStatus.ACTIVE, seed=3)
    episodes = db.session.scalars(
        sa.select(Episode).where(Episode.status == EpisodeStatus.CLOSED).order_by(Episode.id)
    ).all()
    version = instruments.library()["phq9"].version
    # A score given outside a session follows the previous point; a voided one never counts.
    db.session.add(
        Administration(
            episode=episodes[0], session=None, instrument_code="phq9",
            instrument_version=version, answers={}, total=4.0,
            entry_mode=EntryMode.IMPORT.value, created_at=datetime(2025, 6, 2, tzinfo=UTC),
        )
    )  # fmt: skip
    voided = db.session.scalars(
        sa.select(Administration).where(Administration.episode_id == episodes[1].id)
    ).first()
    assert voided is not None
    voided.voided_at = datetime(2025, 7, 1, tzinfo=UTC)
    db.session.commit()

    streamed = refit.reference_episodes("phq9")

    assert streamed == _per_episode("phq9")
    assert len(streamed) == 18
    assert refit.reference_episodes("gad7") == []


def test_reference_data_takes_the_same_queries_for_few_and_many_episodes(world: World) -> None:
    insert_closed_episodes(world.alice, n=3, seed=4)
    few = _statements(lambda: refit.reference_episodes("phq9"))
    insert_closed_episodes(world.alice, n=40, seed=5)
    assert _statements(lambda: refit.reference_episodes("phq9")) == few
