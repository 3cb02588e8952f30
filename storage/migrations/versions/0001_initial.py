"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_events",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("slack_team_id", sa.String(length=32), nullable=False),
    sa.Column("slack_user_id", sa.String(length=32), nullable=False),
    sa.Column("zoom_account_id", sa.String(length=64), nullable=False),
    sa.Column("scope_kind", sa.String(length=16), nullable=False),
    sa.Column("group_id", sa.String(length=64), nullable=False),
    sa.Column("scope_name", sa.String(length=255), nullable=False),
    sa.Column("action", sa.String(length=32), nullable=False),
    sa.Column("outcome", sa.String(length=32), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("correlation_id", sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events"))
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_created_at", ["created_at"], unique=False)

    op.create_table("consent_requests",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("state_hash", sa.String(length=64), nullable=False),
    sa.Column("slack_team_id", sa.String(length=32), nullable=False),
    sa.Column("slack_user_id", sa.String(length=32), nullable=False),
    sa.Column("zoom_account_id", sa.String(length=64), nullable=False),
    sa.Column("scope_kind", sa.String(length=16), nullable=False),
    sa.Column("group_id", sa.String(length=64), nullable=False),
    sa.Column("scope_name", sa.String(length=255), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
    sa.Column("used_at", sa.DateTime(), nullable=True),
    sa.Column("correlation_id", sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
    sa.UniqueConstraint("state_hash", name=op.f("uq_consent_requests_state_hash"))
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index("ix_consent_requests_expires_at", ["expires_at"], unique=False)

    op.create_table("integrations",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("zoom_account_id", sa.String(length=64), nullable=False),
    sa.Column("scope_kind", sa.String(length=16), nullable=False),
    sa.Column("group_id", sa.String(length=64), nullable=False),
    sa.Column("scope_name", sa.String(length=255), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("updated_by", sa.String(length=32), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Column("enabled_by", sa.String(length=32), nullable=True),
    sa.Column("enabled_at", sa.DateTime(), nullable=True),
    sa.Column("last_verified_at", sa.DateTime(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    sa.UniqueConstraint("zoom_account_id", "scope_kind", "group_id", name="uq_integrations_scope")
    )
    op.create_table("credentials",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("integration_id", sa.Integer(), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], name=op.f("fk_credentials_integration_id_integrations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    sa.UniqueConstraint("integration_id", name=op.f("uq_credentials_integration_id"))
    )


def downgrade() -> None:
    op.drop_table("credentials")
    op.drop_table("integrations")
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_requests_expires_at")

    op.drop_table("consent_requests")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_created_at")

    op.drop_table("audit_events")
