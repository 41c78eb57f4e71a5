"""``flask --app wsgi scheduler run | run-once JOB_ID | list``."""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from outcome_monitor.jobs import JOB_IDS, job_table
from outcome_monitor.jobs.runner import build_scheduler, run_job
from outcome_monitor.services.clock import service_timezone

scheduler_cli = AppGroup("scheduler", help="Scheduled jobs (run the scheduler as its own process).")


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _stop(signum: int, frame: Any) -> NoReturn:
    # SIGTERM (systemd, docker stop) stops the scheduler exactly like Ctrl-C.
    raise KeyboardInterrupt


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = _app()
    scheduler = build_scheduler(app)
    _echo_jobs(app)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _stop)
        click.echo("Scheduler started; Ctrl-C or SIGTERM stops it.")
        scheduler.start()
    except KeyboardInterrupt:
        click.echo("Stopping: waiting for running jobs to finish ...")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if scheduler.running:
            scheduler.shutdown(wait=True)
    click.echo("Scheduler stopped.")


@scheduler_cli.command("run-once")
@click.argument("job_id", type=click.Choice(JOB_IDS))
def run_once_command(job_id: str) -> None:
    """Run one job now (for cron-driven installs); exit status 1 if it fails."""
    result = run_job(_app(), job_id)
    if not result.succeeded:
        last_line = (result.error or "").strip().splitlines()[-1:] or ["unknown error"]
        raise click.ClickException(f"{job_id} failed: {last_line[0]}")
    click.echo(f"{job_id}: {result.summary}")


@scheduler_cli.command("list")
def list_command() -> None:
    """List the jobs with their schedules and next run times."""
    _echo_jobs(_app())


def _echo_jobs(app: Flask) -> None:
    timezone = service_timezone(app)
    now = datetime.now(timezone)
    click.echo(f"Jobs (time zone {timezone.key}):")
    for spec in job_table(timezone):
        next_run = spec.trigger.get_next_fire_time(None, now)
        when = next_run.strftime("%Y-%m-%d %H:%M %Z") if next_run else "never"
        click.echo(f"  {spec.id:<20} {spec.schedule:<16} next {when}  {spec.description}")
