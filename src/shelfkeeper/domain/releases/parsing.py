"""Parsing a release (its title, and MAM's structured fields when present) into what it claims to hold.

A title is read in pieces: its trailing uploader tag (``uploader``), its bracket groups one by one, then its text
outside brackets. What a piece states about the file is read by ``title_facts``, what it seems to be (title words,
a series mention, names) by ``title_segments``; both readings are cached per piece, since the pieces of one
search's releases recur.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from shelfkeeper.domain.case_blind import case_blind_lower
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.release import NEWZNAB_AUDIOBOOK, NEWZNAB_EBOOK, Release, ReleaseSource
from shelfkeeper.domain.releases.subtitles import GROUP_DECOY_WORDS
from shelfkeeper.domain.releases.title_facts import (
    ALL_FORMATS,
    AUDIO_FORMATS,
    EBOOK_FORMATS,
    NARRATOR_PHRASE,
    NO_FACTS,
    PART_PATTERN,
    TitleFacts,
    facts_of_group,
    group_facts,
    is_quality_word,
    loose_facts,
    narrator_names,
    part_number,
    title_language,
)
from shelfkeeper.domain.releases.title_segments import (
    Segment,
    SegmentKind,
    SeriesMention,
    looks_like_names,
    mark_name_like,
    plain_segments,
    series_in,
)
from shelfkeeper.domain.releases.uploader import split_uploader_tag
from shelfkeeper.domain.text import fold, normalize_language, parse_position

__all__ = [  # what a parse is made of, importable from here as before the pieces had modules of their own
    "AUDIO_FORMATS",
    "EBOOK_FORMATS",
    "PART_PATTERN",
    "ParsedRelease",
    "Segment",
    "SegmentKind",
    "SeriesMention",
    "is_quality_word",
    "parse_release",
    "part_number",
    "title_language",
]

_AUDIO_PREFERENCE = ("m4b", "m4a", "aax", "aaxc", "mp3", "flac", "opus", "ogg", "aac", "wma", "wav")
_EBOOK_CATEGORIES = frozenset({NEWZNAB_EBOOK})
_AUDIO_CATEGORIES = frozenset({NEWZNAB_AUDIOBOOK})
_MAM_EBOOK_MAIN_CATEGORY = 14
_MAM_EBOOK_CATEGORIES = frozenset(
    [*range(60, 83), *range(90, 97), *range(101, 105), 107, 109, 112, 115, 118, 120]
)  # MAM's e-book sub-categories; Prowlarr shows them as 100000 + id
_EXTENSION = re.compile(r"\.(" + "|".join(sorted(ALL_FORMATS)) + r")\s*$", re.IGNORECASE)
_GROUP = re.compile(r"\[([^\[\]]*)\]|\{([^{}]*)\}|\(([^()]*)\)")
# the kinds read for every segment of every release (reading a member off an Enum class costs a lookup)
_TEXT, _AUTHOR_GUESS, _UPLOADER = SegmentKind.TEXT, SegmentKind.AUTHOR_GUESS, SegmentKind.UPLOADER


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

    def __init__(  # the fields, as the generated __init__ takes them
        self,
        release: Release,
        title: str,
        segments: tuple[Segment, ...],
        authors: tuple[str, ...],
        authors_stated: bool,
        narrators: tuple[str, ...],
        series: tuple[SeriesMention, ...],
        formats: tuple[str, ...],
        bitrate_kbps: int | None,
        abridged: bool | None,
        language: str | None,
        year: int | None,
        size_bytes: int | None,
        freeleech: bool,
        personal_freeleech: bool,
        vip: bool,
        ebook_category: bool = False,
        part: int | None = None,
    ) -> None:
        # One made for every release of a search: the fields set in one update of the instance's dict, where the
        # generated frozen __init__ makes one object.__setattr__ call per field.
        self.__dict__.update(
            release=release, title=title, segments=segments, authors=authors, authors_stated=authors_stated,
            narrators=narrators, series=series, formats=formats, bitrate_kbps=bitrate_kbps, abridged=abridged,
            language=language, year=year, size_bytes=size_bytes, freeleech=freeleech,
            personal_freeleech=personal_freeleech, vip=vip, ebook_category=ebook_category, part=part,
        )  # fmt: skip

    def for_release(self, release: Release) -> ParsedRelease:
        """This reading for another release alike in all the parse reads: its own release and size."""
        clone = object.__new__(ParsedRelease)
        fields = clone.__dict__
        fields.update(self.__dict__)
        fields["release"], fields["size_bytes"] = release, release.size_bytes
        return clone

    @property
    def format(self) -> str | None:
        """The release's main format: its most book-like audio format, else its first format of any kind."""
        audio = sorted((fmt for fmt in self.formats if fmt in AUDIO_FORMATS), key=_AUDIO_PREFERENCE.index)
        return audio[0] if audio else (self.formats[0] if self.formats else None)

    @property
    def is_ebook(self) -> bool:
        """True for an e-book release: only e-book formats, or an e-book category and no audio format."""
        has_audio = not AUDIO_FORMATS.isdisjoint(self.formats)
        has_ebook = not EBOOK_FORMATS.isdisjoint(self.formats)
        return not has_audio and (has_ebook or self.ebook_category)


