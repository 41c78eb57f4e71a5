"""Words shared by the progress figure and its text summary (all through Flask-Babel)."""

from __future__ import annotations

import html
import math
import textwrap

from flask_babel import gettext as _

from outcome_monitor.core.alerts import fmt
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.trajectories import Method
from outcome_monitor.models.alert import AlertStatus
from outcome_monitor.services import alert_words
from outcome_monitor.services.charting import AlertMarker, ChartData


def alert_label(alert_type: str) -> str:
    """The alert's title from the one table the cards and the queue use (services/alert_words)."""
    return alert_words.type_title(alert_type)


def method_words(data: ChartData) -> str:
    if data.fallback_reason:
        return data.fallback_reason[:1].upper() + data.fallback_reason[1:]
    words: dict[str, str] = {
        Method.EMPIRICAL: _("Expected curve from the service's empirical model"),
        Method.NEIGHBOURS: _("Expected curve from similar past clients (nearest neighbours)"),
        Method.RATIONAL: _("Rational method: bands from reliable change since intake"),
    }
    return words.get(data.method or "", "")


def direction_words(direction: Direction) -> str:
    if direction == Direction.HIGHER_IS_BETTER:
        return _("higher is better")
    return _("higher is worse")


def alert_heading(alert: AlertMarker) -> str:
    """'Not on track (red)', with ' – resolved' or ' – acknowledged' once it is no longer open."""
    heading = alert_words.alert_title(alert.type, alert.severity)
    if alert.status != AlertStatus.OPEN:
        heading += " – " + alert_words.status_words(alert.status)
    return heading


def alert_hover(alert: AlertMarker) -> str:
    """The heading in bold, then the reason wrapped for the hover box."""
    reason = "<br>".join(textwrap.wrap(html.escape(alert.reason), 60))
    return f"<b>{html.escape(alert_heading(alert))}</b><br>{reason}"


def no_change_range(
    *, intake: float, reliable_change: float, inclusive: bool, score_min: float, score_max: float
) -> str:
    """The scores that are NOT a reliable change from intake, e.g. 'above 13 and below 25'.

    With an inclusive threshold (a published "6 or more") a change of exactly the threshold is
    reliable, so intake ± threshold themselves are left out: intake 19, RC 6 gives 'above 13 and
    below 25' (14-24 in whole points). A strict (computed) threshold keeps them: '13.4–24.6'
    for RC 5.66. An end clipped at the score range is a possible score and always included.
    Shown ends are rounded inwards to one decimal, so no score named is ever a reliable change.
    """
    low, high = intake - reliable_change, intake + reliable_change
    low_included = not inclusive or low < score_min
    high_included = not inclusive or high > score_max
    low_text = fmt(_tenths(max(low, score_min), up=True))
    high_text = fmt(_tenths(min(high, score_max), up=False))
    if low_included and high_included:
        return f"{low_text}–{high_text}"
    if low_included:
        return _("%(low)s to below %(high)s", low=low_text, high=high_text)
    if high_included:
        return _("above %(low)s up to %(high)s", low=low_text, high=high_text)
    return _("above %(low)s and below %(high)s", low=low_text, high=high_text)


def _tenths(value: float, *, up: bool) -> float:
    tenths = value * 10
    if math.isclose(tenths, round(tenths), abs_tol=1e-9):
        return round(tenths) / 10
    return (math.ceil(tenths) if up else math.floor(tenths)) / 10
