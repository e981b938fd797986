"""MyAnonamouse adapter: JSON search with the mam_id session cookie (kept as it rotates), stats, downloads."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import httpx

from shelfkeeper.adapters.budget import BudgetStore
from shelfkeeper.adapters.connection_report import connection_report
from shelfkeeper.adapters.http import ServiceClient, ServicePolicy
from shelfkeeper.adapters.mam_items import (
    lenient_float,
    parse_ratio,
    parse_size,
    release_from_item,
)
from shelfkeeper.adapters.prowlarr import lenient_int
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import AUDIOBOOKS, BonusAnswer, TrackerStats
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import (
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
)
from shelfkeeper.ports import BookQuery, ConnectionReport

logger = logging.getLogger(__name__)

SERVICE = "mam"
COOKIE = "mam_id"
SEARCH_PATH = "/tor/js/loadSearchJSONbasic.php"
STATS_PATH = "/jsonLoad.php"
BONUS_PATH = "/json/bonusBuy.php"
PURCHASE_PAUSE = 2.0  # seconds between two purchases, as the autospend scripts wait
NOTHING_RETURNED = "Nothing returned, out of"
PAGE_MAX = 100  # MAM's perpage is 5..100
_NOT_WORD = re.compile(r"[^\w]+")  # Prowlarr's sanitising of search text

CookieCallback = Callable[[str], Awaitable[None] | None]


def search_params(
    text: str,
    *,
    fields: Sequence[str],
    main_categories: Sequence[int],
    categories: Sequence[int] = (),
    languages: Sequence[int] = (),
    search_type: str = "all",
    sort: str = "default",
    start: int = 0,
    per_page: int = PAGE_MAX,
    start_date: date | None = None,
    end_date: date | None = None,
) -> list[tuple[str, str]]:
    """The bracketed GET parameters of loadSearchJSONbasic, as Prowlarr and Jackett send them."""
    params = [("tor[text]", _NOT_WORD.sub(" ", text).strip())]
    params += [(f"tor[srchIn][{name}]", "true") for name in fields]
    params += [("tor[searchType]", search_type), ("tor[searchIn]", "torrents")]
    params += [("tor[main_cat][]", str(c)) for c in main_categories]
    params += [(f"tor[cat][{i}]", str(c)) for i, c in enumerate(categories)] or [("tor[cat][]", "0")]
    params += [(f"tor[browse_lang][{i}]", str(lang)) for i, lang in enumerate(languages)]
    if start_date is not None:
        params.append(("tor[startDate]", start_date.isoformat()))  # inclusive
    if end_date is not None:
        params.append(("tor[endDate]", end_date.isoformat()))  # exclusive
    size = str(min(PAGE_MAX, max(5, per_page)))
    params += [("tor[sortType]", sort), ("tor[startNumber]", str(start))]
    # Prowlarr sends tor[perpage], other clients a top-level perpage; MAM's docs name the latter. Send both.
    params += [("tor[perpage]", size), ("perpage", size), ("dlLink", ""), ("isbn", "")]
    return params


def rotated_cookie(response: httpx.Response) -> str | None:
    """The new ``mam_id`` a response sets, if it sets one."""
    for header in response.headers.get_list("set-cookie"):
        try:
            parsed: SimpleCookie = SimpleCookie(header)
        except CookieError:
            continue
        if COOKIE in parsed and parsed[COOKIE].value:
            return parsed[COOKIE].value
    return None


# ---- the client --------------------------------------------------------------------------------------------


class MamClient:
    """Implements ports.Indexer and ports.TrackerAccount for MyAnonamouse with the user's session cookie."""

    name = "mam"

    def __init__(
        self,
        client: ServiceClient,
        mam_id: str,
        *,
        on_cookie_rotated: CookieCallback | None = None,
        search_fields: Sequence[str] = ("title", "author", "series", "narrator"),
        main_categories: Sequence[int] = (AUDIOBOOKS,),
        languages: Sequence[int] = (),
        purchase_pause: float = PURCHASE_PAUSE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._purchase_pause = purchase_pause
        self._sleep, self._clock, self._wall_clock = sleep, clock, wall_clock
        self._purchase_lock: asyncio.Lock | None = None
        self._next_purchase = float("-inf")
        self._cookie = mam_id
        self._on_rotated = on_cookie_rotated
        self._fields = tuple(search_fields)
        self._main_categories = tuple(main_categories)
        self._languages = tuple(languages)
        self.configured = bool(mam_id and client.policy.base_url)
        self._base = client.policy.base_url.rstrip("/")
        if mam_id:
            client.set_secret(mam_id)
            self._pin_cookie(mam_id)

    @property
    def http(self) -> ServiceClient:
        """The underlying client (its ``health`` feeds the integrations endpoint)."""
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def current_cookie(self) -> str:
        """The newest ``mam_id`` (MAM rotates it; the app persists it through ``on_cookie_rotated``)."""
        return self._cookie

    # -- cookie handling -----------------------------------------------------------------------------------

    def _pin_cookie(self, value: str) -> None:
        # Exactly one mam_id in the jar: with two (configured + server-set) httpx would send both.
        jar = self._client.cookies
        jar.delete(COOKIE)
        jar.set(COOKIE, value)

    def _jar_cookie(self) -> str | None:
        values = [c.value for c in self._client.cookies.jar if c.name == COOKIE and c.value]
        return values[-1] if values else None

    async def _note_rotation(self, response: httpx.Response | None) -> None:
        new = (rotated_cookie(response) if response is not None else None) or self._jar_cookie()
        if not new or new == self._cookie:
            return
        self._client.set_secret(new)
        self._cookie = new
        self._pin_cookie(new)
        logger.info("mam: the session cookie was rotated by the server; keeping the new value")
        if self._on_rotated is None:
            return
        try:
            outcome = self._on_rotated(new)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:  # persisting is the app's job; a failure there must not lose this search
            logger.warning("mam: could not persist the rotated cookie: %s", self._client.redact(str(exc)))

    async def _get(self, path: str, params: Any = None, *, retry: bool = True) -> httpx.Response:
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "MAM_ID (the mam_id session cookie) is needed")
        response: httpx.Response | None = None
        try:
            response = await self._client.request("GET", path, params=params, retry=retry)
            return response
        finally:
            await self._note_rotation(response)

    async def _get_json(self, path: str, params: Any = None, *, retry: bool = True) -> Any:
        response = await self._get(path, params, retry=retry)
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            # Some MAM pages answer HTML (a login or error page) with status 200.
            raise ServiceBadResponse(
                SERVICE,
                f"{path} answered {content_type or 'no content type'} instead of JSON (is the mam_id still valid?)",
                details={"status": response.status_code, "body": self._client.redact(response.text[:200])},
            )
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceBadResponse(SERVICE, f"{path} answered a body that is not JSON") from exc

    # -- searching -----------------------------------------------------------------------------------------

    async def _search_page(self, params: list[tuple[str, str]]) -> tuple[list[Release], int]:
        payload = await self._get_json(SEARCH_PATH, params)
        if not isinstance(payload, Mapping):
            raise ServiceBadResponse(SERVICE, "search answered something that is not an object")
        if "data" not in payload:
            message = str(payload.get("error") or payload.get("message") or "")
            if message.startswith(NOTHING_RETURNED):
                return [], 0
            if "session" in message.lower() or "signed in" in message.lower():
                raise ServiceAuthFailed(SERVICE, f"search refused: {message}")
            raise ServiceBadResponse(SERVICE, f"search failed: {message or 'no data in the answer'}")
        items = payload.get("data") or []
        releases = [r for r in (release_from_item(i, self._base) for i in items if isinstance(i, Mapping)) if r]
        total = lenient_int(payload.get("total")) or lenient_int(payload.get("found")) or len(releases)
        return releases, total

    async def _collect(self, limit: int, **options: Any) -> list[Release]:
        # One request per page, as politeness asks; more pages only when the caller wants more than 100.
        found: list[Release] = []
        while len(found) < limit:
            per_page = min(PAGE_MAX, max(5, limit - len(found)))
            page, total = await self._search_page(search_params(start=len(found), per_page=per_page, **options))
            found += page
            if not page or len(found) >= total:
                break
        return found[:limit]

    async def search(self, query: BookQuery, *, limit: int = 100) -> list[Release]:
        """Audiobook torrents whose title/author/series/narrator fields hold the query's words."""
        wanted = {"title": query.title, "author": query.author, "series": query.series, "narrator": query.narrator}
        fields = [name for name in self._fields if wanted.get(name)]
        text = " ".join(v for name in fields if (v := wanted[name]))
        if not text.strip():
            return []
        return await self._collect(
            limit, text=text, fields=fields, main_categories=self._main_categories, languages=self._languages
        )

    async def top_snatched(self, category_id: int | None, start: date, end: date, limit: int) -> list[Release]:
        """The most snatched audiobooks added in [start, end) in a sub-category (None: all), for top-10 lists."""
        return await self._collect(
            limit,
            text="",
            fields=("title",),
            main_categories=self._main_categories,
            categories=(category_id,) if category_id is not None else (),
            languages=self._languages,
            sort="snatchedDesc",
            start_date=start,
            end_date=end,
        )

    # -- account and downloads -----------------------------------------------------------------------------

    async def user_stats(self) -> TrackerStats:
        """Ratio, bonus points, wedges and class from ``/jsonLoad.php``."""
        data = await self._get_json(STATS_PATH)
        if not isinstance(data, Mapping) or "username" not in data:
            message = data.get("error") if isinstance(data, Mapping) else None
            raise ServiceBadResponse(SERVICE, f"user stats missing: {message or 'no username in the answer'}")
        return TrackerStats(
            username=str(data["username"]),
            user_class=str(data["classname"]) if data.get("classname") else None,
            ratio=parse_ratio(data.get("ratio")),
            uploaded_bytes=lenient_int(data.get("uploaded_bytes")) or parse_size(data.get("uploaded")),
            downloaded_bytes=lenient_int(data.get("downloaded_bytes")) or parse_size(data.get("downloaded")),
            bonus_points=lenient_float(data.get("seedbonus")),
            wedges=lenient_int(data.get("wedges")),
            vip_until=str(data["vip_until"]) if data.get("vip_until") else None,
        )

    async def fetch_torrent(self, release: Release) -> bytes:
        """The .torrent bytes, fetched with the session cookie (so it never has to leave this program)."""
        url = release.download_url or (
            f"{self._base}/tor/download.php?tid={release.mam_id}" if release.mam_id is not None else None
        )
        if not url:
            raise ServiceBadResponse(SERVICE, f"release {release.title!r} has no download link")
        if urlsplit(url).netloc not in ("", urlsplit(self._base).netloc):
            # The session cookie is only ever sent to MAM itself.
            raise ServiceBadResponse(SERVICE, f"release {release.title!r} does not link to MyAnonamouse")
        response = await self._get(url)
        content_type = response.headers.get("content-type", "")
        if not response.content.startswith(b"d") or "html" in content_type or "json" in content_type:
            raise ServiceBadResponse(
                SERVICE,
                f"download of {release.title!r} is not a .torrent file ({content_type or 'no content type'})",
                details={"status": response.status_code, "content_type": content_type},
            )
        return response.content

    async def fetch_download(self, release: Release) -> AddTorrent:
        """ports.Indexer: MyAnonamouse always gives the .torrent file itself."""
        return AddTorrent(torrent_file=await self.fetch_torrent(release))

    # -- the bonus store -------------------------------------------------------------------------------------

    async def apply_wedge(self, torrent_id: int) -> BonusAnswer:
        """Make a torrent personal freeleech with one wedge (Prowlarr's and MLM's request)."""
        stamp = str(int(self._wall_clock()))
        params = [("spendtype", "personalFL"), ("torrentid", str(torrent_id)), ("timestamp", stamp)]
        return await self._bonus_buy(f"{BONUS_PATH}/{stamp}", params)

    async def buy_wedge_with_points(self) -> BonusAnswer:
        return await self._bonus_buy(f"{BONUS_PATH}/", [("spendtype", "wedges"), ("source", "points")])

    async def buy_upload(self, amount_gb: float) -> BonusAnswer:
        return await self._bonus_buy(f"{BONUS_PATH}/", [("spendtype", "upload"), ("amount", f"{amount_gb:g}")])

    async def _bonus_buy(self, path: str, params: list[tuple[str, str]]) -> BonusAnswer:
        """One purchase at a time, ``purchase_pause`` apart, never retried (it spends); cache-busting ``_``."""
        self._purchase_lock = self._purchase_lock or asyncio.Lock()
        async with self._purchase_lock:
            wait = self._next_purchase - self._clock()
            if wait > 0:
                await self._sleep(wait)
            try:
                payload = await self._get_json(path, [*params, ("_", str(int(self._wall_clock() * 1000)))], retry=False)
            finally:
                self._next_purchase = self._clock() + self._purchase_pause
        if not isinstance(payload, Mapping) or "success" not in payload:
            raise ServiceBadResponse(SERVICE, "bonusBuy answered without a success field")
        others = {k: v for k, v in payload.items() if k not in ("success", "error")}
        if payload["success"] is True or str(payload["success"]).lower() in ("true", "1"):
            return BonusAnswer(True, None, others)
        return BonusAnswer(False, str(payload.get("error") or "refused without a reason"), others)

    async def budget_left(self) -> int | None:
        """Requests left today under MAM_DAILY_REQUEST_CAP (counted in the shared store)."""
        return await self._client.budget_left()

    async def test_connection(self) -> ConnectionReport:
        if not self.configured:
            return ConnectionReport(SERVICE, configured=False, reachable=False, auth_ok=None)
        try:
            await self.user_stats()
        except ServiceError as exc:
            return connection_report(SERVICE, exc)
        return connection_report(SERVICE, None, auth_ok=True)


