"""Alerts as tasks: raised with the administration, updated not duplicated, cleared, escalated."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, AuditEvent, EntryMode
from outcome_monitor.services import ServiceError, alerting, care, measures
from tests.conftest import World, count

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _phq9(total: int, item9: int = 0) -> dict[str, float]:
    """Answers summing to ``total`` with item 9 as given (items 1-8 filled from the top)."""
    answers = {str(i): 0.0 for i in range(1, 10)}
    answers["9"] = float(item9)
    left = total - item9
    for i in range(1, 9):
        answers[str(i)] = float(min(3, left))
        left -= int(answers[str(i)])
    assert left == 0
    return answers


def _srs(total: float) -> dict[str, float]:
    """Four VAS marks with one decimal that sum to ``total`` (a multiple of 0.1)."""
    tenths = round(total * 10)
    marks = [tenths // 4 + (1 if i < tenths % 4 else 0) for i in range(4)]
    return {str(i + 1): m / 10 for i, m in enumerate(marks)}


def _give(world: World, code: str, answers: dict[str, float], on: date):  # type: ignore[no-untyped-def]
    episode = world.alices_client.current_episode
    session = care.record_session(episode=episode, session_date=on, attended=True, by=world.alice)
    return measures.record_administration(
        episode=episode,
        session=session,
        instrument_code=code,
        answers=answers,
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )


def _open_alerts() -> list[tuple[str, str | None, str]]:
    rows = db.session.scalars(
        sa.select(Alert).where(Alert.status != AlertStatus.RESOLVED).order_by(Alert.id)
    )
    return [(a.type, a.severity, a.instrument_code) for a in rows]


def _weeks(n: int) -> date:
    return date(2026, 9, 1) + timedelta(weeks=n)


def test_reliable_deterioration_raises_red_alerts_with_reasons(world: World) -> None:
    _give(world, "phq9", _phq9(12), _weeks(0))
    recorded = _give(world, "phq9", _phq9(19), _weeks(1))
    types = {(a.type, a.severity) for a in recorded.alerts}
    assert ("reliable_deterioration", None) in types
    assert ("not_on_track", "red") in types
    reasons = " ".join(a.reason_text for a in recorded.alerts)
    assert "19" in reasons and "12" in reasons


def test_same_condition_updates_instead_of_duplicating(world: World) -> None:
    _give(world, "phq9", _phq9(12), _weeks(0))
    _give(world, "phq9", _phq9(19), _weeks(1))
    _give(world, "phq9", _phq9(20), _weeks(2))
    assert _open_alerts().count(("reliable_deterioration", None, "phq9")) == 1
    assert count(Alert) == len(_open_alerts())


def test_alert_resolves_by_itself_when_the_condition_clears(world: World) -> None:
    _give(world, "phq9", _phq9(12), _weeks(0))
    _give(world, "phq9", _phq9(19), _weeks(1))
    _give(world, "phq9", _phq9(5), _weeks(2))
    resolved = db.session.scalars(
        sa.select(Alert).where(Alert.type == "reliable_deterioration")
    ).one()
    assert resolved.status == AlertStatus.RESOLVED and resolved.resolved_automatically
    assert count(AuditEvent, AuditEvent.action == "alert.auto_resolve") >= 1


def test_risk_item_alerts_and_never_clears_by_itself(world: World) -> None:
    first = _give(world, "phq9", _phq9(10, item9=1), _weeks(0))
    assert [a.type for a in first.alerts] == ["risk_item"]
    assert "item" in first.alerts[0].reason_text.lower()
    _give(world, "phq9", _phq9(9), _weeks(1))
    assert ("risk_item", None, "phq9") in _open_alerts()


def test_low_alliance_and_rupture(world: World) -> None:
    for week, total in enumerate((39, 39.2, 38.8, 39)):
        _give(world, "srs", _srs(total), _weeks(week))
    recorded = _give(world, "srs", _srs(30), _weeks(4))
    assert {a.type for a in recorded.alerts} == {"low_alliance", "alliance_rupture"}


def test_ceiling_client_with_a_small_dip_raises_nothing(world: World) -> None:
    for week, total in enumerate((39.6, 39.6, 39.6, 39.6, 38.8)):
        recorded = _give(world, "srs", _srs(total), _weeks(week))
    assert recorded.alerts == []


def test_acknowledge_records_the_actions(world: World) -> None:
    _give(world, "phq9", _phq9(12), _weeks(0))
    alert = _give(world, "phq9", _phq9(19), _weeks(1)).alerts[0]
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
    _give(world, "phq9", _phq9(12), _weeks(0))
    alert = _give(world, "phq9", _phq9(19), _weeks(1)).alerts[0]
    with pytest.raises(ServiceError, match=message):
        alerting.acknowledge_alert(alert=alert, actions=actions, note=note, by=world.alice, now=NOW)
    assert alert.status == AlertStatus.OPEN


def test_resolve_by_hand(world: World) -> None:
    alert = _give(world, "phq9", _phq9(10, item9=2), _weeks(0)).alerts[0]
    alerting.resolve_alert(alert=alert, note="safety plan in place", by=world.alice, now=NOW)
    assert alert.status == AlertStatus.RESOLVED and not alert.resolved_automatically
    with pytest.raises(ServiceError):
        alerting.resolve_alert(alert=alert, note="", by=world.alice, now=NOW)


def test_escalation_happens_once_after_the_limit(world: World) -> None:
    alert = _give(world, "phq9", _phq9(10, item9=1), _weeks(0)).alerts[0]
    opened = alert.opened_at
    assert alerting.escalate_overdue(now=opened + timedelta(hours=23)) == 0
    assert alerting.escalate_overdue(now=opened + timedelta(hours=25)) == 1
    assert alerting.escalate_overdue(now=opened + timedelta(hours=26)) == 0
    db.session.refresh(alert)
    assert alert.escalated_at is not None
    assert count(AuditEvent, AuditEvent.action == "alert.escalate") == 1


def test_acknowledged_alerts_are_not_escalated(world: World) -> None:
    alert = _give(world, "phq9", _phq9(10, item9=1), _weeks(0)).alerts[0]
    alerting.acknowledge_alert(
        alert=alert, actions=["risk_assessment"], note="", by=world.alice, now=NOW
    )
    assert alerting.escalate_overdue(now=alert.opened_at + timedelta(days=5)) == 0


def test_overdue_measure_is_raised_and_cleared(world: World) -> None:
    _give(world, "phq9", _phq9(14), _weeks(0))
    alices = world.alices_client.current_episode
    carols = world.carols_client.current_episode  # opened the same day, never measured
    assert alerting.check_overdue(today=_weeks(1), now=NOW) == 0
    assert alerting.check_overdue(today=_weeks(4), now=NOW) == 2
    assert [a.type for a in alerting.unresolved(alices)] == ["overdue_measure"]
    assert [a.type for a in alerting.unresolved(carols)] == ["overdue_measure"]
    _give(world, "phq9", _phq9(13), _weeks(4))
    alerting.check_overdue(today=_weeks(4), now=NOW)
    assert "overdue_measure" not in [a.type for a in alerting.unresolved(alices)]
