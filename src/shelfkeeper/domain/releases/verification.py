"""Verifying that a release holds the wanted book: title words, author, volume, format, edition, language.

The wanted book's forms are normalised once (``wanted.wanted_forms``); the title words are checked by
``title_check``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from shelfkeeper.domain.releases.parsing import ParsedRelease
from shelfkeeper.domain.releases.people import is_narrator_group, names_author, names_match, segment_words, words
from shelfkeeper.domain.releases.reasons import Reason, ReasonCode, Verification
from shelfkeeper.domain.releases.subtitles import GLUE_WORDS, find_run
from shelfkeeper.domain.releases.title_check import TitleCheck
from shelfkeeper.domain.releases.title_segments import SegmentKind, SeriesMention, series_names_match
from shelfkeeper.domain.releases.wanted import Position, WantedEdition, WantedForms, wanted_forms
from shelfkeeper.domain.text import format_position, format_position_range

__all__ = [  # the verdict's vocabulary and the wanted book, importable from here as before they had modules
    "Reason",
    "ReasonCode",
    "Verification",
    "Verifier",
    "WantedEdition",
    "names_match",
    "release_asin",
    "series_names_match",
    "verify",
    "words",
]

_ASIN = re.compile(r"\b(B0[A-Z0-9]{8})\b")
_FIRST = (Decimal(1), Decimal(1))
# the kinds read for every segment of every release (reading a member off an Enum class costs a lookup)
_SERIES, _PEOPLE, _UPLOADER = SegmentKind.SERIES, SegmentKind.PEOPLE, SegmentKind.UPLOADER
_NO_AUTHOR = Reason(ReasonCode.AUTHOR_MISSING, "the wanted book has no author to check", rejects=True)


def verify(wanted: WantedEdition, parsed: ParsedRelease) -> Verification:
    """Check that a parsed release is the wanted book; every failed check is a named rejecting reason."""
    return Verifier(wanted).verify(parsed)


class Verifier:
    """Verifies the releases of one search against one wanted book, its forms normalised once. What a check reads
    of a title piece or of a release's series mentions it answers once for the search; releases alike in what the
    title check reads share its verdict (``title_check.TitleCheck``)."""

    def __init__(self, wanted: WantedEdition) -> None:
        self.forms = forms = wanted_forms(wanted)
        self._title = TitleCheck(forms)
        self._names_author: dict[str, bool] = {}
        self._people: dict[str, Reason] = {}
        self._authors: dict[tuple[bool, tuple[str, ...]], Reason] = {}
        self._editions: dict[tuple[object, ...], tuple[Reason, ...]] = {}
        self._series: dict[tuple[SeriesMention, ...], _SeriesReading] = {}

    def verify(self, parsed: ParsedRelease) -> Verification:
        """``verify`` of one release."""
        forms = self.forms
        series = self._series_reading(parsed)
        authors, known = forms.wanted.authors, self._names_author
        words_of: list[tuple[str, ...]] = []
        not_series: list[int] = []
        author_segments: set[int] = set()
        people: list[int] = []
        tags: list[int] = []
        for index, segment in enumerate(parsed.segments):
            text = segment.text
            words_of.append(segment_words(text))
            kind = segment.kind
            if kind is _SERIES:
                continue
            not_series.append(index)
            names = known.get(text)
            if names is None:
                known[text] = names = names_author(text, authors)
            if names:
                author_segments.add(index)
            elif kind is _PEOPLE:  # a group of names that are not the author
                people.append(index)
            if kind is _UPLOADER:
                tags.append(index)
        author_reason = self._author_reason(parsed, words_of, author_segments)
        people_reasons = [self._people_reason(parsed.segments[index].text) for index in people]
        tags, tag_reasons = _check_uploader_tag(forms, parsed, tags, series.position) if tags else (tags, [])
        if author_segments or people or tags:
            skipped = author_segments.union(people, tags)
            title_indexes = [index for index in not_series if index not in skipped]
        else:
            title_indexes = not_series
        reasons = [
            *self._title(parsed, title_indexes, author_segments, words_of, series if series.shared else None),
            author_reason,
            *people_reasons,
            *tag_reasons,
            *series.volume_reasons,
            *self._edition_reasons(parsed),
        ]
        if forms.wanted.asin:
            reasons += _check_identifiers(forms, parsed)
        return Verification(accepted=not any([r.rejects for r in reasons]), reasons=tuple(reasons))

    def _author_reason(
        self, parsed: ParsedRelease, words_of: list[tuple[str, ...]], author_segments: set[int]
    ) -> Reason:
        """Find the wanted author among stated authors, name segments (``author_segments``: the segments that
        name one), or inside the title text."""
        forms = self.forms
        authors = forms.wanted.authors
        if not authors:
            return _NO_AUTHOR
        if not parsed.authors_stated and (
            author_segments or (not parsed.authors and _author_inside_text(forms, words_of))
        ):
            return forms.author_in_title or Reason(ReasonCode.AUTHOR_MATCH, f"author {authors[0]} named in the title")
        key = (parsed.authors_stated, parsed.authors)
        found = self._authors.get(key)
        if found is None:
            self._authors[key] = found = _author_verdict(forms, *key)
        return found

    def _edition_reasons(self, parsed: ParsedRelease) -> tuple[Reason, ...]:
        key = (parsed.part, parsed.formats, parsed.ebook_category, parsed.abridged, parsed.language)  # all it reads
        found = self._editions.get(key)
        if found is None:
            self._editions[key] = found = tuple(_check_edition(self.forms, parsed))
        return found

    def _people_reason(self, text: str) -> Reason:
        """A bracket group of names that are not the author: narrators when they can be, else a named rejection.

        With the wanted narrator known, the group must name them; see ``people.is_narrator_group``.
        """
        found = self._people.get(text)
        if found is None:
            self._people[text] = found = _people_reason(self.forms, text)
        return found

    def _series_reading(self, parsed: ParsedRelease) -> _SeriesReading:
        """What the volume checks read of the release's series mentions, once per search for each set of them."""
        series = parsed.series
        found = self._series.get(series)  # only mentions without a 0 are kept: those equal to them have none
        if found is None:
            if any(m.position is not None and not (m.position[0] and m.position[1]) for m in series):
                return _SeriesReading(self.forms, parsed, shared=False)  # 0 and -0 are equal keys, but shown apart
            self._series[series] = found = _SeriesReading(self.forms, parsed, shared=True)
        return found


