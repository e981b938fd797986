"""Indexes on every remaining column a list sorts on: updated_at, download progress, task duration, confidence.

Plain CREATE INDEX (no batch rebuild), so SQLite keeps the books table's full-text triggers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_books_updated_at", "books", "updated_at"),
    ("ix_series_updated_at", "series", "updated_at"),
    ("ix_authors_updated_at", "authors", "updated_at"),
    ("ix_missing_books_updated_at", "missing_books", "updated_at"),
    ("ix_downloads_updated_at", "downloads", "updated_at"),
    ("ix_downloads_progress", "downloads", "progress"),
    ("ix_tasks_duration_seconds", "tasks", "duration_seconds"),
    ("ix_metadata_corrections_confidence", "metadata_corrections", "confidence"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
