"""A faithful fake Prowlarr 2.3: v1 search/indexer/status JSON, Torznab XML, the download proxy, 401s.

Indexers are torrent ones by default; ``add_indexer(..., protocol="usenet")`` makes a Newznab one whose
releases carry ``protocol: "usenet"``, no seeders or info hash, and download as an NZB.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from shelfkeeper.testing.fakes.prowlarr_data import (
    FakeIndexer,
    FakeRelease,
    caps_xml,
    error_xml,
    matches_categories,
    matches_words,
    parse_link,
    release_resource,
    rss_xml,
    split_book_query,
    synthetic_nzb,
)
from shelfkeeper.testing.faults import FaultInjector

Handler = Callable[[Request], Awaitable[Response]]
XML = "application/rss+xml"


def _json(data: Any, status: int = 200) -> Response:
    # Prowlarr writes indented JSON (STJson WriteIndented).
    body = json.dumps(data, indent=2).encode()
    return Response(body, status_code=status, media_type="application/json; charset=utf-8")


class FakeProwlarr:
    """An in-memory Prowlarr; serve ``.app``; seed with ``add_indexer`` / ``add_release`` or the seed endpoint."""

    def __init__(
        self,
        api_key: str = "prowlarr-test-key",
        *,
        version: str = "2.3.6.5203",
        url_base: str = "",
        tracker_url: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.tracker_url = tracker_url  # where "redirect" indexers send downloads; default this server
        self.version = version
        self.url_base = url_base.rstrip("/")
        self.indexers: dict[int, FakeIndexer] = {}
        self.releases: list[FakeRelease] = []
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self.downloads: list[str] = []
        self.tracker_requests: list[dict[str, Any]] = []
        self.search_error: str | None = None  # a SearchFailedException: 400 with {"message": ...}
        self._lock = threading.Lock()
        # A missing or wrong key gets 401 with an empty body (ApiKeyAuthenticationHandler).
        self.faults = FaultInjector(self._build_app(), auth_status=401, auth_body=b"")
        self.app = self.faults

    # ---- seeding -------------------------------------------------------------------------------------------

    def add_indexer(self, id: int, name: str, **options: Any) -> FakeIndexer:
        indexer = FakeIndexer(id=id, name=name, **options)
        self.indexers[id] = indexer
        return indexer

    def add_release(self, title: str, *, indexer_id: int | None = None, **options: Any) -> FakeRelease:
        if indexer_id is None:
            indexer_id = next(iter(self.indexers), None) or self.add_indexer(1, "MyAnonamouse").id
        indexer = self.indexers.get(indexer_id)
        if indexer is not None and indexer.protocol == "usenet" and options.get("nzb") is None:
            options["nzb"] = synthetic_nzb(title, int(options.get("size", FakeRelease.size)))
        release = FakeRelease(title=title, indexer_id=indexer_id, **options)
        with self._lock:
            release.key = str(len(self.releases) + 1)
            release.guid = release.guid or f"https://tracker.invalid/t/{release.key}"
            release.info_url = release.info_url or release.guid
            self.releases.append(release)
        return release

    def seed(self, data: dict[str, Any]) -> None:
        """Load the JSON seed shape: {"api_key", "version", "indexers": [...], "releases": [...]}."""
        self.api_key = data.get("api_key", self.api_key)
        self.version = data.get("version", self.version)
        for entry in data.get("indexers", []):
            entry = dict(entry)
            self.add_indexer(entry.pop("id"), entry.pop("name"), **entry)
        known = {f.name for f in fields(FakeRelease)}
        for entry in data.get("releases", []):
            entry = {k: v for k, v in entry.items() if k in known or k == "torrent_base64"}
            if isinstance(entry.get("publish_date"), str):
                entry["publish_date"] = datetime.fromisoformat(entry["publish_date"].replace("Z", "+00:00"))
            if "torrent_base64" in entry:
                entry["torrent"] = base64.b64decode(entry.pop("torrent_base64"))
            self.add_release(entry.pop("title"), **entry)

    def state(self) -> dict[str, Any]:
        return {
            "requests": [[m, p, [list(kv) for kv in q]] for m, p, q in self.requests],
            "downloads": list(self.downloads),
            "tracker_requests": list(self.tracker_requests),
            "indexers": [i.id for i in self.indexers.values()],
            "releases": [{"key": r.key, "title": r.title, "grabs": r.grabs} for r in self.releases],
        }

    def release_by_key(self, key: str) -> FakeRelease | None:
        return next((r for r in self.releases if r.key == key), None)

    # ---- app -----------------------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        api = [
            Route("/ping", self._ping),
            Route("/api/v1/system/status", self._guard(self._status)),
            Route("/api/v1/indexer", self._guard(self._indexer_list)),
            Route("/api/v1/search", self._guard(self._search)),
            Route("/api/v1/indexer/{id:int}/newznab", self._guard(self._torznab)),
            Route("/api/v1/indexer/{id:int}/download", self._guard(self._download)),
            Route("/{id:int}/api", self._guard(self._torznab)),
            Route("/{id:int}/download", self._guard(self._download)),
        ]
        admin = [
            Route("/__fake__/seed", self._seed_endpoint, methods=["POST"]),
            Route("/__fake__/state", self._state_endpoint),
            # Stands in for the tracker's own URL that a "redirect" indexer sends the client to.
            Route("/tracker/{key}.torrent", self._tracker_file),
        ]
        routes = admin + ([Mount(self.url_base, routes=api)] if self.url_base else api)
        return Starlette(routes=routes)

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append((request.method, request.url.path, list(request.query_params.multi_items())))

    def _authorized(self, request: Request) -> bool:
        # Prowlarr looks at the query apikey, then X-Api-Key, then a Bearer token.
        bearer = request.headers.get("authorization", "")
        candidates = [
            request.query_params.get("apikey"),
            request.headers.get("x-api-key"),
            bearer[7:] if bearer.lower().startswith("bearer ") else None,
        ]
        given = next((c for c in candidates if c), None)
        return given == self.api_key

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            self._log(request)
            if not self._authorized(request):
                return Response(b"", status_code=401)
            return await handler(request)

        return guarded

    def _base(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}{self.url_base}"

    async def _ping(self, request: Request) -> Response:
        self._log(request)
        return _json({"status": "OK"})

    async def _status(self, request: Request) -> Response:
        return _json(
            {
                "appName": "Prowlarr",
                "instanceName": "Prowlarr",
                "version": self.version,
                "buildTime": "2026-10-01T00:00:00Z",
                "isDebug": False,
                "isProduction": True,
                "isAdmin": False,
                "isUserInteractive": False,
                "startupPath": "/app/prowlarr/bin",
                "appData": "/config",
                "osName": "alpine",
                "osVersion": "3.22",
                "isNetCore": True,
                "isLinux": True,
                "isOsx": False,
                "isWindows": False,
                "isDocker": True,
                "mode": "console",
                "branch": "master",
                "databaseType": "sqLite",
                "databaseVersion": "3.49.2",
                "authentication": "forms",
                "migrationVersion": 43,
                "urlBase": self.url_base,
                "runtimeVersion": "8.0.20",
                "runtimeName": ".NET",
                "startTime": "2026-11-01T00:00:00Z",
                "packageUpdateMechanism": "docker",
            }
        )

    async def _indexer_list(self, request: Request) -> Response:
        return _json([i.resource() for i in self.indexers.values()])

    async def _search(self, request: Request) -> Response:
        if self.search_error:
            return _json({"message": self.search_error}, 400)
        params = request.query_params
        try:
            ids = [int(v) for v in params.getlist("indexerIds")]
            cats = [int(v) for v in params.getlist("categories")]
            limit = int(params.get("limit") or 100)
            offset = int(params.get("offset") or 0)
        except ValueError as exc:
            # ASP.NET model binding: a comma list in one indexerIds value is not an int.
            return _json({"title": "One or more validation errors occurred.", "status": 400, "errors": str(exc)}, 400)
        wanted = self._wanted_words(params.get("query") or "", params.get("type") or "search", params)
        chosen = [self.indexers[i] for i in ids if i in self.indexers] if ids else list(self.indexers.values())
        base = self._base(request)
        found: list[dict[str, Any]] = []
        for indexer in chosen:
            if not indexer.enable or indexer.blocked_seconds:
                continue  # search skips disabled and backed-off indexers
            hits = self._matching(indexer, wanted, cats)[offset : offset + limit]
            found += [release_resource(r, indexer, base, self.api_key) for r in hits]
        return _json(found)

    @staticmethod
    def _wanted_words(query: str, kind: str, params: Any) -> list[str]:
        if kind != "book":
            return [query]
        rest, tokens = split_book_query(query)
        return [rest, tokens.get("author", params.get("author") or ""), tokens.get("title", params.get("title") or "")]

    def _matching(self, indexer: FakeIndexer, wanted: list[str], cats: list[int]) -> list[FakeRelease]:
        hits = [
            r
            for r in self.releases
            if r.indexer_id == indexer.id and matches_categories(r, cats) and matches_words(r.title, wanted)
        ]
        return sorted(hits, key=lambda r: r.publish_date, reverse=True)

    def _indexer_gate(self, indexer_id: int) -> tuple[FakeIndexer | None, Response | None]:
        indexer = self.indexers.get(indexer_id)
        if indexer is None:
            return None, _json({"message": "Indexer Not Found"}, 404)
        if not indexer.enable:
            return None, Response(error_xml(410, "Indexer is disabled"), 410, media_type=XML)
        if indexer.blocked_seconds:
            text = error_xml(429, "Indexer is disabled till later due to recent failures.")
            headers = {"Retry-After": str(indexer.blocked_seconds)}
            return None, Response(text, 429, headers=headers, media_type=XML)
        return indexer, None

    async def _torznab(self, request: Request) -> Response:
        indexer_id = int(request.path_params["id"])
        params = request.query_params
        kind = params.get("t")
        if not kind:
            return Response(error_xml(200, "Missing parameter (t)"), 400, media_type=XML)
        if indexer_id == 0:
            canned = FakeRelease(title="Test Release", indexer_id=0, guid="https://prowlarr.com")
            return Response(
                rss_xml([canned], FakeIndexer(0, "Test"), self._base(request), self.api_key), media_type=XML
            )
        indexer, refusal = self._indexer_gate(indexer_id)
        if indexer is None:
            assert refusal is not None
            return refusal
        if kind == "caps":
            return Response(caps_xml(indexer), media_type=XML)
        if kind not in ("search", "tvsearch", "movie", "music", "book"):
            return Response(error_xml(202, f"No such function ({kind})"), 400, media_type=XML)
        cats = [int(c) for c in (params.get("cat") or "").split(",") if c.strip().isdigit()]
        wanted = self._wanted_words(params.get("q") or "", kind, params)
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        hits = self._matching(indexer, wanted, cats)[offset : offset + limit]
        return Response(rss_xml(hits, indexer, self._base(request), self.api_key), media_type=XML)

    async def _download(self, request: Request) -> Response:
        indexer, refusal = self._indexer_gate(int(request.path_params["id"]))
        if indexer is None:
            assert refusal is not None
            return refusal
        link, file = request.query_params.get("link"), request.query_params.get("file")
        if not link or not file:
            return _json({"message": "Invalid Prowlarr link"}, 400)
        parsed = parse_link(link)
        release = self.release_by_key(parsed[1]) if parsed else None
        if parsed is None or release is None:
            return Response(error_xml(500, "Unable to decrypt link"), 500, media_type=XML)
        if release.unavailable:
            return Response(error_xml(410, "Release is no longer available"), 410, media_type=XML)
        with self._lock:
            self.downloads.append(release.key)
            release.grabs = (release.grabs or 0) + 1
        if release.nzb is not None:  # a Newznab indexer: Prowlarr proxies the NZB
            disposition = f'attachment; filename="{file}.nzb"'
            return Response(release.nzb, media_type="application/x-nzb", headers={"Content-Disposition": disposition})
        wants_magnet = parsed[0] == "magnet" or release.torrent is None
        if indexer.redirect:
            tracker = self.tracker_url or self._root(request)
            target = release.magnet if wants_magnet else f"{tracker}/tracker/{release.key}.torrent"
            return RedirectResponse(str(target), status_code=301)
        if wants_magnet:
            return RedirectResponse(str(release.magnet), status_code=301)
        disposition = f'attachment; filename="{file}.torrent"'
        return Response(
            release.torrent,
            media_type="application/x-bittorrent",
            headers={"Content-Disposition": disposition},
        )

    @staticmethod
    def _root(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    async def _tracker_file(self, request: Request) -> Response:
        self._log(request)
        with self._lock:
            seen = {
                "path": request.url.path,
                "api_key_sent": self.api_key in f"{request.headers.values()} {request.url}",
            }
            self.tracker_requests.append(seen)
        release = self.release_by_key(request.path_params["key"])
        if release is None or release.torrent is None:
            return Response(b"not found", 404)
        return Response(release.torrent, media_type="application/x-bittorrent")

    async def _seed_endpoint(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True, "releases": len(self.releases)})

    async def _state_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.state())


def create_fake(seed: dict[str, Any] | None = None) -> FakeProwlarr:
    """A fake Prowlarr loaded with ``seed`` or, without one, a small demo set of audiobook releases."""
    fake = FakeProwlarr()
    if seed is not None:
        fake.seed(seed)
        return fake
    fake.add_indexer(1, "MyAnonamouse")
    fake.add_indexer(2, "AudioBook Bay", privacy="public", definition_name="audiobookbay")
    fake.add_release("The Way of Kings by Brandon Sanderson [ENG / M4B]", indexer_id=1, categories=[3030, 100041])
    fake.add_release("Leviathan Wakes by James S. A. Corey [ENG / MP3]", indexer_id=1, categories=[3030, 100047])
    fake.add_release("Brandon Sanderson - Mistborn The Final Empire (Unabridged)", indexer_id=2, seeders=3)
    return fake
