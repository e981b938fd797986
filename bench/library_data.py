"""A generator of large synthetic libraries (books with authors, narrators and series) for the benchmarks."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from shelfkeeper.db.repositories import author_key, sort_name
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, Series
from shelfkeeper.domain.text import fold, normalize_title, series_key

FIRST = [
    "Anna",
    "Brandon",
    "Chidi",
    "Dorothy",
    "Émile",
    "Farah",
    "Gustav",
    "Hiroko",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Søren",
    "Tomasz",
    "Uma",
    "Viktor",
]
LAST = [
    "Abernathy",
    "Brontë",
    "Castellanos",
    "Durand",
    "Eklund",
    "Fitzgerald",
    "García",
    "Hoffmann",
    "Ishikawa",
    "Jovanović",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Connor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sørensen",
    "Takahashi",
    "Underwood",
    "Vasquez",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zeller",
]
WORDS = [
    "Shadow",
    "Empire",
    "Winter",
    "Crown",
    "Ember",
    "Glass",
    "River",
    "Storm",
    "Iron",
    "Silent",
    "Hollow",
    "Star",
    "Ash",
    "Tide",
    "Thorn",
    "Golden",
    "Night",
    "Wolf",
    "Salt",
    "Echo",
    "Last",
    "Lost",
    "Burning",
    "Frozen",
    "Hidden",
    "Broken",
    "Eternal",
    "Quiet",
    "Wild",
    "Sunken",
]
NOUNS = [
    "Kingdom",
    "Garden",
    "Library",
    "Harbor",
    "Machine",
    "Orchard",
    "Citadel",
    "Voyage",
    "Covenant",
    "Labyrinth",
    "Archive",
    "Frontier",
    "Lantern",
    "Requiem",
    "Meridian",
    "Atlas",
]
LANGUAGES = ["English"] * 8 + ["German", "French", "Spanish"]
GENRES = ["Fantasy", "Science Fiction", "Mystery", "Thriller", "Romance", "History", "Biography", "Horror"]


@dataclass(frozen=True)
class LibraryShape:
    books: int = 50_000
    authors: int = 6_000
    series: int = 9_000
    share_in_series: float = 0.6
    seed: int = 2026


def _title(rng: random.Random) -> str:
    return (
        f"The {rng.choice(WORDS)} {rng.choice(NOUNS)}"
        if rng.random() < 0.3
        else f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)}"
    )


def load_library(engine: Engine, shape: LibraryShape = LibraryShape()) -> None:
    """Insert ``shape.books`` books with their authors, narrators and series into an empty database."""
    rng = random.Random(shape.seed)
    authors = _unique_names(rng, shape.authors)
    author_rows = [
        {"id": i + 1, "name": name, "name_key": author_key(name), "sort_name": sort_name(name)}
        for i, name in enumerate(authors)
    ]
    series_names = sorted({f"{rng.choice(WORDS)} {rng.choice(NOUNS)} Saga {n}" for n in range(shape.series)})
    series_rows = [{"id": i + 1, "name": name, "name_key": series_key(name)} for i, name in enumerate(series_names)]
    books, links, narrators, memberships = [], [], [], []
    next_position: dict[int, int] = {}
    start = datetime(2015, 1, 1, tzinfo=UTC)
    for book_id in range(1, shape.books + 1):
        title = _title(rng)
        author = rng.randrange(len(author_rows))
        narrator = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        series_part = ""
        if rng.random() < shape.share_in_series:
            series_id = rng.randrange(len(series_rows)) + 1
            position = next_position.get(series_id, 0) + 1
            next_position[series_id] = position
            memberships.append(
                {
                    "book_id": book_id,
                    "series_id": series_id,
                    "position": str(position),
                    "position_sort": float(position),
                }
            )
            series_part = series_rows[series_id - 1]["name"]
        links.append({"book_id": book_id, "author_id": author + 1, "ordinal": 0})
        narrators.append({"book_id": book_id, "name": narrator, "ordinal": 0})
        author_name = author_rows[author]["name"]
        books.append(
            {
                "id": book_id,
                "abs_id": f"li_{book_id:08d}",
                "library_id": "lib_main",
                "title": title,
                "title_sort": normalize_title(title),
                "author_sort": sort_name(author_name).lower(),
                "asin": f"B{book_id:09d}" if rng.random() < 0.7 else None,
                "published_year": rng.randint(1950, 2026),
                "language": rng.choice(LANGUAGES),
                "genres": [rng.choice(GENRES)],
                "duration_seconds": rng.uniform(3600, 40 * 3600),
                "size_bytes": rng.randint(50, 2000) * 1_000_000,
                "format": "m4b",
                "metadata_status": rng.choice(["unchecked", "ok", "corrected", "needs_review"]),
                "has_cover": rng.random() < 0.9,
                "in_library": rng.random() < 0.98,
                "abs_added_at": start + timedelta(minutes=book_id * 7),
                "search_text": " " + fold(" ".join([title, author_name, narrator, series_part])) + " ",
                "extra": {},
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Author), author_rows)
        connection.execute(insert(Series), series_rows)
        for start, end in _book_chunks(len(books)):
            if engine.dialect.name == "sqlite":
                connection.execute(insert(Book), books[start:end])
                continue
            # Multi-row statements of a hundred books, as the sync writes them (RETURNING makes SQLAlchemy send
            # them that way): psycopg's executemany sends a statement per book, and each fires the statement-level
            # triggers of 0019/0020 (50,000 delta rows in book_list_count instead of 500, 275 pages of it left).
            connection.execute(
                insert(Book).returning(Book.id).execution_options(insertmanyvalues_page_size=100),
                books[start:end],
            ).all()
            # What autovacuum does as a table grows, here inside the one loading transaction: fresh statistics.
            # The foreign-key check of every word row book_list_words' trigger writes keeps the plan it made while
            # books was nearly empty (a scan of the whole table) until the statistics change: without this the
            # load grew with the square of the books (50,000: over 15 minutes).
            connection.exec_driver_sql("ANALYZE books")
        connection.execute(insert(BookAuthor), links)
        connection.execute(insert(BookNarrator), narrators)
        connection.execute(insert(BookSeries), memberships)
        if engine.dialect.name == "postgresql":
            for table in ("books", "authors", "series"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
        else:
            connection.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics, and the visibility map index-only scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def _book_chunks(count: int) -> list[tuple[int, int]]:
    """Ranges of the books to insert one statement each: a small first one (statistics are taken after each),
    then 5,000 at a time."""
    bounds = [0, *range(min(count, 500), count, 5000), count]
    return [(start, end) for start, end in itertools.pairwise(bounds) if end > start]


def _unique_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(FIRST)} {rng.choice(FIRST)[0]}. {rng.choice(LAST)}")
    return sorted(names)
