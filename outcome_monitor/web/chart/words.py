"""Words shared by the progress figure and its text summary (all through Flask-Babel)."""

from __future__ import annotations

import html
import textwrap

from flask_babel import gettext as _

from outcome_monitor.core.measure import Direction
from outcome_monitor.services.charting import AlertMarker, ChartData


def alert_label(alert_type: str) -> str:
    labels = {
        "not_on_track": _("Not on track"),
        "reliable_deterioration": _("Reliable deterioration"),
        "no_reliable_change": _("No reliable change"),
        "risk_item": _("Risk item"),
        "low_alliance": _("Low alliance"),
        "alliance_rupture": _("Alliance rupture"),
    }
    return labels.get(alert_type, alert_type.replace("_", " ").capitalize())


def method_words(data: ChartData) -> str:
    if data.fallback_reason:
        return data.fallback_reason[:1].upper() + data.fallback_reason[1:]
    words = {
        "empirical": _("Expected curve from the service's empirical model"),
        "neighbours": _("Expected curve from similar past clients (nearest neighbours)"),
        "rational": _("Rational method: bands from reliable change since intake"),
    }
    return words.get(data.method or "", "")


def direction_words(direction: Direction) -> str:
    if direction == Direction.HIGHER_IS_BETTER:
        return _("higher is better")
    return _("higher is worse")


def alert_heading(alert: AlertMarker) -> str:
    """'Not on track (red)', with ' – resolved' or ' – acknowledged' once it is no longer open."""
    words = {
        "red": _("red"),
        "yellow": _("yellow"),
        "acknowledged": _("acknowledged"),
        "resolved": _("resolved"),
    }
    heading = alert_label(alert.type)
    if alert.severity:
        heading += f" ({words.get(alert.severity, alert.severity)})"
    if alert.status != "open":
        heading += " – " + words.get(alert.status, alert.status)
    return heading


def alert_hover(alert: AlertMarker) -> str:
    """The heading in bold, then the reason wrapped for the hover box."""
    reason = "<br>".join(textwrap.wrap(html.escape(alert.reason), 60))
    return f"<b>{html.escape(alert_heading(alert))}</b><br>{reason}"
