"""Google Books API v1 as a metadata source and an author catalogue: volume search, ISBN lookup, quota errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx

from shelfkeeper.adapters.connection_report import connection_report
from shelfkeeper.adapters.http import BudgetStore, ServiceClient, ServicePolicy, split_options
from shelfkeeper.adapters.http_failures import answered_not_found
from shelfkeeper.adapters.payload import as_list, plain_text
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.errors import (
    QuotaExhausted,
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceRateLimited,
)
from shelfkeeper.ports import BookQuery, ConnectionReport

SERVICE = "google_books"
DEFAULT_URL = "https://www.googleapis.com/books/v1"
PAGE_SIZE = 40  # Google's maximum maxResults
DEFAULT_DAILY_BUDGET = 1000  # the default "Queries per day" of a Cloud project
QUOTA_REASONS = frozenset({"dailyLimitExceeded", "dailyLimitExceededUnreg", "quotaExceeded"})
AUTH_REASONS = frozenset({"keyInvalid", "keyExpired"})
IMAGE_PREFERENCE = ("extraLarge", "large", "medium", "small", "thumbnail", "smallThumbnail")
_PUBLISHED = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_ISBN = re.compile(r"^(\d{9}[\dX]|\d{13})$")
_OPERATOR_NOISE = re.compile(r'[:"]')  # a colon or quote inside a title would read as query syntax


def google_error(response: httpx.Response) -> dict[str, Any] | None:
    """The ``error`` object of Google's standard error envelope, if the body is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _per_day(error: dict[str, Any]) -> bool:
    # The 429 for the daily quota names it in the message and in ErrorInfo's quota_limit ("defaultPerDayPerProject").
    if "per day" in str(error.get("message", "")).lower():
        return True
    details = as_list(error.get("details"))
    return any(
        "perday" in str((d.get("metadata") or {}).get("quota_limit", "")).lower()
        for d in details
        if isinstance(d, dict)
    )


def classify(response: httpx.Response) -> ServiceError | None:
    """Google's quota and key errors: quota used up -> QuotaExhausted (no retry today), bad key -> auth failed."""
    if response.status_code < 400:
        return None
    error = google_error(response)
    if error is None:
        return None
    errors = as_list(error.get("errors"))
    reasons = {str(e.get("reason")) for e in errors if isinstance(e, dict)}
    message = str(error.get("message") or "")
    details = {"status": response.status_code, "reasons": sorted(reasons), "message": message[:200]}
    if reasons & QUOTA_REASONS:
        return QuotaExhausted(SERVICE, f"daily quota used up: {message}", details=details)
    if "rateLimitExceeded" in reasons or error.get("status") == "RESOURCE_EXHAUSTED":
        if _per_day(error):
            return QuotaExhausted(SERVICE, f"daily quota used up: {message}", details=details)
        return ServiceRateLimited(SERVICE, f"per-minute quota hit: {message}", details=details)
    if "userRateLimitExceeded" in reasons:
        return ServiceRateLimited(SERVICE, f"rate limited: {message}", details=details)
    if reasons & AUTH_REASONS:
        return ServiceAuthFailed(SERVICE, f"API key refused: {message}", details=details)
    return None


def published(raw: object) -> tuple[int | None, date | None]:
    """``publishedDate`` ("YYYY", "YYYY-MM", "YYYY-MM-DD") -> (year, full date only when the day is known)."""
    match = _PUBLISHED.match(raw) if isinstance(raw, str) else None
    if not match:
        return None, None
    year, month, day = match.groups()
    if month and day:
        try:
            return int(year), date(int(year), int(month), int(day))
        except ValueError:
            pass
    return int(year), None


def best_isbn(identifiers: object) -> str | None:
    """ISBN-13 when the volume has one, else ISBN-10."""
    found = (
        {i.get("type"): i.get("identifier") for i in identifiers if isinstance(i, dict)}
        if isinstance(identifiers, list)
        else {}
    )
    return found.get("ISBN_13") or found.get("ISBN_10") or None


def cover_url(links: object) -> str | None:
    """The largest cover link, over https (Google hands them out as http://); a mirror on this machine (a local
    cache, a test's server) keeps its own scheme."""
    if not isinstance(links, dict):
        return None
    for name in IMAGE_PREFERENCE:
        url = links.get(name)
        if isinstance(url, str) and url:
            url = url.replace("&edge=curl", "")
            local = urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")
            return "https://" + url[len("http://") :] if url.startswith("http://") and not local else url
    return None


def genres(categories: object) -> tuple[str, ...]:
    """Categories ("Fiction / Fantasy / Epic") as distinct genre names, without the "General" filler."""
    names: dict[str, None] = {}
    for category in as_list(categories):
        for part in str(category).split("/"):
            if part.strip() and part.strip().lower() != "general":
                names[part.strip()] = None
    return tuple(names)


def volume_to_candidate(volume: object) -> BookCandidate | None:
    """One volume as a candidate; None when it has no title."""
    info = volume.get("volumeInfo") if isinstance(volume, dict) else None
    if not isinstance(info, dict) or not info.get("title"):
        return None
    year, day = published(info.get("publishedDate"))
    extra = {
        k: info[k] for k in ("publishedDate", "pageCount", "averageRating", "ratingsCount", "seriesInfo") if k in info
    }
    extra["identifiers"] = info.get("industryIdentifiers", [])
    authors = as_list(info.get("authors"))
    return BookCandidate(
        source=SERVICE,
        source_id=str(volume.get("id", "")) if isinstance(volume, dict) else "",
        title=str(info["title"]).strip(),
        subtitle=info.get("subtitle") or None,
        authors=tuple(str(a).strip() for a in authors if str(a).strip()),
        isbn=best_isbn(info.get("industryIdentifiers")),
        publisher=info.get("publisher") or None,
        published_year=year,
        release_date=day,
        language=info.get("language") or None,
        genres=genres(info.get("categories")),
        description=plain_text(info.get("description")),
        cover_url=cover_url(info.get("imageLinks")),
        extra=extra,
    )


