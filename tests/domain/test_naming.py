"""Library folder and file names: Audiobookshelf's layout, hostile names made safe, file plans, path mapping."""

from __future__ import annotations

import unicodedata

import pytest

from shelfkeeper.domain.library.naming import (
    DEFAULT_MAX_BYTES,
    book_folder,
    disc_number,
    map_remote_path,
    natural_key,
    plan_book_files,
    safe_file_name,
    safe_name,
    sequence_label,
)
from shelfkeeper.testing.fakes.audiobookshelf_scan import parse_book_folder

_RESERVED = set('<>:"/\\|?*')


def assert_safe_component(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """What every component must be, whatever went in."""
    assert name and name not in (".", "..")
    assert not _RESERVED & set(name), name
    assert not any(unicodedata.category(ch) == "Cc" for ch in name), name
    assert name == name.strip(" ."), name
    assert len(name.encode()) <= max_bytes
    assert unicodedata.is_normalized("NFC", name)
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


# ---- one component ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("The Way of Kings", "The Way of Kings"),
        ("Title: Subtitle", "Title - Subtitle"),
        ("Title : Subtitle", "Title - Subtitle"),
        ("Title:", "Title"),
        (":Title", "Title"),
        ("AC/DC", "AC-DC"),
        ("back\\slash", "back-slash"),
        ("pipe|name", "pipe-name"),
        ('Say "Hello"', "Say 'Hello'"),
        ("Why? Because*", "Why Because"),
        ("<script>", "script"),
        ("..", "Unknown"),
        (".", "Unknown"),
        ("...", "Unknown"),
        ("../../etc/passwd", "-..-etc-passwd"),
        ("/etc/passwd", "-etc-passwd"),
        (".hidden", "hidden"),
        ("trailing dots...", "trailing dots"),
        ("  spaces  around  ", "spaces around"),
        ("CON", "CON_"),
        ("con", "con_"),
        ("nul.txt", "nul_.txt"),
        ("LPT9", "LPT9_"),
        ("COM10", "COM10"),  # only COM1-COM9 are devices
        ("CONSOLE", "CONSOLE"),
        ("tab\there", "tab here"),
        ("new\nline", "new line"),
        ("nul\x00byte", "nulbyte"),
        ("bell\x07", "bell"),
        ("\u202eevil\u202c.mp3", "evil.mp3"),  # right-to-left override dropped
        ("Cafe\u0301", "Café"),  # decomposed accent composed (NFC)
        ("Ｆｕｌｌ", "Ｆｕｌｌ"),  # full-width letters kept: NFC, not NFKC
        ("Story {Narrator}", "Story (Narrator)"),  # braces would be read as the narrator
        ("A - - B", "A - B"),
        ("", "Unknown"),
        ("???", "Unknown"),
        ("刘慈欣", "刘慈欣"),
    ],
)
def test_safe_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected
    assert_safe_component(safe_name(given))


@pytest.mark.parametrize(
    ("given", "max_bytes"),
    [
        ("x" * 300, 200),
        ("é" * 300, 200),  # two bytes each: cut on a character boundary
        ("e\u0301" * 300, 200),
        ("日本語" * 100, 200),  # three bytes each
        ("😀" * 100, 201),  # four bytes each: 201 is not a multiple
        ("a" * 198 + "é" + "b", 199),
        ("word " * 100, 50),  # no trailing space after the cut
    ],
)
def test_long_names_are_cut_to_the_byte_limit(given: str, max_bytes: int) -> None:
    name = safe_name(given, max_bytes=max_bytes)
    assert_safe_component(name, max_bytes)
    assert len(name.encode()) > max_bytes - 4  # cut as late as the characters allow
    assert unicodedata.normalize("NFC", given).startswith(name)


def test_a_cut_never_leaves_a_letter_without_its_accent() -> None:
    # "q" with an acute has no precomposed form: the two stay together or go together
    assert safe_name("x" * 198 + "q\u0301" + "y", max_bytes=200) == "x" * 198
    assert safe_name("x" * 197 + "q\u0301" + "y", max_bytes=200) == "x" * 197 + "q\u0301"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("01 - Chapter 1.mp3", "01 - Chapter 1.mp3"),
        ("Book.M4B", "Book.m4b"),
        ("What?.mp3", "What.mp3"),
        ("CON.mp3", "CON_.mp3"),
        ("..mp3", "mp3"),
        (".mp3", "mp3"),
        ("?.mp3", "file.mp3"),
        ("x" * 300 + ".flac", "x" * (DEFAULT_MAX_BYTES - 5) + ".flac"),
        ("no extension", "no extension"),
        ("a/b.mp3", "a-b.mp3"),
    ],
)
def test_safe_file_name_keeps_the_extension(given: str, expected: str) -> None:
    assert safe_file_name(given) == expected
    assert_safe_component(safe_file_name(given))


