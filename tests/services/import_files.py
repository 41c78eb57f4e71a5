"""Builders of synthetic score CSV files for the import tests (synthetic data only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from outcome_monitor.services import importing

N_ITEMS = 10
ITEMS = [f"item_{i}" for i in range(1, N_ITEMS + 1)]
HEADER = [
    "client", "episode", "therapist", "session", "date", "measure", "total", *ITEMS, "closed",
    "planned_end",
]  # fmt: skip
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ALICE = "alice@example.test"


def row(
    *,
    client: str = "C-1",
    episode: str = "2025",
    therapist: str = ALICE,
    session: int | str = 1,
    day: str = "2025-01-06",
    measure: str = "phq9",
    total: float | str = "",
    items: Sequence[int | float | str] = (),
    closed: str = "",
    planned_end: str = "",
) -> list[str]:
    cells = [str(v) for v in items] + [""] * (N_ITEMS - len(items))
    fields = [client, episode, therapist, str(session), day, measure, str(total)]
    return [*fields, *cells, closed, planned_end]


def csv_bytes(
    rows: Iterable[Sequence[str]], *, header: Sequence[str] = HEADER, bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def run_import(data: bytes, **options: object) -> importing.ImportResult:
    return importing.import_scores(
        stream=io.BytesIO(data),
        name="scores.csv",
        today=TODAY,
        now=NOW,
        **options,  # type: ignore[arg-type]
    )


def messages(result: importing.ImportResult) -> list[str]:
    return [str(issue) for issue in result.issues]


def weekly(start: date, n: int) -> list[str]:
    """ISO dates a week apart."""
    return [date.fromordinal(start.toordinal() + 7 * k).isoformat() for k in range(n)]