def classify(response: httpx.Response) -> ServiceError | None:
    """MAM's 403 means the mam_id expired, was invalidated or is locked to another IP/ASN."""
    if response.status_code == 403:
        return ServiceAuthFailed(
            SERVICE,
            "MAM refused the mam_id session cookie (expired, invalidated, or locked to another IP): "
            "create a new session under Preferences -> Security and set MAM_ID",
            details={"status": 403},
        )
    return None


def build(
    base_url: str,
    mam_id: str,
    *,
    on_cookie_rotated: CookieCallback | None = None,
    languages: Sequence[int] = (),
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] | None = None,
    rng: random.Random | None = None,
    purchase_pause: float = PURCHASE_PAUSE,
    wall_clock: Callable[[], float] | None = None,
    **policy: Any,
) -> MamClient:
    """A polite MamClient: one request at a time, ``min_interval`` (default 3 s) between request starts, and
    ``purchase_pause`` (default 2 s) between two purchases."""
    settings: dict[str, Any] = {"timeout": 30.0, "max_attempts": 3, "min_interval": 3.0, **policy}
    settings["max_concurrency"] = 1  # MAM is used politely only: never parallel requests
    service_policy = ServicePolicy(name=SERVICE, base_url=base_url.rstrip("/"), secrets=(mam_id,), **settings)
    extras: dict[str, Any] = {k: v for k, v in {"sleep": sleep, "clock": clock, "rng": rng}.items() if v is not None}
    client = ServiceClient(
        service_policy,
        budget=budget,
        transport=transport,
        headers={"User-Agent": "Shelfkeeper (audiobook automation)"},
        classify=classify,
        **extras,
    )
    timing: dict[str, Any] = {
        k: v for k, v in {"sleep": sleep, "clock": clock, "wall_clock": wall_clock}.items() if v is not None
    }
    return MamClient(
        client,
        mam_id,
        on_cookie_rotated=on_cookie_rotated,
        languages=languages,
        purchase_pause=purchase_pause,
        **timing,
    )
