"""A believable synthetic service for demonstrations. Synthetic data only."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import EpisodeStatus, Role, User
from outcome_monitor.services import accounts, care

ADMIN_EMAIL = "admin@demo.local"
SUPERVISOR_EMAIL = "supervisor@demo.local"
TEAMS = ("Team 1", "Team 2")
THERAPISTS = (
    ("therapist1@demo.local", "Therapist One", "Team 1"),
    ("therapist2@demo.local", "Therapist Two", "Team 1"),
    ("therapist3@demo.local", "Therapist Three", "Team 2"),
    ("therapist4@demo.local", "Therapist Four", "Team 2"),
)
CLIENTS_PER_THERAPIST = 15
DEMO_SEED = 20261126


@dataclass(frozen=True)
class DemoResult:
    created: bool
    password: str | None
    emails: tuple[str, ...]


def demo_emails() -> tuple[str, ...]:
    return (ADMIN_EMAIL, SUPERVISOR_EMAIL, *(t[0] for t in THERAPISTS))


def seed_demo(*, password: str | None, today: date) -> DemoResult:
    """Create the demo service once; later runs only (re)set the password when one is given.

    Returns the password to print: the one given, or a generated one on first creation, or None
    when the demo existed and no password was given (the old one still works).
    """
    existing = db.session.scalar(sa.select(User).where(User.email == ADMIN_EMAIL))
    if existing is not None:
        if password:
            _set_demo_passwords(password)
        return DemoResult(created=False, password=password, emails=demo_emails())
    password = password or secrets.token_urlsafe(9)
    therapists = _create_accounts(password)
    rng = random.Random(DEMO_SEED)
    for index, therapist in enumerate(therapists):
        for n in range(CLIENTS_PER_THERAPIST):
            code = f"DEMO-{index * CLIENTS_PER_THERAPIST + n + 1:03d}"
            _create_client_history(code, therapist, rng, today)
    return DemoResult(created=True, password=password, emails=demo_emails())


def _set_demo_passwords(password: str) -> None:
    for email in demo_emails():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            accounts.reset_password(user=user, password=password, by=None)


def _create_accounts(password: str) -> list[User]:
    teams = {name: accounts.create_team(name=name, by=None) for name in TEAMS}
    accounts.create_user(
        email=ADMIN_EMAIL, display_name="Demo Admin", role=Role.ADMIN, password=password, by=None
    )
    supervisor = accounts.create_user(
        email=SUPERVISOR_EMAIL,
        display_name="Demo Supervisor",
        role=Role.SUPERVISOR,
        password=password,
        by=None,
    )
    supervisor.supervised_teams = list(teams.values())
    db.session.commit()
    return [
        accounts.create_user(
            email=email,
            display_name=name,
            role=Role.THERAPIST,
            password=password,
            team=teams[team],
            by=None,
        )
        for email, name, team in THERAPISTS
    ]


def _create_client_history(code: str, therapist: User, rng: random.Random, today: date) -> None:
    """One client: an episode opened within the last 26 weeks, with weekly sessions."""
    client = care.create_client(
        code=code,
        therapist=therapist,
        by=therapist,
        birth_year=rng.randint(1950, 2005),
        gender=rng.choice(("female", "male", "non-binary", None)),
        preferred_language="en",
    )
    opened = today - timedelta(weeks=rng.randint(1, 26), days=rng.randint(0, 6))
    episode = care.open_episode(client=client, opened_on=opened, by=therapist)
    planned = 2 + min(rng.randint(0, 14), rng.randint(0, 14))
    outcome = rng.choices(("complete", "dropout", "ongoing"), weights=(3, 1, 6))[0]
    last_possible = (today - opened).days // 7 + 1
    count = min(planned, last_possible)
    if outcome == "dropout":
        count = max(1, rng.randint(1, max(1, count - 1)))
    for number in range(count):
        attended = number == 0 or rng.random() > 0.08
        care.record_session(
            episode=episode,
            session_date=opened + timedelta(weeks=number),
            attended=attended,
            by=therapist,
        )
    _maybe_close(episode, outcome, count, planned, opened, today)


def _maybe_close(episode, outcome: str, count: int, planned: int, opened: date, today: date):  # type: ignore[no-untyped-def]
    last = opened + timedelta(weeks=max(count - 1, 0))
    if outcome == "dropout":
        care.close_episode(
            episode=episode,
            closed_on=min(last + timedelta(weeks=3), today),
            status=EpisodeStatus.DROPPED_OUT,
            reason="Stopped attending",
            by=episode.therapist,
        )
    elif outcome == "complete" and count >= planned:
        care.close_episode(
            episode=episode,
            closed_on=last,
            status=EpisodeStatus.CLOSED,
            reason="Planned ending",
            by=episode.therapist,
        )
