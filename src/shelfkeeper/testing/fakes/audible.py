"""A faithful fake of Audible's catalog API (api.audible.<tld>/1.0/catalog/products), one marketplace per instance."""

from __future__ import annotations

import re
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shelfkeeper.adapters.audible import AUDIBLE_TLDS
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog, CatalogBook
from shelfkeeper.testing.faults import FaultInjector

# The response groups Audible knows for catalog products; any other name is refused with a 400.
KNOWN_GROUPS = frozenset(
    {
        "category_ladders",
        "contributors",
        "customer_rights",
        "media",
        "price",
        "product_attrs",
        "product_desc",
        "product_details",
        "product_extended_attrs",
        "product_plan_details",
        "product_plans",
        "rating",
        "relationships",
        "review_attrs",
        "reviews",
        "sample",
        "series",
        "sku",
    }
)
MAX_NUM_RESULTS = 50
SORTS = ("Relevance", "ReleaseDate", "-ReleaseDate", "Title", "-Title")
_DIGITS = re.compile(r"^\d+$")


def _validation_error(value: str, member: str, constraint: str) -> JSONResponse:
    # Audible's validation errors: a bare {"message"} naming the camel-cased member and the failed constraint.
    message = f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    return JSONResponse({"message": message}, status_code=400)


def _groups(request: Request) -> tuple[list[str], JSONResponse | None]:
    raw = request.query_params.get("response_groups", "")
    groups = [g.strip() for g in raw.split(",") if g.strip()]
    unknown = [g for g in groups if g not in KNOWN_GROUPS]
    if unknown:
        return groups, JSONResponse({"message": f"Invalid response group: {unknown[0]}"}, status_code=400)
    return groups, None


def _rating(book: CatalogBook) -> dict[str, Any]:
    stars = round(book.rating * 2) / 2
    share = [0.6, 0.25, 0.1, 0.03, 0.02]
    counts = [int(book.num_ratings * s) for s in share]
    distribution = {
        "average_rating": book.rating,
        "display_average_rating": f"{book.rating:.1f}",
        "display_stars": stars,
        "num_five_star_ratings": counts[0],
        "num_four_star_ratings": counts[1],
        "num_three_star_ratings": counts[2],
        "num_two_star_ratings": counts[3],
        "num_one_star_ratings": counts[4],
        "num_ratings": book.num_ratings,
    }
    return {
        "num_reviews": book.num_ratings // 10,
        "overall_distribution": distribution,
        "performance_distribution": dict(distribution),
        "story_distribution": dict(distribution),
    }


def _attrs(book: CatalogBook) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "title": book.title,
        "subtitle": book.subtitle,
        "content_type": "Product",
        "content_delivery_type": book.content_delivery_type,
        "format_type": book.format_type,
        "has_children": book.content_delivery_type == "MultiPartBook",
        "is_adult_product": book.is_adult_product,
        "is_listenable": True,
        "is_purchasability_suppressed": False,
        "issue_date": book.issue_date,
        "language": book.language,
        "publication_name": book.publication_name,
        "publisher_name": book.publisher_name,
        "release_date": book.release_date,
        "runtime_length_min": book.runtime_length_min,
        "sku": f"BK_{book.asin[-6:]}US",
        "sku_lite": f"BK_{book.asin[-6:]}",
    }
    return attrs


def product_json(book: CatalogBook, groups: list[str], image_sizes: list[str], region: str) -> dict[str, Any]:
    """One product with the fields of the response groups asked for; Audible leaves out what it lacks."""
    if not book.available_in(region):
        # Not sold in this marketplace: Audible answers 200 with a bare product (Audnexus reads it as unavailable).
        bare: dict[str, Any] = {"asin": book.asin}
        if "customer_rights" in groups and region in book.regions:
            bare["customer_rights"] = {"product_state": book.product_state}  # e.g. NOT_AVAILABLE_FOR_PURCHASE
        return bare
    product: dict[str, Any] = {"asin": book.asin}
    if "product_attrs" in groups:
        product.update(_attrs(book))
    if "contributors" in groups:
        product["authors"] = book.authors
        product["narrators"] = book.narrators
    if "product_desc" in groups:
        product["merchandising_summary"] = book.merchandising_summary
        product["publisher_summary"] = book.publisher_summary
    if "product_details" in groups:
        product["isbn"] = book.isbn
        product["copyright"] = book.copyright
    if "product_extended_attrs" in groups:
        product["extended_product_description"] = book.publisher_summary
        product["thesaurus_subject_keywords"] = ["literature-and-fiction"]
    if "media" in groups and book.image_id:
        product["product_images"] = {size: book.image_url(size) for size in image_sizes or ["500"]}
    if "series" in groups and book.series:
        product["series"] = [
            {**s, "url": f"/series/{s['title'].replace(' ', '-')}-Audiobooks/{s.get('asin', '')}"} for s in book.series
        ]
    if "category_ladders" in groups:
        product["category_ladders"] = book.category_ladders
    if "rating" in groups:
        product["rating"] = _rating(book)
    if "customer_rights" in groups:
        product["customer_rights"] = {"product_state": book.product_state, "is_consumable": False}
    return {key: value for key, value in product.items() if value is not None}


