"""Audit rows, added to the caller's transaction."""

from __future__ import annotations

from typing import Any

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, User


def record(
    *,
    by: User | None,
    action: str,
    obj: Any,
    details: dict[str, Any] | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``obj`` to the current transaction (the caller commits).

    ``object_type`` names the object when ``obj`` is not a model row (e.g. the settings).
    """
    db.session.flush()
    event = AuditEvent(
        actor_id=by.id if by is not None else None,
        action=action,
        object_type=object_type or type(obj).__name__,
        object_id=str(obj.id) if getattr(obj, "id", None) is not None else None,
        details=details or {},
    )
    db.session.add(event)
    return event
