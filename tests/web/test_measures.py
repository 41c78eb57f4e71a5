"""Score entry: a form generated from the definition, instant interpretation, safe errors."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode
from outcome_monitor.services import care, measures
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
        data=_phq9([1, 1, 1, 1, 1], session_id=session.id),
    )
    text = response.get_data(as_text=True)
    assert "Not saved" in text and "missing" in text
    assert count(Administration) == 0


def test_double_submit_creates_one_administration(login_as, world: World) -> None:
    episode, session = _episode_with_session(world)
    client = login_as(world.alice)
    data = _phq9([1] * 9, session_id=session.id, submission_key="abc123")
    first = client.post(f"/clients/episodes/{episode.id}/measures/phq9", data=data)
    second = client.post(f"/clients/episodes/{episode.id}/measures/phq9", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Administration) == 1


def test_carol_cannot_enter_scores_for_alices_client(login_as, world: World) -> None:
    episode, _session = _episode_with_session(world)
    response = login_as(world.carol).post(
        f"/clients/episodes/{episode.id}/measures/phq9", data=_phq9([1] * 9)
    )
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
        session=session,
        instrument_code="gad7",
        answers={str(i): 2 for i in range(1, 8)},
        entry_mode=EntryMode.PAPER,
        by=world.alice,
    )
    row = db.session.scalar(sa.select(Administration))
    assert recorded.created and row.entry_mode == "paper" and row.total == 14
