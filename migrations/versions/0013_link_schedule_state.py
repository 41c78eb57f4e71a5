"""link schedules: a state column and a reason column instead of a state parsed from prose (issue 13)

Revision ID: 0013_link_schedule_state
Revises: 0012_list_indexes
Create Date: 2026-12-02 02:00:00

`link_schedule.outcome` (prose such as "ready to pass on (not emailed: PUBLIC_BASE_URL is not
set)") becomes `state` (pending, emailed, ready, failed, skipped, cancelled) and `reason` (the
text after the colon, NULL when the schedule went as planned). Each existing outcome is split
the way the panel used to parse it; a processed schedule without an outcome (its run stopped
before recording one) becomes `failed` with that reason, as a run now records it. Plain SQL
through SQLAlchemy Core, so it runs the same on SQLite and PostgreSQL. `outcome` is dropped:
nothing reads the prose any more (the job summary and the audit rows are built from the two
new columns). The downgrade writes the prose back from them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_link_schedule_state'
down_revision = '0012_list_indexes'
branch_labels = None
depends_on = None

INTERRUPTED = "the run stopped before it recorded whether the email was sent"

link_schedule = sa.table(
    "link_schedule",
    sa.column("id", sa.Integer),
    sa.column("processed_at", sa.DateTime),
    sa.column("outcome", sa.String),
    sa.column("state", sa.String),
    sa.column("reason", sa.Text),
)
outcome = link_schedule.c.outcome


def _after(prefix):
    """The outcome's text after ``prefix`` (SUBSTR and LENGTH: the same on both databases)."""
    return sa.func.substr(outcome, len(prefix) + 1)


def _not_emailed_reason():
    """"ready to pass on (not emailed: X)" -> "not emailed: X" (the 300-character cut may
    have taken the closing parenthesis)."""
    inner = _after("ready to pass on (")
    closing = sa.case((outcome.like("%)"), 1), else_=0)
    return sa.func.substr(inner, 1, sa.func.length(inner) - closing)


def upgrade():
    with op.batch_alter_table('link_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))

    state = sa.case(
        (link_schedule.c.processed_at.is_(None), "pending"),
        (outcome == "emailed", "emailed"),
        (outcome.like("ready to pass on%"), "ready"),
        (outcome.like("email failed: %"), "failed"),
        (outcome.like("skipped: %"), "skipped"),
        (outcome.like("cancelled%"), "cancelled"),
        else_="failed",
    )
    reason = sa.case(
        (link_schedule.c.processed_at.is_(None), sa.null()),
        (outcome.in_(["emailed", "ready to pass on", "cancelled"]), sa.null()),
        (outcome.like("ready to pass on (%"), _not_emailed_reason()),
        (outcome.like("email failed: %"), _after("email failed: ")),
        (outcome.like("skipped: %"), _after("skipped: ")),
        (outcome.like("cancelled: %"), _after("cancelled: ")),
        else_=sa.func.coalesce(outcome, INTERRUPTED),
    )
    op.execute(link_schedule.update().values(state=state, reason=reason))

    with op.batch_alter_table('link_schedule', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column('outcome')


def _with_reason(words):
    reason = link_schedule.c.reason
    return sa.case((reason.is_(None), words), else_=words + ": " + reason)


def downgrade():
    with op.batch_alter_table('link_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=300), nullable=True))

    reason = link_schedule.c.reason
    prose = sa.case(
        (link_schedule.c.state == "pending", sa.null()),
        (link_schedule.c.state == "emailed", "emailed"),
        (
            link_schedule.c.state == "ready",
            sa.case(
                (reason.is_(None), "ready to pass on"),
                else_="ready to pass on (" + reason + ")",
            ),
        ),
        (link_schedule.c.state == "failed", "email failed: " + sa.func.coalesce(reason, "")),
        (link_schedule.c.state == "skipped", _with_reason("skipped")),
        else_=_with_reason("cancelled"),
    )
    op.execute(link_schedule.update().values(outcome=sa.func.substr(prose, 1, 300)))

    with op.batch_alter_table('link_schedule', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('state')
