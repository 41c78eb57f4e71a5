"""The funnel plot of the service outcome report: plain values in, a Plotly figure dict out (no
database access), in the style of ``web/figures.py``.

Each therapist's rate is drawn against the number of episodes it is based on, with 95% and
99.8% control limits around the service rate (Spiegelhalter 2005): variation between therapists
without a ranking. Accessibility: the limits differ by dash as well as colour, the zone of each
point is its marker shape (circle inside, triangle up above, triangle down below), every trace
is named in the legend, and the page lists the same points in words (``funnel_summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _

from outcome_monitor.core.service_stats import FunnelZone
from outcome_monitor.services.reports import Funnel, FunnelPoint

INK, ACCENT, LIMIT_95, LIMIT_998 = "#1b1b1b", "#0b5394", "#5f6368", "#b00020"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
HEIGHT, TOP, BOTTOM = 520, 70, 60
ZONE_SYMBOL = {
    FunnelZone.ABOVE_998: "triangle-up",
    FunnelZone.ABOVE_95: "triangle-up-open",
    FunnelZone.WITHIN: "circle",
    FunnelZone.BELOW_95: "triangle-down-open",
    FunnelZone.BELOW_998: "triangle-down",
}


def zone_words(zone: FunnelZone) -> str:
    return {
        FunnelZone.ABOVE_998: _("above the 99.8% limit"),
        FunnelZone.ABOVE_95: _("above the 95% limit"),
        FunnelZone.WITHIN: _("within the 95% limits"),
        FunnelZone.BELOW_95: _("below the 95% limit"),
        FunnelZone.BELOW_998: _("below the 99.8% limit"),
    }[zone]


def funnel_figure(funnel: Funnel, points: Sequence[FunnelPoint], *, title: str) -> dict[str, Any]:
    """The funnel with the given (already permitted) points; limits and service line always."""
    assert funnel.service.rate is not None  # a Funnel is only built around a service rate
    sizes = [limits.n for limits in funnel.curve]
    fig = go.Figure()
    for name, lower, upper, colour, dash in (
        (_("99.8% control limits"), "lower_998", "upper_998", LIMIT_998, "dot"),
        (_("95% control limits"), "lower_95", "upper_95", LIMIT_95, "dash"),
    ):
        for key, show in ((lower, True), (upper, False)):
            fig.add_trace(
                go.Scatter(
                    x=sizes,
                    y=[100 * getattr(limits, key) for limits in funnel.curve],
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=show,
                    line={"color": colour, "dash": dash, "width": 1.5},
                    hoverinfo="skip",
                )
            )
    fig.add_trace(
        go.Scatter(
            x=[sizes[0], sizes[-1]],
            y=[100 * funnel.service.rate] * 2,
            mode="lines",
            name=_("Service rate %(rate).1f%%", rate=100 * funnel.service.rate),
            line={"color": ACCENT, "width": 2},
            hoverinfo="skip",
        )
    )
    fig.add_trace(_points_trace(points))
    fig.update_layout(_layout(title))
    return fig.to_plotly_json()


def _points_trace(points: Sequence[FunnelPoint]) -> go.Scatter:
    return go.Scatter(
        x=[p.share.of for p in points],
        y=[100 * p.share.n / p.share.of for p in points],
        mode="markers+text",
        name=_("Therapists (shape: inside, above or below the limits)"),
        text=[p.label for p in points],
        textposition="top center",
        marker={
            "size": 12,
            "color": INK,
            "symbol": [ZONE_SYMBOL[p.zone] for p in points],
            "line": {"width": 1.5, "color": INK},
        },
        hovertext=[f"{p.label}: {p.share.n} / {p.share.of}, {zone_words(p.zone)}" for p in points],
        hoverinfo="text",
    )


def _layout(title: str) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "height": HEIGHT,
        "margin": {"l": 70, "r": 30, "t": TOP, "b": BOTTOM},
        "font": {"family": FONT, "size": 14, "color": INK},
        "xaxis": {"title": {"text": _("Episodes the rate is based on")}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": _("Rate (%)")}, "range": [-2, 102]},
        "legend": {
            "orientation": "h",
            "yanchor": "top",
            "y": -75 / (HEIGHT - TOP - BOTTOM),
        },
        "hovermode": "closest",
    }


def funnel_summary(funnel: Funnel, points: Sequence[FunnelPoint]) -> list[str]:
    """The funnel in words, one line per point, for screen readers and for print."""
    assert funnel.service.rate is not None
    lines = [
        _(
            "Service rate: %(n)s of %(of)s (%(rate).1f%%).",
            n=funnel.service.n,
            of=funnel.service.of,
            rate=100 * funnel.service.rate,
        )
    ]
    for p in points:
        lines.append(
            _(
                "%(name)s: %(n)s of %(of)s (%(rate).1f%%), %(zone)s.",
                name=p.label,
                n=p.share.n,
                of=p.share.of,
                rate=100 * p.share.n / p.share.of,
                zone=zone_words(p.zone),
            )
        )
    return lines
