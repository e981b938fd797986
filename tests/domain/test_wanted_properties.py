"""Properties of the wanted list: no owned book is ever listed as missing, and nothing known is silently lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.discovery.author_catalogue import OwnedBook, merge_catalogue, wanted_key
from shelfkeeper.domain.discovery.ownership import OwnedIndex, title_keys
from shelfkeeper.domain.discovery.series_gaps import Gap, SeriesEntry, find_all_series_gaps, find_series_gaps
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import normalize_asin, normalize_isbn, normalize_title

TODAY = date(2025, 6, 1)
SERIES = "The Expanse"
# Spellings of one series, and another series; the oracle below says which is which without the code under test.
SERIES_NAMES = ["The Expanse", "Expanse", "the expanse series", "Mistborn"]
SAME_SERIES = {"The Expanse", "Expanse", "the expanse series"}
# Every label the strategies draw, with the positions it means, written out by hand as the oracle.
LABELS: dict[str | None, set[Decimal]] = {
    None: set(),
    "0": {Decimal(0)},
    "0.5": {Decimal("0.5")},
    "1": {Decimal(1)},
    "1.5": {Decimal("1.5")},
    "2": {Decimal(2)},
    "Book 2": {Decimal(2)},
    "3": {Decimal(3)},
    "4": {Decimal(4)},
    "5": {Decimal(5)},
    "7": {Decimal(7)},
    "1-3": {Decimal(1), Decimal(2), Decimal(3)},
    "2-4": {Decimal(2), Decimal(3), Decimal(4)},
    "01-03, 2.5": {Decimal(1), Decimal(2), Decimal("2.5"), Decimal(3)},
    "2, Dramatized Adaptation": {Decimal(2)},
}
BASE_TITLES = ["Leviathan Wakes", "Caliban's War", "Abaddon's Gate", "Cibola Burn", "The Final Empire", "Elantris"]
AUTHORS = ["James S. A. Corey", "Corey, James S.A.", "Ann Leckie", "Brandon Sanderson", "Sanderson, Brandon"]
SOURCES = ["audible", "audnexus", "google_books", "openlibrary", "mam"]

titles = st.sampled_from(BASE_TITLES).flatmap(
    lambda t: st.sampled_from([t, t.upper(), f"{t} (Unabridged)", f"{t}: A Novel", f"{t}: Special Edition"])
)
authors = st.lists(st.sampled_from(AUTHORS), max_size=2).map(tuple)
asins = st.sampled_from([None, "B001", "b001", "B002", "B003"])
isbns = st.sampled_from([None, "0765350378", "978-0-7653-5037-4", "9780000000002"])
refs = st.builds(SeriesRef, st.sampled_from(SERIES_NAMES), st.sampled_from(list(LABELS)))
dates = st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2030, 12, 31)))
owned_books = st.lists(
    st.builds(OwnedBook, titles, authors, asins, isbns, st.lists(refs, max_size=2).map(tuple)), max_size=6
)
entries = st.lists(
    st.builds(
        SeriesEntry,
        series=st.sampled_from(SERIES_NAMES),
        position=st.sampled_from(list(LABELS)),
        title=st.one_of(st.none(), titles),
        source=st.sampled_from(SOURCES),
        authors=authors,
        asin=asins,
        isbn=isbns,
        release_date=dates,
    ),
    max_size=10,
).map(lambda found: [replace(entry, source_id=f"entry-{i}") for i, entry in enumerate(found)])


def owned_positions(owned: list[OwnedBook]) -> set[Decimal]:
    return {p for book in owned for ref in book.series if ref.name in SAME_SERIES for p in LABELS[ref.sequence]}


def owned_identifiers(owned: list[OwnedBook]) -> set[str]:
    asins = {f"asin:{normalize_asin(book.asin)}" for book in owned if book.asin}
    return asins | {f"isbn:{normalize_isbn(book.isbn)}" for book in owned if book.isbn}


def identifiers(asin: str | None, isbn: str | None) -> set[str]:
    return ({f"asin:{normalize_asin(asin)}"} if asin else set()) | ({f"isbn:{normalize_isbn(isbn)}"} if isbn else set())


def owned_by_title(title: str | None, names: tuple[str, ...], owned: list[OwnedBook]) -> bool:
    """The promise's own test: the same normalised title and one normalised author in common."""
    wanted = {normalize_author(name) for name in names}
    return title is not None and any(
        normalize_title(book.title) == normalize_title(title) and wanted & {normalize_author(a) for a in book.authors}
        for book in owned
    )


