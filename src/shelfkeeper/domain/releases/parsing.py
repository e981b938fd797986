"""Parsing a release (its title, and MAM's structured fields when present) into what it claims to hold."""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from shelfkeeper.domain.releases.release import NEWZNAB_AUDIOBOOK, NEWZNAB_EBOOK, Release, ReleaseSource
from shelfkeeper.domain.releases.subtitles import GROUP_DECOY_WORDS, NUMBER_WORDS
from shelfkeeper.domain.releases.uploader import split_uploader_tag
from shelfkeeper.domain.text import fold, normalize_language, parse_position, split_names

AUDIO_FORMATS = frozenset({"m4b", "m4a", "mp3", "flac", "opus", "ogg", "aac", "wma", "wav", "aax", "aaxc"})
EBOOK_FORMATS = frozenset({"epub", "mobi", "azw3", "azw", "pdf", "cbz", "djvu", "fb2"})
_ALL_FORMATS = AUDIO_FORMATS | EBOOK_FORMATS
_AUDIO_PREFERENCE = ("m4b", "m4a", "aax", "aaxc", "mp3", "flac", "opus", "ogg", "aac", "wma", "wav")
# Outside brackets "opus" is more often a word of a title ("Magnum Opus") than a codec.
_LOOSE_FORMATS = _ALL_FORMATS - {"opus"}
_EBOOK_CATEGORIES = frozenset({NEWZNAB_EBOOK})
_AUDIO_CATEGORIES = frozenset({NEWZNAB_AUDIOBOOK})
_MAM_EBOOK_MAIN_CATEGORY = 14
_MAM_EBOOK_CATEGORIES = frozenset(
    [*range(60, 83), *range(90, 97), *range(101, 105), 107, 109, 112, 115, 118, 120]
)  # MAM's e-book sub-categories; Prowlarr shows them as 100000 + id

_QUALITY_NOISE = frozenset(
    {
        "retail", "audiobook", "audiobooks", "audio", "audible", "cbr", "vbr", "mono", "stereo", "chapterized",
        "chaptered", "chapters", "multi", "files", "kbps", "kbit", "khz", "mb", "gb", "mib", "gib", "web", "rip",
    }
)  # fmt: skip
_EXTENSION = re.compile(r"\.(" + "|".join(sorted(_ALL_FORMATS)) + r")\s*$", re.IGNORECASE)
_GROUP = re.compile(r"\[([^\[\]]*)\]|\{([^{}]*)\}|\(([^()]*)\)")
_BITRATE_JOIN = re.compile(r"\b(\d{2,3})\s+(kbps|kb/s|kbit/s|kbit|k)\b", re.IGNORECASE)
_BITRATE = re.compile(r"^@?(\d{2,3})(?:kbps|kb/s|kbit/s|kbit|k)$")
_LOOSE_BITRATE = re.compile(r"@?\b(\d{2,3})\s?(?:kbps|kb/s|kbit/s|kbit|k)\b", re.IGNORECASE)
_LOOSE_FORMAT = re.compile(r"\b(" + "|".join(sorted(_LOOSE_FORMATS)) + r")\b", re.IGNORECASE)
_LOOSE_ENCODING = re.compile(r"\b(?:vbr|cbr)\b", re.IGNORECASE)
_LOOSE_ABRIDGED = re.compile(r"\b(un)?abridged\b", re.IGNORECASE)
_NARRATOR_PHRASE = re.compile(
    r"(?:^|[,;]\s*|\s)(?:narrated|read|performed)\s+by\s*:?\s*(?P<names>[^\-–—|\[\]{}()]+)|"
    r"(?:^|\s)(?:narr\.?|narrator)\s*:?\s+(?P<short>[^\-–—|\[\]{}()]+)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s+[-–—]+\s+|\s*\|\s*|\s+[-–—](?=[^\W\d_])|(?<=[^\W\d_])[-–—]\s+")
