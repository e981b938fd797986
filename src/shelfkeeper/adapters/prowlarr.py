"""Prowlarr adapter: book searches across the user's indexers (torrent and usenet), indexer list, status, downloads."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from shelfkeeper.adapters.budget import BudgetStore
from shelfkeeper.adapters.connection_report import connection_report
from shelfkeeper.adapters.http import ServiceClient, ServicePolicy
from shelfkeeper.domain.releases.release import NEWZNAB_AUDIOBOOK, DownloadProtocol, Release, ReleaseSource
from shelfkeeper.domain.torrents.nzb import NzbError, parse_nzb
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import (
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
)
from shelfkeeper.ports import BookQuery, ConnectionReport

logger = logging.getLogger(__name__)

SERVICE = "prowlarr"
_MAX_REDIRECTS = 3
_TOKEN_BREAKERS = re.compile(r"[{}]")  # a brace would end Prowlarr's {author:...} token early
_SPACES = re.compile(r"\s+")


class MagnetOnly(ServiceBadResponse):
    """The release is only a magnet link (Prowlarr answered 301 to ``magnet:``): there are no .torrent bytes."""

    def __init__(self, magnet: str) -> None:
        super().__init__(SERVICE, "the release is a magnet link, not a .torrent file", details={"magnet": magnet})
        self.magnet = magnet


@dataclass(frozen=True)
class ProwlarrIndexer:
    """One indexer configured in Prowlarr, as much as the search settings need."""

    id: int
    name: str
    enabled: bool
    protocol: str
    privacy: str | None = None
    supports_search: bool = True
    categories: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def book_search_params(query: BookQuery) -> tuple[str, str]:
    """The ``query`` text and ``type`` for a book: ``{author:X}{title:Y}`` tokens, else free text."""
    tokens = []
    if query.author:
        tokens.append(f"{{author:{_token_value(query.author)}}}")
    if query.title:
        tokens.append(f"{{title:{_token_value(query.title)}}}")
    if tokens:
        return "".join(tokens), "book"
    # No author or title: Prowlarr has no token for series, narrator or identifiers; search them as text.
    free = next((v for v in (query.series, query.isbn, query.asin, query.narrator) if v), "")
    return _SPACES.sub(" ", free).strip(), "search"


def _token_value(text: str) -> str:
    return _SPACES.sub(" ", _TOKEN_BREAKERS.sub(" ", text)).strip()


def lenient_int(value: Any) -> int | None:
    """An int from a number or a numeric string; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    try:
        return int(float(str(value).replace(",", "").strip()))
    except ValueError:
        return None


