"""In-memory metadata sources: ports.BookCatalog (Google Books, Open Library), ports.AudiobookCatalog (Audible)
and ports.AsinDirectory (Audnexus)."""

from __future__ import annotations

from collections.abc import Iterable

from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.doubles.recorder import Recorder, words


class InMemoryBookCatalog(Recorder):
    """Books and authors in lists: a search matches every word of the title and author asked for, or the ISBN/ASIN."""

    def __init__(
        self, name: str = "google_books", books: Iterable[BookCandidate] = (), authors: Iterable[AuthorProfile] = ()
    ) -> None:
        super().__init__(name)
        self.name = name
        self.books: list[BookCandidate] = list(books)
        self.authors: list[AuthorProfile] = list(authors)

    def _matches(self, book: BookCandidate, query: BookQuery) -> bool:
        if query.isbn or query.asin:
            return bool((query.isbn and book.isbn == query.isbn) or (query.asin and book.asin == query.asin))
        asked = words(query.title, query.author, query.series, query.narrator)
        held = words(book.title, book.subtitle, *book.authors, *book.narrators, *(ref.name for ref in book.series))
        return bool(asked) and asked <= held

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]:
        self._enter("search", query, limit)
        return [book for book in self.books if self._matches(book, query)][:limit]

    async def by_id(self, identifier: str) -> BookCandidate | None:
        self._enter("by_id", identifier)
        return next((b for b in self.books if identifier in (b.source_id, b.isbn, b.asin)), None)

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]:
        self._enter("author_books", author, author_id)
        name = words(author)
        return [book for book in self.books if any(words(person) == name for person in book.authors)]

    async def find_author(self, name: str) -> AuthorProfile | None:
        self._enter("find_author", name)
        return next((profile for profile in self.authors if words(profile.name) == words(name)), None)


class InMemoryAudiobookCatalog(InMemoryBookCatalog):
    """Audible: a search can answer bare ASINs."""

    def __init__(
        self, books: Iterable[BookCandidate] = (), authors: Iterable[AuthorProfile] = (), *, region: str = "us"
    ) -> None:
        super().__init__("audible", books, authors)
        self.region = region

    async def search_asins(self, query: BookQuery, *, limit: int = 10) -> list[str]:
        self._enter("search_asins", query, limit)
        return [book.asin for book in self.books if book.asin and self._matches(book, query)][:limit]


class InMemoryAsinDirectory(InMemoryBookCatalog):
    """Audnexus: books and authors by ASIN."""

    def __init__(
        self, books: Iterable[BookCandidate] = (), authors: Iterable[AuthorProfile] = (), *, region: str = "us"
    ) -> None:
        super().__init__("audnexus", books, authors)
        self.region = region

    async def author(self, asin: str) -> AuthorProfile | None:
        self._enter("author", asin)
        return next((profile for profile in self.authors if profile.source_id == asin), None)
