"""Release titles for bench/release_corpus.py: the right edition in many styles, and the traps around it."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

from bench.release_corpus import (
    ADJ,
    FOREIGN_SUBTITLE,
    GERMAN,
    GUIDE_AUTHORS,
    NOUN,
    NUMBER_WORDS,
    OTHER_SUBTITLES,
    PLACES,
    Book,
    Case,
    Generator,
    LabelledRelease,
)
from shelfkeeper.domain.releases.release import Release

FORMAT_TAGS = ("[M4B]", "M4B", "[MP3 64kbps]", "(mp3)", "{m4b 128}", "[m4b][unabridged]", "", "[M4A]", "MP3 VBR")


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _author(gen: Generator, book: Book) -> str:
    rng, name = gen.rng, book.authors[0]
    shape = rng.random()
    if len(book.authors) > 1 and shape < 0.5:
        return " & ".join(book.authors)
    if shape < 0.12 and len(name.split()) == 2 and "." not in name:
        first, last = name.split()
        return f"{last}, {first}"
    if shape < 0.2:
        return _plain(name)
    return name


def _fmt(gen: Generator) -> str:
    return gen.rng.choice(FORMAT_TAGS)


def _position(gen: Generator, series: str, position: int) -> str:
    word = NUMBER_WORDS[position - 1] if position <= len(NUMBER_WORDS) else str(position)
    return gen.rng.choice(
        [
            f"{series} {position:02d}",
            f"{series}, Book {position}",
            f"{series} Vol. {position}",
            f"{series} #{position}",
            f"{series} Book {word}",
            f"[{series} {position}]",
        ]
    )


def _scene(text: str) -> str:
    return text.replace(":", "").replace(",", "").replace(". ", ".").replace(" - ", ".").replace(" ", ".")


def right_releases(gen: Generator, case: Case) -> None:
    """One to three releases of the wanted edition, each in a style a person would call right."""
    rng, book = gen.rng, case.book
    styles = list(_RIGHT)
    if book.subtitle is None:
        styles.remove("subtitle")
    if book.series is None:
        styles.remove("series_first")
    for style in rng.sample(styles, rng.randint(1, 3)):
        title = _RIGHT[style](gen, book)
        release = gen.mam(title, book, decoy=False) if style == "mam" else gen.web(title, book, decoy=False)
        known = style == "subtitle" and case.wanted.subtitle is not None
        case.releases.append(LabelledRelease(release, "right", "known_subtitle" if known else style))


def _title(gen: Generator, book: Book) -> str:
    if book.subtitle and gen.rng.random() < 0.5:
        return f"{book.title}: {book.subtitle}"
    return book.title


_RIGHT: dict[str, Callable[[Generator, Book], str]] = {
    "mam": _title,
    "author_title": lambda g, b: f"{_author(g, b)} - {_title(g, b)} {_fmt(g)}",
    "narrator_group": lambda g, b: (
        f"{_author(g, b)} - {_position(g, b.series, b.position or 1) + ' - ' if b.series else ''}{b.title} "
        f"[{', '.join(b.narrators)}] {g.rng.choice(['M4B', 'MP3', '[M4B]'])}"
    ),
    "by_author": lambda g, b: f"{_title(g, b)} by {_author(g, b)} {_fmt(g)}",
    "scene": lambda g, b: _scene(f"{_plain(b.authors[0])} {b.title} {b.year} Audiobook {g.rng.choice(['M4B', 'MP3'])}"),
    "narrated_by": lambda g, b: f"{b.title} - {_author(g, b)} (Narrated by {b.narrators[0]}) [Unabridged]",
    "series_first": lambda g, b: g.rng.choice(
        [
            f"{_position(g, b.series or '', b.position or 1)} - {b.title} - {_author(g, b)}.m4b",
            f"{b.title}: {b.series}, Book {b.position} - {_author(g, b)}",
        ]
    ),
    "subtitle": lambda g, b: g.rng.choice(
        [f"{_author(g, b)} - {b.title}: {b.subtitle} {_fmt(g)}", f"{_author(g, b)} - {b.title} - {b.subtitle}"]
    ),
    "paren_author": lambda g, b: f"{b.title} ({_author(g, b)}) {_fmt(g)} {g.rng.choice(['[ENG]', '(English)', ''])}",
    "language_tag": lambda g, b: f"{_author(g, b)} - {b.title} ({b.year}) [ENG / {g.rng.choice(['M4B', 'MP3'])}]",
}


def trap_releases(gen: Generator, case: Case) -> None:
    """Two to six traps that fit the book; each claims to be it, and none is the wanted edition."""
    rng, book = gen.rng, case.book
    classes = [name for name, (fits, _) in _TRAPS.items() if fits(book)]
    if case.wanted.subtitle and book.asin:  # drawn aside, so the other books' traps stay as they were
        case.releases.extend(LabelledRelease(r, label, "other_subtitle") for label, r in _other_subtitle(gen, book))
    for name in rng.sample(classes, min(len(classes), rng.randint(2, 6))):
        made = (
            _other_narrator(gen, book, case.wanted.narrator is not None)
            if name == "other_narrator"
            else _TRAPS[name][1](gen, book)
        )
        for label, release in made:
            case.releases.append(LabelledRelease(release, label, name))


def _other_book(gen: Generator, book: Book, title: str, **mam: object) -> list[tuple[str, object]]:
    """The same kind of trap in both styles: a MAM item and an indexer title (author named first)."""
    rng = gen.rng
    if rng.random() < 0.5:
        return [("wrong", gen.mam(title, book, decoy=True, **mam))]
    authors = mam.get("authors", book.authors)
    return [("wrong", gen.web(f"{' & '.join(authors)} - {title} {_fmt(gen)}", book, decoy=True))]  # type: ignore[arg-type]


def _sequel(gen: Generator, book: Book) -> list[tuple[str, object]]:
    if book.series and book.position and book.position < len(book.siblings):
        nxt = book.position + 1
        other = book.siblings[nxt - 1]
        return [
            ("wrong", gen.mam(other, book, decoy=True, series=[[book.series, str(nxt)]])),
            (
                "wrong",
                gen.web(
                    f"{book.authors[0]} - {_position(gen, book.series, nxt)} - {other} {_fmt(gen)}", book, decoy=True
                ),
            ),
        ]
    suffix = gen.rng.choice(["Returns", "2", "II", "Reborn", "Book Two"])
    return _other_book(gen, book, f"{book.title} {suffix}", series=[])


def _other_subtitle(gen: Generator, book: Book) -> list[tuple[str, Release]]:
    """Another book with the wanted main title and a subtitle that reads like a description (the same author)."""
    other = gen.subtitle(OTHER_SUBTITLES)
    title = f"{book.title}: {other}"
    if gen.side.random() < 0.5:
        return [("wrong", gen.mam(title, book, decoy=True, series=[]))]
    return [("wrong", gen.web(f"{book.authors[0]} - {title} {_fmt(gen)}", book, decoy=True))]


def _first_volume(gen: Generator, book: Book) -> list[tuple[str, object]]:
    first = book.siblings[0]
    return [
        ("wrong", gen.mam(first, book, decoy=True, series=[[book.series, "1"]])),
        ("wrong", gen.web(f"{book.authors[0]} - {_position(gen, book.series or '', 1)} - {first}", book, decoy=True)),
    ]


def _other_volume(gen: Generator, book: Book) -> list[tuple[str, object]]:
    """The first book is named as its series: "Red Rising 03" and friends are other volumes."""
    n = gen.rng.randint(2, 9)
    word = NUMBER_WORDS[n - 1]
    name = book.series or book.title
    styles = [
        f"{name} {n:02d}",
        f"{name}, Book {n}",
        f"{name} Vol. {n}",
        f"{name} #{n}",
        f"{name}, Part {word}",
        f"{name} Book {word}",
        f"{book.title} {n}",
        f"{name} [{_volume_title(gen, book, n)}]",  # another volume's title in brackets: "Red Rising [Golden Son]"
    ]
    return [("wrong", gen.web(f"{book.authors[0]} - {gen.rng.choice(styles)} {_fmt(gen)}", book, decoy=True))]


def _volume_title(gen: Generator, book: Book, n: int) -> str:
    if n <= len(book.siblings) and book.siblings[n - 1] != book.title:
        return book.siblings[n - 1]
    return f"{gen.rng.choice(ADJ)} {gen.rng.choice(NOUN)}"


def _omnibus(gen: Generator, book: Book) -> list[tuple[str, object]]:
    name = book.series or book.title
    title = gen.rng.choice(
        [
            f"{name} Books 1-3",
            f"{name} Box Set",
            f"The Complete {name}",
            f"{name} Omnibus",
            f"{book.title} / {gen.title()} / {gen.title()}",
        ]
    )
    return _other_book(gen, book, title, series=[[name, "1-3"]] if book.series else [])


def _edition(words: tuple[str, ...]) -> Callable[[Generator, Book], list[tuple[str, object]]]:
    def make(gen: Generator, book: Book) -> list[tuple[str, object]]:
        shape = gen.rng.choice(["({})", "[{}]", ": {}", " - {}"]).format(gen.rng.choice(words))
        return _other_book(gen, book, f"{book.title}{'' if shape[0] in ':' else ' '}{shape}")

    return make


def _translation(gen: Generator, book: Book) -> list[tuple[str, object]]:
    rng = gen.rng
    a, n, p = rng.choice(ADJ), rng.choice(NOUN), rng.choice(PLACES)
    shape = rng.random()
    if shape < 0.3:
        return [("wrong", gen.mam(book.title, book, decoy=True, lang_code=rng.choice(["GER", "FRE", "SPA"])))]
    if shape < 0.55:
        return [
            (
                "wrong",
                gen.web(
                    f"{book.authors[0]} - {book.title} [{rng.choice(['GER', 'FRE', 'ITA'])}] M4B", book, decoy=True
                ),
            )
        ]
    if shape < 0.8:
        foreign = rng.choice(FOREIGN_SUBTITLE).format(n=n)
        return [("wrong", gen.web(f"{book.authors[0]} - {book.title}: {foreign}", book, decoy=True))]
    return [("wrong", gen.web(f"{book.authors[0]} - {rng.choice(GERMAN).format(a=a, n=n, p=p)}", book, decoy=True))]


def _study_guide(gen: Generator, book: Book) -> list[tuple[str, object]]:
    rng, guide = gen.rng, gen.rng.choice(GUIDE_AUTHORS)
    full = f"{book.title}: {book.subtitle}" if book.subtitle else book.title
    title = rng.choice(
        [
            f"Summary of {full}",
            f"{full}: Summary & Analysis",
            f"Study Guide: {full}",
            f"{full} - A Study Guide",
            f"Summary: {book.authors[0]}'s {full}",
            f"{full} (Key Takeaways)",
        ]
    )
    if rng.random() < 0.5:
        return [("wrong", gen.mam(title, book, decoy=True, authors=[guide], narrators=[gen.person()], series=[]))]
    return [("wrong", gen.web(f"{title} by {guide} {_fmt(gen)}", book, decoy=True))]


def _same_title_other_author(gen: Generator, book: Book) -> list[tuple[str, object]]:
    other = gen.other_person(book.authors + book.narrators)
    return _other_book(gen, book, book.title, authors=[other], series=[])


def _longer_title(gen: Generator, book: Book) -> list[tuple[str, object]]:
    """ "It" against "It Ends with Us": the wanted title and more words, by the same or another author."""
    tail = gen.rng.choice(["Ends with Us", "Comes Back", "Never Sleeps", "Again", f"and the {gen.rng.choice(NOUN)}"])
    author = [gen.other_person(book.authors)] if gen.rng.random() < 0.5 else list(book.authors)
    return _other_book(gen, book, f"{book.title} {tail}", authors=author, series=[])


def _other_narrator(gen: Generator, book: Book, narrator_known: bool) -> list[tuple[str, object]]:
    """Another narrator's reading: the wanted edition when the wanted record names no narrator, else a second best."""
    other = gen.other_person(book.authors + book.narrators)
    label = "acceptable" if narrator_known else "right"
    if gen.rng.random() < 0.5:
        return [(label, gen.mam(book.title, book, decoy=True, narrators=[other]))]
    return [(label, gen.web(f"{book.authors[0]} - {book.title} [{other}] M4B", book, decoy=True))]


