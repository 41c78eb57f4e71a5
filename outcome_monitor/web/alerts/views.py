from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert
from outcome_monitor.services import ServiceError, alerting, worklist
from outcome_monitor.web.alerts import bp
from outcome_monitor.web.alerts.forms import ResolveForm, acknowledge_form
from outcome_monitor.web.helpers import clinical_required, episode_or_404


def _alert_or_404(alert_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    episode_or_404(alert.episode_id)
    return alert


def _back(alert: Alert):  # type: ignore[no-untyped-def]
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("clients.detail", client_id=alert.episode.client_id) + "#alerts")


@bp.route("/<int:alert_id>/acknowledge", methods=["POST"])
@clinical_required
def acknowledge(alert_id: int):  # type: ignore[no-untyped-def]
    alert = _alert_or_404(alert_id)
    form = acknowledge_form(alert)
    if form.validate_on_submit():
        try:
            alerting.acknowledge_alert(
                alert=alert,
                actions=form.actions.data or [],
                note=form.note.data or "",
                by=current_user,
                now=datetime.now(UTC),
            )
            flash(_("Alert acknowledged."), "success")
        except ServiceError as error:
            flash(_("Not acknowledged: %(reason)s", reason=error), "error")
    else:
        flash(_("Choose at least one action from the checklist."), "error")
    return _back(alert)


@bp.route("/<int:alert_id>/resolve", methods=["POST"])
@clinical_required
def resolve(alert_id: int):  # type: ignore[no-untyped-def]
    alert = _alert_or_404(alert_id)
    form = ResolveForm(prefix=f"res{alert.id}")
    if form.validate_on_submit():
        try:
            alerting.resolve_alert(
                alert=alert, note=form.note.data or "", by=current_user, now=datetime.now(UTC)
            )
            flash(_("Alert resolved."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return _back(alert)


@bp.route("/")
@clinical_required
def queue():  # type: ignore[no-untyped-def]
    """Flagged cases across the teams the user may see (supervisors: all their teams)."""
    alerts = worklist.supervisor_queue(current_user)
    return render_template("alerts/queue.html", alerts=alerts)


@bp.app_template_global("acknowledge_form_for")
def acknowledge_form_for(alert: Alert):  # type: ignore[no-untyped-def]
    return acknowledge_form(alert, formdata=None)


@bp.app_template_global("resolve_form_for")
def resolve_form_for(alert: Alert) -> ResolveForm:
    return ResolveForm(prefix=f"res{alert.id}", formdata=None)


ALERT_TITLES = {
    "not_on_track": _l("Not on track"),
    "reliable_deterioration": _l("Reliable deterioration"),
    "risk_item": _l("Risk item answered"),
    "low_alliance": _l("Low alliance rating"),
    "alliance_rupture": _l("Possible alliance rupture"),
    "no_reliable_change": _l("No reliable improvement yet"),
    "overdue_measure": _l("Outcome measure overdue"),
}


SEVERITY_WORDS = {"red": _l("red"), "yellow": _l("yellow")}


@bp.app_template_filter("alert_title")
def alert_title(alert: Alert) -> str:
    title = str(ALERT_TITLES.get(alert.type, alert.type))
    return (
        f"{title} ({SEVERITY_WORDS.get(alert.severity, alert.severity)})"
        if alert.severity
        else title
    )
