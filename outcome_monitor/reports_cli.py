"""``flask report outcomes``: the service outcome report on the command line.

An operator's tool (someone with shell access to the server): the whole service or one team,
aggregates only, never client codes. The figures are those of the report page (the same
``services.reports.build_report``); the CSV is the page's "every figure" download.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from outcome_monitor.extensions import db
from outcome_monitor.models import Team
from outcome_monitor.services import NotFound, report_scope, reports
from outcome_monitor.services.clock import service_today
from outcome_monitor.services.report_json import report_json
from outcome_monitor.services.report_tables import build_tables, flat_csv

report_cli = AppGroup("report", help="Service reports (read-only).")
DEFAULT_DAYS = 365


@report_cli.command("outcomes")
@click.option("--measure", "measure", required=True, help="Outcome measure code, e.g. phq9.")
@click.option(
    "--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First closing date (incl.)."
)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last closing date.")
@click.option("--team", default=None, help="Team name (default: the whole service).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option(
    "--min-episodes",
    type=click.IntRange(1, None),
    default=reports.DEFAULT_MIN_EPISODES,
    show_default=True,
    help="Therapist rows from this many closed episodes with a first and last score.",
)
@click.option(
    "--funnel",
    type=click.Choice([f.value for f in reports.FunnelFigure]),
    default=reports.FunnelFigure.RELIABLE_IMPROVEMENT.value,
    show_default=True,
)
def outcomes_command(
    measure: str,
    date_from: datetime | None,
    date_to: datetime | None,
    team: str | None,
    fmt: str,
    min_episodes: int,
    funnel: str,
) -> None:
    """Outcomes of the episodes closed from --from to --to (default: the last 365 days)."""
    end = date_to.date() if date_to else service_today(current_app)
    start = date_from.date() if date_from else end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    scope = report_scope.operator_scope(_team(team) if team else None)
    wanted = reports.ReportRequest(
        measure, start, end, min_episodes=min_episodes, funnel=reports.FunnelFigure(funnel)
    )
    try:
        report = reports.build_report(scope, wanted)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    if fmt == "json":
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        click.echo(flat_csv(build_tables(report)), nl=False)


def _team(name: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        raise click.ClickException(f"No team named {name!r}.")
    return team
