"""Series packs: one download may hold several wanted books, listed in ``download_books``.

Revision ID: 0014_series_packs
Revises: 0012_download_clients
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_series_packs"
down_revision = "0012_download_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "download_books",
        sa.Column("download_id", sa.Integer(), nullable=False),
        sa.Column("missing_book_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["download_id"], ["downloads.id"], name=op.f("fk_download_books_download_id_downloads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["missing_book_id"],
            ["missing_books.id"],
            name=op.f("fk_download_books_missing_book_id_missing_books"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("download_id", "missing_book_id", name=op.f("pk_download_books")),
    )
    with op.batch_alter_table("download_books", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_books_missing_book_id"), ["missing_book_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("download_books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_download_books_missing_book_id"))
    op.drop_table("download_books")
