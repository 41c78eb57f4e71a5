from flask import Blueprint

bp = Blueprint("health", __name__)

from outcome_monitor.web.health import views  # noqa: E402,F401