class _Findings:
    """What the pieces of a title stated so far, each piece's facts added in title order."""

    __slots__ = (
        "abridged", "bitrate", "formats", "freeleech", "language", "narrators", "part", "segments", "vip", "year",
    )  # fmt: skip

    def __init__(self) -> None:
        self.formats: list[str] = []
        self.bitrate: int | None = None
        self.abridged: bool | None = None
        self.language: str | None = None
        self.year: int | None = None
        self.part: int | None = None
        self.narrators: list[str] = []
        self.vip = False
        self.freeleech = False
        self.segments: list[Segment] = []

    def add_format(self, fmt: str) -> None:
        if fmt not in self.formats:
            self.formats.append(fmt)

    def add(self, facts: TitleFacts) -> None:
        """A later piece's facts: formats added, a stated bitrate, year, language or part replaces the earlier
        one, "abridged" anywhere wins (it is the safe reading)."""
        formats, bitrate, abridged, language, year, part, narrators, vip, freeleech = facts
        for fmt in formats:
            if fmt not in self.formats:
                self.formats.append(fmt)
        if bitrate is not None:
            self.bitrate = bitrate
        if abridged is not None:
            self.abridged = self.abridged or abridged
        if language is not None:
            self.language = language
        if year is not None:
            self.year = year
        if part is not None:
            self.part = part
        if narrators:
            self.narrators.extend(narrators)
        if vip:
            self.vip = True
        if freeleech:
            self.freeleech = True


def parse_release(release: Release) -> ParsedRelease:
    """Parse a release's title and structured fields into a ParsedRelease (pure, never raises)."""
    found = _Findings()
    if release.file_type:
        for fmt in release.file_type.lower().replace(",", " ").split():
            found.add_format(fmt.strip("."))
    text, uploader = split_uploader_tag(_prepare_title(release.title, found))
    text, loose = loose_facts(_take_groups(text, found))
    if loose is not NO_FACTS:
        found.add(loose)
    stated_authors = bool(release.authors)
    segments = mark_name_like([*plain_segments(text), *found.segments], stated=stated_authors)
    if uploader is not None:
        segments.append(Segment(uploader, _UPLOADER))
    plain: list[str] = []
    guessed_authors: list[str] = []
    from_title: list[SeriesMention] = []
    for segment in segments:
        if segment.series is not None:
            from_title.append(segment.series)
        kind = segment.kind
        if kind is _TEXT:
            plain.append(segment.text)
        elif kind is _AUTHOR_GUESS:
            guessed_authors += split_names(segment.text)
    # the fields in their order, passed by position: made for every release, and a call naming 18 keywords costs
    # about twice as much
    return ParsedRelease(
        release,
        " - ".join(plain) if plain else _named_title(from_title, release.title),  # title
        tuple(segments),
        tuple(release.authors) if stated_authors else tuple(guessed_authors),
        stated_authors,
        tuple(release.narrators) if release.narrators else tuple(found.narrators),
        _series_mentions(release, from_title),
        tuple([fmt for fmt in found.formats if fmt in ALL_FORMATS]),
        found.bitrate,
        found.abridged,
        (normalize_language(release.language) if release.language else None) or found.language,
        found.year,
        release.size_bytes,
        release.freeleech or found.freeleech,
        release.personal_freeleech,
        release.vip or found.vip,
        bool(release.categories or "main_cat" in release.extra) and _in_ebook_category(release),  # ebook_category
        found.part,
    )