def _ebook(gen: Generator, book: Book) -> list[tuple[str, object]]:
    rng = gen.rng
    kind = rng.choice(["epub", "mobi", "azw3", "pdf", "epub mobi"])
    if rng.random() < 0.5:  # filed in an audiobook category, as uploads sometimes are
        return [("wrong", gen.mam(book.title, book, decoy=True, filetype=kind, category=rng.choice([39, 41, 47])))]
    tag = rng.choice([f"[{kind.upper()}]", f".{kind.split()[0]}", f"({kind.replace(' ', ', ')})", kind.upper()])
    title = f"{book.authors[0]} - {book.title} {tag}"
    return [("wrong", gen.web(title.replace(" .", "."), book, decoy=True, ebook=rng.random() < 0.5))]


def _other_book_same_author(gen: Generator, book: Book) -> list[tuple[str, object]]:
    title = gen.title()
    return [] if title == book.title else _other_book(gen, book, title, series=[])


_ANY: Callable[[Book], bool] = lambda book: True  # noqa: E731
_TRAPS: dict[str, tuple[Callable[[Book], bool], Callable[[Generator, Book], list[tuple[str, object]]]]] = {
    "same_title_other_author": (_ANY, _same_title_other_author),
    "sequel": (_ANY, _sequel),
    "first_volume": (lambda b: bool(b.series and b.position and b.position > 1), _first_volume),
    "other_volume": (
        lambda b: bool(b.series and b.position == 1 and b.title == b.series.removeprefix("The ")),
        _other_volume,
    ),
    "omnibus_box_set": (_ANY, _omnibus),
    "abridged": (_ANY, _edition(("Abridged", "Abridged Edition", "abridged"))),
    "translation": (_ANY, _translation),
    "dramatized": (
        _ANY,
        _edition(("Dramatized", "Full Cast", "A BBC Radio Full-Cast Dramatisation", "Dramatized Adaptation")),
    ),
    "graphic_novel": (_ANY, _edition(("The Graphic Novel", "Graphic Novel", "Graphic Audio Comic"))),
    "study_guide": (_ANY, _study_guide),
    "other_narrator": (_ANY, lambda gen, book: []),  # made by trap_releases, which knows the wanted record
    "regional_edition": (_ANY, _edition(("UK Edition", "US Version", "British English Edition", "Australian Edition"))),
    "deluxe_edition": (
        _ANY,
        _edition(("Deluxe Edition", "10th Anniversary Edition", "Collector's Edition", "Deluxe Illustrated Edition")),
    ),
    "longer_title": (_ANY, _longer_title),
    "ebook": (_ANY, _ebook),
    "other_book_same_author": (_ANY, _other_book_same_author),
}


