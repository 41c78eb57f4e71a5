from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify

from outcome_monitor.extensions import csrf, db, limiter
from outcome_monitor.web.health import bp


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
