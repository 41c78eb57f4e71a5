"""Benchmark of ``flask import scores`` on synthetic data (not a test); figures for docs/interop.md.

Run: .venv/bin/python bench/bench_import.py [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
     [--twice] [--refit]

1. Generate a synthetic long-format CSV of ``--rows`` rows with ``core.simulate`` (PHQ-9-like
   courses with an SRS-like alliance; reference §6.3, synthetic only): two episodes per client,
   weekly sessions; PHQ-9 as nine item answers in half the episodes and as a total in the
   other half, SRS as four VAS items in a quarter; most episodes closed (a fifth dropped out).
2. Import it into a fresh SQLite file and, with ``--pg URL`` or a PostgreSQL TEST_DATABASE_URL,
   into a throwaway PostgreSQL database. Each import runs in its own process (schema from the
   models, 20 therapists created first), so the peak memory printed (``ru_maxrss``) is the
   import's own, not the generator's.
3. Print rows/second, wall time and peak memory per database; ``--twice`` also times importing
   the same file again (every row found and skipped), ``--refit`` the refit that follows.
Target (issue 11): 1,000,000 rows in under 10 minutes on SQLite and on PostgreSQL.
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
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from outcome_monitor.core.simulate import preset, simulate  # noqa: E402

THERAPISTS = 20
ITEMS = 9
HEADER = ["client", "episode", "therapist", "session", "date", "measure", "total",
          *(f"item_{i}" for i in range(1, ITEMS + 1)), "closed", "planned_end"]  # fmt: skip
FIRST_DAY = date(2019, 1, 7)


def _email(k: int) -> str:
    return f"therapist{k:02d}@bench.invalid"


def _spread(total: int, rng: np.random.Generator) -> list[int]:
    """Nine PHQ-9 answers (0-3) that add up to ``total``, in a random order."""
    answers = [0] * ITEMS
    for item in rng.permutation(ITEMS * 3)[:total] % ITEMS:
        answers[int(item)] += 1
    return answers


def _episode_rows(n: int, episode: Any, rng: np.random.Generator) -> list[list[str]]:
    client, label = f"B{n // 2:07d}", f"ep{n % 2 + 1}"
    start = FIRST_DAY + timedelta(days=int(rng.integers(0, 5 * 365)) + (n % 2) * 400)
    days = [(start + timedelta(weeks=k)).isoformat() for k in range(len(episode.scores))]
    is_open = n % 2 == 1 and rng.random() < 0.2
    closed = "" if is_open else (start + timedelta(weeks=len(days))).isoformat()
    planned = "" if is_open else ("no" if rng.random() < 0.2 else "yes")
    tail = [closed, planned]
    head = [client, label, _email(n // 2 % THERAPISTS)]
    rows = []
    for k, total in enumerate(episode.scores):
        cells = _spread(int(total), rng) if n % 2 == 0 else [""] * ITEMS
        score = "" if n % 2 == 0 else f"{total:g}"
        rows.append([*head, str(k + 1), days[k], "phq9", score, *cells, *tail])
        if n % 4 == 0:
            vas = [f"{min(10.0, round(episode.alliance[k] / 4, 1)):g}"] * 4
            rows.append([*head, str(k + 1), days[k], "srs", "", *vas, *[""] * 5, *tail])
    return rows


def write_csv(path: Path, n_rows: int) -> int:
    """Write at least ``n_rows`` rows (whole episodes); return the number written."""
    written, n, seed = 0, 0, 1
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        while written < n_rows:
            rng = np.random.default_rng(seed)
            for episode in simulate(preset("phq9", alliance=True), episodes=10_000, seed=seed):
                rows = _episode_rows(n, episode, rng)
                writer.writerows(rows)
                written, n = written + len(rows), n + 1
                if written >= n_rows and n % 2 == 0:
                    break
            seed += 1
    return written


def _throwaway_pg(server_url: str) -> tuple[str, Any]:
    import sqlalchemy as sa

    from config import normalise_database_url

    server = sa.make_url(normalise_database_url(server_url))
    name = f"om_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def child(url: str, path: Path, twice: bool, refit: bool) -> None:
    """Import ``path`` into the database at ``url`` (a fresh one) and print figures as JSON."""
    from config import TestingConfig
    from outcome_monitor import create_app
    from outcome_monitor.extensions import db
    from outcome_monitor.models import Role
    from outcome_monitor.models.types import utcnow
    from outcome_monitor.services import accounts, importing
    from outcome_monitor.services import refit as refit_service

    class Bench(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    app = create_app(Bench)
    out: dict[str, Any] = {}
    with app.app_context():
        db.create_all()
        for k in range(THERAPISTS):
            accounts.create_user(email=_email(k), display_name=f"T{k}", role=Role.THERAPIST,
                                 password="bench password", by=None)  # fmt: skip
        runs = ["first", "again"] if twice else ["first"]
        for run in runs:
            started, cpu = time.perf_counter(), time.process_time()
            with path.open("rb") as stream:
                result = importing.import_scores(
                    stream=stream, name=path.name, today=date.today(), now=utcnow(),
                    size=path.stat().st_size,
                )  # fmt: skip
            seconds = time.perf_counter() - started
            assert result.n_issues == 0, [str(i) for i in result.issues[:5]]
            out[run] = {"seconds": seconds, "rows": result.rows, **result.counts()}
            out[run]["cpu_seconds"] = time.process_time() - cpu
            out[run]["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if refit:
            started = time.perf_counter()
            summary = refit_service.refit_models(now=utcnow()).summary().splitlines()[0]
            out["refit"] = {"seconds": time.perf_counter() - started, "summary": summary}
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(out))


def _run(url: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", url, "--file", str(path)]
    command += ["--twice"] if args.twice else []
    command += ["--refit"] if args.refit else []
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _print(label: str, figures: dict[str, Any]) -> None:
    for run in ("first", "again"):
        if run not in figures:
            continue
        f = figures[run]
        print(
            f"{label:10} {run:5}: {f['rows']:>9,} rows in {f['seconds']:6.1f} s wall "
            f"({f['cpu_seconds']:5.1f} s CPU in the importer) = {f['rows'] / f['seconds']:>7,.0f} "
            f"rows/s; peak memory {f['max_rss_mb']:4.0f} MB; created {f['administrations']:,} "
            f"scores, {f['sessions']:,} sessions, {f['episodes']:,} episodes; "
            f"skipped {f['skipped']:,}"
        )
    if "refit" in figures:
        refit = figures["refit"]
        print(f"{label:10} refit: {refit['seconds']:.1f} s ({refit['summary']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a database is made).")
    parser.add_argument("--twice", action="store_true", help="Also time a second import.")
    parser.add_argument("--refit", action="store_true", help="Also time the refit afterwards.")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.file), args.twice, args.refit)
        return
    pg = args.pg or (os.environ.get("TEST_DATABASE_URL", "") or None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scores.csv"
        started = time.perf_counter()
        rows = write_csv(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"generated {rows:,} rows ({size:.0f} MB) in {time.perf_counter() - started:.0f} s")
        _print("sqlite", _run(f"sqlite:///{Path(folder) / 'bench.db'}", path, args))
        if pg and pg.startswith("postgres"):
            url, drop = _throwaway_pg(pg)
            try:
                _print("postgresql", _run(url, path, args))
            finally:
                drop()
    print("target: 1,000,000 rows in under 600 s on each database")


if __name__ == "__main__":
    main()
