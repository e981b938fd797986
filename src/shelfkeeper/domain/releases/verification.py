"""Verifying that a release holds the wanted book: title words, author, volume, format, edition, language."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from shelfkeeper.domain.releases.parsing import (
    PART_PATTERN,
    ParsedRelease,
    Segment,
    SegmentKind,
    SeriesMention,
    is_quality_word,
    part_number,
)
from shelfkeeper.domain.releases.people import is_narrator_group, names_match, segment_names_author, words
from shelfkeeper.domain.releases.subtitles import (
    GLUE_WORDS,
    find_run,
    release_subtitle,
    same_subtitle,
    subtitle_problem_in,
    title_words,
)
from shelfkeeper.domain.text import (
    format_position,
    format_position_range,
    normalize_author,
    normalize_language,
    normalize_title,
    parse_position,
    split_names,
)

_TITLE_NOISE = frozenset(
    {"book", "bk", "vol", "volume", "part", "pt", "no", "nr", "series", "audiobook", "novel", "read", "narrated"}
)
_SERIES_NOISE = frozenset({"the", "series", "saga", "trilogy", "cycle", "chronicles", "sequence", "universe"})
_ASIN = re.compile(r"\b(B0[A-Z0-9]{8})\b")

Position = tuple[Decimal, Decimal]


class ReasonCode(StrEnum):
    """The stable machine names of the reasons for and against a release (the API shows them as ``code``)."""

    ABRIDGED = "abridged"
    AGE = "age"  # usenet: how long ago the post was made
    ASIN_MATCH = "asin_match"
    AUTHOR_MATCH = "author_match"
    AUTHOR_MISMATCH = "author_mismatch"
    AUTHOR_MISSING = "author_missing"
    BITRATE = "bitrate"
    BLOCKLISTED = "blocklisted"
    EBOOK = "ebook"
    FORBIDDEN_WORD = "forbidden_word"
    FORMAT = "format"
    FREELEECH = "freeleech"
    GRABS = "grabs"  # usenet: how often the NZB was downloaded (in place of seeders)
    LANGUAGE = "language"
    LANGUAGE_MISMATCH = "language_mismatch"
    MAM_RATIO = "mam_ratio"
    NARRATOR = "narrator"
    NARRATOR_GROUP = "narrator_group"
    OTHER_NAMES = "other_names"
    PACK = "pack"  # a series pack: which wanted books it covers
    PACK_CHOICE = "pack_choice"  # why a pack was (or was not) grabbed instead of single books
    PACK_NOT_USABLE = "pack_not_usable"  # another series, no series named, volumes unknown, too few wanted
    PARTIAL = "partial"
    PREFERRED_NARRATOR = "preferred_narrator"
    PREFERRED_WORD = "preferred_word"
    SEEDERS = "seeders"
    SIZE = "size"
    SUBTITLE = "subtitle"
    SUBTITLE_KNOWN = "subtitle_known"
    SUBTITLE_MISMATCH = "subtitle_mismatch"
    TITLE_AS_SERIES = "title_as_series"
    TITLE_EXTRA_WORDS = "title_extra_words"
    TITLE_MATCH = "title_match"
    TITLE_MISSING_WORDS = "title_missing_words"
    UNABRIDGED = "unabridged"
    UPLOADER_TAG = "uploader_tag"
    VIP = "vip"
    VOLUME_MATCH = "volume_match"
    WEDGE = "wedge"
    WRONG_VOLUME = "wrong_volume"


@dataclass(frozen=True)
class Reason:
    """One named, signed contribution to a decision: "format m4b (+30)" or "seeders 0 < minimum 1 (rejected)"."""

    code: ReasonCode  # stable machine name, e.g. "format", "title_extra_words"
    text: str  # what a person reads
    points: int = 0
    rejects: bool = False

    def __str__(self) -> str:
        return f"{self.text} (rejected)" if self.rejects else f"{self.text} ({self.points:+d})"


@dataclass(frozen=True)
class WantedEdition:
    """The book the user wants, as much as is known of it."""

    title: str
    authors: tuple[str, ...] = ()
    series: str | None = None
    position: str | None = None  # "2", "1.5"
    narrator: str | None = None
    language: str | None = None
    asin: str | None = None
    isbn: str | None = None
    duration_minutes: int | None = None
    abridged_ok: bool = False
    subtitle: str | None = None  # its words may appear in a release title, they need not
    subtitle_note: str | None = None  # where the subtitle came from, or why none is known ("no ASIN to look it up")


@dataclass(frozen=True)
class Verification:
    """Whether a release is the wanted book, with every named reason for and against."""

    accepted: bool
    reasons: tuple[Reason, ...]

    @property
    def rejections(self) -> tuple[Reason, ...]:
        """The reasons that reject the release (empty when accepted)."""
        return tuple(reason for reason in self.reasons if reason.rejects)


def verify(wanted: WantedEdition, parsed: ParsedRelease) -> Verification:
    """Check that a parsed release is the wanted book; every failed check is a named rejecting reason."""
    author_segments, author_reason = _check_author(wanted, parsed)
    people_segments, people_reasons = _check_people(wanted, parsed, author_segments)
    tag_segments, tag_reasons = _check_uploader_tag(wanted, parsed)
    reasons = [
        *_check_title(wanted, parsed, author_segments | people_segments | tag_segments),
        author_reason,
        *people_reasons,
        *tag_reasons,
        *_check_volume(wanted, parsed),
        *_check_edition(wanted, parsed),
        *_check_identifiers(wanted, parsed),
    ]
    return Verification(accepted=not any(r.rejects for r in reasons), reasons=tuple(reasons))


def series_names_match(first: str, second: str) -> bool:
    """ "The Expanse" ~ "Expanse", "Mistborn" ~ "Mistborn Saga": one name's words hold all of the other's."""
    a = {w for w in words(first) if w not in _SERIES_NOISE}
    b = {w for w in words(second) if w not in _SERIES_NOISE}
    return bool(a and b) and (a <= b or b <= a)


def _check_author(wanted: WantedEdition, parsed: ParsedRelease) -> tuple[set[int], Reason]:
    """Find the wanted author among stated authors, name segments, or inside the title text."""
    wanted_names = ", ".join(wanted.authors) or "none"
    if not wanted.authors:
        return set(), Reason(ReasonCode.AUTHOR_MISSING, "the wanted book has no author to check", rejects=True)
    author_segments = {
        index
        for index, segment in enumerate(parsed.segments)
        if segment.kind is not SegmentKind.SERIES and segment_names_author(segment, wanted.authors)
    }
    if parsed.authors_stated:
        matched = [name for name in parsed.authors if any(names_match(name, w) for w in wanted.authors)]
        if matched:
            return author_segments, Reason(ReasonCode.AUTHOR_MATCH, f"author {matched[0]}")
        stated = ", ".join(parsed.authors)
        return author_segments, Reason(
            ReasonCode.AUTHOR_MISMATCH, f"another author: {stated} (wanted {wanted_names})", rejects=True
        )
    if author_segments or (not parsed.authors and _author_inside_text(parsed, wanted.authors)):
        return author_segments, Reason(ReasonCode.AUTHOR_MATCH, f"author {wanted.authors[0]} named in the title")
    if parsed.authors:
        guessed = ", ".join(parsed.authors)
        return author_segments, Reason(
            ReasonCode.AUTHOR_MISMATCH, f"another author: {guessed} (wanted {wanted_names})", rejects=True
        )
    return author_segments, Reason(ReasonCode.AUTHOR_MISSING, f"author not named (wanted {wanted_names})", rejects=True)


def _check_people(
    wanted: WantedEdition, parsed: ParsedRelease, author_segments: set[int]
) -> tuple[set[int], list[Reason]]:
    """Bracket groups of names that are not the author: narrators when they can be, else a named rejection.

    With the wanted narrator known, the group must name them; see ``people.is_narrator_group``.
    """
    indexes: set[int] = set()
    reasons: list[Reason] = []
    for index, segment in enumerate(parsed.segments):
        if segment.kind is not SegmentKind.PEOPLE or index in author_segments:
            continue
        indexes.add(index)
        if is_narrator_group(segment, wanted.narrator, lone_name_ok=not _title_is_series_name(wanted)):
            reasons.append(Reason(ReasonCode.NARRATOR_GROUP, f"narrators in brackets: {segment.text}"))
        elif wanted.narrator:
            text = f"names in brackets are neither the author nor the narrator: {segment.text}"
            reasons.append(Reason(ReasonCode.OTHER_NAMES, f"{text} (wanted narrator {wanted.narrator})", rejects=True))
        else:
            text = f"names in brackets are not the author, and the title is its series' name: {segment.text}"
            reasons.append(Reason(ReasonCode.OTHER_NAMES, text, rejects=True))
    return indexes, reasons


def _check_uploader_tag(wanted: WantedEdition, parsed: ParsedRelease) -> tuple[set[int], list[Reason]]:
    """The trailing uploader tag (``parsing`` found it) is no title word, unless the wanted title is its series'
    name and the release does not name the wanted volume: "Red Rising [M4B] [Morning]" may be another volume, and
    the tag's words are judged as title words ("Red Rising 01 - Red Rising [M4B] [Tantor]" is the wanted one).
    """
    tags = {index for index, segment in enumerate(parsed.segments) if segment.kind is SegmentKind.UPLOADER}
    wanted_position = parse_position(wanted.position)
    volume_named = wanted_position is not None and _release_position(wanted, parsed) == wanted_position
    if not tags or (_title_is_series_name(wanted) and not volume_named):
        return set(), []
    shown = ", ".join(parsed.segments[index].text for index in sorted(tags))
    return tags, [Reason(ReasonCode.UPLOADER_TAG, f"uploader tag ignored: {shown}")]


def _title_is_series_name(wanted: WantedEdition) -> bool:
    return bool(wanted.series) and title_words(wanted.title.partition(":")[0]) <= set(words(wanted.series or ""))


def _author_inside_text(parsed: ParsedRelease, authors: Sequence[str]) -> bool:
    text_words = [w for segment in parsed.segments for w in [*words(segment.text), "|"]]
    return any(find_run(text_words, words(normalize_author(author))) >= 0 for author in authors)


def _title_segments(parsed: ParsedRelease, skipped: set[int]) -> list[Segment]:
    """The segments that may carry the title: not the author's, a series mention or a group of names."""
    return [
        segment
        for index, segment in enumerate(parsed.segments)
        if index not in skipped and segment.kind is not SegmentKind.SERIES
    ]


