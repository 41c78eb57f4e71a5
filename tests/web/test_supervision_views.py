"""The supervisor's case-review queue, the review form and the client page's Supervision panel
(synthetic data)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    Client,
    Episode,
    ReviewDecision,
    SupervisionRequest,
    SupervisionReview,
)
from outcome_monitor.services import (
    alerting,
    attention,
    refit,
    settings_changes,
    supervision,
)
from outcome_monitor.services.clock import service_today
from tests.builders import (
    NOW,
    bobs_episode,
    count_statements,
    crisis,
    flagged_case,
    insert_closed_episodes,
    review_case,
    south_supervisor,
    unchanged,
)
from tests.conftest import World, count, login

TODAY = date.today()
LATER = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)


def _tbody(text: str) -> str:
    return text.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in text else ""


def _rows(text: str) -> list[str]:
    """Client codes of the queue's rows, in order."""
    return re.findall(r">([ABC]-\d{3})</a>", _tbody(text))


def _count(text: str, name: str) -> int:
    found = re.search(rf'id="count-{name}">(\d+)<', text)
    assert found is not None, name
    return int(found.group(1))


@pytest.fixture
def three_cases(world: World) -> dict[str, Episode]:
    """A-001: Alice's crisis (risk, escalated). B-001: Bob's, overdue, already reviewed.
    B-002: Bob asked for supervision (no alert)."""
    alices = crisis(world)
    risk = db.session.scalars(sa.select(Alert).where(Alert.type == "risk_item")).one()
    alerting.escalate_overdue(now=risk.opened_at + timedelta(hours=30))
    overdue = bobs_episode(world, "B-001")
    alerting.check_overdue(today=date(2026, 10, 6), now=LATER)
    review_case(world, overdue)
    asked = bobs_episode(world, "B-002")
    supervision.request_supervision(episode=asked, by=world.bob, note="Ending?", now=NOW)
    return {"A-001": alices, "B-001": overdue, "B-002": asked}


def test_the_supervisor_lands_on_the_queue_after_login(client, world: World) -> None:
    response = login(client, world.sam)
    assert response.location.endswith("/alerts/")
    page = client.get("/alerts/").get_data(as_text=True)
    nav = page.split('<nav aria-label="Main">', 1)[1]
    assert nav.index("Flagged cases") < nav.index("Caseload")
    client.post("/logout")
    assert login(client, world.alice).location.endswith("/clients/")  # therapists: caseload


def test_the_queue_shows_each_case_with_its_reasons_response_and_reviews(
    login_as, world: World, three_cases
) -> None:
    text = login_as(world.sam).get("/alerts/").get_data(as_text=True)
    assert _rows(text) == ["A-001", "B-002", "B-001"]  # escalated risk; request; reviewed
    assert (_count(text, "cases"), _count(text, "escalated")) == (3, 1)
    assert (_count(text, "not-reviewed"), _count(text, "requested")) == (2, 1)
    assert _count(text, "follow-ups") == 0
    body = _tbody(text)
    alices, bobs_asked, bobs_reviewed = re.split(r'<tr class="[^"]*" id="case-', body)[1:]
    assert "Risk item" in alices and "escalated" in alices and "never reviewed" in alices
    assert re.search(r"open \d+ days", alices)
    assert "waiting for acknowledgement" in alices
    assert "no prognosis (rational method)" in alices
    assert "Therapist asked for supervision" in bobs_asked and "Ending?" in bobs_asked
    assert "no outcome measure yet" in bobs_asked
    assert f"last reviewed {TODAY}: Continue as planned" in bobs_reviewed
    assert "not yet reviewed" not in bobs_reviewed and "Outcome measure overdue" in bobs_reviewed
    assert body.count("Record review") == 3