_BY_AUTHOR = re.compile(r"^(?P<title>.+)\s+by\s+(?P<names>[^\s].*)$")
_NUMBER_WORD = "|".join(NUMBER_WORDS)
# digits or a range of them; or, after a keyword, a number word or roman numeral: "Book Three", "Vol. IV"
_POSITION = (
    r"(?P<pos>\d+(?:\.\d+)?(?:\s*-\s*\d+(?:\.\d+)?)?|(?:" + _NUMBER_WORD + r")\b|(?=[ivx])x{0,2}(?:ix|iv|v?i{0,3})\b)"
)
_KEYWORD_SUFFIX = re.compile(
    r"(?P<lead>.*?)[\s,:;]*(?:\b(?:book|bk|vol|volume|no|nr)\.?\s*#?|#)\s*" + _POSITION + r"\s*$",
    re.IGNORECASE,
)
_NUMBER_SUFFIX = re.compile(r"^(?P<lead>\D.*?)[\s,]+#?(?P<pos>\d{1,2}(?:\.\d+)?(?:\s*-\s*\d{1,2}(?:\.\d+)?)?)$")
# "Part 2 of 3": one piece of a book split over several releases
_PART_NUMBER = r"(\d{1,2}|" + _NUMBER_WORD + r")"
PART_PATTERN = re.compile(
    r"[,:;]?\s*\b(?:part|pt)\.?\s*" + _PART_NUMBER + r"(?:\s*(?:of|/)\s*(?:\d{1,2}|" + _NUMBER_WORD + r"))?\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_NAME_STOP_WORDS = frozenset(
    {"the", "of", "and", "a", "an", "in", "on", "to", "for", "with", "from", "my", "your", "book", "part", "vol",
     "volume", "series", "saga", "audiobook", "unabridged", "abridged"}
)  # fmt: skip
_NAME_PARTICLES = frozenset({"de", "da", "van", "von", "der", "den", "le", "la", "du", "del", "di", "st", "jr", "sr"})


class SegmentKind(enum.StrEnum):
    """What a piece of a release title seems to be, before anyone knows which book is wanted."""

    TEXT = "text"  # title words, or anything not recognised
    SERIES = "series"  # "Mistborn 01", "The Expanse Book 3", "(Series #2)"
    AUTHOR_GUESS = "author_guess"  # "by A, B", "(Frank Herbert)" or a name-like segment
    # A bracket group of person names after the title: the author, else the narrators (verification decides,
    # knowing the wanted author and narrator): "[Michael Kramer, Kate Reading]", "(Ray Porter)".
    PEOPLE = "people"
    # The uploader's or group's tag that ends the title once the file was described: "[M4B] [StarLantern]",
    # "m4b-JNoN" (see ``uploader``). Never title words.
    UPLOADER = "uploader"


@dataclass(frozen=True)
class SeriesMention:
    """A series (when named) and the position the release claims in it."""

    name: str | None
    position: tuple[Decimal, Decimal] | None


@dataclass(frozen=True)
class Segment:
    """One piece of a release title, as split on dashes, "by" and brackets."""

    text: str
    kind: SegmentKind = SegmentKind.TEXT
    series: SeriesMention | None = None


@dataclass(frozen=True)
class ParsedRelease:
    """What a release claims to hold; structured MAM fields win over what the title suggests."""

    release: Release
    title: str
    segments: tuple[Segment, ...]
    authors: tuple[str, ...]
    authors_stated: bool  # True when the indexer stated them (MAM), False when guessed from the title
    narrators: tuple[str, ...]
    series: tuple[SeriesMention, ...]
    formats: tuple[str, ...]
    bitrate_kbps: int | None
    abridged: bool | None  # None: the release does not say
    language: str | None  # a code, as text.normalize_language gives it: "en", "de"
    year: int | None
    size_bytes: int | None
    freeleech: bool
    personal_freeleech: bool
    vip: bool
    ebook_category: bool = False
    part: int | None = None  # "Part 2": the release holds one piece of a split book

    @property
    def format(self) -> str | None:
        """The release's main format: its most book-like audio format, else its first format of any kind."""
        audio = sorted((fmt for fmt in self.formats if fmt in AUDIO_FORMATS), key=_AUDIO_PREFERENCE.index)
        return audio[0] if audio else (self.formats[0] if self.formats else None)

    @property
    def is_ebook(self) -> bool:
        """True for an e-book release: only e-book formats, or an e-book category and no audio format."""
        has_audio = any(fmt in AUDIO_FORMATS for fmt in self.formats)
        has_ebook = any(fmt in EBOOK_FORMATS for fmt in self.formats)
        return not has_audio and (has_ebook or self.ebook_category)


@dataclass
class _Findings:
    formats: list[str] = field(default_factory=list)
    bitrate: int | None = None
    abridged: bool | None = None
    language: str | None = None
    year: int | None = None
    part: int | None = None
    narrators: list[str] = field(default_factory=list)
    vip: bool = False
    freeleech: bool = False
    segments: list[Segment] = field(default_factory=list)

    def add_format(self, fmt: str) -> None:
        if fmt not in self.formats:
            self.formats.append(fmt)


def part_number(token: str) -> int:
    """The number of a "Part 2" or "Part Two" that PART_PATTERN found."""
    folded = token.strip().lower()
    return NUMBER_WORDS.index(folded) + 1 if folded in NUMBER_WORDS else int(folded)


