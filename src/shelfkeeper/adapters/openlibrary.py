"""Open Library client: book search, an author's works and look-ups by ISBN or work key, as BookCandidates."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shelfkeeper import __version__
from shelfkeeper.adapters.http import BudgetStore, ServiceClient, ServicePolicy
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse, ServiceError
from shelfkeeper.ports import BookQuery, ConnectionReport

SERVICE = "openlibrary"
DEFAULT_URL = "https://openlibrary.org"
COVER_URL = "https://covers.openlibrary.org/b/{kind}/{value}-L.jpg"
# Asked for by name: ``isbn`` is not among the fields a search returns by default.
SEARCH_FIELDS = ",".join(
    (
        "key",
        "title",
        "subtitle",
        "author_name",
        "author_key",
        "first_publish_year",
        "edition_count",
        "cover_i",
        "cover_edition_key",
        "isbn",
        "language",
        "publisher",
        "publish_year",
        "subject",
    )
)
_WORK_KEY = re.compile(r"^(?:/works/)?(OL\d+W)$", re.IGNORECASE)
_AUTHOR_KEY = re.compile(r"^(?:/authors/)?(OL\d+A)$", re.IGNORECASE)
_MAX_GENRES = 5


class OpenLibraryClient:
    """``ports.MetadataSource`` and ``ports.AuthorCatalogSource`` over ``/search.json`` (no credentials)."""

    name = SERVICE

    def __init__(self, http: ServiceClient, *, author_limit: int = 100) -> None:
        self.http = http
        self.author_limit = author_limit

    async def test_connection(self) -> ConnectionReport:
        """One tiny search; Open Library has no key and reports no version. Never raises."""
        try:
            await self._search({"q": "the", "limit": 1, "fields": "key"}, retry=False)
        except ServiceError as exc:
            reachable = isinstance(exc, ServiceBadResponse | ServiceAuthFailed)
            auth_ok = False if isinstance(exc, ServiceAuthFailed) else None
            return ConnectionReport(SERVICE, True, reachable, auth_ok, error=exc.message, error_code=exc.code)
        return ConnectionReport(SERVICE, True, True, None)

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]:
        """By ISBN when the query has one, else by title and author (``q`` with whatever else is known)."""
        params: dict[str, Any] = {"limit": limit}
        if query.isbn:
            params["isbn"] = _clean_isbn(query.isbn)
        else:
            if query.title:
                params["title"] = query.title
            if query.author:
                params["author"] = query.author
            if not query.title and not query.author:
                words = " ".join(w for w in (query.series, query.narrator) if w)
                if not words:
                    return []
                params["q"] = words
        if query.language and len(query.language) == 2:
            params["lang"] = query.language.lower()  # a preference (ISO 639-1), not a filter
        return [doc_to_candidate(doc) for doc in await self._search(params)]

    async def by_id(self, identifier: str) -> BookCandidate | None:
        """An ISBN (10 or 13) or a work key ("OL27448W", "/works/OL27448W"); None when unknown."""
        work = _WORK_KEY.match(identifier.strip())
        if work:
            # UNVERIFIED on the live service: a Solr field query on the work key, quoted for its slashes.
            key = f"/works/{work.group(1).upper()}"
            docs = await self._search({"q": f'key:"{key}"', "limit": 1})
            found = [doc_to_candidate(d) for d in docs]
            return next((c for c in found if c.source_id == work.group(1).upper()), None)
        isbn = _clean_isbn(identifier)
        if len(isbn) not in (10, 13):
            return None
        docs = await self._search({"isbn": isbn, "limit": 1})
        return doc_to_candidate(docs[0]) if docs else None

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]:
        """The works listing ``author`` (by name, or by Open Library author key) among their authors.

        A name search also matches co-authors and namesakes' words, so works whose author list has no name
        equal to ``author`` after normalising are left out.
        """
        keyed = _AUTHOR_KEY.match(author_id or "")
        params: dict[str, Any] = {"limit": self.author_limit, "sort": "editions"}
        if keyed:
            params["q"] = f"author_key:{keyed.group(1).upper()}"
        else:
            params["author"] = author
        wanted = normalize_author(author)
        seen: set[str] = set()
        books = []
        for doc in await self._search(params):
            candidate = doc_to_candidate(doc)
            if candidate.source_id in seen:
                continue
            if keyed or any(normalize_author(name) == wanted for name in candidate.authors):
                seen.add(candidate.source_id)
                books.append(candidate)
        return books

    async def find_author(self, name: str) -> AuthorProfile | None:
        """The author's Open Library key, from the first work that lists them under that name."""
        wanted = normalize_author(name)
        for doc in await self._search({"author": name, "limit": 10, "fields": "key,title,author_name,author_key"}):
            names, keys = doc.get("author_name") or [], doc.get("author_key") or []
            for index, found in enumerate(names):
                if normalize_author(str(found)) == wanted and index < len(keys):
                    return AuthorProfile(source=SERVICE, source_id=str(keys[index]), name=str(found))
        return None

    async def _search(self, params: dict[str, Any], *, retry: bool = True) -> list[dict[str, Any]]:
        params = {"fields": SEARCH_FIELDS, **params}
        payload = await self.http.get_json("/search.json", params=params, retry=retry)
        if not isinstance(payload, dict) or not isinstance(payload.get("docs"), list):
            raise ServiceBadResponse(SERVICE, "search answer without a docs list", details={"body": str(payload)[:200]})
        return [doc for doc in payload["docs"] if isinstance(doc, dict) and doc.get("key") and doc.get("title")]


