"""Recording a score through the API: the web form's service, its alerts, its rules."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AlertStatus,
    EntryMode,
    EpisodeStatus,
    TokenScope,
)
from outcome_monitor.services import care
from tests.api.conftest import assert_problem, issue
from tests.builders import phq9
from tests.conftest import World, count


def _form(answers: dict[str, float], session_id: int) -> dict[str, object]:
    data: dict[str, object] = {f"item_{k}": int(v) for k, v in answers.items()}
    data["session_id"] = session_id
    return data


def _alert_kinds(episode_id: int) -> set[tuple[str, str | None, str]]:
    rows = db.session.scalars(
        sa.select(Alert).where(Alert.episode_id == episode_id, Alert.status != "resolved")
    )
    return {(a.type, a.severity, a.instrument_code) for a in rows}


def test_a_score_posted_raises_the_alerts_the_web_form_raises(api, login_as, world: World) -> None:
    """The same two PHQ-9s (12, then 19) on two of Alice's episodes: one by the form, one by
    the API. Both raise the same alerts (reliable deterioration, red not on track)."""
    by_form = world.alices_client.current_episode
    other = care.create_client(code="A-002", therapist=world.alice, by=world.alice)
    by_api = care.open_episode(client=other, opened_on=date(2026, 9, 1), by=world.alice)
    assert by_form is not None
    web = login_as(world.alice)
    secret = issue(world.alice)
    for week, total in ((1, 12), (8, 19)):
        on = date(2026, 9, week)
        form_session = care.record_session(
            episode=by_form, session_date=on, attended=True, by=world.alice
        )
        api_session = care.record_session(
            episode=by_api, session_date=on, attended=True, by=world.alice
        )
        web.post(
            f"/clients/episodes/{by_form.id}/measures/phq9",
            data=_form(phq9(total), form_session.id),
        )
        posted = api(
            "POST",
            f"/api/episodes/{by_api.id}/administrations",
            secret,
            json={"instrument_code": "phq9", "answers": phq9(total), "session_id": api_session.id},
        )
        assert posted.status_code == 201, posted.get_data(as_text=True)
    expected = _alert_kinds(by_form.id)
    assert ("reliable_deterioration", None, "phq9") in expected
    assert _alert_kinds(by_api.id) == expected
    body = posted.get_json()
    assert {(a["type"], a["severity"]) for a in body["alerts"]} >= {
        ("reliable_deterioration", None),
        ("not_on_track", "red"),
    }
    assert body["administration"]["total"] == 19
    assert body["administration"]["entry_mode"] == EntryMode.THERAPIST


def test_the_raised_alert_appears_on_the_client_page(api, login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    secret = issue(world.alice)
    posted = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        secret,
        json={"instrument_code": "phq9", "answers": phq9(12, item9=2)},
    )
    assert posted.status_code == 201
    assert [a["type"] for a in posted.get_json()["alerts"]] == ["risk_item"]
    listed = api("GET", "/api/alerts?status=open", secret).get_json()
    assert [a["type"] for a in listed["items"]] == ["risk_item"]
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}")
    assert "risk item" in page.get_data(as_text=True).lower()


def test_a_read_token_cannot_record(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice, TokenScope.READ),
        json={"instrument_code": "phq9", "answers": phq9(10)},
    )
    assert "read-only" in assert_problem(response, 403)["detail"]
    assert count(Administration) == 0


def test_carol_cannot_record_in_alices_episode(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.carol),
        json={"instrument_code": "phq9", "answers": phq9(10)},
    )
    assert_problem(response, 404)
    assert count(Administration) == 0


def test_a_risk_item_must_be_sent_even_if_unanswered(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    answers = phq9(10)
    del answers["9"]
    path = f"/api/episodes/{episode.id}/administrations"
    secret = issue(world.alice)
    refused = api("POST", path, secret, json={"instrument_code": "phq9", "answers": answers})
    assert "9" in assert_problem(refused, 422)["errors"]["json"]["answers"]
    assert count(Administration) == 0
    answers["9"] = None  # type: ignore[assignment]
    saved = api("POST", path, secret, json={"instrument_code": "phq9", "answers": answers})
    assert saved.status_code == 201
    assert saved.get_json()["administration"]["risk_items"] == ["9"]


def test_invalid_answers_are_422_with_the_scoring_reason(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    answers = phq9(10)
    answers["1"] = 7
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice),
        json={"instrument_code": "phq9", "answers": answers},
    )
    assert "not an allowed answer" in assert_problem(response, 422)["detail"]
    assert count(Administration) == 0


def test_an_unknown_instrument_and_a_foreign_session_are_422(api, world: World) -> None:
    episode = world.alices_client.current_episode
    carols = world.carols_client.current_episode
    assert episode is not None and carols is not None
    foreign = care.record_session(
        episode=carols, session_date=date(2026, 9, 2), attended=True, by=world.carol
    )
    path = f"/api/episodes/{episode.id}/administrations"
    secret = issue(world.alice)
    unknown = api("POST", path, secret, json={"instrument_code": "nope", "answers": {}})
    assert "instrument_code" in assert_problem(unknown, 422)["errors"]["json"]
    body = {"instrument_code": "phq9", "answers": phq9(3), "session_id": foreign.id}
    assert (
        "session_id" in assert_problem(api("POST", path, secret, json=body), 422)["errors"]["json"]
    )
    assert count(Administration) == 0


def test_a_closed_episode_is_409(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    care.close_episode(
        episode=episode,
        closed_on=date(2026, 10, 1),
        status=EpisodeStatus.CLOSED,
        reason="planned end",
        by=world.alice,
    )
    response = api(
        "POST",
        f"/api/episodes/{episode.id}/administrations",
        issue(world.alice),
        json={"instrument_code": "phq9", "answers": phq9(3)},
    )
    assert_problem(response, 409)


def test_a_repeated_submission_key_records_once(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    path = f"/api/episodes/{episode.id}/administrations"
    secret = issue(world.alice)
    body = {"instrument_code": "phq9", "answers": phq9(5), "submission_key": "ehr-42"}
    first = api("POST", path, secret, json=body)
    again = api("POST", path, secret, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["created"] is False
    assert again.get_json()["administration"]["id"] == first.get_json()["administration"]["id"]
    assert count(Administration) == 1


def test_a_submission_key_is_scoped_to_its_user_and_episode(api, world: World) -> None:
    """Carol reusing Alice's key records her own score; it never returns Alice's."""
    body = {"instrument_code": "phq9", "answers": phq9(5), "submission_key": "same-key"}
    for who, client in ((world.alice, world.alices_client), (world.carol, world.carols_client)):
        episode = client.current_episode
        assert episode is not None
        response = api("POST", f"/api/episodes/{episode.id}/administrations", issue(who), json=body)
        assert response.status_code == 201
        assert response.get_json()["administration"]["episode_id"] == episode.id
    assert count(Administration) == 2


def test_administrations_are_listed_and_read(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    secret = issue(world.alice)
    path = f"/api/episodes/{episode.id}/administrations"
    for total in (12, 9):
        api("POST", path, secret, json={"instrument_code": "phq9", "answers": phq9(total)})
    listed = api("GET", path, secret).get_json()
    assert [a["total"] for a in listed["items"]] == [12, 9]
    one = api("GET", f"/api/administrations/{listed['items'][1]['id']}", secret).get_json()
    assert one["answers"] == phq9(9) and one["severity"] == "mild"
    assert count(Alert, Alert.status == AlertStatus.OPEN) == 0