def title_language(token: str) -> str | None:
    """The language code a bracketed title token names ("GER", "English"), or None.

    Two-letter codes never count in a title: "It" or "No" must stay words of a title.
    """
    if len(token) < 3:
        return None
    code = normalize_language(token)
    return code if code and code != fold(token) else None


def is_quality_word(word: str) -> bool:
    """True for a folded word that only describes a file (format, bitrate, language code, rip noise)."""
    return (
        word in _ALL_FORMATS
        or word in _QUALITY_NOISE
        or word in ("unabridged", "abridged")
        or bool(_BITRATE.match(word))
        or bool(re.fullmatch(r"\d+(?:khz|hz|mb|gb|mib|gib)", word))
    )


def parse_release(release: Release) -> ParsedRelease:
    """Parse a release's title and structured fields into a ParsedRelease (pure, never raises)."""
    found = _Findings()
    for fmt in (release.file_type or "").lower().replace(",", " ").split():
        found.add_format(fmt.strip("."))
    text, uploader = split_uploader_tag(_prepare_title(release.title, found), _piece_quality_kinds)
    if uploader is not None and _looks_like_names(uploader):  # a group of names: narrators or author, no tag
        text, uploader = _prepare_title(release.title, _Findings()), None
    text = _take_groups(text, found)
    text = _take_loose_tokens(text, found)
    main_segments = [segment for piece in _SEPARATOR.split(text) for segment in _classify_piece(piece)]
    segments = _mark_name_like(main_segments + found.segments, stated=bool(release.authors))
    if uploader is not None:
        segments.append(Segment(uploader, SegmentKind.UPLOADER))
    series = _series_mentions(release, segments)
    guessed_authors = [
        name for seg in segments if seg.kind is SegmentKind.AUTHOR_GUESS for name in split_names(seg.text)
    ]
    return ParsedRelease(
        release=release,
        title=_title_guess(segments, release.title),
        segments=tuple(segments),
        authors=tuple(release.authors) if release.authors else tuple(guessed_authors),
        authors_stated=bool(release.authors),
        narrators=tuple(release.narrators) if release.narrators else tuple(found.narrators),
        series=series,
        formats=_ordered_formats(found.formats),
        bitrate_kbps=found.bitrate,
        abridged=found.abridged,
        language=normalize_language(release.language) or found.language,
        year=found.year,
        size_bytes=release.size_bytes,
        freeleech=release.freeleech or found.freeleech,
        personal_freeleech=release.personal_freeleech,
        vip=release.vip or found.vip,
        ebook_category=_in_ebook_category(release),
        part=found.part,
    )


def _in_ebook_category(release: Release) -> bool:
    categories = set(release.categories)
    if categories & _AUDIO_CATEGORIES:
        return False
    if categories & _EBOOK_CATEGORIES or release.extra.get("main_cat") == _MAM_EBOOK_MAIN_CATEGORY:
        return True
    mam_ids = categories if release.source == ReleaseSource.MAM else {c - 100_000 for c in categories if c > 100_000}
    return bool(mam_ids & _MAM_EBOOK_CATEGORIES)


def _ordered_formats(formats: list[str]) -> tuple[str, ...]:
    known = [fmt for fmt in formats if fmt in _ALL_FORMATS]
    return tuple(known)


def _prepare_title(title: str, found: _Findings) -> str:
    text = html.unescape(title).replace("_", " ").strip()
    extension = _EXTENSION.search(text)
    if extension:
        found.add_format(extension.group(1).lower())
        text = text[: extension.start()]
    if " " not in text and text.count(".") >= 2:  # scene style: Andy.Weir-Project.Hail.Mary.2021
        text = text.replace(".", " ")
    return text.strip()


def _take_groups(text: str, found: _Findings) -> str:
    """Consume every bracketed group: quality facts are recorded, anything else becomes its own segment."""
    while True:
        match = _GROUP.search(text)
        if match is None:
            return text
        content = next(part for part in match.groups() if part is not None)
        _take_group(content.strip(), found)
        text = f"{text[: match.start()]} - {text[match.end() :]}"


def _take_group(content: str, found: _Findings) -> None:
    if not content:
        return
    narrator = _NARRATOR_PHRASE.fullmatch(content)
    if narrator:
        found.narrators.extend(split_names((narrator.group("names") or narrator.group("short")).strip()))
        return
    part = PART_PATTERN.fullmatch(content)
    if part:
        found.part = part_number(part.group(1))
        return
    if _record_quality_tokens(content, found):
        return
    mention = _series_in(content)
    if mention is not None:
        found.segments.append(Segment(content, SegmentKind.SERIES, mention))
    elif _looks_like_names(content) and not GROUP_DECOY_WORDS & set(fold(content).split()):
        found.segments.append(Segment(content, SegmentKind.PEOPLE))  # "(Deluxe Edition)" looks like a name
    else:
        found.segments.append(Segment(content))


