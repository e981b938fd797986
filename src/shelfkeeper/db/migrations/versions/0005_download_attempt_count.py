"""Downloads count their failed attempts in a column, ``attempt_count``, filled from ``release.failures``.

Until now the attempt number was ``len(release["failures"])``; the list stays as the history of each failure,
the column is the count the retry rule reads. SQLite's batch mode adds the column in place (no rebuild).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _failures(release: Any) -> int:
    value = json.loads(release) if isinstance(release, str) else release
    failures = value.get("failures") if isinstance(value, dict) else None
    return len(failures) if isinstance(failures, list) else 0


def upgrade() -> None:
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_count", sa.Integer(), server_default="0", nullable=False))
    connection = op.get_bind()
    downloads = sa.table("downloads", sa.column("id", sa.Integer()), sa.column("release", sa.Text()),
                         sa.column("attempt_count", sa.Integer()))  # fmt: skip
    rows = connection.execute(sa.select(downloads.c.id, sa.cast(downloads.c.release, sa.Text()))).all()
    for download_id, release in rows:
        counted = _failures(release) if release else 0
        if counted:
            connection.execute(downloads.update().where(downloads.c.id == download_id).values(attempt_count=counted))


def downgrade() -> None:
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.drop_column("attempt_count")
