from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly
from flask import Response, current_app, jsonify, request, send_file, url_for

from outcome_monitor.models import Administration, Alert, Episode
from outcome_monitor.services import charting
from outcome_monitor.web import figures  # a module: web.figures also imports this package
from outcome_monitor.web.chart import bp
from outcome_monitor.web.chart.prognosis import prognosis_lines
from outcome_monitor.web.chart.summary import summary_lines
from outcome_monitor.web.helpers import clinical_required, episode_or_404

# Served from the installed plotly package, never a CDN: clinics may be offline (ECOSYSTEM.md).
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
JS_MIMETYPE = "text/javascript"
ONE_YEAR = 365 * 24 * 3600  # the URL carries the plotly version, so a new version is a new URL
GZIP_KEY = "outcome_monitor.plotly_js_gzip"


@bp.get("/clients/episodes/<int:episode_id>/chart.json")
@clinical_required
def episode_chart_json(episode_id: int) -> Response:
    episode = episode_or_404(episode_id)
    return jsonify(figures.progress_figure(charting.episode_chart_data(episode)))


@bp.get("/vendor/plotly.min.js")
def plotly_js() -> Response:
    """4.8 MB raw, 1.5 MB gzipped: gzip it once per process for browsers that accept it."""
    if not request.accept_encodings["gzip"]:
        return send_file(PLOTLY_JS, mimetype=JS_MIMETYPE, max_age=ONE_YEAR)
    response = send_file(
        io.BytesIO(_gzipped()),
        mimetype=JS_MIMETYPE,
        max_age=ONE_YEAR,
        etag=f"plotly-{plotly.__version__}-gzip",
    )
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _gzipped() -> bytes:
    cached = current_app.extensions.get(GZIP_KEY)
    if cached is None:
        cached = gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=6, mtime=0)
        current_app.extensions[GZIP_KEY] = cached
    return cached


@dataclass(frozen=True)
class EpisodeChart:
    """What the client-page partial needs; the figure itself is fetched as JSON."""

    has_chart: bool
    summary: list[str]
    prognosis: list[str]
    json_url: str
    plotly_url: str


def episode_chart(
    episode: Episode,
    administrations: Sequence[Administration] | None = None,
    alerts: Sequence[Alert] | None = None,
) -> EpisodeChart:
    """The chart panel of an episode the view has authorised; the client page passes the
    administrations and alerts it has loaded (read once per page)."""
    data = charting.episode_chart_data(episode, administrations=administrations, alerts=alerts)
    return EpisodeChart(
        has_chart=data.outcome is not None and bool(data.outcome.points),
        summary=summary_lines(data),
        prognosis=prognosis_lines(data),
        json_url=url_for("charts.episode_chart_json", episode_id=episode.id),
        plotly_url=url_for("charts.plotly_js", v=plotly.__version__),
    )


@bp.app_context_processor
def chart_helpers() -> dict[str, object]:
    return {"episode_chart": episode_chart}
