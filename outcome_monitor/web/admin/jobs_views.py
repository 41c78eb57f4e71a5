"""Scheduled jobs: when each last ran, succeeded or failed, and whether one has stopped."""

from __future__ import annotations

from flask import current_app, render_template

from outcome_monitor.models import Role
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import feedback, settings
from outcome_monitor.services.clock import service_timezone
from outcome_monitor.services.job_runs import job_statuses
from outcome_monitor.web.admin import bp
from outcome_monitor.web.helpers import roles_required

admin_required = roles_required(Role.ADMIN)


@bp.route("/jobs", methods=["GET"])
@admin_required
def jobs():
    timezone = service_timezone(current_app)
    current = settings.get_settings()
    models = feedback.outcome_models(current)
    return render_template(
        "admin/jobs.html",
        statuses=job_statuses(timezone=timezone, now=utcnow()),
        tz=timezone,
        models=models,
        method=current.trajectory_method,
    )
