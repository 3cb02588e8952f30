"""Slack OAuth states: rows are used states only, each once

States are now signed and cost no row to issue; a row records a used state (its hash) until
it expires, and the unique index makes a second use fail atomically. The rows already there
are states the old store issued, unusable now, so they go.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM slack_oauth_states"))
    op.create_index("slack_oauth_states_state", "slack_oauth_states", ["state"], unique=True)


def downgrade() -> None:
    op.drop_index("slack_oauth_states_state", table_name="slack_oauth_states")
