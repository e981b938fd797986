"""A faithful fake of Open Library's ``/search.json``: works with their Solr fields, paging, sorts, ``fields``."""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shelfkeeper.domain.text import fold
from shelfkeeper.testing.faults import FaultInjector

DOCUMENTATION_URL = "https://openlibrary.org/dev/docs/api/search"
# Fields a search answers without ``fields=``; ``isbn`` has to be asked for by name (or with ``*``).
DEFAULT_FIELDS = (
    "key",
    "title",
    "subtitle",
    "author_name",
    "author_key",
    "first_publish_year",
    "edition_count",
    "cover_i",
    "cover_edition_key",
    "language",
    "publisher",
    "publish_year",
    "subject",
    "ia",
    "has_fulltext",
    "ebook_access",
)
_KEY_QUERY = re.compile(r'^\s*(key|author_key|edition_key):\s*"?([^"\s]+)"?\s*$')


@dataclass
class Work:
    """One Solr work document; empty fields are left out of the answer, as Solr does."""

    key: str
    title: str
    subtitle: str | None = None
    author_name: list[str] = field(default_factory=list)
    author_key: list[str] = field(default_factory=list)
    first_publish_year: int | None = None
    edition_count: int = 1
    cover_i: int | None = None
    cover_edition_key: str | None = None
    edition_key: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    publisher: list[str] = field(default_factory=list)
    publish_year: list[int] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    ia: list[str] = field(default_factory=list)
    has_fulltext: bool = False
    ebook_access: str = "no_ebook"

    def doc(self, fields: tuple[str, ...] | None) -> dict[str, Any]:
        wanted = DEFAULT_FIELDS if fields is None else fields
        full = asdict(self)
        return {k: v for k, v in full.items() if ("*" in wanted or k in wanted) and v not in (None, [], "")}


class FakeOpenLibrary:
    """Serve ``.app``; seed with ``add_work``; ``requests`` logs (method, path, query), ``user_agents`` the agents."""

    def __init__(self, *, rng: random.Random | None = None, bare_keys: bool = False) -> None:
        self.works: list[Work] = []
        self.requests: list[tuple[str, str, str]] = []
        self.user_agents: list[str] = []
        self.rng = rng or random.Random(0)
        self.bare_keys = bare_keys  # very old answers gave "OL…W" instead of "/works/OL…W"
        self.legacy_count_only = False  # older answers had only "num_found"
        self._next = 1000
        router = Starlette(
            routes=[
                Route("/search.json", self._search),
                Route("/__fake__/seed", self._seed, methods=["POST"]),
                Route("/__fake__/state", self._state),
            ]
        )

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and not scope["path"].startswith("/__fake__"):
                self.requests.append((scope["method"], scope["path"], scope.get("query_string", b"").decode()))
                headers = dict(scope["headers"])
                self.user_agents.append(headers.get(b"user-agent", b"").decode())
            await router(scope, receive, send)

        # Open Library has no credentials; a client blocked by its proxy sees 403.
        self.faults = FaultInjector(logged, auth_status=403, auth_body=b"Forbidden")
        self.app = self.faults

    def add_work(self, title: str, authors: list[str] | tuple[str, ...] = (), **fields: Any) -> str:
        """Seed a work; ``authors`` become ``author_name`` with made-up ``author_key``s unless given."""
        self._next += 1
        key = fields.pop("key", None) or f"/works/OL{self._next}W"
        author_keys = fields.pop("author_key", None) or [_author_key(name) for name in authors]
        work = Work(key=key, title=title, author_name=list(authors), author_key=list(author_keys), **fields)
        self.works.append(work)
        return key

    def seed(self, payload: dict[str, Any]) -> None:
        """The JSON seed: {"works": [{"title", "authors", ...any Work field}]}."""
        for entry in payload.get("works", []):
            fields = dict(entry)
            self.add_work(fields.pop("title"), fields.pop("authors", fields.pop("author_name", [])), **fields)

    async def _search(self, request: Request) -> Response:
        params = request.query_params
        hits = [w for w in self.works if self._matches(w, params)]
        hits = self._sorted(hits, params.get("sort"))
        limit = _int(params.get("limit")) or 100
        offset = _int(params.get("offset"))
        start = offset if offset is not None else (max(_int(params.get("page")) or 1, 1) - 1) * limit
        fields = tuple(f.strip() for f in params["fields"].split(",")) if params.get("fields") else None
        docs = [self._doc(w, fields) for w in hits[start : start + limit]]
        if self.legacy_count_only:
            return JSONResponse({"start": start, "num_found": len(hits), "docs": docs})
        return JSONResponse(
            {
                "numFound": len(hits),
                "start": start,
                "numFoundExact": True,
                "num_found": len(hits),
                "documentation_url": DOCUMENTATION_URL,
                "q": params.get("q", ""),
                "offset": offset,
                "docs": docs,
            }
        )

    def _doc(self, work: Work, fields: tuple[str, ...] | None) -> dict[str, Any]:
        doc = work.doc(fields)
        if self.bare_keys and "key" in doc:
            doc["key"] = doc["key"].rsplit("/", 1)[-1]
        return doc

    @staticmethod
    def _matches(work: Work, params: Any) -> bool:
        if (title := params.get("title")) and not _contains_words(f"{work.title} {work.subtitle or ''}", title):
            return False
        if (author := params.get("author")) and not any(_contains_words(n, author) for n in work.author_name):
            return False
        if (isbn := params.get("isbn")) and re.sub(r"[^0-9Xx]", "", isbn).upper() not in work.isbn:
            return False
        if q := params.get("q"):
            keyed = _KEY_QUERY.match(q)
            if keyed:
                values = {"key": [work.key], "author_key": work.author_key, "edition_key": work.edition_key}
                return keyed.group(2) in values[keyed.group(1)]
            haystack = " ".join([work.title, work.subtitle or "", *work.author_name, *work.subject])
            return _contains_words(haystack, q)
        return True

    def _sorted(self, works: list[Work], sort: str | None) -> list[Work]:
        if sort == "random":
            shuffled = list(works)
            self.rng.shuffle(shuffled)
            return shuffled
        keys = {
            "new": (lambda w: w.first_publish_year or 0, True),
            "old": (lambda w: w.first_publish_year or 9999, False),
            "editions": (lambda w: w.edition_count, True),
            "title": (lambda w: fold(w.title), False),
            "key": (lambda w: w.key, False),
        }
        if sort in keys:
            key, reverse = keys[sort]
            return sorted(works, key=key, reverse=reverse)
        return works  # relevance: the order they were added

    async def _seed(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True})

    async def _state(self, request: Request) -> Response:
        return JSONResponse(
            {
                "requests": [list(r) for r in self.requests],
                "user_agents": self.user_agents,
                "works": [asdict(w) for w in self.works],
            }
        )


def _author_key(name: str) -> str:
    return f"OL{sum(map(ord, name)) * 7 % 10**6}A"


def _contains_words(text: str, query: str) -> bool:
    words = set(fold(text).split())
    return all(word in words for word in fold(query).split())


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def create_fake(seed: dict[str, Any] | None = None) -> FakeOpenLibrary:
    """The fake for ``shelfkeeper fakes serve``; a seed lists ``works``."""
    fake = FakeOpenLibrary()
    fake.seed(seed or {})
    return fake
