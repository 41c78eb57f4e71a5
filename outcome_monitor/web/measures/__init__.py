from flask import Blueprint

bp = Blueprint("measures", __name__, url_prefix="/clients")

from outcome_monitor.web.measures import format, views  # noqa: E402,F401
