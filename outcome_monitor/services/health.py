"""What the health check asks of the database."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from outcome_monitor.extensions import db

logger = logging.getLogger(__name__)


def database_reachable() -> bool:
    """True when the database answers a trivial query; the failure is logged, not raised."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        logger.exception("health check: database unreachable")
        db.session.rollback()
        return False
    return True
