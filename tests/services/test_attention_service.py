"""Attention cards: one card per episode, acknowledged in one go, reopened by a new reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.attention import AttentionStatus, Group
from outcome_monitor.core.support import SupportAction
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, AuditEvent, Client, Episode
from outcome_monitor.services import ServiceError, alerting, attention, demo
from tests.builders import WEEK0, crisis
from tests.conftest import World, count

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def unresolved() -> list[Alert]:
    """Unresolved alerts of Alice's client (the overdue job also flags Carol's)."""
    episode_id = world_episode_id()
    return list(
        db.session.scalars(
            sa.select(Alert).where(
                Alert.status != AlertStatus.RESOLVED, Alert.episode_id == episode_id
            )
        )
    )


def world_episode_id() -> int:
    return db.session.scalars(
        sa.select(Episode.id).join(Episode.client).where(Client.code == "A-001")
    ).one()


def test_the_crisis_is_one_card_with_risk_first_and_one_outcome_reason_per_measure(
    world: World,
) -> None:
    entry = attention.episode_card(crisis(world))
    assert entry is not None
    keys = [r.key for r in entry.card.reasons]
    assert keys[:3] == ["risk_item-phq9", "outcome-gad7", "outcome-phq9"]
    assert {r.group for r in entry.card.reasons[3:]} == {Group.ALLIANCE}
    phq = entry.card.reasons[2]
    assert set(phq.types) == {AlertType.RELIABLE_DETERIORATION, AlertType.NOT_ON_TRACK}
    assert phq.text.startswith("PHQ-9 19 at session 2, intake 12: worse by 7")
    assert len(unresolved()) > len(entry.card.reasons)  # the alerts themselves stay separate


def test_an_episode_without_alerts_has_no_card(world: World) -> None:
    assert attention.episode_card(world.alices_client.current_episode) is None


def test_acknowledge_card_covers_every_open_alert_with_one_audit_row_each(world: World) -> None:
    episode = crisis(world)
    opened = unresolved()
    events_before = count(AuditEvent, AuditEvent.action == "alert.acknowledge")
    done = attention.acknowledge_card(
        episode=episode,
        actions=["risk_assessment", "review_alliance"],
        note="Safety plan agreed",
        by=world.alice,
        now=NOW,
    )
    assert done == len(opened)
    for alert in unresolved():
        assert alert.status == AlertStatus.ACKNOWLEDGED
        assert alert.actions == ["risk_assessment", "review_alliance"]
        assert alert.action_note == "Safety plan agreed"
        assert (alert.acknowledged_by_id, alert.acknowledged_at) == (world.alice.id, NOW)
    audited = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "alert.acknowledge")
    ).all()
    assert len(audited) - events_before == len(opened)
    assert {e.object_id for e in audited} == {str(a.id) for a in opened}
    entry = attention.episode_card(episode)
    assert entry is not None and entry.card.status == AttentionStatus.ACKNOWLEDGED
    assert entry.acknowledgement is not None and entry.acknowledgement.by == world.alice


def test_a_new_alert_after_acknowledgement_reopens_the_card(world: World) -> None:
    episode = crisis(world)
    attention.acknowledge_card(
        episode=episode, actions=["supervision"], note="", by=world.alice, now=NOW
    )
    alerting.check_overdue(today=WEEK0 + timedelta(weeks=6), now=NOW)
    entry = attention.episode_card(episode)
    assert entry is not None and entry.card.is_open
    overdue = next(r for r in entry.card.reasons if r.key == "overdue_measure")
    assert overdue.is_open
    assert [r.is_open for r in entry.card.reasons].count(True) == 1
    assert entry.card.checklist == (
        SupportAction.MOTIVATION_GOALS,
        SupportAction.REVIEW_ALLIANCE,
        SupportAction.DISCUSSED_NO_CHANGE,
    )
    assert (
        attention.acknowledge_card(
            episode=episode, actions=["motivation_goals"], note="", by=world.alice, now=NOW
        )
        == 1
    )


@pytest.mark.parametrize(
    ("actions", "note", "message"),
    [
        ([], "", "at least one action"),
        (["dance"], "", "from the checklist"),
        (["discussed_no_change"], "  ", "why no change"),
        (["medication_review", "risk_assessment"], "", None),  # control: accepted
    ],
    ids=["nothing ticked", "unknown action", "no change without a reason", "valid"],
)
def test_invalid_actions_are_refused_and_nothing_changes(world, actions, note, message) -> None:
    episode = crisis(world)
    audit_rows = count(AuditEvent)
    if message is None:
        attention.acknowledge_card(
            episode=episode, actions=actions, note=note, by=world.alice, now=NOW
        )
        assert {a.status for a in unresolved()} == {AlertStatus.ACKNOWLEDGED}
        return
    with pytest.raises(ServiceError, match=message):
        attention.acknowledge_card(
            episode=episode, actions=actions, note=note, by=world.alice, now=NOW
        )
    db.session.rollback()
    assert {a.status for a in unresolved()} == {AlertStatus.OPEN}
    assert count(AuditEvent) == audit_rows


def test_an_action_outside_the_cards_checklist_is_refused(world: World) -> None:
    alerting.check_overdue(today=WEEK0 + timedelta(weeks=4), now=NOW)  # overdue only
    episode = world.alices_client.current_episode
    with pytest.raises(ServiceError, match="at least one action"):
        attention.acknowledge_card(
            episode=episode, actions=["medication_review"], note="", by=world.alice, now=NOW
        )
    assert {a.status for a in unresolved()} == {AlertStatus.OPEN}


def test_nothing_open_is_refused(world: World) -> None:
    episode = crisis(world)
    attention.acknowledge_card(
        episode=episode, actions=["supervision"], note="", by=world.alice, now=NOW
    )
    with pytest.raises(ServiceError, match="Nothing on this card"):
        attention.acknowledge_card(
            episode=episode, actions=["supervision"], note="", by=world.alice, now=NOW
        )
    with pytest.raises(ServiceError, match="Nothing on this card"):
        attention.acknowledge_card(
            episode=world.carols_client.current_episode,
            actions=["supervision"],
            note="",
            by=world.alice,
            now=NOW,
        )


def test_a_card_that_changed_since_it_was_shown_is_not_acknowledged(world: World) -> None:
    episode = crisis(world)
    entry = attention.episode_card(episode)
    assert entry is not None
    alerting.check_overdue(today=WEEK0 + timedelta(weeks=6), now=NOW)  # a reason arrives
    with pytest.raises(ServiceError, match="changed since you opened it"):
        attention.acknowledge_card(
            episode=episode,
            actions=["supervision"],
            note="",
            by=world.alice,
            now=NOW,
            version=entry.version,
        )
    assert {a.status for a in unresolved()} == {AlertStatus.OPEN}
    fresh = attention.episode_card(episode)
    assert fresh is not None and fresh.version != entry.version
    attention.acknowledge_card(
        episode=episode,
        actions=["supervision"],
        note="",
        by=world.alice,
        now=NOW,
        version=fresh.version,
    )
    assert {a.status for a in unresolved()} == {AlertStatus.ACKNOWLEDGED}


def test_resolve_reason_closes_every_alert_behind_it_and_leaves_the_rest(world: World) -> None:
    episode = crisis(world)
    attention.resolve_reason(
        episode=episode, key="outcome-phq9", note="Reviewed", by=world.alice, now=NOW
    )
    resolved = db.session.scalars(
        sa.select(Alert).where(Alert.status == AlertStatus.RESOLVED)
    ).all()
    assert {(a.type, a.instrument_code) for a in resolved} == {
        ("not_on_track", "phq9"),
        ("reliable_deterioration", "phq9"),
    }
    assert all(
        a.resolved_by_id == world.alice.id and not a.resolved_automatically for a in resolved
    )
    assert count(AuditEvent, AuditEvent.action == "alert.resolve") == 2
    entry = attention.episode_card(episode)
    assert entry is not None and "outcome-phq9" not in [r.key for r in entry.card.reasons]
    assert entry.card.reasons[0].key == "risk_item-phq9"


@pytest.mark.parametrize(
    ("key", "note", "message"),
    [
        ("outcome-srs", "why", "no longer on the card"),
        ("risk_item-phq9", " ", "Say why"),
    ],
    ids=["a key not on this card", "no note"],
)
def test_resolve_reason_refuses(world: World, key: str, note: str, message: str) -> None:
    episode = crisis(world)
    with pytest.raises(ServiceError, match=message):
        attention.resolve_reason(episode=episode, key=key, note=note, by=world.alice, now=NOW)
    assert AlertStatus.RESOLVED not in {a.status for a in db.session.scalars(sa.select(Alert))}


def test_resolve_reason_on_an_episode_without_alerts_is_refused(world: World) -> None:
    with pytest.raises(ServiceError, match="no longer on the card"):
        attention.resolve_reason(
            episode=world.alices_client.current_episode,
            key="risk_item-phq9",
            note="x",
            by=world.alice,
            now=NOW,
        )


@pytest.mark.slow
def test_the_demo_client_with_a_risk_item_has_one_card_with_risk_first(app: object) -> None:
    demo.seed_demo(password="demo password 1", today=date(2026, 11, 26))
    client = db.session.scalars(sa.select(Client).where(Client.code == "DEMO-006")).one()
    alerts = db.session.scalars(
        sa.select(Alert)
        .join(Episode)
        .where(Episode.client_id == client.id, Alert.status != AlertStatus.RESOLVED)
    ).all()
    entry = attention.episode_card(alerts[0].episode)
    assert entry is not None
    assert entry.card.reasons[0].group == Group.RISK
    assert len(entry.card.reasons) < len(alerts)  # merged: fewer reasons than alerts
    assert len({r.key for r in entry.card.reasons}) == len(entry.card.reasons)
