from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from outcome_monitor.web.clients import views  # noqa: E402,F401
