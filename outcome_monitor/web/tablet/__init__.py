"""Tablet hand-over: staff start it; the client answers in kiosk mode until staff unlock it."""

from flask import Blueprint

bp = Blueprint("tablet", __name__, url_prefix="/tablet")

from outcome_monitor.web.tablet import guard, kiosk, views  # noqa: E402,F401
