"""The download endpoints over HTTP: enqueue, manual search, priority, cancel, retry, pause/resume, lists, blocklist."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from shelfkeeper.adapters import qbittorrent
from shelfkeeper.api.app import create_app
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import BlocklistEntry, Download
from shelfkeeper.domain.torrents.status import TorrentState
from shelfkeeper.services.blocklist import add_entry
from shelfkeeper.services.status import fail_attempt
from tests.automation.acquisition_support import API_KEY, build_stack, unique_size, wait_until

QBITTORRENT = pytest.mark.qbittorrent
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def serve_api(engine, tmp_path, **options):
    for stack in build_stack(engine, tmp_path, **options):
        stack.fresh_integrations()
        with TestClient(create_app(context=stack.context), headers={"X-Api-Key": API_KEY}) as client:
            yield stack, client


@pytest.fixture
def api(engine, tmp_path):
    yield from serve_api(engine, tmp_path)


@pytest.fixture
def offline_api(engine, tmp_path):
    """The API with the indexer fakes but no qBittorrent (for what never reaches the client)."""
    yield from serve_api(engine, tmp_path, qbittorrent=False)


def seed(stack, title: str = "Andy Weir - Project Hail Mary [M4B]", **options):
    if not stack.prowlarr.indexers:
        stack.prowlarr.add_indexer(1, "Audio Indexer", definition_name="cardigann")
    return stack.prowlarr.add_release(title, indexer_id=1, size=unique_size(), **options)


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["success"], body["error_code"]) == (False, code)
    return body


def data(response, status: int = 200):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def client_state(stack, info_hash: str):
    qbt = stack.qbt
    found = asyncio.run(qbittorrent.build(qbt.host, qbt.port, qbt.username, qbt.password).info(hashes=[info_hash]))
    return found[0] if found else None


def arrange_download(stack, status: str, **fields) -> int:
    values = {"indexer": "Audio Indexer", "release_title": "A Book", "guid": f"g-{unique_size()}"}
    with unit_of_work(stack.context.sessions) as session:
        row = Download(status=status, **{**values, **fields})
        session.add(row)
        session.flush()
        return row.id


@QBITTORRENT
def test_enqueue_a_wanted_book_grabs_its_best_release_once(api):
    stack, client = api
    seed(stack, "Andy Weir - Project Hail Mary [MP3]", seeders=90)
    best = seed(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    created = data(client.post("/api/downloads", json={"wanted_book_id": wanted_id}), 201)
    assert (created["info_hash"], created["status"], created["wanted_book_id"]) == (
        best.info_hash,
        "downloading",
        wanted_id,
    )
    assert created["release"]["accepted"] and created["release"]["reasons"][0]["code"]
    assert data(client.get(f"/api/downloads/{created['id']}"))["info_hash"] == best.info_hash
    assert data(client.get("/api/downloads", params={"wanted_book_id": wanted_id}))["total"] == 1
    again = error(client.post("/api/downloads", json={"wanted_book_id": wanted_id}), 409, "DOWNLOAD_ALREADY_EXISTS")
    assert again["details"]["download_id"] == created["id"]
    assert client_state(stack, best.info_hash).category == "sk-tests"


def test_enqueue_errors(offline_api):
    stack, client = offline_api
    error(client.post("/api/downloads", json={"wanted_book_id": 999}), 404, "WANTED_NOT_FOUND")
    lonely = stack.wanted("A Book Nobody Has", "Nobody")
    nothing = error(client.post("/api/downloads", json={"wanted_book_id": lonely}), 404, "NO_RELEASE_FOUND")
    assert nothing["details"]["found"] == 0
    ignored = stack.wanted("Project Hail Mary", "Andy Weir", status="ignored")
    error(client.post("/api/downloads", json={"wanted_book_id": ignored}), 409, "WANTED_STATE_CONFLICT")
    error(client.post("/api/downloads", json={}), 422, "VALIDATION_ERROR")
    error(client.post("/api/downloads", json={"wanted_book_id": lonely, "surprise": 1}), 422, "VALIDATION_ERROR")
    error(client.get("/api/downloads/999"), 404, "DOWNLOAD_NOT_FOUND")


def test_manual_search_ranks_every_release_with_reasons(offline_api):
    stack, client = offline_api
    seed(stack)
    seed(stack, "Andy Weir - Project Hail Mary (Abridged) [MP3]")
    found = data(client.post("/api/downloads/search", json={"title": "Project Hail Mary", "author": "Andy Weir"}))
    assert found["wanted"]["authors"] == ["Andy Weir"] and found["accepted"] == 1
    first, second = found["releases"]
    assert first["accepted"] and first["score"] > second["score"]
    assert "abridged" in [r["code"] for r in second["reasons"] if r["rejects"]]
    assert any(text.endswith("(rejected)") for text in second["summary"])
    assert first["parsed"]["format"] == "m4b"
    assert {s["name"]: s["ok"] for s in found["sources"]} == {"prowlarr": True, "mam": True}
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    by_id = data(client.post("/api/downloads/search", json={"wanted_book_id": wanted_id}))
    assert [r["release"]["title"] for r in by_id["releases"]] == [r["release"]["title"] for r in found["releases"]]
    # A search of a wanted book is remembered on its row and told in its history, as the automation's are.
    searched = data(client.get(f"/api/wanted/{wanted_id}"))
    assert searched["search_count"] == 1 and searched["last_searched_at"] is not None
    (entry,) = data(client.get("/api/events", params={"type": "searched", "wanted_book_id": wanted_id}))["items"]
    assert entry["details"]["found"] == 2 and entry["details"]["accepted"] == 1
    assert entry["details"]["best"]["title"] == "Andy Weir - Project Hail Mary [M4B]"
    error(client.post("/api/downloads/search", json={"wanted_book_id": 999}), 404, "WANTED_NOT_FOUND")
    error(client.post("/api/downloads/search", json={"title": "Project Hail Mary"}), 422, "VALIDATION_ERROR")


@QBITTORRENT
def test_enqueue_a_chosen_release_after_verification(api):
    stack, client = api
    seed(stack)
    chosen = seed(stack, "Andy Weir - Project Hail Mary [MP3]")
    seed(stack, "Stephen King - It [M4B]")
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    found = data(client.post("/api/downloads/search", json={"wanted_book_id": wanted_id}))["releases"]
    picked = next(r["release"] for r in found if r["release"]["title"] == chosen.title)
    wrong = {**picked, "title": "Stephen King - It [M4B]", "guid": "elsewhere"}
    rejected = error(
        client.post("/api/downloads", json={"wanted_book_id": wanted_id, "release": wrong}), 422, "RELEASE_REJECTED"
    )
    assert any("title" in reason for reason in rejected["details"]["reasons"])
    foreign = {**picked, "download_url": "http://127.0.0.1:1/steal"}
    error(
        client.post("/api/downloads", json={"wanted_book_id": wanted_id, "release": foreign}), 422, "RELEASE_REJECTED"
    )
    created = data(client.post("/api/downloads", json={"wanted_book_id": wanted_id, "release": picked}), 201)
    assert created["info_hash"] == chosen.info_hash  # the chosen one, though another ranks higher


@QBITTORRENT
def test_pause_resume_and_cancel_reach_qbittorrent(api):
    stack, client = api
    release = seed(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    download_id = data(client.post("/api/downloads", json={"wanted_book_id": wanted_id}), 201)["id"]
    assert data(client.post(f"/api/downloads/{download_id}/pause"))["status"] == "paused"
    wait_until(lambda: client_state(stack, release.info_hash).state, lambda state: state is TorrentState.PAUSED)
    assert data(client.post(f"/api/downloads/{download_id}/pause"))["status"] == "paused"  # already: no change
    assert data(client.post(f"/api/downloads/{download_id}/resume"))["status"] == "downloading"
    wait_until(lambda: client_state(stack, release.info_hash).state, lambda state: state is not TorrentState.PAUSED)
    cancelled = data(client.delete(f"/api/downloads/{download_id}", params={"delete_files": True}))
    assert (cancelled["status"], cancelled["result"]) == ("cancelled", "cancelled by the user (files deleted)")
    assert client_state(stack, release.info_hash) is None
    assert data(client.delete(f"/api/downloads/{download_id}"))["result"] == cancelled["result"]  # no change
    error(client.post(f"/api/downloads/{download_id}/pause"), 409, "DOWNLOAD_STATE_CONFLICT")
    error(client.post(f"/api/downloads/{download_id}/resume"), 409, "DOWNLOAD_STATE_CONFLICT")
    assert data(client.get("/api/downloads", params={"status": "cancelled"}))["total"] == 1
    # the wanted book is wanted again, and the cancelled torrent is never grabbed again
    error(client.post("/api/downloads", json={"wanted_book_id": wanted_id}), 409, "DOWNLOAD_ALREADY_EXISTS")
    imported = arrange_download(stack, "imported")
    error(client.delete(f"/api/downloads/{imported}"), 409, "DOWNLOAD_STATE_CONFLICT")
    for path in ("/api/downloads/999", "/api/downloads/999/pause", "/api/downloads/999/resume"):
        method = client.delete if path.endswith("999") else client.post
        error(method(path), 404, "DOWNLOAD_NOT_FOUND")


def test_priority_update(offline_api):
    stack, client = offline_api
    live = arrange_download(stack, "downloading")
    done = arrange_download(stack, "imported")
    assert data(client.put(f"/api/downloads/{live}", json={"priority": 7}))["priority"] == 7
    assert data(client.get("/api/downloads", params={"sort": "-priority"}))["items"][0]["id"] == live
    error(client.put(f"/api/downloads/{done}", json={"priority": 7}), 409, "DOWNLOAD_STATE_CONFLICT")
    error(client.put("/api/downloads/999", json={"priority": 7}), 404, "DOWNLOAD_NOT_FOUND")
    error(client.put(f"/api/downloads/{live}", json={"priority": 5000}), 422, "VALIDATION_ERROR")


def fail_it(stack, download_id: int) -> None:
    with unit_of_work(stack.context.sessions) as session:
        row = session.get(Download, download_id)
        fail_attempt(session, row, "stalled: no progress for 121 minutes", {}, now=NOW, max_attempts=3,
                     retry_base_minutes=15)  # fmt: skip


@QBITTORRENT
def test_retry_queues_a_failed_download_with_the_next_best_release(api):
    stack, client = api
    dead = seed(stack)
    second = seed(stack, "Andy Weir - Project Hail Mary [MP3]")
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    download_id = data(client.post("/api/downloads", json={"wanted_book_id": wanted_id}), 201)["id"]
    error(client.post(f"/api/downloads/{download_id}/retry"), 409, "DOWNLOAD_STATE_CONFLICT")
    fail_it(stack, download_id)
    assert [d["id"] for d in data(client.get("/api/downloads/failed"))["items"]] == [download_id]
    retried = data(client.post(f"/api/downloads/{download_id}/retry"))
    assert (retried["id"], retried["info_hash"], retried["retry_count"]) == (download_id, second.info_hash, 1)
    assert retried["status"] == "downloading"
    assert retried["release"]["previous"][0]["info_hash"] == dead.info_hash
    fail_it(stack, download_id)
    error(client.post(f"/api/downloads/{download_id}/retry"), 404, "NO_RELEASE_FOUND")  # both are blocklisted now
    error(client.post("/api/downloads/999/retry"), 404, "DOWNLOAD_NOT_FOUND")


def test_failed_list_stats_and_the_blocklist(offline_api):
    stack, client = offline_api
    arrange_download(stack, "downloading", size_bytes=1000, progress=0.25, download_speed=300)
    arrange_download(stack, "paused", size_bytes=400, progress=0.5, download_speed=50)
    failed = arrange_download(stack, "failed", size_bytes=99)
    stats = data(client.get("/api/downloads/stats"))
    assert stats["by_status"] == {"downloading": 1, "paused": 1, "failed": 1}
    assert (stats["total"], stats["total_size_bytes"], stats["active"]) == (3, 1499, 2)
    assert (stats["remaining_bytes"], stats["download_speed"], stats["blocklisted"]) == (950, 300, 0)
    assert [d["id"] for d in data(client.get("/api/downloads/failed"))["items"]] == [failed]
    with unit_of_work(stack.context.sessions) as session:
        entry = add_entry(session, info_hash="c" * 40, title="Some Release", indexer="Audio Indexer", reason="stalled")
        add_entry(session, info_hash="c" * 40, title="Some Release", indexer="Audio Indexer", reason="again")
        entry_id = entry.id
    listed = data(client.get("/api/downloads/blocklist"))
    assert listed["total"] == 1 and listed["items"][0]["title_key"] == "some release"
    assert data(client.get("/api/downloads/stats"))["blocklisted"] == 1
    assert data(client.delete(f"/api/downloads/blocklist/{entry_id}")) == {"id": entry_id, "deleted": True}
    error(client.delete(f"/api/downloads/blocklist/{entry_id}"), 404, "BLOCKLIST_NOT_FOUND")
    error(client.get("/api/downloads/blocklist", params={"sort": "bogus"}), 422, "VALIDATION_ERROR")
    with stack.context.sessions() as session:
        assert session.query(BlocklistEntry).count() == 0


@pytest.fixture
def impatient_api(engine, tmp_path):
    """The API with the indexer fakes and a small bound on how long a request waits for them."""
    yield from serve_api(engine, tmp_path, qbittorrent=False, outside_wait_seconds=3)


def test_a_slow_source_is_reported_timed_out_and_the_others_answer(impatient_api):
    stack, client = impatient_api
    seed(stack)
    stack.mam.faults.set("slow", delay=60.0)
    found = data(client.post("/api/downloads/search", json={"title": "Project Hail Mary", "author": "Andy Weir"}))
    stack.mam.faults.clear()
    sources = {s["name"]: s for s in found["sources"]}
    assert sources["mam"]["status"] == "timed_out" and sources["mam"]["ok"] is False
    assert "no answer within 3 s" in sources["mam"]["error"]
    assert sources["prowlarr"]["status"] == "ok" and sources["prowlarr"]["count"] == 1
    assert [r["release"]["indexer"] for r in found["releases"]] == ["Audio Indexer"]