def _title_pool(wanted: WantedEdition, parsed: ParsedRelease, skipped: set[int]) -> list[str]:
    """The words of the release that may carry the title: plain segments, without the wanted author's name."""
    author_runs = [words(normalize_author(author)) for author in wanted.authors]
    pool: list[str] = []
    for segment in _title_segments(parsed, skipped):
        pool.extend(_without_runs(words(segment.text), author_runs))
    return pool


def _without_runs(tokens: list[str], runs: Iterable[list[str]]) -> list[str]:
    for run in runs:
        start = find_run(tokens, run)
        while start >= 0:
            tokens = tokens[:start] + tokens[start + len(run) :]
            start = find_run(tokens, run)
    return tokens


def _check_title(wanted: WantedEdition, parsed: ParsedRelease, skipped: set[int]) -> list[Reason]:
    """Every title word must be present as a whole word, and no unexplained word may be added.

    Words after a colon or dash are judged against the book's known subtitle, else by the subtitle heuristic.
    """
    main, _, after_colon = wanted.title.partition(":")
    required = title_words(main)
    if not required:
        return [Reason(ReasonCode.TITLE_MISSING_WORDS, "the wanted title has no words to check", rejects=True)]
    pool = _title_pool(wanted, parsed, skipped)
    series_words = {w for mention in parsed.series for w in _mention_words(mention)}
    allowed = _allowed_extra_words(wanted, parsed, after_colon)
    missing = sorted(required - set(pool) - series_words)
    extra = sorted({w for w in pool if w not in required and not _explained(w, allowed, wanted.position)})
    extra += _repeated_title_words(words(normalize_title(main)), pool, allowed)
    reasons: list[Reason] = []
    if not missing and not after_colon.strip():
        extra, subtitle_reasons = _check_subtitle(wanted, parsed, skipped, required, extra)
        reasons += subtitle_reasons
    if missing:
        reasons.append(
            Reason(ReasonCode.TITLE_MISSING_WORDS, f"title words missing: {', '.join(missing)}", rejects=True)
        )
    if extra:
        reasons.append(Reason(ReasonCode.TITLE_EXTRA_WORDS, f"title has other words: {', '.join(extra)}", rejects=True))
    optional = {w for w in words(f"{after_colon} {wanted.subtitle or ''}") if w not in GLUE_WORDS}
    if not missing and not extra and not set(pool) & (required | optional):
        reasons.extend(_check_series_as_title(wanted, parsed, required))
    if not any(reason.rejects for reason in reasons):
        reasons.insert(0, Reason(ReasonCode.TITLE_MATCH, f"title words match '{wanted.title}'"))
    return reasons


