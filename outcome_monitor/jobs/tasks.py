"""The job functions: each opens an app context (``run_tracked``), calls one service and
returns a one-line summary. Module-level, so the job table can name them."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from outcome_monitor.jobs.runs import JobResult, run_tracked
from outcome_monitor.services import alerting, link_schedules, refit, retention
from outcome_monitor.services.clock import service_today
from outcome_monitor.services.mail import SmtpSettings
from outcome_monitor.services.settings import get_settings


def refit_job(app: Flask) -> JobResult:
    """Refit the expected-trajectory models from the service's closed episodes."""
    return run_tracked(app, "refit_models", _refit)


def escalation_job(app: Flask) -> JobResult:
    """Escalate red and risk alerts left unacknowledged (each alert once, however many runs)."""
    return run_tracked(app, "escalate_alerts", _escalate)


def overdue_job(app: Flask) -> JobResult:
    """Raise or clear 'overdue outcome measure' on every active episode."""
    return run_tracked(app, "overdue_measures", _overdue)


def scheduled_links_job(app: Flask) -> JobResult:
    """Issue the links therapists scheduled for today (each schedule once, however many runs)."""
    return run_tracked(app, "send_scheduled_links", _send_scheduled_links)


def retention_job(app: Flask) -> JobResult:
    """Purge the clients whose episodes all closed longer ago than RETENTION_YEARS."""
    return run_tracked(app, "purge_expired_records", _purge_expired)


def _refit(now: datetime) -> str:
    return refit.refit_models(now=now).summary()


def _escalate(now: datetime) -> str:
    return f"escalated {alerting.escalate_overdue(now=now)} alerts"


def _overdue(now: datetime) -> str:
    today = service_today(current_app, now)
    overdue = alerting.check_overdue(today=today, now=now)
    return f"{overdue} active episodes have an overdue outcome measure"


def _send_scheduled_links(now: datetime) -> str:
    config = current_app.config
    summary = link_schedules.issue_due_links(
        today=service_today(current_app, now),
        now=now,
        smtp=SmtpSettings.from_config(config),
        base_url=config.get("PUBLIC_BASE_URL"),
        valid_days=get_settings().remote_link_days,
    )
    return summary.text()


def _purge_expired(now: datetime) -> str:
    today = service_today(current_app, now)
    years = current_app.config["RETENTION_YEARS"]
    return retention.purge_expired(today=today, retention_years=years).text()
