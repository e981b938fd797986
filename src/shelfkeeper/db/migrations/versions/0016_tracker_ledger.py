"""The MAM ledger: bonus-store purchases and wedges spent (what, cost, MAM's answer) and account stats over time.

Revision ID: 0016_tracker_ledger
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfkeeper.db.base

revision = "0016_tracker_ledger"
down_revision = "0010"
branch_labels = None
depends_on = None


def _at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("at", shelfkeeper.db.base.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tracker_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        _at(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("torrent_id", sa.BigInteger(), nullable=True),
        sa.Column("wanted_book_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("cost_points", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_purchases")),
    )
    for column in ("at", "kind", "wanted_book_id"):
        op.create_index(op.f(f"ix_tracker_purchases_{column}"), "tracker_purchases", [column])
    op.create_table(
        "tracker_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        _at(),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("uploaded_bytes", sa.BigInteger(), nullable=True),
        sa.Column("downloaded_bytes", sa.BigInteger(), nullable=True),
        sa.Column("bonus_points", sa.Float(), nullable=True),
        sa.Column("wedges", sa.Integer(), nullable=True),
        sa.Column("user_class", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_snapshots")),
    )
    op.create_index(op.f("ix_tracker_snapshots_at"), "tracker_snapshots", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tracker_snapshots_at"), table_name="tracker_snapshots")
    op.drop_table("tracker_snapshots")
    for column in ("at", "kind", "wanted_book_id"):
        op.drop_index(op.f(f"ix_tracker_purchases_{column}"), table_name="tracker_purchases")
    op.drop_table("tracker_purchases")
