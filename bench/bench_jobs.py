"""Benchmark of the scheduled jobs at a service's scale (not a test); figures for
docs/performance.md, "Jobs at scale" (issue 12).

Run: .venv/bin/python bench/bench_jobs.py [--active 10000] [--alerts 3000]
     [--refit-rows 200000] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
Full scale (issue 12's targets): --refit-rows 1000000 (the other defaults already are).

Everything is built through the CSV import (``services.importing``), never by hand-written
inserts; synthetic data only.
1. ``active.csv``: ``--active`` clients, each with one open PHQ-9 episode of 3-6 weekly scores
   ending 0-8 weeks ago (so some are overdue); in ``--alerts`` of them the last score is given
   as item answers with item 9 at 2. It is imported with ``evaluate_open``, which raises a
   risk alert for each of those (and whatever else the rules find) as of the last score.
2. Escalation: ``alerting.escalate_overdue`` 25 hours later (the risk alerts are due, the red
   ones not yet): time and count. Then the overdue check (``check_overdue``) twice: the first
   run raises the overdue alerts, the second is the hourly steady state.
3. ``history.csv`` (``bench_import``'s generator: two episodes per client, most closed) of
   ``--refit-rows`` rows is imported, then ``refit.refit_models`` is timed in a process of its
   own, so its peak memory (``ru_maxrss``) is the refit's and not the import's.
Each database is fresh: a SQLite file, and with ``--database-url`` (or a PostgreSQL
TEST_DATABASE_URL) a throwaway database on that server.
Targets (issue 12): 3,000 due alerts escalated in under 5 s; the overdue check under 2 s at
10,000 active episodes; refit on 1,000,000 administrations under 60 s and 2 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_import  # noqa: E402

PHQ9_ITEMS = 9


def write_active_csv(path: Path, n: int, alerts: int, today: date) -> None:
    """``n`` open episodes; the first ``alerts`` end with item 9 answered 2 (a risk item)."""
    rng = np.random.default_rng(12)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(bench_import.HEADER)
        for i in range(n):
            sessions = int(rng.integers(3, 7))
            last = today - timedelta(days=int(rng.integers(0, 57)))
            head = [f"J{i:06d}", "open", bench_import._email(i % bench_import.THERAPISTS)]
            for k in range(sessions):
                day = (last - timedelta(weeks=sessions - 1 - k)).isoformat()
                total = int(rng.integers(6, 20))
                if k == sessions - 1 and i < alerts:
                    items = [*bench_import._spread(min(total, 22), rng)[:8], 2]
                    cells = ["", *map(str, items)]
                else:
                    cells = [str(total), *[""] * PHQ9_ITEMS]
                writer.writerow([*head, str(k + 1), day, "phq9", *cells, "", ""])


def _app(url: str) -> Any:
    from config import TestingConfig
    from outcome_monitor import create_app

    class Bench(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    return create_app(Bench)


def _import(path: Path, **options: Any) -> dict[str, Any]:
    from outcome_monitor.models.types import utcnow
    from outcome_monitor.services import importing

    started = time.perf_counter()
    with path.open("rb") as stream:
        result = importing.import_scores(
            stream=stream, name=path.name, today=date.today(), now=utcnow(), **options
        )
    assert result.n_issues == 0, [str(i) for i in result.issues[:5]]
    out = {"seconds": time.perf_counter() - started, **result.counts()}
    if result.evaluated is not None:
        out["evaluated"] = result.evaluated.episodes
        out["evaluated_alerts"] = result.evaluated.alerts
    return out


def _timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def child_jobs(url: str, active: Path) -> dict[str, Any]:
    """Schema, therapists, the open episodes (evaluated), then escalation and overdue."""
    from outcome_monitor.extensions import db
    from outcome_monitor.models import Role
    from outcome_monitor.models.types import utcnow
    from outcome_monitor.services import accounts, alerting

    app = _app(url)
    out: dict[str, Any] = {}
    with app.app_context():
        db.create_all()
        for k in range(bench_import.THERAPISTS):
            email, name = bench_import._email(k), f"T{k}"
            accounts.create_user(email=email, display_name=name, role=Role.THERAPIST,
                                 password="bench password", by=None)  # fmt: skip
        out["import_active"] = _import(active, evaluate_open=True)
        later = utcnow() + timedelta(hours=25)
        out["escalation"] = _timed(lambda: alerting.escalate_overdue(now=later))
        out["escalation_again"] = _timed(lambda: alerting.escalate_overdue(now=later))
        today = date.today()
        out["overdue_first"] = _timed(lambda: alerting.check_overdue(today=today, now=later))
        out["overdue_again"] = _timed(lambda: alerting.check_overdue(today=today, now=later))
        db.session.remove()
        db.engine.dispose()
    return out


def child_history(url: str, history: Path) -> dict[str, Any]:
    from outcome_monitor.extensions import db

    app = _app(url)
    with app.app_context():
        out = {"import_history": _import(history, size=history.stat().st_size)}
        db.session.remove()
        db.engine.dispose()
    return out


def child_refit(url: str) -> dict[str, Any]:
    import sqlalchemy as sa

    from outcome_monitor.extensions import db
    from outcome_monitor.models import Administration
    from outcome_monitor.models.types import utcnow
    from outcome_monitor.services import refit

    app = _app(url)
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Administration))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seconds, result = _timed(lambda: refit.refit_models(now=utcnow()))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary = result.summary().splitlines()[0]
        db.session.remove()
        db.engine.dispose()
    return {
        "refit": {
            "seconds": seconds,
            "administrations": n,
            "max_rss_mb": peak,
            "rss_before_mb": before,
            "summary": summary,
        }
    }


def _child(args: argparse.Namespace) -> None:
    if args.child == "jobs":
        out = child_jobs(args.url, Path(args.file))
    elif args.child == "history":
        out = child_history(args.url, Path(args.file))
    else:
        out = child_refit(args.url)
    print(json.dumps(out))


def _run(step: str, url: str, path: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", step, "--url", url]
    command += ["--file", str(path)] if path else []
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _print(label: str, f: dict[str, Any]) -> None:
    active = f["import_active"]
    scores = active["administrations"]
    print(f"{label:10} import of {active['episodes']:,} open episodes ({scores:,} scores) "
          f"with --evaluate-open: {active['seconds']:.1f} s; "
          f"{active.get('evaluated', 0):,} evaluated, {active.get('evaluated_alerts', 0):,} "
          "alert conditions")  # fmt: skip
    (seconds, n), (again, none) = f["escalation"], f["escalation_again"]
    print(f"{label:10} escalation: {n:,} due alerts in {seconds:.2f} s "
          f"(a second run: {none} in {again:.2f} s)")  # fmt: skip
    for key, name in (("overdue_first", "first run"), ("overdue_again", "steady state")):
        seconds, n = f[key]
        print(f"{label:10} overdue check, {name}: {active['episodes']:,} active episodes, "
              f"{n:,} overdue, in {seconds:.2f} s")  # fmt: skip
    history = f["import_history"]
    print(f"{label:10} history import: {history['administrations']:,} scores in "
          f"{history['seconds']:.0f} s")  # fmt: skip
    r = f["refit"]
    print(f"{label:10} refit: {r['administrations']:,} administrations in {r['seconds']:.1f} s, "
          f"peak memory {r['max_rss_mb']:.0f} MB (process before the refit: "
          f"{r['rss_before_mb']:.0f} MB); {r['summary']}")  # fmt: skip


def _database(url: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    figures = _run("jobs", url, folder / "active.csv")
    figures |= _run("history", url, folder / "history.csv")
    figures |= _run("refit", url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--active", type=int, default=10_000, help="Open episodes.")
    parser.add_argument("--alerts", type=int, default=3_000, help="Due risk alerts.")
    parser.add_argument("--refit-rows", type=int, default=200_000,
                        help="Scores in the refit's history (1000000: full scale).")  # fmt: skip
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a throwaway database is made).")  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true", help="Only PostgreSQL.")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    pg = args.database_url or (os.environ.get("TEST_DATABASE_URL", "") or None)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        write_active_csv(folder / "active.csv", args.active, args.alerts, date.today())
        rows = bench_import.write_csv(folder / "history.csv", args.refit_rows)
        print(f"generated {args.active:,} open episodes and {rows:,} history rows in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        if not args.no_sqlite:
            _print("sqlite", _database(f"sqlite:///{folder / 'bench.db'}", folder, args))
        if pg and pg.startswith("postgres"):
            url, drop = bench_import._throwaway_pg(pg)
            try:
                _print("postgresql", _database(url, folder, args))
            finally:
                drop()
    print("targets: escalation of 3,000 alerts < 5 s; overdue check < 2 s at 10,000 active "
          "episodes; refit of 1,000,000 administrations < 60 s and < 2 GB")  # fmt: skip


if __name__ == "__main__":
    main()
