"""A small synthetic service for the outcome-report tests, small enough to count by hand.

Team North (Alice, Bob) and team South (Carol), PHQ-9 first and last scores (case at 10 or
more, reliable change 6 points or more), episodes closed in 2026 unless said otherwise:

    code   therapist  scores      status       category                 case    recovered
    R-A1   Alice      18 10 8     closed       reliable improvement     yes     yes, reliably
    R-A2   Alice      12 9        closed       no reliable change (-3)  yes     yes, not reliably
    R-A3   Alice      15 14 16    closed       no reliable change (+1)  yes     no
    R-A4   Alice      8 2         closed       reliable improvement     no      (not a case)
    R-A5   Alice      10 17       closed       reliable deterioration   yes     no
    R-A6   Alice      14          closed       (one score only)
    R-A7   Alice      20 13       dropped out  reliable improvement     yes     no
    R-B1   Bob        16 4        closed       reliable improvement     yes     yes, reliably
    R-B2   Bob        11 12       closed       no reliable change (+1)  yes     no (1 missed)
    R-C1   Carol      20 5        closed       reliable improvement     yes     yes, reliably
    R-OLD  Alice      19 6        closed 2025  (outside the period)

Team North, 2026: 9 closed (1 dropped out), 8 with a first and a last score; reliable
improvement 4 of 8, no reliable change 3 of 8, reliable deterioration 1 of 8; cases at intake
7, recovered 3 of 7, reliably recovered 2 of 7. First scores 18 12 15 8 10 20 16 11 (sum 110),
last scores 8 9 16 2 17 13 4 12 (sum 81). 19 attended sessions, all with a PHQ-9, 1 missed.
Episodes opened in 2026: the nine above and Alice's open episode from the ``world`` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from outcome_monitor.models import Episode, EpisodeStatus, User
from outcome_monitor.services import care
from tests.builders import phq9_sessions, record_sessions
from tests.conftest import World

PERIOD = (date(2026, 1, 1), date(2026, 12, 31))
NORTH_PRE = [18, 12, 15, 8, 10, 20, 16, 11]
NORTH_POST = [8, 9, 16, 2, 17, 13, 4, 12]


def course(
    therapist: User,
    code: str,
    scores: list[int],
    *,
    opened: date = date(2026, 3, 2),
    status: EpisodeStatus | None = EpisodeStatus.CLOSED,
    missed: int = 0,
) -> Episode:
    """A client with one episode: a weekly attended session per score, then ``missed``
    unattended sessions, closed a week after the last session (left open when ``status`` is
    None)."""
    client = care.create_client(code=code, therapist=therapist, by=therapist)
    episode = care.open_episode(client=client, opened_on=opened, by=therapist)
    record_sessions(episode, *phq9_sessions(*scores), by=therapist, start=opened)
    on = opened + timedelta(weeks=len(scores))
    for _ in range(missed):
        care.record_session(episode=episode, session_date=on, attended=False, by=therapist)
        on += timedelta(weeks=1)
    if status is not None:
        care.close_episode(
            episode=episode, closed_on=on, status=status, reason="synthetic", by=therapist
        )
    return episode


@dataclass
class Seeded:
    episodes: dict[str, Episode]


def seed(world: World) -> Seeded:
    a, b, c = world.alice, world.bob, world.carol
    episodes = {
        "R-A1": course(a, "R-A1", [18, 10, 8]),
        "R-A2": course(a, "R-A2", [12, 9]),
        "R-A3": course(a, "R-A3", [15, 14, 16]),
        "R-A4": course(a, "R-A4", [8, 2]),
        "R-A5": course(a, "R-A5", [10, 17]),
        "R-A6": course(a, "R-A6", [14]),
        "R-A7": course(a, "R-A7", [20, 13], status=EpisodeStatus.DROPPED_OUT),
        "R-B1": course(b, "R-B1", [16, 4]),
        "R-B2": course(b, "R-B2", [11, 12], missed=1),
        "R-C1": course(c, "R-C1", [20, 5]),
        "R-OLD": course(a, "R-OLD", [19, 6], opened=date(2025, 3, 3)),
    }
    return Seeded(episodes)