def _check_subtitle(
    wanted: WantedEdition, parsed: ParsedRelease, skipped: set[int], required: set[str], extra: list[str]
) -> tuple[list[str], list[Reason]]:
    """Words after a colon or dash: the book's known subtitle or not; else (none known) the heuristic's verdict.

    Returns the extra title words left to reject and the subtitle's named reason.
    """
    note = f"; {wanted.subtitle_note}" if wanted.subtitle_note else ""
    segments = [segment.text for segment in _title_segments(parsed, skipped)]
    found = release_subtitle(segments, required)
    if wanted.subtitle:
        plain = _allowed_extra_words(dataclasses.replace(wanted, subtitle=None), parsed, "")
        if found is None or all(_explained(w, plain, wanted.position) for w in words(found)):
            return extra, []  # no subtitle, or only words a release may add (narrator, series, format)
        left = [word for word in extra if word.removesuffix(" (again)") not in set(words(found))]
        if same_subtitle(found, wanted.subtitle):
            return left, [Reason(ReasonCode.SUBTITLE_KNOWN, f"subtitle '{found}' is the book's{note}")]
        text = f"subtitle '{found}' is not the book's '{wanted.subtitle}'{note}"
        return left, [Reason(ReasonCode.SUBTITLE_MISMATCH, text, rejects=True)]
    if not extra or found is None or not {w.removesuffix(" (again)") for w in extra} <= set(words(found)):
        return extra, []
    series_names = [wanted.series or "", *(mention.name or "" for mention in parsed.series)]
    problem = subtitle_problem_in(found, required, series_names, wanted.authors)
    if problem is None:
        return [], [Reason(ReasonCode.SUBTITLE, f"subtitle '{found}' (the wanted record has none{note})")]
    return [*extra, f"(not only a subtitle: {problem}{note})"], []


