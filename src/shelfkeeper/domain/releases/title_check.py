"""Verifying a release's title words against the wanted title: every title word present as a whole word, no
unexplained word added, words after a colon or dash judged as a subtitle, a title standing only as a series name
held to the wanted volume.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from shelfkeeper.domain.releases.parsing import ParsedRelease
from shelfkeeper.domain.releases.people import names_match, words
from shelfkeeper.domain.releases.reasons import Reason, ReasonCode
from shelfkeeper.domain.releases.subtitles import (
    find_run,
    release_subtitle,
    same_subtitle,
    subtitle_problem_in,
)
from shelfkeeper.domain.releases.title_facts import is_quality_word
from shelfkeeper.domain.releases.title_segments import SeriesMention, series_names_match
from shelfkeeper.domain.releases.wanted import WantedForms
from shelfkeeper.domain.text import format_position, format_position_range

_YEAR_WORD = re.compile(r"(?:19|20)\d\d")
_FIRST = (Decimal(1), Decimal(1))
_NO_WORDS = Reason(ReasonCode.TITLE_MISSING_WORDS, "the wanted title has no words to check", rejects=True)


class TitleCheck:
    """The title words check against one wanted book, for the releases of one search.

    Every title word must be present as a whole word, and no unexplained word may be added; words after a colon
    or dash are judged against the book's known subtitle, else by the subtitle heuristic. The verdict reads only
    the release's title pieces, its series mentions, its narrators and stated authors, the pieces naming the
    wanted author, and whether the wanted series, subtitle and narrators stand whole among its words: releases
    alike in all of these (the same upload with another year or narrator tag) share one verdict.
    """

    def __init__(self, forms: WantedForms) -> None:
        self.forms = forms
        self._verdicts: dict[tuple[object, ...], tuple[Reason, ...]] = {}

    def __call__(
        self,
        parsed: ParsedRelease,
        title_indexes: list[int],
        author_segments: Collection[int],
        segment_words: Sequence[tuple[str, ...]],
        series_key: object | None,
    ) -> tuple[Reason, ...]:
        """The title's reasons. ``title_indexes`` are the segments that may hold title words (not the author's,
        a series mention, names or the uploader tag), ``author_segments`` those naming the wanted author,
        ``segment_words`` each segment's words, ``series_key`` stands for the release's series mentions (None:
        they are not to be compared, the verdict is not shared)."""
        forms = self.forms
        if not forms.required:
            return (_NO_WORDS,)
        whole = (
            _names_whole(forms.series_run, segment_words),
            _names_whole(forms.subtitle_run, segment_words) if forms.subtitle_run else False,
            *([_names_whole(narrator.run, segment_words) for narrator in forms.narrator_forms]),
        )
        if series_key is None:
            return _check_title(forms, parsed, title_indexes, author_segments, segment_words, whole)
        segments = parsed.segments
        key = (
            tuple([segments[i].text for i in title_indexes]),
            series_key,
            whole,
            parsed.narrators,
            parsed.authors if parsed.authors_stated else None,
            tuple([segments[i].text for i in sorted(author_segments)]) if author_segments else (),
        )
        found = self._verdicts.get(key)
        if found is None:
            found = _check_title(forms, parsed, title_indexes, author_segments, segment_words, whole)
            self._verdicts[key] = found
        return found


def _check_title(
    forms: WantedForms,
    parsed: ParsedRelease,
    title_indexes: list[int],
    author_segments: Collection[int],
    segment_words: Sequence[tuple[str, ...]],
    whole: tuple[bool, ...],
) -> tuple[Reason, ...]:
    """``TitleCheck`` of one release; ``whole`` tells whether the wanted series, the subtitle and each wanted
    narrator stand whole among the release's words."""
    required, segments = forms.required, parsed.segments
    pool = [w for i in title_indexes for w in _without_runs(segment_words[i], forms.author_runs)]
    pool_set = set(pool)
    series_words = {w for mention in parsed.series for w in _mention_words(mention)}
    core = _allowed_core(forms, parsed, segment_words, author_segments, whole)
    allowed = core | forms.subtitle_words if whole[1] else core
    missing = sorted(required - pool_set - series_words)
    extra = sorted({w for w in pool_set if w not in required and not _explained(w, allowed, forms)})
    # title words the release has more often than the title: "You Like It Darker Darker" is not the book
    extra += [f"{w} (again)" for w, times in forms.title_counts if pool.count(w) > times and w not in allowed]
    reasons: list[Reason] = []
    if not missing and not forms.after_colon.strip():
        texts = [segments[i].text for i in title_indexes]
        extra, subtitle_reasons = _check_subtitle(forms, parsed, texts, core, extra)
        reasons += subtitle_reasons
    if missing:
        reasons.append(
            Reason(ReasonCode.TITLE_MISSING_WORDS, f"title words missing: {', '.join(missing)}", rejects=True)
        )
    if extra:
        reasons.append(Reason(ReasonCode.TITLE_EXTRA_WORDS, f"title has other words: {', '.join(extra)}", rejects=True))
    if not missing and not extra and not pool_set & forms.named_words:
        reasons.extend(_check_series_as_title(forms, parsed))
    if not any(reason.rejects for reason in reasons):
        reasons.insert(0, forms.title_match)
    return tuple(reasons)


