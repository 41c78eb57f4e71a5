from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from outcome_monitor.web.admin import jobs_views, settings_views, views  # noqa: E402,F401
