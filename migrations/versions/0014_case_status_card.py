"""the review queue's card facts in the stored status (issue 12)

Revision ID: 0014_case_status_card
Revises: 0013_link_schedule_state
Create Date: 2026-12-02 05:00:00

`case_status` gains what the review queue sorts and filters by, so that the queue reads one
stored row per flagged episode instead of grouping every unresolved alert on each request:
`card_escalated` (any unresolved alert escalated), `card_level` (the card's level as
`core.attention.LEVEL_RANK` numbers it: 0 risk, 1 red, 2 yellow, 3 other; 4 without a card)
and `newest_open_at` (the newest unresolved alert). Existing rows are filled from their
alerts here, with the same rules in SQL (risk item → risk; reliable deterioration or red
not-on-track → red; yellow not-on-track → yellow; the rest → other), so the queue is right
straight after the upgrade; `services.case_status` keeps them fresh from then on. Plain SQL
through SQLAlchemy Core, the same on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


revision = '0014_case_status_card'
down_revision = '0013_link_schedule_state'
branch_labels = None
depends_on = None

NO_CARD = 4

case_status = sa.table(
    "case_status",
    sa.column("episode_id", sa.Integer),
    sa.column("card_escalated", sa.Boolean),
    sa.column("card_level", sa.Integer),
    sa.column("newest_open_at", outcome_monitor.models.types.UTCDateTime()),
)
alert = sa.table(
    "alert",
    sa.column("episode_id", sa.Integer),
    sa.column("type", sa.String),
    sa.column("severity", sa.String),
    sa.column("status", sa.String),
    sa.column("opened_at", outcome_monitor.models.types.UTCDateTime()),
    sa.column("escalated_at", outcome_monitor.models.types.UTCDateTime()),
)


def _unresolved(*where):
    return sa.and_(
        alert.c.episode_id == case_status.c.episode_id, alert.c.status != "resolved", *where
    )


def _level():
    red = sa.or_(
        alert.c.type == "reliable_deterioration",
        sa.and_(alert.c.type == "not_on_track", alert.c.severity == "red"),
    )
    yellow = sa.and_(alert.c.type == "not_on_track", alert.c.severity == "yellow")
    return sa.case((alert.c.type == "risk_item", 0), (red, 1), (yellow, 2), else_=3)


def upgrade():
    with op.batch_alter_table('case_status') as batch:
        batch.add_column(sa.Column('card_escalated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('card_level', sa.Integer(), server_default=str(NO_CARD), nullable=False))
        batch.add_column(sa.Column('newest_open_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=True))
        batch.create_index('ix_case_status_card_level', ['card_level'])
    level = sa.select(sa.func.min(_level())).where(_unresolved()).scalar_subquery()
    op.execute(
        case_status.update().values(
            card_escalated=sa.exists().where(_unresolved(alert.c.escalated_at.is_not(None))),
            card_level=sa.func.coalesce(level, NO_CARD),
            newest_open_at=sa.select(sa.func.max(alert.c.opened_at))
            .where(_unresolved())
            .scalar_subquery(),
        )
    )


def downgrade():
    with op.batch_alter_table('case_status') as batch:
        batch.drop_index('ix_case_status_card_level')
        batch.drop_column('newest_open_at')
        batch.drop_column('card_level')
        batch.drop_column('card_escalated')