# Uploader and group tags as release lists end with them once the file is described (docs/acquisition.md).
UPLOADER_TAGS = ("[StarLantern]", "[RG AudioBook]", "[Tantor]", "-JNoN", "{Blackstone}", "[MrFreeloader]", "-EMERALD")
_DESCRIBED = ("[M4B]", "[Unabridged] m4b", "[M4B][64kbps]", "(2019) [mp3]", "[Unabridged] [M4B]", "MP3 128kbps")
UPLOADER_SHARE = 0.4  # of the books, each for a right release and a trap with a tag
ONLY_TAGGED_SHARE = 0.5  # of the books with a tagged right release, those whose other right releases are dropped


def uploader_releases(gen: Generator, case: Case) -> list[LabelledRelease]:
    """A right release and a trap, each ending in an uploader tag, for some books (class ``uploader_tag``); for half
    of those with the tagged right release it is the only right one listed (the others are dropped).

    Drawn from a stream of their own (and returned for the caller to place), so the rest of the corpus stays as
    it was: the same books, releases and traps as without them.
    """
    saved, gen.rng = gen.rng, random.Random(f"uploader:{case.book.title}:{case.book.authors}:{gen.counter}")
    try:
        return _uploader_releases(gen, case)
    finally:
        gen.rng = saved


