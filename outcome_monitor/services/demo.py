"""A believable synthetic service for demonstrations. Synthetic data only."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from outcome_monitor.core.simulate import AllianceSpec, preset, simulate
from outcome_monitor.extensions import db
from outcome_monitor.models import EntryMode, Episode, EpisodeStatus, Role, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import (
    accounts,
    alerting,
    care,
    importing,
    measures,
    refit,
    settings_changes,
)

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
# Closed episodes of the past two years, imported as history (no alerts), so that the demo
# service has its own recovery curves: the empirical method, its calibration to the alert
# budget and the prognosis are in use from the first login. Synthetic, like everything here.
HISTORY_EPISODES = 260
HISTORY_SEED = 20240101


@dataclass(frozen=True)
class DemoResult:
    created: bool
    password: str | None
    emails: tuple[str, ...]


def demo_emails() -> tuple[str, ...]:
    return (ADMIN_EMAIL, SUPERVISOR_EMAIL, *(t[0] for t in THERAPISTS))


@dataclass(frozen=True)
class DemoCourse:
    """Synthetic scores for one client's sessions (PHQ-9 and SRS totals from the simulator)."""

    phq9: tuple[float, ...]
    srs: tuple[float, ...]
    risk_session: int | None


def demo_courses(n: int) -> list[DemoCourse]:
    """``n`` simulated courses (reference §6 generator), long enough for any demo episode."""
    # Most clients in routine care rate the alliance near the ceiling; a few ruptures are planted.
    alliance = AllianceSpec(level_mean=37.5, level_sd=2.0, rupture_share=0.12)
    spec = dataclasses.replace(preset("phq9"), alliance=alliance)
    episodes = simulate(spec, episodes=n * 8, seed=DEMO_SEED)
    long_enough = [e for e in episodes if len(e.scores) >= 8][:n]
    return [
        DemoCourse(e.scores, e.alliance, 3 if i % 17 == 5 else None)
        for i, e in enumerate(long_enough)
    ]


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
    _import_history(therapists, today)
    rng = random.Random(DEMO_SEED)
    courses = demo_courses(len(therapists) * CLIENTS_PER_THERAPIST)
    for index, therapist in enumerate(therapists):
        for n in range(CLIENTS_PER_THERAPIST):
            number = index * CLIENTS_PER_THERAPIST + n
            _create_client_history(f"DEMO-{number + 1:03d}", therapist, rng, today, courses[number])
    alerting.check_overdue(today=today, now=utcnow())
    return DemoResult(created=True, password=password, emails=demo_emails())


def history_csv(therapists: list[User], today: date, episodes: int = HISTORY_EPISODES) -> bytes:
    """PHQ-9 and GAD-7 totals of ``episodes`` closed episodes, in the import's CSV format."""
    phq9 = simulate(preset("phq9"), episodes=episodes, seed=HISTORY_SEED)
    gad7 = simulate(preset("gad7"), episodes=episodes, seed=HISTORY_SEED + 1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "client",
            "episode",
            "therapist",
            "session",
            "date",
            "measure",
            "total",
            "closed",
            "planned_end",
        ]
    )
    for index, (p, g) in enumerate(zip(phq9, gad7, strict=True)):
        therapist = therapists[index % len(therapists)].email
        opened = today - timedelta(days=730 - 2 * index)
        length = min(len(p.scores), len(g.scores))
        closed = opened + timedelta(weeks=length - 1)
        planned = "no" if index % 5 == 0 else "yes"
        for session in range(1, length + 1):
            on = (opened + timedelta(weeks=session - 1)).isoformat()
            for code, course in (("phq9", p), ("gad7", g)):
                writer.writerow(
                    [
                        f"PAST-{index + 1:04d}",
                        "1",
                        therapist,
                        session,
                        on,
                        code,
                        f"{course.scores[session - 1]:g}",
                        closed.isoformat(),
                        planned,
                    ]
                )
    return out.getvalue().encode("utf-8")


def _import_history(therapists: list[User], today: date) -> None:
    """Import the history, switch the service to the empirical method and fit it once."""
    now = utcnow()
    result = importing.import_scores(
        stream=io.BytesIO(history_csv(therapists, today)),
        name="demo-history.csv",
        today=today,
        now=now,
        operator="seed-demo",
    )
    if result.n_issues:
        raise RuntimeError(f"demo history did not import: {result.issues[:3]}")
    admin = db.session.scalar(sa.select(User).where(User.email == ADMIN_EMAIL))
    assert admin is not None
    settings_changes.update_settings(changes={"trajectory_method": "empirical"}, by=admin)
    refit.refit_models(now=now)


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


