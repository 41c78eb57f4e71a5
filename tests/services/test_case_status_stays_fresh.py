"""ADR 13: after every use-case commits, each episode's stored status (``CaseStatus``) equals
what a fresh ``case_status.refresh_many`` computes, and the review queue, which reads the
card's facts from it, lists exactly the cases ``core.supervision.case_state`` finds in the
alerts, reviews and requests themselves (synthetic data only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Client, Episode, EpisodeStatus
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import (
    alerting,
    attention,
    care,
    case_status,
    corrections,
    refit,
    review_queue,
    settings_changes,
    supervision,
)
from tests.builders import (
    bobs_episode,
    core_queue,
    crisis,
    give_session,
    insert_closed_episodes,
    phq9,
    phq9_sessions,
    record_sessions,
    review_case,
)
from tests.conftest import World
from tests.services.import_files import csv_bytes, row, run_import, weekly

TODAY = date.today()
COLUMNS = (
    "colour", "measure_code", "last_score", "last_score_on", "scores_counted", "open_reasons",
    "open_alerts", "has_risk", "has_rupture", "oldest_open_at", "card_escalated", "card_level",
    "newest_open_at", "prognosis_worse", "attention_rank",
)  # fmt: skip


def _stored() -> dict[int, tuple[object, ...]]:
    columns = [getattr(CaseStatus, name) for name in COLUMNS]
    rows = db.session.execute(sa.select(CaseStatus.episode_id, *columns))
    return {row[0]: tuple(row[1:]) for row in rows}


def assert_fresh(use_case: str, *, active_only: bool = False) -> None:
    """Every episode's (or every active episode's) stored row equals a refresh from the
    database's facts (the session expired first, so no stale ORM object feeds it); the check
    is rolled back."""
    db.session.expire_all()
    stored = _stored()
    query = sa.select(Episode.id, Client.code).join(Client)
    if active_only:
        query = query.where(Episode.status == EpisodeStatus.ACTIVE)
    codes = dict(db.session.execute(query).all())
    case_status.refresh_many(sorted(codes))
    fresh = _stored()
    db.session.rollback()
    stale = {}
    for episode_id, code in codes.items():
        if episode_id not in stored:
            stale[f"{code}#{episode_id}"] = "no stored row"
            continue
        pairs = zip(COLUMNS, stored[episode_id], fresh[episode_id], strict=True)
        diff = {name: f"stored {s!r} != fresh {f!r}" for name, s, f in pairs if s != f}
        if diff:
            stale[f"{code}#{episode_id}"] = diff
    assert not stale, f"stale case_status after {use_case}: {stale}"


def _episode(code: str) -> Episode:
    query = sa.select(Episode).join(Client).where(Client.code == code).order_by(Episode.id.desc())
    return db.session.scalars(query).first()  # type: ignore[return-value]


def _score(episode: Episode, code: str, total: float) -> Administration:
    query = sa.select(Administration).where(
        Administration.episode_id == episode.id,
        Administration.instrument_code == code,
        Administration.total == total,
        Administration.current(),
    )
    return db.session.scalars(query).one()


def test_every_use_case_leaves_every_stored_status_fresh(world: World) -> None:
    alices = crisis(world)  # PHQ-9, GAD-7 and SRS scores with a risk item
    assert_fresh("entering scores with a risk item (measures.record_administration)")
    bobs = record_sessions(bobs_episode(world), *phq9_sessions(12, 19), by=world.bob)
    carols = record_sessions(
        world.carols_client.current_episode, *phq9_sessions(12, 19), by=world.carol
    )
    assert_fresh("entering scores (record_sessions)")

    card = attention.episode_card(bobs)
    assert card is not None
    attention.acknowledge_card(episode=bobs, actions=[card.card.checklist[0]], note="Talked",
                               by=world.bob, now=utcnow())  # fmt: skip
    assert_fresh("attention.acknowledge_card")

    held = alerting.unresolved(alices)  # ORM objects held in the session across the UPDATE
    assert any(a.escalated_at is None for a in held)
    assert alerting.escalate_overdue(now=utcnow() + timedelta(hours=49)) > 0
    assert_fresh("alerting.escalate_overdue")

    card = attention.episode_card(alices)
    assert card is not None and len(card.card.reasons) > 2
    attention.resolve_reason(episode=alices, key=card.card.reasons[-1].key, note="Discussed",
                             by=world.alice, now=utcnow())  # fmt: skip
    assert_fresh("attention.resolve_reason")
    single = next(a for a in alerting.unresolved(alices) if a.type != AlertType.RISK_ITEM)
    alerting.resolve_alert(alert=single, note="Assessed", by=world.alice, now=utcnow())
    assert_fresh("alerting.resolve_alert")

    assert alerting.check_overdue(today=TODAY, now=utcnow()) > 0
    assert_fresh("alerting.check_overdue (raising)")
    give_session(world, TODAY - timedelta(days=1), phq9=phq9(18, item9=1))
    alerting.check_overdue(today=TODAY, now=utcnow())
    assert not [a for a in alerting.unresolved(alices) if a.type == AlertType.OVERDUE_MEASURE]
    assert_fresh("alerting.check_overdue (clearing)")

    mistyped = _score(bobs, "phq9", 19).id
    corrections.correct_administration(
        user=world.bob, administration_id=mistyped, answers=phq9(13), reason="Typo", now=utcnow()
    )
    assert_fresh("corrections.correct_administration")
    wrong = _score(alices, "gad7", 14).id
    corrections.void_administration(
        user=world.alice, administration_id=wrong, reason="Wrong client", now=utcnow()
    )
    assert_fresh("corrections.void_administration")

    held = alerting.unresolved(carols)  # held across the closure's bulk UPDATE
    assert held
    care.close_episode(episode=carols, closed_on=TODAY, status=EpisodeStatus.CLOSED,
                       reason="Ended", by=world.carol)  # fmt: skip
    assert_fresh("care.close_episode")
    care.open_episode(client=world.carols_client, opened_on=TODAY, by=world.carol)
    assert_fresh("care.open_episode (reopening)")

    days = weekly(date(2026, 9, 7), 4)
    rows = [row(client="IMP-1", session=k + 1, day=d, total=t)
            for k, (d, t) in enumerate(zip(days, [10, 14, 18, 22], strict=True))]  # fmt: skip
    result = run_import(csv_bytes(rows), evaluate_open=True)
    assert result.evaluated is not None and result.evaluated.episodes == 1
    assert_fresh("CSV import with --evaluate-open")

    supervision.request_supervision(episode=alices, by=world.alice, note="", now=utcnow())
    assert_fresh("supervision.request_supervision")
    review_case(world, bobs, follow_up_on=TODAY)
    assert_fresh("supervision.record_review")

    queue = review_queue.review_queue(world.sam, today=TODAY).rows
    assert [r.episode.id for r in queue] == core_queue(world.sam, TODAY)
    assert {alices.id, bobs.id, _episode("IMP-1").id} <= {r.episode.id for r in queue}


def _set_method(world: World) -> None:
    settings_changes.update_settings(changes={"trajectory_method": "empirical"}, by=world.ada)


def _override_threshold(world: World) -> None:
    settings_changes.override_threshold(
        code="phq9", field="reliable_change", value=20.0, old_value=None, reason="Local norms",
        by=world.ada,
    )  # fmt: skip


@pytest.mark.parametrize(
    "change", [_override_threshold, _set_method], ids=["threshold override", "trajectory method"]
)
def test_a_settings_change_leaves_every_active_stored_status_fresh(
    world: World, change: Callable[[World], None]
) -> None:
    """Active and closed episodes with scores, and models fitted for the empirical method.

    A change of threshold or method rewrites the rows of the active episodes only (ADR 13):
    a closed episode's row is read by no page (the caseload lists active episodes; the queue
    needs an active episode or an unresolved alert, and closing resolves them all), and a
    closed episode is never reopened (a client returns in a new episode). A whole service's
    closed history (tens of thousands of episodes) is not recomputed inside one settings
    request."""
    insert_closed_episodes(world.alice, n=30)
    case_status.refresh_stored(missing_only=True)  # the builder writes rows directly
    settings_changes.update_settings(changes={"empirical_min_episodes": 20}, by=world.ada)
    refit.refit_models(now=utcnow())
    crisis(world)
    carols = record_sessions(
        world.carols_client.current_episode, *phq9_sessions(12, 19), by=world.carol
    )
    care.close_episode(
        episode=carols, closed_on=TODAY, status=EpisodeStatus.CLOSED, reason="", by=world.carol
    )
    assert_fresh("the set-up")

    change(world)

    assert_fresh(f"settings_changes: {change.__name__}", active_only=True)