class _SeriesReading:
    """The position a release claims in the wanted series (read only when the wanted one is known) and the volume
    check's reasons: both read only its series mentions. ``shared`` when releases alike in their mentions may
    share it (and the title check's verdict, keyed by it)."""

    __slots__ = ("position", "shared", "volume_reasons")

    def __init__(self, forms: WantedForms, parsed: ParsedRelease, *, shared: bool) -> None:
        self.position = _release_position(forms, parsed) if forms.position is not None else None
        self.volume_reasons = tuple(_check_volume(forms, parsed, self.position))
        self.shared = shared


def _author_verdict(forms: WantedForms, stated: bool, release_authors: tuple[str, ...]) -> Reason:
    """The author check of a release whose title names no wanted author: its stated authors (MAM) matched, else
    the authors guessed from its title, else none named."""
    if stated:
        matched = [name for name in release_authors if any(names_match(name, w) for w in forms.wanted.authors)]
        if matched:
            return Reason(ReasonCode.AUTHOR_MATCH, f"author {matched[0]}")
        text = f"another author: {', '.join(release_authors)} (wanted {forms.author_names})"
        return Reason(ReasonCode.AUTHOR_MISMATCH, text, rejects=True)
    if release_authors:
        text = f"another author: {', '.join(release_authors)} (wanted {forms.author_names})"
        return Reason(ReasonCode.AUTHOR_MISMATCH, text, rejects=True)
    return Reason(ReasonCode.AUTHOR_MISSING, f"author not named (wanted {forms.author_names})", rejects=True)


def _people_reason(forms: WantedForms, text: str) -> Reason:
    narrator = forms.wanted.narrator
    if is_narrator_group(text, narrator, lone_name_ok=not forms.title_is_series_name):
        return Reason(ReasonCode.NARRATOR_GROUP, f"narrators in brackets: {text}")
    if narrator:
        shown = f"names in brackets are neither the author nor the narrator: {text}"
        return Reason(ReasonCode.OTHER_NAMES, f"{shown} (wanted narrator {narrator})", rejects=True)
    shown = f"names in brackets are not the author, and the title is its series' name: {text}"
    return Reason(ReasonCode.OTHER_NAMES, shown, rejects=True)


