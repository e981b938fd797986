"""Volumes, query parsing and error bodies for the fake Google Books API."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from shelfkeeper.testing.fakes.audible_data import all_words_in, words

OPERATORS = ("intitle", "inauthor", "inpublisher", "subject", "isbn", "lccn", "oclc")
_OPERATOR = re.compile(r"\b(" + "|".join(OPERATORS) + r"):", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")

# The reference's exact bodies for the two ways Google says the daily quota is gone.
QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service 'books.googleapis.com' "
    "for consumer 'project_number:000000000000'."
)
DAILY_LIMIT_MESSAGE = "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT)."


def google_error(code: int, status: str | None, message: str, reason: str, domain: str = "global") -> dict[str, Any]:
    """Google's standard error envelope."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if status:
        error["status"] = status
    return {"error": error}


def quota_exhausted_429() -> dict[str, Any]:
    body = google_error(429, "RESOURCE_EXHAUSTED", QUOTA_MESSAGE, "rateLimitExceeded")
    body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_limit": "defaultPerDayPerProject",
                "quota_metric": "books.googleapis.com/default",
                "service": "books.googleapis.com",
                "consumer": "projects/000000000000",
                "quota_limit_value": "1000",
                "quota_location": "global",
            },
        }
    ]
    return body


def daily_limit_403() -> dict[str, Any]:
    return google_error(403, "PERMISSION_DENIED", DAILY_LIMIT_MESSAGE, "dailyLimitExceeded", domain="usageLimits")


def key_invalid_400() -> dict[str, Any]:
    message = "API key not valid. Please pass a valid API key."
    return google_error(400, "INVALID_ARGUMENT", message, "keyInvalid")


@dataclass
class ParsedQuery:
    """A ``q`` split into its operators; each operator's text runs to the next operator."""

    keywords: str = ""
    terms: dict[str, list[str]] = field(default_factory=dict)


def parse_q(q: str) -> ParsedQuery:
    text = q.replace("+", " ")  # a literal "+" (sent as %2B) separates terms like a space does
    parsed = ParsedQuery()
    pieces = _OPERATOR.split(text)
    parsed.keywords = pieces[0].strip()
    for op, value in zip(pieces[1::2], pieces[2::2], strict=True):
        parsed.terms.setdefault(op.lower(), []).append(value.strip().strip('"').strip())
    return parsed


def volume_id_for(title: str, authors: list[str]) -> str:
    # Google volume ids are 12 URL-safe characters; derive a stable one from the book.
    digest = hashlib.sha1(f"{title}|{'|'.join(authors)}".encode(), usedforsecurity=False).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(alphabet[b % 64] for b in digest[:12])


