from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

from outcome_monitor.web.supervision import views  # noqa: E402,F401
