"""Hand-over views: permissions, client mode, the questionnaire pages, lock and unlock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, HandOver, HandOverStatus
from outcome_monitor.services import instruments, settings_changes
from outcome_monitor.web.tablet import kiosk
from outcome_monitor.web.tablet import views as staff_views
from tests.builders import unchanged
from tests.conftest import PASSWORD, World, count, login

PHQ9 = {f"item-{i}": "1" for i in range(1, 10)}
GAD7 = {f"item-{i}": "2" for i in range(1, 8)}
SRS = {"item-1": "9.5", "item-2": "9.0", "item-3": "9.2", "item-4": "9.8"}


def start(client: FlaskClient, world: World, *codes: str) -> HandOver:
    episode = world.alices_client.current_episode
    response = client.post(
        f"/tablet/episodes/{episode.id}/start",
        data={"measures": list(codes or ("phq9", "srs")), "session_id": 0},
    )
    assert response.status_code == 302 and response.location.endswith("/tablet/")
    return db.session.scalars(sa.select(HandOver)).one()


def begin(client: FlaskClient) -> None:
    assert client.post("/tablet/begin", data={}).status_code == 302


def handed_over(login_as, world: World, *codes: str) -> tuple[FlaskClient, HandOver]:
    client = login_as(world.alice)
    handover = start(client, world, *codes)
    begin(client)
    return client, handover


def test_the_client_page_offers_the_service_defaults(login_as, world: World) -> None:
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "Hand over before the session: PHQ9, GAD7" in page
    assert "Hand over after the session: SRS" in page


def test_carol_cannot_start_a_handover_for_alices_client(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    client = login_as(world.carol)
    with unchanged():
        response = client.post(
            f"/tablet/episodes/{episode.id}/start", data={"measures": ["phq9"], "session_id": 0}
        )
    assert response.status_code == 404
    assert count(HandOver) == 0


@pytest.mark.parametrize("action", ["resume", "discard"])
def test_carol_cannot_resume_or_discard_alices_handover(
    client: FlaskClient, world: World, action: str
) -> None:
    login(client, world.alice)
    handover = start(client, world)
    client.post("/tablet/unlock", data={"secret": PASSWORD})
    client.post("/logout")
    login(client, world.carol)
    with unchanged():
        assert client.post(f"/tablet/handovers/{handover.id}/{action}").status_code == 404
    assert db.session.get(HandOver, handover.id).status == HandOverStatus.PAUSED


@pytest.mark.parametrize(
    "path", ["/clients/", "/clients/{client}", "/admin/users", "/logout", "/no/such/page", "/login"]
)
def test_client_mode_redirects_every_staff_page_to_the_kiosk(
    login_as, world: World, path: str
) -> None:
    client = login_as(world.alice)
    start(client, world)
    response = client.get(path.format(client=world.alices_client.id))
    assert response.status_code == 302 and response.location.endswith("/tablet/")


def test_client_mode_still_serves_health_and_static_files(login_as, world: World) -> None:
    client = login_as(world.alice)
    start(client, world)
    assert client.get("/healthz").status_code == 200
    response = client.get("/static/tablet.css")
    assert response.status_code == 200
    response.close()


def test_kiosk_pages_show_no_names_no_code_and_are_not_cached(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world)
    response = client.get("/tablet/q/phq9")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    for secret in ("A-001", "Alice", "alice@example.test", "/clients/", "Log out"):
        assert secret not in page
    assert "Little interest or pleasure in doing things" in page
    assert 'type="radio"' in page and "Over the last 2 weeks" in page


def test_the_welcome_screen_comes_first(login_as, world: World) -> None:
    client = login_as(world.alice)
    start(client, world)
    page = client.get("/tablet/").get_data(as_text=True)
    assert "A few questions for you" in page
    assert client.get("/tablet/q/phq9").status_code == 302


def test_a_full_handover_records_both_measures_and_shows_no_scores(login_as, world: World) -> None:
    client, handover = handed_over(login_as, world, "phq9", "srs")
    assert client.post("/tablet/q/phq9", data=PHQ9).location.endswith("/tablet/")
    assert client.get("/tablet/").location.endswith("/tablet/q/srs")
    srs_page = client.get("/tablet/q/srs").get_data(as_text=True)
    assert "Relationship" in srs_page and "licensed wording" in srs_page
    client.post("/tablet/q/srs", data=SRS)
    thanks = client.get("/tablet/").get_data(as_text=True)
    assert "Thank you" in thanks and "hand the tablet back" in thanks
    assert "37.5" not in thanks and "9.0" not in thanks
    modes = db.session.scalars(sa.select(Administration.entry_mode)).all()
    assert modes == [EntryMode.CLIENT_TABLET, EntryMode.CLIENT_TABLET]
    assert db.session.get(HandOver, handover.id).status == HandOverStatus.FINISHED


def test_a_double_submit_creates_one_administration(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world, "phq9", "srs")
    first = client.post("/tablet/q/phq9", data=PHQ9)
    second = client.post("/tablet/q/phq9", data=PHQ9)
    assert first.status_code == second.status_code == 302
    assert count(Administration) == 1


def test_autosave_keeps_answers_over_a_reload(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world)
    saved = client.post("/tablet/answer", data={"code": "phq9", "item-3": "2"})
    assert saved.get_json() == {"saved": True}
    page = client.get("/tablet/q/phq9").get_data(as_text=True)
    assert 'name="item-3" value="2" checked' in page


def test_autosave_refuses_an_impossible_answer(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world)
    assert client.post("/tablet/answer", data={"code": "phq9", "item-3": "9"}).status_code == 400
    assert client.post("/tablet/answer", data={"code": "nope", "item-3": "1"}).status_code == 404


def test_missing_answers_are_marked_and_kept(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world)
    response = client.post("/tablet/q/phq9", data={"item-1": "3", "item-2": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please answer the questions that are marked" in page
    assert page.count("Please answer this question.") == 7
    assert 'name="item-1" value="3" checked' in page


def test_one_item_per_screen(login_as, world: World) -> None:
    settings_changes.update_settings(changes={"handover_one_item_per_screen": True}, by=world.ada)
    client, _handover = handed_over(login_as, world, "srs")
    assert client.get("/tablet/").location.endswith("/tablet/q/srs/1")
    page = client.get("/tablet/q/srs/1").get_data(as_text=True)
    assert "Question 1 of 4" in page and "Goals and topics" not in page
    for number in range(1, 4):
        response = client.post(f"/tablet/q/srs/{number}", data={f"item-{number}": "8.0"})
        assert response.location.endswith(f"/tablet/q/srs/{number + 1}")
    client.post("/tablet/q/srs/4", data={"item-4": "7.5"})
    assert db.session.scalars(sa.select(Administration.total)).one() == 31.5


def test_wrong_unlock_keeps_client_mode(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world)
    response = client.post("/tablet/unlock", data={"secret": "wrong"})
    assert "does not unlock" in response.get_data(as_text=True)
    assert client.get("/clients/").status_code == 302


def test_unlock_returns_to_the_client_page_with_the_new_scores(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world, "phq9", "srs")
    client.post("/tablet/q/phq9", data=PHQ9)
    client.post("/tablet/q/srs", data=SRS)
    response = client.post("/tablet/unlock", data={"secret": PASSWORD}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/clients/{world.alices_client.id}"
    assert "New scores" in page and "9 (mild)" in page and "37.5" in page
    assert client.get("/clients/").status_code == 200


def test_unlock_with_the_pin_set_on_the_pin_page(login_as, world: World) -> None:
    client = login_as(world.alice)
    client.post("/tablet/pin", data={"password": PASSWORD, "pin": "2468", "confirm": "2468"})
    start(client, world)
    response = client.post("/tablet/unlock", data={"secret": "2468"})
    assert response.location.endswith(f"/clients/{world.alices_client.id}")


def test_a_supervisor_unlock_ends_the_therapists_login(login_as, world: World) -> None:
    client = login_as(world.alice)
    start(client, world)
    response = client.post("/tablet/unlock", data={"email": world.sam.email, "secret": PASSWORD})
    assert "/login" in response.location
    assert client.get("/clients/").location.startswith("/login")


def test_unlock_attempts_are_rate_limited(login_as, world: World) -> None:
    client = login_as(world.alice)
    start(client, world)
    codes = [client.post("/tablet/unlock", data={"secret": "x"}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert client.post("/tablet/unlock", data={"secret": PASSWORD}).status_code == 429


def test_an_idle_handover_locks_keeps_answers_and_can_be_resumed(
    login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, handover = handed_over(login_as, world)
    client.post("/tablet/answer", data={"code": "phq9", "item-1": "2"})
    later = datetime.now(UTC) + timedelta(minutes=11)
    monkeypatch.setattr(kiosk, "_now", lambda: later)
    monkeypatch.setattr(staff_views, "_now", lambda: later)
    assert "Paused" in client.get("/tablet/q/phq9", follow_redirects=True).get_data(as_text=True)
    client.post("/tablet/unlock", data={"secret": PASSWORD})
    panel = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "1 of 9 answered; missing items 2, 3, 4, 5, 6, 7, 8, 9" in panel
    assert client.post(f"/tablet/handovers/{handover.id}/resume").location.endswith("/tablet/")
    page = client.get("/tablet/q/phq9").get_data(as_text=True)
    assert 'name="item-1" value="2" checked' in page


def test_progress_graph_only_when_the_service_allows_it(login_as, world: World) -> None:
    settings_changes.update_settings(changes={"clients_see_progress_graph": True}, by=world.ada)
    client, _handover = handed_over(login_as, world, "phq9", "srs")
    client.post("/tablet/q/phq9", data=PHQ9)
    client.post("/tablet/q/srs", data=SRS)
    thanks = client.get("/tablet/").get_data(as_text=True)
    assert "Your scores so far" in thanks and "Patient Health Questionnaire-9" in thanks
    assert "Session Rating Scale" not in thanks and "37.5" not in thanks


@pytest.fixture
def german_phq9(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """A synthetic German translation of two PHQ-9 items (test data, not a validated one)."""
    library = dict(instruments.library())
    phq9 = library["phq9"]
    items = list(phq9.items)
    items[0] = replace(items[0], translations=MappingProxyType({"de": "Wenig Interesse (Test)"}))
    library["phq9"] = replace(phq9, languages=("en", "de"), items=tuple(items))
    monkeypatch.setitem(app.extensions, instruments.LIBRARY_KEY, library)


def test_the_client_picks_the_language_when_there_are_several(
    login_as, world: World, german_phq9: None
) -> None:
    client = login_as(world.alice)
    start(client, world, "phq9", "srs")
    welcome = client.get("/tablet/").get_data(as_text=True)
    assert "Choose your language" in welcome and "Deutsch" in welcome and "English" in welcome
    client.post("/tablet/begin", data={"language": "de"})
    page = client.get("/tablet/q/phq9").get_data(as_text=True)
    assert '<span lang="de">Wenig Interesse (Test)</span>' in page
    assert '<span lang="en">Feeling down, depressed, or hopeless</span>' in page
    assert '<html lang="en"' in page  # the buttons and answer labels are still English


def test_a_single_language_needs_no_choice(login_as, world: World) -> None:
    client = login_as(world.alice)
    start(client, world)
    assert "Choose your language" not in client.get("/tablet/").get_data(as_text=True)


# Risk items: an answer or "Prefer not to say", never a silent blank --------------------------

PHQ9_WITHOUT_9 = {f"item-{i}": "1" for i in range(1, 9)}


def test_only_the_risk_item_offers_prefer_not_to_say(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world, "phq9")
    page = client.get("/tablet/q/phq9").get_data(as_text=True)

    assert page.count("Prefer not to say") == 1
    assert page.count('value="declined"') == 1 and 'name="item-9" value="declined"' in page


def test_a_blank_risk_item_is_refused_gently_and_nothing_is_recorded(
    login_as, world: World
) -> None:
    client, _handover = handed_over(login_as, world, "phq9")
    response = client.post("/tablet/q/phq9", data=PHQ9_WITHOUT_9)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Please choose an answer to the marked question" in page
    assert 'id="q-9-missing"' in page and page.count("Please answer this question.") == 1
    assert "If you would rather not answer it, choose “Prefer not to say”." in page
    assert 'name="item-1" value="1" checked' in page  # what was given is kept
    assert count(Administration) == 0


def test_prefer_not_to_say_records_the_risk_item_as_not_answered(login_as, world: World) -> None:
    client, handover = handed_over(login_as, world, "phq9")
    response = client.post("/tablet/q/phq9", data=PHQ9_WITHOUT_9 | {"item-9": "declined"})

    assert response.location.endswith("/tablet/")
    row = db.session.scalars(sa.select(Administration)).one()
    assert row.risk_items == ["9"] and row.answers.get("9") is None
    assert row.total == 9 and row.entry_mode == EntryMode.CLIENT_TABLET
    assert db.session.get(HandOver, handover.id).status == HandOverStatus.FINISHED


def test_an_autosaved_decline_survives_a_reload(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world, "phq9")
    saved = client.post("/tablet/answer", data={"code": "phq9", "item-9": "declined"})

    assert saved.get_json() == {"saved": True}
    page = client.get("/tablet/q/phq9").get_data(as_text=True)
    assert 'name="item-9" value="declined" checked' in page


def test_declining_an_ordinary_item_is_refused(login_as, world: World) -> None:
    client, _handover = handed_over(login_as, world, "phq9")

    assert (
        client.post("/tablet/answer", data={"code": "phq9", "item-1": "declined"}).status_code
        == 400
    )
    response = client.post("/tablet/q/phq9", data=PHQ9_WITHOUT_9 | {"item-1": "declined"})
    assert response.status_code == 400 and count(Administration) == 0


def test_one_item_per_screen_stops_at_a_blank_risk_item(login_as, world: World) -> None:
    settings_changes.update_settings(changes={"handover_one_item_per_screen": True}, by=world.ada)
    client, _handover = handed_over(login_as, world, "core10")
    for number in range(1, 6):
        client.post(f"/tablet/q/core10/{number}", data={f"item-{number}": "1"})

    blank = client.post("/tablet/q/core10/6", data={})
    assert blank.status_code == 200
    assert "Question 6 of 10" in blank.get_data(as_text=True)
    assert "Please choose an answer to the marked question" in blank.get_data(as_text=True)

    declined = client.post("/tablet/q/core10/6", data={"item-6": "declined"})
    assert declined.location.endswith("/tablet/q/core10/7")
    back = client.get("/tablet/q/core10/6").get_data(as_text=True)
    assert 'name="item-6" value="declined" checked' in back
    for number in range(7, 11):
        client.post(f"/tablet/q/core10/{number}", data={f"item-{number}": "1"})
    row = db.session.scalars(sa.select(Administration)).one()
    assert row.risk_items == ["6"] and row.answers.get("6") is None


def test_one_item_per_screen_sends_a_skipped_risk_item_back_to_its_page(
    login_as, world: World
) -> None:
    settings_changes.update_settings(changes={"handover_one_item_per_screen": True}, by=world.ada)
    client, _handover = handed_over(login_as, world, "core10")
    for number in (1, 2, 3, 4, 5, 7, 8, 9):
        client.post(f"/tablet/q/core10/{number}", data={f"item-{number}": "1"})

    response = client.post("/tablet/q/core10/10", data={"item-10": "1"})

    page = response.get_data(as_text=True)
    assert "Question 6 of 10" in page and "Please choose an answer" in page
    assert count(Administration) == 0
