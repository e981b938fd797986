"""A small, lifelike library for the page's browser tests: books, series, wanted books, downloads, runs, corrections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, FailedAttempt, MetadataCorrection, Task
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.services import books, series
from shelfkeeper.services.wanted import WantedCandidate, record_wanted

NOW = datetime.now(UTC)

BOOKS: list[dict[str, Any]] = [
    {
        "title": "Leviathan Wakes",
        "authors": ["James S. A. Corey"],
        "narrators": ["Jefferson Mays"],
        "series": [{"name": "The Expanse", "position": "1"}],
        "asin": "B0058RGRPE",
        "published_year": 2011,
        "language": "English",
        "duration_seconds": 74_160,
        "metadata_status": "ok",
        "quality_score": 0.91,
    },
    {
        "title": "Caliban's War",
        "authors": ["James S. A. Corey"],
        "narrators": ["Jefferson Mays"],
        "series": [{"name": "The Expanse", "position": "2"}],
        "asin": "B0081RAEF2",
        "published_year": 2012,
        "language": "English",
        "duration_seconds": 77_400,
        "metadata_status": "ok",
        "quality_score": 0.88,
    },
    {
        "title": "Cibola Burn",
        "authors": ["James S. A. Corey"],
        "series": [{"name": "The Expanse", "position": "4"}],
        "published_year": 2014,
        "language": "English",
        "metadata_status": "needs_review",
        "quality_score": 0.45,
    },
    {
        "title": "The Final Empire",
        "authors": ["Brandon Sanderson"],
        "narrators": ["Michael Kramer"],
        "series": [{"name": "Mistborn", "position": "1"}],
        "asin": "B002UZMLXM",
        "published_year": 2006,
        "language": "English",
        "duration_seconds": 88_020,
        "metadata_status": "corrected",
        "quality_score": 0.95,
    },
    {
        "title": "Project Hail Mary",
        "authors": ["Andy Weir"],
        "narrators": ["Ray Porter"],
        "asin": "B08G9PRS1K",
        "published_year": 2021,
        "language": "English",
        "duration_seconds": 58_200,
        "metadata_status": "ok",
        "quality_score": 0.82,
    },
    {
        "title": "Der Schwarm",
        "authors": ["Frank Schätzing"],
        "published_year": 2004,
        "language": "German",
        "metadata_status": "unchecked",
    },
    {
        "title": "Dune",
        "authors": ["Frank Herbert"],
        "narrators": ["Scott Brick"],
        "publisher": "Macmillan Audio",
        "published_year": 1965,
        "language": "English",
        "duration_seconds": 76_680,
        "metadata_status": "needs_review",
        "quality_score": 0.64,
    },
]


@dataclass
class SeededLibrary:
    """The ids the tests look rows up by."""

    books: dict[str, int] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)
    wanted: dict[str, int] = field(default_factory=dict)
    downloads: dict[str, int] = field(default_factory=dict)
    corrections: dict[str, int] = field(default_factory=dict)


def _wanted(session: Session, title: str, authors: tuple[str, ...], reason: WantedReason, **fields: Any) -> int:
    status = fields.pop("status", "wanted")
    candidate = WantedCandidate(title=title, authors=authors, key=book_key(title, authors), reason=reason, **fields)
    row = record_wanted(session, candidate, NOW).row
    assert row is not None
    row.status = status
    session.flush()
    return row.id


def _seed_wanted(session: Session, seeded: SeededLibrary) -> None:
    expanse = seeded.series["The Expanse"]
    corey = ("James S. A. Corey",)
    seeded.wanted["Abaddon's Gate"] = _wanted(
        session,
        "Abaddon's Gate",
        corey,
        WantedReason.SERIES_GAP,
        source="audible",
        series_id=expanse,
        series_name="The Expanse",
        series_position="3",
        asin="B00CO4JMQO",
        status="grabbed",  # its download is in the queue
        evidence={
            "explanation": "The Expanse has books 1, 2 and 4; book 3 is missing (Audible lists it).",
            "gap_reason": "hole",
            "owned_positions": ["1", "2", "4"],
        },
    )
    seeded.wanted["Nemesis Games"] = _wanted(
        session,
        "Nemesis Games",
        corey,
        WantedReason.SERIES_GAP,
        source="audnexus",
        series_id=expanse,
        series_name="The Expanse",
        series_position="5",
        evidence={"explanation": "Audnexus knows The Expanse book 5, past the last owned book (4)."},
    )
    seeded.wanted["The Name of the Wind"] = _wanted(
        session,
        "The Name of the Wind",
        ("Patrick Rothfuss",),
        WantedReason.TOP10,
        source="mam",
        approved=False,
        evidence={"explanation": "Number 2 of MyAnonamouse's most snatched Fantasy audiobooks this week.", "rank": 2},
    )
    seeded.wanted["Artemis"] = _wanted(
        session,
        "Artemis",
        ("Andy Weir",),
        WantedReason.AUTHOR_CATALOGUE,
        source="audible",
        status="ignored",
        evidence={"explanation": "Andy Weir's catalogue on Audible has it; the library does not."},
    )


def _seed_downloads(session: Session, seeded: SeededLibrary) -> None:
    reasons = {
        "score": 140,
        "accepted": True,
        "summary": ["m4b preferred (+50)", "42 seeders (+20)", "author matches: James S. A. Corey (+40)"],
    }
    rows = {
        "downloading": Download(
            wanted_book_id=seeded.wanted["Abaddon's Gate"],
            indexer="MyAnonamouse",
            release_title="James S. A. Corey - Abaddon's Gate [m4b]",
            guid="https://mam.example/t/1",
            info_hash="a" * 40,
            size_bytes=1_200_000_000,
            format="m4b",
            status="downloading",
            client_state="downloading",
            progress=0.42,
            eta_seconds=1_260,
            download_speed=2_500_000,
            release=reasons,
            started_at=NOW - timedelta(minutes=20),
        ),
        "failed": Download(
            wanted_book_id=seeded.wanted["Nemesis Games"],
            indexer="Prowlarr: AudioBookBay",
            release_title="Nemesis Games (Unabridged) MP3",
            guid="https://prowlarr.example/g/2",
            info_hash="b" * 40,
            size_bytes=900_000_000,
            format="mp3",
            status="failed",
            client_state="stalledDL",
            progress=0.07,
            retry_count=1,
            next_retry_at=NOW + timedelta(hours=2),
            result="stalled: no progress for 6 hours with 0 seeders; blocklisted",
            started_at=NOW - timedelta(hours=9),
        ),
        "imported": Download(
            indexer="MyAnonamouse",
            release_title="Andy Weir - Project Hail Mary [m4b]",
            guid="https://mam.example/t/3",
            info_hash="c" * 40,
            size_bytes=1_043_000_000,
            format="m4b",
            status="imported",
            client_state="uploading",
            progress=1.0,
            result="imported into Andy Weir/Project Hail Mary (hardlinked)",
            book_id=seeded.books["Project Hail Mary"],
        ),
    }
    session.add_all(rows.values())
    session.flush()
    seeded.downloads = {name: row.id for name, row in rows.items()}


def _seed_runs(session: Session, seeded: SeededLibrary) -> None:
    done = Task(
        name="library_sync_task",
        trigger="schedule",
        status="success",
        started_at=NOW - timedelta(hours=1),
        finished_at=NOW - timedelta(hours=1) + timedelta(seconds=12),
        duration_seconds=12.4,
        counts={"added": 7, "updated": 0, "removed": 0},
    )
    broken = Task(
        name="mam_scraping_task",
        trigger="schedule",
        status="failed",
        started_at=NOW - timedelta(hours=10),
        finished_at=NOW - timedelta(hours=10) + timedelta(seconds=3),
        duration_seconds=3.1,
        error="mam: session cookie rejected (SERVICE_AUTH_FAILED)",
        traceback="Traceback (most recent call last):\n  ...\nServiceAuthFailed: mam: session cookie rejected",
    )
    session.add_all([done, broken])
    session.flush()
    session.add(
        FailedAttempt(
            kind="download",
            subject="Nemesis Games (Unabridged) MP3",
            reason="stalled: no progress for 6 hours with 0 seeders",
            evidence={"seeders": 0, "progress": 0.07, "indexer": "Prowlarr: AudioBookBay"},
            wanted_book_id=seeded.wanted["Nemesis Games"],
            download_id=seeded.downloads["failed"],
            task_id=broken.id,
        )
    )


def _seed_corrections(session: Session, seeded: SeededLibrary) -> None:
    pending = MetadataCorrection(
        book_id=seeded.books["Dune"],
        field="publisher",
        old_value="Macmillan Audio",
        new_value="Macmillan Audio (Unabridged)",
        source="google_books",
        confidence=0.72,
        status="pending",
        reasons=["title matches exactly (1.00)", "author matches (1.00)", "publisher differs: below 0.85, so it waits"],
    )
    session.add(pending)
    session.flush()
    seeded.corrections["pending"] = pending.id


def seed_library(session: Session) -> SeededLibrary:
    """Fill an empty, migrated database; the caller commits."""
    seeded = SeededLibrary()
    for name, known in (("The Expanse", 9), ("Mistborn", 3)):
        positions = [str(n) for n in range(1, known + 1)]
        made = series.create_series(session, {"name": name, "known_total": known, "known_positions": positions})
        seeded.series[name] = made.id
    for book in BOOKS:
        seeded.books[book["title"]] = books.create_book(session, book).id
    _seed_wanted(session, seeded)
    _seed_downloads(session, seeded)
    _seed_runs(session, seeded)
    _seed_corrections(session, seeded)
    return seeded
