"""Alerts through the API: the list, the attention card, and one acknowledgement for it."""

from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, AuditEvent, Episode, TokenScope
from tests.api.conftest import assert_problem, give, issue
from tests.builders import phq9
from tests.conftest import World, count


def _risky(world: World) -> Episode:
    """Alice's episode with an open risk-item alert (PHQ-9 item 9 answered 2)."""
    episode = world.alices_client.current_episode
    assert episode is not None
    give(episode, world.alice, phq9(14, item9=2), weeks=0)
    return episode


def _card(api, episode: Episode, secret: str) -> dict:  # type: ignore[no-untyped-def]
    response = api("GET", f"/api/episodes/{episode.id}/attention-card", secret)
    assert response.status_code == 200
    return response.get_json()


def test_an_episode_without_alerts_has_no_card(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    body = _card(api, episode, issue(world.alice))
    assert body == {"episode_id": episode.id, "card": None}


def test_the_card_shows_reasons_checklist_and_version(api, world: World) -> None:
    episode = _risky(world)
    card = _card(api, episode, issue(world.alice))["card"]
    assert card["status"] == "open" and card["level"] == "risk"
    assert [r["headline"] for r in card["reasons"]] == ["risk_item"]
    assert "risk_assessment" in card["checklist"]
    assert card["version"]


def test_acknowledging_the_card_acknowledges_its_open_alerts(api, world: World) -> None:
    episode = _risky(world)
    secret = issue(world.alice)
    version = _card(api, episode, secret)["card"]["version"]
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/attention-card/acknowledge",
        secret,
        json={"version": version, "actions": ["risk_assessment"], "note": "Safety plan"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["acknowledged"] == 1
    assert body["card"]["card"]["status"] == "acknowledged"
    alert = db.session.scalar(sa.select(Alert))
    assert alert is not None and alert.status == AlertStatus.ACKNOWLEDGED
    assert (alert.acknowledged_by_id, alert.actions) == (world.alice.id, ["risk_assessment"])
    ack = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "alert.acknowledge"))
    assert ack is not None and ack.details["via"] == "card"


def test_a_stale_version_is_409_and_acknowledges_nothing(api, world: World) -> None:
    episode = _risky(world)
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/attention-card/acknowledge",
        issue(world.alice),
        json={"version": "0000000000000000", "actions": ["risk_assessment"]},
    )
    assert "changed" in assert_problem(response, 409)["detail"]
    assert count(Alert, Alert.status == AlertStatus.OPEN) == 1


def test_nothing_to_acknowledge_is_409(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/attention-card/acknowledge",
        issue(world.alice),
        json={"version": "x", "actions": ["supervision"]},
    )
    assert_problem(response, 409)


def test_an_action_off_the_checklist_or_a_missing_reason_is_422(api, world: World) -> None:
    episode = _risky(world)
    secret = issue(world.alice)
    version = _card(api, episode, secret)["card"]["version"]
    path = f"/api/episodes/{episode.id}/attention-card/acknowledge"
    off_list = {"version": version, "actions": ["review_alliance"]}
    no_reason = {"version": version, "actions": ["discussed_no_change"]}
    not_an_action = {"version": version, "actions": ["made tea"]}
    assert_problem(api("POST", path, secret, json=off_list), 422)
    assert "why" in assert_problem(api("POST", path, secret, json=no_reason), 422)["detail"]
    body = assert_problem(api("POST", path, secret, json=not_an_action), 422)
    assert "actions" in body["errors"]["json"]
    assert count(Alert, Alert.status == AlertStatus.OPEN) == 1


def test_a_read_token_cannot_acknowledge(api, world: World) -> None:
    episode = _risky(world)
    secret = issue(world.alice, TokenScope.READ)
    version = _card(api, episode, secret)["card"]["version"]
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/attention-card/acknowledge",
        secret,
        json={"version": version, "actions": ["risk_assessment"]},
    )
    assert_problem(response, 403)
    assert count(Alert, Alert.status == AlertStatus.OPEN) == 1


def test_carol_neither_sees_nor_acknowledges_alices_card(api, world: World) -> None:
    episode = _risky(world)
    secret = issue(world.carol)
    assert api("GET", "/api/alerts", secret).get_json()["items"] == []
    assert_problem(api("GET", f"/api/episodes/{episode.id}/attention-card", secret), 404)
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/attention-card/acknowledge",
        secret,
        json={"version": "x", "actions": ["risk_assessment"]},
    )
    assert_problem(response, 404)


def test_the_alert_list_filters_by_state(api, world: World) -> None:
    _risky(world)
    secret = issue(world.alice)
    assert len(api("GET", "/api/alerts", secret).get_json()["items"]) == 1
    assert api("GET", "/api/alerts?status=resolved", secret).get_json()["items"] == []
    assert_problem(api("GET", "/api/alerts?status=closed", secret), 422)
