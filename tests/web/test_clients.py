from __future__ import annotations

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, Client, EpisodeStatus, TherapySession
from outcome_monitor.services import care
from outcome_monitor.services.clock import service_today
from tests.conftest import World, count


def test_therapist_creates_a_client_assigned_to_herself(login_as, world: World) -> None:
    client = login_as(world.alice)
    response = client.post(
        "/clients/new", data={"code": "a-002", "therapist_id": world.alice.id, "birth_year": 1980}
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Client).where(Client.code == "A-002"))
    assert created is not None and created.therapist_id == world.alice.id


def test_duplicate_code_keeps_the_typed_values(login_as, world: World) -> None:
    client = login_as(world.alice)
    response = client.post(
        "/clients/new",
        data={"code": "A-001", "therapist_id": world.alice.id, "preferences": "prefers mornings"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already in use" in page
    assert "prefers mornings" in page


def test_therapist_cannot_assign_a_client_to_another_team(login_as, world: World) -> None:
    client = login_as(world.alice)
    response = client.post("/clients/new", data={"code": "X-1", "therapist_id": world.carol.id})
    assert response.status_code == 200
    assert count(Client, Client.code == "X-1") == 0


def test_full_episode_flow(login_as, world: World) -> None:
    client = login_as(world.alice)
    client.post("/clients/new", data={"code": "A-003", "therapist_id": world.alice.id})
    new = db.session.scalar(sa.select(Client).where(Client.code == "A-003"))
    assert (
        client.post(f"/clients/{new.id}/episodes", data={"opened_on": "2026-10-01"}).status_code
        == 302
    )
    episode = new.current_episode
    assert episode is not None
    client.post(
        f"/clients/episodes/{episode.id}/sessions",
        data={"session_date": "2026-10-01", "attended": "y"},
    )
    client.post(f"/clients/episodes/{episode.id}/sessions", data={"session_date": "2026-10-08"})
    db.session.refresh(episode)
    assert [(s.number, s.attended) for s in episode.sessions] == [(1, True), (2, False)]
    page = client.get("/clients/").get_data(as_text=True)
    assert "A-003" in page and "2026-10-08" in page
    client.post(
        f"/clients/episodes/{episode.id}/close",
        data={"closed_on": "2026-10-20", "status": "dropped_out", "reason": "moved away"},
    )
    db.session.refresh(episode)
    assert episode.status == EpisodeStatus.DROPPED_OUT
    assert episode.closing_reason == "moved away"
    assert "A-003" not in client.get("/clients/").get_data(as_text=True)


def test_session_before_episode_start_is_refused_with_a_message(login_as, world: World) -> None:
    client = login_as(world.alice)
    episode = world.alices_client.current_episode
    response = client.post(
        f"/clients/episodes/{episode.id}/sessions",
        data={"session_date": "2020-01-01"},
        follow_redirects=True,
    )
    assert "cannot be before the episode opened" in response.get_data(as_text=True)
    assert count(AuditEvent, AuditEvent.action == "session.record") == 0


def test_a_session_saved_at_the_same_moment_as_another_gets_a_message(
    login_as, world: World, monkeypatch
) -> None:
    """Two saves of one episode's session race (a double click): both read the same highest
    number, and the later loses at the unique index. Simulated by making the second save read
    the number the first one took: the page says so, and nothing of the second is kept."""
    client = login_as(world.alice)
    episode = world.alices_client.current_episode
    url = f"/clients/episodes/{episode.id}/sessions"
    client.post(url, data={"session_date": str(episode.opened_on)})
    monkeypatch.setattr(care, "_next_number", lambda episode: 1)

    response = client.post(url, data={"session_date": str(episode.opened_on)},
                           follow_redirects=True)  # fmt: skip

    assert response.status_code == 200
    assert "was being saved at the same moment" in response.get_data(as_text=True)
    assert count(TherapySession, TherapySession.episode_id == episode.id) == 1
    assert count(AuditEvent, AuditEvent.action == "session.record") == 1


def test_another_failed_constraint_while_saving_a_session_is_not_called_a_race(
    world: World, monkeypatch
) -> None:
    """Only a session number taken by another save is reported as the race; any other
    IntegrityError is raised as it is, and nothing is kept."""
    episode = world.alices_client.current_episode

    def failing_audit(**_: object) -> None:
        raise sa.exc.IntegrityError("INSERT INTO audit_event", {}, Exception("some constraint"))

    monkeypatch.setattr(care, "record", failing_audit)

    with pytest.raises(sa.exc.IntegrityError):
        care.record_session(
            episode=episode, session_date=episode.opened_on, attended=True, by=world.alice
        )
    assert count(TherapySession, TherapySession.episode_id == episode.id) == 0


def test_second_active_episode_is_refused(login_as, world: World) -> None:
    client = login_as(world.alice)
    response = client.post(
        f"/clients/{world.alices_client.id}/episodes",
        data={"opened_on": "2026-10-01"},
        follow_redirects=True,
    )
    assert "already has an active episode" in response.get_data(as_text=True)


def test_a_birth_year_in_the_future_is_refused_with_the_year_allowed(
    login_as, world: World, app
) -> None:
    client = login_as(world.alice)
    next_year = service_today(app).year + 1
    data = {"code": "a-003", "therapist_id": world.alice.id, "birth_year": next_year}
    response = client.post("/clients/new", data=data)
    assert response.status_code == 200
    assert f"Enter a year up to {next_year - 1}." in response.get_data(as_text=True)
    assert count(Client, Client.code == "A-003") == 0
    data["birth_year"] = next_year - 1
    assert client.post("/clients/new", data=data).status_code == 302
