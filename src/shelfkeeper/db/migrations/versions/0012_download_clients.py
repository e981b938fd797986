"""Downloads name the download client that holds them (``download_client``): several clients may be in use.

Every download recorded before this was sent to qBittorrent, the only client there was: the rows that reached a
client (any status but queued) are filled with "qbittorrent"; a queued row is placed by the next run.

Revision ID: 0012_download_clients
Revises: 0016_tracker_ledger
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_download_clients"
down_revision = "0016_tracker_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("download_client", sa.String(length=40), nullable=True))
    downloads = sa.table("downloads", sa.column("status", sa.String()), sa.column("download_client", sa.String()))
    op.get_bind().execute(
        downloads.update().where(downloads.c.status != "queued").values(download_client="qbittorrent")
    )


def downgrade() -> None:
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.drop_column("download_client")
