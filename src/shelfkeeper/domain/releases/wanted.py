"""The wanted book, and the forms of it that verification compares every release with.

Its title words, author and narrator names, series, subtitle, position, part and language are normalised once per
wanted book (``wanted_forms``, cached), not once per release of its search.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from shelfkeeper.domain.names import normalize_author, split_names
from shelfkeeper.domain.releases.people import words
from shelfkeeper.domain.releases.reasons import Reason, ReasonCode
from shelfkeeper.domain.releases.subtitles import GLUE_WORDS, title_words
from shelfkeeper.domain.releases.title_facts import PART_PATTERN, part_number
from shelfkeeper.domain.text import format_position_range, normalize_language, normalize_title, parse_position

Position = tuple[Decimal, Decimal]
# Words a release may add to a title without naming another book ("Book", "Vol.", "Audiobook", "Narrated").
TITLE_NOISE = frozenset(
    {"book", "bk", "vol", "volume", "part", "pt", "no", "nr", "series", "audiobook", "novel", "read", "narrated"}
)
_ARTICLES = (["the"], ["a"], ["an"])


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
class NarratorForm:
    """One wanted narrator's name: its words as a run, its words, and its surname's words."""

    run: tuple[str, ...]
    words: frozenset[str]
    surname_words: frozenset[str]


@dataclass(frozen=True)
class WantedForms:
    """What verification reads of a wanted book, each normalised once."""

    wanted: WantedEdition
    author_names: str  # "A, B", or "none"
    author_runs: tuple[tuple[str, ...], ...]  # each author's normalised words
    after_colon: str  # the title after its first colon ("" when none)
    required: frozenset[str]  # the main title's words that count (``subtitles.title_words``)
    title_counts: tuple[tuple[str, int], ...]  # how often each word of the main title stands in it, by word
    named_words: frozenset[str]  # the title's words a release must show one of: required or optional ones
    position: Position | None
    position_shown: str | None  # the position as reasons show it: "2", "1-3"
    single_position: Decimal | None  # the position when it is one number ("2"), not a range
    title_is_series_name: bool  # the title's main words all stand in the series' name ("Red Rising")
    base_allowed: frozenset[str]  # words any release may add: after the colon, the authors', glue and noise
    series_run: tuple[str, ...]  # the series' words without a leading article (a release names it as a whole)
    series_words: frozenset[str]
    subtitle_run: tuple[str, ...]
    subtitle_words: frozenset[str]
    narrators: tuple[str, ...]  # ``split_names`` of the wanted narrator
    narrator_forms: tuple[NarratorForm, ...]
    all_words: frozenset[str]  # the whole title's words without glue
    main_words: frozenset[str]  # the normalised main title's words without glue
    part: int | None  # the part the title itself names ("Part 2")
    language: str | None
    title_match: Reason
    author_in_title: Reason | None  # the first author named in a release's title


@lru_cache(maxsize=256)  # one wanted book is compared with every release of its search
def wanted_forms(wanted: WantedEdition) -> WantedForms:
    """The forms of ``wanted`` that verification compares releases with."""
    main, _, after_colon = wanted.title.partition(":")
    required = title_words(main)
    optional = {w for w in words(f"{after_colon} {wanted.subtitle or ''}") if w not in GLUE_WORDS}
    main_run = words(normalize_title(main))
    position = parse_position(wanted.position)
    series_words = set(words(wanted.series or ""))
    wanted_part = PART_PATTERN.search(wanted.title)
    base = {w for source in [after_colon, *wanted.authors] for w in words(source)} | GLUE_WORDS | TITLE_NOISE
    return WantedForms(
        wanted=wanted,
        author_names=", ".join(wanted.authors) or "none",
        author_runs=tuple(tuple(words(normalize_author(author))) for author in wanted.authors),
        after_colon=after_colon,
        required=frozenset(required),
        title_counts=tuple((word, main_run.count(word)) for word in sorted(set(main_run))),
        named_words=frozenset(required | optional),
        position=position,
        position_shown=format_position_range(position) if position is not None else None,
        single_position=position[0] if position is not None and position[0] == position[1] else None,
        title_is_series_name=bool(wanted.series) and title_words(wanted.title.partition(":")[0]) <= series_words,
        base_allowed=frozenset(base),
        series_run=_whole_run(wanted.series),
        series_words=frozenset(words(wanted.series or "")),
        subtitle_run=_whole_run(wanted.subtitle),
        subtitle_words=frozenset(words(wanted.subtitle or "")),
        narrators=tuple(split_names(wanted.narrator or "")),
        narrator_forms=tuple(_narrator_form(name) for name in split_names(wanted.narrator or "")),
        all_words=frozenset(w for w in words(wanted.title) if w not in GLUE_WORDS),
        main_words=frozenset(w for w in main_run if w not in GLUE_WORDS),
        part=part_number(wanted_part.group(1)) if wanted_part else None,
        language=normalize_language(wanted.language),
        title_match=Reason(ReasonCode.TITLE_MATCH, f"title words match '{wanted.title}'"),
        author_in_title=_author_in_title(wanted.authors),
    )


def _author_in_title(authors: tuple[str, ...]) -> Reason | None:
    return Reason(ReasonCode.AUTHOR_MATCH, f"author {authors[0]} named in the title") if authors else None


def _whole_run(whole: str | None) -> tuple[str, ...]:
    """The words a release must show in a row to name ``whole``: a leading article may be left out."""
    run = words(whole or "")
    return tuple(run[1:] if run[:1] in _ARTICLES and len(run) > 1 else run)


def _narrator_form(name: str) -> NarratorForm:
    run = words(name)
    return NarratorForm(tuple(run), frozenset(run), frozenset(words(" ".join(run[-1:]))))
