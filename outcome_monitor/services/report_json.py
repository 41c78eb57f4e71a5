"""The service outcome report as JSON for the command line (issue 10 item 4's shape, with
extra keys). Aggregates only: no client codes. Rounding matches the CSV tables exactly."""

from __future__ import annotations

from typing import Any

from outcome_monitor.core.service_stats import OutcomeRates, Proportion, Summary
from outcome_monitor.services.report_cells import RATE_FIGURES
from outcome_monitor.services.reports import GroupRow, ServiceReport

EFFECT_METHOD = (
    "Cohen's d: mean change over the SD of the first scores, positive = improvement; "
    "95% CI d ± 1.96·sqrt(2(1-r)/n + d²/(2n)) (Becker 1988)"
)


def report_json(report: ServiceReport) -> dict[str, Any]:
    a, change, f = report.activity, report.change, report.feedback
    return {
        "measure": report.definition.code,
        "measure_name": report.definition.name,
        "scope": report.scope.label,
        "period": {"from": report.request.start.isoformat(), "to": report.request.end.isoformat()},
        "episodes": {
            "opened": a.opened,
            "closed": a.closed,
            "dropped_out": a.dropout.n,
            "with_pre_and_post": report.rates.with_pre_and_post,
        },
        "sessions": {
            "attended": a.sessions.attended,
            "not_attended": a.sessions.missed,
            "attended_with_outcome_measure": a.sessions.attended_with_measure,
        },
        "dropout": _rate(a.dropout),
        "completeness": {
            "closed_with_pre_and_post": _rate(a.completeness),
            "sessions_with_outcome_measure": _rate(a.sessions_measured),
        },
        "pre": _summary(change.pre, report.rates.with_pre_and_post),
        "post": _summary(change.post, report.rates.with_pre_and_post),
        "effect_size": {
            "d": _round(change.effect.d, 3) if change.effect else None,
            "ci": _ci(change.effect.ci, 3) if change.effect else None,
            "n": report.rates.with_pre_and_post,
            "method": EFFECT_METHOD,
        },
        "rates": _rates(report.rates),
        "min_episodes": report.request.min_episodes,
        "therapists": [_group(row) for row in report.therapists]
        + ([_group(report.others)] if report.others else []),
        "funnel": _funnel(report),
        "feedback": {
            "episodes_flagged": _rate(f.flagged),
            "alerts_by_type": f.alerts_by_type,
            "alerts_acknowledged": _rate(f.acknowledged),
            "median_hours_to_acknowledge": _round(f.median_hours_to_acknowledge, 1),
            "support_actions": f.actions,
            "escalated_alerts": f.escalated_alerts,
            "escalated_episodes": f.escalated_episodes,
            "flagged": _rates(f.flagged_rates),
            "never_flagged": _rates(f.never_flagged_rates),
        },
        "open_episodes": {"open": report.open.open, "by_status": report.open.by_status},
    }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _ci(ci: tuple[float, float] | None, digits: int) -> list[float] | None:
    return None if ci is None else [round(ci[0], digits), round(ci[1], digits)]


def _rate(p: Proportion) -> dict[str, Any]:
    return {"n": p.n, "of": p.of, "rate": _round(p.rate, 4), "ci": _ci(p.ci, 4)}


def _rates(rates: OutcomeRates) -> dict[str, Any]:
    return {name: _rate(getattr(rates, name)) for name in RATE_FIGURES}


def _summary(summary: Summary | None, n: int) -> dict[str, Any]:
    """Mean and SD; both null with fewer than two episodes with a first and a last score."""
    if summary is None:
        return {"mean": None, "sd": None, "n": n}
    return {"mean": round(summary.mean, 2), "sd": round(summary.sd, 2), "n": summary.n}


def _group(row: GroupRow) -> dict[str, Any]:
    return {
        "therapist": row.label,
        "therapists": row.therapists,
        "closed": row.closed,
        "with_pre_and_post": row.rates.with_pre_and_post,
        "rates": _rates(row.rates),
    }


def _funnel(report: ServiceReport) -> dict[str, Any] | None:
    if report.funnel is None:
        return None
    return {
        "figure": report.funnel.figure.value,
        "service": _rate(report.funnel.service),
        "points": [
            {"therapist": p.label, **_rate(p.share), "zone": p.zone.value}
            for p in report.funnel.points
        ],
    }
