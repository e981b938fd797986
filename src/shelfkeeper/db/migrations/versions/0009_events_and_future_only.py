"""The events table (history and notifications) and "future books only" for followed series and authors.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfkeeper.db.base

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None

FOLLOWED = ("series", "authors")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=True),
        sa.Column("wanted_book_id", sa.Integer(), nullable=True),
        sa.Column("download_id", sa.Integer(), nullable=True),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "created_at",
            shelfkeeper.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    for column in ("type", "book_id", "wanted_book_id", "download_id", "created_at"):
        op.create_index(op.f(f"ix_events_{column}"), "events", [column])
    for table in FOLLOWED:
        op.add_column(table, sa.Column("future_only", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        op.add_column(
            table, sa.Column("monitored_since", shelfkeeper.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    for table in FOLLOWED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("monitored_since")
            batch_op.drop_column("future_only")
    for column in ("type", "book_id", "wanted_book_id", "download_id", "created_at"):
        op.drop_index(op.f(f"ix_events_{column}"), table_name="events")
    op.drop_table("events")
