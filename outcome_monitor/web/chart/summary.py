"""The chart in words, shown next to it for screen readers and for anyone without JavaScript."""

from __future__ import annotations

from flask_babel import gettext as _

from outcome_monitor.core.alerts import fmt
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.trajectories import ExpectedBand
from outcome_monitor.services.charting import AlertMarker, ChartData, Series
from outcome_monitor.web.chart.words import alert_heading, method_words, no_change_range


def summary_lines(data: ChartData) -> list[str]:
    """E.g. 'PHQ-9 at session 4 (2026-09-22): 19; expected 13; red band above 17.'"""
    outcome = data.outcome
    if outcome is None or outcome.latest is None:
        return [_("No outcome scores in this episode yet.")]
    lines = [_latest_outcome(data, outcome), *_reference_lines(data, outcome)]
    lines += [_alert_line(a) for a in outcome.alerts]
    if data.alliance is not None and data.alliance.latest is not None:
        lines.append(_latest_alliance(data.alliance))
        lines += [_alert_line(a) for a in data.alliance.alerts]
    return lines


def _latest_outcome(data: ChartData, outcome: Series) -> str:
    latest = outcome.latest
    assert latest is not None
    text = _(
        "%(label)s at session %(session)s (%(date)s): %(score)s",
        label=outcome.label,
        session=latest.session,
        date=latest.on.isoformat(),
        score=fmt(latest.score),
    )
    band = next((b for b in data.band if b.session == latest.session), None)
    if band is None:
        return text + "; " + _("the expected band starts with the next score.")
    return "; ".join([text, *_band_words(band)]) + "."


def _band_words(band: ExpectedBand) -> list[str]:
    side = _("above") if band.direction == Direction.HIGHER_IS_WORSE else _("below")
    words = [] if band.expected is None else [_("expected %(v)s", v=fmt(band.expected))]
    if band.yellow != band.red:
        words.append(_("yellow band %(side)s %(v)s", side=side, v=fmt(band.yellow)))
    words.append(_("red band %(side)s %(v)s", side=side, v=fmt(band.red)))
    return words


def _reference_lines(data: ChartData, outcome: Series) -> list[str]:
    lines = []
    if data.reliable_change is not None and outcome.intake is not None:
        scores = no_change_range(
            intake=outcome.intake,
            reliable_change=data.reliable_change,
            inclusive=data.reliable_change_inclusive,
            score_min=outcome.score_min,
            score_max=outcome.score_max,
        )
        lines.append(
            _(
                "Intake %(intake)s; scores %(scores)s are no reliable change from intake.",
                intake=fmt(outcome.intake),
                scores=scores,
            )
        )
    if outcome.cutoff is not None:
        lines.append(_("Clinical cut-off: %(v)s.", v=fmt(outcome.cutoff)))
    words = method_words(data)
    return [*lines, words + "."] if words else lines


def _latest_alliance(alliance: Series) -> str:
    latest = alliance.latest
    assert latest is not None
    text = _(
        "%(label)s at session %(session)s: %(score)s",
        label=alliance.label,
        session=latest.session,
        score=fmt(latest.score),
    )
    if alliance.cutoff is None:
        return text + "."
    return text + "; " + _("alliance cut-off %(v)s.", v=fmt(alliance.cutoff))


def _alert_line(alert: AlertMarker) -> str:
    return _(
        "Alert at session %(session)s: %(heading)s: %(reason)s",
        session=alert.session,
        heading=alert_heading(alert),
        reason=alert.reason,
    )
