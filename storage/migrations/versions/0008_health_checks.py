"""health checks and the domain preflight: per-scope check results, a check lease, the enabling team

enabled_team is filled for scopes enabled before this revision from their newest
"consent granted" audit event by the admin who enabled them (audit events are kept).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("enabled_team", "last_checked_at", "check_result", "check_detail", "checking_until", "preflight")


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled_team", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_checked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("check_result", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("check_detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("checking_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("preflight", sa.JSON(), nullable=True))
    op.execute(
        """
        UPDATE integrations SET enabled_team = (
            SELECT a.slack_team_id FROM audit_events a
            WHERE a.zoom_account_id = integrations.zoom_account_id
              AND a.scope_kind = integrations.scope_kind
              AND a.group_id = integrations.group_id
              AND a.action = 'consent granted'
              AND a.slack_user_id = integrations.enabled_by
            ORDER BY a.created_at DESC, a.id DESC
            LIMIT 1
        )
        WHERE enabled_by IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
