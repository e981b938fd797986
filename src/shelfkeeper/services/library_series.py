"""Library sync's series and people, set-based: looked up once per page, created in bulk, renamed by id.

Every function works inside the caller's unit of work and never commits; none makes a network call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shelfkeeper.db.base import core_table
from shelfkeeper.db.repositories import refresh_books_naming, series_stats, sort_name
from shelfkeeper.db.tables import Author, Book, BookSeries, Series, WantedBook
from shelfkeeper.domain import text
from shelfkeeper.domain.library.items import LibrarySeries
from shelfkeeper.domain.library.sync import renamed_in_joined

SOURCE_KEY = "audiobookshelf"  # Book.extra[SOURCE_KEY]: what the book remembers of its item
CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
SERIES_NAME_LENGTH = 500

# Uncached: a series is named on few pages (its books come together), and the domain's cache would keep every
# series of the library for the rest of the process.
series_key: Callable[[str], str] = text.series_key.__wrapped__


def chunks(values: Sequence[object], size: int = CHUNK) -> Iterable[list[object]]:
    """``values`` in lists for ``IN (...)``: at most ``size`` each, every one ``padded``."""
    for start in range(0, len(values), size):
        yield padded(values[start : start + size], size)


def padded(values: Sequence[object], ceiling: int = CHUNK) -> list[object]:
    """``values`` repeated at the end up to the next power of two (8 at least, ``ceiling`` at most).

    A page's look-ups then take a handful of statement shapes instead of one per list length: SQLite's driver
    keeps every shape it prepares (a hundred of them per connection, tens of KiB each), PostgreSQL's fewer plans.
    A value repeated in ``IN (...)`` changes nothing.
    """
    width = 8
    while width < len(values):
        width *= 2
    width = min(width, max(ceiling, len(values)))
    return [*values, *[values[-1]] * (width - len(values))] if values else []


def stored_series_name(name: str) -> str:
    return " ".join(name.replace("\x00", "").split())[:SERIES_NAME_LENGTH]


def ensure_authors(session: Session, names: Mapping[str, str]) -> dict[str, int]:
    """Author key -> id for ``names`` (key -> name as written), the missing ones inserted in one statement."""
    keys = list(names)
    found: dict[str, int] = {}
    for chunk in chunks(keys):
        found.update(
            {
                key: id_
                for id_, key in session.execute(select(Author.id, Author.name_key).where(Author.name_key.in_(chunk)))
            }
        )
    missing = [key for key in keys if key not in found]
    if missing:
        rows = [{"name": " ".join(names[k].split()), "name_key": k, "sort_name": sort_name(names[k])} for k in missing]
        session.execute(insert(Author), rows)
        for chunk in chunks(missing):
            query = select(Author.id, Author.name_key).where(Author.name_key.in_(chunk))
            found.update({key: id_ for id_, key in session.execute(query)})
    return found


@dataclass(frozen=True, slots=True)
class SeriesWanted:
    """A series a book of the page belongs to: its Audiobookshelf id when known, and its name."""

    abs_id: str | None
    name: str


def ensure_series(session: Session, wanted: Collection[SeriesWanted]) -> dict[SeriesWanted, int]:
    """Series row id for each wanted series: by Audiobookshelf id first, then by normalised name; new ones
    inserted together. A row found by name without an id learns the id; one with another id keeps its own."""
    by_key = {w: series_key(stored_series_name(w.name)) for w in wanted}
    abs_ids = sorted({w.abs_id for w in wanted if w.abs_id})
    keys = sorted(set(by_key.values()))
    rows: dict[int, tuple[str | None, str]] = {}
    for chunk in chunks(abs_ids):
        query = select(Series.id, Series.abs_id, Series.name_key).where(Series.abs_id.in_(chunk))
        rows.update({id_: (abs_id, key) for id_, abs_id, key in session.execute(query)})
    for chunk in chunks(keys):
        query = select(Series.id, Series.abs_id, Series.name_key).where(Series.name_key.in_(chunk))
        rows.update({id_: (abs_id, key) for id_, abs_id, key in session.execute(query)})
    by_abs = {abs_id: id_ for id_, (abs_id, _) in rows.items() if abs_id}
    by_name = {key: id_ for id_, (_, key) in rows.items()}
    result: dict[SeriesWanted, int] = {}
    learnt: dict[int, str] = {}
    new: dict[str, dict[str, object]] = {}
    for w in wanted:
        found = by_abs.get(w.abs_id or "") or by_name.get(by_key[w])
        if found is not None:
            result[w] = found
            if w.abs_id and rows.get(found, (None, ""))[0] is None and found not in learnt:
                learnt[found] = w.abs_id
        elif by_key[w] not in new:
            new[by_key[w]] = {"name": stored_series_name(w.name), "name_key": by_key[w], "abs_id": w.abs_id}
    if learnt:
        session.execute(update(Series), [{"id": id_, "abs_id": abs_id} for id_, abs_id in learnt.items()])
    if new:
        session.execute(insert(Series), list(new.values()))
        for chunk in chunks(list(new)):
            inserted = select(Series.id, Series.name_key).where(Series.name_key.in_(chunk))
            by_name.update({key: id_ for id_, key in session.execute(inserted)})
        for w in wanted:
            result.setdefault(w, by_name[by_key[w]])
    return result


def refresh_stats(session: Session, series_ids: Iterable[int]) -> None:
    """Owned count and completion of the series, read in one grouped statement per chunk; only changes written."""
    ids = sorted(set(series_ids))
    for chunk in chunks(ids):
        labels: defaultdict[int, list[str | None]] = defaultdict(list)
        # Presence is read, not filtered on: a filter on the indexed in_library would lead SQLite (no statistics)
        # to walk every book of the library for each chunk instead of the chunk's series' links.
        query = (
            select(BookSeries.series_id, BookSeries.position, Book.in_library)
            .join(Book, Book.id == BookSeries.book_id)
            .where(BookSeries.series_id.in_(chunk))
        )
        for series_id, position, present in session.execute(query):
            if present:
                labels[series_id].append(position)
        changes = []
        stats = select(Series.id, Series.known_positions, Series.known_total, Series.owned_count, Series.completion)
        for id_, known, total, owned, completion in session.execute(stats.where(Series.id.in_(chunk))):
            new_owned, new_completion = series_stats(labels.get(id_, []), known or [], total)
            if (new_owned, new_completion) != (owned, completion):
                changes.append({"id": id_, "owned_count": new_owned, "completion": new_completion})
        if changes:
            session.execute(update(Series), changes)


def series_of_books(session: Session, book_ids: Collection[int]) -> set[int]:
    """The series the books belong to (for the statistics to refresh after they change)."""
    found: set[int] = set()
    for chunk in chunks(sorted(book_ids)):
        found.update(session.scalars(select(BookSeries.series_id).where(BookSeries.book_id.in_(chunk))))
    return found


def apply_series_names(session: Session, listed: Sequence[LibrarySeries]) -> tuple[int, list[str]]:
    """Follow renames made in Audiobookshelf: a series known by its id takes the listed name (no second row).

    When the new name is already another row's (one without an Audiobookshelf id, or with this one), that
    row is folded into this one: its books and wanted books move over. Returns (renamed, notes).
    """
    names = {series.id: stored_series_name(series.name) for series in listed if series.name.strip()}
    # Every series row with an Audiobookshelf id in one read of three columns, without the ORM (a library's
    # series are nearly all listed); renames are followed in the order of their ids.
    table = core_table(Series)
    query = select(table.c.abs_id, table.c.id, table.c.name).where(table.c.abs_id.is_not(None))
    renamed: list[tuple[int, str, str]] = [
        (id_, names[abs_id], name)
        for abs_id, id_, name in sorted(session.connection().execute(query))
        if abs_id in names and names[abs_id] != name
    ]
    notes: list[str] = []
    books: set[int] = set()
    for id_, new_name, old_name in renamed:
        new_key = series_key(new_name)
        other = session.execute(
            select(Series.id, Series.abs_id).where(Series.name_key == new_key, Series.id != id_)
        ).first()
        if other is not None:
            own_abs = session.scalar(select(Series.abs_id).where(Series.id == id_))
            if other.abs_id not in (None, own_abs):
                notes.append(f"series {new_name!r}: another Audiobookshelf series has that name here; not renamed")
                continue
            books |= _fold_into(session, other.id, id_)
        session.execute(update(Series).where(Series.id == id_).values(name=new_name, name_key=new_key))
        linked = set(session.scalars(select(BookSeries.book_id).where(BookSeries.series_id == id_)))
        _rename_in_sources(session, linked, old_name, new_name)
        books |= linked
    if books:
        refresh_books_naming(session, books)
        refresh_stats(session, {id_ for id_, _, _ in renamed})
    return len(renamed) - len(notes), notes


def _rename_in_sources(session: Session, book_ids: Collection[int], old: str, new: str) -> None:
    """The books' remembered series text (``extra["audiobookshelf"]["series"]``, the item's joined
    ``seriesName``) follows the rename, as Audiobookshelf's own ``seriesName`` does, without the item changing."""
    changes = []
    for chunk in chunks(sorted(book_ids)):
        for id_, extra in session.execute(select(Book.id, Book.extra).where(Book.id.in_(chunk))):
            source = (extra or {}).get(SOURCE_KEY)
            if not isinstance(source, dict) or not isinstance(joined := source.get("series"), str) or not joined:
                continue
            if (text_now := renamed_in_joined(joined, old, new)) != joined:
                changes.append({"id": id_, "extra": {**(extra or {}), SOURCE_KEY: {**source, "series": text_now}}})
    if changes:
        session.execute(update(Book), changes)


def _fold_into(session: Session, source: int, target: int) -> set[int]:
    """Move the books and wanted books of series ``source`` to ``target``, then delete ``source``."""
    already = set(session.scalars(select(BookSeries.book_id).where(BookSeries.series_id == target)))
    moving = set(session.scalars(select(BookSeries.book_id).where(BookSeries.series_id == source)))
    movable = sorted(moving - already)
    if movable:
        session.execute(
            update(BookSeries)
            .where(BookSeries.series_id == source, BookSeries.book_id.in_(movable))
            .values(series_id=target)
        )
    session.execute(delete(BookSeries).where(BookSeries.series_id == source))
    session.execute(update(WantedBook).where(WantedBook.series_id == source).values(series_id=target))
    session.execute(delete(Series).where(Series.id == source))
    return moving
