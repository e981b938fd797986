"""Audible's catalog API (unofficial, no sign-in): product search, single products and an author's books."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

import httpx

from shelfkeeper.adapters.connection_report import connection_report
from shelfkeeper.adapters.http import BudgetStore, ServiceClient, ServicePolicy, split_options
from shelfkeeper.adapters.http_failures import answered_not_found
from shelfkeeper.adapters.payload import as_list, plain_text
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.errors import ConfigurationError, ServiceBadResponse, ServiceError
from shelfkeeper.ports import BookQuery, ConnectionReport

SERVICE = "audible"
DEFAULT_URL = "https://api.audible.com"
# Marketplace of each region code: api.audible.<tld>. Audnexus's `src/static/regions.ts`, in its key order
# (the order of its "Invalid region" message, which the fake Audnexus repeats).
AUDIBLE_TLDS = {
    "au": "com.au",
    "ca": "ca",
    "de": "de",
    "es": "es",
    "fr": "fr",
    "in": "in",
    "it": "it",
    "jp": "co.jp",
    "us": "com",
    "uk": "co.uk",
}
# The response groups Audnexus asks for: everything a candidate needs in one request.
RESPONSE_GROUPS = ",".join(
    (
        "category_ladders",
        "contributors",
        "media",
        "product_attrs",
        "product_desc",
        "product_details",
        "product_extended_attrs",
        "rating",
        "series",
    )
)
IMAGE_SIZES = "500,1024"
MAX_NUM_RESULTS = 50  # Audible refuses num_results above 50 (a 400 "validation error")
NOT_BOOKS = {"PodcastParent", "PodcastEpisode", "Periodical", "AudioPart", "SinglePartIssue", "BookSeries"}
ASIN = re.compile(r"^(B[0-9A-Z]{9}|\d{9}[\dX])$")
# Audible names languages in words; the rest of the program speaks ISO 639-1 like Google Books does.
LANGUAGE_CODES = {
    "english": "en",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "japanese": "ja",
    "portuguese": "pt",
    "dutch": "nl",
    "swedish": "sv",
    "danish": "da",
    "norwegian": "no",
    "finnish": "fi",
    "polish": "pl",
    "russian": "ru",
    "hindi": "hi",
    "mandarin_chinese": "zh",
    "chinese": "zh",
    "korean": "ko",
    "turkish": "tr",
    "arabic": "ar",
    "catalan": "ca",
}

log = logging.getLogger(__name__)


# ---- mapping Audible's vocabulary ---------------------------------------------------------------------------


def language_code(name: object) -> str | None:
    """``"english"`` -> ``"en"``; a two-letter code stays; an unknown name is kept lower-cased."""
    if not isinstance(name, str) or not name.strip():
        return None
    lowered = name.strip().lower().replace(" ", "_")
    return LANGUAGE_CODES.get(lowered, lowered)


def parse_day(raw: object) -> date | None:
    """``"2017-11-14"`` or ``"2017-11-14T00:00:00.000Z"`` -> a date; anything else -> None."""
    if not isinstance(raw, str) or len(raw) < 10:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def names(people: object) -> tuple[str, ...]:
    """The names of Audible's ``[{"asin"?, "name"}]`` people lists (tolerates plain strings)."""
    if not isinstance(people, list):
        return ()
    found = [p.get("name") if isinstance(p, dict) else p for p in people]
    return tuple(n.strip() for n in found if isinstance(n, str) and n.strip())


