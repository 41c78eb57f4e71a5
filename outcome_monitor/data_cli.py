"""``flask import scores`` and ``flask export scores``: historic scores in and out as CSV.

The commands only parse options, open files, draw progress bars and print; the work is done by
``services.importing`` and ``services.exporting``. They join the ``import`` and ``export``
groups shared with the other formats (``data_groups``).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any, TextIO, cast

import click
from flask import current_app

from outcome_monitor.data_groups import export_group, import_group
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, exporting, importing, refit
from outcome_monitor.services.clock import service_today


class ProgressBars:
    """One click progress bar per phase of the import, on stderr when it is a terminal (stdout
    keeps the summary; a script or cron job gets no bar)."""

    def __init__(self) -> None:
        self._bar: Any = None  # click's ProgressBar (its class is private)
        self._label = ""
        self._done = 0

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self._label:
            self.close()
            self._bar = click.progressbar(
                length=max(total, 1), label=label, file=sys.stderr, hidden=not sys.stderr.isatty()
            )
            self._label, self._done = label, 0
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.render_finish()
            self._bar = None


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


@click.command("scores")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and write nothing.")
@click.option("--team", default=None, help="Every therapist (and existing client) is in this team.")
@click.option("--refit", is_flag=True, help="Refit the trajectory models after the import.")
@click.option(
    "--evaluate-open",
    is_flag=True,
    help="After the import, run the alert rules once for every episode the file leaves open, "
    "as of its last score, so ongoing clients start with their open alerts and status "
    "(without it imported scores raise no alerts).",
)
def import_scores_command(
    file: Path, dry_run: bool, team: str | None, refit: bool, evaluate_open: bool
) -> None:
    """Import historic scores from FILE (long-format CSV, UTF-8; see docs/interop.md)."""
    if refit and dry_run:
        raise click.UsageError("--refit runs after a real import; leave out --dry-run.")
    if evaluate_open and dry_run:
        raise click.UsageError("--evaluate-open runs after a real import; leave out --dry-run.")
    bars = ProgressBars()
    try:
        with file.open("rb") as stream:
            result = importing.import_scores(
                stream=stream,
                name=file.name,
                today=service_today(current_app),
                now=utcnow(),
                team=team,
                dry_run=dry_run,
                operator=_operator(),
                size=file.stat().st_size,
                progress=bars,
                evaluate_open=evaluate_open,
            )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        bars.close()
    _report_import(file, result, dry_run)
    if result.evaluated is not None:
        click.echo(result.evaluated.text())
    if refit:
        click.echo(refit_summary())


def _report_import(file: Path, result: importing.ImportResult, dry_run: bool) -> None:
    if result.n_issues:
        for issue in result.issues:
            click.echo(f"{file.name}: {issue}", err=True)
        hidden = result.n_issues - len(result.issues)
        if hidden:
            click.echo(f"{file.name}: ... and {hidden} more errors", err=True)
        raise click.ClickException(
            f"{result.n_issues} error(s) in {file.name}; nothing was written."
        )
    made = (
        f"{result.clients} clients, {result.episodes} episodes, {result.sessions} sessions, "
        f"{result.administrations} scores"
    )
    kept = f"{result.skipped} rows already present (skipped)"
    if dry_run:
        click.echo(
            f"Dry run: {file.name} has no errors in {result.rows} rows. It would create "
            f"{made}; {kept}. Nothing was written."
        )
    else:
        click.echo(f"Imported {file.name}: {result.rows} rows; created {made}; {kept}.")


def refit_summary() -> str:
    """Refit now (the nightly job's service) so the empirical method can be used at once."""
    return "Refit: " + refit.refit_models(now=utcnow()).summary()


@click.command("scores")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write.",
)
@click.option("--team", default=None, help="Only the clients of this team's therapists.")
@click.option("--closed-only", is_flag=True, help="Only closed (and dropped-out) episodes.")
def export_scores_command(out: Path, team: str | None, closed_only: bool) -> None:
    """Export scores as CSV in the import's format."""
    try:
        with click.open_file(str(out), "w", encoding="utf-8", lazy=True) as handle:
            result = exporting.export_scores(
                out=cast(TextIO, handle),
                name=out.name,
                team=team,
                closed_only=closed_only,
                operator=_operator(),
            )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {result.rows} rows ({len(result.episodes)} episodes) to {out}.")
    if result.without_session:
        click.echo(f"Left out {result.without_session} scores not tied to a session.")
    if result.superseded:
        click.echo(
            f"Left out {result.superseded} earlier scores of a measure given twice in "
            "one session (the later one is exported)."
        )


def register() -> None:
    """Add the commands to the shared groups (idempotent: create_app runs in every test)."""
    if "scores" not in import_group.commands:
        import_group.add_command(import_scores_command)
    if "scores" not in export_group.commands:
        export_group.add_command(export_scores_command)
