from flask import Blueprint

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

from outcome_monitor.web.alerts import views  # noqa: E402,F401
