"""A synthetic service of the issue-12 size as an import CSV (bench_pages.py; synthetic only).

At ``scale=1.0``: 10,000 clients of 100 therapists in 10 teams, 12,000 episodes (2,000 clients
had an earlier, closed episode), about 8,500 of them active, and about 200,000 scores: PHQ-9
(nine item answers in half the episodes, a total in the other half) and SRS (four VAS marks) at
every session. Courses come from ``core.simulate`` (reference §6.3) like ``bench_import.py``,
whose row helpers this reuses. Active episodes are cut at a random session, the last of them
in the past fortnight; closed ones end at least a month before today.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from bench_import import HEADER, ITEMS, _spread  # the row format and PHQ-9 answers

from outcome_monitor.core.simulate import preset, simulate

TEAMS = 10
THERAPISTS = 100
CLIENTS = 10_000
SECOND_EPISODES = 2_000  # clients whose earlier episode is closed
ACTIVE_SHARE = 0.85  # of clients' latest episodes: 8,500 of 10,000
# Longer courses than the default (mean 7) so that two measures a session make ~200,000 scores.
EXTRA_SESSIONS_MEAN = 11.5


@dataclass(frozen=True)
class Size:
    clients: int
    second_episodes: int
    therapists: int
    teams: int

    @classmethod
    def at(cls, scale: float) -> Size:
        teams = max(1, round(TEAMS * min(1.0, scale * 4)))
        therapists = max(teams, round(THERAPISTS * min(1.0, scale * 4)))
        clients = max(therapists * 2, round(CLIENTS * scale))
        return cls(clients, round(clients * SECOND_EPISODES / CLIENTS), therapists, teams)


def therapist_email(k: int) -> str:
    return f"therapist{k:03d}@pages.bench.invalid"


def team_of(k: int, size: Size) -> int:
    return k % size.teams


def write_service_csv(path: Path, size: Size, *, today: date, seed: int = 12) -> dict[str, int]:
    """Write the import file; return what it holds (rows, episodes, active episodes)."""
    spec = replace(preset("phq9", alliance=True), extra_sessions_mean=EXTRA_SESSIONS_MEAN)
    episodes = iter(simulate(spec, episodes=size.clients + size.second_episodes, seed=seed))
    rng = np.random.default_rng(seed)
    counts = {"rows": 0, "episodes": 0, "active": 0}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for c in range(size.clients):
            head = [f"S{c:06d}", "", therapist_email(c % size.therapists)]
            active = rng.random() < ACTIVE_SHARE
            latest = _latest(next(episodes), rng, today=today, active=active)
            plans = [latest]
            if c < size.second_episodes:
                plans.insert(0, _earlier(next(episodes), rng, before=latest.start))
            for n, plan in enumerate(plans, start=1):
                rows = _rows([head[0], f"ep{n}", head[2]], plan, rng, items=c % 2 == 0)
                writer.writerows(rows)
                counts["rows"] += len(rows)
                counts["episodes"] += 1
            counts["active"] += active
    return counts


@dataclass(frozen=True)
class _Plan:
    scores: tuple[float, ...]
    alliance: tuple[float, ...]
    start: date
    closed: date | None
    planned: bool


def _latest(episode: Any, rng: np.random.Generator, *, today: date, active: bool) -> _Plan:
    length = len(episode.scores)
    if active:
        length = int(rng.integers(1, length + 1))
        last = today - timedelta(days=int(rng.integers(0, 14)))
        start = last - timedelta(weeks=length - 1)
        return _Plan(episode.scores[:length], episode.alliance[:length], start, None, True)
    closed = today - timedelta(days=int(rng.integers(30, 700)))
    start = closed - timedelta(weeks=length)
    return _Plan(episode.scores, episode.alliance, start, closed, bool(rng.random() >= 0.2))


def _earlier(episode: Any, rng: np.random.Generator, *, before: date) -> _Plan:
    closed = before - timedelta(days=int(rng.integers(60, 500)))
    start = closed - timedelta(weeks=len(episode.scores))
    return _Plan(episode.scores, episode.alliance, start, closed, bool(rng.random() >= 0.2))


def _rows(
    head: list[str], plan: _Plan, rng: np.random.Generator, *, items: bool
) -> list[list[str]]:
    closed = plan.closed.isoformat() if plan.closed else ""
    tail = [closed, ("yes" if plan.planned else "no") if plan.closed else ""]
    rows = []
    for k, total in enumerate(plan.scores):
        day = (plan.start + timedelta(weeks=k)).isoformat()
        cells = _spread(int(total), rng) if items else [""] * ITEMS
        score = "" if items else f"{total:g}"
        rows.append([*head, str(k + 1), day, "phq9", score, *cells, *tail])
        vas = [f"{min(10.0, round(plan.alliance[k] / 4, 1)):g}"] * 4
        rows.append([*head, str(k + 1), day, "srs", "", *vas, *[""] * 5, *tail])
    return rows
