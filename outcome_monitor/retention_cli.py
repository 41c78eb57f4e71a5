"""Operator commands for records: ``erase-client``, ``retention due``, ``backup`` and
``restore-backup`` (docs/security.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from outcome_monitor.extensions import db
from outcome_monitor.services import ServiceError, backup, retention
from outcome_monitor.services.clock import service_today

retention_cli = AppGroup("retention", help="The retention period and the clients past it.")


@click.command("erase-client")
@click.argument("code")
@click.option("--reason", required=True, help="Why (e.g. the request's reference); audited.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_client_command(code: str, reason: str, yes: bool) -> None:
    """Erase every record of one client (the audit trail keeps the code only)."""
    try:
        client = retention.find_client(code)
        if not yes:
            rows = retention.rows_of(client)
            listed = ", ".join(f"{n} {table}" for table, n in rows.items())
            click.confirm(
                f"Erase client {client.code} ({listed})? This cannot be undone", abort=True
            )
        erasure = retention.erase_client(code=code, reason=reason, by=None)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Erased client {erasure.code}: {erasure.total} rows.")


@retention_cli.command("due")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def due_command(today: datetime | None) -> None:
    """List the clients the next purge would erase (nothing is changed)."""
    years = current_app.config["RETENTION_YEARS"]
    day = today.date() if today is not None else service_today(current_app)
    due = retention.clients_due(today=day, retention_years=years)
    cutoff = retention.retention_cutoff(day, years)
    click.echo(
        f"Retention {years} years: {len(due)} clients have every episode closed on or before "
        f"{cutoff.isoformat()}."
    )
    for client in due:
        click.echo(f"  {client.code}")


@click.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(out: Path) -> None:
    """Back up the SQLite database to a new file (online: the app may keep running)."""
    try:
        summary = backup.backup_sqlite(engine=db.engine, out=out)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {len(summary.rows)} tables, {summary.total} rows, to {summary.path}.")


@click.command("restore-backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the SQLite database's content by a backup (stop the web and scheduler first)."""
    try:
        summary = backup.inspect_backup(file)
        if not yes:
            click.confirm(
                f"Replace everything in {db.engine.url.database} by {file} "
                f"({summary.total} rows)? This cannot be undone",
                abort=True,
            )
        backup.restore_sqlite(engine=db.engine, backup=file)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {len(summary.rows)} tables, {summary.total} rows, from {file}.")
