from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from outcome_monitor.web.reports import views  # noqa: E402,F401
