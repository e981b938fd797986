"""GET /api/metadata/review (one card per book) and POST /api/metadata/corrections/bulk (approve or reject many)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Book, EventRow, MetadataCorrection
from shelfkeeper.services import books

SHARED = ["title matches exactly (1.00)", "author matches (1.00)"]


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def arrange(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Two books: Dune with two pending corrections sharing reasons, Emma with one pending and one applied."""
    with unit_of_work(sessions) as session:
        dune = books.create_book(session, {"title": "Dune", "authors": ["Frank Herbert"]})
        emma = books.create_book(session, {"title": "Emma", "authors": ["Jane Austen"], "publisher": "Old House"})
        specs = {
            "dune_publisher": (dune.id, "publisher", None, "Macmillan", "google_books", "pending", "publisher differs"),
            "dune_year": (dune.id, "published_year", None, 1965, "audnexus", "pending", "year differs"),
            "emma_publisher": (emma.id, "publisher", "Old House", "New House", "google_books", "pending", None),
            "emma_applied": (emma.id, "language", None, "English", "google_books", "applied", None),
        }
        rows = {
            name: MetadataCorrection(book_id=book_id, field=field, old_value=old, new_value=new, source=source,
                                     confidence=0.8, status=status, reasons=[*SHARED, own] if own else list(SHARED))
            for name, (book_id, field, old, new, source, status, own) in specs.items()
        }  # fmt: skip
        session.add_all(rows.values())
        session.flush()
        return {"dune": dune.id, "emma": emma.id, **{name: row.id for name, row in rows.items()}}


def statuses(sessions: sessionmaker[Session], *ids: int) -> list[str]:
    with sessions() as session:
        return [session.get_one(MetadataCorrection, one).status for one in ids]


def test_one_card_per_book_with_every_field_and_each_reason_once(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = arrange(sessions)
    page = data(client.get("/api/metadata/review"))
    assert page["total"] == 2
    cards = {card["title"]: card for card in page["items"]}
    dune = cards["Dune"]
    assert dune["book_id"] == ids["dune"] and dune["author"]
    assert [c["field"] for c in dune["corrections"]] == ["published_year", "publisher"]
    assert dune["reasons"] == [*SHARED, "year differs", "publisher differs"]  # each once, in the order given
    assert dune["sources"] == ["audnexus", "google_books"]
    assert [c["status"] for c in cards["Emma"]["corrections"]] == ["pending"]  # pending by default
    everything = data(client.get("/api/metadata/review", params={"status": "all", "book_id": ids["emma"]}))
    assert [c["field"] for c in everything["items"][0]["corrections"]] == ["language", "publisher"]
    assert data(client.get("/api/metadata/review", params={"limit": 1}))["items"].__len__() == 1
    assert client.get("/api/metadata/review", params={"status": "maybe"}).status_code == 422


def test_bulk_reject_moves_every_correction_at_once(client: TestClient, sessions: sessionmaker[Session]) -> None:
    ids = arrange(sessions)
    chosen = [ids["dune_publisher"], ids["dune_year"], ids["emma_publisher"], ids["dune_year"]]  # a repeat counts once
    answer = data(client.post("/api/metadata/corrections/bulk", json={"action": "reject", "ids": chosen}))
    assert answer["action"] == "reject" and answer["failed"] == []
    assert sorted(c["id"] for c in answer["done"]) == sorted({*chosen})
    assert statuses(sessions, ids["dune_publisher"], ids["dune_year"], ids["emma_publisher"]) == ["rejected"] * 3
    with sessions() as session:
        assert session.get_one(Book, ids["emma"]).publisher == "Old House"  # a rejection changes no book


def test_bulk_approve_changes_the_books_and_tells_the_history(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = arrange(sessions)
    chosen = [ids["dune_publisher"], ids["dune_year"]]
    answer = data(client.post("/api/metadata/corrections/bulk", json={"action": "approve", "ids": chosen}))
    assert [c["status"] for c in answer["done"]] == ["applied", "applied"] and answer["failed"] == []
    with sessions() as session:
        dune = session.get_one(Book, ids["dune"])
        assert (dune.publisher, dune.published_year) == ("Macmillan", 1965)
        entries = session.scalars(select(EventRow).where(EventRow.type == "metadata_corrected")).all()
        assert {entry.book_id for entry in entries} == {ids["dune"]}
        assert {entry.data["details"]["changes"][0]["field"] for entry in entries} == {"publisher", "published_year"}
    assert data(client.get("/api/metadata/quality"))["corrections"]["applied"] == 3


def test_an_approval_refused_is_listed_and_the_others_go_on(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = arrange(sessions)
    with unit_of_work(sessions) as session:
        session.get_one(Book, ids["emma"]).publisher = "Changed Since"  # the correction no longer starts from here
    chosen = [ids["emma_publisher"], ids["dune_year"]]
    answer = data(client.post("/api/metadata/corrections/bulk", json={"action": "approve", "ids": chosen}))
    assert [c["id"] for c in answer["done"]] == [ids["dune_year"]]
    assert [(f["id"], f["error_code"]) for f in answer["failed"]] == [
        (ids["emma_publisher"], "CORRECTION_STATE_CONFLICT")
    ]
    assert statuses(sessions, ids["emma_publisher"], ids["dune_year"]) == ["pending", "applied"]


def test_bad_ids_refuse_the_whole_request_and_nothing_changes(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = arrange(sessions)
    chosen = [ids["dune_publisher"], 987654, ids["emma_applied"]]
    answer = client.post("/api/metadata/corrections/bulk", json={"action": "reject", "ids": chosen})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error_code"] == "CORRECTION_IDS_INVALID"
    assert body["details"] == {"unknown": [987654], "not_pending": [ids["emma_applied"]]}
    assert "987654" in body["error"] and f"{ids['emma_applied']} (applied)" in body["error"]
    assert statuses(sessions, ids["dune_publisher"]) == ["pending"]  # nothing was reviewed


def test_the_body_is_validated(client: TestClient) -> None:
    for body in (
        {"action": "approve", "ids": []},
        {"action": "delete", "ids": [1]},
        {"action": "reject", "ids": [0]},
        {"action": "reject", "ids": list(range(1, 202))},
        {"action": "reject", "ids": [1], "extra": True},
        {"ids": [1]},
    ):
        answer = client.post("/api/metadata/corrections/bulk", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["error_code"] == "VALIDATION_ERROR"
