from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    AuditEvent,
    CaseStatus,
    Client,
    Episode,
    EpisodeStatus,
    Role,
    TherapySession,
    TrajectoryModelVersion,
    User,
)
from outcome_monitor.services import settings
from tests.conftest import count, login


def _snapshot() -> tuple:
    clients = db.session.execute(
        sa.select(Client.code, Client.therapist_id, Client.birth_year).order_by(Client.code)
    ).all()
    episodes = db.session.execute(
        sa.select(Episode.client_id, Episode.opened_on, Episode.closed_on, Episode.status).order_by(
            Episode.id
        )
    ).all()
    sessions = db.session.execute(
        sa.select(TherapySession.episode_id, TherapySession.number, TherapySession.date).order_by(
            TherapySession.id
        )
    ).all()
    return clients, episodes, sessions


# A full seed takes seconds (two years of history, a refit): two seeds cover the four promises.
def test_seed_demo_builds_a_believable_service_with_a_generated_password(runner, client) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "therapist1@demo.local" in result.output
    password = result.output.split("Password for all demo accounts: ")[1].strip()
    assert len(password) >= 10
    assert count(User, User.role == Role.THERAPIST) == 4
    supervisor = db.session.scalar(sa.select(User).where(User.email == "supervisor@demo.local"))
    assert len(supervisor.supervised_teams) == 2
    assert 55 <= count(Client, Client.code.like("DEMO-%")) <= 65
    # two years of closed history (imported, no alerts) give the service its own curves
    assert count(Client, Client.code.like("PAST-%")) == 260
    assert settings.get_settings().trajectory_method == "empirical"
    fitted = db.session.scalars(sa.select(TrajectoryModelVersion.method)).all()
    assert {"empirical", "neighbours"} <= set(fitted)
    statuses = set(db.session.scalars(sa.select(Episode.status)))
    assert statuses == {EpisodeStatus.ACTIVE, EpisodeStatus.CLOSED, EpisodeStatus.DROPPED_OUT}
    # every episode ends with its stored status (issue 12), imported history included
    assert count(CaseStatus) == count(Episode) > 0
    assert login(client, "admin@demo.local", password).status_code == 302


def test_seed_demo_again_keeps_the_data_and_only_sets_a_given_password(runner, app) -> None:
    result = runner.invoke(args=["seed-demo", "--password", "demo password 1"])
    assert "demo password 1" in result.output
    first = _snapshot()
    audit_rows = count(AuditEvent)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "already present" in result.output
    assert _snapshot() == first
    assert count(AuditEvent) == audit_rows
    assert login(app.test_client(), "therapist3@demo.local", "demo password 1").status_code == 302
    runner.invoke(args=["seed-demo", "--password", "demo password 2"])
    assert _snapshot() == first
    assert login(app.test_client(), "therapist3@demo.local", "demo password 1").status_code == 200
    assert login(app.test_client(), "therapist3@demo.local", "demo password 2").status_code == 302


def test_create_user_with_team(runner) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Eve@Example.test",
            "--role",
            "therapist",
            "--team",
            "West",
            "--password",
            "long password here",
        ]
    )
    assert result.exit_code == 0, result.output
    eve = db.session.scalar(sa.select(User).where(User.email == "eve@example.test"))
    assert eve.role == "therapist" and eve.team.name == "West"


def test_create_user_prompts_for_password(runner) -> None:
    result = runner.invoke(
        args=["create-user", "--email", "f@example.test", "--role", "admin"],
        input="long password here\nlong password here\n",
    )
    assert result.exit_code == 0, result.output
    assert count(User, User.email == "f@example.test") == 1


def test_create_user_with_short_password_fails_clearly(runner) -> None:
    result = runner.invoke(
        args=["create-user", "--email", "g@example.test", "--role", "admin", "--password", "x"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
