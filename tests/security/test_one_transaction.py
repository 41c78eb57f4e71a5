"""One transaction per use-case (docs/adr/0008): a failure leaves nothing half-saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    AuditEvent,
    DraftAnswer,
    EntryMode,
    HandOver,
    HandOverStatus,
    RemoteLink,
)
from outcome_monitor.services import alerting, drafts, links, measures
from outcome_monitor.services import handover as handovers
from tests.conftest import World, count

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
GAD7 = {str(i): 1.0 for i in range(1, 8)}
SRS = {"1": 9.5, "2": 9.0, "3": 9.2, "4": 9.8}


class Injected(RuntimeError):
    """The failure a test injects between two steps of one use-case."""


def fail_on(module: Any, action: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``module.record`` (the audit helper) raise when it is asked to write ``action``."""
    real = module.record

    def record(**kwargs: Any) -> Any:
        if kwargs["action"] == action:
            raise Injected(action)
        return real(**kwargs)

    monkeypatch.setattr(module, "record", record)


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """Counts the commits of the test's database session."""
    seen: list[int] = []
    session = db.session()
    listener = lambda _session: seen.append(1)  # noqa: E731
    sa.event.listen(session, "after_commit", listener)
    yield seen
    sa.event.remove(session, "after_commit", listener)


def test_a_failure_after_the_score_and_before_the_handover_finishes_leaves_neither(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    episode = world.alices_client.current_episode
    handover = handovers.start_handover(
        episode=episode, session_id=None, codes=["gad7"], by=world.alice, now=NOW
    )
    fail_on(handovers, "handover.finish", monkeypatch)

    with pytest.raises(Injected):
        handovers.submit_measure(handover=handover, code="gad7", answers=GAD7, now=NOW)

    assert count(Administration) == 0
    assert count(AuditEvent, AuditEvent.action == "administration.record") == 0
    assert count(DraftAnswer) == 0  # the last answers belong to the same use-case
    stored = db.session.scalars(sa.select(HandOver)).one()
    assert stored.status == HandOverStatus.ACTIVE and stored.finished_at is None
    assert drafts.next_measure(stored) == "gad7"


def test_a_failure_before_a_link_is_used_up_leaves_no_score(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    episode = world.alices_client.current_episode
    link = links.issue_link(
        episode=episode, codes=["srs"], by=world.alice, now=NOW, valid_days=4
    ).link
    fail_on(links, "link.complete", monkeypatch)

    with pytest.raises(Injected):
        links.submit_link_measure(link=link, code="srs", answers=SRS, now=NOW)

    assert count(Administration) == 0
    assert db.session.scalars(sa.select(RemoteLink)).one().used_at is None


def test_finishing_a_handover_commits_once(world: World, commits: list[int]) -> None:
    episode = world.alices_client.current_episode
    handover = handovers.start_handover(
        episode=episode, session_id=None, codes=["gad7"], by=world.alice, now=NOW
    )
    commits.clear()

    recorded = handovers.submit_measure(handover=handover, code="gad7", answers=GAD7, now=NOW)

    assert len(commits) == 1
    assert recorded.created and handover.status == HandOverStatus.FINISHED
    assert count(AuditEvent, AuditEvent.action == "handover.finish") == 1


def test_a_measure_too_incomplete_to_score_keeps_the_answers_in_one_commit(
    world: World, commits: list[int]
) -> None:
    episode = world.alices_client.current_episode
    handover = handovers.start_handover(
        episode=episode, session_id=None, codes=["gad7"], by=world.alice, now=NOW
    )
    commits.clear()

    with pytest.raises(drafts.IncompleteMeasure):
        handovers.submit_measure(handover=handover, code="gad7", answers={"1": 2.0}, now=NOW)

    assert len(commits) == 1
    assert count(DraftAnswer) == 1 and count(Administration) == 0


def test_a_failing_alert_rule_leaves_no_score_and_a_clean_session(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(administration: Administration, **_given: object) -> list[object]:
        raise Injected("alert engine")

    monkeypatch.setattr(alerting, "evaluate_after_administration", broken)
    with pytest.raises(Injected):
        measures.record_administration(
            episode=world.alices_client.current_episode,
            session_id=None,
            instrument_code="gad7",
            answers=GAD7,
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    assert not db.session.new and not db.session.dirty
    assert count(Administration) == 0
    assert count(AuditEvent, AuditEvent.action == "administration.record") == 0
