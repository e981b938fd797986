"""The demo's world: about 150 books in 25 series by 12 authors, what the library owns of them (with gaps and
messy metadata), what the providers know (Audible/Audnexus catalogue, Google Books), MAM's top-10 lists, and the
releases of the wanted books, the usual traps among them.

Everything is generated from a fixed seed, so every run of ``shelfkeeper demo`` shows the same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SEED = 2026
# (author, [(series, number of books)]): 12 authors, 25 series, 4-8 books each.
AUTHORS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("Mara Ellison", (("The Ashen Crown", 7), ("Tides of Veyra", 5))),
    ("Tobias Quill", (("The Clockwork Saints", 6), ("Ninth Harbour", 4))),
    ("Ines Varga", (("Starfall Protocol", 8), ("The Quiet Fleet", 5))),
    ("Callum Reyes", (("Wardens of the Deep", 6), ("Copper & Salt", 4))),
    ("Helena Marsh", (("The Lantern Cases", 8), ("Fog & Brass", 5))),
    ("Oskar Lindqvist", (("Frostmarch", 6), ("The Iron Psalter", 5))),
    ("Priya Raman", (("Monsoon Court", 7), ("The Glass Archive", 4))),
    ("Jonah Achebe", (("Red Meridian", 6), ("The Long Dark Relay", 5))),
    ("Sofia Castell", (("The Cartographer's Daughters", 6), ("The Tidewright", 4))),
    ("Declan Moore", (("Hollow Kings", 7), ("Gutter Saints", 4))),
    ("Yuki Tanabe", (("Orbital Gardens", 6), ("Paper Lanterns", 5))),
    ("Ruth Okafor", (("The Salt Roads", 6), ("Emberfall", 5), ("Nightglass", 4))),
)
GENRES = {"The Lantern Cases": "Mystery", "Starfall Protocol": "Science Fiction", "Orbital Gardens": "Science Fiction"}
NARRATORS = ("Kate Reading", "Michael Kramer", "Ray Porter", "Julia Whelan", "Simon Vance", "Rosalyn Landor")
_FIRST = ("Ash", "Iron", "Silver", "Hollow", "Crimson", "Silent", "Broken", "Burning", "Winter", "Last", "Drowned")
_SECOND = ("Throne", "Tide", "Oath", "Harbor", "Lantern", "Compass", "Saint", "Signal", "Garden", "Relay", "Map")
_OF = ("Embers", "Glass", "Salt", "Storms", "Ravens", "Bells", "Thorns", "Stars", "Kings", "Ghosts", "Ink")


@dataclass
class DemoBook:
    asin: str
    title: str
    author: str
    author_asin: str
    series: str | None
    position: str | None
    narrator: str
    release_date: str
    genre: str = "Fantasy"
    owned: bool = True
    messy: dict[str, object] = field(default_factory=dict)  # how the library's copy is wrong
    seeded: bool = False  # a real torrent of generated audio is offered and seeded


@dataclass
class DemoWorld:
    books: list[DemoBook]
    top10: list[DemoBook]  # MAM's most snatched, none of them owned

    @property
    def wanted_books(self) -> list[DemoBook]:
        return [book for book in self.books if not book.owned and book.release_date <= _today()]

    @property
    def seeded_books(self) -> list[DemoBook]:
        return [book for book in self.books if book.seeded]


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _titles(rng: random.Random, taken: set[str]) -> str:
    while True:
        shape = rng.randrange(3)
        if shape == 0:
            title = f"The {rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        elif shape == 1:
            title = f"{rng.choice(_SECOND)} of {rng.choice(_OF)}"
        else:
            title = f"A {rng.choice(_SECOND)} of {rng.choice(_FIRST)} {rng.choice(_OF)}"
        if title not in taken:
            taken.add(title)
            return title


def _mess(rng: random.Random, book: DemoBook) -> dict[str, object]:
    """What is wrong with the library's copy: a title with junk, the author as "Last, First", no ASIN, no
    position, a wrong year; one book in five."""
    kind = rng.randrange(5)
    if kind == 0:
        return {"title": f"{book.title} (Unabridged)", "asin": None}
    if kind == 1:
        first, last = book.author.rsplit(" ", 1)
        return {"author": f"{last}, {first}"}
    if kind == 2:
        return {"asin": None, "published_year": "1999"}
    if kind == 3:
        return {"title": book.title.lower(), "asin": None}
    return {"narrator": None, "asin": None}


def build_world(seed: int = SEED, *, today: datetime | None = None) -> DemoWorld:
    """The demo's books: owned with gaps (a hole, a missing last book, an upcoming one), messy copies, standalone
    books of each author (the author catalogue), the seeded wanted books and MAM's top-10 lists."""
    rng = random.Random(seed)
    now = today or datetime.now(UTC)
    taken: set[str] = set()
    books: list[DemoBook] = []
    for author_number, (author, series_list) in enumerate(AUTHORS):
        author_asin = f"B0AUTH{author_number:04d}"
        for series_number, (series, count) in enumerate(series_list):
            hole = rng.randrange(2, count)  # a missing middle book (1-based)
            for position in range(1, count + 1):
                released = now - timedelta(days=365 * (count - position + 1) + rng.randrange(200))
                book = DemoBook(
                    asin=f"B0DEMO{author_number:02d}{series_number}{position:02d}",
                    title=_titles(rng, taken),
                    author=author,
                    author_asin=author_asin,
                    series=series,
                    position=str(position),
                    narrator=rng.choice(NARRATORS),
                    release_date=released.date().isoformat(),
                    genre=GENRES.get(series, "Fantasy"),
                )
                book.owned = position != hole and not (position == count and series_number == 0)
                if position == count and series_number == 1:
                    book.owned = False  # announced, not out yet: wanted as upcoming, never grabbed
                    book.release_date = (now + timedelta(days=60 + rng.randrange(90))).date().isoformat()
                if book.owned and rng.random() < 0.2:
                    book.messy = _mess(rng, book)
                books.append(book)
        standalone = DemoBook(
            asin=f"B0SOLO{author_number:04d}",
            title=_titles(rng, taken),
            author=author,
            author_asin=author_asin,
            series=None,
            position=None,
            narrator=rng.choice(NARRATORS),
            release_date=(now - timedelta(days=900 + rng.randrange(400))).date().isoformat(),
            owned=rng.random() < 0.5,
        )
        books.append(standalone)
    # Real torrents for the holes of the first four authors' first series.
    for author, _series in AUTHORS[:4]:
        wanted = [b for b in books if b.author == author and not b.owned and b.series and b.release_date <= _today()]
        if wanted:
            wanted[0].seeded = True
    top10 = [
        DemoBook(
            asin=f"B0TOPT{number:04d}",
            title=_titles(rng, taken),
            author=rng.choice(("Lena Hart", "Marcus Vale", "Ada Finch", "Idris Cole")),
            author_asin="",
            series=None,
            position=None,
            narrator=rng.choice(NARRATORS),
            release_date=(now - timedelta(days=rng.randrange(3, 25))).date().isoformat(),
            genre=("Fantasy", "Science Fiction")[number % 2],
            owned=False,
        )
        for number in range(12)
    ]
    return DemoWorld(books, top10)
