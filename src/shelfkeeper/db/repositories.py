"""Lookups and denormalised fields shared by the use cases that write books, authors and series."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, Series
from shelfkeeper.domain.discovery.positions import covered_positions
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import fold, normalize_title, parse_position, series_key

_Named = TypeVar("_Named", Author, Series)


def author_key(name: str) -> str:
    return normalize_author(name)


def start_following(followed: Series | Author) -> None:
    """A series or author switched to "future books only" remembers since when (the database's clock)."""
    if followed.future_only and followed.monitored_since is None:
        followed.monitored_since = func.now()
    elif not followed.future_only:
        followed.monitored_since = None


def sort_name(name: str) -> str:
    """ "Brandon Sanderson" -> "Sanderson, Brandon" (names already in that form stay)."""
    stripped = " ".join(name.split())
    if "," in stripped or " " not in stripped:
        return stripped
    first, _, last = stripped.rpartition(" ")
    return f"{last}, {first}"


def get_or_create_author(session: Session, name: str) -> Author:
    """The author with this name's key, inserted when new; safe when another transaction inserts it too."""
    key = author_key(name)
    author = session.scalar(select(Author).where(Author.name_key == key))
    if author is None:
        values = {"name": " ".join(name.split()), "name_key": key, "sort_name": sort_name(name)}
        author = _insert_or_fetch(session, Author, key, values)
    return author


def get_or_create_series(session: Session, name: str) -> Series:
    """The series with this name's key, inserted when new; safe when another transaction inserts it too."""
    key = series_key(name)
    series = session.scalar(select(Series).where(Series.name_key == key))
    if series is None:
        series = _insert_or_fetch(session, Series, key, {"name": " ".join(name.split()), "name_key": key})
    return series


def _insert_or_fetch(session: Session, entity: type[_Named], key: str, values: dict[str, Any]) -> _Named:
    """INSERT ... ON CONFLICT (name_key) DO NOTHING, then read the row: whoever inserted first, both get it.

    A plain add + flush races: two requests naming the same new author both find none, and the second
    insert hits the unique key (a 500). The conflict clause waits for the other transaction and skips.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(entity).values(**values).on_conflict_do_nothing(index_elements=["name_key"]))
    row = session.scalar(select(entity).where(entity.name_key == key))
    if row is None:  # pragma: no cover - the conflict clause guarantees a row
        raise RuntimeError(f"{entity.__name__} {key!r} vanished after its insert")
    return row


def position_sort(position: str | None) -> float | None:
    parsed = parse_position(position)
    return float(parsed[0]) if parsed else None


def set_book_people(
    session: Session,
    book: Book,
    authors: Sequence[str] | None = None,
    narrators: Sequence[str] | None = None,
    series: Sequence[tuple[str, str | None]] | None = None,
) -> set[int]:
    """Replace the book's authors, narrators and series (None leaves one alone); returns touched series ids."""
    # Sort keys first, so that the book can be flushed when a new author or series is.
    book.title_sort = normalize_title(book.title) or fold(book.title)
    with session.no_autoflush:
        touched = {link.series_id for link in book.series_links}
        if authors is not None:
            unique_authors = _unique(authors, author_key)
            book.author_links = [
                BookAuthor(author=get_or_create_author(session, name), ordinal=index)
                for index, name in enumerate(unique_authors)
            ]
            book.author_sort = sort_name(unique_authors[0]).lower() if unique_authors else ""
        if narrators is not None:
            book.narrator_links = [
                BookNarrator(name=name, ordinal=index) for index, name in enumerate(_unique(narrators, fold))
            ]
        if series is not None:
            links: list[BookSeries] = []
            seen: set[int] = set()
            for name, position in series:
                row = get_or_create_series(session, name)
                if row.id in seen:
                    continue
                seen.add(row.id)
                links.append(
                    BookSeries(series=row, series_id=row.id, position=position, position_sort=position_sort(position))
                )
            book.series_links = links
            touched |= seen
        refresh_search_fields(book)
    return touched


def refresh_search_fields(book: Book) -> None:
    """Recompute the folded text the search matches and the title sort key."""
    people = [link.author.name for link in book.author_links] + [link.name for link in book.narrator_links]
    series = [link.series.name for link in book.series_links]
    parts = [book.title, book.subtitle or "", *people, *series]
    book.search_text = " " + fold(" ".join(parts)) + " "
    book.title_sort = normalize_title(book.title) or fold(book.title)


def refresh_books_naming(session: Session, book_ids: Iterable[int]) -> None:
    """Recompute search text and author sort of books after an author or series they name was renamed or deleted."""
    ids = set(book_ids)
    if not ids:
        return
    session.flush()
    for book in session.scalars(select(Book).where(Book.id.in_(ids))).all():
        session.refresh(book, ["author_links", "narrator_links", "series_links"])  # cascaded deletes included
        refresh_search_fields(book)
        book.author_sort = sort_name(book.author_links[0].author.name).lower() if book.author_links else ""


def refresh_series_stats(session: Session, series_ids: Iterable[int]) -> None:
    """Owned count and completion (known positions owned / known positions) of each series."""
    for series_id in set(series_ids):
        series = session.get(Series, series_id)
        if series is None:
            continue
        rows = session.execute(
            select(BookSeries.position)
            .join(Book, Book.id == BookSeries.book_id)
            .where(BookSeries.series_id == series_id, Book.in_library.is_(True))
        ).all()
        labels = [position for (position,) in rows]
        series.owned_count, series.completion = series_stats(labels, series.known_positions or [], series.known_total)


def series_stats(
    labels: Sequence[str | None], known_labels: Sequence[object], known_total: int | None
) -> tuple[int, float | None]:
    """(owned count, completion) of a series from the position labels of its books in the library."""
    positions = covered_positions(labels)
    unnumbered = sum(1 for label in labels if parse_position(label) is None)
    return len(positions) + unnumbered, _completion(positions, known_labels, known_total)


def _completion(owned: set[Decimal], known_labels: Sequence[object], known_total: int | None) -> float | None:
    """Known positions owned / known positions; a novella at 1.5 does not stand in for a missing book 3."""
    known = {parsed[0] for label in known_labels if (parsed := parse_position(str(label))) is not None}
    denominator = max(known_total or 0, len(known))
    if not denominator:
        return None
    if known:
        numerator = len(known & owned)
    else:  # only a count is known: the whole positions 1..total
        numerator = sum(1 for p in owned if p == p.to_integral_value() and 1 <= p <= denominator)
    return min(1.0, numerator / denominator)


def _unique(values: Sequence[str], key: object) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        cleaned = " ".join(value.split())
        marker = key(cleaned) if callable(key) else cleaned
        if cleaned and marker not in seen:
            seen.add(marker)
            result.append(cleaned)
    return result