def _repeated_title_words(own: list[str], pool: list[str], allowed: frozenset[str]) -> list[str]:
    """Title words the release has more often than the title: "You Like It Darker Darker" is not the book."""
    title_counts, pool_counts = Counter(own), Counter(pool)
    return [
        f"{word} (again)"
        for word in sorted(title_counts)
        if pool_counts[word] > title_counts[word] and word not in allowed
    ]


def _check_series_as_title(wanted: WantedEdition, parsed: ParsedRelease, required: set[str]) -> list[Reason]:
    """A release named only "Red Rising 03" holds the wanted "Red Rising" only when its volume is the wanted one."""
    wanted_position = parse_position(wanted.position)
    mentions = [m for m in parsed.series if m.position and required & set(words(m.name or ""))]
    if any(m.position and len(set(m.position)) == 1 and format_position(m.position[0]) in required for m in mentions):
        return []  # the number belongs to the title: "Catch 22"
    positions = [m.position for m in mentions if m.position]
    # "Red Rising 01" is the wanted "Red Rising" only as that volume of the series it names; "Burning Compass 2"
    # for the wanted "Burning Compass" (volume 2 of a series with another name) reads as its sequel. "Title
    # Book One" is the wanted first volume: no sequel is numbered one.
    in_series = _title_is_series_name(wanted) and all(
        series_names_match(m.name or "", wanted.series or "") for m in mentions
    )
    first = wanted_position == (Decimal(1), Decimal(1))
    same = wanted_position is not None and bool(positions) and all(p == wanted_position for p in positions)
    if same and (in_series or first):
        return []
    shown = ", ".join(format_position_range(p) for p in positions) or "unknown"
    return [Reason(ReasonCode.TITLE_AS_SERIES, f"title only as a series name, volume {shown}", rejects=True)]


