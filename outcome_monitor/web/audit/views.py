"""The trail, read back: a client's access log for the supervisors of the client's team, and
the service's events for the admin (without client codes: the admin sees no client data)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outcome_monitor.models import AuditOutcome, Client, Role
from outcome_monitor.services import audit
from outcome_monitor.web.audit import bp
from outcome_monitor.web.helpers import client_or_404, roles_required
from outcome_monitor.web.paging import page_arg
from outcome_monitor.web.read_audit import audited_read

ACTION_WORDS = {
    "client.view": _l("opened the client page"),
    "chart.view": _l("viewed the progress chart"),
    "administration.view": _l("opened a score"),
    "measure_form.view": _l("opened a score form"),
    "client.access_log.view": _l("viewed this access log"),
}


@bp.get("/clients/<int:client_id>/access-log")
@audited_read("client.access_log.view", arg="client_id")
@roles_required(Role.SUPERVISOR)
def client_access_log(client_id: int):
    """50 events a page; a bad ``?page=`` shows the first page with a message (400)."""
    client = client_or_404(client_id)
    number = page_arg(request.args)
    page = audit.client_access_log(client, page=number.number)
    body = render_template(
        "audit/client_access_log.html",
        client=client,
        page=page,
        page_error=number.error,
        words=ACTION_WORDS,
        denied=AuditOutcome.DENIED,
    )
    return body, number.status


@bp.get("/admin/audit")
@roles_required(Role.ADMIN)
def service_events():
    denied_only = request.args.get("outcome") == AuditOutcome.DENIED
    number = page_arg(request.args)
    page = audit.service_events(page=number.number, denied_only=denied_only)
    body = render_template(
        "audit/service_events.html",
        page=page,
        page_error=number.error,
        denied_only=denied_only,
        denied=AuditOutcome.DENIED,
    )
    return body, number.status


@bp.app_template_global("access_log_url")
def access_log_url(client: Client) -> str | None:
    """The link to the client's access log, for the supervisors who may read it."""
    if current_user.is_authenticated and current_user.role == Role.SUPERVISOR:
        return url_for("audit.client_access_log", client_id=client.id)
    return None
