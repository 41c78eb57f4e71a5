"""Client mode: while a hand-over is active in this browser, only the kiosk pages answer.

Every other request (staff pages, typed URLs, the back button, a reload) is redirected to the
kiosk; the staff login stays in the session but cannot be used until a staff member unlocks
the tablet. Responses are already ``Cache-Control: no-store`` (session_guard), so the back
button cannot show a cached staff page either.
"""

from __future__ import annotations

from flask import redirect, request, session, url_for
from werkzeug.wrappers import Response

from outcome_monitor.web.tablet import bp

KIOSK_KEY = "handover_id"
ALWAYS_ALLOWED = {"static", "health.healthz"}


def kiosk_active() -> bool:
    return session.get(KIOSK_KEY) is not None


@bp.before_app_request
def keep_client_mode() -> Response | None:
    if not kiosk_active():
        return None
    endpoint = request.endpoint or ""
    if endpoint in ALWAYS_ALLOWED or endpoint.startswith("tablet.kiosk"):
        return None
    return redirect(url_for("tablet.kiosk"))