def _mention_words(mention: SeriesMention) -> list[str]:
    """A series mention's name words and, for a single position, its number: "Catch 22" -> catch, 22."""
    shown = [format_position(mention.position[0])] if mention.position and len(set(mention.position)) == 1 else []
    return [*words(mention.name or ""), *shown]


def _allowed_extra_words(wanted: WantedEdition, parsed: ParsedRelease, after_colon: str) -> frozenset[str]:
    sources = [after_colon, *wanted.authors]
    # the series' and the subtitle's words only as a whole: "Café" alone is no part of "The Café Chronicles", nor
    # "II" of "A World War II Story" ("Gambit II" is no "Gambit: A World War II Story")
    release_words = [w for segment in parsed.segments for w in words(segment.text)]
    for whole in (wanted.series, wanted.subtitle):
        run = words(whole or "")
        run = run[1:] if run[:1] in (["the"], ["a"], ["an"]) and len(run) > 1 else run
        if run and find_run(release_words, run) >= 0:
            sources.append(whole or "")
    for name in split_names(wanted.narrator or ""):  # "I. I. Okonkwo" explains no "II", unless named whole
        run = words(name)
        sources.append(name if find_run(release_words, run) >= 0 else " ".join(run[-1:]))
    sources += [*parsed.narrators]
    if parsed.authors_stated:
        sources += [a for a in parsed.authors if any(names_match(a, w) for w in wanted.authors)]
    # a co-author named beside the wanted one
    sources += [
        s.text for s in parsed.segments if s.kind is not SegmentKind.SERIES and segment_names_author(s, wanted.authors)
    ]
    return frozenset(w for source in sources for w in words(source)) | GLUE_WORDS | _TITLE_NOISE


def _explained(word: str, allowed: frozenset[str], wanted_position: str | None) -> bool:
    if word in allowed or is_quality_word(word):
        return True
    if word.isdigit():
        if re.fullmatch(r"(?:19|20)\d\d", word):
            return True  # a year
        position = parse_position(wanted_position)
        return position is not None and position[0] == position[1] == _decimal(word)
    return False


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _release_position(wanted: WantedEdition, parsed: ParsedRelease) -> Position | None:
    mentions = [m for m in parsed.series if m.position is not None]
    if wanted.series:
        named = [m for m in mentions if m.name and series_names_match(m.name, wanted.series)]
        unnamed = [m for m in mentions if m.name is None]
        chosen = named or unnamed
        return chosen[0].position if chosen else None
    return mentions[0].position if len(mentions) == 1 else None


