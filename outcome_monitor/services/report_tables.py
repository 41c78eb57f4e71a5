"""The service outcome report as tables. One builder feeds the page, every CSV download and the
command line's CSV, so they cannot disagree (docs/reports.md defines each figure)."""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from outcome_monitor.core.service_stats import SMALL_CELL
from outcome_monitor.services.report_cells import (
    Cell,
    Column,
    Table,
    action_label,
    alert_label,
    count,
    counts_table,
    figure_table,
    group_table,
    interval,
    number,
    result_count,
    result_number,
    result_rate,
    status_label,
    text,
)
from outcome_monitor.services.reports import FunnelPoint, GroupRow, ServiceReport

FLAT_HEADERS = ("table", "row", "column", "n", "of", "rate", "ci_low", "ci_high", "value")


def build_tables(report: ServiceReport) -> dict[str, Table]:
    """Every table of the report, in page order, keyed by the name its CSV link uses."""
    tables = [
        _activity(report),
        _change(report),
        _outcomes(report),
        *([_therapists(report)] if report.scope.compares_therapists else []),
        _feedback(report),
        _alerts(report),
        _actions(report),
        _flagged(report),
        _open(report),
        *([_episodes(report)] if report.scope.shows_client_codes else []),
    ]
    return {t.key: t for t in tables}


def _activity(report: ServiceReport) -> Table:
    a, hide = report.activity, report.scope.hides_small_cells
    return figure_table(
        "activity",
        str(_l("Activity and data completeness")),
        [
            (str(_l("Episodes opened in the period")), result_count(a.opened, hide=hide)),
            (str(_l("Episodes closed in the period")), result_count(a.closed, hide=hide)),
            (str(_l("Closed episodes that dropped out")), result_rate(a.dropout, hide=hide)),
            (
                str(_l("Closed episodes with a first and a last score")),
                result_rate(a.completeness, hide=hide),
            ),
            (
                str(_l("Sessions attended in the period")),
                result_count(a.sessions.attended, hide=hide),
            ),
            (str(_l("Sessions not attended")), result_count(a.sessions.missed, hide=hide)),
            (
                str(_l("Attended sessions with an outcome measure")),
                result_rate(a.sessions_measured, hide=hide),
            ),
        ],
    )


def _change(report: ServiceReport) -> Table:
    change, hide = report.change, report.scope.hides_small_cells
    n = report.rates.with_pre_and_post
    small = hide and n < SMALL_CELL
    columns = [
        Column(str(_l("Figure"))),
        Column(str(_l("Episodes")), "count"),
        Column(str(_l("Mean or d")), "number"),
        Column(str(_l("SD")), "number"),
        Column(str(_l("95% CI")), "interval"),
    ]
    table = Table("change", str(_l("Change from the first to the last score")), columns)
    if change.pre is None or change.post is None:
        table.empty = str(
            _l(
                "Too few closed episodes with a first and a last score for means and an effect "
                "size (it needs at least 2)."
            )
        )
        return table
    for label, summary in (
        (_l("First score (intake)"), change.pre),
        (_l("Last score"), change.post),
    ):
        table.rows.append(
            [
                text(label),
                count(summary.n, hide=hide),
                number(summary.mean, 2, hide=small),
                number(summary.sd, 2, hide=small),
                interval(None, 3),
            ]
        )
    effect = change.effect
    table.rows.append(
        [
            text(_l("Effect size: Cohen's d on the SD of the first scores")),
            count(n, hide=hide),
            number(effect.d if effect else None, 3, hide=small),
            number(None, 2),
            interval(effect.ci if effect else None, 3, hide=small),
        ]
    )
    if effect is None or effect.ci is None:
        table.notes.append(
            str(_l("No effect size interval: the first or the last scores are all the same."))
        )
    return table


def _outcomes(report: ServiceReport) -> Table:
    row = GroupRow(str(_l("All closed episodes")), report.activity.closed, report.rates)
    table = group_table(
        "outcomes", str(_l("Outcomes")), str(_l("Group")), [row], report.scope.hides_small_cells
    )
    if report.rates.with_pre_and_post == 0:
        table.empty = str(_l("No closed episode in the period has a first and a last score yet."))
        table.rows.clear()
    return table


def _therapists(report: ServiceReport) -> Table:
    rows = [*report.therapists, *([report.others] if report.others else [])]
    table = group_table(
        "therapists",
        str(_l("Outcomes by therapist")),
        str(_l("Therapist")),
        rows,
        report.scope.hides_small_cells,
    )
    if not report.therapists:
        table.notes.append(
            str(
                _l(
                    "Too few closed episodes for therapist rows: no therapist has %(n)s or more "
                    "closed episodes with a first and a last score.",
                    n=report.request.min_episodes,
                )
            )
        )
    if report.others:
        table.notes.append(
            ngettext(
                "Others (merged): %(num)s therapist with fewer than %(n)s such episodes.",
                "Others (merged): %(num)s therapists with fewer than %(n)s such episodes.",
                report.others.therapists,
                n=report.request.min_episodes,
            )
        )
    return table