def parse_utc(value: Any) -> datetime | None:
    """Prowlarr's ``yyyy-MM-ddTHH:mm:ssZ`` (any ISO form is accepted); None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def strip_api_key(url: str | None) -> str | None:
    """``url`` without its ``apikey`` query value, so stored releases never carry the Prowlarr key."""
    if not url:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "apikey"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def release_from_resource(item: Mapping[str, Any]) -> Release | None:
    """A domain Release from one ReleaseResource (every field optional: nulls are left out of the JSON)."""
    title = str(item.get("title") or "").strip()
    if not title:
        return None
    indexer_id = lenient_int(item.get("indexerId"))
    download_url = strip_api_key(item.get("downloadUrl") or None)
    guid = str(item.get("guid") or item.get("infoUrl") or download_url or f"{indexer_id}:{title}")
    flags = [str(f).lower() for f in item.get("indexerFlags") or []]
    size = lenient_int(item.get("size"))
    info_hash = item.get("infoHash")
    usenet = str(item.get("protocol") or "").lower() == DownloadProtocol.USENET
    return Release(
        indexer=str(item.get("indexer") or f"indexer {indexer_id}"),
        title=title,
        guid=guid,
        source=ReleaseSource.PROWLARR,
        protocol=DownloadProtocol.USENET if usenet else DownloadProtocol.TORRENT,
        indexer_id=indexer_id,
        download_url=download_url,
        magnet_url=strip_api_key(item.get("magnetUrl") or None),
        info_hash=str(info_hash).lower() if info_hash else None,
        info_url=item.get("infoUrl") or None,
        size_bytes=size if size else None,  # 0 means unknown
        seeders=lenient_int(item.get("seeders")),
        leechers=lenient_int(item.get("leechers")),
        grabs=lenient_int(item.get("grabs")),
        published_at=parse_utc(item.get("publishDate")),
        categories=_category_ids(item.get("categories")),
        freeleech="freeleech" in flags,
        extra={
            "indexer_flags": flags,
            "files": lenient_int(item.get("files")),
            "protocol": item.get("protocol"),
            "age_hours": item.get("ageHours"),
        },
    )


def _category_ids(categories: Any) -> tuple[int, ...]:
    # Each category carries its sub-categories; indexer-specific ids are 100000 + the tracker's id.
    found: list[int] = []
    for category in categories or []:
        if isinstance(category, Mapping):
            subs = [s.get("id") for s in category.get("subCategories") or [] if isinstance(s, Mapping)]
            found += [
                i for i in (lenient_int(x) for x in [category.get("id"), *subs]) if i is not None and i not in found
            ]
    return tuple(found)


def indexer_from_resource(item: Mapping[str, Any]) -> ProwlarrIndexer | None:
    indexer_id = lenient_int(item.get("id"))
    if indexer_id is None:
        return None
    raw_caps = item.get("capabilities")
    caps: Mapping[str, Any] = raw_caps if isinstance(raw_caps, Mapping) else {}
    cats = [lenient_int(c.get("id")) for c in caps.get("categories") or [] if isinstance(c, Mapping)]
    return ProwlarrIndexer(
        id=indexer_id,
        name=str(item.get("name") or f"indexer {indexer_id}"),
        enabled=bool(item.get("enable", True)),
        protocol=str(item.get("protocol") or "unknown"),
        privacy=item.get("privacy"),
        supports_search=bool(item.get("supportsSearch", True)),
        categories=tuple(c for c in cats if c is not None),
        extra={"definition": item.get("definitionName"), "priority": item.get("priority")},
    )


class ProwlarrClient:
    """Implements ports.Indexer for Prowlarr's v1 API (searches go to the configured indexers)."""

    name = "prowlarr"

    def __init__(
        self,
        client: ServiceClient,
        api_key: str,
        *,
        indexer_ids: Sequence[int] = (),
        categories: Sequence[int] = (NEWZNAB_AUDIOBOOK,),
        protocols: Collection[DownloadProtocol] = (DownloadProtocol.TORRENT,),
    ) -> None:
        self._client = client
        self.protocols = frozenset(protocols)  # results of other protocols are dropped: no client could take them
        self._api_key = api_key
        self._indexer_ids = tuple(indexer_ids)
        self._categories = tuple(categories)
        self.configured = bool(api_key and client.policy.base_url)
        client.set_secret(api_key)

    @property
    def http(self) -> ServiceClient:
        """The underlying client (its ``health`` feeds the integrations endpoint)."""
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    # The key goes in a header on Prowlarr requests only: never to a tracker a download redirects to.
    def _auth(self) -> dict[str, str]:
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "PROWLARR_URL and PROWLARR_API_KEY are needed")
        return {"X-Api-Key": self._api_key}

    async def _get_json(self, path: str, params: Any = None) -> Any:
        return await self._client.get_json(path, params=params, headers=self._auth())

    async def search(self, query: BookQuery, *, limit: int = 100) -> list[Release]:
        """Releases for a book; ``limit`` is handed to each indexer as Prowlarr does (so per indexer)."""
        text, kind = book_search_params(query)
        if not text:
            return []
        return await self.search_text(text, kind=kind, limit=limit)

    async def search_text(
        self,
        text: str,
        *,
        kind: str = "search",
        limit: int = 100,
        offset: int = 0,
        categories: Sequence[int] | None = None,
        indexer_ids: Sequence[int] | None = None,
    ) -> list[Release]:
        """A raw search (manual search box): ``text`` with ``type=kind``, repeated indexerIds/categories keys."""
        params: list[tuple[str, str | int]] = [("query", text), ("type", kind)]
        params += [("indexerIds", i) for i in (self._indexer_ids if indexer_ids is None else indexer_ids)]
        params += [("categories", c) for c in (self._categories if categories is None else categories)]
        params += [("limit", limit), ("offset", offset)]
        payload = await self._get_json("/api/v1/search", params)
        if not isinstance(payload, list):
            raise ServiceBadResponse(SERVICE, f"search answered {type(payload).__name__}, expected a list")
        releases = []
        for item in payload:
            release = release_from_resource(item) if isinstance(item, Mapping) else None
            if release is None or release.protocol not in self.protocols:
                continue  # no title, or a usenet result while no usenet client is configured
            releases.append(release)
        return releases

    async def indexers(self) -> list[ProwlarrIndexer]:
        payload = await self._get_json("/api/v1/indexer")
        if not isinstance(payload, list):
            raise ServiceBadResponse(SERVICE, "indexer list is not a list")
        found = (indexer_from_resource(i) for i in payload if isinstance(i, Mapping))
        return [i for i in found if i is not None]

    async def system_status(self) -> dict[str, Any]:
        payload = await self._get_json("/api/v1/system/status")
        if not isinstance(payload, dict):
            raise ServiceBadResponse(SERVICE, "system status is not an object")
        return payload

    async def test_connection(self) -> ConnectionReport:
        if not self.configured:
            return ConnectionReport(SERVICE, configured=False, reachable=False, auth_ok=None)
        try:
            status = await self.system_status()
        except ServiceError as exc:
            return connection_report(SERVICE, exc)
        version = status.get("version")
        return connection_report(SERVICE, None, auth_ok=True, version=str(version) if version else None)

    async def fetch_download(self, release: Release) -> AddTorrent:
        """What to give the download client: the .torrent bytes, the magnet Prowlarr redirects to, or the NZB."""
        url = release.download_url or release.magnet_url
        if not url:
            raise ServiceBadResponse(SERVICE, f"release {release.title!r} has no download link")
        own = _origin(self._client.url_for("/"))
        key = self._auth()
        for _hop in range(_MAX_REDIRECTS + 1):
            # The key only goes to Prowlarr: a "redirect" indexer sends us on to the tracker's own host.
            response = await self._client.request("GET", url, headers=key if _origin(url) == own else None)
            if not response.is_redirect:
                if release.protocol is DownloadProtocol.USENET:
                    return AddTorrent(nzb_file=_nzb_bytes(response, release))
                return AddTorrent(torrent_file=_torrent_bytes(response, release))
            location = response.headers.get("location", "")
            if location.lower().startswith("magnet:"):
                return AddTorrent(url=location)
            url = str(response.url.join(location))
        raise ServiceBadResponse(SERVICE, f"more than {_MAX_REDIRECTS} redirects for {release.title!r}")

    async def fetch_torrent(self, release: Release) -> bytes:
        """The .torrent bytes; raises MagnetOnly (a ServiceBadResponse) when Prowlarr only has a magnet."""
        download = await self.fetch_download(release)
        if download.torrent_file is None:
            raise MagnetOnly(download.url or "")
        return download.torrent_file


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _nzb_bytes(response: httpx.Response, release: Release) -> bytes:
    content = response.content
    try:
        parse_nzb(content)
    except NzbError as exc:
        content_type = response.headers.get("content-type", "")
        raise ServiceBadResponse(
            SERVICE,
            f"download of {release.title!r} is not an NZB ({exc}; {content_type or 'no content type'})",
            details={"status": response.status_code, "content_type": content_type},
        ) from exc
    return content


