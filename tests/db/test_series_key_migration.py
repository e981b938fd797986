"""Migration 0011 recomputes series keys with domain/text's series_key, leaving a row whose new key is taken."""

from __future__ import annotations

from sqlalchemy import text

from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.session import make_engine


def test_series_keys_are_recomputed_unless_taken(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0009")
    with engine.begin() as connection:
        for name, key in (
            ("The Expanse Series", "expanse series"),
            ("Mistborn Saga", "mistborn saga"),
            ("Mistborn", "mistborn"),
            ("Dune", "dune"),
        ):
            connection.execute(
                text(
                    "INSERT INTO series (name, name_key, provider_ids, known_positions, owned_count, monitored, "
                    "future_only) VALUES (:n, :k, '{}', '[]', 0, 1, 0)"
                ),
                {"n": name, "k": key},
            )
    upgrade(engine)
    with engine.connect() as connection:
        keys = dict(connection.execute(text("SELECT name, name_key FROM series")).all())
    assert keys == {"The Expanse Series": "expanse", "Mistborn Saga": "mistborn saga", "Mistborn": "mistborn",
                    "Dune": "dune"}  # fmt: skip
    engine.dispose()