def _record_quality_tokens(content: str, found: _Findings) -> bool:
    """Record the group's facts and return True when every token of it is a quality fact."""
    facts = _group_facts(content)
    if facts is None:
        return False
    for kind, token in facts:
        _record_fact(kind, token, found)
    return True


def _group_facts(content: str) -> list[tuple[str, str]] | None:
    """Each token of a bracket group with its kind of quality fact; None when one token is no quality fact."""
    tokens = [t for t in re.split(r"[\s/,|;+&]+", _BITRATE_JOIN.sub(r"\1\2", content.lower())) if t]
    has_format = any(t.strip(".") in _ALL_FORMATS for t in tokens)
    facts: list[tuple[str, str]] = []
    for token in tokens:
        kind = _quality_token_kind(token.strip("."), has_format)
        if kind is None:
            return None
        facts.append((kind, token.strip(".")))
    return facts


def _piece_quality_kinds(content: str, bracketed: bool) -> list[str] | None:
    """What a bracket group or a bare word before an uploader tag describes; None when it is no file fact."""
    if bracketed:
        facts = _group_facts(content)
        return [kind for kind, _ in facts] if facts else None
    word = content.lower().strip(".")
    if word in _LOOSE_FORMATS:
        return ["format"]
    if _BITRATE.match(word):
        return ["bitrate"]
    if word in ("unabridged", "abridged"):
        return [word]
    return ["noise"] if word in ("vbr", "cbr") else None


def _quality_token_kind(token: str, has_format: bool) -> str | None:
    if token in _ALL_FORMATS:
        return "format"
    if _BITRATE.match(token) or (has_format and re.fullmatch(r"\d{2,3}", token) and 16 <= int(token) <= 999):
        return "bitrate"
    if token in ("unabridged", "abridged"):
        return token
    if _YEAR.match(token):
        return "year"
    if title_language(token):
        return "language"
    if token in ("vip", "fl", "freeleech"):
        return token
    if is_quality_word(token):
        return "noise"
    return None


def _record_fact(kind: str, token: str, found: _Findings) -> None:
    if kind == "format":
        found.add_format(token)
    elif kind == "bitrate":
        found.bitrate = int(re.sub(r"\D", "", token))
    elif kind in ("unabridged", "abridged"):
        found.abridged = found.abridged or kind == "abridged"  # "abridged" anywhere wins: it is the safe reading
    elif kind == "year":
        found.year = int(token)
    elif kind == "language":
        found.language = title_language(token)
    elif kind == "vip":
        found.vip = True
    elif kind in ("fl", "freeleech"):
        found.freeleech = True


def _take_loose_tokens(text: str, found: _Findings) -> str:
    """Take bitrate, format, (un)abridged and narrator phrases from outside brackets."""
    for narrator in _NARRATOR_PHRASE.finditer(text):
        found.narrators.extend(split_names((narrator.group("names") or narrator.group("short")).strip()))
    text = _NARRATOR_PHRASE.sub(" - ", text)
    for part in PART_PATTERN.finditer(text):
        found.part = part_number(part.group(1))
    text = PART_PATTERN.sub(" ", text)
    for bitrate in _LOOSE_BITRATE.finditer(text):
        found.bitrate = int(bitrate.group(1))
    text = _LOOSE_BITRATE.sub(" ", text)
    for fmt in _LOOSE_FORMAT.finditer(text):
        found.add_format(fmt.group(1).lower())
    text = _LOOSE_FORMAT.sub(" ", text)
    for abridged in _LOOSE_ABRIDGED.finditer(text):
        found.abridged = found.abridged or abridged.group(1) is None
    text = _LOOSE_ABRIDGED.sub(" ", _LOOSE_ENCODING.sub(" ", text))
    return re.sub(r"\s+", " ", text).strip()


def _classify_piece(piece: str) -> list[Segment]:
    """One dash-separated piece: split off "by Author" and a series/volume suffix."""
    piece = piece.strip(" ,;:.-")
    if not piece:
        return []
    by_author = _BY_AUTHOR.match(piece)
    if by_author and _looks_like_names(by_author.group("names")):
        rest = _classify_piece(by_author.group("title"))
        return [*rest, Segment(by_author.group("names").strip(), SegmentKind.AUTHOR_GUESS)]
    keyword = _KEYWORD_SUFFIX.match(piece)
    if keyword:
        return _split_keyword_suffix(piece, keyword)
    number = _NUMBER_SUFFIX.match(piece)
    if number and not _YEAR.match(number.group("pos")):
        mention = SeriesMention(number.group("lead").strip(), parse_position(number.group("pos").replace(" ", "")))
        return [Segment(piece, SegmentKind.SERIES, mention)]
    return [Segment(piece)]


