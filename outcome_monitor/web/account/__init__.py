from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from outcome_monitor.web.account import views  # noqa: E402,F401