def doc_to_candidate(doc: dict[str, Any]) -> BookCandidate:
    """A search doc as a candidate; ``source_id`` is the bare work id ("OL27448W") whichever key form came."""
    work_id = str(doc["key"]).rstrip("/").rsplit("/", 1)[-1]
    isbns = [str(i) for i in doc.get("isbn") or []]
    languages = [str(code) for code in doc.get("language") or []]
    cover_url = None
    if doc.get("cover_i"):
        cover_url = COVER_URL.format(kind="id", value=doc["cover_i"])
    elif doc.get("cover_edition_key"):
        cover_url = COVER_URL.format(kind="olid", value=doc["cover_edition_key"])
    year = doc.get("first_publish_year")
    return BookCandidate(
        source=SERVICE,
        source_id=work_id,
        title=str(doc["title"]),
        subtitle=doc.get("subtitle") or None,
        authors=tuple(str(a) for a in doc.get("author_name") or []),
        isbn=next((i for i in isbns if len(i) == 13), isbns[0] if isbns else None),
        publisher=str(doc["publisher"][0]) if doc.get("publisher") else None,
        published_year=int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
        language=languages[0] if len(languages) == 1 else None,  # a work in many languages: extra["languages"]
        genres=tuple(str(s) for s in (doc.get("subject") or [])[:_MAX_GENRES]),
        cover_url=cover_url,
        extra={
            "key": f"/works/{work_id}",
            "author_keys": list(doc.get("author_key") or []),
            "edition_count": doc.get("edition_count"),
            "isbns": isbns,
            "languages": languages,
        },
    )


def _clean_isbn(raw: str) -> str:
    return re.sub(r"[^0-9X]", "", raw.upper())


def build(
    base_url: str = DEFAULT_URL,
    *,
    contact: str | None = None,
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
    **policy: Any,
) -> OpenLibraryClient:
    """A client with a descriptive User-Agent (Open Library asks for one, with a contact) and a gentle pace."""
    # Third parties report about 100 requests per 5 minutes (UNVERIFIED): one request a second, one at a time.
    settings: dict[str, Any] = {"timeout": 20.0, "min_interval": 1.0, "max_concurrency": 1, **policy}
    agent = f"Shelfkeeper/{__version__} (audiobook library manager{'; ' + contact if contact else ''})"
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    http = ServiceClient(
        ServicePolicy(name=SERVICE, base_url=base_url, **settings),
        budget=budget,
        headers={"User-Agent": agent, "Accept": "application/json"},
        transport=transport,
        clock=clock,
        rng=rng,
        **extra,
    )
    return OpenLibraryClient(http)