def _in_ebook_category(release: Release) -> bool:
    if not release.categories and release.extra.get("main_cat") is None:
        return False  # no category stated: nothing to look up
    categories = set(release.categories)
    if categories & _AUDIO_CATEGORIES:
        return False
    if categories & _EBOOK_CATEGORIES or release.extra.get("main_cat") == _MAM_EBOOK_MAIN_CATEGORY:
        return True
    mam_ids = categories if release.source == ReleaseSource.MAM else {c - 100_000 for c in categories if c > 100_000}
    return bool(mam_ids & _MAM_EBOOK_CATEGORIES)


def _prepare_title(title: str, found: _Findings) -> str:
    text = html.unescape(title).replace("_", " ").strip()
    extension = _EXTENSION.search(text) if "." in text else None
    if extension:
        found.add_format(extension.group(1).lower())
        text = text[: extension.start()]
    if " " not in text and text.count(".") >= 2:  # scene style: Andy.Weir-Project.Hail.Mary.2021
        text = text.replace(".", " ")
    return text.strip()


def _take_groups(text: str, found: _Findings) -> str:
    """Consume every bracketed group, leftmost first: quality facts are recorded, anything else becomes its own
    segment; each group leaves " - " in its place."""
    if "[" not in text and "{" not in text and "(" not in text:
        return text
    parts = _GROUP.split(text)  # the text between groups, then each group's three alternatives, in turn
    rest = " - ".join(parts[::4])
    if "[" in rest or "{" in rest or "(" in rest:
        return _take_nested_groups(text, found)  # a group inside another: taking one may open the next
    # No opening bracket is left outside the groups found in one scan, so consuming the leftmost group again and
    # again finds just these, in this order.
    segments = found.segments
    for square, curly, round_ in zip(parts[1::4], parts[2::4], parts[3::4], strict=True):
        facts, segment = _group_reading((square or curly or round_ or "").strip())  # the alternative that matched
        if facts is not NO_FACTS:
            found.add(facts)
        if segment is not None:
            segments.append(segment)
    return rest


def _take_nested_groups(text: str, found: _Findings) -> str:
    while True:
        match = _GROUP.search(text)
        if match is None:
            return text
        _add_group(match.group(match.lastindex or 0), found)
        text = f"{text[: match.start()]} - {text[match.end() :]}"


def _add_group(content: str, found: _Findings) -> None:
    facts, segment = _group_reading(content.strip())
    if facts is not NO_FACTS:
        found.add(facts)
    if segment is not None:
        found.segments.append(segment)


@lru_cache(maxsize=8192)  # the same groups ("[M4B]", "(Mistborn 1)") recur across the releases of a search
def _group_reading(content: str) -> tuple[TitleFacts, Segment | None]:
    """What one bracket group holds: narrators, a part, quality facts, or else a segment of its own."""
    if not content:
        return NO_FACTS, None
    lowered = case_blind_lower(content)  # each pattern needs a word of its own
    narrator = NARRATOR_PHRASE.fullmatch(content) if "by" in lowered or "narr" in lowered else None
    if narrator:
        return TitleFacts(narrators=tuple(narrator_names(narrator))), None
    part = PART_PATTERN.fullmatch(content) if "pt" in lowered or "part" in lowered else None
    if part:
        return TitleFacts(part=part_number(part.group(1))), None
    facts = group_facts(content)
    if facts is not None:
        return facts_of_group(facts), None
    mention = series_in(content)
    if mention is not None:
        return NO_FACTS, Segment(content, SegmentKind.SERIES, mention)
    if looks_like_names(content) and not GROUP_DECOY_WORDS & set(fold(content).split()):
        return NO_FACTS, Segment(content, SegmentKind.PEOPLE)  # "(Deluxe Edition)" looks like a name
    return NO_FACTS, Segment(content)


def _series_mentions(release: Release, from_title: list[SeriesMention]) -> tuple[SeriesMention, ...]:
    if not release.series:
        return tuple(from_title)
    stated = [SeriesMention(name or None, parse_position(position)) for name, position in release.series]
    return tuple(stated + [mention for mention in from_title if mention not in stated])


def _named_title(from_title: list[SeriesMention], raw_title: str) -> str:
    """A title of nothing but series mentions: the first series named, else the raw title."""
    named = [mention.name for mention in from_title if mention.name]
    return named[0] if named else html.unescape(raw_title).strip()
