"""closing an episode resolves its alerts; resolve those already orphaned (issue 12)

Revision ID: 0011_closed_episode_alerts
Revises: 0010_corrections
Create Date: 2026-12-02 01:00:00

A data migration, no schema change. Alerts left unresolved on episodes that are already closed
or dropped out (before issue 12 closing an episode left them open, so they filled the queue
for ever) are resolved the way closing an episode now resolves them: automatically, by the
user who closed the episode when the audit trail names one, with the note "Resolved when the
episode was closed.", and one `alert.resolve_on_closure` audit row per episode with the count
and the reason `episode_closed`. Plain SQL through SQLAlchemy Core (no models), so it runs the
same on SQLite and PostgreSQL.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


revision = '0011_closed_episode_alerts'
down_revision = '0010_corrections'
branch_labels = None
depends_on = None

NOTE = "Resolved when the episode was closed."
CLOSED = ("closed", "dropped_out")

alert = sa.table(
    "alert",
    sa.column("id", sa.Integer),
    sa.column("episode_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("resolved_at", outcome_monitor.models.types.UTCDateTime()),
    sa.column("resolved_automatically", sa.Boolean),
    sa.column("resolved_by_id", sa.Integer),
    sa.column("action_note", sa.Text),
    sa.column("updated_at", outcome_monitor.models.types.UTCDateTime()),
)
episode = sa.table(
    "episode", sa.column("id", sa.Integer), sa.column("client_id", sa.Integer),
    sa.column("status", sa.String),
)
client = sa.table("client", sa.column("id", sa.Integer), sa.column("code", sa.String))
audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("at", outcome_monitor.models.types.UTCDateTime()),
    sa.column("details", sa.JSON),
    sa.column("outcome", sa.String),
    sa.column("client_code", sa.String),
)


def _orphaned():
    return sa.and_(
        alert.c.status != "resolved",
        alert.c.episode_id.in_(sa.select(episode.c.id).where(episode.c.status.in_(CLOSED))),
    )


def _closer():
    """The user of the episode's latest `episode.close` audit row (NULL: imported closed)."""
    return (
        sa.select(audit_event.c.actor_id)
        .where(
            audit_event.c.action == "episode.close",
            audit_event.c.object_type == "Episode",
            audit_event.c.object_id == sa.cast(alert.c.episode_id, sa.String(40)),
        )
        .order_by(audit_event.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def upgrade():
    connection = op.get_bind()
    now = datetime.now(UTC)
    orphans = connection.execute(
        sa.select(alert.c.id, alert.c.episode_id, client.c.code)
        .join(episode, episode.c.id == alert.c.episode_id)
        .join(client, client.c.id == episode.c.client_id)
        .where(_orphaned())
        .order_by(alert.c.episode_id, alert.c.id)
    ).all()
    if not orphans:
        return
    connection.execute(
        sa.update(alert)
        .where(_orphaned())
        .values(
            status="resolved",
            resolved_at=now,
            resolved_automatically=True,
            resolved_by_id=_closer(),
            action_note=sa.func.coalesce(alert.c.action_note + "\n", "") + NOTE,
            updated_at=now,
        )
    )
    by_episode = {}
    for alert_id, episode_id, code in orphans:
        by_episode.setdefault((episode_id, code), []).append(alert_id)
    op.bulk_insert(
        audit_event,
        [
            {
                "actor_id": None,
                "action": "alert.resolve_on_closure",
                "object_type": "Episode",
                "object_id": str(episode_id),
                "at": now,
                "details": {
                    "reason": "episode_closed",
                    "count": len(ids),
                    "alerts": ids,
                    "migration": revision,
                },
                "outcome": "allowed",
                "client_code": code,
            }
            for (episode_id, code), ids in by_episode.items()
        ],
    )


def downgrade():
    # Deliberately a no-op: the alerts resolved by the upgrade stay resolved. Reopening them
    # would put finished episodes back in the queue, and they cannot be told apart reliably
    # from alerts resolved by closing an episode after the upgrade (their audit rows say which).
    pass
