"""The client progress chart: its JSON, the locally served plotly.min.js, the page partial."""

from flask import Blueprint

bp = Blueprint("charts", __name__)

from outcome_monitor.web.chart import views  # noqa: E402,F401