def _sorted(books: list[CatalogBook], sort: str) -> list[CatalogBook]:
    if sort in ("ReleaseDate", "-ReleaseDate"):
        return sorted(books, key=lambda b: b.release_date or b.issue_date, reverse=sort.startswith("-"))
    if sort in ("Title", "-Title"):
        return sorted(books, key=lambda b: b.title.lower(), reverse=sort.startswith("-"))
    return books  # Relevance: the catalog's own order


class FakeAudible:
    """An in-memory Audible catalog API for one marketplace (``region``); serve ``.app``."""

    def __init__(self, catalog: AudibleCatalog | None = None, *, region: str = "us") -> None:
        if region not in AUDIBLE_TLDS:
            raise ValueError(f"unknown Audible region {region!r}")
        self.catalog = catalog or AudibleCatalog()
        self.region = region
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self._lock = threading.Lock()
        # Catalog reads need no sign-in; a blocked client gets a 403 with Audible's bare {"message"}.
        self.faults = FaultInjector(self._build_app(), auth_status=403, auth_body=b'{"message": "Forbidden"}')
        self.app = self.faults

    def add_book(self, asin: str, title: str, **fields: Any) -> CatalogBook:
        return self.catalog.add_book(asin, title, **fields)

    def seed(self, data: dict[str, Any]) -> None:
        """Load {"region": "us", "books": [...], "authors": [...]} (the catalog's seed shape)."""
        self.region = data.get("region", self.region)
        self.catalog.seed(data)

    def state(self) -> dict[str, Any]:
        with self._lock:
            log = [{"method": m, "path": p, "query": q} for m, p, q in self.requests]
        return {"region": self.region, "books": len(self.catalog.books), "requests": log}

    def _build_app(self) -> Starlette:
        routes = [
            Route("/1.0/catalog/products", self._search),
            Route("/1.0/catalog/products/{asin}", self._product),
            Route("/__fake__/seed", self._seed_endpoint, methods=["POST"]),
            Route("/__fake__/state", self._state_endpoint),
        ]
        return Starlette(routes=routes)

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append((request.method, request.url.path, list(request.query_params.multi_items())))

    async def _search(self, request: Request) -> Response:
        self._log(request)
        params = request.query_params
        groups, error = _groups(request)
        if error:
            return error
        num, page = params.get("num_results", "10"), params.get("page", "0")
        for value, member in ((num, "numResults"), (page, "page")):
            if not _DIGITS.match(value):
                return _validation_error(value, member, "Member must satisfy regular expression pattern: ^\\d+$")
        if int(num) > MAX_NUM_RESULTS:
            return _validation_error(
                num, "numResults", f"Member must have value less than or equal to {MAX_NUM_RESULTS}"
            )
        sort = params.get("products_sort_by", "Relevance")
        if sort not in SORTS:
            return _validation_error(sort, "productsSortBy", f"Member must satisfy enum value set: {list(SORTS)}")
        found = self.catalog.search(
            self.region,
            title=params.get("title"),
            author=params.get("author"),
            narrator=params.get("narrator"),
            keywords=params.get("keywords"),
        )
        found = _sorted(found, sort)
        start = int(page) * int(num)
        sizes = [s for s in params.get("image_sizes", "").split(",") if s]
        products = [product_json(book, groups, sizes, self.region) for book in found[start : start + int(num)]]
        return JSONResponse(
            {"products": products, "response_groups": ["always-returned", *groups], "total_results": len(found)}
        )

    async def _product(self, request: Request) -> Response:
        self._log(request)
        groups, error = _groups(request)
        if error:
            return error
        asin = request.path_params["asin"]
        sizes = [s for s in request.query_params.get("image_sizes", "").split(",") if s]
        book = self.catalog.books.get(asin)
        product = product_json(book, groups, sizes, self.region) if book else {"asin": asin}
        return JSONResponse({"product": product, "response_groups": ["always-returned", *groups]})

    async def _seed_endpoint(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True})

    async def _state_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.state())


def create_fake(seed: dict[str, Any] | None = None) -> FakeAudible:
    """A fake Audible catalog API, loaded with ``seed`` when given."""
    fake = FakeAudible(region=(seed or {}).get("region", "us"))
    if seed:
        fake.seed(seed)
    return fake
