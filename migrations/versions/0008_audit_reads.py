"""audit of reads: the outcome (allowed / denied) and the client's code on every audit event

Revision ID: 0008_audit_reads
Revises: 0007_accounts_security
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_audit_reads'
down_revision = '0007_accounts_security'
branch_labels = None
depends_on = None

OUTCOMES = ('allowed', 'denied')

# The object types written so far whose row leads to a client: type -> (table, joins).
_EPISODE_TO_CLIENT = ' JOIN client ON client.id = episode.client_id'
_CLIENT_OF = {
    'Client': ('client', ''),
    'Episode': ('episode', _EPISODE_TO_CLIENT),
}
for _type, _table in (
    ('Administration', 'administration'),
    ('Alert', 'alert'),
    ('HandOver', 'hand_over'),
    ('RemoteLink', 'remote_link'),
    ('LinkSchedule', 'link_schedule'),
    ('TherapySession', 'therapy_session'),
):
    _CLIENT_OF[_type] = (
        _table, f' JOIN episode ON episode.id = {_table}.episode_id' + _EPISODE_TO_CLIENT
    )


def upgrade():
    # Every event written before this revision was a change that was carried out: 'allowed'.
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.Enum(*OUTCOMES, name='auditoutcome', native_enum=False, create_constraint=False, length=20), server_default='allowed', nullable=False))
        batch_op.add_column(sa.Column('client_code', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_event_client_code'), ['client_code'], unique=False)

    # Give the events written so far the code of their object's client (NULL when gone).
    for object_type, (table, joins) in _CLIENT_OF.items():
        code = (
            f'SELECT client.code FROM {table}{joins}'
            f' WHERE CAST({table}.id AS VARCHAR(40)) = audit_event.object_id'
        )
        op.execute(
            sa.text(f'UPDATE audit_event SET client_code = ({code}) WHERE object_type = :type')
            .bindparams(type=object_type)
        )


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_client_code'))
        batch_op.drop_column('client_code')
        batch_op.drop_column('outcome')
