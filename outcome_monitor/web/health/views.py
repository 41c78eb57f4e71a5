from __future__ import annotations

from flask import jsonify

from outcome_monitor.extensions import csrf, limiter
from outcome_monitor.services import health
from outcome_monitor.web.health import bp


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    if not health.database_reachable():
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