def _torrent_bytes(response: httpx.Response, release: Release) -> bytes:
    content = response.content
    content_type = response.headers.get("content-type", "")
    if not content.startswith(b"d") or "html" in content_type or "xml" in content_type:
        raise ServiceBadResponse(
            SERVICE,
            f"download of {release.title!r} is not a .torrent file ({content_type or 'no content type'})",
            details={"status": response.status_code, "content_type": content_type},
        )
    return content


def build(
    base_url: str,
    api_key: str,
    *,
    indexer_ids: Sequence[int] = (),
    categories: Sequence[int] = (NEWZNAB_AUDIOBOOK,),
    protocols: Collection[DownloadProtocol] = (DownloadProtocol.TORRENT,),
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] | None = None,
    rng: random.Random | None = None,
    **policy: Any,
) -> ProwlarrClient:
    """A ProwlarrClient for ``base_url`` (may include a URL base such as ``/prowlarr``)."""
    # Prowlarr waits for every indexer before it answers a search: allow a slow answer.
    settings: dict[str, Any] = {"timeout": 60.0, "max_attempts": 3, "max_concurrency": 2, **policy}
    service_policy = ServicePolicy(name=SERVICE, base_url=base_url.rstrip("/"), secrets=(api_key,), **settings)
    extras: dict[str, Any] = {k: v for k, v in {"sleep": sleep, "clock": clock, "rng": rng}.items() if v is not None}
    client = ServiceClient(service_policy, budget=budget, transport=transport, **extras)
    return ProwlarrClient(client, api_key, indexer_ids=indexer_ids, categories=categories, protocols=protocols)
