"""Set-based alert work (issue 12): closing an episode resolves its alerts; escalation claims
due alerts a batch at a time; the overdue check reads active episodes in batches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    AlertStatus,
    AuditEvent,
    CaseStatus,
    Client,
    EntryMode,
    Episode,
    EpisodeStatus,
)
from outcome_monitor.services import ServiceError, alert_batches, alerting, care, measures
from tests.builders import count_statements, give_score, phq9, week_date
from tests.conftest import World, count

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _alert(episode: Episode, type_: str, opened: datetime, **values: object) -> Alert:
    """A fixture alert written directly (the services raise them from scores)."""
    alert = Alert(
        episode=episode,
        type=type_,
        instrument_code=str(values.pop("instrument_code", "phq9")),
        reason_text="synthetic",
        opened_at=opened,
        updated_at=opened,
        **values,
    )
    db.session.add(alert)
    db.session.commit()
    return alert


def _episodes(world: World, n: int, opened_on: date = date(2026, 9, 1)) -> list[Episode]:
    """``n`` active episodes of Alice's, written directly."""
    episodes = []
    for i in range(n):
        client = Client(code=f"B-{i:04d}", therapist_id=world.alice.id)
        episodes.append(
            Episode(client=client, therapist_id=world.alice.id, opened_on=opened_on)
        )
    db.session.add_all(episodes)
    db.session.commit()
    return episodes


def _close(world: World, episode: Episode, status: EpisodeStatus = EpisodeStatus.CLOSED) -> None:
    care.close_episode(
        episode=episode, closed_on=week_date(6), status=status, reason="done", by=world.alice
    )


# Closing an episode


@pytest.mark.parametrize("status", [EpisodeStatus.CLOSED, EpisodeStatus.DROPPED_OUT])
def test_closing_an_episode_resolves_its_open_and_acknowledged_alerts(
    world: World, status: EpisodeStatus
) -> None:
    risk = give_score(world, "phq9", phq9(10, item9=1), week_date(0)).alerts[0]
    episode = world.alices_client.current_episode
    overdue = _alert(episode, "overdue_measure", NOW, instrument_code="")
    alerting.acknowledge_alert(
        alert=overdue, actions=["motivation_goals"], note="", by=world.alice, now=NOW
    )
    _close(world, episode, status)
    for alert in (risk, overdue):
        db.session.refresh(alert)
        assert alert.status == AlertStatus.RESOLVED
        assert alert.resolved_automatically and alert.resolved_by_id == world.alice.id
        assert alert.resolved_at is not None
        assert alert.action_note.endswith(alert_batches.CLOSURE_NOTE)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "alert.resolve_on_closure")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id == world.alice.id and events[0].client_code == "A-001"
    assert events[0].details["reason"] == "episode_closed"
    assert events[0].details["count"] == 2
    assert sorted(events[0].details["alerts"]) == sorted([risk.id, overdue.id])


def test_closing_leaves_other_episodes_and_resolved_alerts_alone(world: World) -> None:
    carols = world.carols_client.current_episode
    others = _alert(carols, "risk_item", NOW)
    alices = world.alices_client.current_episode
    done = _alert(alices, "risk_item", NOW)
    alerting.resolve_alert(alert=done, note="safety plan", by=world.bob, now=NOW)
    _close(world, alices)
    db.session.refresh(others)
    db.session.refresh(done)
    assert others.status == AlertStatus.OPEN
    assert done.resolved_by_id == world.bob.id and not done.resolved_automatically
    assert count(AuditEvent, AuditEvent.action == "alert.resolve_on_closure") == 0
    close = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "episode.close"))
    assert [e.details["alerts_resolved"] for e in close] == [0]


def test_closing_refreshes_the_stored_status_and_runs_one_update(world: World) -> None:
    episode = world.alices_client.current_episode
    for type_ in ("risk_item", "not_on_track", "low_alliance"):
        _alert(episode, type_, NOW, severity="red" if type_ == "not_on_track" else None)
    with count_statements() as statements:
        _close(world, episode)
    assert sum(s.lstrip().upper().startswith("UPDATE ALERT") for s in statements) == 1
    stored = db.session.get_one(CaseStatus, episode.id)
    assert stored.open_alerts == 0 and stored.open_reasons == []


