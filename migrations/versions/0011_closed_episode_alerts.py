"""closing an episode resolves its alerts; resolve those already orphaned (issue 12) — PLACEHOLDER

Revision ID: 0011_closed_episode_alerts
Revises: 0010_corrections
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_closed_episode_alerts'
down_revision = '0010_corrections'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