def _check_uploader_tag(
    forms: WantedForms, parsed: ParsedRelease, tags: list[int], position: Position | None
) -> tuple[list[int], list[Reason]]:
    """The trailing uploader tag (``parsing`` found it; ``tags`` its segments) is no title word, unless the wanted
    title is its series' name and the release does not name the wanted volume: "Red Rising [M4B] [Morning]" may be
    another volume, and the tag's words are judged as title words ("Red Rising 01 - Red Rising [M4B] [Tantor]" is
    the wanted one)."""
    if not tags:
        return [], []
    volume_named = forms.position is not None and position == forms.position
    if forms.title_is_series_name and not volume_named:
        return [], []
    shown = ", ".join(parsed.segments[index].text for index in tags)
    return tags, [Reason(ReasonCode.UPLOADER_TAG, f"uploader tag ignored: {shown}")]


def _author_inside_text(forms: WantedForms, words_of: Sequence[tuple[str, ...]]) -> bool:
    text_words = [w for found in words_of for w in [*found, "|"]]
    return any(find_run(text_words, run) >= 0 for run in forms.author_runs)


def _release_position(forms: WantedForms, parsed: ParsedRelease) -> Position | None:
    mentions = [m for m in parsed.series if m.position is not None]
    series = forms.wanted.series
    if series:
        named = [m for m in mentions if m.name and series_names_match(m.name, series)]
        unnamed = [m for m in mentions if m.name is None]
        chosen = named or unnamed
        return chosen[0].position if chosen else None
    return mentions[0].position if len(mentions) == 1 else None


def _check_volume(forms: WantedForms, parsed: ParsedRelease, release_position: Position | None) -> list[Reason]:
    named_by_title = _check_title_words_as_series(forms, parsed)
    if named_by_title or forms.position is None:
        return named_by_title
    if release_position is None:
        return []
    shown = format_position_range(release_position)
    if release_position != forms.position:
        return [Reason(ReasonCode.WRONG_VOLUME, f"volume {shown} (wanted {forms.position_shown})", rejects=True)]
    return [Reason(ReasonCode.VOLUME_MATCH, f"volume {shown}")]


def _check_title_words_as_series(forms: WantedForms, parsed: ParsedRelease) -> list[Reason]:
    """ "Lantern: Obsidian Café Book Two" for the wanted "Lantern: Obsidian Café": a later volume of a series named
    by words of the wanted title (not its main title, which may be the series' name: "Mistborn 01")."""
    series, all_words, main_words = forms.wanted.series, forms.all_words, forms.main_words
    for mention in parsed.series:
        if series and mention.name and series_names_match(mention.name, series):
            continue  # the wanted series: the volume check compares its position
        name_words = {w for w in words(mention.name or "") if w not in GLUE_WORDS}
        if not name_words or not name_words <= all_words:
            continue
        position = mention.position
        later = position is not None and position != _FIRST and format_position(position[0]) not in all_words
        whole_title = name_words == all_words != main_words  # "River: Distant River Book Two"
        if later and (whole_title or not main_words <= name_words):
            shown = format_position_range(position) if position else "?"
            text = f"volume {shown} of '{mention.name}', a series named by the title's words"
            return [Reason(ReasonCode.TITLE_AS_SERIES, text, rejects=True)]
    return []


def _check_edition(forms: WantedForms, parsed: ParsedRelease) -> list[Reason]:
    reasons: list[Reason] = []
    if parsed.part is not None and (forms.part is None or forms.part != parsed.part):
        reasons.append(Reason(ReasonCode.PARTIAL, f"only part {parsed.part} of the book", rejects=True))
    if parsed.is_ebook:
        shown = ", ".join(parsed.formats) or "e-book category"
        reasons.append(Reason(ReasonCode.EBOOK, f"ebook ({shown})", rejects=True))
    if parsed.abridged and not forms.wanted.abridged_ok:
        reasons.append(Reason(ReasonCode.ABRIDGED, "abridged edition", rejects=True))
    if forms.language and parsed.language and parsed.language != forms.language:
        text = f"language {parsed.language} (wanted {forms.language})"
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
    in_title = _ASIN.search(release.title) if "B0" in release.title else None
    return in_title.group(1) if in_title else None


def _check_identifiers(forms: WantedForms, parsed: ParsedRelease) -> list[Reason]:
    wanted_asin = forms.wanted.asin
    if not wanted_asin:
        return []
    asin = release_asin(parsed)
    if asin and asin == wanted_asin.upper():
        return [Reason(ReasonCode.ASIN_MATCH, f"asin {asin} matches", points=10)]
    return []
