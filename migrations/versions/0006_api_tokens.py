"""personal access tokens for the REST API

Revision ID: 0006_api_tokens
Revises: 0005_import_labels
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


# revision identifiers, used by Alembic.
revision = '0006_api_tokens'
down_revision = '0005_import_labels'
branch_labels = None
depends_on = None

SCOPES = ('read', 'read-write')


def upgrade():
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.Enum(*SCOPES, name='tokenscope', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('created_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
