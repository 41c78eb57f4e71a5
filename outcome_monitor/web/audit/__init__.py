from flask import Blueprint

bp = Blueprint("audit", __name__)

from outcome_monitor.web.audit import views  # noqa: E402,F401
