"""A seeded generator of wanted books with adversarial release lists, for bench/matching_releases.py.

Each wanted book gets releases in the styles of MyAnonamouse (its JSON item, read by the real adapter:
author/narrator/series fields, ``series_info``, ``filetype``, ``lang_code``) and of public indexers (Prowlarr
resources: scene titles, bracket groups, narrator lists, volume numbers in several styles, subtitles, language
tags). Every release is labelled: ``right`` (the wanted edition), ``acceptable`` (the same book read by another
narrator) or ``wrong`` (a trap), with the style or trap class it stands for. Decoys get more seeders, better
formats and freeleech more often than the right releases, so only verification can keep them out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shelfkeeper.adapters.mam_items import release_from_item
from shelfkeeper.adapters.prowlarr import release_from_resource
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.testing.fakes.mam_data import MamTorrent, torrent_resource

_FIRST_WORDS = """Anna Brandon Chidi Dorothy Émile Farah Gustav Hiroko Ivan Jia Kofi Lena Mateo Nadia Oskar Priya
Quentin Rosa Søren Tomasz Uma Viktor Wen Xavier Yara Zoë Aoife Bjørn Célia Dmitri Eun-ji Francesca
Graham Hélène Ines Jonah Kwame Leilani Malik Noor Siobhan Ngozi Rafael Ingrid"""
FIRST = tuple(_FIRST_WORDS.split())
_LAST_PLAIN_WORDS = """Abernathy Brennan Castellanos Dubois Eriksen Fitzgerald Gallagher Haddad Ishikawa
Jovanović Kowalski
Lindqvist Mbeki Nakamura O'Connell Petrov Quintero Rasmussen Søndergaard Tanaka Underwood Valdés
Whitfield Xu Yilmaz Zielinski Okonkwo Holdbrook-Smith Achterberg Ferreira Mäkinen"""
LAST_PLAIN = tuple(_LAST_PLAIN_WORDS.split())
LAST = (*LAST_PLAIN, "Ó Súilleabháin", "Nguyễn")
PARTICLES = ("de la", "van der", "von", "di", "Mac")
_ADJ_WORDS = """Silent Crimson Hollow Burning Gilded Broken Hidden Shattered Wandering Forgotten Iron Glass Winter
Midnight Scarlet Quiet Drowned Sunless Bitter Wild Pale Electric Ninth Distant Velvet Amber Obsidian
Cold Clockwork Sleeping Hungry Tender Luminous Wicked Salt"""
ADJ = tuple(_ADJ_WORDS.split())
_NOUN_WORDS = """Crown Harbor Orchard Lantern Kingdom Engine Garden River Tower Empire Cartographer Witch Fox Machine
Mirror Station Covenant Heir Labyrinth Compass Orchestra Sparrow Atlas Wolf Citadel Meridian Chorus
Saint Tide Forge Ember Harvest Oracle Mountain Serpent Lighthouse Cathedral Inheritance Café Señora
Fjord Alchemist Hourglass Cipher Dynasty Gambit Reckoning Requiem Pilgrim Vessel Glacier Monsoon
Carnival Assassin"""
NOUN = tuple(_NOUN_WORDS.split())
PLACES = [
    "Vesper",
    "Oberon",
    "Kaltstadt",
    "Marrowgate",
    "Ankhara",
    "Lisbon",
    "Kyoto",
    "Reykjavík",
    "Zanzibar",
    "Saint-Malo",
    "Ōsaka",
    "Tromsø",
]
SHORT_TITLES = ("It", "Us", "Go", "Her", "Rue", "Cujo", "Wool", "Dune", "Emma", "Ash")
SUBTITLES = (
    "A Brief History of {n}s",
    "How the {a} {n} Changed the World",
    "The Untold Story of the {a} {n}",
    "What {n}s Teach Us About Ourselves",
    "An Unlikely Journey Through {p}",
    "Why {n}s Matter More Than Ever",
    "The Science of the {a} Mind",
    "Inside the Secret World of {n}s",
)
# Subtitles the heuristic refuses (a number, an edition-like word, too short): only a known subtitle lets them in.
HARD_SUBTITLES = (
    "An American {n}",
    "{a} {n}s",
    "Ten Lessons from {p}",
    "The {n} Years",
    "A World War II Story of {n}s",
    "{n}, Complete",
    "Notes from {p}",
)
# Another book with the same main title: its subtitle reads like a description, so the heuristic would take it.
OTHER_SUBTITLES = (
    "How the {a} {n} Was Lost and Found Again",
    "The Strange Afterlife of the {a} {n}",
    "Letters from the Far Side of {p}",
    "Why We Keep Returning to {p}",
)
SHARE_WITH_ASIN = 0.5  # of the books without a series: wanted records that carry an ASIN
SHARE_HARD = 0.5  # of those without a subtitle: given one the heuristic refuses
SHARE_LOOKUP_FAILED = 0.04  # the providers were down when the book was searched: the heuristic alone
SERIES_WORDS = ("Cycle", "Saga", "Chronicles", "Trilogy", "Sequence", "Archive", "Quartet")
GUIDE_AUTHORS = ("Quick Reads", "BookRags", "Instaread", "SuperSummary", "Worth Books", "Readtrepreneur Publishing")
GERMAN = ("Der {a} {n}", "Die Geschichte von {p}", "Das Erbe der {n}")
FOREIGN_SUBTITLE = ("Eine kurze Geschichte von {n}", "Una breve historia del {n}", "Une histoire de la {n}")
NUMBER_WORDS = ("One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve")
AUDIO = ("m4b", "mp3", "m4b", "m4b mp3", "m4a", "flac")


@dataclass(frozen=True)
class Book:
    title: str
    authors: tuple[str, ...]
    narrators: tuple[str, ...]
    series: str | None
    position: int | None
    subtitle: str | None
    year: int
    minutes: int
    siblings: tuple[str, ...] = ()  # the other titles of its series, by position (index 0 is book 1)
    asin: str | None = None


@dataclass
class LabelledRelease:
    release: Release
    label: str  # "right", "acceptable" or "wrong"
    kind: str  # the style (right) or trap class (wrong) it stands for


@dataclass
class Case:
    wanted: WantedEdition
    book: Book
    releases: list[LabelledRelease] = field(default_factory=list)

    @property
    def has_right(self) -> bool:
        return any(item.label == "right" for item in self.releases)


class Generator:
    """Deterministic for a seed: the same seed always gives the same cases."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # ASINs, looked-up subtitles and their traps draw from here, so the rest of the corpus stays as it was
        self.side = random.Random(seed * 7_919 + 18)
        self.counter = 0

    # --- names and titles ---------------------------------------------------------------------------------
    def person(self) -> str:
        rng = self.rng
        shape = rng.random()
        last = rng.choice(LAST)
        if shape < 0.12:
            return f"{rng.choice(FIRST)[0]}. {rng.choice(FIRST)[0]}. {last}"
        if shape < 0.2:
            return f"{rng.choice(FIRST)} {rng.choice(PARTICLES)} {last}"
        if shape < 0.25:
            return f"{rng.choice(FIRST)} {rng.choice(FIRST)[0]}. {last}"
        if shape < 0.28:
            return f"{rng.choice(FIRST)} {last} Jr."
        return f"{rng.choice(FIRST)} {last}"

    def other_person(self, avoid: tuple[str, ...]) -> str:
        surnames = {name.split()[-1] for name in avoid}
        while True:
            name = self.person()
            if name.split()[-1] not in surnames:
                return name

    def title(self) -> str:
        rng = self.rng
        a, n, n2, p = rng.choice(ADJ), rng.choice(NOUN), rng.choice(NOUN), rng.choice(PLACES)
        shapes = [
            f"The {a} {n}",
            f"{a} {n}",
            n,
            f"The {n} of {p}",
            f"A {n} of {n2}s and {rng.choice(NOUN)}s",
            p,
            f"The {a} {n} and the {rng.choice(ADJ)} {n2} of {p}",
            f"{rng.choice(FIRST)}'s {n}",
            rng.choice(SHORT_TITLES),
            f"{n} {rng.choice(NUMBER_WORDS)}",
            f"{n}: {a} {n2}",
        ]
        weights = [14, 10, 6, 10, 5, 4, 4, 5, 5, 2, 3]
        return rng.choices(shapes, weights)[0]

    def series_name(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"The {rng.choice(NOUN)} {rng.choice(SERIES_WORDS)}",
                rng.choice(PLACES),
                f"{rng.choice(ADJ)} {rng.choice(NOUN)}",
            ]
        )

    def book(self) -> Book:
        rng = self.rng
        authors = (self.person(),) if rng.random() < 0.9 else (self.person(), self.person())
        narrators = tuple(self.person() for _ in range(1 if rng.random() < 0.75 else 2))
        series = position = None
        siblings: tuple[str, ...] = ()
        subtitle = None
        if rng.random() < 0.55:
            series = self.series_name()
            size = rng.randint(2, 9)
            position = rng.randint(1, size)
            titles = [self.title() for _ in range(size)]
            if rng.random() < 0.15:
                titles[0] = series.removeprefix("The ")  # the first book named as its series ("Red Rising")
                position = 1 if rng.random() < 0.6 else position
            siblings = tuple(dict.fromkeys(titles))
            position = min(position, len(siblings))
            title = siblings[position - 1]
        else:
            title = self.title()
            if rng.random() < 0.3 and ":" not in title:
                a, n, p = rng.choice(ADJ), rng.choice(NOUN), rng.choice(PLACES)
                subtitle = rng.choice(SUBTITLES).format(a=a, n=n, p=p)
        asin = None
        if series is None and ":" not in title and self.side.random() < SHARE_WITH_ASIN:
            asin = f"B0{self.side.randrange(16**8):08X}"
            if subtitle is None and self.side.random() < SHARE_HARD:
                subtitle = self.subtitle(HARD_SUBTITLES)
        return Book(
            title,
            authors,
            narrators,
            series,
            position,
            subtitle,
            rng.randint(1995, 2025),
            rng.randint(180, 2400),
            siblings,
            asin,
        )

    def subtitle(self, shapes: tuple[str, ...]) -> str:
        side = self.side
        return side.choice(shapes).format(a=side.choice(ADJ), n=side.choice(NOUN), p=side.choice(PLACES))

    def wanted(self, book: Book) -> WantedEdition:
        rng = self.rng
        return WantedEdition(
            title=book.title,
            authors=book.authors,
            series=book.series if rng.random() < 0.8 else None,
            position=str(book.position) if book.position and rng.random() < 0.85 else None,
            narrator=", ".join(book.narrators) if rng.random() < 0.75 else None,
            language="en" if rng.random() < 0.7 else None,
            duration_minutes=book.minutes if rng.random() < 0.7 else None,
            **self.looked_up(book),
        )

    def looked_up(self, book: Book) -> dict[str, str | None]:
        """What the search step's subtitle lookup by ASIN gives the wanted record (it never has one of its own)."""
        if book.asin is None:
            return {"subtitle_note": "no ASIN to look it up"}
        if self.side.random() < SHARE_LOOKUP_FAILED:
            return {"asin": book.asin, "subtitle_note": "subtitle lookup failed (audnexus: unreachable)"}
        note = f"looked up at audnexus by ASIN {book.asin}" if book.subtitle else f"audnexus has none for {book.asin}"
        return {"asin": book.asin, "subtitle": book.subtitle, "subtitle_note": note}

    # --- releases -------------------------------------------------------------------------------------------
    def _size(self, book: Book) -> int:
        return int(book.minutes / 60 * self.rng.uniform(25, 110) * 1024 * 1024)

    def mam(self, title: str, book: Book, *, decoy: bool, **fields: object) -> Release:
        self.counter += 1
        rng = self.rng
        torrent = MamTorrent(
            id=100_000 + self.counter,
            title=title.replace("&", "&amp;"),
            authors=list(fields.pop("authors", book.authors)),  # type: ignore[call-overload]
            narrators=list(fields.pop("narrators", book.narrators)),  # type: ignore[call-overload]
            series=fields.pop("series", [[book.series, str(book.position)]] if book.series else []),  # type: ignore[arg-type]
            size=self._size(book),
            seeders=rng.randint(40, 400) if decoy else rng.randint(1, 60),
            free=rng.random() < (0.4 if decoy else 0.1),
            filetype=str(fields.pop("filetype", rng.choice(AUDIO))),
            torrent=b"d4:infod4:name1:xee",
            info_hash=f"{self.counter:040x}",
            isbn=str(fields.pop("isbn", "")) or None,
            **fields,  # type: ignore[arg-type]
        )
        release = release_from_item(torrent_resource(torrent, {"isbn"}, 0), "https://www.myanonamouse.net")
        assert release is not None
        return release

    def web(self, title: str, book: Book, *, decoy: bool, ebook: bool = False) -> Release:
        self.counter += 1
        rng = self.rng
        resource = {
            "title": title,
            "guid": f"https://indexer.example/details/{self.counter}",
            "indexer": rng.choice(["AudioBookBay", "TorrentLeech", "Nyaa-ish", "The Pirate Tracker"]),
            "indexerId": rng.randint(1, 9),
            "size": self._size(book),
            "seeders": rng.randint(40, 500) if decoy else rng.randint(1, 80),
            "infoHash": f"{self.counter + 7_000_000:040x}",
            "categories": [{"id": 7000 if ebook else 3000, "subCategories": [{"id": 7020 if ebook else 3030}]}],
            "indexerFlags": ["freeleech"] if rng.random() < (0.3 if decoy else 0.05) else [],
        }
        release = release_from_resource(resource)
        assert release is not None
        return release
