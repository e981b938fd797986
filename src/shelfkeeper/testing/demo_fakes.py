"""The demo world loaded into the fakes, and the real data behind the seeded releases.

``DemoFakes`` holds one fake per outside service. ``load_world`` fills the library (with gaps and messy copies),
the provider catalogues and MAM's top-10 lists; ``offer`` publishes one wanted book's releases: the real one
(a .torrent of generated audio, announced to the demo tracker) and the traps beside it (abridged, another
language, an ebook, a dead torrent, a summary), none of which Shelfkeeper should choose.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shelfkeeper.testing.demo_world import DemoBook, DemoWorld
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.openlibrary import FakeOpenLibrary
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.torrents import make_audio_book, make_torrent

ABS_TOKEN = "demo-abs-token"
PROWLARR_KEY = "demo-prowlarr-key"
MAM_COOKIE = "demo-mam-session"
CHAPTERS, CHAPTER_SECONDS = 3, 20
MAM_CATEGORIES = {"Fantasy": 41, "Science Fiction": 47, "Mystery": 87}


@dataclass
class DemoFakes:
    catalog: AudibleCatalog
    audiobookshelf: FakeAudiobookshelf
    prowlarr: FakeProwlarr
    mam: FakeMam
    google_books: FakeGoogleBooks
    audnexus: FakeAudnexus
    audible: FakeAudible
    openlibrary: FakeOpenLibrary

    @classmethod
    def create(cls) -> DemoFakes:
        catalog = AudibleCatalog()
        prowlarr = FakeProwlarr(PROWLARR_KEY)
        prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
        prowlarr.add_indexer(2, "AudioBook Bay", privacy="public", definition_name="audiobookbay")
        return cls(
            catalog=catalog,
            audiobookshelf=FakeAudiobookshelf(ABS_TOKEN),
            prowlarr=prowlarr,
            mam=FakeMam(MAM_COOKIE, rotate_every=None),
            google_books=FakeGoogleBooks(),
            audnexus=FakeAudnexus(catalog),
            audible=FakeAudible(catalog),
            openlibrary=FakeOpenLibrary(),
        )

    def by_name(self) -> dict[str, Any]:
        """The fakes under the names of ``shelfkeeper.testing.fakes.FAKES``."""
        return {
            "audiobookshelf": self.audiobookshelf,
            "prowlarr": self.prowlarr,
            "mam": self.mam,
            "google_books": self.google_books,
            "audnexus": self.audnexus,
            "audible": self.audible,
            "openlibrary": self.openlibrary,
        }


def load_world(fakes: DemoFakes, world: DemoWorld, library: Path, *, now: datetime | None = None) -> None:
    """The library (owned books, some messy), Audible's catalogue and Google Books, MAM's recent top lists."""
    now = now or datetime.now(UTC)
    library_id = fakes.audiobookshelf.add_library("Audiobooks", [str(library)])
    for asin, name in sorted({(book.author_asin, book.author) for book in world.books}):
        fakes.catalog.add_author(asin, name)
    for book in world.books:
        fakes.catalog.add_book(
            book.asin,
            book.title,
            authors=[{"name": book.author, "asin": book.author_asin}],
            narrators=[book.narrator],
            series=[{"title": book.series, "sequence": book.position, "asin": _series_asin(book)}]
            if book.series
            else [],
            release_date=book.release_date,
            runtime_length_min=1 if book.seeded else 540,  # the seeded audio is one minute long
            genres=[[book.genre]],
            publisher_summary=f"<p>{book.title}: {book.genre.lower()} by {book.author}.</p>",
        )
        if book.owned:
            fakes.google_books.add_volume(
                book.title,
                [book.author],
                published_date=book.release_date[:4],
                description=f"{book.title} by {book.author}.",
                categories=[book.genre],
            )
            _add_owned(fakes.audiobookshelf, library_id, book)
    for rank, book in enumerate(world.top10):
        fakes.mam.add_torrent(
            book.title,
            authors=[book.author],
            narrators=[book.narrator],
            category=MAM_CATEGORIES.get(book.genre, 41),
            added=now - timedelta(days=3 + rank),
            times_completed=5000 - 300 * rank,
            seeders=200 - 10 * rank,
            size=450_000_000,
        )


def _series_asin(book: DemoBook) -> str:
    return "B0SER" + "".join(ch for ch in (book.series or "") if ch.isalnum())[:8].upper()


def _add_owned(abs_fake: FakeAudiobookshelf, library_id: str, book: DemoBook) -> None:
    mess = book.messy
    narrator = mess.get("narrator", book.narrator)
    abs_fake.add_item(
        library_id,
        str(mess.get("title", book.title)),
        authors=[str(mess.get("author", book.author))],
        series=[(book.series, book.position)] if book.series else [],
        asin=mess.get("asin", book.asin),
        narrators=[narrator] if narrator else [],
        published_year=str(mess.get("published_year", book.release_date[:4])),
        genres=[book.genre],
        language="English",
        duration=540 * 60.0,
        size=480_000_000,
    )


def make_audio(folder: Path, book: DemoBook, number: int) -> None:
    """Real audio for a book: ffmpeg's sine tone as MP3 chapters when ffmpeg is installed, else MPEG frames."""
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        make_audio_book(folder, CHAPTERS, CHAPTER_SECONDS, seed=number, title=book.title)
        return
    for chapter in range(1, CHAPTERS + 1):
        target = folder / f"{chapter:02d} - {book.title} {chapter}.mp3"
        subprocess.run(
            [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"sine=frequency={220 + 110 * chapter}:duration={CHAPTER_SECONDS}",
             "-ac", "1", "-b:a", "48k", "-metadata", f"title={book.title} - chapter {chapter}",
             "-metadata", f"artist={book.author}", "-metadata", f"album={book.title}", str(target)],
            check=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip


def release_folder_name(book: DemoBook) -> str:
    return f"{book.author} - {book.title}"


def offer(fakes: DemoFakes, book: DemoBook, torrent: bytes | None, size: int, *, on_mam: bool) -> None:
    """The real release of ``book`` (``torrent``: its .torrent; None without qBittorrent) and its traps."""
    series = f" ({book.series} {book.position})" if book.series else ""
    real = f"{book.author} - {book.title}{series} [MP3]"
    if on_mam:
        fakes.mam.add_torrent(
            book.title,
            authors=[book.author],
            narrators=[book.narrator],
            series=[[book.series, book.position]] if book.series else [],
            filetype="mp3",
            size=size,
            seeders=6,
            times_completed=140,
            torrent=torrent,
            category=MAM_CATEGORIES.get(book.genre, 41),
        )
    else:
        fakes.prowlarr.add_release(real, indexer_id=1, torrent=torrent, size=size, seeders=8, files=CHAPTERS)
    traps = (
        (f"{book.author} - {book.title}{series} [Abridged] [M4B]", {"seeders": 40}),
        (f"{book.title} - {book.author} (German) [GER] [M4B]", {"seeders": 25}),
        (f"{book.author} - {book.title} [EPUB]", {"seeders": 60, "categories": [7020]}),
        (f"{book.author} - {book.title}{series} [M4B]", {"seeders": 0, "leechers": 9}),  # dead: nobody seeds
        (f"Summary of {book.title} by {book.author} - Study Guide [MP3]", {"seeders": 12}),
    )
    for title, options in traps:
        fakes.prowlarr.add_release(title, indexer_id=2, size=size * 3, **options)


def real_torrent(folder: Path, announce: str) -> tuple[bytes, int]:
    """The .torrent of ``folder`` announced to the demo tracker, and the data's size."""
    size = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
    return make_torrent(folder, trackers=[announce]), size
