"""corrections without loss: voided and corrected scores (issue 9)

Revision ID: 0010_corrections
Revises: 0009_case_status
Create Date: 2026-12-02 01:00:00

Every existing score stays current (voided_at NULL); nothing is rewritten.
"""
from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


revision = '0010_corrections'
down_revision = '0009_case_status'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('administration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_administration_voided_by_id_user'), 'user', ['voided_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_administration_replaced_by_id_administration'), 'administration', ['replaced_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('administration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_administration_replaced_by_id_administration'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_administration_voided_by_id_user'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