def test_closing_twice_is_refused_and_resolves_nothing_more(world: World) -> None:
    episode = world.alices_client.current_episode
    _alert(episode, "risk_item", NOW)
    _close(world, episode)
    with pytest.raises(ServiceError):
        _close(world, episode)
    assert count(AuditEvent, AuditEvent.action == "alert.resolve_on_closure") == 1


# Escalation in batches


def test_escalation_claims_every_due_alert_across_batches_once(world: World) -> None:
    episodes = _episodes(world, 7)
    old = NOW - timedelta(hours=50)
    due = [_alert(e, "risk_item", old).id for e in episodes]
    due.append(_alert(episodes[0], "not_on_track", old, severity="red").id)
    _alert(episodes[1], "not_on_track", old, severity="yellow")  # never escalated
    _alert(episodes[2], "risk_item", NOW - timedelta(hours=2), instrument_code="gad7")  # too new
    assert alerting.escalate_overdue(now=NOW, batch_size=3) == len(due)
    assert alerting.escalate_overdue(now=NOW, batch_size=3) == 0
    escalated = db.session.scalars(sa.select(Alert.id).where(Alert.escalated_at == NOW)).all()
    assert sorted(escalated) == sorted(due)
    audits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "alert.escalate")
    ).all()
    assert sorted(int(a.object_id) for a in audits) == sorted(due)
    assert {a.client_code for a in audits} == {f"B-{i:04d}" for i in range(7)}
    assert all(a.actor_id is None and a.details["type"] for a in audits)


def test_escalation_limits_follow_the_settings_and_the_severity(world: World) -> None:
    episode = _episodes(world, 1)[0]
    risk = _alert(episode, "risk_item", NOW - timedelta(hours=24))  # exactly at the limit
    red = _alert(episode, "reliable_deterioration", NOW - timedelta(hours=47))
    assert alerting.escalate_overdue(now=NOW) == 1
    db.session.refresh(risk)
    db.session.refresh(red)
    assert risk.escalated_at == NOW and red.escalated_at is None
    assert alerting.escalate_overdue(now=NOW + timedelta(hours=1)) == 1


