"""Settings edited through the API and the page: one row per setting, with a version every process watches.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfkeeper.db.base

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            shelfkeeper.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stored_settings")),
    )
    with op.batch_alter_table("stored_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_settings_version"), ["version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stored_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_settings_version"))
    op.drop_table("stored_settings")