def _check_volume(wanted: WantedEdition, parsed: ParsedRelease) -> list[Reason]:
    named_by_title = _check_title_words_as_series(wanted, parsed)
    wanted_position = parse_position(wanted.position)
    if named_by_title or wanted_position is None:
        return named_by_title
    release_position = _release_position(wanted, parsed)
    if release_position is None:
        return []
    shown, wanted_shown = format_position_range(release_position), format_position_range(wanted_position)
    if release_position != wanted_position:
        return [Reason(ReasonCode.WRONG_VOLUME, f"volume {shown} (wanted {wanted_shown})", rejects=True)]
    return [Reason(ReasonCode.VOLUME_MATCH, f"volume {shown}")]


def _check_title_words_as_series(wanted: WantedEdition, parsed: ParsedRelease) -> list[Reason]:
    """ "Lantern: Obsidian Café Book Two" for the wanted "Lantern: Obsidian Café": a later volume of a series named
    by words of the wanted title (not its main title, which may be the series' name: "Mistborn 01")."""
    main = wanted.title.partition(":")[0]
    all_words = {w for w in words(wanted.title) if w not in GLUE_WORDS}
    main_words = {w for w in words(normalize_title(main)) if w not in GLUE_WORDS}
    for mention in parsed.series:
        if wanted.series and mention.name and series_names_match(mention.name, wanted.series):
            continue  # the wanted series: the volume check compares its position
        name_words = {w for w in words(mention.name or "") if w not in GLUE_WORDS}
        position = mention.position
        later = (
            position is not None
            and position != (Decimal(1), Decimal(1))
            and format_position(position[0]) not in all_words
        )
        whole_title = name_words == all_words != main_words  # "River: Distant River Book Two"
        if later and name_words and name_words <= all_words and (whole_title or not main_words <= name_words):
            shown = format_position_range(position) if position else "?"
            text = f"volume {shown} of '{mention.name}', a series named by the title's words"
            return [Reason(ReasonCode.TITLE_AS_SERIES, text, rejects=True)]
    return []


def _check_edition(wanted: WantedEdition, parsed: ParsedRelease) -> list[Reason]:
    reasons: list[Reason] = []
    wanted_part = PART_PATTERN.search(wanted.title)
    if parsed.part is not None and (wanted_part is None or part_number(wanted_part.group(1)) != parsed.part):
        reasons.append(Reason(ReasonCode.PARTIAL, f"only part {parsed.part} of the book", rejects=True))
    if parsed.is_ebook:
        shown = ", ".join(parsed.formats) or "e-book category"
        reasons.append(Reason(ReasonCode.EBOOK, f"ebook ({shown})", rejects=True))
    if parsed.abridged and not wanted.abridged_ok:
        reasons.append(Reason(ReasonCode.ABRIDGED, "abridged edition", rejects=True))
    wanted_language = normalize_language(wanted.language)
    if wanted_language and parsed.language and parsed.language != wanted_language:
        text = f"language {parsed.language} (wanted {wanted_language})"
        reasons.append(Reason(ReasonCode.LANGUAGE_MISMATCH, text, rejects=True))
    return reasons


def release_asin(parsed: ParsedRelease) -> str | None:
    """An ASIN the release states: MAM's isbn field ("ASIN:B0…"), an "asin" extra, or one in its title."""
    release = parsed.release
    for key in ("asin", "isbn"):
        value = release.extra.get(key)
        found = _ASIN.search(str(value).upper()) if value else None
        if found:
            return found.group(1)
    in_title = _ASIN.search(release.title)
    return in_title.group(1) if in_title else None


def _check_identifiers(wanted: WantedEdition, parsed: ParsedRelease) -> list[Reason]:
    asin = release_asin(parsed)
    if wanted.asin and asin and asin == wanted.asin.upper():
        return [Reason(ReasonCode.ASIN_MATCH, f"asin {asin} matches", points=10)]
    return []
