"""Correcting or voiding a score from its page: struck through, never lost; refused safely.

Synthetic data only.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, AlertStatus, AuditEvent
from tests.builders import count_statements, give_score, mistaken_high, phq9, unchanged, week_date
from tests.conftest import World, count


def _form(answers: dict[str, float], **extra: object) -> dict[str, object]:
    data: dict[str, object] = {f"item_{k}": v for k, v in answers.items()}
    data.update(extra)
    return data


WRITES = ("administration.record", "administration.void", "administration.correct")


def _state() -> tuple[int, int, list[Any]]:
    """Scores, their write audit rows, and which are voided (reads are audited too: not here)."""
    rows = db.session.execute(sa.select(Administration.id, Administration.voided_at)).all()
    return count(Administration), count(AuditEvent, AuditEvent.action.in_(WRITES)), sorted(rows)


def _open_alerts() -> set[str]:
    return set(
        db.session.scalars(sa.select(Alert.type).where(Alert.status != AlertStatus.RESOLVED))
    )


def _chart_y(client: Any, episode_id: int) -> list[float]:
    figure = client.get(f"/clients/episodes/{episode_id}/chart.json").get_json()
    observed = next(t for t in figure["data"] if str(t.get("meta", "")).startswith("observed"))
    return list(observed["y"])


def test_the_score_page_offers_correct_and_void(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    text = (
        login_as(world.alice).get(f"/clients/administrations/{mistaken.id}").get_data(as_text=True)
    )
    assert "Correct this score" in text
    assert f'action="/clients/administrations/{mistaken.id}/void"' in text
    assert 'name="reason"' in text


def test_voiding_strikes_the_score_through_everywhere_and_clears_the_chart(
    login_as, world: World
) -> None:
    mistaken = mistaken_high(world)
    episode_id = mistaken.episode_id
    client = login_as(world.alice)
    assert _chart_y(client, episode_id) == [12, 19]
    response = client.post(
        f"/clients/administrations/{mistaken.id}/void", data={"reason": "typed 19 for 9"}
    )
    assert response.status_code == 302
    page = client.get(f"/clients/administrations/{mistaken.id}").get_data(as_text=True)
    assert '<del class="total">19</del>' in page
    assert "voided by Alice on" in page and "typed 19 for 9" in page
    assert "Void this score" not in page
    detail = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert f'<del><a href="/clients/administrations/{mistaken.id}">19</a></del>' in detail
    assert "voided by Alice on" in detail
    assert _chart_y(client, episode_id) == [12]
    assert _open_alerts() == set()


def test_the_correction_form_is_the_score_form_prefilled(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    text = (
        login_as(world.alice)
        .get(f"/clients/administrations/{mistaken.id}/correct")
        .get_data(as_text=True)
    )
    assert "You are correcting the score of 19" in text
    checked = re.findall(r'<input checked[^>]*name="item_(\d+)"[^>]*value="([^"]+)"', text)
    checked += re.findall(r'<input[^>]*name="item_(\d+)"[^>]*value="([^"]+)"[^>]* checked', text)
    saved = {k: v for k, v in phq9(19).items()}
    assert {k: float(v) for k, v in checked} == saved
    assert 'name="reason"' in text


def test_correcting_replaces_the_score_and_links_both_ways(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    client = login_as(world.alice)
    url = f"/clients/administrations/{mistaken.id}/correct"
    form_page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form_page)
    assert token is not None
    data = _form(
        phq9(11),
        session_id=mistaken.session_id,
        reason="entered the wrong form",
        submission_key=token.group(1),
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    again = client.post(url, data=data)  # a second click on the same form saves nothing more
    assert again.status_code == 302 and again.location == response.location
    assert count(Administration) == 3
    replacement = db.session.scalar(sa.select(Administration).order_by(Administration.id.desc()))
    assert replacement is not None and response.location.endswith(f"/{replacement.id}")
    new_page = client.get(response.location).get_data(as_text=True)
    assert "This score corrects an earlier one" in new_page and "<del>" in new_page
    detail = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)
    assert "corrected by Alice on" in detail and "entered the wrong form" in detail
    assert f'href="/clients/administrations/{replacement.id}">replaced by 11</a>' in detail
    assert _chart_y(client, mistaken.episode_id) == [12, 11]


def test_a_missing_reason_is_a_form_error_and_nothing_changes(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    client = login_as(world.alice)
    before = _state()
    void = client.post(f"/clients/administrations/{mistaken.id}/void", data={"reason": "  "})
    assert void.status_code == 200 and "Give the reason." in void.get_data(as_text=True)
    correct = client.post(
        f"/clients/administrations/{mistaken.id}/correct",
        data=_form(phq9(11), session_id=mistaken.session_id, reason=""),
    )
    assert correct.status_code == 200 and "Give the reason." in correct.get_data(as_text=True)
    too_long = client.post(
        f"/clients/administrations/{mistaken.id}/void", data={"reason": "x" * 501}
    )
    assert "At most 500 characters." in too_long.get_data(as_text=True)
    assert _state() == before
    assert "reliable_deterioration" in _open_alerts()


def test_voiding_twice_says_so_clearly(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    client = login_as(world.alice)
    client.post(f"/clients/administrations/{mistaken.id}/void", data={"reason": "mistyped"})
    before = _state()
    response = client.post(
        f"/clients/administrations/{mistaken.id}/void",
        data={"reason": "again"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "This score was already voided by Alice on" in response.get_data(as_text=True)
    assert _state() == before


def test_other_therapists_and_the_admin_get_404_and_nothing_changes(client, world: World) -> None:
    from tests.conftest import login

    mistaken = mistaken_high(world)
    before = _state()
    for user in (world.carol, world.bob, world.ada):
        client.post("/logout")
        login(client, user)
        assert client.get(f"/clients/administrations/{mistaken.id}/correct").status_code == 404
        void = client.post(
            f"/clients/administrations/{mistaken.id}/void", data={"reason": "mine now"}
        )
        assert void.status_code == 404
        correct = client.post(
            f"/clients/administrations/{mistaken.id}/correct",
            data=_form(phq9(3), session_id=mistaken.session_id, reason="mine now"),
        )
        assert correct.status_code == 404
    assert _state() == before


def test_a_missing_score_is_404(login_as, world: World) -> None:
    client = login_as(world.alice)
    with unchanged():
        void = client.post("/clients/administrations/999999/void", data={"reason": "x"})
    assert void.status_code == 404
    assert client.get("/clients/administrations/999999/correct").status_code == 404


def test_the_reason_is_shown_as_text_never_as_markup(login_as, world: World) -> None:
    mistaken = mistaken_high(world)
    client = login_as(world.alice)
    client.post(f"/clients/administrations/{mistaken.id}/void", data={"reason": "<b>oops</b>"})
    text = client.get(f"/clients/administrations/{mistaken.id}").get_data(as_text=True)
    assert "&lt;b&gt;oops&lt;/b&gt;" in text and "<b>oops</b>" not in text


def test_the_client_page_runs_the_same_queries_for_1_and_4_voided_scores(
    login_as, world: World
) -> None:
    client = login_as(world.alice)
    give_score(world, "phq9", phq9(12), week_date(0))
    counts = []
    for week in range(1, 5):
        mistaken = give_score(world, "phq9", phq9(19), week_date(week)).administration
        client.post(f"/clients/administrations/{mistaken.id}/void", data={"reason": f"slip {week}"})
        if week in (1, 4):
            db.session.expire_all()
            with count_statements() as statements:
                page = client.get(f"/clients/{world.alices_client.id}")
            assert page.get_data(as_text=True).count("voided by Alice") == week
            counts.append(len(statements))
    assert counts[0] == counts[1]