def _term(operator: str, value: str) -> str:
    return f"{operator}:{' '.join(_OPERATOR_NOISE.sub(' ', value).split())}"


def build_q(query: BookQuery, *, use_isbn: bool = True) -> str | None:
    """``q`` for a query: ``isbn:`` alone when there is an ISBN, else ``intitle:`` and ``inauthor:`` terms."""
    isbn = re.sub(r"[^0-9Xx]", "", query.isbn or "").upper()
    if use_isbn and _ISBN.match(isbn):
        return f"isbn:{isbn}"
    terms = [
        _term(op, value)
        for op, value in (("intitle", query.title), ("inauthor", query.author))
        if value and value.strip()
    ]
    return " ".join(terms) or None


def wrote(candidate: BookCandidate, author: str) -> bool:
    """``inauthor:`` matches any author with those words; keep the books this very author wrote."""
    wanted = normalize_author(author)
    return any(normalize_author(name) == wanted for name in candidate.authors)


class GoogleBooksClient:
    """Google Books; implements ``MetadataSource`` and ``AuthorCatalogSource``."""

    name = SERVICE

    def __init__(self, client: ServiceClient, api_key: str | None = None, *, max_pages: int = 10) -> None:
        self._client = client
        self.api_key = api_key or None
        self.max_pages = max_pages

    async def _volumes(self, q: str, *, start: int = 0, size: int = 10, language: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"q": q, "startIndex": start, "maxResults": min(size, PAGE_SIZE), "printType": "books"}
        if language and len(language) == 2:
            params["langRestrict"] = language.lower()
        if self.api_key:
            params["key"] = self.api_key
        body = await self._client.get_json("/volumes", params=params)
        if not isinstance(body, dict):
            raise ServiceBadResponse(SERVICE, "volumes answer is not a JSON object")
        return body

    async def _candidates(self, q: str, limit: int, language: str | None) -> list[BookCandidate]:
        found: dict[str, BookCandidate] = {}
        start = 0
        for _page in range(self.max_pages):
            if len(found) >= limit:
                break
            body = await self._volumes(q, start=start, size=limit - len(found), language=language)
            items = body.get("items") or []  # absent, not empty, when nothing matches
            for candidate in (volume_to_candidate(item) for item in items):
                if candidate is not None:
                    found.setdefault(candidate.source_id, candidate)
            start += len(items)
            total = body.get("totalItems")
            if not items or (isinstance(total, int) and start >= total):
                break
        return list(found.values())[:limit]

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]:
        q = build_q(query)
        if q is None:
            return []
        found = await self._candidates(q, limit, query.language)
        if not found and q.startswith("isbn:"):
            fallback = build_q(query, use_isbn=False)  # an ISBN Google does not know: try the words
            if fallback:
                found = await self._candidates(fallback, limit, query.language)
        return found

    async def by_id(self, identifier: str) -> BookCandidate | None:
        """By ISBN (10 or 13 digits) or by Google volume id."""
        isbn = re.sub(r"[^0-9Xx]", "", identifier).upper()
        if _ISBN.match(isbn) and len(re.sub(r"[\s-]", "", identifier)) == len(isbn):
            hits = await self._candidates(f"isbn:{isbn}", 1, None)
            return hits[0] if hits else None
        params = {"key": self.api_key} if self.api_key else None
        try:
            volume = await self._client.get_json(f"/volumes/{identifier.strip()}", params=params)
        except ServiceBadResponse as exc:
            if answered_not_found(exc):
                return None
            raise
        return volume_to_candidate(volume)

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]:
        """The author's volumes via ``inauthor:``, 40 a page, stopping at an empty page (totalItems only estimates)."""
        if not author.strip():
            return []
        books = await self._candidates(_term("inauthor", author), PAGE_SIZE * self.max_pages, None)
        return [book for book in books if wrote(book, author)]

    async def find_author(self, name: str) -> AuthorProfile | None:
        """Google has no author records: the name as its volumes spell it, if it has any."""
        if not name.strip():
            return None
        for book in await self._candidates(_term("inauthor", name), 10, None):
            spelled = next((a for a in book.authors if normalize_author(a) == normalize_author(name)), None)
            if spelled:
                return AuthorProfile(source=SERVICE, source_id=normalize_author(spelled), name=spelled)
        return None

    async def test_connection(self) -> ConnectionReport:
        auth_ok = True if self.api_key else None
        try:
            await self._volumes("isbn:9780306406157", size=1)
        except ServiceError as exc:
            return connection_report(SERVICE, exc, auth_ok=auth_ok)
        return connection_report(SERVICE, None, auth_ok=auth_ok)


def build(
    base_url: str = DEFAULT_URL,
    api_key: str | None = None,
    *,
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> GoogleBooksClient:
    """A Google Books client; ``options`` are ServicePolicy fields or ServiceClient extras (sleep, clock, rng)."""
    policy_options, client_options = split_options(options)
    defaults: dict[str, Any] = {"timeout": 15.0, "max_concurrency": 4, "daily_budget": DEFAULT_DAILY_BUDGET}
    secrets = tuple(policy_options.pop("secrets", ())) + ((api_key,) if api_key else ())
    policy = ServicePolicy(name=SERVICE, base_url=base_url, secrets=secrets, **{**defaults, **policy_options})
    client = ServiceClient(policy, budget=budget, transport=transport, classify=classify, **client_options)
    return GoogleBooksClient(client, api_key)
