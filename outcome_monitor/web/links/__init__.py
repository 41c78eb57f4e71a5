"""Remote links: staff issue them; clients answer on their own phone without a login."""

from flask import Blueprint

bp = Blueprint("links", __name__)

from outcome_monitor.web.links import schedule_views, views  # noqa: E402,F401