def _split_keyword_suffix(piece: str, keyword: re.Match[str]) -> list[Segment]:
    """ "Title: Series, Book 3" -> title + series; "The Expanse Book 3" -> series; "Book 2" -> position."""
    lead = keyword.group("lead").strip(" ,;:")
    position = parse_position(keyword.group("pos").replace(" ", ""))
    title_part, colon, series_part = lead.rpartition(":")
    if not colon:
        title_part, comma, series_part = lead.rpartition(",")
        if not comma:  # "Leviathan Wakes, Book 1" lands here too: verification treats its name with care
            return [Segment(piece, SegmentKind.SERIES, SeriesMention(lead or None, position))]
    series_text = piece[len(title_part) + 1 :].strip(" ,;:")
    mention = SeriesMention(series_part.strip() or None, position)
    return [*_classify_piece(title_part), Segment(series_text, SegmentKind.SERIES, mention)]


def _series_in(content: str) -> SeriesMention | None:
    """ "Mistborn #1", "The Expanse, Book 3", "Book 2" or "[Mistborn 01]" as a series mention."""
    keyword = _KEYWORD_SUFFIX.match(content)
    if keyword:
        name = keyword.group("lead").strip(" ,;:") or None
        return SeriesMention(name, parse_position(keyword.group("pos").replace(" ", "")))
    number = _NUMBER_SUFFIX.match(content)
    if number and not _YEAR.match(number.group("pos")):
        return SeriesMention(number.group("lead").strip(), parse_position(number.group("pos").replace(" ", "")))
    return None


@lru_cache(maxsize=4096)  # the same pieces ("Brandon Sanderson") recur across the releases of a search
def _looks_like_names(text: str) -> bool:
    """True when the text reads like one to five person names: capitalised words or initials, no digits."""
    if not text or any(ch.isdigit() for ch in text) or len(text) > 80:
        return False
    names = split_names(text)
    if not 1 <= len(names) <= 5:
        return False
    return all(_looks_like_one_name(name) for name in names)


def _looks_like_one_name(name: str) -> bool:
    tokens = name.replace(".", ". ").split()
    if not 2 <= len(tokens) <= 5:
        return False
    for token in tokens:
        bare = token.strip(".,'’")
        if re.fullmatch(r"[A-Z]\.", token):
            continue  # an initial, even "A."
        if not bare or fold(bare) in _NAME_STOP_WORDS:
            return False
        if not bare[0].isupper() and fold(bare) not in _NAME_PARTICLES:
            return False
    return True


def _mark_name_like(segments: list[Segment], *, stated: bool) -> list[Segment]:
    """Without stated authors, guess which plain segment is the author: initials first, else the first one.

    When no plain segment can be the author, the first bracket group of names is: "Dune (Frank Herbert)".
    """
    if stated or any(seg.kind is SegmentKind.AUTHOR_GUESS for seg in segments):
        return segments
    plain = [i for i, seg in enumerate(segments) if seg.kind is SegmentKind.TEXT]
    candidates = [i for i in plain if _looks_like_names(segments[i].text)] if len(plain) >= 2 else []
    with_initials = [i for i in candidates if re.search(r"\b[A-Z]\.", segments[i].text)]
    people = [i for i, seg in enumerate(segments) if seg.kind is SegmentKind.PEOPLE]
    if not candidates and not people:
        return segments
    chosen = (with_initials or candidates or people)[0]
    marked = list(segments)
    marked[chosen] = Segment(segments[chosen].text, SegmentKind.AUTHOR_GUESS)
    return marked


def _series_mentions(release: Release, segments: list[Segment]) -> tuple[SeriesMention, ...]:
    stated = [SeriesMention(name or None, parse_position(position)) for name, position in release.series]
    from_title = [seg.series for seg in segments if seg.series is not None]
    return tuple(stated + [mention for mention in from_title if mention not in stated])


def _title_guess(segments: list[Segment], raw_title: str) -> str:
    plain = [seg.text for seg in segments if seg.kind is SegmentKind.TEXT]
    if plain:
        return " - ".join(plain)
    named = [seg.series.name for seg in segments if seg.series is not None and seg.series.name]
    return named[0] if named else html.unescape(raw_title).strip()