def test_escalation_skips_alerts_acknowledged_after_they_were_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim re-checks the status: an alert acknowledged between the read and the claim
    (another user, another process) is neither escalated nor audited."""
    episode = _episodes(world, 1)[0]
    alert = _alert(episode, "risk_item", NOW - timedelta(hours=30))
    real_claim = alert_batches.claim

    def acknowledge_first(ids, due, now):  # type: ignore[no-untyped-def]
        db.session.execute(
            sa.update(Alert).where(Alert.id == alert.id).values(status=AlertStatus.ACKNOWLEDGED)
        )
        return real_claim(ids, due, now)

    monkeypatch.setattr(alert_batches, "claim", acknowledge_first)
    assert alerting.escalate_overdue(now=NOW) == 0
    assert count(AuditEvent, AuditEvent.action == "alert.escalate") == 0


def test_a_failing_batch_keeps_the_batches_already_committed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    episodes = _episodes(world, 4)
    ids = [_alert(e, "risk_item", NOW - timedelta(hours=30)).id for e in episodes]
    real_audit = alert_batches.audit_alerts
    calls = []

    def fail_second(claimed, *, action, now):  # type: ignore[no-untyped-def]
        calls.append(claimed)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return real_audit(claimed, action=action, now=now)

    monkeypatch.setattr(alert_batches, "audit_alerts", fail_second)
    with pytest.raises(RuntimeError):
        alerting.escalate_overdue(now=NOW, batch_size=2)
    escalated = db.session.scalars(sa.select(Alert.id).where(Alert.escalated_at.is_not(None)))
    assert sorted(escalated) == ids[:2]
    monkeypatch.setattr(alert_batches, "audit_alerts", real_audit)
    assert alerting.escalate_overdue(now=NOW, batch_size=2) == 2
    assert count(AuditEvent, AuditEvent.action == "alert.escalate") == 4


# The overdue check in batches


def test_overdue_check_in_batches_raises_updates_and_clears(world: World) -> None:
    episodes = _episodes(world, 5)
    alerting.check_overdue(today=week_date(1), now=NOW, batch_size=2)
    assert count(Alert) == 0
    assert alerting.check_overdue(today=week_date(4), now=NOW, batch_size=2) == 7  # and A, C
    assert count(Alert, Alert.status != AlertStatus.RESOLVED) == 7
    assert alerting.check_overdue(today=week_date(5), now=NOW, batch_size=3) == 7
    assert count(Alert) == 7  # updated, not duplicated
    stored = db.session.get_one(CaseStatus, episodes[0].id)
    assert stored.open_reasons == ["overdue_measure"]
    care.close_episode(
        episode=episodes[0], closed_on=week_date(5), status=EpisodeStatus.CLOSED, reason="",
        by=world.alice,
    )  # fmt: skip
    assert alerting.check_overdue(today=week_date(5), now=NOW, batch_size=3) == 6


def test_overdue_check_counts_sessions_and_ignores_voided_and_non_outcome_scores(
    world: World,
) -> None:
    """A measured episode is not overdue; an alliance measure alone does not count."""
    give_score(world, "phq9", phq9(14), week_date(3))
    carols = world.carols_client.current_episode
    session = care.record_session(
        episode=carols, session_date=week_date(3), attended=True, by=world.carol
    )
    measures.record_administration(
        episode=carols,
        session_id=session.id,
        instrument_code="srs",
        answers={"1": 8.0, "2": 8.0, "3": 8.0, "4": 8.0},
        entry_mode=EntryMode.THERAPIST,
        by=world.carol,
    )
    assert alerting.check_overdue(today=week_date(4), now=NOW, batch_size=1) == 1
    (alert,) = db.session.scalars(sa.select(Alert).where(Alert.type == "overdue_measure"))
    assert alert.episode_id == carols.id


def test_overdue_check_runs_a_fixed_number_of_queries_per_batch(world: World) -> None:
    def queries(n_episodes: int) -> int:
        with count_statements() as seen:
            alerting.check_overdue(today=week_date(1), now=NOW, batch_size=1000)
        return len(seen)

    _episodes(world, 5)
    few = queries(5)
    _episodes_more = [Client(code=f"M-{i:03d}", therapist_id=world.alice.id) for i in range(60)]
    db.session.add_all(
        Episode(client=c, therapist_id=world.alice.id, opened_on=date(2026, 9, 1))
        for c in _episodes_more
    )
    db.session.commit()
    assert queries(67) == few


def test_overdue_check_rewrites_an_alert_only_when_its_wording_changes(world: World) -> None:
    """An hourly rerun that finds the same words leaves the alert (and the card's version,
    which an acknowledgement must match) alone; a new day rewords it."""
    later = NOW + timedelta(hours=1)
    alerting.check_overdue(today=week_date(4), now=NOW)
    alerting.check_overdue(today=week_date(4), now=later)
    alices = world.alices_client.current_episode
    (alert,) = alerting.unresolved(alices)
    assert alert.updated_at == NOW
    alerting.check_overdue(today=week_date(4) + timedelta(days=1), now=later)
    db.session.refresh(alert)
    assert alert.updated_at == later and "29 days" in alert.reason_text
    assert count(AuditEvent, AuditEvent.action == "alert.raise") == 2
    assert count(AuditEvent, AuditEvent.action == "alert.update") == 0  # no severity


def test_overdue_check_audits_what_it_raises_and_clears(world: World) -> None:
    alerting.check_overdue(today=week_date(4), now=NOW)
    raised = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "alert.raise").order_by(AuditEvent.id)
    ).all()
    assert [e.client_code for e in raised] == ["A-001", "C-001"]
    assert raised[0].details["type"] == "overdue_measure" and raised[0].actor_id is None
    give_score(world, "phq9", phq9(13), week_date(4))
    alerting.check_overdue(today=week_date(4), now=NOW)
    (cleared,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "alert.auto_resolve")
    )
    assert cleared.client_code == "A-001"
    assert cleared.details == {"reason": "the condition no longer holds"}
    alices = world.alices_client.current_episode
    assert db.session.get_one(CaseStatus, alices.id).open_reasons == []

