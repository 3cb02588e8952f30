"""the Zoom group directory, kept in the database and refreshed from Zoom

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zoom_groups",
        sa.Column("zoom_account_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("total_members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zoom_account_id", "group_id", name=op.f("pk_zoom_groups")),
    )
    with op.batch_alter_table("zoom_groups", schema=None) as batch_op:
        batch_op.create_index("ix_zoom_groups_name_folded", ["zoom_account_id", "name_folded"], unique=False)
    op.create_table(
        "zoom_directory",
        sa.Column("zoom_account_id", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.Column("refreshing_until", sa.DateTime(), nullable=True),
        sa.Column("group_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zoom_account_id", name=op.f("pk_zoom_directory")),
    )


def downgrade() -> None:
    op.drop_table("zoom_directory")
    with op.batch_alter_table("zoom_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_zoom_groups_name_folded")
    op.drop_table("zoom_groups")
