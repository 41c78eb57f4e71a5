"""indexes for the paginated lists (issue 12) — PLACEHOLDER

Revision ID: 0012_list_indexes
Revises: 0011_closed_episode_alerts
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_list_indexes'
down_revision = '0011_closed_episode_alerts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
