"""What the adapter sends to 4.x, 5.0 and 5.2 WebAPIs, checked against a recording stand-in on 127.0.0.1.

Debian's qbittorrent-nox is 4.5.2, so the 5.x request shapes from the reference (stop/start, the
``stopped`` field, 204 login with a ``QBT_SID_<port>`` cookie, JSON and 409 from ``torrents/add``)
are checked here on the wire instead.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import qbittorrentapi
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from shelfkeeper.adapters.qbittorrent import QbittorrentClient, build
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentState
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import bencode, info_hash

PASSWORD = "stand-in-pw"
TORRENT = bencode({"info": {"name": "Book", "length": 3, "piece length": 16384, "pieces": b"\x00" * 20}})
TORRENT_ID = info_hash(TORRENT)
URL_ID = "ab" * 20


class RecordingQbittorrent:
    """Answers like qBittorrent of one WebAPI version and records every call (action, fields, file names)."""

    def __init__(self, api_version: str, app_version: str) -> None:
        self.api_version = api_version
        self.app_version = app_version
        self.version = tuple(int(p) for p in api_version.split("."))
        self.sid = "session-1"
        self.torrents: list[dict] = []
        self.add_answer: Response = PlainTextResponse("Ok.")
        self.url_becomes: dict | None = None  # the torrent an added URL turns into, tagged as asked
        self.calls: list[tuple[str, dict[str, str], list[str]]] = []
        self.app = Starlette(routes=[Route("/api/v2/{scope}/{action}", self.handle, methods=["GET", "POST"])])

    def actions(self) -> list[str]:
        return [action for action, _, _ in self.calls]

    def fields_of(self, action: str) -> dict[str, str]:
        return next(fields for name, fields, _ in self.calls if name == action)

    async def handle(self, request: Request) -> Response:
        action = f"{request.path_params['scope']}/{request.path_params['action']}"
        form = await request.form() if request.method == "POST" else request.query_params
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        files = [v.filename for _, v in form.multi_items() if not isinstance(v, str)]
        self.calls.append((action, fields, files))
        if action == "auth/login":
            return self.login(fields, request.url.port)
        if self.sid not in request.cookies.values():
            return PlainTextResponse("Forbidden", status_code=403)
        return self.answer(action, fields)

    def login(self, fields: dict[str, str], port: int | None) -> Response:
        five_two = self.version >= (2, 14)
        if fields.get("password") != PASSWORD:
            return PlainTextResponse("Unauthorized", status_code=401) if five_two else PlainTextResponse("Fails.")
        response = Response(status_code=204) if five_two else PlainTextResponse("Ok.")
        response.set_cookie(f"QBT_SID_{port}" if five_two else "SID", self.sid, httponly=True)
        return response

    @staticmethod
    def matches(torrent: dict, fields: dict[str, str]) -> bool:
        if fields.get("hashes") and torrent["hash"] not in fields["hashes"].split("|"):
            return False
        return "tag" not in fields or fields["tag"] in torrent.get("tags", "").split(", ")

    def answer(self, action: str, fields: dict[str, str]) -> Response:
        stop_naming = self.version >= (2, 11)
        texts = {"app/webapiVersion": self.api_version, "app/version": self.app_version}
        if action in texts:
            return PlainTextResponse(texts[action])
        if action == "torrents/add":
            if fields.get("urls") and self.url_becomes:
                self.torrents.append({**self.url_becomes, "tags": ", ".join(sorted(fields["tags"].split(",")))})
            return self.add_answer
        if action == "torrents/info":
            return JSONResponse([t for t in self.torrents if self.matches(t, fields)])
        known = {"torrents/removeTags", "torrents/deleteTags", "torrents/delete"}
        known |= {"torrents/stop", "torrents/start"} if stop_naming else {"torrents/pause", "torrents/resume"}
        if action in known:
            return Response(status_code=204 if self.version >= (2, 14) else 200)
        return PlainTextResponse("Not Found", status_code=404)


def client_for(server, *, password: str = PASSWORD, **options) -> QbittorrentClient:
    host, port = server.url.removeprefix("http://").split(":")
    if not options:
        return build(host, int(port), "user", password, timeout=5.0)
    api = qbittorrentapi.Client(
        host=server.url, username="user", password=password, FORCE_SCHEME_FROM_HOST=True, REQUESTS_ARGS={"timeout": 5}
    )
    return QbittorrentClient(api, **options)


@pytest.mark.parametrize(
    ("api_version", "pause_action", "resume_action", "stop_naming"),
    [
        ("2.8.19", "torrents/pause", "torrents/resume", False),  # 4.5.2
        ("2.11.2", "torrents/stop", "torrents/start", True),  # 5.0
        ("2.15.1", "torrents/stop", "torrents/start", True),  # 5.2
    ],
)
def test_pause_and_resume_use_the_versions_endpoint_names(api_version, pause_action, resume_action, stop_naming):
    stand_in = RecordingQbittorrent(api_version, "v9.9.9")
    with serve(stand_in.app) as server:
        client = client_for(server)
        asyncio.run(client.pause([TORRENT_ID]))
        asyncio.run(client.resume([TORRENT_ID]))
        assert asyncio.run(client.uses_stop_naming()) is stop_naming
    assert stand_in.fields_of(pause_action) == {"hashes": TORRENT_ID}
    assert stand_in.fields_of(resume_action) == {"hashes": TORRENT_ID}


@pytest.mark.parametrize("api_version", ["2.8.19", "2.11.2"])
def test_a_paused_add_sends_both_paused_and_stopped(api_version):
    stand_in = RecordingQbittorrent(api_version, "v9.9.9")
    with serve(stand_in.app) as server:
        torrent = AddTorrent(torrent_file=TORRENT, category="books", tags=("a", "b"), save_path="/data", paused=True)
        assert asyncio.run(client_for(server).add(torrent)) == TORRENT_ID
    fields = stand_in.fields_of("torrents/add")
    # qbittorrent-api writes "True"; qBittorrent reads booleans case-insensitively (pausedDL on the live 4.5.2)
    assert (fields["paused"].lower(), fields["stopped"].lower()) == ("true", "true")
    assert (fields["category"], fields["tags"], fields["savepath"]) == ("books", "a,b", "/data")
    assert len(next(files for action, _, files in stand_in.calls if action == "torrents/add")) == 1


def test_5_x_state_names_are_understood():
    stand_in = RecordingQbittorrent("2.11.2", "v5.0.5")
    base = {"name": "Book", "size": 100, "eta": 8640000, "tags": "", "category": ""}
    stand_in.torrents = [
        {**base, "hash": "1" * 40, "state": "stoppedDL", "progress": 0.3, "amount_left": 70, "completion_on": -1},
        {**base, "hash": "2" * 40, "state": "stoppedUP", "progress": 1, "amount_left": 0, "completion_on": 1700000000},
    ]
    with serve(stand_in.app) as server:
        infos = asyncio.run(client_for(server).info())
    assert [(i.state, i.completed_on) for i in infos] == [
        (TorrentState.PAUSED, None),
        (TorrentState.COMPLETED, 1700000000),
    ]


def test_5_2_login_answers_204_with_a_port_named_cookie():
    stand_in = RecordingQbittorrent("2.15.1", "v5.2.0")
    with serve(stand_in.app) as server:
        report = asyncio.run(client_for(server).test_connection())
        wrong = asyncio.run(client_for(server, password="nope").test_connection())
        with pytest.raises(ServiceAuthFailed):
            asyncio.run(client_for(server, password="nope").info())
    assert (report.auth_ok, report.version) == (True, "v5.2.0")
    assert (wrong.reachable, wrong.auth_ok) == (True, False)


def test_5_2_an_expired_session_is_renewed_once():
    stand_in = RecordingQbittorrent("2.15.1", "v5.2.0")
    with serve(stand_in.app) as server:
        client = client_for(server)
        asyncio.run(client.info())
        stand_in.sid = "session-2"  # the server forgot the old session
        assert asyncio.run(client.info()) == []
    assert stand_in.actions().count("auth/login") == 2


def test_5_2_an_added_url_is_known_from_the_json_answer():
    stand_in = RecordingQbittorrent("2.15.1", "v5.2.0")
    answer = {"success_count": 1, "failure_count": 0, "pending_count": 0, "added_torrent_ids": [URL_ID]}
    stand_in.add_answer = JSONResponse(answer)
    with serve(stand_in.app) as server:
        torrent = AddTorrent(url="http://127.0.0.1:9/book.torrent", tags=("mam",), cookie="mam_id=x")
        assert asyncio.run(client_for(server).add(torrent)) == URL_ID
    fields = stand_in.fields_of("torrents/add")
    marker = fields["tags"].split(",")[1]
    assert fields["tags"].startswith("mam,shelfkeeper-add-")
    assert (fields["urls"], fields["cookie"]) == ("http://127.0.0.1:9/book.torrent", "mam_id=x")
    assert "torrents/info" not in stand_in.actions()  # no lookup needed
    assert stand_in.fields_of("torrents/removeTags") == {"hashes": URL_ID, "tags": marker}
    assert stand_in.fields_of("torrents/deleteTags") == {"tags": marker}


@pytest.mark.parametrize("present", [True, False])
def test_5_2_a_409_on_add_is_fine_only_when_the_torrent_is_there(present):
    stand_in = RecordingQbittorrent("2.15.1", "v5.2.0")
    stand_in.add_answer = JSONResponse(
        {"success_count": 0, "failure_count": 1, "pending_count": 0, "added_torrent_ids": []}, status_code=409
    )
    if present:
        stand_in.torrents = [{"hash": TORRENT_ID, "name": "Book", "state": "stalledUP", "progress": 1, "size": 3}]
    with serve(stand_in.app) as server:
        add = client_for(server).add(AddTorrent(torrent_file=TORRENT))
        if present:
            assert asyncio.run(add) == TORRENT_ID
        else:
            with pytest.raises(ServiceBadResponse, match="refused"):
                asyncio.run(add)


def test_a_url_that_never_shows_up_gives_up_at_the_deadline():
    stand_in = RecordingQbittorrent("2.8.19", "v4.5.2")
    now = [0.0]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with serve(stand_in.app) as server:
        client = client_for(server, url_add_timeout=2.0, sleep=fake_sleep, clock=lambda: now[0])
        with pytest.raises(ServiceBadResponse, match="no torrent appeared"):
            asyncio.run(client.add(AddTorrent(url="http://127.0.0.1:9/gone.torrent")))
    assert sleeps == [0.25] * 8
    marker = stand_in.fields_of("torrents/add")["tags"]
    assert [f["tag"] for a, f, _ in stand_in.calls if a == "torrents/info"] == [marker] * 9
    assert stand_in.fields_of("torrents/deleteTags") == {"tags": marker}  # cleaned up even so


def test_the_add_answer_of_a_5_2_pending_url_is_read_as_json():
    stand_in = RecordingQbittorrent("2.15.1", "v5.2.0")
    stand_in.add_answer = Response(
        json.dumps({"success_count": 0, "failure_count": 0, "pending_count": 1, "added_torrent_ids": []}),
        status_code=202,
        media_type="application/json",
    )
    stand_in.url_becomes = {"hash": URL_ID, "name": "Book", "state": "metaDL", "progress": 0, "size": 0}
    stand_in.torrents = [{"hash": "c" * 40, "name": "Other", "state": "stalledUP", "progress": 1, "size": 9}]
    with serve(stand_in.app) as server:
        torrent_id = asyncio.run(client_for(server).add(AddTorrent(url="http://127.0.0.1:9/later.torrent")))
    assert torrent_id == URL_ID  # found through the lookup tag
    marker = stand_in.fields_of("torrents/add")["tags"]
    assert stand_in.fields_of("torrents/info") == {"tag": marker}
    assert stand_in.fields_of("torrents/removeTags") == {"hashes": URL_ID, "tags": marker}
