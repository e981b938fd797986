"""Each step of a book's life is an entry of the history, recorded in the caller's transaction: wanted (and why),
searched (how many, the best), grabbed (by hand or not), stalled or failed (why, what next), blocklisted, and
metadata corrected or reverted. Targets without an event list are not sent the history's own entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, EventRow, MetadataCorrection
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.events import EventType, parse_target
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.services import books, downloads
from shelfkeeper.services.events import record_metadata_event
from shelfkeeper.services.status import fail_attempt
from shelfkeeper.services.wanted import WantedCandidate, record_wanted

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def entries(sessions: sessionmaker[Session], kind: str) -> list[EventRow]:
    with sessions() as session:
        return list(session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.id)))


def want(session: Session, title: str = "Nemesis Games", **fields: Any) -> int:
    candidate = WantedCandidate(title=title, authors=("James S. A. Corey",), key=book_key(title, ["James S. A. Corey"]),
                                reason=WantedReason.SERIES_GAP, source="series_completion",
                                evidence={"explanation": "book 5 of The Expanse is missing"}, **fields)  # fmt: skip
    outcome = record_wanted(session, candidate, NOW)
    assert outcome.row is not None
    return outcome.row.id


def test_a_new_wanted_book_says_why_once(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        wanted_id = want(session)
        want(session)  # seen again: no second entry
    (entry,) = entries(sessions, "wanted")
    assert entry.wanted_book_id == wanted_id
    assert entry.message == "Nemesis Games is wanted: book 5 of The Expanse is missing."
    assert entry.data["details"] == {"reason": "series_gap", "source": "series_completion",
                                     "explanation": "book 5 of The Expanse is missing"}  # fmt: skip


def test_a_search_tells_how_many_releases_and_the_best(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        wanted_id = want(session)
        summary = {
            "found": 7,
            "accepted": 2,
            "best": {"title": "Nemesis Games [M4B]", "score": 143},
            "sources": {"prowlarr": 7},
        }
        downloads.note_search(session, wanted_id, NOW, summary)
    (entry,) = entries(sessions, "searched")
    assert entry.wanted_book_id == wanted_id
    assert "7 releases found, 2 acceptable; the best is Nemesis Games [M4B] (score 143)" in entry.message
    assert entry.data["details"]["best"] == {"title": "Nemesis Games [M4B]", "score": 143}


def add_download(session: Session, wanted_id: int, status: str = "queued") -> Download:
    download = Download(wanted_book_id=wanted_id, indexer="AudioBookBay", release_title="Nemesis Games [M4B]",
                        guid="g-1", info_hash="4d" * 20, status=status, release={"score": 143})  # fmt: skip
    session.add(download)
    session.flush()
    return download


def test_a_grab_by_hand_is_an_entry_of_its_own(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        wanted_id = want(session)
        download = add_download(session, wanted_id)
        downloads.mark_added(session, download.id, NOW, "/downloads", client="qbittorrent", manual=True)
    (entry,) = entries(sessions, "grabbed")
    assert entry.message.endswith("(grabbed by hand).")
    assert entry.data["details"] == {"manual": True, "score": 143}
    assert entry.data["release"]["indexer"] == "AudioBookBay"


def test_a_stalled_download_says_why_what_next_and_that_its_release_is_blocklisted(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        wanted_id = want(session)
        download = add_download(session, wanted_id, status="downloading")
        fail_attempt(session, download, "stalled: no progress for 120 minutes", {"code": "stalled"}, now=NOW,
                     max_attempts=3, retry_base_minutes=15)  # fmt: skip
    (stalled,) = entries(sessions, "download_stalled")
    assert stalled.data["details"]["reason"] == "stalled: no progress for 120 minutes"
    assert stalled.data["details"]["next"].startswith("the next-best release is tried after")
    (blocked,) = entries(sessions, "blocklisted")
    assert blocked.download_id == stalled.download_id and blocked.wanted_book_id == wanted_id
    assert (
        blocked.message == "Nemesis Games [M4B] at AudioBookBay is blocklisted: stalled: no progress for 120 minutes."
    )


def test_metadata_changes_are_one_entry_per_book_and_action(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        book = books.create_book(session, {"title": "Dune", "authors": ["Frank Herbert"]})
        rows = [MetadataCorrection(book_id=book.id, field=field, old_value=None, new_value=value, source="audnexus",
                                   confidence=0.9, status="applied", reasons=[])
                for field, value in (("publisher", "Macmillan"), ("language", "English"))]  # fmt: skip
        session.add_all(rows)
        session.flush()
        record_metadata_event(session, book, rows, EventType.METADATA_CORRECTED, "automatically", NOW)
        record_metadata_event(session, book, rows[:1], EventType.METADATA_REVERTED, "(reverted by a person)", NOW)
    (corrected,) = entries(sessions, "metadata_corrected")
    assert corrected.message == "Dune: language, publisher corrected automatically."
    assert [c["field"] for c in corrected.data["details"]["changes"]] == ["publisher", "language"]
    (reverted,) = entries(sessions, "metadata_reverted")
    assert reverted.book_id == corrected.book_id
    assert reverted.data["details"]["changes"][0] == {"field": "publisher", "old": None, "new": "Macmillan",
                                                      "source": "audnexus", "correction_id": rows[0].id}  # fmt: skip


def test_targets_without_a_list_get_the_news_but_not_the_history_s_own_entries() -> None:
    everything = parse_target("json://127.0.0.1/hook")
    chosen = parse_target("searched|grabbed::json://127.0.0.1/hook")
    assert everything.wants(EventType.GRABBED) and everything.wants(EventType.DOWNLOAD_FAILED)
    assert not any(everything.wants(kind) for kind in (EventType.SEARCHED, EventType.WANTED, EventType.BLOCKLISTED))
    assert chosen.wants(EventType.SEARCHED) and not chosen.wants(EventType.IMPORTED)
