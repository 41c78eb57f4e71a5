"""bench_pages.py, step 5: the figures as Markdown tables, against the issue's targets."""

from __future__ import annotations

import argparse
from statistics import median
from typing import Any

from loadclient import Timings
from pages_measure import LATENCY_THREADS, PAGES, THROUGHPUT_THREADS, WORKERS
from pages_setup import README_RANDOM_PAGE_COST

# Score submission against bare Flask: 30% on SQLite, 40% on PostgreSQL; the caseload 10%.
SCORE_SHARE = {"SQLite": 0.30, "PostgreSQL": 0.40}
CASELOAD_SHARE = 0.10


def _verdict(ok: bool) -> str:
    return "MET" if ok else "**MISSED**"


def _errors(timings: Any) -> str:
    return (
        f" ({len(timings.errors)} failed: {sorted(set(timings.errors))})" if timings.errors else ""
    )


def print_database(figures: dict[str, Any]) -> None:
    label, queries = figures["label"], figures["queries"]
    imported = figures["import"]
    flag = "with --evaluate-open" if imported["evaluate_open"] else "WITHOUT --evaluate-open"
    print(f"\n### {label}\n")
    print(f"Data: {figures['world']}.  ")
    print(f"Import ({flag}): {imported['seconds']:.0f} s: {imported['summary']}\n")
    print(f"| page | queries | p50 | p95 | target p95 | {label} |")
    print("|---|---|---|---|---|---|")
    for page in PAGES:
        t = figures["latency"][page.key]
        p95 = t.percentile(95) * 1000
        ok = p95 < page.target_ms and not t.errors
        print(
            f"| {page.label} | {queries[page.key]} | {t.percentile(50) * 1000:.0f} ms | "
            f"{p95:.0f} ms | < {page.target_ms:.0f} ms | {_verdict(ok)}{_errors(t)} |"
        )
    same = queries["queue_team"] == queries["queue_all"]
    print(
        f"| queries: one team's queue = all teams' queue | "
        f"{queries['queue_team']} / {queries['queue_all']} | | | equal | {_verdict(same)} |"
    )
    print(
        f"| score form (GET) / score submission (POST) | {queries['score_form']} / "
        f"{queries['score']} | | | | |"
    )
    _print_throughput(figures)
    _print_jobs(figures["jobs"])


def _print_throughput(figures: dict[str, Any]) -> None:
    """Requests per second: the median of the rounds; shares: the median of the rounds' shares
    (each round measures the app and the bare app back to back), with their range."""
    label, rounds = figures["label"], figures["throughput"]

    def rate(key: str) -> float:
        return median(r[key].rate for r in rounds)

    def shares(key: str, of: str = "bare") -> list[float]:
        return [r[key].rate / r[of].rate if r[of].rate else 0.0 for r in rounds]

    def failed(key: str) -> str:
        return _errors(Timings(errors=[e for r in rounds for e in r[key].errors]))

    def share_words(values: list[float]) -> str:
        # Three decimals: a median of 0.098 shown as "0.10" beside MISSED reads as a mistake.
        return f"{median(values):.3f} ({min(values):.3f}–{max(values):.3f})"

    print(
        f"\n| throughput ({THROUGHPUT_THREADS} clients, {WORKERS} workers; {len(rounds)} rounds) "
        f"| requests/s | share of bare Flask (range of the rounds) | target | {label} |"
    )
    print("|---|---|---|---|---|")
    print(f"| bare Flask, one row read | {rate('bare'):.0f} | 1 | | {failed('bare')} |")
    for key, name, target in (
        ("caseload", "therapist caseload", CASELOAD_SHARE),
        ("score", "score submission (POST)", SCORE_SHARE[label]),
    ):
        values = shares(key)
        ok = median(values) >= target and not failed(key)
        print(
            f"| {name} | {rate(key):.1f} | {share_words(values)} | ≥ {target:.2f} | "
            f"{_verdict(ok)}{failed(key)} |"
        )
    print(
        f"| *for comparison:* bare Flask, one row written and committed | "
        f"{rate('bare_write'):.0f} | {share_words(shares('bare_write'))} | | "
        f"{failed('bare_write')} |"
    )
    print(
        f"| *score submission against that write* | | "
        f"{share_words(shares('score', of='bare_write'))} | | |"
    )
    print(
        f"| *for comparison:* bare Flask form POST (sign-in check, CSRF, nine answers, a score "
        f"and an audit row in Core, one commit; no ORM, no alerts, no status) | "
        f"{rate('bare_form'):.0f} | {share_words(shares('bare_form'))} | | "
        f"{failed('bare_form')} |"
    )
    print(
        f"| *score submission against that form POST* | | "
        f"{share_words(shares('score', of='bare_form'))} | | |"
    )


def _print_jobs(jobs: dict[str, Any]) -> None:
    print("\n| job, on this data | time | result | target |\n|---|---|---|---|")
    for name, (seconds, result) in jobs.items():
        target = "< 2 s at 10,000 active" if name.startswith("overdue") else "< 5 s for 3,000"
        print(f"| {name} | {seconds:.2f} s | {result} | {target} |")
    print("\nThe jobs with a backlog of 3,000 due alerts, and the refit: `bench/bench_jobs.py`.")


def print_all(results: list[dict[str, Any]], *, args: argparse.Namespace, machine: str) -> None:
    command = f"python bench/bench_pages.py --scale {args.scale:g}"
    if args.database_url:
        command += " --database-url postgresql://…"
        if args.random_page_cost != README_RANDOM_PAGE_COST:
            command += f" --random-page-cost {args.random_page_cost:g}"
    print(f"\n## Pages at scale {args.scale:g}\n")
    print(
        f"Command: `{command}` (requests per page {args.requests}, throughput runs of "
        f"{args.seconds:g} s).  "
    )
    print(
        f"Machine: {machine}. gunicorn {WORKERS} sync workers, latency with "
        f"{LATENCY_THREADS} clients in flight, throughput with {THROUGHPUT_THREADS}; "
        f"requests ask for gzip; the load client runs on the same 2 cores"
        + (
            f"; PostgreSQL's random_page_cost {args.random_page_cost:g}."
            if args.database_url
            else "."
        )
    )
    for figures in results:
        print_database(figures)
