"""A faithful fake MyAnonamouse: cookie-only auth with rotation, loadSearchJSONbasic, downloads, jsonLoad."""

from __future__ import annotations

import asyncio
import html
import random
import re
import threading
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shelfkeeper.adapters.mam import BONUS_PATH, COOKIE, NOTHING_RETURNED, SEARCH_PATH, STATS_PATH
from shelfkeeper.domain.text import fold
from shelfkeeper.testing.fakes.mam_bonus import BonusStore
from shelfkeeper.testing.fakes.mam_data import (
    MamTorrent,
    MamUser,
    int_list,
    parse_brackets,
    parse_day,
    search_fields,
    torrent_resource,
    truthy,
)
from shelfkeeper.testing.faults import FaultInjector

# What a stale or wrong mam_id gets: 403 with a short HTML page, not JSON.
FORBIDDEN_BODY = b"<html><body>Error, you are not signed in</body></html>"
_FLAG_PARAMS = ("dlLink", "description", "isbn", "thumbnail", "thumbnails", "mediaInfo")
_SORT_KEYS: dict[str, Callable[[MamTorrent], Any]] = {
    "title": lambda t: html.unescape(t.title).lower(),
    "file": lambda t: t.filetype,
    "size": lambda t: t.size,
    "seeders": lambda t: t.seeders,
    "leechers": lambda t: t.leechers,
    "snatched": lambda t: t.times_completed,
    "date": lambda t: t.added,
    "category": lambda t: t.category,
    "bmka": lambda t: t.id,
    "reseed": lambda t: t.id,
}
_SEARCH_TYPES: dict[str, Callable[[MamTorrent], bool]] = {
    "active": lambda t: t.seeders > 0,
    "inactive": lambda t: t.seeders == 0,
    "fl": lambda t: t.free or t.personal_freeleech,
    "fl-VIP": lambda t: t.free or t.personal_freeleech or t.vip or t.fl_vip,
    "VIP": lambda t: t.vip,
    "nVIP": lambda t: not t.vip,
}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


