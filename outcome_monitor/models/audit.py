"""The append-only audit trail: every change, every read of a client's record, every refusal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import Model
from outcome_monitor.models.account import User
from outcome_monitor.models.types import UTCDateTime, str_enum, utcnow


class AuditOutcome(StrEnum):
    """Whether the audited request was carried out or refused."""

    ALLOWED = "allowed"
    DENIED = "denied"


class AuditEvent(Model):
    """Written by services in the same transaction as the change, and by the read audit
    (``web/read_audit.py``) once per read of a client's record or refused attempt.

    Never updated or deleted through the ORM. The one exception is retention and erasure
    (``services/retention.py``): a Core UPDATE empties ``details`` of the rows about an erased
    client, so that they keep the pseudonymous ``client_code`` and nothing else.
    """

    __table_args__ = (
        # The lists' order, newest first: the whole trail, a client's log, refused only.
        sa.Index("ix_audit_event_at_id", "at", "id"),
        sa.Index("ix_audit_event_client_code_at_id", "client_code", "at", "id"),
        sa.Index("ix_audit_event_outcome_at_id", "outcome", "at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    object_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    object_id: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    outcome: so.Mapped[AuditOutcome] = so.mapped_column(
        str_enum(AuditOutcome),
        default=AuditOutcome.ALLOWED,
        server_default=AuditOutcome.ALLOWED.value,
    )
    # The client's pseudonymous code, kept as text (not a foreign key) so that the trail
    # outlives the client's erasure; NULL when the event concerns no client.
    client_code: so.Mapped[str | None] = so.mapped_column(sa.String(40), index=True)

    actor: so.Mapped[User | None] = so.relationship()


@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")


@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")