def _create_client_history(
    code: str, therapist: User, rng: random.Random, today: date, course: DemoCourse
) -> None:
    """One client: an episode opened within the last 26 weeks, with weekly sessions."""
    client = care.create_client(
        code=code,
        therapist=therapist,
        by=therapist,
        birth_year=rng.randint(1950, 2005),
        gender=rng.choice(("female", "male", "non-binary", None)),
        preferred_language="en",
    )
    outcome = rng.choices(("complete", "dropout", "ongoing"), weights=(3, 1, 6))[0]
    planned = 2 + min(rng.randint(0, 14), rng.randint(0, 14))
    count, weeks_back = _schedule(outcome, planned, rng)
    opened = today - timedelta(weeks=weeks_back, days=rng.randint(0, 6))
    episode = care.open_episode(client=client, opened_on=opened, by=therapist)
    for number in range(count):
        attended = number == 0 or rng.random() > 0.08
        session = care.record_session(
            episode=episode,
            session_date=opened + timedelta(weeks=number),
            attended=attended,
            by=therapist,
        )
        if attended:
            _record_scores(episode, session, course, number, therapist)
    _maybe_close(episode, outcome, count, opened, today)


def _schedule(outcome: str, planned: int, rng: random.Random) -> tuple[int, int]:
    """Sessions held and weeks since opening: ongoing clients were seen in the last week
    (a few have missed recent weeks, so the demo shows overdue measures); ended ones ended
    before today."""
    if outcome == "ongoing":
        count = rng.randint(1, planned)
        return count, count - 1 + (4 if rng.random() < 0.1 else 0)
    if outcome == "dropout":
        count = rng.randint(1, max(1, planned - 1))
        return count, count - 1 + 3 + rng.randint(0, 10)
    return planned, planned - 1 + rng.randint(1, max(1, 26 - planned))


def _record_scores(episode, session, course: DemoCourse, number: int, by: User) -> None:
    """PHQ-9 and GAD-7 before the session, SRS after it, through the one scoring path."""
    index = min(number, len(course.phq9) - 1)
    phq9 = course.phq9[index]
    risk = 1.0 if course.risk_session == number else 0.0
    mode = EntryMode.CLIENT_TABLET if number % 2 else EntryMode.THERAPIST
    gad7 = min(21.0, max(0.0, round(phq9 * 0.7 + (number % 3) - 1)))
    for code, answers in (
        ("phq9", _phq9_answers(phq9, risk)),
        ("gad7", spread(gad7, [str(i) for i in range(1, 8)], 3)),
        ("srs", _srs_answers(course.srs[min(number, len(course.srs) - 1)])),
    ):
        measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code=code,
            answers=answers,
            entry_mode=mode,
            by=by,
        )


def spread(total: float, items: list[str], top: int) -> dict[str, float | None]:
    """Whole-point answers on ``items`` (0..top each) that add up to ``total``."""
    left = round(total)
    answers: dict[str, float | None] = {}
    for position, item in enumerate(items):
        share = min(top, -(-left // (len(items) - position)))
        answers[item] = float(share)
        left -= share
    return answers


def _phq9_answers(total: float, risk: float) -> dict[str, float | None]:
    answers = spread(max(0.0, min(24.0, total - risk)), [str(i) for i in range(1, 9)], 3)
    answers["9"] = risk + max(0.0, total - 24 - risk)
    return answers


def _srs_answers(total: float) -> dict[str, float | None]:
    tenths = round(total * 10)
    return {str(i + 1): (tenths // 4 + (1 if i < tenths % 4 else 0)) / 10 for i in range(4)}


def _maybe_close(episode: Episode, outcome: str, count: int, opened: date, today: date) -> None:
    last = opened + timedelta(weeks=max(count - 1, 0))
    if outcome == "dropout":
        care.close_episode(
            episode=episode,
            closed_on=min(last + timedelta(weeks=3), today),
            status=EpisodeStatus.DROPPED_OUT,
            reason="Stopped attending",
            by=episode.therapist,
        )
    elif outcome == "complete":
        care.close_episode(
            episode=episode,
            closed_on=last,
            status=EpisodeStatus.CLOSED,
            reason="Planned ending",
            by=episode.therapist,
        )
