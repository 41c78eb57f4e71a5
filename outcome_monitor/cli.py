"""Flask command-line commands: create-user, seed-demo, outcomes ..."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from outcome_monitor.extensions import db
from outcome_monitor.models import Role, Team
from outcome_monitor.services import ServiceError, accounts, case_status, demo
from outcome_monitor.services.clock import service_today

outcomes = AppGroup("outcomes", help="Analyses for service evaluators (work on CSV files).")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", default=None, help="Team name; created if it does not exist.")
@click.option("--name", default=None, help="Display name (defaults to the email).")
@click.option("--password", default=None, help="Prompted for when not given.")
def create_user_command(
    email: str, role: str, team: str | None, name: str | None, password: str | None
) -> None:
    """Create a user account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        team_obj = _team_named(team) if team else None
        user = accounts.create_user(
            email=email,
            display_name=name or email,
            role=Role(role),
            password=password,
            team=team_obj,
            by=None,
        )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}" + (f" in {team}" if team else ""))


def _team_named(name: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    return team or accounts.create_team(name=name, by=None)


@click.command("seed-demo")
@click.option("--password", default=None, help="Password for every demo account.")
def seed_demo_command(password: str | None) -> None:
    """Create the synthetic demo service (idempotent)."""
    try:
        result = demo.seed_demo(password=password, today=service_today(current_app))
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Demo data created." if result.created else "Demo data already present.")
    click.echo("Demo logins (synthetic data only):")
    for email in result.emails:
        click.echo(f"  {email}")
    if result.password:
        click.echo(f"Password for all demo accounts: {result.password}")
    else:
        click.echo("Password unchanged (run with --password to set one).")


@click.command("refresh-status")
@click.option(
    "--missing", is_flag=True, help="Only episodes without a stored status (after an upgrade)."
)
def refresh_status_command(missing: bool) -> None:
    """Recompute the stored status of every episode (the caseload and the queue read it)."""
    done = case_status.refresh_stored(missing_only=missing)
    click.echo(f"Stored status refreshed for {done} episode(s).")


def register(app: Flask) -> None:
    from outcome_monitor.analysis.backtest_cli import backtest_command
    from outcome_monitor.analysis.clinsig_cli import clinical_significance
    from outcome_monitor.analysis.simulate_cli import simulate_command
    from outcome_monitor.jobs.cli import scheduler_cli

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(refresh_status_command)
    for command in (clinical_significance, backtest_command, simulate_command):
        if command.name not in outcomes.commands:
            outcomes.add_command(command)
    app.cli.add_command(outcomes)
    app.cli.add_command(scheduler_cli)

    from outcome_monitor import data_cli, data_groups
    from outcome_monitor.fhir import cli as fhir_cli

    fhir_cli.register()
    data_cli.register()
    app.cli.add_command(data_groups.import_group)
    app.cli.add_command(data_groups.export_group)

    from outcome_monitor.api.cli import api_token_cli

    app.cli.add_command(api_token_cli)

    from outcome_monitor.reports_cli import report_cli

    app.cli.add_command(report_cli)

    from outcome_monitor import audit_cli, retention_cli

    app.cli.add_command(audit_cli.audit_cli)
    app.cli.add_command(retention_cli.retention_cli)
    for command in (
        retention_cli.erase_client_command,
        retention_cli.backup_command,
        retention_cli.restore_command,
    ):
        app.cli.add_command(command)
