"""indexes for the paginated lists (issue 12)

Revision ID: 0012_list_indexes
Revises: 0011_closed_episode_alerts
Create Date: 2026-12-02 01:00:00

The sort orders and filters of the lists cut in SQL: the review queue (unresolved alerts by
episode, the latest review of each episode), the audit trail (newest first: all, one client,
refused only), the admin's users list (role, email) and the report's drill-down (a therapist's
episodes closed in a period).
"""
from alembic import op


revision = '0012_list_indexes'
down_revision = '0011_closed_episode_alerts'
branch_labels = None
depends_on = None

INDEXES = (
    ("alert", "ix_alert_status_episode", ["status", "episode_id"]),
    ("audit_event", "ix_audit_event_at_id", ["at", "id"]),
    ("audit_event", "ix_audit_event_client_code_at_id", ["client_code", "at", "id"]),
    ("audit_event", "ix_audit_event_outcome_at_id", ["outcome", "at", "id"]),
    ("user", "ix_user_role_email", ["role", "email"]),
    ("episode", "ix_episode_therapist_status_closed", ["therapist_id", "status", "closed_on"]),
    ("supervision_review", "ix_supervision_review_latest", ["episode_id", "reviewed_on", "id"]),
)


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
