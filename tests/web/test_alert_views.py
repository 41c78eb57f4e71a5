"""The therapist's and supervisor's view of alerts: caseload colours, one attention card per
episode with one acknowledgement, and the queue of flagged cases (one row per client episode)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, Episode
from outcome_monitor.services import alerting, attention, care, case_status
from tests.builders import count_statements, crisis, give_score, phq9, unchanged
from tests.conftest import World

LATER = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)


def _worsen(world: World) -> None:
    give_score(world, "phq9", phq9(12), date(2026, 9, 1))
    give_score(world, "phq9", phq9(19), date(2026, 9, 8))


def _episode(world: World) -> Episode:
    episode = world.alices_client.current_episode
    assert episode is not None
    return episode


def _card_form(episode: Episode, actions: list[str], note: str = "") -> dict[str, object]:
    """What the card's acknowledgement form posts (the version of the card as shown now)."""
    entry = attention.episode_card(episode)
    assert entry is not None
    return {"card-actions": actions, "card-note": note, "card-version": entry.version}


def _statuses(episode: Episode) -> set[str]:
    rows = db.session.scalars(sa.select(Alert.status).where(Alert.episode_id == episode.id))
    return set(rows)


def test_entering_a_worse_score_shows_the_alert_with_its_reason(login_as, world: World) -> None:
    give_score(world, "phq9", phq9(12), date(2026, 9, 1))
    client = login_as(world.alice)
    episode = _episode(world)
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 8), attended=True, by=world.alice
    )
    answers = {f"item_{k}": v for k, v in phq9(19).items()}
    page = client.post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=answers | {"session_id": session.id},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "Reliable deterioration" in text
    assert "PHQ-9 19 at session 2, intake 12: worse by 7 (reliable change 6)" in text
    assert "Reviewed the alliance with the client" in text  # the support checklist
    assert text.count('class="ack-form"') == 1


def test_caseload_puts_red_clients_first_with_a_status_word(login_as, world: World) -> None:
    other = care.create_client(code="A-002", therapist=world.alice, by=world.alice)
    care.open_episode(client=other, opened_on=date(2026, 9, 1), by=world.alice)
    _worsen(world)
    text = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert text.index("A-001") < text.index("A-002")
    assert 'class="status-red"' in text and "not on track" in text
    assert 'class="status-grey"' in text


def test_caseload_shows_risk_icon(login_as, world: World) -> None:
    give_score(world, "phq9", phq9(10, item9=1), date(2026, 9, 1))
    text = login_as(world.alice).get("/clients/").get_data(as_text=True)
    assert 'class="icon risk"' in text


def test_caseload_can_be_sorted_by_client_code(login_as, world: World) -> None:
    other = care.create_client(code="A-000", therapist=world.alice, by=world.alice)
    care.open_episode(client=other, opened_on=date(2026, 9, 1), by=world.alice)
    _worsen(world)
    text = login_as(world.alice).get("/clients/?sort=client").get_data(as_text=True)
    assert text.index("A-000") < text.index("A-001")


def test_the_crisis_shows_one_card_with_risk_first_and_one_acknowledgement_form(
    login_as, world: World
) -> None:
    crisis(world)
    text = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert text.count('<article class="alert-card attention-card') == 1
    assert text.count('class="ack-form"') == 1
    titles = re.findall(r'<strong class="reason-title">([^<]+)</strong>', text)
    assert titles[:3] == [
        "Risk item",
        "Reliable deterioration (red)",  # GAD-7: red not-on-track and deterioration merged
        "Reliable deterioration (red)",  # PHQ-9
    ]
    assert set(titles[3:]) <= {"Possible alliance rupture", "Low alliance rating"}
    assert "PHQ-9 risk item: 9 = 1 (session 2)" in text
    assert "GAD-7 14 at session 2, intake 8: worse by 6 (reliable change 4)" in text
    assert "Risk assessment and safety plan" in text  # the risk prompt is on the one checklist


