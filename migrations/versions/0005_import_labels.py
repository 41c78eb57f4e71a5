"""import labels: Episode.label, unique within the client (CSV import of historic scores)

Revision ID: 0005_import_labels
Revises: 0004_supervision_reviews
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_import_labels'
down_revision = '0004_supervision_reviews'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_episode_client_id'), ['client_id', 'label'])


def downgrade():
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_episode_client_id'), type_='unique')
        batch_op.drop_column('label')
