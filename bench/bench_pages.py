"""Benchmark of the pages at a service's size, served by gunicorn (not a test); figures for
docs/performance.md (issue 12).

Run: .venv/bin/python bench/bench_pages.py [--scale 1.0] [--database-url postgresql://...]

1. Write the import file of a synthetic service (``synth.py``): at ``--scale 1.0`` 10,000
   clients, 100 therapists in 10 teams, 12,000 episodes (about 8,500 active), about 200,000
   scores. The default scale (0.1) runs in about three minutes.
2. On a fresh SQLite file (and, with ``--database-url``, a throwaway PostgreSQL database):
   create the schema, the teams and therapists, one supervisor of every team and an admin with
   the services, then load the file with ``flask import scores --evaluate-open``.
3. Count each page's SQL queries in-process (Flask test client, a SQLAlchemy event).
4. Serve the app and a bare Flask app (``bare_app.py``: one row read) with the same gunicorn
   settings (2 workers), log in through the login form, and measure with concurrent clients
   (``loadclient.py``): p50/p95 of each page, then the throughput of the bare app, the
   caseload and score submissions, measured in turn in three rounds (the shares are the
   median of the rounds', with their range).
5. Print the figures with the issue's targets as Markdown tables, MET or MISSED.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pages_measure as measure  # noqa: E402
import pages_report as report  # noqa: E402
import pages_setup as setup  # noqa: E402
from bench_import import _throwaway_pg  # noqa: E402
from synth import Size, write_service_csv  # noqa: E402


def bench_database(url: str, label: str, csv_path: Path, args: argparse.Namespace) -> dict:
    """Everything measured on one database (steps 2 to 4)."""
    figures: dict[str, Any] = {"label": label}
    started = time.perf_counter()
    world = setup.build(url, Size.at(args.scale))
    figures["import"] = setup.import_file(url, csv_path)
    setup.analyze(url)
    figures["setup_seconds"] = time.perf_counter() - started
    world = setup.find_world(url, world)
    figures["world"] = world.summary()
    print(f"{label}: loaded in {figures['setup_seconds']:.0f} s; {world.summary()}", flush=True)
    figures["queries"] = measure.count_queries(url, world)
    with measure.serving(url, world) as ports:
        figures["latency"] = measure.latencies(ports, world, requests=args.requests)
        figures["throughput"] = measure.throughputs(ports, world, seconds=args.seconds)
    figures["jobs"] = measure.jobs(url)
    return figures


@contextmanager
def _databases(args: argparse.Namespace, folder: Path) -> Iterator[list[tuple[str, str]]]:
    databases = [(f"sqlite:///{folder / 'pages.db'}", "SQLite")]
    drop = None
    if args.database_url:
        url, drop = _throwaway_pg(args.database_url)
        setup.plan_costs(url, args.random_page_cost)
        databases.append((url, "PostgreSQL"))
    try:
        yield databases
    finally:
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="1.0 = the issue's size")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server URL (a database is made)"
    )
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=setup.README_RANDOM_PAGE_COST,
        help="PostgreSQL's random_page_cost for the benchmark's database: the README's 1.1 "
        "(solid-state storage) by default; 4 is PostgreSQL's own default",
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per page for p50/p95")
    parser.add_argument(
        "--seconds",
        type=float,
        default=15.0,
        help="throughput: seconds per app in all (split over the rounds)",
    )
    args = parser.parse_args()
    print(f"load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not 0 < args.scale <= 2:
        parser.error("--scale must be above 0 and at most 2")
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv_path = folder / "service.csv"
        held = write_service_csv(csv_path, Size.at(args.scale), today=date.today())
        print(
            f"generated {held['rows']:,} rows, {held['episodes']:,} episodes "
            f"({held['active']:,} active)",
            flush=True,
        )
        with _databases(args, folder) as databases:
            for url, label in databases:
                results.append(bench_database(url, label, csv_path, args))
    report.print_all(results, args=args, machine=_machine())


def _machine() -> str:
    cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    version = subprocess.run([sys.executable, "--version"], capture_output=True, text=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cores} cores, {memory:.0f} GiB, {version.stdout.strip()}, {date.today()}; "
        f"load average at the end {load}"
    )


if __name__ == "__main__":
    main()
