"""stored case status: one row per episode, read by the caseload and the queue (issue 12)

Revision ID: 0009_case_status
Revises: 0008_audit_reads
Create Date: 2026-12-02 01:00:00

The rows are filled by `flask --app wsgi refresh-status` (run by `make run` and after an
upgrade); until then a list shows an episode without a row as grey.
"""
from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


revision = '0009_case_status'
down_revision = '0008_audit_reads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_status',
        sa.Column('episode_id', sa.Integer(), nullable=False),
        sa.Column('colour', sa.String(length=10), nullable=False),
        sa.Column('measure_code', sa.String(length=40), nullable=True),
        sa.Column('last_score', sa.Double(), nullable=True),
        sa.Column('last_score_on', sa.Date(), nullable=True),
        sa.Column('scores_counted', sa.Integer(), nullable=False),
        sa.Column('open_reasons', sa.JSON(), nullable=False),
        sa.Column('open_alerts', sa.Integer(), nullable=False),
        sa.Column('has_risk', sa.Boolean(), nullable=False),
        sa.Column('has_rupture', sa.Boolean(), nullable=False),
        sa.Column('oldest_open_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('prognosis_worse', sa.Double(), nullable=True),
        sa.Column('prognosis', sa.JSON(), nullable=True),
        sa.Column('attention_rank', sa.Integer(), nullable=False),
        sa.Column('updated_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('episode_id'),
    )
    op.create_index('ix_case_status_attention', 'case_status', ['attention_rank', 'episode_id'])


def downgrade():
    op.drop_index('ix_case_status_attention', table_name='case_status')
    op.drop_table('case_status')
