"""The service outcome report page, its CSV downloads and its funnel plot (docs/reports.md).

Every role may open it; what it covers depends on the role (``services.report_scope.scope_for``):
a therapist their own caseload, a supervisor their teams, an admin any team or the whole service
as aggregates with small cells hidden and no client codes.
"""

from __future__ import annotations

import plotly
from flask import Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from outcome_monitor.models import EpisodeStatus, Role
from outcome_monitor.services import NotFound, report_episodes, report_scope, reports
from outcome_monitor.services.care import CLOSING_STATUSES
from outcome_monitor.services.report_tables import build_tables, flat_csv, to_csv, visible_points
from outcome_monitor.services.reports import FunnelFigure, ReportRequest, ServiceReport
from outcome_monitor.web.helpers import clinic_today
from outcome_monitor.web.report_charts import funnel_figure, funnel_summary
from outcome_monitor.web.reports import bp
from outcome_monitor.web.reports.episode_query import parse_episode_query
from outcome_monitor.web.reports.forms import ReportForm, report_form

PREFERRED_MEASURE = "phq9"  # the default choice when enabled: the most common outcome measure


def _load() -> tuple[ReportForm, ServiceReport | None]:
    """The form from the query string and, when it is valid, the report it asks for."""
    form, asked = _asked()
    if asked is None:
        return form, None
    return form, reports.build_report(*asked)


def _asked() -> tuple[ReportForm, tuple[report_scope.Scope, ReportRequest] | None]:
    """The form from the query string and, when it is valid, the scope and request it names.

    A team the user may not report on is a 404, never a report of someone else's team.
    """
    teams = report_scope.report_teams(current_user)
    team_arg = request.args.get("team", "")
    if team_arg and team_arg not in {str(t.id) for t in teams}:
        abort(404)
    all_label = _("Whole service") if current_user.role == Role.ADMIN else _("All my teams")
    measures = sorted(reports.report_measures(), key=lambda d: d.code != PREFERRED_MEASURE)
    form = report_form(request.args, teams=teams, all_label=all_label, measures=measures)
    if not form.validate():
        return form, None
    try:
        scope = report_scope.scope_for(current_user, int(team_arg) if team_arg else None)
    except NotFound:
        abort(404)
    wanted = ReportRequest(
        measure=form.measure.data,
        start=form.date_from.data or clinic_today(),
        end=form.date_to.data or clinic_today(),
        min_episodes=form.min_episodes.data or reports.DEFAULT_MIN_EPISODES,
        funnel=FunnelFigure(form.funnel.data),
    )
    return form, (scope, wanted)


@bp.get("/outcomes")
@login_required
def outcomes():
    form, report = _load()
    if report is None:
        return render_template("reports/outcomes.html", form=form, report=None)
    points = visible_points(report)
    args = form.query_args()
    return render_template(
        "reports/outcomes.html",
        form=form,
        report=report,
        tables=build_tables(report),
        funnel_lines=funnel_summary(report.funnel, points) if report.funnel else [],
        funnel_points=points,
        args=args,
        funnel_url=url_for("reports.outcomes_funnel", **args),
        plotly_url=url_for("charts.plotly_js", v=plotly.__version__),
    )


@bp.get("/outcomes/<key>.csv")
@login_required
def outcomes_csv(key: str) -> Response:
    """One aggregate table as CSV, or every figure ("all"); the filters of the page."""
    _form, report = _load()
    if report is None:
        abort(400)
    tables = build_tables(report)
    if key == "all":
        return _csv(report, key, flat_csv(tables))
    if key not in tables or key == "episodes":
        abort(404)
    return _csv(report, key, to_csv(tables[key]))


@bp.get("/outcomes/episodes.csv")
@login_required
def outcomes_episodes_csv() -> Response:
    """The closed episodes with client codes: therapists and supervisors only (an admin sees
    aggregates only, so the table is not built for them)."""
    _form, report = _load()
    if report is None:
        abort(400)
    tables = build_tables(report)
    if "episodes" not in tables:
        abort(404)
    return _csv(report, "episodes", to_csv(tables["episodes"]))


def _csv(report: ServiceReport, key: str, body: str) -> Response:
    name = f"outcomes-{key}-{report.definition.code}-{report.request.start}-{report.request.end}"
    return Response(
        body.encode("utf-8-sig"),  # the byte-order mark makes spreadsheets read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.get("/outcomes/funnel.json")
@login_required
def outcomes_funnel() -> Response:
    _form, report = _load()
    if report is None or report.funnel is None:
        abort(404)
    figure = {
        FunnelFigure.RELIABLE_IMPROVEMENT: _("Reliable improvement"),
        FunnelFigure.RECOVERY: _("Recovery"),
    }[report.funnel.figure]
    title = _("%(figure)s by therapist: %(measure)s", figure=figure, measure=report.definition.name)
    return jsonify(funnel_figure(report.funnel, visible_points(report), title=title))


@bp.get("/outcomes/episodes")
@login_required
def outcomes_episodes():
    """The drill-down: the report's closed episodes with client codes, 50 a page, sorted and
    filtered by the database (therapists and supervisors; an admin sees aggregates only)."""
    if current_user.role == Role.ADMIN:
        abort(404)
    form, asked = _asked()
    wanted = parse_episode_query(request.args)
    if asked is None or wanted.errors:
        body = render_template(
            "reports/episodes.html", form=form, page=None, wanted=wanted, **_endings()
        )
        return body, 400
    try:
        page = report_episodes.closed_episodes(
            *asked, ending=wanted.ending, sort=wanted.sort, page=wanted.page
        )
    except NotFound:
        abort(404)
    return render_template(
        "reports/episodes.html",
        form=form,
        page=page,
        wanted=wanted,
        args=form.query_args(),
        report_request=asked[1],
        scope=asked[0],
        **_endings(),
    )


def _endings() -> dict[str, object]:
    return {"endings": CLOSING_STATUSES, "dropped": EpisodeStatus.DROPPED_OUT}
