"""A faithful fake of the Audiobookshelf 2.36 REST API: libraries, minified/expanded items, PATCH, real scans."""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shelfkeeper.testing.fakes.audiobookshelf_data import AbsData, ItemRecord
from shelfkeeper.testing.fakes.audiobookshelf_json import old_json, render_json
from shelfkeeper.testing.fakes.audiobookshelf_listing import number, query_authors, query_items, query_series
from shelfkeeper.testing.fakes.audiobookshelf_scan import scan_library
from shelfkeeper.testing.faults import FaultInjector

VERSION = "2.36.0"
# A 1x1 PNG: what the fake sends for every cover (the real server sends the item's image file, resized).
COVER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkqPhfDwAE/gH+k9hOlAAAAABJRU5ErkJggg=="
)
BASE_PATH = "/audiobookshelf"  # ROUTER_BASE_PATH: both /api/... and /audiobookshelf/api/... answer


class FakeAudiobookshelf:
    """Serve ``.app``; seed with ``add_library``/``add_item``; inspect ``requests``, ``patches``, ``scans``."""

    def __init__(
        self,
        token: str = "abs-test-token",
        *,
        username: str = "root",
        password: str = "root",
        clock: Callable[[], float] = time.time,
        synchronous_scan: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.data = AbsData(clock)
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # token -> username
        self.requests: list[tuple[str, str, str]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.patches: list[dict[str, Any]] = []
        self.scans: list[dict[str, Any]] = []
        self.synchronous_scan = synchronous_scan
        self.rng = rng or random.Random(0)
        self._scans_done = threading.Condition()
        self._scans_pending = 0
        self.add_user(username, password, "root", token=token)
        self._router = Starlette(routes=self._routes())
        # A bad or expired token: passport-jwt answers 401 with the plain text "Unauthorized".
        self.faults = FaultInjector(self._asgi, auth_status=401, auth_body=b"Unauthorized")
        self.app = self.faults

    def _routes(self) -> list[Route]:
        return [
            Route("/status", self._status),
            Route("/ping", lambda r: JSONResponse({"success": True})),
            Route("/healthcheck", lambda r: PlainTextResponse("OK")),
            Route("/login", self._login, methods=["POST"]),
            Route("/api/me", self._me),
            Route("/api/authorize", self._authorize, methods=["POST"]),
            Route("/api/libraries", self._libraries),
            Route("/api/libraries/{id}", self._library),
            Route("/api/libraries/{id}/items", self._items),
            Route("/api/libraries/{id}/series", self._series),
            Route("/api/libraries/{id}/authors", self._authors),
            Route("/api/libraries/{id}/scan", self._scan, methods=["POST"]),
            Route("/api/items/batch/get", self._batch_get, methods=["POST"]),
            Route("/api/items/{id}/cover", self._cover),
            Route("/api/items/{id}", self._item),
            Route("/api/items/{id}", self._delete_item, methods=["DELETE"]),
            Route("/api/series/{id}", self._series_one),
            Route("/api/series/{id}", self._update_series, methods=["PATCH"]),
            Route("/api/items/{id}/media", self._patch_media, methods=["PATCH"]),
            Route("/__fake__/seed", self._seed, methods=["POST"]),
            Route("/__fake__/state", self._state),
        ]

    # ---- seeding -------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, user_type: str = "user", *, token: str | None = None) -> str:
        """A user (``root``/``admin``/``user``); returns the token that authenticates as them."""
        token = token or f"{username}-token-{len(self.users)}"
        self.users[username] = {
            "id": f"usr_{username}",
            "username": username,
            "type": user_type,
            "password": password,
            "token": token,
        }
        self.tokens[token] = username
        return token

    def add_token(self, token: str, username: str = "root") -> None:
        """Another accepted bearer token (an API key) for an existing user."""
        self.tokens[token] = username

    def revoke_token(self, token: str) -> None:
        self.tokens.pop(token, None)

    def add_library(self, name: str, folders: Iterable[str] = (), *, id: str | None = None) -> str:
        return str(self.data.add_library(name, folders, id=id)["id"])

    def add_item(self, library_id: str, title: str, **fields: Any) -> str:
        """Seed a book: authors=[...], narrators=[...], series=[("Name", "1")], asin=..., duration=... ."""
        return self.data.add_item(library_id, title, **fields).id

    def item(self, item_id: str) -> ItemRecord:
        return self.data.items[item_id]

    def seed(self, payload: dict[str, Any]) -> None:
        """The JSON seed: {"users": [...], "libraries": [{"id", "name", "folders"}], "items": [{"libraryId", ...}]}."""
        for user in payload.get("users", []):
            self.add_user(user["username"], user.get("password", ""), user.get("type", "user"), token=user.get("token"))
        for token in payload.get("tokens", []):
            self.add_token(token)
        for library in payload.get("libraries", []):
            self.add_library(library["name"], library.get("folders", []), id=library.get("id"))
        for item in payload.get("items", []):
            fields = dict(item)
            library_id = fields.pop("libraryId", None) or fields.pop("library_id")
            series = [tuple(s) if isinstance(s, list) else s for s in fields.pop("series", [])]
            self.add_item(library_id, fields.pop("title"), series=series, **fields)

    def scan_now(self, library_id: str) -> dict[str, Any]:
        """Run a scan in-process and record it like one asked through the API."""
        result = scan_library(self.data, library_id)
        result["finishedAt"] = self.data.stamp()
        self.scans.append(result)
        return result

    def wait_for_scans(self, timeout: float = 10.0) -> bool:
        """Block until every scan asked through the API has finished (tests use this instead of sleeping)."""
        with self._scans_done:
            return self._scans_done.wait_for(lambda: self._scans_pending == 0, timeout)

    # ---- plumbing ------------------------------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == BASE_PATH or path.startswith(BASE_PATH + "/"):
                scope = {**scope, "path": path[len(BASE_PATH) :] or "/"}
            if not scope["path"].startswith("/__fake__"):
                query = scope.get("query_string", b"").decode()
                self.requests.append((scope["method"], scope["path"], query))
                self.headers_seen.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
        await self._router(scope, receive, send)

    def _user(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("token")
        username = self.tokens.get(token or "")
        return self.users.get(username) if username else None

    def _guard(self, request: Request, *, admin: bool = False) -> Response | dict[str, Any]:
        user = self._user(request)
        if user is None:
            return PlainTextResponse("Unauthorized", status_code=401)
        if admin and user["type"] not in ("root", "admin"):
            return PlainTextResponse("Forbidden", status_code=403)
        return user

    def _library_or_error(self, request: Request, *, admin: bool = False) -> Response | dict[str, Any]:
        guard = self._guard(request, admin=admin)
        if isinstance(guard, Response):
            return guard
        library = self.data.libraries.get(request.path_params["id"])
        return library if library is not None else PlainTextResponse("Library not found", status_code=404)

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        admin = user["type"] in ("root", "admin")
        return {
            "id": user["id"],
            "username": user["username"],
            "email": None,
            "type": user["type"],
            "token": user["token"],
            "accessToken": user["token"],
            "mediaProgress": [],
            "seriesHideFromContinueListening": [],
            "bookmarks": [],
            "isActive": True,
            "isLocked": False,
            "lastSeen": self.data.stamp(),
            "createdAt": 0,
            "permissions": {
                "download": True,
                "update": admin,
                "delete": admin,
                "upload": admin,
                "accessAllLibraries": True,
                "accessAllTags": True,
                "accessExplicitContent": True,
            },
            "librariesAccessible": [],
            "itemTagsSelected": [],
            "hasOpenIDLink": False,
        }

    def _login_payload(self, user: dict[str, Any]) -> dict[str, Any]:
        first = next(iter(self.data.libraries), None)
        return {
            "user": self._user_json(user),
            "userDefaultLibraryId": first,
            "serverSettings": {"version": VERSION, "sortingIgnorePrefix": False},
            "ereaderDevices": [],
            "Source": "docker",
        }

    # ---- endpoints -----------------------------------------------------------------------------------

    async def _status(self, request: Request) -> Response:
        return JSONResponse(
            {
                "app": "audiobookshelf",
                "serverVersion": VERSION,
                "isInit": True,
                "language": "en-us",
                "authMethods": ["local"],
                "authFormData": {},
            }
        )

    async def _login(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = dict(await request.form())
        user = self.users.get(str(body.get("username", "")))
        if user is None or user["password"] != body.get("password"):
            return PlainTextResponse("Unauthorized", status_code=401)
        return JSONResponse(self._login_payload(user))

    async def _me(self, request: Request) -> Response:
        user = self._guard(request)
        return user if isinstance(user, Response) else JSONResponse(self._user_json(user))

    async def _authorize(self, request: Request) -> Response:
        user = self._guard(request)
        return user if isinstance(user, Response) else JSONResponse(self._login_payload(user))

    async def _libraries(self, request: Request) -> Response:
        guard = self._guard(request)
        return guard if isinstance(guard, Response) else JSONResponse({"libraries": list(self.data.libraries.values())})

    async def _library(self, request: Request) -> Response:
        library = self._library_or_error(request)
        return library if isinstance(library, Response) else JSONResponse(library)

    async def _items(self, request: Request) -> Response:
        library = self._library_or_error(request)
        if isinstance(library, Response):
            return library
        params = request.query_params
        with self.data.lock:
            results, total = query_items(self.data, library["id"], params, self.rng)
        extra = {"mediaType": library["mediaType"], "collapseseries": params.get("collapseseries") == "1"}
        extra["offset"] = number(params.get("page")) * number(params.get("limit"))
        return _json(_list_payload(params, results, total, **extra))

    async def _series(self, request: Request) -> Response:
        library = self._library_or_error(request)
        if isinstance(library, Response):
            return library
        with self.data.lock:
            results, total = query_series(self.data, library["id"], request.query_params)
        return _json(_list_payload(request.query_params, results, total))

    async def _authors(self, request: Request) -> Response:
        library = self._library_or_error(request)
        if isinstance(library, Response):
            return library
        params = request.query_params
        with self.data.lock:
            rows = query_authors(self.data, library["id"], params)
        if not (params.get("limit", "").isdigit() and params.get("page", "").isdigit()):
            return JSONResponse({"authors": rows})  # without limit and page: another shape altogether
        limit, page = int(params["limit"]), int(params["page"])
        payload = _list_payload(params, rows[page * limit : page * limit + limit], len(rows))
        payload.update(limit=limit, page=page)  # here ABS converts them to numbers
        return JSONResponse(payload)

    async def _scan(self, request: Request) -> Response:
        library = self._library_or_error(request, admin=True)
        if isinstance(library, Response):
            return library
        library_id = library["id"]
        if self.synchronous_scan:
            self.scan_now(library_id)
            return PlainTextResponse("OK")
        with self._scans_done:
            self._scans_pending += 1
        # ABS answers 200 at once and scans afterwards; progress only shows over socket.io.
        return PlainTextResponse("OK", background=BackgroundTask(self._background_scan, library_id))

    def _background_scan(self, library_id: str) -> None:
        try:
            self.scan_now(library_id)
        finally:
            with self._scans_done:
                self._scans_pending -= 1
                self._scans_done.notify_all()

    async def _item(self, request: Request) -> Response:
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        with self.data.lock:
            item = self.data.items.get(request.path_params["id"])
            if item is None:
                return PlainTextResponse("Not Found", status_code=404)
            return JSONResponse(old_json(self.data, item, expanded=request.query_params.get("expanded") == "1"))

    async def _cover(self, request: Request) -> Response:
        """``GET /api/items/{id}/cover``: the item's cover image (a tiny PNG here); 404 when it has none."""
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        with self.data.lock:
            item = self.data.items.get(request.path_params["id"])
            if item is None or not item.cover_path:
                return PlainTextResponse("Not Found", status_code=404)
        return Response(COVER_PNG, media_type="image/png")

    async def _batch_get(self, request: Request) -> Response:
        """``POST /api/items/batch/get``: the known items among ``libraryItemIds``, expanded; none given -> 403."""
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        try:
            body = await request.json()
        except ValueError:
            body = {}
        ids = body.get("libraryItemIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            return PlainTextResponse("Invalid payload", status_code=403)
        with self.data.lock:
            found = [self.data.items[i] for i in ids if isinstance(i, str) and i in self.data.items]
            return JSONResponse({"libraryItems": [old_json(self.data, item, expanded=True) for item in found]})

    async def _delete_item(self, request: Request) -> Response:
        """``DELETE /api/items/{id}``: the item leaves the library; series and authors left without books go too."""
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        if guard["type"] not in ("root", "admin"):  # needs the canDelete permission
            return PlainTextResponse("Forbidden", status_code=403)
        with self.data.lock:
            if not self.data.delete_item(request.path_params["id"]):
                return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse("OK")

    def _series_or_error(self, request: Request) -> Response | dict[str, Any]:
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        if request.method == "PATCH" and guard["type"] not in ("root", "admin"):  # canUpdate
            return PlainTextResponse("Forbidden", status_code=403)
        series = self.data.series.get(request.path_params["id"])
        return series if series is not None else PlainTextResponse("Not Found", status_code=404)

    async def _series_one(self, request: Request) -> Response:
        with self.data.lock:
            series = self._series_or_error(request)
            return series if isinstance(series, Response) else JSONResponse(dict(series))

    async def _update_series(self, request: Request) -> Response:
        """``PATCH /api/series/{id}`` ``{name, description}``: the id stays, the books' updatedAt does not move."""
        try:
            body = await request.json()
        except ValueError:
            return PlainTextResponse("Invalid request body", status_code=400)
        with self.data.lock:
            series = self._series_or_error(request)
            if isinstance(series, Response):
                return series
            self.data.update_series(series["id"], body if isinstance(body, dict) else {})
            return JSONResponse(dict(series))

    async def _patch_media(self, request: Request) -> Response:
        guard = self._guard(request)
        if isinstance(guard, Response):
            return guard
        if guard["type"] not in ("root", "admin"):  # needs the canUpdate permission
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return PlainTextResponse("Invalid request body", status_code=400)
        with self.data.lock:
            item = self.data.items.get(request.path_params["id"])
            if item is None:
                return PlainTextResponse("Not Found", status_code=404)
            self.patches.append({"itemId": item.id, "body": body})
            updated = self.data.apply_media_patch(item, body if isinstance(body, dict) else {})
            return JSONResponse({"updated": updated, "libraryItem": old_json(self.data, item)})

    async def _seed(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True})

    async def _state(self, request: Request) -> Response:
        with self.data.lock:
            items = [old_json(self.data, i, expanded=True) for i in self.data.items.values()]
        return JSONResponse(
            {
                "requests": [list(r) for r in self.requests],
                "patches": self.patches,
                "scans": self.scans,
                "items": items,
                "libraries": list(self.data.libraries.values()),
            }
        )


def _json(payload: dict[str, Any]) -> Response:
    """A listing's answer: the bytes JSONResponse would send, its items' rendered JSON joined in."""
    return Response(render_json(payload), media_type="application/json")


def _list_payload(params: Mapping[str, str], results: list[Any], total: int, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "results": results,
        "total": total,
        "limit": params.get("limit") or 0,  # echoed as the string sent (the ABS quirk), 0 when absent
        "page": params.get("page") or 0,
        "sortBy": params.get("sort"),
        "sortDesc": params.get("desc") == "1",
        "filterBy": params.get("filter"),
        "minified": params.get("minified") == "1",
        "include": params.get("include", ""),
        **extra,
    }
    return {k: v for k, v in payload.items() if v is not None}  # undefined keys vanish from ABS's JSON


def create_fake(seed: dict[str, Any] | None = None) -> FakeAudiobookshelf:
    """The fake for ``shelfkeeper fakes serve``; a seed may set ``token`` and list users, libraries, items."""
    seed = dict(seed or {})
    fake = FakeAudiobookshelf(seed.pop("token", "abs-test-token"))
    fake.seed(seed)
    return fake
