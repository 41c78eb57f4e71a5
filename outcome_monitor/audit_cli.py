"""``flask --app wsgi audit export``: the audit trail as CSV or JSON, streamed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

import click
from flask.cli import AppGroup

from outcome_monitor.services import ServiceError, audit
from outcome_monitor.services.audit import ExportFilter, ExportRow

audit_cli = AppGroup("audit", help="The audit trail: every change, read and refused attempt.")

COLUMNS = (
    "time",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "client_code",
    "outcome",
    "detail",
)


def parse_moment(option: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; one without a zone is UTC. One clear line otherwise."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.ClickException(
            f"{option}: {value!r} is not an ISO date or date-time "
            "(e.g. 2026-11-01 or 2026-11-01T09:30:00+00:00)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@audit_cli.command("export")
@click.option("--since", required=True, help="ISO date or date-time (UTC unless a zone is given).")
@click.option("--until", default=None, help="ISO date or date-time, exclusive.")
@click.option("--client", "client_code", default=None, help="Only events about this client code.")
@click.option("--actor", default=None, help="Only events by the user with this email.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--out", type=click.File("w", encoding="utf-8", lazy=True), default="-")
def export_command(
    since: str, until: str | None, client_code: str | None, actor: str | None, fmt: str, out: TextIO
) -> None:
    """Write the events, oldest first, one row (CSV) or object (JSON array) per event."""
    start, end = parse_moment("--since", since), parse_moment("--until", until)
    assert start is not None
    if end is not None and end <= start:
        raise click.ClickException("--until must be later than --since")
    try:
        actor_id = audit.actor_by_email(actor).id if actor else None
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    selection = ExportFilter(since=start, until=end, client_code=client_code, actor_id=actor_id)
    rows = audit.export_rows(selection)
    (write_csv if fmt == "csv" else write_json)(rows, out)


def as_record(row: ExportRow) -> dict[str, Any]:
    return {
        "time": row.at.isoformat(),
        "actor_email": row.actor_email or "",
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id or "",
        "client_code": row.client_code or "",
        "outcome": str(row.outcome),
        "detail": row.details or {},
    }


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = as_record(row)
        record["detail"] = json.dumps(record["detail"], sort_keys=True, default=str)
        writer.writerow(record)


def write_json(rows: Iterable[ExportRow], out: TextIO) -> None:
    """A JSON array written element by element (never built in memory)."""
    out.write("[")
    separator = "\n"
    for row in rows:
        out.write(separator + json.dumps(as_record(row), sort_keys=True, default=str))
        separator = ",\n"
    out.write("\n]\n")
