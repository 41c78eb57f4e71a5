"""Benchmark of the read audit and the audit export (not a test); figures for docs/security.md.

Run: .venv/bin/python bench/bench_audit.py [--requests 300] [--events 100000]

1. On a SQLite file database (a commit is a real write), time the client page and the chart
   JSON with the read audit hooked in and with it unhooked, alternating, and print the median
   and 95th percentile of each and the difference the audit makes.
2. Fill the trail with ``--events`` synthetic events and time ``audit export`` to CSV and to
   JSON, with the peak Python memory (tracemalloc) of each: the export streams, so the peak
   should stay flat as the trail grows.
Target (issue 9): the audit adds about one insert per page, no more than a few milliseconds.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.audit_cli import write_csv, write_json
from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, AuditOutcome, EntryMode, Role
from outcome_monitor.services import accounts, audit, care, measures
from outcome_monitor.web import read_audit

PASSWORD = "correct horse battery"


def build(folder: Path):  # type: ignore[no-untyped-def]
    class Bench(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'bench.db'}"

    app = create_app(Bench)
    with app.app_context():
        db.create_all()
        team = accounts.create_team(name="North", by=None)
        alice = accounts.create_user(
            email="alice@example.test",
            display_name="Alice",
            role=Role.THERAPIST,
            password=PASSWORD,
            team=team,
            by=None,
        )
        client = care.create_client(code="A-001", therapist=alice, by=alice)
        episode = care.open_episode(client=client, opened_on=date(2026, 1, 5), by=alice)
        for week in range(12):
            session = care.record_session(
                episode=episode,
                session_date=date(2026, 1, 5) + timedelta(weeks=week),
                attended=True,
                by=alice,
            )
            measures.record_administration(
                episode=episode,
                session=session,
                instrument_code="phq9",
                answers={str(i): float((week + i) % 3) for i in range(1, 10)},
                entry_mode=EntryMode.THERAPIST,
                by=alice,
            )
        ids = client.id, episode.id
    return app, ids


def time_pages(app, ids: tuple[int, int], n: int) -> None:  # type: ignore[no-untyped-def]
    web = app.test_client()
    response = web.post("/login", data={"email": "alice@example.test", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    paths = {
        "client page": f"/clients/{ids[0]}",
        "chart JSON": f"/clients/episodes/{ids[1]}/chart.json",
    }
    hooks = app.after_request_funcs[None]
    for label, path in paths.items():
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(10):
            web.get(path)
        for i in range(2 * n):
            audited = i % 2 == 0
            if not audited:
                hooks.remove(read_audit.audit_response)
            start = time.perf_counter()
            status = web.get(path).status_code
            timings[audited].append((time.perf_counter() - start) * 1000)
            if not audited:
                hooks.append(read_audit.audit_response)
            assert status == 200, status
        with_audit, without = _stats(timings[True]), _stats(timings[False])
        hook = _stats(_hook_times(web, path, n))
        print(
            f"{label:12} audited median {with_audit[0]:6.2f} ms p95 {with_audit[1]:6.2f} ms | "
            f"unaudited median {without[0]:6.2f} ms p95 {without[1]:6.2f} ms | "
            f"audit adds {with_audit[0] - without[0]:+.2f} ms (median)"
        )
        print(
            f"{'':12} the hook alone (judge, INSERT, COMMIT): "
            f"median {hook[0]:.2f} ms p95 {hook[1]:.2f} ms"
        )


def _hook_times(web, path: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The time spent in the audit hook itself, measured around it."""
    spent: list[float] = []
    original = read_audit._write

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        original(*args, **kwargs)
        spent.append((time.perf_counter() - start) * 1000)

    read_audit._write = timed  # type: ignore[assignment]
    try:
        for _ in range(n):
            web.get(path)
    finally:
        read_audit._write = original  # type: ignore[assignment]
    return spent


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def fill_trail(n: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 5000
    for offset in range(0, n, batch):
        db.session.execute(
            sa.insert(AuditEvent),
            [
                {
                    "actor_id": 1,
                    "action": "client.view",
                    "object_type": "Client",
                    "object_id": "1",
                    "at": start + timedelta(seconds=offset + i),
                    "details": {"method": "GET", "path": "/clients/1", "status": 200},
                    "outcome": AuditOutcome.ALLOWED,
                    "client_code": "A-001",
                }
                for i in range(min(batch, n - offset))
            ],
        )
    db.session.commit()


def time_export(label: str, writer) -> None:  # type: ignore[no-untyped-def]
    sink = io.StringIO()
    selection = audit.ExportFilter(since=datetime(2000, 1, 1, tzinfo=UTC))
    tracemalloc.start()
    start = time.perf_counter()
    writer(audit.export_rows(selection), _Discard(sink))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"export {label:4} {elapsed:6.2f} s, peak Python memory {peak / 1e6:6.1f} MB")


class _Discard(io.TextIOBase):
    """Counts what is written and keeps nothing (so only the export's own memory counts)."""

    def __init__(self, _: io.StringIO) -> None:
        self.chars = 0

    def write(self, text: str) -> int:  # type: ignore[override]
        self.chars += len(text)
        return len(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, ids = build(Path(folder))
        print(f"== read audit: {args.requests} requests each way, SQLite file database")
        with app.app_context():
            time_pages(app, ids, args.requests)
            for events in (args.events // 10, args.events):
                count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
                fill_trail(events - (count or 0))
                print(f"== audit export of {events} events")
                time_export("csv", write_csv)
                time_export("json", write_json)
            db.engine.dispose()


if __name__ == "__main__":
    main()
