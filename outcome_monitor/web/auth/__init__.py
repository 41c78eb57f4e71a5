from flask import Blueprint

bp = Blueprint("auth", __name__)

from outcome_monitor.web.auth import views  # noqa: E402,F401
