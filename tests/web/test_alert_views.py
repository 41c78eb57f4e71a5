"""The therapist's and supervisor's view of alerts: caseload colours, tasks, queue."""

from __future__ import annotations

from datetime import date, timedelta

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus
from outcome_monitor.services import alerting
from tests.conftest import World
from tests.services.test_alerting import _give, _phq9


def _worsen(world: World) -> None:
    _give(world, "phq9", _phq9(12), date(2026, 9, 1))
    _give(world, "phq9", _phq9(19), date(2026, 9, 8))


def test_entering_a_worse_score_shows_the_alert_with_its_reason(login_as, world: World) -> None:
    _give(world, "phq9", _phq9(12), date(2026, 9, 1))
    client = login_as(world.alice)
    from outcome_monitor.services import care

    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 8), attended=True, by=world.alice
    )
    answers = {f"item_{k}": v for k, v in _phq9(19).items()}
    page = client.post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=answers | {"session_id": session.id},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "Reliable deterioration" in text
    assert "PHQ-9 19 at session 2, intake 12: worse by 7 (reliable change 6)" in text
    assert "Reviewed the alliance with the client" in text  # the support checklist


def test_caseload_puts_red_clients_first_with_a_status_word(login_as, world: World) -> None:
    from outcome_monitor.services import care

    other = care.create_client(code="A-002", therapist=world.alice, by=world.alice)
    care.open_episode(client=other, opened_on=date(2026, 9, 1), by=world.alice)
    _worsen(world)
    text = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert text.index("A-001") < text.index("A-002")
    assert 'class="status-red"' in text and "not on track" in text
    assert 'class="status-grey"' in text


def test_caseload_shows_risk_icon(login_as, world: World) -> None:
    _give(world, "phq9", _phq9(10, item9=1), date(2026, 9, 1))
    text = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert 'class="icon risk"' in text


def test_caseload_can_be_sorted_by_client_code(login_as, world: World) -> None:
    from outcome_monitor.services import care

    other = care.create_client(code="A-000", therapist=world.alice, by=world.alice)
    care.open_episode(client=other, opened_on=date(2026, 9, 1), by=world.alice)
    _worsen(world)
    text = login_as(world.alice).get("/clients/?sort=client").get_data(as_text=True)
    assert text.index("A-000") < text.index("A-001")


def test_acknowledge_from_the_client_page(login_as, world: World) -> None:
    _worsen(world)
    alert = db.session.scalars(db.select(Alert).where(Alert.type == "reliable_deterioration")).one()
    response = login_as(world.alice).post(
        f"/alerts/{alert.id}/acknowledge",
        data={
            f"ack{alert.id}-actions": ["review_alliance", "social_support"],
            f"ack{alert.id}-note": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(alert)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.actions == ["review_alliance", "social_support"]


def test_discussed_no_change_without_reason_is_refused(login_as, world: World) -> None:
    _worsen(world)
    alert = db.session.scalars(db.select(Alert).where(Alert.type == "reliable_deterioration")).one()
    page = login_as(world.alice).post(
        f"/alerts/{alert.id}/acknowledge",
        data={f"ack{alert.id}-actions": ["discussed_no_change"]},
        follow_redirects=True,
    )
    assert "Say why no change is needed" in page.get_data(as_text=True)
    db.session.refresh(alert)
    assert alert.status == AlertStatus.OPEN


def test_carol_cannot_acknowledge_alices_alert(login_as, world: World) -> None:
    _worsen(world)
    alert = db.session.scalars(db.select(Alert)).first()
    response = login_as(world.carol).post(
        f"/alerts/{alert.id}/acknowledge", data={f"ack{alert.id}-actions": ["supervision"]}
    )
    assert response.status_code == 404


def test_history_shows_resolved_alerts_with_actions(login_as, world: World) -> None:
    alert = _give(world, "phq9", _phq9(10, item9=1), date(2026, 9, 1)).alerts[0]
    client = login_as(world.alice)
    client.post(f"/alerts/{alert.id}/resolve", data={f"res{alert.id}-note": "safety plan agreed"})
    text = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "History of past alerts" in text and "safety plan agreed" in text


def test_supervisor_queue_lists_escalated_alerts_first(login_as, world: World) -> None:
    _worsen(world)
    risk = _give(world, "phq9", _phq9(18, item9=2), date(2026, 9, 15)).alerts
    risk_alert = next(a for a in risk if a.type == "risk_item")
    alerting.escalate_overdue(now=risk_alert.opened_at + timedelta(hours=30))
    text = login_as(world.sam).get("/alerts/").get_data(as_text=True)
    assert "A-001" in text and "escalated" in text
    assert text.index("Risk item answered") < text.index("Reliable deterioration")


def test_supervisor_queue_hides_other_teams(login_as, world: World) -> None:
    _worsen(world)
    assert "A-001" not in login_as(world.carol).get("/alerts/").get_data(as_text=True)
