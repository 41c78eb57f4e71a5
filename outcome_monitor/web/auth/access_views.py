"""Grants of clinical access: the supervisors' notice at sign-in and the access report."""

from __future__ import annotations

from flask import abort, redirect, render_template, request
from flask_login import current_user

from outcome_monitor.models import Role
from outcome_monitor.services import access_grants
from outcome_monitor.web.auth import bp
from outcome_monitor.web.auth.forms import AcknowledgeForm
from outcome_monitor.web.auth.signing import home_for, safe_next
from outcome_monitor.web.helpers import roles_required


@bp.route("/account/access-notices", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def access_notices():
    form = AcknowledgeForm()
    if form.validate_on_submit():
        access_grants.acknowledge_notices(supervisor=current_user, up_to=form.up_to.data or 0)
        return redirect(safe_next(form.next.data) or home_for(current_user.role))
    grants = access_grants.pending_notices(current_user)
    form.up_to.data = max((g.id for g in grants), default=0)
    form.next.data = safe_next(request.args.get("next")) or ""
    return render_template("auth/access_notices.html", grants=grants, form=form)


@bp.route("/access-report")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def access_report():
    page = request.args.get("page", "1")
    if not page.isdigit() or not 0 < int(page) < 100_000:
        abort(404)
    report = access_grants.access_report(current_user, page=int(page))
    return render_template("auth/access_report.html", report=report)