def test_the_queue_shows_what_the_therapist_did(login_as, world: World, three_cases) -> None:
    client = login_as(world.alice)
    episode = three_cases["A-001"]
    entry = attention.episode_card(episode)
    assert entry is not None
    client.post(
        f"/alerts/episodes/{episode.id}/acknowledge",
        data={
            "card-actions": ["risk_assessment", "supervision"],
            "card-note": "Safety plan agreed",
            "card-version": entry.version,
        },
    )
    client.post("/logout")
    row = _tbody(login_as(world.sam).get("/alerts/").get_data(as_text=True))
    alices = row.split('id="case-', 2)[1]
    assert "Risk assessment and safety plan; Taking it to supervision" in alices
    assert "Safety plan agreed" in alices and "by Alice on" in alices
    assert "Therapist asked for supervision" in alices  # the checklist flagged it


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A-001", "B-002", "B-001"]),
        ("?therapist={bob}", ["B-002", "B-001"]),
        ("?team={north}", ["A-001", "B-002", "B-001"]),
        ("?reason=risk_item", ["A-001"]),
        ("?reason=overdue_measure", ["A-001", "B-001"]),
        ("?reason=supervision_requested", ["B-002"]),
        ("?escalated=1", ["A-001"]),
        ("?not_reviewed=1", ["A-001", "B-002"]),
        ("?therapist={bob}&not_reviewed=1", ["B-002"]),
    ],
    ids=[
        "none",
        "therapist",
        "team",
        "risk",
        "overdue",
        "asked for supervision",
        "escalated",
        "not reviewed",
        "combined",
    ],
)
def test_queue_filters(login_as, world: World, three_cases, query: str, expected) -> None:
    url = "/alerts/" + query.format(bob=world.bob.id, north=world.north.id)
    response = login_as(world.sam).get(url)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _rows(text) == expected
    assert _count(text, "cases") == 3  # the counts are of the whole queue


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?team=abc", "Unknown team"),
        ("?team={south}", "Unknown team"),  # a team Sam does not supervise
        ("?therapist={carol}", "Unknown therapist"),  # a therapist of another team
        ("?therapist=-1", "Unknown therapist"),
        ("?reason=bogus", "Unknown reason"),
        ("?escalated=maybe", "tick-box filter"),
        ("?not_reviewed=2", "tick-box filter"),
    ],
    ids=[
        "team not a number",
        "foreign team",
        "foreign therapist",
        "negative id",
        "unknown reason",
        "odd switch",
        "odd switch 2",
    ],
)
def test_bad_filter_values_get_a_clear_message(
    login_as, world: World, three_cases, query: str, message: str
) -> None:
    url = "/alerts/" + query.format(south=world.south.id, carol=world.carol.id)
    response = login_as(world.sam).get(url)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text and "<tbody>" not in text
    assert "C-001" not in text


def test_a_review_round_trip_from_the_queue(login_as, world: World, three_cases) -> None:
    client = login_as(world.sam)
    episode = three_cases["A-001"]
    queue = client.get("/alerts/?not_reviewed=1").get_data(as_text=True)
    link = re.search(rf'href="(/supervision/episodes/{episode.id}/review\?next=[^"]+)"', queue)
    assert link is not None
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    # the date defaults to the clinic's today (read now: the module's TODAY may be from before
    # midnight, and the service's time zone need not be the server's)
    assert f'value="{service_today(client.application).isoformat()}"' in form
    assert "Risk item" in form  # why the case is here
    next_url = re.search(r'name="next" type="hidden" value="([^"]+)"', form)
    assert next_url is not None and next_url.group(1).startswith("/alerts/?")
    follow_up = TODAY + timedelta(weeks=2)
    response = client.post(
        f"/supervision/episodes/{episode.id}/review",
        data={
            "reviewed_on": TODAY.isoformat(),
            "decision": "increase_frequency",
            "note": "Weekly sessions for a month; safety plan reviewed.",
            "follow_up_on": follow_up.isoformat(),
            "next": next_url.group(1),
        },
    )
    assert response.status_code == 302
    assert response.location.startswith("/alerts/?") and "not_reviewed=1" in response.location
    after = client.get(response.location).get_data(as_text=True)
    assert "Review recorded." in after
    assert _rows(after) == ["B-002"]  # A-001 is reviewed now
    stored = db.session.scalars(
        sa.select(SupervisionReview).where(SupervisionReview.episode_id == episode.id)
    ).one()
    assert (stored.decision, stored.follow_up_on) == (ReviewDecision.INCREASE_FREQUENCY, follow_up)
    client.post("/logout")
    page = login_as(world.alice).get(f"/clients/{episode.client_id}").get_data(as_text=True)
    panel = page.split('id="supervision"', 1)[1].split("</section>", 1)[0]
    assert "Increase the frequency of sessions" in panel
    assert "Weekly sessions for a month; safety plan reviewed." in panel
    assert f"Follow-up on {follow_up}" in panel and "reviewed by Sam" in panel
    assert "Record a review" not in panel and "Ask for supervision" in panel