class FakeMam:
    """An in-memory MyAnonamouse; serve ``.app``; seed with ``add_torrent`` or ``POST /__fake__/seed``."""

    def __init__(
        self, mam_id: str = "mam-session-initial", *, rotate_every: int | None = 3, retire_rotated: bool = True
    ) -> None:
        self.sessions = {mam_id}
        self.current_cookie = mam_id
        self.rotate_every = rotate_every  # every Nth signed-in answer carries Set-Cookie: mam_id=<new>
        self.retire_rotated = retire_rotated  # the old value stops working once rotated (one holder only)
        self.rotate_next = False
        self.rotations: list[str] = []
        self.user = MamUser()
        self.torrents: dict[int, MamTorrent] = {}
        self.bonus = BonusStore(self)
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self.cookies_seen: list[str | None] = []
        self.downloads: list[int] = []
        self.response_delay = 0.0  # seconds each answer takes, to observe concurrency
        self.in_flight = 0
        self.max_in_flight = 0
        self._answers = 0
        self._rng = random.Random(7)
        self._lock = threading.Lock()
        self.faults = FaultInjector(self._build_app(), auth_status=403, auth_body=FORBIDDEN_BODY)
        self.app = self.faults

    # ---- seeding -------------------------------------------------------------------------------------------

    def add_torrent(self, title: str, *, id: int | None = None, **options: Any) -> MamTorrent:
        with self._lock:
            torrent_id = id if id is not None else max(self.torrents, default=100000) + 1
            torrent = MamTorrent(id=torrent_id, title=title, **options)
            torrent.dl = f"{self._rng.getrandbits(128):032x}"
            self.torrents[torrent_id] = torrent
        return torrent

    def seed(self, data: dict[str, Any]) -> None:
        """Load the JSON seed shape: {"mam_id", "rotate_every", "user": {...}, "torrents": [{...}]}."""
        if "mam_id" in data:
            self.sessions = {data["mam_id"]}
            self.current_cookie = data["mam_id"]
        self.rotate_every = data.get("rotate_every", self.rotate_every)
        if "user" in data:
            self.user = MamUser(**data["user"])
        if "bonus" in data:
            self.bonus.configure(**data["bonus"])
        known = {f.name for f in fields(MamTorrent)}
        for entry in data.get("torrents", []):
            entry = {k: v for k, v in entry.items() if k in known}
            if isinstance(entry.get("added"), str):
                entry["added"] = datetime.fromisoformat(entry["added"]).replace(tzinfo=UTC)
            self.add_torrent(entry.pop("title"), **entry)

    def state(self) -> dict[str, Any]:
        return {
            "requests": [[m, p, [list(kv) for kv in q]] for m, p, q in self.requests],
            "current_cookie": self.current_cookie,
            "rotations": len(self.rotations),
            "downloads": list(self.downloads),
            "max_in_flight": self.max_in_flight,
            "torrents": len(self.torrents),
            "purchases": list(self.bonus.purchases),
        }

    # ---- app -----------------------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(SEARCH_PATH, self._search, methods=["GET", "POST"]),
                Route("/tor/download.php", self._download_by_id),
                Route("/tor/download.php/{dl}", self._download_by_hash),
                Route(STATS_PATH, self._user),
                Route(BONUS_PATH, self._bonus_buy),
                Route(BONUS_PATH + "/", self._bonus_buy),
                Route(BONUS_PATH + "/{stamp}", self._bonus_buy),
                Route("/__fake__/seed", self._seed_endpoint, methods=["POST"]),
                Route("/__fake__/state", self._state_endpoint),
            ]
        )

    async def _enter(self, request: Request) -> None:
        with self._lock:
            self.requests.append((request.method, request.url.path, list(request.query_params.multi_items())))
            self.cookies_seen.append(request.cookies.get(COOKIE))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.response_delay:
            await asyncio.sleep(self.response_delay)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _signed_in(self, request: Request) -> bool:
        return request.cookies.get(COOKIE) in self.sessions

    def _answer(self, response: Response) -> Response:
        """A signed-in answer; some of them hand the client a new mam_id."""
        with self._lock:
            self._answers += 1
            due = self.rotate_next or bool(self.rotate_every and self._answers % self.rotate_every == 0)
            if not due:
                return response
            self.rotate_next = False
            new_value = f"mam-{self._rng.getrandbits(96):024x}"
            self.sessions = {new_value} if self.retire_rotated else {*self.sessions, new_value}
            self.current_cookie = new_value
            self.rotations.append(new_value)
        expires = format_datetime(datetime.now(UTC) + timedelta(days=30), usegmt=True)
        response.headers.append(
            "set-cookie", f"{COOKIE}={new_value}; expires={expires}; Max-Age=2592000; path=/; HttpOnly"
        )
        return response

    async def _guarded(self, request: Request, handler: Any) -> Response:
        await self._enter(request)
        try:
            if not self._signed_in(request):
                return Response(FORBIDDEN_BODY, status_code=403, media_type="text/html")
            response: Response = await handler(request)
            return self._answer(response) if response.status_code < 400 else response
        finally:
            self._leave()

    async def _search(self, request: Request) -> Response:
        return await self._guarded(request, self._search_answer)

    async def _search_answer(self, request: Request) -> Response:
        tor, flags, perpage = await self._search_request(request)
        return _json(self.search(tor, flags, perpage))

    @staticmethod
    async def _search_request(request: Request) -> tuple[dict[str, Any], set[str], Any]:
        # GET with bracketed params, or POST with a JSON body {"tor": {...}, "perpage": n, "dlLink": true}.
        if request.method == "POST" and "json" in request.headers.get("content-type", ""):
            body = await request.json()
            flags = {name for name in _FLAG_PARAMS if truthy(body.get(name))}
            return body.get("tor") or {}, flags, body.get("perpage")
        if request.method == "POST":
            parsed = parse_brackets(list((await request.form()).multi_items()))  # type: ignore[arg-type]
        else:
            parsed = parse_brackets(list(request.query_params.multi_items()))
        # A bare flag (?dlLink) arrives as an empty value: present means on.
        flags = {name for name in _FLAG_PARAMS if name in parsed and parsed[name] not in ("0", "false")}
        raw_tor = parsed.get("tor")
        tor: dict[str, Any] = raw_tor if isinstance(raw_tor, dict) else {}
        return tor, flags, parsed.get("perpage") or tor.get("perpage")

    def search(self, tor: dict[str, Any], flags: set[str], perpage: Any) -> dict[str, Any]:
        """The search answer for a parsed ``tor`` object: filters, sort, paging, the "Nothing returned" error."""
        words = fold(re.sub(r"[^\w]+", " ", str(tor.get("text") or ""))).split()
        in_fields = search_fields(tor.get("srchIn"))
        hits = [t for t in self.torrents.values() if self._keeps(t, tor) and self._has_words(t, words, in_fields)]
        weights = {t.id: sum(w in fold(html.unescape(t.title)).split() for w in words) for t in hits}
        hits = self._sorted(hits, str(tor.get("sortType") or "default"), weights, bool(words))
        try:
            size = min(100, max(5, int(perpage or 25)))
            start = max(0, int(tor.get("startNumber") or 0))
        except ValueError:
            size, start = 25, 0
        page = hits[start : start + size]
        if not page:
            return {"error": f"{NOTHING_RETURNED} {len(hits)}"}
        data = [torrent_resource(t, flags, weights[t.id]) for t in page]
        return {"perpage": size, "start": start, "data": data, "total": len(hits), "found": len(hits)}

    @staticmethod
    def _keeps(torrent: MamTorrent, tor: dict[str, Any]) -> bool:
        main_cats, langs = int_list(tor.get("main_cat")), int_list(tor.get("browse_lang"))
        cats = [c for c in int_list(tor.get("cat")) if c != 0]
        start, end = parse_day(tor.get("startDate")), parse_day(tor.get("endDate"))
        kind = _SEARCH_TYPES.get(str(tor.get("searchType") or "all"))
        checks = [
            not main_cats or torrent.main_cat in main_cats,
            not cats or torrent.category in cats,
            not langs or torrent.language in langs,
            start is None or torrent.added >= start,  # start inclusive
            end is None or torrent.added < end,  # end exclusive
            kind is None or bool(kind(torrent)),
            not tor.get("id") or str(tor.get("id")) == str(torrent.id),
            not tor.get("hash") or str(tor.get("hash")).lower() == (torrent.info_hash or "").lower(),
        ]
        return all(checks)

    @staticmethod
    def _has_words(torrent: MamTorrent, words: list[str], in_fields: list[str]) -> bool:
        if not words:
            return True
        have = set(fold(" ".join(torrent.searchable(f) for f in in_fields)).split())
        return all(word in have for word in words)

    def _sorted(self, hits: list[MamTorrent], sort: str, weights: dict[int, int], text: bool) -> list[MamTorrent]:
        if sort == "random":
            shuffled = list(hits)
            self._rng.shuffle(shuffled)
            return shuffled
        for name, key in _SORT_KEYS.items():
            if sort in (f"{name}Asc", f"{name}Desc"):
                return sorted(hits, key=key, reverse=sort.endswith("Desc"))
        if text:  # default: best text weight first, then newest id
            return sorted(hits, key=lambda t: (weights[t.id], t.id), reverse=True)
        return sorted(hits, key=lambda t: (t.added, t.id), reverse=True)

    async def _download_by_id(self, request: Request) -> Response:
        return await self._guarded(request, self._torrent_file)

    async def _torrent_file(self, request: Request) -> Response:
        tid = request.query_params.get("tid", "")
        torrent = self.torrents.get(int(tid)) if tid.isdigit() else None
        return self._file(torrent)

    async def _download_by_hash(self, request: Request) -> Response:
        # The dl-hash link works without a cookie: it can be handed straight to a torrent client.
        await self._enter(request)
        try:
            dl = request.path_params["dl"]
            return self._file(next((t for t in self.torrents.values() if t.dl == dl), None))
        finally:
            self._leave()

    def _file(self, torrent: MamTorrent | None) -> Response:
        if torrent is None or torrent.torrent is None:
            return Response(b"<html><body>Torrent not found</body></html>", 404, media_type="text/html")
        with self._lock:
            self.downloads.append(torrent.id)
        name = f"[MAM]{html.unescape(torrent.title)}.torrent".replace('"', "")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(torrent.torrent, media_type="application/x-bittorrent", headers=headers)

    async def _user(self, request: Request) -> Response:
        return await self._guarded(request, self._user_answer)

    async def _user_answer(self, request: Request) -> Response:
        return _json(self.user.resource("snatch_summary" in request.query_params))

    async def _bonus_buy(self, request: Request) -> Response:
        return await self._guarded(request, self._bonus_answer)

    async def _bonus_answer(self, request: Request) -> Response:
        return _json(self.bonus.answer(dict(request.query_params)))

    async def _seed_endpoint(self, request: Request) -> Response:
        self.seed(await request.json())
        return _json({"ok": True, "torrents": len(self.torrents)})

    async def _state_endpoint(self, request: Request) -> Response:
        return _json(self.state())


def create_fake(seed: dict[str, Any] | None = None) -> FakeMam:
    """A fake MAM loaded with ``seed`` or, without one, a small demo catalogue of audiobooks."""
    fake = FakeMam()
    if seed is not None:
        fake.seed(seed)
        return fake
    fake.add_torrent(
        "The Way of Kings",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[["The Stormlight Archive", "1"]],
        size=2_100_000_000,
        times_completed=5400,
        free=True,
    )
    fake.add_torrent(
        "Leviathan Wakes",
        authors=["James S. A. Corey"],
        narrators=["Jefferson Mays"],
        series=[["The Expanse", "1"]],
        category=47,
        filetype="mp3",
        times_completed=3100,
    )
    fake.add_torrent("Pride &amp; Prejudice", authors=["Jane Austen"], category=45, times_completed=900)
    return fake
