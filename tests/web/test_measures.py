"""Score entry: a form generated from the definition, instant interpretation, safe errors."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode
from outcome_monitor.services import care, measures
from tests.builders import unchanged
from tests.conftest import World, count


def _phq9(values: list[int], **extra: object) -> dict[str, object]:
    data: dict[str, object] = {f"item_{i + 1}": v for i, v in enumerate(values)}
    data.update(extra)
    return data


def _episode_with_session(world: World):  # type: ignore[no-untyped-def]
    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 1), attended=True, by=world.alice
    )
    return episode, session


def test_form_shows_phq9_wording_and_options(login_as, world: World) -> None:
    episode, _ = _episode_with_session(world)
    page = login_as(world.alice).get(f"/clients/episodes/{episode.id}/measures/phq9")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Little interest or pleasure in doing things" in text
    assert "More than half the days" in text


def test_scoring_only_instrument_shows_labels_and_licence_notice(login_as, world: World) -> None:
    episode, _ = _episode_with_session(world)
    text = (
        login_as(world.alice)
        .get(f"/clients/episodes/{episode.id}/measures/srs")
        .get_data(as_text=True)
    )
    assert "licensed wording of this questionnaire is not installed" in text
    assert 'step="0.1"' in text


def test_saving_shows_total_band_and_change_since_intake(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    client = login_as(world.alice)
    url = f"/clients/episodes/{episode.id}/measures/phq9"
    client.post(url, data=_phq9([3, 3, 2, 2, 2, 2, 2, 1, 0], session_id=session.id))
    response = client.post(
        url, data=_phq9([1, 1, 1, 1, 1, 1, 1, 0, 0], session_id=session.id), follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "PHQ-9" in text or "Patient Health Questionnaire" in text
    assert '<span class="total">7</span>' in text
    assert "mild" in text.lower()
    assert "from 17 to 7 (-10)" in text
    assert "reliable improvement" in text
    assert "recovered" in text


def test_risk_item_triggers_a_notice(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1], session_id=session.id),
        follow_redirects=True,
    )
    assert "Risk item answered" in response.get_data(as_text=True)


def test_out_of_range_answer_keeps_what_was_typed(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/srs",
        data={
            "item_1": "9.5",
            "item_2": "12",
            "item_3": "8.25",
            "item_4": "7",
            "session_id": session.id,
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count(Administration) == 0
    assert 'value="9.5"' in text and 'value="12"' in text
    assert "from 0 to 10" in text and "one decimal" in text


def test_too_many_missing_items_is_refused_with_the_reason(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=_phq9([1, 1, 1, 1, 1], item_9=0, session_id=session.id),
    )
    text = response.get_data(as_text=True)
    assert "Not saved" in text and "missing" in text
    assert count(Administration) == 0


def test_double_submit_creates_one_administration(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    client = login_as(world.alice)
    url = f"/clients/episodes/{episode.id}/measures/phq9"
    form = client.get(url).get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form).group(1)
    data = _phq9([1] * 9, session_id=session.id, submission_key=key)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Administration) == 1


def test_carol_cannot_enter_scores_for_alices_client(login_as, world: World) -> None:
    episode, _session = _episode_with_session(world)
    client = login_as(world.carol)
    with unchanged():
        response = client.post(f"/clients/episodes/{episode.id}/measures/phq9", data=_phq9([1] * 9))
    assert response.status_code == 404


def test_unknown_instrument_is_404(login_as, world: World) -> None:
    episode, _ = _episode_with_session(world)
    assert (
        login_as(world.alice).get(f"/clients/episodes/{episode.id}/measures/oq45").status_code
        == 404
    )


def test_service_records_entry_mode(world: World) -> None:
    episode, session = _episode_with_session(world)
    recorded = measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code="gad7",
        answers={str(i): 2 for i in range(1, 8)},
        entry_mode=EntryMode.PAPER,
        by=world.alice,
    )
    row = db.session.scalar(sa.select(Administration))
    assert recorded.created and row.entry_mode == "paper" and row.total == 14


def test_the_form_requires_the_risk_item_and_saves_nothing_without_it(
    login_as, world: World
) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=_phq9([1] * 8, session_id=session.id),
    )
    text = response.get_data(as_text=True)

    assert response.status_code == 200
    assert count(Administration) == 0
    errors = re.findall(r'<fieldset class="item has-error">\s*<legend>(\d+)\.', text)
    assert errors == ["9"]  # the message sits on the risk item, and only there
    assert "This is a risk item: record the client" in text
    assert "Not answered (left blank, or the client preferred not to say)" in text


def test_a_risk_item_recorded_as_not_answered_is_saved_flagged_and_said(
    login_as, world: World
) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=_phq9([1] * 8, item_9="not_answered", session_id=session.id),
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    row = db.session.scalars(sa.select(Administration)).one()

    assert row.risk_items == ["9"] and row.answers.get("9") is None
    assert row.total == 9 and row.prorated
    assert "Risk item not answered:" in text and "Risk item answered:" not in text
    assert "the risk item was not filled in" in text


def test_an_answered_risk_item_is_not_called_unanswered(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9",
        data=_phq9([0] * 8, item_9=2, session_id=session.id),
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)

    assert "Risk item answered:" in text and "Risk item not answered" not in text


def test_a_non_risk_item_may_still_be_left_blank(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    data = _phq9([1] * 8, item_9=0, session_id=session.id)
    del data["item_1"]
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9", data=data
    )

    assert response.status_code == 302
    assert db.session.scalars(sa.select(Administration.prorated)).one() is True


def test_a_screening_measure_says_so_and_is_not_tracked(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    client = login_as(world.alice)
    url = f"/clients/episodes/{episode.id}/measures/auditc"

    form = client.get(url).get_data(as_text=True)
    client.post(url, data={"item_1": 1, "item_2": 0, "item_3": 0, "session_id": session.id})
    response = client.post(
        url,
        data={"item_1": 2, "item_2": 1, "item_3": 0, "session_id": session.id},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)

    assert "past-year screening; not tracked session by session" in form
    assert "past-year screening; not tracked session by session" in text
    assert "positive screen" in text and "3 or more is a positive screen" in text
    assert "Change since intake" not in text and "intake score" not in text
    assert "Reliable change" not in text


def test_the_client_page_offers_auditc_as_a_screening_measure(login_as, world: World) -> None:
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)

    assert "AUDIT-C) — past-year screening, not tracked session by session</option>" in page