def _feedback(report: ServiceReport) -> Table:
    f, hide = report.feedback, report.scope.hides_small_cells
    few = hide and f.acknowledged_count < SMALL_CELL
    return figure_table(
        "feedback",
        str(_l("The feedback loop")),
        [
            (
                str(_l("Closed episodes flagged (a progress alert)")),
                result_rate(f.flagged, hide=hide),
            ),
            (
                str(_l("Alerts raised in these episodes")),
                result_count(f.acknowledged.of, hide=hide),
            ),
            (str(_l("Alerts acknowledged")), result_rate(f.acknowledged, hide=hide)),
            (
                str(_l("Median hours from alert to acknowledgement")),
                result_number(f.median_hours_to_acknowledge, 1, hide=few),
            ),
            (str(_l("Alerts escalated")), result_count(f.escalated_alerts, hide=hide)),
            (str(_l("Episodes with an escalation")), result_count(f.escalated_episodes, hide=hide)),
        ],
    )


def _alerts(report: ServiceReport) -> Table:
    counts = {alert_label(k): n for k, n in report.feedback.alerts_by_type.items()}
    table = counts_table(
        "alerts",
        str(_l("Alerts by type")),
        str(_l("Alert")),
        counts,
        report.scope.hides_small_cells,
    )
    table.empty = str(_l("No alerts were raised in these episodes."))
    return table


def _actions(report: ServiceReport) -> Table:
    hide = report.scope.hides_small_cells
    columns = [Column(str(_l("Support action"))), Column(str(_l("Times chosen")), "count")]
    table = Table("actions", str(_l("Support actions chosen on acknowledgement")), columns)
    for action, n in report.feedback.actions.items():
        table.rows.append([text(action_label(action)), count(n, hide=hide)])
    table.empty = str(_l("No alert in these episodes has been acknowledged."))
    return table


def _flagged(report: ServiceReport) -> Table:
    f = report.feedback
    rows = [
        GroupRow(str(_l("Flagged")), f.flagged.n, f.flagged_rates),
        GroupRow(str(_l("Never flagged")), f.flagged.of - f.flagged.n, f.never_flagged_rates),
    ]
    return group_table(
        "flagged",
        str(_l("Outcome of flagged and never-flagged episodes")),
        str(_l("Episodes")),
        rows,
        report.scope.hides_small_cells,
    )


def _open(report: ServiceReport) -> Table:
    hide = report.scope.hides_small_cells
    statuses = {status_label(k): n for k, n in report.open.by_status.items() if n}
    table = counts_table(
        "open",
        str(_l("Open episodes now, by the status of their latest score")),
        str(_l("Status")),
        statuses,
        hide,
    )
    table.rows.insert(0, [text(_l("All open episodes")), count(report.open.open, hide=hide)])
    return table


def _episodes(report: ServiceReport) -> Table:
    """One row per closed episode with its client code: never built for an admin or the CLI."""
    labels = (
        _l("Client"),
        _l("Therapist"),
        _l("Status"),
        _l("Opened"),
        _l("Closed"),
        _l("Scores"),
        _l("First score"),
        _l("Last score"),
        _l("Reliable change"),
        _l("Case at intake"),
        _l("Case at the end"),
        _l("Flagged"),
    )
    table = Table("episodes", str(_l("Closed episodes")), [Column(str(x)) for x in labels])
    for course in report.courses:
        e, o, s = course.episode, course.outcome, course.scores
        values = (
            e.client_code,
            e.therapist,
            e.status.value,
            e.opened_on.isoformat(),
            e.closed_on.isoformat() if e.closed_on else "",
            len(s),
            s[0] if s else "",
            s[-1] if len(s) > 1 else "",
            o.reliable.value if o and o.reliable else "",
            _yes_no(o.case_at_intake if o else None),
            _yes_no(o.case_at_end if o else None),
            _yes_no(course.flagged),
        )
        table.rows.append([Cell(str(v), (v,)) for v in values])
    return table


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def visible_points(report: ServiceReport) -> list[FunnelPoint]:
    """The funnel's points the viewer may see: for an admin, none that reveals a count under 5
    (the numerator or its complement)."""
    if report.funnel is None:
        return []
    points = report.funnel.points
    if not report.scope.hides_small_cells:
        return points
    return [p for p in points if min(p.share.n, p.share.of - p.share.n) >= SMALL_CELL]


def to_csv(table: Table) -> str:
    """The table as CSV (one header row). Text that a spreadsheet would run as a formula is
    prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h for column in table.columns for h in column.headers()])
    for row in table.rows:
        writer.writerow([_safe(v) for cell in row for v in cell.csv])
    return out.getvalue()


def flat_rows(tables: dict[str, Table]) -> list[tuple[object, ...]]:
    """Every figure of the aggregate tables as one long table (FLAT_HEADERS): the command line's
    CSV and the page's "all figures" download."""
    rows: list[tuple[object, ...]] = []
    for table in tables.values():
        if table.key == "episodes":
            continue
        for row in table.rows:
            for column, cell in zip(table.columns[1:], row[1:], strict=True):
                if any(v is not None for v in cell.csv):  # "–": nothing to report
                    rows.append((table.key, row[0].html, column.label, *_spread(column, cell)))
    return rows


def _spread(column: Column, cell: Cell) -> tuple[object, ...]:
    """A cell's values in the n, of, rate, ci_low, ci_high, value positions."""
    if column.kind in ("rate", "result"):
        return (*cell.csv, None)[:6]
    if column.kind == "count":
        return (cell.csv[0], None, None, None, None, None)
    if column.kind == "interval":
        return (None, None, None, *cell.csv, None)
    return (None, None, None, None, None, cell.csv[0])


def flat_csv(tables: dict[str, Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FLAT_HEADERS)
    for row in flat_rows(tables):
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
