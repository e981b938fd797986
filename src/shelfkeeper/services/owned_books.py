"""The library's books as the domain's OwnedBook, and which book of the library a wanted book already is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book, BookAuthor, BookSeries, Series
from shelfkeeper.domain.discovery.ownership import OwnedBook, OwnedIndex, title_keys
from shelfkeeper.domain.discovery.positions import covered_positions
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.text import format_position, normalize_asin, normalize_isbn, parse_position

# Titles per query: each one adds a LIKE, so long lists are asked in chunks.
_TITLES_PER_QUERY = 50


@dataclass(frozen=True)
class Owner:
    """The library book a wanted book already is, and how that was recognised."""

    book_id: int
    by: str  # "asin", "isbn", "title" or "position"
    detail: str


def owned_book(book: Book) -> OwnedBook:
    """The domain's view of one library book."""
    return OwnedBook(
        title=book.title,
        authors=tuple(link.author.name for link in book.author_links),
        asin=book.asin,
        isbn=book.isbn,
        series=tuple(SeriesRef(link.series.name, link.position) for link in book.series_links),
        language=book.language,
    )


_IN_LIBRARY = Book.in_library.is_(True)


def series_books(session: Session, series_id: int) -> list[Book]:
    """The books of the library in one series."""
    query = select(Book).join(BookSeries, BookSeries.book_id == Book.id).where(BookSeries.series_id == series_id)
    return list(session.scalars(query.where(_IN_LIBRARY)).unique())


def author_books(session: Session, author_id: int) -> list[Book]:
    """The books of the library by one author."""
    query = select(Book).join(BookAuthor, BookAuthor.book_id == Book.id).where(BookAuthor.author_id == author_id)
    return list(session.scalars(query.where(_IN_LIBRARY)).unique())


def _isbn_forms(value: str | None) -> set[str]:
    # Books keep the ISBN as the server gave it: ask for the 13-digit, the 10-digit and the raw spelling.
    if not value:
        return set()
    forms = {value.strip(), value.strip().upper()}
    thirteen = normalize_isbn(value)
    if thirteen:
        forms.add(thirteen)
        if len(thirteen) == 13 and thirteen.startswith("978") and thirteen.isdigit():
            body = thirteen[3:12]
            check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11) % 11
            forms.add(body + ("X" if check == 10 else str(check)))
    return forms


def _identifier_conditions(asins: Iterable[str | None], isbns: Iterable[str | None]) -> list[ColumnElement[bool]]:
    asin_forms = {form for a in asins if a for form in (a.strip(), normalize_asin(a) or "") if form}
    isbn_forms = {form for i in isbns for form in _isbn_forms(i)}
    conditions: list[ColumnElement[bool]] = []
    if asin_forms:
        conditions.append(Book.asin.in_(sorted(asin_forms)))
    if isbn_forms:
        conditions.append(Book.isbn.in_(sorted(isbn_forms)))
    return conditions


def _title_conditions(titles: Sequence[str]) -> list[ColumnElement[bool]]:
    keys = {key for title in titles for key in title_keys(title) if key}
    conditions: list[ColumnElement[bool]] = [Book.title_sort.in_(sorted(keys))] if keys else []
    # An owned title with a subtitle ("Elantris Tenth Anniversary Edition") starts with the wanted one.
    conditions += [Book.title_sort.startswith(key + " ", autoescape=True) for key in sorted(keys)]
    return conditions


def candidate_books(
    session: Session, titles: Iterable[str | None], asins: Iterable[str | None], isbns: Iterable[str | None]
) -> list[Book]:
    """Library books that could be one of the given books: same ASIN/ISBN, or a title that may be the same.

    Only candidates: the domain's OwnedIndex decides, so a title alone never makes a book owned here.
    """
    found: dict[int, Book] = {}
    wanted_titles = sorted({t for t in titles if t and t.strip()})
    batches: list[list[ColumnElement[bool]]] = [_identifier_conditions(asins, isbns)]
    for start in range(0, len(wanted_titles), _TITLES_PER_QUERY):
        batches.append(_title_conditions(wanted_titles[start : start + _TITLES_PER_QUERY]))
    for conditions in batches:
        if conditions:
            for book in session.scalars(select(Book).where(_IN_LIBRARY, or_(*conditions))).unique():
                found[book.id] = book
    return list(found.values())


def owned_positions(session: Session, series_id: int) -> set[str]:
    """The positions the library's books of a series cover, formatted ("1-3" gives "1", "2", "3")."""
    labels = session.scalars(
        select(BookSeries.position)
        .join(Book, Book.id == BookSeries.book_id)
        .where(BookSeries.series_id == series_id, _IN_LIBRARY)
    ).all()
    return {format_position(p) for p in covered_positions(labels)}


def find_owner(
    session: Session,
    title: str | None,
    authors: Sequence[str],
    asin: str | None,
    isbn: str | None,
    *,
    series_id: int | None = None,
    position: str | None = None,
) -> Owner | None:
    """The library book this wanted book is: by ASIN, ISBN, normalised title and author, or series position."""
    books = candidate_books(session, [title], [asin], [isbn])
    series_name = session.scalar(select(Series.name).where(Series.id == series_id)) if series_id else None
    if books:
        index = OwnedIndex(owned_book(book) for book in books)
        match = index.match(title, authors, asin, isbn, (series_name,) if series_name else ())
        if match is not None:
            holder = next(book for book in books if book.title == match.owned_title)
            return Owner(holder.id, match.by.value, match.detail)
    if series_id is None or parse_position(position) is None:
        return None
    return _position_owner(session, series_id, series_name or "", position or "")


def _position_owner(session: Session, series_id: int, series_name: str, position: str) -> Owner | None:
    wanted = covered_positions([position])
    rows = session.execute(
        select(Book.id, BookSeries.position)
        .join(BookSeries, BookSeries.book_id == Book.id)
        .where(BookSeries.series_id == series_id, _IN_LIBRARY)
    ).all()
    for book_id, label in rows:
        if wanted and wanted <= covered_positions([label]):
            return Owner(book_id, "position", f"{series_name} #{position} is owned as book {book_id} (#{label})")
    return None
