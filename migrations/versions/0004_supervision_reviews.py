"""supervision reviews and requests

Revision ID: 0004_supervision_reviews
Revises: 6912eb0f0f7c (the file 0003_scheduled_remote_links.py)
Create Date: 2026-11-27 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import outcome_monitor.models.types


# revision identifiers, used by Alembic.
revision = '0004_supervision_reviews'
down_revision = '6912eb0f0f7c'
branch_labels = None
depends_on = None

DECISIONS = ('continue', 'change_plan', 'increase_frequency', 'refer_on', 'plan_ending')
SOURCES = ('checklist', 'button')


def upgrade():
    op.create_table('supervision_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.Enum(*DECISIONS, name='reviewdecision', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('created_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_supervision_review_episode_id_episode')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_supervision_review_reviewer_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_review'))
    )
    with op.batch_alter_table('supervision_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_review_episode_id'), ['episode_id'], unique=False)

    op.create_table('supervision_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', outcome_monitor.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.Enum(*SOURCES, name='requestsource', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_supervision_request_episode_id_episode')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_supervision_request_requested_by_id_user')),
    sa.ForeignKeyConstraint(['review_id'], ['supervision_review.id'], name=op.f('fk_supervision_request_review_id_supervision_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_request'))
    )
    with op.batch_alter_table('supervision_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_request_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index('uq_supervision_request_episode_open', ['episode_id'], unique=True, sqlite_where=sa.text('review_id IS NULL'), postgresql_where=sa.text('review_id IS NULL'))


def downgrade():
    with op.batch_alter_table('supervision_request', schema=None) as batch_op:
        batch_op.drop_index('uq_supervision_request_episode_open', sqlite_where=sa.text('review_id IS NULL'), postgresql_where=sa.text('review_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_supervision_request_episode_id'))

    op.drop_table('supervision_request')
    with op.batch_alter_table('supervision_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_review_episode_id'))

    op.drop_table('supervision_review')