# ---- sequences --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("1", "01"),
        ("01", "01"),
        ("9", "09"),
        ("12", "12"),
        ("100", "100"),
        ("999", "999"),
        ("1000", None),  # Audiobookshelf reads at most three digits
        ("1.5", "01.5"),
        ("1.50", "01.5"),
        ("2.25", "02.25"),
        ("1.125", None),
        ("0", "00"),
        ("0.5", "00.5"),
        ("Book 3", "03"),
        ("iii", "03"),
        ("1-3", None),  # a range: no single volume
        ("", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_sequence_label(position: str | None, expected: str | None) -> None:
    assert sequence_label(position) == expected


# ---- whole folders, read back the way Audiobookshelf's scanner reads them ----------------------------------


FOLDERS = [
    # title, authors, series, position -> relative path; then what the scanner reads: title, series, sequence
    (("The Way of Kings", ["Brandon Sanderson"], "The Stormlight Archive", "1"),
     "Brandon Sanderson/The Stormlight Archive/01 - The Way of Kings",
     ("The Way of Kings", "The Stormlight Archive", "1")),
    (("Words of Radiance", ["Brandon Sanderson"], "The Stormlight Archive", "2"),
     "Brandon Sanderson/The Stormlight Archive/02 - Words of Radiance",
     ("Words of Radiance", "The Stormlight Archive", "2")),
    (("Edgedancer", ["Brandon Sanderson"], "The Stormlight Archive", "2.5"),
     "Brandon Sanderson/The Stormlight Archive/02.5 - Edgedancer", ("Edgedancer", "The Stormlight Archive", "2.5")),
    (("New Spring", ["Robert Jordan"], "The Wheel of Time", "0"),
     "Robert Jordan/The Wheel of Time/00 - New Spring", ("New Spring", "The Wheel of Time", "0")),
    (("Book 120", ["A B"], "Long", "120"), "A B/Long/120 - Book 120", ("Book 120", "Long", "120")),
    (("Project Hail Mary", ["Andy Weir"], None, None), "Andy Weir/Project Hail Mary",
     ("Project Hail Mary", None, None)),
    (("Project Hail Mary", ["Andy Weir"], "  ", "1"), "Andy Weir/Project Hail Mary", ("Project Hail Mary", None, None)),
    (("1984: A Novel", ["George Orwell"], None, None), "George Orwell/1984, A Novel", ("1984, A Novel", None, None)),
    (("2001: A Space Odyssey", ["Arthur C. Clarke"], "Space Odyssey", "1"),
     "Arthur C. Clarke/Space Odyssey/01 - 2001, A Space Odyssey", ("2001, A Space Odyssey", "Space Odyssey", "1")),
    (("1984", ["George Orwell"], None, None), "George Orwell/1984", ("1984", None, None)),
    (("Catch-22", ["Joseph Heller"], None, None), "Joseph Heller/Catch-22", ("Catch-22", None, None)),
    (("Heart of Black Ice: Sister of Darkness", ["Terry Goodkind"], "Sword of Truth", "17"),
     "Terry Goodkind/Sword of Truth/17 - Heart of Black Ice - Sister of Darkness",
     ("Heart of Black Ice - Sister of Darkness", "Sword of Truth", "17")),
    (("3. Unlucky", ["A B"], "Series", None), "A B/3. Unlucky", ("3. Unlucky", None, None)),  # would read as volume 3
    (("Book 2", ["A B"], "Series", None), "A B/Book 2", ("Book 2", None, None)),
    (("Lucky", ["A B"], "Series", None), "A B/Series/Lucky", ("Lucky", "Series", None)),
    (("Box Set", ["A B"], "Series", "1-3"), "A B/Series/Box Set", ("Box Set", "Series", None)),
    (("101 Dalmatians", ["Dodie Smith"], "Dalmatians", None),
     "Dodie Smith/Dalmatians/101 Dalmatians", ("101 Dalmatians", "Dalmatians", None)),
    (("Good Omens", ["Terry Pratchett", "Neil Gaiman"], None, None),
     "Terry Pratchett & Neil Gaiman/Good Omens", ("Good Omens", None, None)),
    (("Story {Narrated}", ["A B"], None, None), "A B/Story (Narrated)", ("Story (Narrated)", None, None)),
    (("AC/DC: Live", ["A/B"], "S/T", "1"), "A-B/S-T/01 - AC-DC - Live", ("AC-DC - Live", "S-T", "1")),
    (("..", [".."], "..", "1"), "Unknown Author/Unknown Title", ("Unknown Title", None, None)),
    (("", [], None, None), "Unknown Author/Unknown Title", ("Unknown Title", None, None)),
    (("CON", ["NUL"], "AUX", "2"), "NUL_/AUX_/02 - CON_", ("CON_", "AUX_", "2")),
    (("Les Misérables", ["Victor Hugo"], None, None), "Victor Hugo/Les Misérables", ("Les Misérables", None, None)),
    (("Der Process", ["Franz Kafka"], None, None), "Franz Kafka/Der Process", ("Der Process", None, None)),
    (("三体", ["刘慈欣"], "地球往事", "1"), "刘慈欣/地球往事/01 - 三体", ("三体", "地球往事", "1")),
    (("Title", ["Sanderson, Brandon"], None, None), "Sanderson, Brandon/Title", ("Title", None, None)),
]  # fmt: skip


@pytest.mark.parametrize(("book", "relative", "read_back"), FOLDERS)
def test_book_folder_in_audiobookshelf_layout(
    book: tuple[str, list[str], str | None, str | None], relative: str, read_back: tuple[str, str | None, str | None]
) -> None:
    title, authors, series, position = book
    folder = book_folder(title, authors, series, position)
    assert folder.relative_path == relative
    for part in folder.parts:
        assert_safe_component(part)
    parsed = parse_book_folder(folder.relative_path)
    assert (parsed.title, parsed.series, parsed.sequence) == read_back
    assert parsed.published_year is None, "no title may be read as a year"
    assert parsed.narrators == ()


def test_authors_are_read_back_as_separate_people() -> None:
    folder = book_folder("Good Omens", ["Terry Pratchett", "Neil Gaiman"])
    assert parse_book_folder(folder.relative_path).authors == ("Terry Pratchett", "Neil Gaiman")
    many = book_folder("Anthology", [f"Author {n}" for n in range(1, 8)])
    assert many.author == "Author 1 & Author 2 & Author 3"


@pytest.mark.parametrize("max_bytes", [40, 100, 200])
def test_long_titles_keep_their_volume_number(max_bytes: int) -> None:
    folder = book_folder("A " + "very " * 80 + "long title", ["A B"], "Series", "7", max_bytes=max_bytes)
    assert folder.name.startswith("07 - A very")
    assert len(folder.name.encode()) <= max_bytes
    assert parse_book_folder(folder.relative_path).sequence == "7"


# ---- the files of a download ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "expected", "ignored"),
    [
        (["Book.m4b"], [("Book.m4b", "Book.m4b")], []),
        (["Book/Book.m4b", "Book/Book.nfo", "Book/folder.jpg"], [("Book/Book.m4b", "Book.m4b")],
         ["Book/Book.nfo", "Book/folder.jpg"]),
        (["B/02 - Two.mp3", "B/10 - Ten.mp3", "B/01 - One.mp3"],
         [("B/01 - One.mp3", "01 - One.mp3"), ("B/02 - Two.mp3", "02 - Two.mp3"),
          ("B/10 - Ten.mp3", "10 - Ten.mp3")], []),
        (["B/Track 2.mp3", "B/Track 10.mp3"],
         [("B/Track 2.mp3", "Track 2.mp3"), ("B/Track 10.mp3", "Track 10.mp3")], []),
        (["B/CD 1/01.mp3", "B/CD 2/01.mp3", "B/CD 10/01.mp3"],
         [("B/CD 1/01.mp3", "CD1/01.mp3"), ("B/CD 2/01.mp3", "CD2/01.mp3"), ("B/CD 10/01.mp3", "CD10/01.mp3")], []),
        (["B/Disc 01/a.mp3", "B/disk-2/a.mp3"],
         [("B/Disc 01/a.mp3", "CD1/a.mp3"), ("B/disk-2/a.mp3", "CD2/a.mp3")], []),
        (["B/mp3/01.mp3", "B/mp3/02.mp3"], [("B/mp3/01.mp3", "01.mp3"), ("B/mp3/02.mp3", "02.mp3")], []),
        (["B/Part A/01.mp3", "B/Part B/01.mp3"],
         [("B/Part A/01.mp3", "01 - 01.mp3"), ("B/Part B/01.mp3", "02 - 01.mp3")], []),
        (["B/book.m4b", "B/sample.m4b", "B/Sample/clip.mp3"], [("B/book.m4b", "book.m4b")],
         ["B/Sample/clip.mp3", "B/sample.m4b"]),
        (["B/sample.mp3"], [("B/sample.mp3", "sample.mp3")], []),  # only a "sample": better than nothing
        (["B/a.mp3", "B/Cover.JPG", "B/scans/cover.jpg"], [("B/a.mp3", "a.mp3"), ("B/Cover.JPG", "cover.jpg")],
         ["B/scans/cover.jpg"]),
        (["B/a.flac", "B/b.opus", "B/c.ogg", "B/d.m4a", "B/e.wav", "B/f.epub"],
         [("B/a.flac", "a.flac"), ("B/b.opus", "b.opus"), ("B/c.ogg", "c.ogg"), ("B/d.m4a", "d.m4a")],
         ["B/e.wav", "B/f.epub"]),
        (["B/What?.mp3", "B/What.mp3"], [("B/What.mp3", "01 - What.mp3"), ("B/What?.mp3", "02 - What.mp3")], []),
        (["B/notes.txt"], [], ["B/notes.txt"]),
        (["B/CON.mp3"], [("B/CON.mp3", "CON_.mp3")], []),
    ],
)  # fmt: skip
def test_plan_book_files(paths: list[str], expected: list[tuple[str, str]], ignored: list[str]) -> None:
    plan = plan_book_files(paths)
    assert [(f.source, f.target) for f in plan.files] == expected
    assert list(plan.ignored) == ignored
    for planned in plan.files:
        for part in planned.target.split("/"):
            assert_safe_component(part)