def test_acknowledge_the_card_from_the_client_page(login_as, world: World) -> None:
    episode = crisis(world)
    client = login_as(world.alice)
    response = client.post(
        f"/alerts/episodes/{episode.id}/acknowledge",
        data=_card_form(episode, ["risk_assessment", "review_alliance"], "Safety plan agreed"),
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/clients/{world.alices_client.id}#alerts")
    assert _statuses(episode) == {AlertStatus.ACKNOWLEDGED}
    text = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "Acknowledged." in text  # the flash
    assert "Needs attention" not in text and 'class="ack-form"' not in text
    assert text.count("(acknowledged)") == text.count('class="reason-title"')
    assert "Risk assessment and safety plan; Reviewed the alliance with the client" in text


def test_discussed_no_change_without_reason_is_refused(login_as, world: World) -> None:
    _worsen(world)
    episode = _episode(world)
    page = login_as(world.alice).post(
        f"/alerts/episodes/{episode.id}/acknowledge",
        data=_card_form(episode, ["discussed_no_change"]),
        follow_redirects=True,
    )
    assert "Say why no change is needed" in page.get_data(as_text=True)
    assert _statuses(episode) == {AlertStatus.OPEN}


def test_a_card_without_its_version_is_not_acknowledged(login_as, world: World) -> None:
    _worsen(world)
    episode = _episode(world)
    page = login_as(world.alice).post(
        f"/alerts/episodes/{episode.id}/acknowledge",
        data={"card-actions": ["supervision"]},
        follow_redirects=True,
    )
    assert "Not acknowledged" in page.get_data(as_text=True)
    assert _statuses(episode) == {AlertStatus.OPEN}


def test_carol_of_another_team_gets_404_for_the_card(login_as, world: World) -> None:
    episode = crisis(world)
    client = login_as(world.carol)
    form = _card_form(episode, ["supervision"])
    resolve = f"/alerts/episodes/{episode.id}/reasons/risk_item-phq9/resolve"
    with unchanged():
        acknowledge = f"/alerts/episodes/{episode.id}/acknowledge"
        assert client.post(acknowledge, data=form).status_code == 404
        assert client.post(resolve, data={"res-risk_item-phq9-note": "x"}).status_code == 404
    assert _statuses(episode) == {AlertStatus.OPEN}


def test_an_unknown_episode_is_404(login_as, world: World) -> None:
    client = login_as(world.alice)
    with unchanged():
        response = client.post("/alerts/episodes/999999/acknowledge", data={})
    assert response.status_code == 404


def test_history_shows_resolved_alerts_with_actions(login_as, world: World) -> None:
    give_score(world, "phq9", phq9(10, item9=1), date(2026, 9, 1))
    client = login_as(world.alice)
    episode = _episode(world)
    client.post(
        f"/alerts/episodes/{episode.id}/reasons/risk_item-phq9/resolve",
        data={"res-risk_item-phq9-note": "safety plan agreed"},
    )
    text = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "History of past alerts" in text and "safety plan agreed" in text
    assert "No open alerts." in text


def test_supervisor_queue_lists_escalated_alerts_first(login_as, world: World) -> None:
    _worsen(world)
    risk = give_score(world, "phq9", phq9(18, item9=2), date(2026, 9, 15)).alerts
    risk_alert = next(a for a in risk if a.type == "risk_item")
    alerting.escalate_overdue(now=risk_alert.opened_at + timedelta(hours=30))
    text = _tbody(login_as(world.sam).get("/alerts/").get_data(as_text=True))
    assert "A-001" in text and "escalated" in text
    assert text.index("Risk item") < text.index("Reliable deterioration")


def _tbody(text: str) -> str:
    """The queue's rows only (the filter above them names every alert type too)."""
    return text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _queue_rows(text: str) -> list[str]:
    return re.findall(r">([AB]-\d{3})</a>", _tbody(text))


def _bobs_client_overdue(world: World, code: str = "B-001") -> Episode:
    """A client of Bob's, never measured, flagged as overdue (Alice's A-001 is flagged too)."""
    bobs = care.create_client(code=code, therapist=world.bob, by=world.bob)
    episode = care.open_episode(client=bobs, opened_on=date(2026, 9, 1), by=world.bob)
    alerting.check_overdue(today=date(2026, 10, 6), now=LATER)
    return episode


def test_supervisor_queue_shows_one_row_per_client_episode(login_as, world: World) -> None:
    crisis(world)  # Alice's client: risk, two measures deteriorating, low alliance
    _bobs_client_overdue(world)
    text = login_as(world.sam).get("/alerts/").get_data(as_text=True)
    assert _queue_rows(text) == ["A-001", "B-001"]  # risk first
    text = _tbody(text)
    assert text.count("Outcome measure overdue") == 2  # one reason on each client's row
    assert text.count("<strong>Risk item</strong>") == 1


def test_supervisor_queue_puts_an_escalated_card_before_a_risk_card(login_as, world: World) -> None:
    crisis(world)
    bobs = _bobs_client_overdue(world)
    # Overdue alerts are never escalated by the job; mark one to test the queue's order, and
    # refresh the stored status as the escalation job does (the queue reads it).
    db.session.execute(
        sa.update(Alert).where(Alert.episode_id == bobs.id).values(escalated_at=LATER)
    )
    db.session.expire_all()
    case_status.refresh(bobs)
    db.session.commit()
    assert _queue_rows(login_as(world.sam).get("/alerts/").get_data(as_text=True)) == [
        "B-001",
        "A-001",
    ]


def test_supervisor_queue_hides_other_teams(login_as, world: World) -> None:
    _worsen(world)
    assert "A-001" not in login_as(world.carol).get("/alerts/").get_data(as_text=True)


def _queue_queries(client, expected_rows: int) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()  # as a fresh request would: nothing already loaded
    with count_statements() as statements:
        page = client.get("/alerts/")
    assert len(_queue_rows(page.get_data(as_text=True))) == expected_rows
    return len(statements)


def test_the_queue_runs_the_same_number_of_queries_for_3_and_13_clients(
    login_as, world: World
) -> None:
    _worsen(world)
    for n in range(2):
        _bobs_client_overdue(world, f"B-{n:03d}")
    client = login_as(world.sam)
    small = _queue_queries(client, 3)
    for n in range(2, 12):
        _bobs_client_overdue(world, f"B-{n:03d}")
    assert _queue_queries(client, 13) == small


def test_after_acknowledging_only_a_local_page_is_returned_to(login_as, world: World) -> None:
    episode = crisis(world)
    client = login_as(world.alice)
    form = _card_form(episode, ["supervision"])
    away = client.post(
        f"/alerts/episodes/{episode.id}/acknowledge", data=form | {"next": "//evil.example/x"}
    )
    assert away.location.endswith(f"/clients/{world.alices_client.id}#alerts")
    local_page = "/clients/episodes/1/measures"
    home = client.post(
        f"/alerts/episodes/{episode.id}/acknowledge", data=form | {"next": local_page}
    )
    assert home.location == local_page