@dataclass
class Volume:
    """One volume; ``info`` is its volumeInfo as Google returns it (absent fields left out, never null)."""

    id: str
    info: dict[str, Any]

    @classmethod
    def build(cls, title: str, authors: list[str] | tuple[str, ...] = (), **fields: Any) -> Volume:
        """From friendly fields: isbn_13, isbn_10, published_date, description (HTML), categories, language, ..."""
        authors = list(authors)
        volume_id = fields.pop("id", None) or volume_id_for(title, authors)
        identifiers = _identifiers(fields)
        link = f"http://books.google.com/books?id={volume_id}"
        info: dict[str, Any] = {
            "title": title,
            "subtitle": fields.pop("subtitle", None),
            "authors": authors or None,
            "publisher": fields.pop("publisher", None),
            "publishedDate": fields.pop("published_date", None),
            "description": fields.pop("description", None),
            "industryIdentifiers": identifiers or None,
            "readingModes": {"text": False, "image": True},
            "pageCount": fields.pop("page_count", None),
            "printType": fields.pop("print_type", "BOOK"),
            "categories": fields.pop("categories", None),
            "averageRating": fields.pop("average_rating", None),
            "ratingsCount": fields.pop("ratings_count", None),
            "maturityRating": "NOT_MATURE",
            "allowAnonLogging": False,
            "contentVersion": "0.1.0.0.preview.1",
            "language": fields.pop("language", "en"),
            "previewLink": f"{link}&hl=&cd=1&source=gbs_api",
            "infoLink": f"{link}&hl=&source=gbs_api",
            "canonicalVolumeLink": f"https://books.google.com/books/about/?id={volume_id}",
            "seriesInfo": fields.pop("series_info", None),
        }
        has_cover = fields.pop("cover", True)
        if fields:
            raise ValueError(f"unknown volume fields: {sorted(fields)}")
        if has_cover:
            info["imageLinks"] = {"smallThumbnail": _image(volume_id, 5), "thumbnail": _image(volume_id, 1)}
        return cls(id=volume_id, info={k: v for k, v in info.items() if v is not None})

    def isbns(self) -> list[str]:
        return [i["identifier"] for i in self.info.get("industryIdentifiers", []) if i["type"].startswith("ISBN")]

    def matches(self, parsed: ParsedQuery) -> bool:
        info = self.info
        title_words = words(f"{info.get('title', '')} {info.get('subtitle', '')}")
        author_words = words(" ".join(info.get("authors", [])))
        everything = title_words + author_words + words(info.get("description")) + words(info.get("publisher"))
        checks = [all_words_in(parsed.keywords, everything)]
        checks += [all_words_in(v, title_words) for v in parsed.terms.get("intitle", [])]
        checks += [all_words_in(v, author_words) for v in parsed.terms.get("inauthor", [])]
        checks += [all_words_in(v, words(info.get("publisher"))) for v in parsed.terms.get("inpublisher", [])]
        checks += [
            all_words_in(v, words(" ".join(info.get("categories", [])))) for v in parsed.terms.get("subject", [])
        ]
        wanted_isbns = [re.sub(r"[^0-9Xx]", "", v).upper() for v in parsed.terms.get("isbn", [])]
        checks += [isbn in self.isbns() for isbn in wanted_isbns]
        return all(checks)

    def json(self, *, full_images: bool, projection: str) -> dict[str, Any]:
        info = dict(self.info)
        if full_images and "imageLinks" in info:
            info["imageLinks"] = {
                **info["imageLinks"],
                **{
                    name: _image(self.id, zoom)
                    for name, zoom in (("small", 2), ("medium", 3), ("large", 4), ("extraLarge", 6))
                },
            }
        if projection == "lite":
            info.pop("description", None)
        volume = {
            "kind": "books#volume",
            "id": self.id,
            "etag": hashlib.md5(self.id.encode(), usedforsecurity=False).hexdigest()[:11],
            "selfLink": f"https://www.googleapis.com/books/v1/volumes/{self.id}",
            "volumeInfo": info,
            "saleInfo": {"country": "US", "saleability": "NOT_FOR_SALE", "isEbook": False},
            "accessInfo": {"country": "US", "viewability": "PARTIAL", "embeddable": True, "publicDomain": False},
        }
        if not full_images and info.get("description"):
            volume["searchInfo"] = {"textSnippet": _TAG.sub("", info["description"])[:150]}
        return volume


def _identifiers(fields: dict[str, Any]) -> list[dict[str, str]]:
    """industryIdentifiers from (and taken out of) the friendly fields isbn_10, isbn_13, other_id."""
    kinds = (("isbn_10", "ISBN_10"), ("isbn_13", "ISBN_13"), ("other_id", "OTHER"))
    values = [(kind, fields.pop(key, None)) for key, kind in kinds]
    return [{"type": kind, "identifier": str(value)} for kind, value in values if value]


def _image(volume_id: str, zoom: int) -> str:
    # Google hands out cover links as plain http://.
    return f"http://books.google.com/books/content?id={volume_id}&printsec=frontcover&img=1&zoom={zoom}&source=gbs_api"