def loosely_owned(entry: SeriesEntry, owned: list[OwnedBook]) -> bool:
    """Owned by identifier, or some owned title shares a full or main title with it (looser than the code)."""
    if identifiers(entry.asin, entry.isbn) & owned_identifiers(owned):
        return True
    if entry.title is None:
        return False
    mine = {normalize_title(entry.title), normalize_title(entry.title.split(":")[0])}
    return any(mine & {normalize_title(b.title), normalize_title(b.title.split(":")[0])} for b in owned)


@settings(max_examples=400, deadline=None)
@given(owned=owned_books, known=entries)
def test_no_gap_is_an_owned_book(owned: list[OwnedBook], known: list[SeriesEntry]) -> None:
    gaps = find_series_gaps(SERIES, owned, known, today=TODAY)
    covered, owned_ids = owned_positions(owned), owned_identifiers(owned)
    by_id = {entry.source_id: entry for entry in known}
    for gap in gaps:
        assert gap.position is None or Decimal(gap.position) not in covered, gap
        assert not identifiers(gap.asin, gap.isbn) & owned_ids, gap
        assert not owned_by_title(gap.title, gap.authors, owned), gap
        for source in _listed(gap, "sources"):
            entry = by_id[str(source["source_id"])]
            assert not identifiers(entry.asin, entry.isbn) & owned_ids, (gap, entry)
            assert not entry.authors or not owned_by_title(entry.title, entry.authors, owned), (gap, entry)


@settings(max_examples=400, deadline=None)
@given(owned=owned_books, known=entries)
def test_every_hole_and_every_known_book_is_accounted_for(owned: list[OwnedBook], known: list[SeriesEntry]) -> None:
    gaps = find_series_gaps(SERIES, owned, known, today=TODAY)
    in_series = [entry for entry in known if entry.series in SAME_SERIES]
    owned_entries = [entry for entry in in_series if loosely_owned(entry, owned)]
    covered = owned_positions(owned) | {p for entry in owned_entries for p in LABELS[entry.position]}
    gap_positions = {Decimal(gap.position) for gap in gaps if gap.position is not None}
    top = max(owned_positions(owned), default=Decimal(0))
    for number in range(1, int(top) + 1):
        assert Decimal(number) in covered | gap_positions, number
    shown = {str(s["source_id"]) for gap in gaps for key in ("sources", "available_in") for s in _listed(gap, key)}
    settled = owned_entries + [e for e in in_series if LABELS[e.position] and LABELS[e.position] <= covered]
    settled_ids = {i for e in settled for i in identifiers(e.asin, e.isbn) | _title_id(e.title)}
    for entry in in_series:
        names_nothing = not (entry.position or entry.title or entry.asin or entry.isbn)
        accounted = names_nothing or entry.source_id in shown or entry in settled
        assert accounted or (identifiers(entry.asin, entry.isbn) | _title_id(entry.title)) & settled_ids, entry


def _listed(gap: Gap, key: str) -> list[dict[str, object]]:
    found = gap.evidence.get(key, [])
    assert isinstance(found, list)
    return found


def _title_id(title: str | None) -> set[str]:
    return {f"title:{normalize_title(title)}"} if title else set()


