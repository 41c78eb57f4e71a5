"""Idempotency that cannot cross records: each attack of issue 9 ("Found 1"), and the keys.

A submission key is issued by the server, bound to the user or the sitting and to the episode,
and looked up only there. A key from elsewhere is refused with a message; nothing is saved and
nobody is redirected to another record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, Episode, HandOverStatus
from outcome_monitor.services import drafts, links, measures, submissions
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.submissions import ForeignSubmission
from tests.builders import count_statements
from tests.conftest import World, count

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
PHQ9_FORM = {f"item_{i}": "1" for i in range(1, 10)} | {"session_id": "0"}
SRS_LINK = {"item-1": "8.0", "item-2": "8.5", "item-3": "9.0", "item-4": "9.0"}
REFUSED = "This form was not opened for this record by you"


def form_url(episode: Episode, code: str = "phq9") -> str:
    return f"/clients/episodes/{episode.id}/measures/{code}"


def token_on(page: str) -> str:
    found = re.search(r'name="submission_key" type="hidden" value="([^"]*)"', page)
    assert found is not None, "the score form carries no submission key"
    return found.group(1)


def open_form(client: FlaskClient, episode: Episode) -> str:
    return token_on(client.get(form_url(episode)).get_data(as_text=True))


def alices(world: World) -> Episode:
    return world.alices_client.current_episode


def carols(world: World) -> Episode:
    return world.carols_client.current_episode


# --- the keys themselves ----------------------------------------------------------------------


def test_a_form_token_gives_its_own_users_key_for_its_own_episode_only(world: World) -> None:
    token = submissions.issue_form_token(user=world.alice, episode=alices(world))
    key = submissions.form_key(token=token, user=world.alice, episode=alices(world))
    assert key is not None and submissions.KEY_PATTERN.fullmatch(key)
    assert submissions.form_key(token=token, user=world.alice, episode=alices(world)) == key
    with pytest.raises(ForeignSubmission):
        submissions.form_key(token=token, user=world.bob, episode=alices(world))
    with pytest.raises(ForeignSubmission):
        submissions.form_key(token=token, user=world.alice, episode=carols(world))
    for forged in (token[:-2] + "xx", "abc123", "x" * 100_000):
        with pytest.raises(ForeignSubmission):
            submissions.form_key(token=forged, user=world.alice, episode=alices(world))


def test_two_forms_opened_for_the_same_record_have_different_keys(world: World) -> None:
    keys = {
        submissions.form_key(
            token=submissions.issue_form_token(user=world.alice, episode=alices(world)),
            user=world.alice,
            episode=alices(world),
        )
        for _ in range(2)
    }
    assert len(keys) == 2


def test_a_sittings_key_is_not_predictable(app: Flask, world: World, monkeypatch) -> None:
    handover = handovers.start_handover(
        episode=alices(world), session_id=None, codes=["phq9"], by=world.alice, now=NOW
    )
    key = submissions.sitting_key(handover, "phq9")
    assert submissions.KEY_PATTERN.fullmatch(key)
    assert key != f"handover-{handover.id}-phq9"
    monkeypatch.setitem(app.config, "SECRET_KEY", "another service's secret")
    assert submissions.sitting_key(handover, "phq9") != key  # only this server can compute it


def test_after_a_secret_rotation_a_sitting_still_finds_what_it_recorded(
    app: Flask, world: World, monkeypatch
) -> None:
    handover = handovers.start_handover(
        episode=alices(world), session_id=None, codes=["gad7", "srs"], by=world.alice, now=NOW
    )
    handovers.submit_measure(
        handover=handover, code="gad7", answers={str(i): 1.0 for i in range(1, 8)}, now=NOW
    )
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.config["SECRET_KEY"]])
    monkeypatch.setitem(app.config, "SECRET_KEY", "the new secret")
    assert drafts.completed_codes(handover) == {"gad7"}
    assert drafts.next_measure(handover) == "srs"


# --- Found 1, first attack: a therapist posts another hand-over's key -------------------------


@pytest.mark.parametrize("which", ["old predictable key", "the server's own key"])
def test_a_therapist_cannot_finish_another_teams_handover_with_its_key(
    login_as, world: World, which: str
) -> None:
    handover = handovers.start_handover(
        episode=carols(world), session_id=None, codes=["phq9"], by=world.carol, now=NOW
    )
    stolen = (
        f"handover-{handover.id}-phq9"
        if which == "old predictable key"
        else submissions.sitting_key(handover, "phq9")
    )
    client = login_as(world.alice)
    response = client.post(form_url(alices(world)), data=PHQ9_FORM | {"submission_key": stolen})

    assert response.status_code == 400 and "Location" not in response.headers
    assert REFUSED in response.get_data(as_text=True)
    assert count(Administration) == 0
    db.session.refresh(handover)
    assert handover.status == HandOverStatus.ACTIVE
    assert drafts.next_measure(handover) == "phq9"


def test_the_service_refuses_a_key_of_another_episode_before_saving(world: World) -> None:
    handover = handovers.start_handover(
        episode=carols(world), session_id=None, codes=["phq9"], by=world.carol, now=NOW
    )
    answers = {str(i): 1.0 for i in range(1, 10)}
    handovers.submit_measure(handover=handover, code="phq9", answers=answers, now=NOW)
    with pytest.raises(ForeignSubmission):
        measures.record_administration(
            episode=alices(world),
            session_id=None,
            instrument_code="phq9",
            answers=answers,
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
            submission_key=submissions.sitting_key(handover, "phq9"),
        )
    assert count(Administration, Administration.episode_id == alices(world).id) == 0


# --- Found 1, second attack: reusing another team's score key ----------------------------------


def test_another_teams_form_token_is_refused_and_the_therapists_score_is_not_lost(
    world: World, login_as
) -> None:
    # Carol saved a score through her form; its token is what a copied form would carry.
    carol_token = submissions.issue_form_token(user=world.carol, episode=carols(world))
    carols_score = measures.record_administration(
        episode=carols(world),
        session_id=None,
        instrument_code="phq9",
        answers={str(i): 1.0 for i in range(1, 10)},
        entry_mode=EntryMode.THERAPIST,
        by=world.carol,
        submission_key=submissions.form_key(
            token=carol_token, user=world.carol, episode=carols(world)
        ),
    ).administration

    alice = login_as(world.alice)
    mine = {f"item_{i}": "2" for i in range(1, 10)} | {"session_id": "0"}
    refused = alice.post(form_url(alices(world)), data=mine | {"submission_key": carol_token})
    page = refused.get_data(as_text=True)

    assert refused.status_code == 400, refused.headers.get("Location")
    assert "Location" not in refused.headers
    assert REFUSED in page
    assert str(carols_score.id) not in refused.headers.get("Location", "")
    assert count(Administration) == 1
    fresh = token_on(page)
    assert fresh and fresh != carol_token
    again = alice.post(form_url(alices(world)), data=mine | {"submission_key": fresh})
    assert again.status_code == 302
    alices_score = db.session.scalars(
        sa.select(Administration).where(Administration.episode_id == alices(world).id)
    ).one()
    assert again.location.endswith(f"/clients/administrations/{alices_score.id}")
    assert alices_score.total == 18


def test_a_token_of_the_same_therapists_other_episode_is_refused(login_as, world: World) -> None:
    from outcome_monitor.services import care

    other = care.create_client(code="A-002", therapist=world.alice, by=world.alice)
    other_episode = care.open_episode(client=other, opened_on=NOW.date(), by=world.alice)
    client = login_as(world.alice)
    token = open_form(client, other_episode)
    response = client.post(form_url(alices(world)), data=PHQ9_FORM | {"submission_key": token})
    assert response.status_code == 400
    assert count(Administration) == 0


def test_a_key_of_100000_characters_is_refused_before_the_database(login_as, world: World) -> None:
    client = login_as(world.alice)
    with count_statements() as statements:
        response = client.post(
            form_url(alices(world)), data=PHQ9_FORM | {"submission_key": "k" * 100_000}
        )
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)
    assert not any("k" * 100 in str(s) for s in statements)
    assert count(Administration) == 0
    with pytest.raises(ForeignSubmission):
        measures.record_administration(
            episode=alices(world),
            session_id=None,
            instrument_code="phq9",
            answers={str(i): 1.0 for i in range(1, 10)},
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
            submission_key="0" * 100_000,
        )


# --- Found 1, third attack: a remote link whose key was taken ----------------------------------


def test_a_link_whose_key_is_taken_answers_with_a_message_not_500(
    client: FlaskClient, world: World
) -> None:
    issued = links.issue_link(
        episode=alices(world), codes=["srs"], by=world.alice, now=datetime.now(UTC), valid_days=4
    )
    # However the key got taken (a restored backup, a bug), the link must not answer 500.
    measures.record_administration(
        episode=carols(world),
        session_id=None,
        instrument_code="srs",
        answers={str(i): 9.0 for i in range(1, 5)},
        entry_mode=EntryMode.THERAPIST,
        by=world.carol,
        submission_key=submissions.sitting_key(issued.link, "srs"),
    )
    links.begin_link(link=issued.link, language="en", now=datetime.now(UTC))

    response = client.post(f"/l/{issued.token}/q/srs", data=SRS_LINK)

    assert response.status_code == 400
    assert "could not be sent" in response.get_data(as_text=True)
    assert count(Administration, Administration.episode_id == alices(world).id) == 0
    db.session.refresh(issued.link)
    assert issued.link.used_at is None


def test_a_therapist_cannot_read_a_score_of_another_team_by_its_id(login_as, world: World) -> None:
    recorded = measures.record_administration(
        episode=carols(world),
        session_id=None,
        instrument_code="gad7",
        answers={str(i): 1.0 for i in range(1, 8)},
        entry_mode=EntryMode.THERAPIST,
        by=world.carol,
    )
    client = login_as(world.alice)
    found = client.get(f"/clients/administrations/{recorded.administration.id}")
    missing = client.get("/clients/administrations/999999")
    assert found.status_code == missing.status_code == 404
    assert found.get_data() == missing.get_data()