def _without_runs(tokens: tuple[str, ...], runs: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    for run in runs:
        start = find_run(tokens, run)
        while start >= 0:
            tokens = tokens[:start] + tokens[start + len(run) :]
            start = find_run(tokens, run)
    return tokens


def _names_whole(run: Sequence[str], segment_words: Sequence[tuple[str, ...]]) -> bool:
    """Whether the release's words (all segments' in a row) hold ``run``."""
    if len(run) == 1:
        word = run[0]
        return any([word in found for found in segment_words])
    return bool(run) and find_run([w for found in segment_words for w in found], run) >= 0


def _allowed_core(
    forms: WantedForms,
    parsed: ParsedRelease,
    segment_words: Sequence[tuple[str, ...]],
    author_segments: Collection[int],
    whole: tuple[bool, ...],
) -> frozenset[str]:
    """The words a release may add besides the title's (all but the subtitle's): the words after the title's
    colon, the authors', the series' when the release names it whole, each wanted narrator's (the surname alone
    unless named whole: "I. I. Okonkwo" explains no "II"), the release's narrators', its stated authors' that
    are the wanted ones, the words of segments naming the wanted author (a co-author beside them), glue and noise.
    """
    added: set[str] = set()
    if whole[0]:
        added |= forms.series_words
    for narrator, named in zip(forms.narrator_forms, whole[2:], strict=True):
        added |= narrator.words if named else narrator.surname_words
    for name in parsed.narrators:
        added.update(words(name))
    if parsed.authors_stated:
        authors = forms.wanted.authors
        for name in parsed.authors:
            if any(names_match(name, wanted) for wanted in authors):
                added.update(words(name))
    for index in author_segments:
        added.update(segment_words[index])
    return forms.base_allowed | added if added else forms.base_allowed


def _explained(word: str, allowed: Collection[str], forms: WantedForms) -> bool:
    if word in allowed or is_quality_word(word):
        return True
    if word.isdigit():
        if _YEAR_WORD.fullmatch(word):
            return True  # a year
        return forms.single_position is not None and forms.single_position == _decimal(word)
    return False


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _check_subtitle(
    forms: WantedForms, parsed: ParsedRelease, texts: list[str], plain: frozenset[str], extra: list[str]
) -> tuple[list[str], list[Reason]]:
    """Words after a colon or dash: the book's known subtitle or not; else (none known) the heuristic's verdict.

    ``texts`` are the title segments' texts, ``plain`` the words any release may add (the subtitle's aside).
    Returns the extra title words left to reject and the subtitle's named reason.
    """
    wanted = forms.wanted
    note = f"; {wanted.subtitle_note}" if wanted.subtitle_note else ""
    found = release_subtitle(texts, forms.required)
    if wanted.subtitle:
        if found is None or all(_explained(w, plain, forms) for w in words(found)):
            return extra, []  # no subtitle, or only words a release may add (narrator, series, format)
        left = [word for word in extra if word.removesuffix(" (again)") not in set(words(found))]
        if same_subtitle(found, wanted.subtitle):
            return left, [Reason(ReasonCode.SUBTITLE_KNOWN, f"subtitle '{found}' is the book's{note}")]
        text = f"subtitle '{found}' is not the book's '{wanted.subtitle}'{note}"
        return left, [Reason(ReasonCode.SUBTITLE_MISMATCH, text, rejects=True)]
    if not extra or found is None or not {w.removesuffix(" (again)") for w in extra} <= set(words(found)):
        return extra, []
    series_names = [wanted.series or "", *(mention.name or "" for mention in parsed.series)]
    problem = subtitle_problem_in(found, forms.required, series_names, wanted.authors)
    if problem is None:
        return [], [Reason(ReasonCode.SUBTITLE, f"subtitle '{found}' (the wanted record has none{note})")]
    return [*extra, f"(not only a subtitle: {problem}{note})"], []


def _check_series_as_title(forms: WantedForms, parsed: ParsedRelease) -> list[Reason]:
    """A release named only "Red Rising 03" holds the wanted "Red Rising" only when its volume is the wanted one."""
    required, wanted_position = forms.required, forms.position
    mentions = [m for m in parsed.series if m.position and required & set(words(m.name or ""))]
    if any(m.position and len(set(m.position)) == 1 and format_position(m.position[0]) in required for m in mentions):
        return []  # the number belongs to the title: "Catch 22"
    positions = [m.position for m in mentions if m.position]
    # "Red Rising 01" is the wanted "Red Rising" only as that volume of the series it names; "Burning Compass 2"
    # for the wanted "Burning Compass" (volume 2 of a series with another name) reads as its sequel. "Title
    # Book One" is the wanted first volume: no sequel is numbered one.
    in_series = forms.title_is_series_name and all(
        series_names_match(m.name or "", forms.wanted.series or "") for m in mentions
    )
    first = wanted_position == _FIRST
    same = wanted_position is not None and bool(positions) and all(p == wanted_position for p in positions)
    if same and (in_series or first):
        return []
    shown = ", ".join(format_position_range(p) for p in positions) or "unknown"
    return [Reason(ReasonCode.TITLE_AS_SERIES, f"title only as a series name, volume {shown}", rejects=True)]


def _mention_words(mention: SeriesMention) -> tuple[str, ...]:
    """A series mention's name words and, for a single position, its number: "Catch 22" -> catch, 22."""
    position = mention.position
    if position is not None and position[0] and position[1]:
        return _named_position_words(mention.name, position)
    return _position_words(mention.name, position)  # zero: "0" and "-0" are equal keys, but shown apart


@lru_cache(maxsize=4096)  # a search's releases name the same few series and volumes
def _named_position_words(name: str | None, position: tuple[Decimal, Decimal]) -> tuple[str, ...]:
    return _position_words(name, position)


def _position_words(name: str | None, position: tuple[Decimal, Decimal] | None) -> tuple[str, ...]:
    shown = [format_position(position[0])] if position and len(set(position)) == 1 else []
    return (*words(name or ""), *shown)
