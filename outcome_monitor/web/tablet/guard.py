"""Client mode: while a hand-over is active in this browser, only the kiosk pages answer.

Every other request (staff pages, typed URLs, the back button, a reload) is redirected to the
kiosk; the staff login stays in the session but cannot be used until a staff member unlocks
the tablet. Responses are already ``Cache-Control: no-store`` (web/no_store.py), so the back
button cannot show a cached staff page either.
"""

from __future__ import annotations

from flask import redirect, request, session, url_for
from werkzeug.wrappers import Response

from outcome_monitor.web.tablet import bp

KIOSK_KEY = "handover_id"
ALWAYS_ALLOWED = {"static", "health.healthz"}


# Flash messages waiting for the staff member when the tablet was handed over. Flask shows
# queued flashes on the next page rendered, which would be the client's kiosk screen (a link
# just created, "session recorded", an error about another client); they are set aside here
# and given back when the same login returns.
STAFF_FLASHES = "staff_flashes"


def kiosk_active() -> bool:
    return session.get(KIOSK_KEY) is not None


def enter_client_mode(handover_id: int) -> None:
    """From now on only kiosk pages answer; staff messages not yet shown are set aside."""
    waiting = session.pop("_flashes", [])
    if waiting:
        session[STAFF_FLASHES] = [*session.get(STAFF_FLASHES, []), *waiting]
    session[KIOSK_KEY] = handover_id


def leave_client_mode(*, same_login: bool) -> None:
    """Back to staff pages; the messages set aside go back to the login that left them."""
    session.pop(KIOSK_KEY, None)
    waiting = session.pop(STAFF_FLASHES, [])
    if same_login and waiting:
        session["_flashes"] = [*waiting, *session.get("_flashes", [])]


@bp.before_app_request
def keep_client_mode() -> Response | None:
    if not kiosk_active():
        return None
    endpoint = request.endpoint or ""
    if endpoint in ALWAYS_ALLOWED or endpoint.startswith("tablet.kiosk"):
        return None
    return redirect(url_for("tablet.kiosk"))