def ladder_names(ladders: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Category ladders as (genres, tags): the top rung of each ladder is a genre, the rungs under it tags."""
    genres: dict[str, None] = {}
    tags: dict[str, None] = {}
    for ladder in as_list(ladders):
        rungs = ladder.get("ladder", []) if isinstance(ladder, dict) else []
        for index, rung in enumerate(rungs):
            if isinstance(rung, dict) and rung.get("name"):
                (genres if index == 0 else tags)[rung["name"]] = None
    return tuple(genres), tuple(t for t in tags if t not in genres)


def _series(product: dict[str, Any]) -> tuple[SeriesRef, ...]:
    refs = [
        SeriesRef(name=s["title"], sequence=str(s["sequence"]) if s.get("sequence") else None, series_id=s.get("asin"))
        for s in product.get("series") or []
        if isinstance(s, dict) and s.get("title")
    ]
    # The series named like publication_name is the book's main one; put it first.
    primary = product.get("publication_name")
    return tuple(sorted(refs, key=lambda ref: ref.name != primary))


def _cover(images: object) -> str | None:
    if not isinstance(images, dict) or not images:
        return None
    best = max(images, key=lambda size: int(size) if str(size).isdigit() else 0)
    url = images[best]
    return url if isinstance(url, str) else None


def product_to_candidate(product: object, region: str) -> BookCandidate | None:
    """One catalog product as a candidate; None for a bare product (not sold here) or a non-book."""
    if not isinstance(product, dict) or not product.get("title") or not product.get("asin"):
        return None
    if product.get("content_delivery_type") in NOT_BOOKS:
        return None
    released = parse_day(product.get("release_date")) or parse_day(product.get("issue_date"))
    genres, tags = ladder_names(product.get("category_ladders"))
    description = plain_text(product.get("publisher_summary")) or plain_text(product.get("merchandising_summary"))
    rating = (product.get("rating") or {}).get("overall_distribution", {}).get("display_average_rating")
    author_asins = tuple(a["asin"] for a in product.get("authors") or [] if isinstance(a, dict) and a.get("asin"))
    extra: dict[str, object] = {"region": region, "tags": tags, "rating": rating, "author_asins": author_asins}
    extra.update({k: product[k] for k in ("content_delivery_type", "is_adult_product", "sku") if k in product})
    runtime = product.get("runtime_length_min")
    return BookCandidate(
        source=SERVICE,
        source_id=str(product["asin"]),
        title=str(product["title"]).strip(),
        subtitle=product.get("subtitle") or None,
        authors=names(product.get("authors")),
        narrators=names(product.get("narrators")),
        series=_series(product),
        asin=str(product["asin"]),
        isbn=product.get("isbn") or None,
        publisher=product.get("publisher_name") or None,
        published_year=released.year if released else None,
        release_date=released,
        language=language_code(product.get("language")),
        genres=genres,
        description=description,
        duration_minutes=int(runtime) if isinstance(runtime, int | float) and runtime > 0 else None,
        cover_url=_cover(product.get("product_images")),
        format_type=str(product["format_type"]).lower() if product.get("format_type") else None,
        extra=extra,
    )


def wrote(candidate: BookCandidate, author: str, author_id: str | None = None) -> bool:
    """Whether ``author`` is one of the candidate's authors (a field search also matches namesakes' words)."""
    wanted = normalize_author(author)
    ids = candidate.extra.get("author_asins", ())
    if author_id and isinstance(ids, tuple) and author_id in ids:
        return True
    return any(normalize_author(name) == wanted for name in candidate.authors)


# ---- the client -----------------------------------------------------------------------------------------------


class AudibleCatalogClient:
    """Audible's catalog for one marketplace; implements ``MetadataSource`` and ``AuthorCatalogSource``.

    Best sellers are left out: the reference documents no best-seller listing (only ``products_sort_by=Relevance``).
    """

    name = SERVICE

    def __init__(self, client: ServiceClient, region: str = "us", *, max_pages: int = 10) -> None:
        if region not in AUDIBLE_TLDS:
            raise ConfigurationError(f"unknown Audible region {region!r}; one of {', '.join(AUDIBLE_TLDS)}")
        self._client = client
        self.region = region
        self.max_pages = max_pages

    async def _products(self, params: dict[str, Any]) -> dict[str, Any]:
        body = await self._client.get_json("/1.0/catalog/products", params=params)
        if not isinstance(body, dict) or not isinstance(body.get("products", []), list):
            raise ServiceBadResponse(SERVICE, "catalog search answered without a products list")
        return body

    @staticmethod
    def _search_fields(query: BookQuery) -> dict[str, str]:
        wanted = {"title": query.title, "author": query.author, "narrator": query.narrator}
        params = {key: value.strip() for key, value in wanted.items() if value and value.strip()}
        keywords = " ".join(v.strip() for v in (query.series, query.isbn) if v and v.strip())
        if keywords:
            params["keywords"] = keywords
        return params

    async def search_asins(self, query: BookQuery, *, limit: int = 10) -> list[str]:
        """ASINs of the best matches, the way Audiobookshelf asks (no response groups: a light answer)."""
        fields_ = self._search_fields(query)
        if not fields_:
            return []
        params = {"num_results": min(limit, MAX_NUM_RESULTS), "products_sort_by": "Relevance", **fields_}
        body = await self._products(params)
        return [str(p["asin"]) for p in body.get("products", []) if isinstance(p, dict) and p.get("asin")][:limit]

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]:
        if query.asin:
            found = await self.by_id(query.asin)
            return [found] if found else []
        fields_ = self._search_fields(query)
        if not fields_:
            return []
        params = {"num_results": min(limit, MAX_NUM_RESULTS), "products_sort_by": "Relevance", **fields_}
        body = await self._products({**params, "response_groups": RESPONSE_GROUPS, "image_sizes": IMAGE_SIZES})
        return self._candidates(body.get("products", []))[:limit]

    def _candidates(self, products: list[Any]) -> list[BookCandidate]:
        found = (product_to_candidate(product, self.region) for product in products)
        return [candidate for candidate in found if candidate is not None]

    async def by_id(self, identifier: str) -> BookCandidate | None:
        asin = identifier.strip().upper()
        if not ASIN.match(asin):
            return None
        params = {"response_groups": RESPONSE_GROUPS, "image_sizes": IMAGE_SIZES}
        try:
            body = await self._client.get_json(f"/1.0/catalog/products/{asin}", params=params)
        except ServiceBadResponse as exc:
            if answered_not_found(exc):
                return None
            raise
        product = body.get("product") if isinstance(body, dict) else None
        # A product Audible does not sell in this marketplace comes back bare: {"asin"} and nothing else.
        found = self._candidates([product])
        return found[0] if found else None

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]:
        """Every product of ``author`` in this marketplace, page by page (an author search, then a name check)."""
        if not author.strip():
            return []
        books: dict[str, BookCandidate] = {}
        for page in range(self.max_pages):
            params = {"author": author.strip(), "num_results": MAX_NUM_RESULTS, "page": page}
            body = await self._products({**params, "response_groups": RESPONSE_GROUPS, "image_sizes": IMAGE_SIZES})
            products = body.get("products", [])
            before = len(books)
            for candidate in self._candidates(products):
                if wrote(candidate, author, author_id):
                    books.setdefault(candidate.source_id, candidate)
            total = body.get("total_results")
            seen = (page + 1) * MAX_NUM_RESULTS
            if len(products) < MAX_NUM_RESULTS or (isinstance(total, int) and seen >= total) or len(books) == before:
                break
        return list(books.values())

    async def find_author(self, name: str) -> AuthorProfile | None:
        """The author's Audible ASIN and spelling, from the contributors of their books."""
        if not name.strip():
            return None
        params = {"author": name.strip(), "num_results": 10, "response_groups": "contributors"}
        body = await self._products(params)
        wanted = normalize_author(name)
        for product in body.get("products", []):
            for person in product.get("authors") or [] if isinstance(product, dict) else []:
                if (
                    isinstance(person, dict)
                    and person.get("asin")
                    and normalize_author(person.get("name", "")) == wanted
                ):
                    return AuthorProfile(source=SERVICE, source_id=person["asin"], name=person["name"])
        return None

    async def test_connection(self) -> ConnectionReport:
        try:
            await self._products({"keywords": "audiobook", "num_results": 1})
        except ServiceError as exc:
            return connection_report(SERVICE, exc)
        return connection_report(SERVICE, None)


def regional_base_url(base_url: str, region: str) -> str:
    """The default US host becomes the region's own (api.audible.co.uk, ...); a configured URL is kept as it is."""
    if base_url.rstrip("/") == DEFAULT_URL and region in AUDIBLE_TLDS:
        return f"https://api.audible.{AUDIBLE_TLDS[region]}"
    return base_url


def build(
    base_url: str = DEFAULT_URL,
    *,
    region: str = "us",
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> AudibleCatalogClient:
    """A catalog client for ``region``'s marketplace (see ``regional_base_url``)."""
    base_url = regional_base_url(base_url, region)
    policy_options, client_options = split_options(options)
    # Unofficial and unmetered for us: stay polite (one request a second, two at a time).
    defaults: dict[str, Any] = {"timeout": 15.0, "min_interval": 1.0, "max_concurrency": 2}
    policy = ServicePolicy(name=SERVICE, base_url=base_url, **{**defaults, **policy_options})
    client = ServiceClient(policy, budget=budget, transport=transport, **client_options)
    return AudibleCatalogClient(client, region)
