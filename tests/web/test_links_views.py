"""Remote-link views: issue, answer without a login, used vs expired, rate limit, email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, RemoteLink
from outcome_monitor.services import links
from tests.builders import unchanged
from tests.conftest import World, count

SRS = {"item-1": "8.0", "item-2": "8.5", "item-3": "9.0", "item-4": "9.0"}
GAD7 = {f"item-{i}": "1" for i in range(1, 8)}


def issue(world: World, *codes: str, now: datetime | None = None, days: int = 4) -> str:
    return links.issue_link(
        episode=world.alices_client.current_episode,
        codes=list(codes or ("srs",)),
        by=world.alice,
        now=now or datetime.now(UTC),
        valid_days=days,
    ).token


def test_the_therapist_issues_a_link_and_sees_it_once(login_as, world: World) -> None:
    client = login_as(world.alice)
    episode = world.alices_client.current_episode
    response = client.post(
        f"/links/episodes/{episode.id}",
        data={"measures": ["gad7"], "valid_days": 4},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    token = re.search(r"http://localhost/l/([\w-]+)", page).group(1)
    stored = db.session.scalars(sa.select(RemoteLink)).one()
    assert stored.token_hash == links.hash_token(token)
    assert "not opened yet" in page
    assert token not in client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)


def test_carol_cannot_issue_a_link_for_alices_client(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    client = login_as(world.carol)
    with unchanged():
        response = client.post(
            f"/links/episodes/{episode.id}", data={"measures": ["srs"], "valid_days": 4}
        )
    assert response.status_code == 404
    assert count(RemoteLink) == 0


def test_a_client_answers_without_a_login_and_sees_nothing_else(
    client: FlaskClient, world: World
) -> None:
    token = issue(world, "gad7", "srs")
    welcome = client.get(f"/l/{token}").get_data(as_text=True)
    assert "A few questions for you" in welcome and "A-001" not in welcome
    client.post(f"/l/{token}/begin")
    assert client.get(f"/l/{token}").location.endswith(f"/l/{token}/q/gad7")
    client.post(f"/l/{token}/q/gad7", data=GAD7)
    srs = client.get(f"/l/{token}/q/srs").get_data(as_text=True)
    assert "Relationship" in srs and "Alice" not in srs and "A-001" not in srs
    response = client.post(f"/l/{token}/q/srs", data=SRS, follow_redirects=True)
    assert "Your answers have been sent" in response.get_data(as_text=True)
    assert "34.5" not in response.get_data(as_text=True)
    modes = db.session.scalars(sa.select(Administration.entry_mode)).all()
    assert modes == [EntryMode.REMOTE_LINK, EntryMode.REMOTE_LINK]
    assert client.get("/clients/").location.startswith("/login")


def test_a_used_link_and_an_expired_link_say_so_differently(
    client: FlaskClient, world: World
) -> None:
    used = issue(world)
    client.post(f"/l/{used}/begin")
    client.post(f"/l/{used}/q/srs", data=SRS)
    expired = issue(world, now=datetime.now(UTC) - timedelta(days=5))
    used_page = client.get(f"/l/{used}")
    expired_page = client.get(f"/l/{expired}")
    assert used_page.status_code == expired_page.status_code == 410
    assert "already been used" in used_page.get_data(as_text=True)
    assert "has expired" in expired_page.get_data(as_text=True)
    assert client.get("/l/not-a-real-token").status_code == 404


def test_a_double_submit_of_the_last_page_creates_one_administration(
    client: FlaskClient, world: World
) -> None:
    token = issue(world)
    client.post(f"/l/{token}/begin")
    first = client.post(f"/l/{token}/q/srs", data=SRS)
    second = client.post(f"/l/{token}/q/srs", data=SRS)
    assert first.location == second.location == "/l/done"
    assert count(Administration) == 1


def test_answers_survive_a_reload(client: FlaskClient, world: World) -> None:
    token = issue(world)
    client.post(f"/l/{token}/begin")
    assert client.post(f"/l/{token}/answer", data={"code": "srs", "item-2": "7.3"}).get_json() == {
        "saved": True
    }
    page = client.get(f"/l/{token}/q/srs").get_data(as_text=True)
    assert 'value="7.3"' in page


def test_failed_link_lookups_are_rate_limited(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LINK_FAILURE_RATE_LIMIT", "3 per minute")
    codes = [client.get(f"/l/guess-{n}").status_code for n in range(4)]
    assert codes == [404, 404, 404, 429]
    assert "wait a minute" in client.get("/l/guess-5").get_data(as_text=True)
    # A real link from the same (shared) address is not locked out by someone else's guesses.
    assert client.get(f"/l/{issue(world)}").status_code == 200


def test_issuing_with_an_email_sends_it(
    app: Flask,
    login_as,
    world: World,
    mail_inbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received = mail_inbox
    episode = world.alices_client.current_episode
    response = login_as(world.alice).post(
        f"/links/episodes/{episode.id}",
        data={"measures": ["srs"], "valid_days": 2, "email": "client@example.test"},
        follow_redirects=True,
    )
    assert "The link was emailed" in response.get_data(as_text=True)
    assert len(received) == 1 and "/l/" in received[0].get_payload()


def test_without_smtp_the_therapist_is_told_to_pass_the_link_on(login_as, world: World) -> None:
    episode = world.alices_client.current_episode
    response = login_as(world.alice).post(
        f"/links/episodes/{episode.id}",
        data={"measures": ["srs"], "valid_days": 2, "email": "client@example.test"},
        follow_redirects=True,
    )
    assert "Email is not set up" in response.get_data(as_text=True)
    assert count(RemoteLink) == 1


PHQ9_WITHOUT_9 = {f"item-{i}": "0" for i in range(1, 9)}


def test_a_link_refuses_a_blank_risk_item_and_accepts_prefer_not_to_say(
    client: FlaskClient, world: World
) -> None:
    token = issue(world, "phq9")
    client.post(f"/l/{token}/begin")
    page = client.get(f"/l/{token}/q/phq9").get_data(as_text=True)
    assert page.count("Prefer not to say") == 1

    blank = client.post(f"/l/{token}/q/phq9", data=PHQ9_WITHOUT_9)
    assert blank.status_code == 200 and count(Administration) == 0
    assert "Please choose an answer to the marked question" in blank.get_data(as_text=True)
    assert 'id="q-9-missing"' in blank.get_data(as_text=True)

    done = client.post(f"/l/{token}/q/phq9", data=PHQ9_WITHOUT_9 | {"item-9": "declined"})
    assert done.location == "/l/done"
    row = db.session.scalars(sa.select(Administration)).one()
    assert row.risk_items == ["9"] and row.answers.get("9") is None
    assert row.entry_mode == EntryMode.REMOTE_LINK


def test_a_link_keeps_an_autosaved_decline(client: FlaskClient, world: World) -> None:
    token = issue(world, "phq9")
    client.post(f"/l/{token}/begin")

    saved = client.post(f"/l/{token}/answer", data={"code": "phq9", "item-9": "declined"})

    assert saved.get_json() == {"saved": True}
    page = client.get(f"/l/{token}/q/phq9").get_data(as_text=True)
    assert 'name="item-9" value="declined" checked' in page


def test_the_link_form_offers_auditc_as_a_screening_measure(login_as, world: World) -> None:
    page = login_as(world.alice).get(f"/clients/{world.alices_client.id}").get_data(as_text=True)

    assert "(AUDIT-C) — past-year screening, not tracked session by session</label>" in page