def test_covers_are_kinded_apart_from_audio() -> None:
    plan = plan_book_files(["B/a.mp3", "B/cover.png"])
    assert [f.kind for f in plan.files] == ["audio", "cover"]
    assert [f.target for f in plan.audio] == ["a.mp3"]


@pytest.mark.parametrize(
    ("folder", "number"),
    [("CD1", 1), ("cd 02", 2), ("Disc 3", 3), ("disk-4", 4), ("DISC_5", 5), ("CD100", 100), ("Part 1", None),
     ("CDs", None), ("Disc", None), ("CD1000", None)],
)  # fmt: skip
def test_disc_number(folder: str, number: int | None) -> None:
    assert disc_number(folder) == number


def test_natural_order() -> None:
    names = ["Track 10.mp3", "track 2.mp3", "Track 1.mp3", "Intro.mp3"]
    assert sorted(names, key=natural_key) == ["Intro.mp3", "Track 1.mp3", "track 2.mp3", "Track 10.mp3"]


# ---- remote path mapping ----------------------------------------------------------------------------------

MAPPINGS = [("/downloads", "/mnt/downloads"), ("/downloads/audiobooks", "/srv/books"), ("D:\\Torrents", "/mnt/t")]


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        ("/downloads/Book", "/mnt/downloads/Book"),
        ("/downloads", "/mnt/downloads"),
        ("/downloads/audiobooks/Book/a.mp3", "/srv/books/Book/a.mp3"),  # the longest prefix wins
        ("/downloadsX/Book", "/downloadsX/Book"),  # whole components only
        ("/other/Book", "/other/Book"),
        ("D:\\Torrents\\Book\\a.mp3", "/mnt/t/Book/a.mp3"),
        ("d:\\torrents\\Book", "/mnt/t/Book"),  # Windows paths ignore case
        ("D:/Torrents/Book", "/mnt/t/Book"),
        ("E:\\Torrents\\Book", "E:\\Torrents\\Book"),
    ],
)
def test_map_remote_path(remote: str, local: str) -> None:
    assert map_remote_path(remote, MAPPINGS) == local


def test_trailing_slashes_and_a_root_mapping() -> None:
    assert map_remote_path("/data/x", [("/data/", "/mnt/data/")]) == "/mnt/data/x"
    assert map_remote_path("/data/x", [("/", "/host")]) == "/host/data/x"
    assert map_remote_path("/data/x", []) == "/data/x"
