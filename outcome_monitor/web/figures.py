"""Plotly figure builders: ChartData in, a plain figure dict out (no database access).

Accessibility: every meaning has a shape or a label besides its colour (dashed expected curve,
dotted labelled cut-offs, one marker symbol per alert type), every trace is named in the legend,
and the page shows a plain-text summary next to the chart (``web/chart/summary.py``).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _
from plotly.subplots import make_subplots

from outcome_monitor.core.alerts import AlertType, Severity, fmt
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.trajectories import ExpectedBand
from outcome_monitor.services.charting import AlertMarker, ChartData, Series
from outcome_monitor.web.chart.words import (
    alert_hover,
    alert_label,
    direction_words,
    method_words,
    no_change_range,
)

OUTCOME_ROW, ALLIANCE_ROW = 1, 2
INK, ACCENT, ALLIANCE_INK = "#1b1b1b", "#0b5394", "#6a3d9a"
RED, YELLOW = "#b00020", "#b38600"
YELLOW_FILL, RED_FILL = "rgba(255,196,0,0.30)", "rgba(176,0,32,0.13)"
RC_FILL = "rgba(11,83,148,0.07)"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
# Alert type -> marker symbol and colour (None: the colour of the severity). Open symbols keep
# the score underneath visible.
ALERT_STYLE: dict[str, tuple[str, str | None]] = {
    AlertType.NOT_ON_TRACK: ("diamond-open", None),
    AlertType.RELIABLE_DETERIORATION: ("x-thin-open", RED),
    AlertType.NO_RELIABLE_CHANGE: ("square-open", YELLOW),
    AlertType.RISK_ITEM: ("triangle-up-open", "#6a1b9a"),
    AlertType.LOW_ALLIANCE: ("triangle-down-open", RED),
    AlertType.ALLIANCE_RUPTURE: ("star-open", RED),
}


def progress_figure(data: ChartData) -> dict[str, Any]:
    """The two-panel progress chart (outcome on top, alliance below when there is alliance data)."""
    if data.outcome is None or not data.outcome.points:
        return _empty_figure()
    rows = 2 if data.alliance is not None and data.alliance.points else 1
    fig = _frame(data, rows)
    for trace in _outcome_traces(data, data.outcome):
        fig.add_trace(trace, row=OUTCOME_ROW, col=1)
    _label_outcome(fig, data, data.outcome)
    if rows == 2 and data.alliance is not None:
        for trace in _alliance_traces(data, data.alliance):
            fig.add_trace(trace, row=ALLIANCE_ROW, col=1)
        _label_cutoff(fig, data, data.alliance, ALLIANCE_ROW)
    return fig.to_plotly_json()


def _empty_figure() -> dict[str, Any]:
    fig = go.Figure(layout={"template": "plotly_white", "height": 200})
    fig.add_annotation(text=_("No outcome scores yet."), showarrow=False, x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig.to_plotly_json()


def _frame(data: ChartData, rows: int) -> go.Figure:
    assert data.outcome is not None
    alliance = data.alliance.label if data.alliance else ""
    titles = ("", _("Alliance: %(label)s", label=alliance)) if rows == 2 else None
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        row_heights=[0.68, 0.32] if rows == 2 else None,
        subplot_titles=titles,
    )
    fig.update_layout(_layout(data, rows))
    fig.update_xaxes(range=[0.5, data.last_session + 0.5], dtick=1, showline=True)
    fig.update_xaxes(title_text=_("Session (1 = intake)"), row=rows, col=1)
    _y_axis(fig, data.outcome, OUTCOME_ROW)
    if rows == 2 and data.alliance is not None:
        _y_axis(fig, data.alliance, ALLIANCE_ROW)
    return fig


def _layout(data: ChartData, rows: int) -> dict[str, Any]:
    assert data.outcome is not None
    height, top, bottom = (780 if rows == 2 else 540), 90, 40
    subtitle = "<br>".join(textwrap.wrap(html.escape(method_words(data)), 110))
    return {
        "template": "plotly_white",
        "title": {
            "text": _("%(label)s progress", label=data.outcome.label),
            "subtitle": {"text": subtitle},
            "x": 0.01,
            "xanchor": "left",
        },
        "height": height,
        "margin": {"l": 70, "r": 30, "t": top, "b": bottom},
        "font": {"family": FONT, "size": 14, "color": INK},
        # The legend sits about 75 px under the plot area, clear of the x-axis title.
        "legend": {
            "orientation": "h",
            "yanchor": "top",
            "y": -75 / (height - top - bottom),
            "entrywidth": 0.5,  # two columns at any width (chart.js uses one on phones)
            "entrywidthmode": "fraction",
        },
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
    }


def _y_axis(fig: go.Figure, series: Series, row: int) -> None:
    pad = (series.score_max - series.score_min) * 0.03
    fig.update_yaxes(
        range=[series.score_min - pad, series.score_max + pad],
        title_text=_(
            "%(label)s (%(direction)s)",
            label=series.label,
            direction=direction_words(series.direction),
        ),
        zeroline=False,
        showline=True,
        row=row,
        col=1,
    )


def _outcome_traces(data: ChartData, outcome: Series) -> list[go.Scatter]:
    """Back to front: reliable-change band, zones, cut-off, expected curve, scores, alerts."""
    traces = [*_rc_traces(data), *_zone_traces(data.band, outcome)]
    traces += _cutoff_traces(data, outcome, _("Clinical cut-off"))
    traces += _expected_traces(data.band)
    traces.append(_observed_trace(outcome, ACCENT, "circle"))
    return traces + _alert_traces(outcome.alerts)


def _alliance_traces(data: ChartData, alliance: Series) -> list[go.Scatter]:
    traces = _cutoff_traces(data, alliance, _("Alliance cut-off"))
    traces.append(_observed_trace(alliance, ALLIANCE_INK, "square"))
    return traces + _alert_traces(alliance.alerts)


def _polygon(
    sessions: Sequence[float], upper: Sequence[float], lower: Sequence[float]
) -> dict[str, list[float]]:
    """A closed outline between two lines, for ``fill="toself"``."""
    return {
        "x": [*sessions, *reversed(sessions)],
        "y": [*upper, *reversed(lower)],
    }


def _zone_traces(band: Sequence[ExpectedBand], outcome: Series) -> list[go.Scatter]:
    """Yellow between the yellow and red bounds; red from the red bound to the worst score."""
    if not band:
        return []
    worse_is_higher = outcome.direction == Direction.HIGHER_IS_WORSE
    worst = outcome.score_max if worse_is_higher else outcome.score_min
    red = _polygon([b.session for b in band], [b.red for b in band], [worst] * len(band))
    zoned = [b for b in band if b.yellow != b.red]
    traces = [_zone(red, RED_FILL, _("Red: not on track"), "zone-red", pattern="/")]
    if zoned:
        yellow = _polygon(
            [b.session for b in zoned], [b.yellow for b in zoned], [b.red for b in zoned]
        )
        traces.insert(
            0, _zone(yellow, YELLOW_FILL, _("Yellow: less progress than expected"), "zone-yellow")
        )
    return traces


def _zone(
    outline: dict[str, list[float]], fill: str, name: str, meta: str, pattern: str = ""
) -> go.Scatter:
    return go.Scatter(
        **outline,
        fill="toself",
        fillcolor=fill,
        mode="lines",
        line={"width": 0},
        fillpattern={"shape": pattern, "fgcolor": RED, "fgopacity": 0.25} if pattern else None,
        name=name,
        meta=meta,
        hoverinfo="skip",
    )


def _rc_traces(data: ChartData) -> list[go.Scatter]:
    """Drawn first (underneath the zones), with dash-dot edges that stay visible through them."""
    if data.rc_band is None:
        return []
    low, high = data.rc_band
    outline = _polygon([0.5, data.last_session + 0.5], [high, high], [low, low])
    return [
        go.Scatter(
            **outline,
            fill="toself",
            fillcolor=RC_FILL,
            mode="lines",
            line={"width": 1, "color": ACCENT, "dash": "dashdot"},
            name=_("No reliable change from intake (%(range)s)", range=_rc_range_words(data)),
            meta="rc-band",
            hoverinfo="skip",
        )
    ]


def _rc_range_words(data: ChartData) -> str:
    outcome, rc = data.outcome, data.reliable_change
    assert outcome is not None and outcome.intake is not None and rc is not None
    return no_change_range(
        intake=outcome.intake,
        reliable_change=rc,
        inclusive=data.reliable_change_inclusive,
        score_min=outcome.score_min,
        score_max=outcome.score_max,
    )


def _cutoff_traces(data: ChartData, series: Series, words: str) -> list[go.Scatter]:
    if series.cutoff is None:
        return []
    return [
        go.Scatter(
            x=[0.5, data.last_session + 0.5],
            y=[series.cutoff, series.cutoff],
            mode="lines",
            line={"color": INK, "width": 1.5, "dash": "dot"},
            meta=f"cutoff-{series.code}",
            name=f"{words} ({fmt(series.cutoff)})",
            showlegend=False,  # labelled on the chart itself (_label_cutoff)
            hoverinfo="skip",
        )
    ]


def _label_outcome(fig: go.Figure, data: ChartData, outcome: Series) -> None:
    _label_cutoff(fig, data, outcome, OUTCOME_ROW)
    if data.rc_band is None:
        return
    top = max(data.rc_band)
    fig.add_annotation(
        x=0.6,
        y=top,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        row=OUTCOME_ROW,
        col=1,
        text=_("no reliable change from intake"),
        font={"size": 12, "color": ACCENT},
    )


def _label_cutoff(fig: go.Figure, data: ChartData, series: Series, row: int) -> None:
    if series.cutoff is None:
        return
    fig.add_annotation(
        x=data.last_session + 0.5,
        y=series.cutoff,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        row=row,
        col=1,
        font={"size": 12},
        text=_("cut-off %(value)s", value=fmt(series.cutoff)),
    )


def _expected_traces(band: Sequence[ExpectedBand]) -> list[go.Scatter]:
    curve = [b for b in band if b.expected is not None]
    if not curve:
        return []
    return [
        go.Scatter(
            x=[b.session for b in curve],
            y=[b.expected for b in curve],
            mode="lines",
            line={"color": INK, "width": 2, "dash": "dash"},
            name=_("Expected"),
            meta="expected",
            hovertemplate=_("Session %(s)s: expected %(y)s", s="%{x}", y="%{y:.1f}")
            + "<extra></extra>",
        )
    ]


def _observed_trace(series: Series, colour: str, symbol: str) -> go.Scatter:
    return go.Scatter(
        x=[p.session for p in series.points],
        y=[p.score for p in series.points],
        customdata=[p.on.isoformat() for p in series.points],
        mode="lines+markers",
        line={"color": colour, "width": 2.5},
        marker={"size": 9, "symbol": symbol},
        name=_("%(label)s scores", label=series.label),
        meta=f"observed-{series.code}",
        hovertemplate=_("Session %(s)s (%(d)s): %(y)s", s="%{x}", d="%{customdata}", y="%{y}")
        + "<extra>"
        + html.escape(series.label)
        + "</extra>",
    )


def _alert_traces(alerts: Sequence[AlertMarker]) -> list[go.Scatter]:
    """One trace per alert type, so the legend names each symbol."""
    types = list(dict.fromkeys(a.type for a in alerts))
    return [_alert_trace(t, [a for a in alerts if a.type == t]) for t in types]


def _alert_trace(alert_type: str, alerts: Sequence[AlertMarker]) -> go.Scatter:
    symbol, colour = ALERT_STYLE.get(alert_type, ("circle-open", INK))
    colours = [colour or (YELLOW if a.severity == Severity.YELLOW else RED) for a in alerts]
    return go.Scatter(
        x=[a.session for a in alerts],
        y=[a.score for a in alerts],
        mode="markers",
        marker={"symbol": symbol, "size": 20, "color": colours, "line": {"width": 2.5}},
        name=_("Alert: %(type)s", type=alert_label(alert_type)),
        meta=f"alert-{alert_type}",
        hovertext=[alert_hover(a) for a in alerts],
        hoverinfo="text",
    )
