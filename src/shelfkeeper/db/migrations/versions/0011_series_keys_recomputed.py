"""Series name keys recomputed with the one series_key of domain/text ("The Expanse Series" -> "expanse").

Rows whose new key another row already holds keep their old key (two series that now compare equal are left for
a person to merge); nothing else changes. The downgrade leaves the keys as they are: both forms find the rows.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from shelfkeeper.domain.text import series_key

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    series = sa.table(
        "series", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_key", sa.String)
    )
    rows = connection.execute(sa.select(series.c.id, series.c.name, series.c.name_key)).all()
    taken = {row.name_key for row in rows}
    for row in rows:
        key = series_key(row.name)
        if key == row.name_key or key in taken or not key:
            continue
        connection.execute(sa.update(series).where(series.c.id == row.id).values(name_key=key))
        taken.discard(row.name_key)
        taken.add(key)


def downgrade() -> None:
    """Nothing to undo: the recomputed keys are valid under the previous rule's lookups too."""
