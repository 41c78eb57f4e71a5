"""Alerts as tasks: raised with the administration, updated not duplicated, cleared, escalated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, AuditEvent
from outcome_monitor.services import ServiceError, alerting
from tests.builders import give_score, phq9, srs, week_date
from tests.conftest import World, count

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _open_alerts() -> list[tuple[str, str | None, str]]:
    rows = db.session.scalars(
        sa.select(Alert).where(Alert.status != AlertStatus.RESOLVED).order_by(Alert.id)
    )
    return [(a.type, a.severity, a.instrument_code) for a in rows]


def test_reliable_deterioration_raises_red_alerts_with_reasons(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    recorded = give_score(world, "phq9", phq9(19), week_date(1))
    types = {(a.type, a.severity) for a in recorded.alerts}
    assert ("reliable_deterioration", None) in types
    assert ("not_on_track", "red") in types
    reasons = " ".join(a.reason_text for a in recorded.alerts)
    assert "19" in reasons and "12" in reasons


def test_same_condition_updates_instead_of_duplicating(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    give_score(world, "phq9", phq9(19), week_date(1))
    give_score(world, "phq9", phq9(20), week_date(2))
    assert _open_alerts().count(("reliable_deterioration", None, "phq9")) == 1
    assert count(Alert) == len(_open_alerts())


def test_alert_resolves_by_itself_when_the_condition_clears(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    give_score(world, "phq9", phq9(19), week_date(1))
    give_score(world, "phq9", phq9(5), week_date(2))
    resolved = db.session.scalars(
        sa.select(Alert).where(Alert.type == "reliable_deterioration")
    ).one()
    assert resolved.status == AlertStatus.RESOLVED and resolved.resolved_automatically
    assert count(AuditEvent, AuditEvent.action == "alert.auto_resolve") >= 1


def test_risk_item_alerts_and_never_clears_by_itself(world: World) -> None:
    first = give_score(world, "phq9", phq9(10, item9=1), week_date(0))
    assert [a.type for a in first.alerts] == ["risk_item"]
    assert "item" in first.alerts[0].reason_text.lower()
    give_score(world, "phq9", phq9(9), week_date(1))
    assert ("risk_item", None, "phq9") in _open_alerts()


def test_low_alliance_and_rupture(world: World) -> None:
    for week, total in enumerate((39, 39.2, 38.8, 39)):
        give_score(world, "srs", srs(total), week_date(week))
    recorded = give_score(world, "srs", srs(30), week_date(4))
    assert {a.type for a in recorded.alerts} == {"low_alliance", "alliance_rupture"}


def test_ceiling_client_with_a_small_dip_raises_nothing(world: World) -> None:
    for week, total in enumerate((39.6, 39.6, 39.6, 39.6, 38.8)):
        recorded = give_score(world, "srs", srs(total), week_date(week))
    assert recorded.alerts == []


def test_acknowledge_records_the_actions(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    alert = give_score(world, "phq9", phq9(19), week_date(1)).alerts[0]
    alerting.acknowledge_alert(
        alert=alert, actions=["review_alliance", "supervision"], note="", by=world.alice, now=NOW
    )
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.actions == ["review_alliance", "supervision"]
    assert alert.acknowledged_by_id == world.alice.id


@pytest.mark.parametrize(
    ("actions", "note", "message"),
    [
        ([], "", "at least one action"),
        (["discussed_no_change"], "  ", "why no change"),
        (["dance"], "", "from the checklist"),
    ],
)
def test_acknowledge_refuses_incomplete_answers(world, actions, note, message) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    alert = give_score(world, "phq9", phq9(19), week_date(1)).alerts[0]
    with pytest.raises(ServiceError, match=message):
        alerting.acknowledge_alert(alert=alert, actions=actions, note=note, by=world.alice, now=NOW)
    assert alert.status == AlertStatus.OPEN


def test_resolve_by_hand(world: World) -> None:
    alert = give_score(world, "phq9", phq9(10, item9=2), week_date(0)).alerts[0]
    alerting.resolve_alert(alert=alert, note="safety plan in place", by=world.alice, now=NOW)
    assert alert.status == AlertStatus.RESOLVED and not alert.resolved_automatically
    with pytest.raises(ServiceError):
        alerting.resolve_alert(alert=alert, note="", by=world.alice, now=NOW)


def test_escalation_happens_once_after_the_limit(world: World) -> None:
    alert = give_score(world, "phq9", phq9(10, item9=1), week_date(0)).alerts[0]
    opened = alert.opened_at
    assert alerting.escalate_overdue(now=opened + timedelta(hours=23)) == 0
    assert alerting.escalate_overdue(now=opened + timedelta(hours=25)) == 1
    assert alerting.escalate_overdue(now=opened + timedelta(hours=26)) == 0
    db.session.refresh(alert)
    assert alert.escalated_at is not None
    assert count(AuditEvent, AuditEvent.action == "alert.escalate") == 1


def test_acknowledged_alerts_are_not_escalated(world: World) -> None:
    alert = give_score(world, "phq9", phq9(10, item9=1), week_date(0)).alerts[0]
    alerting.acknowledge_alert(
        alert=alert, actions=["risk_assessment"], note="", by=world.alice, now=NOW
    )
    assert alerting.escalate_overdue(now=alert.opened_at + timedelta(days=5)) == 0


def test_overdue_measure_is_raised_and_cleared(world: World) -> None:
    give_score(world, "phq9", phq9(14), week_date(0))
    alices = world.alices_client.current_episode
    carols = world.carols_client.current_episode  # opened the same day, never measured
    assert alerting.check_overdue(today=week_date(1), now=NOW) == 0
    assert alerting.check_overdue(today=week_date(4), now=NOW) == 2
    assert [a.type for a in alerting.unresolved(alices)] == ["overdue_measure"]
    assert [a.type for a in alerting.unresolved(carols)] == ["overdue_measure"]
    give_score(world, "phq9", phq9(13), week_date(4))
    alerting.check_overdue(today=week_date(4), now=NOW)
    assert "overdue_measure" not in [a.type for a in alerting.unresolved(alices)]