def _uploader_releases(gen: Generator, case: Case) -> list[LabelledRelease]:
    rng, book = gen.rng, case.book
    made: list[LabelledRelease] = []
    author = book.authors[0]
    if case.has_right and rng.random() < UPLOADER_SHARE:
        series = f"{_position(gen, book.series, book.position or 1)} - " if book.series and rng.random() < 0.5 else ""
        title = f"{author} - {series}{book.title} {rng.choice(_DESCRIBED)} {rng.choice(UPLOADER_TAGS)}"
        made.append(LabelledRelease(gen.web(title, book, decoy=False), "right", "uploader_tag"))
        if rng.random() < ONLY_TAGGED_SHARE:  # the only right upload listed carries a tag: found only if read
            case.releases[:] = [item for item in case.releases if item.label != "right"]
    if rng.random() < UPLOADER_SHARE:
        title = rng.choice(_uploader_traps(gen, book)).format(tag=rng.choice(UPLOADER_TAGS), fmt=rng.choice(_DESCRIBED))
        made.append(LabelledRelease(gen.web(f"{author} - {title}", book, decoy=True), "wrong", "uploader_tag"))
    return made


def _uploader_traps(gen: Generator, book: Book) -> list[str]:
    """Another book or edition with a tag after it, or an edition word where a tag would stand."""
    other = gen.rng.choice(NOUN)
    traps = [
        f"{book.title} [Abridged] {{fmt}} {{tag}}",
        f"{book.title} Part 2 {{fmt}} {{tag}}",
        f"{book.title} Returns {{fmt}} {{tag}}",
        f"{book.title} [{other}] {{fmt}} {{tag}}",  # the extra word in brackets, before the file's description
        f"{book.title} {{fmt}} [Dramatized]",
        f"{book.title} {{fmt}} [Summary]",
        f"{book.title} {{fmt}} [Abridged]",
        f"{book.title} {{fmt}} [Full Cast]",
        f"{book.title} {{fmt}}-Deutsch",
        f"{book.title} {{fmt}} [II]",
        f"{book.title} {{fmt}} [Part Two]",
    ]
    if book.series and book.position and book.position < len(book.siblings):
        nxt = book.position + 1
        traps.append(f"{_position(gen, book.series, nxt)} - {book.siblings[nxt - 1]} {{fmt}} {{tag}}")
    return traps
