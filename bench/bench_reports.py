"""Benchmark of the service outcome report on synthetic data (not a test); figures for
docs/reports.md.

Run: .venv/bin/python bench/bench_reports.py [--sizes 500 2000 8000] [--scores 6]

1. For each size, build a fresh SQLite database (a file in a temporary folder) with one team of
   20 therapists, ``size`` closed episodes (PHQ-9 scores from the reference §6 generator, one
   session each), a quarter as many open ones, and an alert on every fifth closed episode. The
   rows are bulk-inserted (a benchmark fixture, not an app path: going through the services
   would take minutes per size and measure the scoring, not the report).
2. Time ``build_report`` + ``build_tables`` for the whole service (best of 3) and count the SQL
   statements, which must not grow with the size.
Target: a constant number of statements; well under a second for a year of a typical service
(a few thousand closed episodes). The page's funnel plot is a second request that builds the
report again, so a page view costs about twice the figure printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    Client,
    Episode,
    Role,
    Team,
    TherapySession,
    User,
)
from outcome_monitor.services import report_scope, reports
from outcome_monitor.services.report_tables import build_tables

START = date(2025, 1, 6)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _insert(rows: list[dict[str, object]], table: sa.Table) -> None:
    if rows:
        db.session.execute(sa.insert(table), rows)


def seed(size: int, scores: int) -> None:
    team = Team(name="Bench")
    db.session.add(team)
    db.session.flush()
    therapists = [
        User(
            email=f"t{i}@bench.test",
            display_name=f"T{i:02d}",
            role=Role.THERAPIST.value,
            team_id=team.id,
            password_hash="x",
        )
        for i in range(20)
    ]
    db.session.add_all(therapists)
    db.session.flush()
    courses = simulate(preset("phq9"), episodes=size + size // 4, seed=7)
    clients, episodes, sessions, given, alerts = [], [], [], [], []
    session_id = 0
    for n, course in enumerate(courses):
        therapist = therapists[n % len(therapists)].id
        closed = n < size
        opened = START + timedelta(days=n % 300)
        clients.append({"id": n + 1, "code": f"B-{n:06d}", "therapist_id": therapist})
        episodes.append(
            {
                "id": n + 1,
                "client_id": n + 1,
                "therapist_id": therapist,
                "opened_on": opened,
                "closed_on": opened + timedelta(weeks=scores) if closed else None,
                "status": "closed" if closed else "active",
            }
        )
        for k, total in enumerate(course.scores[:scores]):
            session_id += 1
            sessions.append(
                {
                    "id": session_id,
                    "episode_id": n + 1,
                    "number": k + 1,
                    "date": opened + timedelta(weeks=k),
                    "attended": True,
                }
            )
            given.append(
                {
                    "episode_id": n + 1,
                    "session_id": session_id,
                    "instrument_code": "phq9",
                    "instrument_version": "1",
                    "answers": {},
                    "total": float(round(total)),
                    "entry_mode": "therapist",
                    "subscales": {},
                    "risk_items": [],
                    "created_at": NOW,
                }
            )
        if closed and n % 5 == 0:
            alerts.append(
                {
                    "episode_id": n + 1,
                    "type": "not_on_track",
                    "status": "resolved",
                    "opened_at": NOW,
                    "updated_at": NOW,
                    "reason": {},
                    "actions": [],
                    "acknowledged_at": NOW + timedelta(hours=n % 48),
                }
            )
    for rows, model in (
        (clients, Client),
        (episodes, Episode),
        (sessions, TherapySession),
        (given, Administration),
        (alerts, Alert),
    ):
        _insert(rows, model.__table__)  # type: ignore[arg-type]
    db.session.commit()


def measure(size: int, scores: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        app = create_app(lambda: TestingConfig({"TEST_DATABASE_URL": url}))  # type: ignore[arg-type,return-value]
        with app.app_context(), app.test_request_context():
            db.create_all()
            seed(size, scores)
            request = reports.ReportRequest("phq9", date(2024, 1, 1), date(2027, 1, 1))
            statements: list[str] = []
            sa.event.listen(
                db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
            )
            best = float("inf")
            for _ in range(3):
                statements.clear()
                db.session.expire_all()
                started = time.perf_counter()
                report = reports.build_report(report_scope.operator_scope(None), request)
                build_tables(report)
                best = min(best, time.perf_counter() - started)
            assert report.activity.closed == size
            db.engine.dispose()
            return best, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 8000])
    parser.add_argument("--scores", type=int, default=6)
    args = parser.parse_args()
    print("closed episodes | scores each | report + tables (best of 3) | SQL statements")
    for size in args.sizes:
        seconds, queries = measure(size, args.scores)
        print(f"{size:15d} | {args.scores:11d} | {seconds * 1000:22.0f} ms | {queries:14d}")


if __name__ == "__main__":
    main()
