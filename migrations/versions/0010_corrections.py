"""corrections without loss: voided and corrected scores (issue 9) — PLACEHOLDER, filled by the corrections work

Revision ID: 0010_corrections
Revises: 0009_case_status
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_corrections'
down_revision = '0009_case_status'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
