"""``flask import fhir FILE.json`` and ``flask export fhir --out FILE.json``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from outcome_monitor.data_groups import export_group, import_group
from outcome_monitor.extensions import db
from outcome_monitor.fhir import codes
from outcome_monitor.fhir.export import export_bundle
from outcome_monitor.fhir.importer import ImportRefused, import_bundle
from outcome_monitor.models import User
from outcome_monitor.services import ServiceError
from outcome_monitor.services.instruments import library


@click.command("fhir")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate everything, write nothing.")
@click.option(
    "--therapist",
    "therapist_email",
    default=None,
    help="Email of the therapist new clients are assigned to.",
)
def import_fhir_command(file: Path, dry_run: bool, therapist_email: str | None) -> None:
    """Import QuestionnaireResponses from a FHIR Bundle (all or nothing).

    Historic responses raise no alerts.
    """
    therapist = _user(therapist_email) if therapist_email else None
    try:
        report = import_bundle(
            text=file.read_bytes(), library=library(), by=None, therapist=therapist, dry_run=dry_run
        )
    except ImportRefused as refused:
        for error in refused.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(str(refused)) from None
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {report.created} response(s); {report.unchanged} already present; "
        f"{report.clients_created} new client(s), {report.episodes_created} new episode(s), "
        f"{report.sessions_created} new session(s)."
    )


def _user(email: str) -> User:
    wanted = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == wanted))
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


@click.command("fhir")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.option("--client", "client_code", default=None, help="Only this client's data.")
def export_fhir_command(out: Path, client_code: str | None) -> None:
    """Write a FHIR R4 collection Bundle: Questionnaires, Patients, responses and totals."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or codes.LOCAL).rstrip("/") + "/fhir/r4"
    try:
        with out.open("w", encoding="utf-8") as stream:
            counts = export_bundle(
                stream, library=library(), base=base, client_code=client_code, by=None
            )
    except ServiceError as error:
        out.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Wrote {counts.patients} patient(s), {counts.questionnaires} questionnaire(s), "
        f"{counts.responses} response(s) and {counts.observations} observation(s) to {out}."
    )


def register() -> None:
    """Add the commands to the shared groups (idempotent: create_app runs in every test)."""
    if "fhir" not in import_group.commands:
        import_group.add_command(import_fhir_command)
    if "fhir" not in export_group.commands:
        export_group.add_command(export_fhir_command)