TITLE_RANGES = {"Books 1-3 Box Set": {Decimal(1), Decimal(2), Decimal(3)}}
box_titles = st.sampled_from(["Mistborn Trilogy Boxed Set", "Books 1-3 Box Set", "The Expanse Omnibus"])
candidates = st.lists(
    st.builds(
        BookCandidate,
        source=st.sampled_from(SOURCES),
        source_id=st.just(""),
        title=st.one_of(titles, box_titles),
        authors=authors,
        series=st.lists(refs, max_size=2).map(tuple),
        asin=asins,
        isbn=isbns,
        release_date=dates,
        language=st.sampled_from([None, "en", "eng", "English", "de", "german"]),
    ),
    max_size=10,
).map(lambda found: [replace(c, source_id=f"c{i}") for i, c in enumerate(found)])


@settings(max_examples=400, deadline=None)
@given(
    owned=owned_books,
    found=candidates,
    languages=st.sets(st.sampled_from(["en", "German"])),
    names=st.sets(st.sampled_from(AUTHORS)),
)
def test_no_catalogue_book_is_owned_and_every_candidate_is_accounted_for(
    owned: list[OwnedBook], found: list[BookCandidate], languages: set[str], names: set[str]
) -> None:
    result = merge_catalogue(found, owned, languages=languages, today=TODAY, author_names=names)
    owned_ids = owned_identifiers(owned)
    for book in (*result.books, *result.collections):
        assert not {f"asin:{a}" for a in book.asins} & owned_ids, book
        assert not {f"isbn:{i}" for i in book.isbns} & owned_ids, book
        assert not owned_by_title(book.title, book.authors, owned), book
        for ref in book.series:
            claimed = _claimed(ref, book.title)
            mine = {p for b in owned for r in b.series if _same_series(r.name, ref.name) for p in LABELS[r.sequence]}
            assert not claimed or not claimed <= mine, (book, ref)
    listed = [s for book in (*result.books, *result.collections) for s in book.sources]
    left_out = [s for exclusion in result.excluded for s in exclusion.sources]
    assert Counter(listed + left_out) == Counter(f"{c.source}:{c.source_id}" for c in found)


def _claimed(ref: SeriesRef, title: str) -> set[Decimal]:
    # A box set listed at one position within the range its title states holds the whole range.
    stated = TITLE_RANGES.get(title, set())
    claimed = LABELS[ref.sequence]
    if stated and len(claimed) <= 1 and all(min(stated) <= p <= max(stated) for p in claimed):
        return claimed | stated
    return claimed


def _same_series(left: str, right: str) -> bool:
    return left == right or {left, right} <= SAME_SERIES


@given(
    title=st.sampled_from(BASE_TITLES),
    dress=st.sampled_from(["{}", "{} (Unabridged)", "{}: The Expanse, Book 3", "  {}  ", "{} [Audiobook]"]),
    upper=st.booleans(),
    author=st.sampled_from(["James S. A. Corey", "Corey, James S.A.", "JAMES S.A. COREY", "James S A Corey"]),
)
def test_wanted_key_ignores_edition_noise_case_and_name_order(title: str, dress: str, upper: bool, author: str) -> None:
    spelled = dress.format(title)
    assert wanted_key(spelled.upper() if upper else spelled, author) == wanted_key(title, "James S. A. Corey")


@settings(max_examples=300, deadline=None)
@given(owned=owned_books, known=entries)
def test_the_whole_library_at_once_decides_as_series_by_series(
    owned: list[OwnedBook], known: list[SeriesEntry]
) -> None:
    """One index (its title keys read once) and entries bucketed by series give what each series alone gives."""
    index = OwnedIndex(owned)
    together = find_all_series_gaps(index, known, today=TODAY)
    assert list(together) == index.series_names()
    for name, gaps in together.items():
        alone = find_series_gaps(name, owned, known, today=TODAY)
        assert [(gap, gap.evidence) for gap in gaps] == [(gap, gap.evidence) for gap in alone]


@given(st.lists(st.one_of(titles, st.text(max_size=20)), max_size=8))
def test_an_index_reads_each_title_as_title_keys_does(found: list[str]) -> None:
    index = OwnedIndex([OwnedBook(title) for title in found[::2]])
    assert [index.title_keys(title) for title in found] == [title_keys(title) for title in found]
