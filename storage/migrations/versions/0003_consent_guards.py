"""consent requests remember the scope's version and the Slack submission that asked

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("integration_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("request_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_consent_requests_request_key"), ["request_key"])


def downgrade() -> None:
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_consent_requests_request_key"), type_="unique")
        batch_op.drop_column("request_key")
        batch_op.drop_column("integration_version")