def test_an_invalid_review_is_shown_again_with_the_reason(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    response = login_as(world.sam).post(
        f"/supervision/episodes/{episode.id}/review",
        data={
            "reviewed_on": TODAY.isoformat(),
            "decision": "refer_on",
            "note": "Refer to the specialist team.",
            "follow_up_on": (TODAY - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The follow-up date cannot be before the review date." in text
    assert "Refer to the specialist team." in text  # nothing typed is lost
    assert count(SupervisionReview) == 0


def test_a_review_without_a_decision_is_refused(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    response = login_as(world.sam).post(
        f"/supervision/episodes/{episode.id}/review",
        data={"reviewed_on": TODAY.isoformat(), "decision": "", "note": "Talked it through."},
    )
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert count(SupervisionReview) == 0


def test_review_pages_are_404_for_everyone_but_the_teams_supervisors(client, world: World) -> None:
    sue = south_supervisor(world)
    alices = world.alices_client.current_episode
    data = {"reviewed_on": TODAY.isoformat(), "decision": "continue", "note": "x"}
    for user in (world.alice, world.bob, world.ada, sue):
        login(client, user)
        assert client.get(f"/supervision/episodes/{alices.id}/review").status_code == 404
        with unchanged():
            review = client.post(f"/supervision/episodes/{alices.id}/review", data=data)
        assert review.status_code == 404
        client.post("/logout")
    login(client, world.sam)
    carols = world.carols_client.current_episode
    assert client.get(f"/supervision/episodes/{carols.id}/review").status_code == 404
    with unchanged():
        review = client.post(f"/supervision/episodes/{carols.id}/review", data=data)
    assert review.status_code == 404
    assert client.get("/supervision/episodes/999999/review").status_code == 404
    assert client.get(f"/supervision/episodes/{alices.id}/review").status_code == 200
    assert count(SupervisionReview) == 0


def test_the_ask_for_supervision_button(login_as, world: World) -> None:
    client = login_as(world.alice)
    episode = world.alices_client.current_episode
    page = client.get(f"/clients/{episode.client_id}").get_data(as_text=True)
    assert "Ask for supervision" in page and "No supervision reviews yet." in page
    response = client.post(
        f"/supervision/episodes/{episode.id}/request",
        data={"supervision-note": "Not sure about the ending"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/clients/{episode.client_id}#supervision")
    page = client.get(f"/clients/{episode.client_id}").get_data(as_text=True)
    assert "the case is in the supervisor&#39;s queue" in page
    assert "Waiting for supervision since" in page and "Not sure about the ending" in page
    again = client.post(
        f"/supervision/episodes/{episode.id}/request", data={}, follow_redirects=True
    )
    assert "already been asked" in again.get_data(as_text=True)
    assert count(SupervisionRequest) == 1
    client.post("/logout")
    queue = login_as(world.sam).get("/alerts/").get_data(as_text=True)
    assert _rows(queue) == ["A-001"] and "Therapist asked for supervision" in queue


def test_asking_for_supervision_of_a_foreign_client_is_404(login_as, world: World) -> None:
    carols = world.carols_client.current_episode
    client = login_as(world.alice)
    with unchanged():
        response = client.post(f"/supervision/episodes/{carols.id}/request", data={})
    assert response.status_code == 404
    assert count(SupervisionRequest) == 0


def test_the_supervisor_sees_record_a_review_on_the_client_page(login_as, world: World) -> None:
    page = login_as(world.sam).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    panel = page.split('id="supervision"', 1)[1].split("</section>", 1)[0]
    assert "Record a review" in panel and "Ask for supervision" not in panel


def test_a_follow_up_that_has_come_shows_in_the_queue(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    review_case(world, episode, reviewed_on=TODAY - timedelta(days=14), follow_up_on=TODAY)
    text = login_as(world.sam).get("/alerts/").get_data(as_text=True)
    assert _rows(text) == ["A-001"] and _count(text, "follow-ups") == 1
    assert "Follow-up due" in _tbody(text)
    assert _rows(
        login_as(world.sam).get("/alerts/?reason=follow_up_due").get_data(as_text=True)
    ) == ["A-001"]


# ---- constant queries -------------------------------------------------------------------------


def _queue_queries(client, expected_rows: int) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()  # as a fresh request would: nothing already loaded
    with count_statements() as statements:
        page = client.get("/alerts/")
    assert len(_rows(page.get_data(as_text=True))) == expected_rows
    return len(statements)


def test_the_queue_runs_the_same_number_of_queries_for_3_and_12_cases_with_a_fitted_model(
    login_as, world: World
) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    refit.refit_models(now=NOW)
    for n in range(3):
        flagged_case(world, n)
    client = login_as(world.sam)
    small = _queue_queries(client, 3)
    for n in range(3, 12):
        flagged_case(world, n)
    assert _queue_queries(client, 12) == small
    page = client.get("/alerts/").get_data(as_text=True)
    assert "end reliably worse" in _tbody(page)  # the prognosis came from the fitted model
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) > 30
