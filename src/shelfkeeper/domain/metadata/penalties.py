"""The named penalties: each compares one aspect of a library book and a candidate, some also veto."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import (
    BookFacts,
    Decision,
    MatchScore,
    MatchWeights,
    Penalty,
    Reason,
    Veto,
    describe,
    names_similarity,
    similarity,
)
from shelfkeeper.domain.metadata.editions import Edition, edition_label, edition_of, other_work_of
from shelfkeeper.domain.metadata.evidence import NARRATORS_AGREE, runtime_agrees
from shelfkeeper.domain.metadata.repair import author_field_problem, title_repairs
from shelfkeeper.domain.text import (
    fold,
    format_position_range,
    normalize_asin,
    normalize_isbn,
    normalize_language,
    normalize_title,
    parse_position,
    series_key,
    strip_leading_article,
    strip_title_noise,
    title_position,
)

Position = tuple[Decimal, Decimal]


def score(book: BookFacts, candidate: BookCandidate, weights: MatchWeights) -> MatchScore:
    """Compare one candidate with the book: every component both sides know, and the vetoes that apply."""
    identifiers, identifier_vetoes = _identifier_penalties(book, candidate, weights)
    confirmed = any(p.similarity == 1.0 for p in identifiers)
    title, repairs = _title_penalty(book, candidate, weights)
    problem = author_field_problem(book, candidate) if candidate.authors else None
    if problem is None:
        author, author_vetoes = _author_penalty(book, candidate, weights, confirmed)
    else:
        author, author_vetoes = None, _unreliable_author_vetoes(book, candidate, title, weights, confirmed, problem)
        repairs = (*repairs, problem)
    position, position_vetoes = _position_penalty(book, candidate, weights, confirmed)
    edition, edition_vetoes = _edition_penalty(book, candidate, weights, confirmed)
    language, language_vetoes = _language_penalty(book, candidate, weights, confirmed)
    narrator = _names_penalty("narrator", book.narrators, candidate.narrators, weights.narrator)
    penalties = [
        title,
        _subtitle_penalty(book, candidate, weights),
        author,
        narrator,
        _year_penalty(book.published_year, candidate.published_year, weights.year),
        _series_penalty(book.series, candidate.series, weights.series),
        position,
        edition,
        language,
        _duration_penalty(book.duration_seconds, candidate.duration_minutes, weights.duration),
        *identifiers,
    ]
    vetoes = [*identifier_vetoes, *author_vetoes, *position_vetoes, *edition_vetoes, *language_vetoes]
    vetoes.extend(_title_vetoes(title, weights, confirmed))
    vetoes.extend(_other_work_vetoes(book, candidate, confirmed))
    if narrator is not None and narrator.similarity < weights.narrator_apply_min:
        vetoes.append(Veto("narrator", Decision.REVIEW, f"another recording? {narrator.reason}"))
    if not candidate.authors and not confirmed:
        vetoes.append(Veto("evidence", Decision.REVIEW, "an author is missing on one side and no identifier confirms"))
    return MatchScore(tuple(p for p in penalties if p is not None), tuple(vetoes), tuple(repairs))


def _unreliable_author_vetoes(
    book: BookFacts, candidate: BookCandidate, title: Penalty, weights: MatchWeights, confirmed: bool, problem: Reason
) -> list[Veto]:
    """With no usable author field, the title, the narrators and the runtime must all agree to apply.

    A same-title book by another author, with another narrator or another runtime, is rejected outright.
    """
    if confirmed:
        return []
    runtime = runtime_agrees(book.duration_seconds, candidate.duration_minutes)
    narrators: bool | None = None
    if book.narrators and candidate.narrators:
        narrators = names_similarity(book.narrators, candidate.narrators) >= NARRATORS_AGREE
    elif problem.code == "author_is_narrator":
        narrators = True  # the item's "author" is the candidate's narrator
    if runtime is False or narrators is False:
        why = "runtime" if runtime is False else "narrators"
        return [Veto("evidence", Decision.REJECT, f"{problem.message}, and the {why} disagree: another book")]
    if title.similarity >= weights.title_apply_min and runtime and narrators:
        return []
    return [Veto("evidence", Decision.REVIEW, f"{problem.message}; title, narrators and runtime do not all confirm")]


def _other_work_vetoes(book: BookFacts, candidate: BookCandidate, confirmed: bool) -> list[Veto]:
    ours, theirs = other_work_of(book.title, book.subtitle), other_work_of(candidate.title, candidate.subtitle)
    if ours == theirs:
        return []
    shown = ", ".join(sorted(ours ^ theirs))
    cap = Decision.REVIEW if confirmed else Decision.REJECT
    return [Veto("other_work", cap, f"one side is a {shown}: {book.title!r} vs {candidate.title!r}")]


def _title_vetoes(title: Penalty, weights: MatchWeights, confirmed: bool) -> list[Veto]:
    if title.similarity < weights.title_reject_below and not confirmed:
        return [Veto("title", Decision.REJECT, f"title is a different book's ({title.similarity:.2f})")]
    if title.similarity < weights.title_apply_min:
        return [Veto("title", Decision.REVIEW, f"title differs too much to apply ({title.similarity:.2f})")]
    return []


def _title_variants(title: str, subtitle: str | None, series_names: Iterable[str]) -> dict[str, bool]:
    """The title as itself, with its subtitle, with known series names cut out, and before its colon.

    Each variant maps to whether it is only the part before a colon ("Star Wars" of "Star Wars: Thrawn"): two such
    fragments must never be compared with each other, or every "Star Wars: ..." would match every other.
    """
    variants = {normalize_title(title): False}
    if subtitle:
        variants.setdefault(normalize_title(f"{title}: {subtitle}"), False)
    names = {key for n in series_names for key in (series_key(n), strip_leading_article(fold(n)))}
    for name in sorted(names - {""}, key=len, reverse=True):
        for variant in list(variants):
            cut = _trim_joiners(f" {variant} ".replace(f" {name} ", " ", 1))
            if cut:
                variants.setdefault(cut, False)
    if ":" in title:
        variants.setdefault(normalize_title(title.split(":", 1)[0]), True)
    return {text: fragment for text, fragment in variants.items() if text}


def _trim_joiners(text: str) -> str:
    """ "and the chamber of secrets" -> "chamber of secrets" once "harry potter" was cut out; "01 leviathan wakes"
    -> "leviathan wakes" once "the expanse" was."""
    words = text.split()
    while words and (words[0] in _JOINERS or words[0].isdigit()):
        words.pop(0)
    while words and words[-1] in _JOINERS:
        words.pop()
    return " ".join(words)


_JOINERS = frozenset({"and", "the", "a", "an", "of", "book", "bk", "vol", "volume"})


def _title_penalty(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights
) -> tuple[Penalty, tuple[Reason, ...]]:
    names = [ref.name for ref in (*book.series, *candidate.series)]
    left = _title_variants(book.title, book.subtitle, names).items()
    right = _title_variants(candidate.title, candidate.subtitle, names).items()
    value = max((similarity(a, b) for a, a_cut in left for b, b_cut in right if not (a_cut and b_cut)), default=0.0)
    repairs = title_repairs(book.title) if value >= weights.title_apply_min else ()
    if value < weights.title_apply_min and _series_and_number(book, candidate):
        value = 1.0
        shown = f"{book.title!r} is {candidate.series[0].name} #{candidate.series[0].sequence}"
        repairs = (Reason("title_is_series_and_number", f"{shown}: {candidate.title!r}"),)
    return Penalty("title", value, weights.title, describe("title", book.title, candidate.title, value)), repairs


def _series_and_number(book: BookFacts, candidate: BookCandidate) -> bool:
    """ "Mistborn Book 1 (Unabridged)" for "The Final Empire", Mistborn #1: a title that is only series and number."""
    stated = title_position(book.title)
    if stated is None or not candidate.series:
        return False
    rest = series_key(strip_title_noise(book.title))
    for ref in candidate.series:
        if rest and rest == series_key(ref.name) and parse_position(ref.sequence) == stated:
            return True
    return False


def _subtitle_penalty(book: BookFacts, candidate: BookCandidate, weights: MatchWeights) -> Penalty | None:
    if not book.subtitle or not candidate.subtitle:
        return None
    names = {series_key(ref.name) for ref in (*book.series, *candidate.series)}
    left, right = normalize_title(book.subtitle), normalize_title(candidate.subtitle)
    if series_key(left) in names or series_key(right) in names:
        return None  # an Audible-style subtitle ("Mistborn, Book 1") is series data, scored as such
    value = similarity(left, right)
    return Penalty("subtitle", value, weights.subtitle, describe("subtitle", book.subtitle, candidate.subtitle, value))


def _names_penalty(name: str, left: Sequence[str], right: Sequence[str], weight: float) -> Penalty | None:
    if not left or not right:
        return None
    value = names_similarity(left, right)
    return Penalty(name, value, weight, describe(name, tuple(left), tuple(right), value))


def _author_penalty(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights, confirmed: bool
) -> tuple[Penalty | None, list[Veto]]:
    if book.authors and candidate.authors and _scripts_differ(book.authors, candidate.authors):
        # "刘慈欣" and "Cixin Liu" may be one person: not evidence either way, so a person decides.
        return None, [Veto("author", Decision.REVIEW, "author names are written in different scripts")]
    penalty = _names_penalty("author", book.authors, candidate.authors, weights.author)
    if penalty is None or penalty.similarity >= weights.author_apply_min:
        return penalty, []
    if penalty.similarity >= weights.author_reject_below:
        return penalty, [Veto("author", Decision.REVIEW, f"author only partly matches ({penalty.similarity:.2f})")]
    if confirmed:
        return penalty, [Veto("author", Decision.REVIEW, "author mismatch, but an identifier agrees")]
    return penalty, [Veto("author", Decision.REJECT, penalty.reason)]


def _scripts_differ(left: Sequence[str], right: Sequence[str]) -> bool:
    def latin(names: Sequence[str]) -> bool:
        return all(fold(n).replace(" ", "").isascii() for n in names)

    return latin(left) != latin(right)


def _year_penalty(left: int | None, right: int | None, weight: float) -> Penalty | None:
    if left is None or right is None:
        return None
    gap = abs(left - right)
    # Audio editions often come out a year or more after print, so small gaps cost little.
    value = {0: 1.0, 1: 0.8, 2: 0.6}.get(gap, 0.3 if gap <= 5 else 0.0)
    return Penalty("year", value, weight, describe("year", left, right, value))


def _best_series_pair(left: Sequence[SeriesRef], right: Sequence[SeriesRef]) -> tuple[float, SeriesRef, SeriesRef]:
    pairs = [(similarity(series_key(a.name), series_key(b.name)), a, b) for a in left for b in right]
    return max(pairs, key=lambda pair: pair[0])


def _series_penalty(left: Sequence[SeriesRef], right: Sequence[SeriesRef], weight: float) -> Penalty | None:
    if not left or not right:
        return None
    value, ours, theirs = _best_series_pair(left, right)
    return Penalty("series", value, weight, describe("series", ours.name, theirs.name, value))


def _positions(
    title: str, subtitle: str | None, series: Sequence[SeriesRef], other: Sequence[SeriesRef]
) -> Position | None:
    """The position in the series both sides share, else the one the title itself states."""
    if series and other:
        value, ours, _ = _best_series_pair(series, other)
        if value >= 0.85 and ours.sequence:
            return parse_position(ours.sequence)
    elif series and len(series) == 1 and series[0].sequence:
        return parse_position(series[0].sequence)
    return title_position(f"{title} {subtitle or ''}")


def _position_penalty(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights, confirmed: bool
) -> tuple[Penalty | None, list[Veto]]:
    ours = _positions(book.title, book.subtitle, book.series, candidate.series)
    theirs = _positions(candidate.title, candidate.subtitle, candidate.series, book.series)
    if ours is None or theirs is None:
        return None, _part_vetoes(book.title, candidate.title)
    shown = (format_position_range(ours), format_position_range(theirs))
    if ours == theirs:
        return Penalty("position", 1.0, weights.position, describe("series position", *shown, 1.0)), []
    penalty = Penalty("position", 0.0, weights.position, describe("series position", *shown, 0.0))
    cap = Decision.REVIEW if confirmed else Decision.REJECT
    return penalty, [Veto("position", cap, f"series position mismatch: {shown[0]} vs {shown[1]}")]


def _part_vetoes(ours: str, theirs: str) -> list[Veto]:
    """ "Dune" and "Dune: Part Two" normalise alike, but only one of them is a split volume."""
    parts = [_PART.search(ours), _PART.search(theirs)]
    if bool(parts[0]) == bool(parts[1]):
        return []
    return [Veto("part", Decision.REVIEW, f"only one title names a part or volume: {ours!r} vs {theirs!r}")]


_PART = re.compile(r"\b(part|pt|vol|volume|episode)\.?\s*#?\s*(\d|[ivx]+\b|one|two|three|four|five)", re.IGNORECASE)


def _edition_penalty(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights, confirmed: bool
) -> tuple[Penalty | None, list[Veto]]:
    ours = edition_of(book.title, book.subtitle, book.edition, book.narrators, book.series)
    theirs = edition_of(
        candidate.title, candidate.subtitle, candidate.format_type, candidate.narrators, candidate.series
    )
    if not ours and not theirs and not candidate.format_type and not book.edition:
        return None, []
    value = 1.0 if ours == theirs else 0.0
    penalty = Penalty(
        "edition", value, weights.edition, describe("edition", edition_label(ours), edition_label(theirs), value)
    )
    vetoes: list[Veto] = []
    if (Edition.OMNIBUS in ours) != (Edition.OMNIBUS in theirs):
        cap = Decision.REVIEW if confirmed else Decision.REJECT
        vetoes.append(Veto("omnibus", cap, f"omnibus or box set against a single book: {penalty.reason}"))
    if (Edition.ABRIDGED in ours) != (Edition.ABRIDGED in theirs):
        vetoes.append(Veto("abridged", Decision.REVIEW, f"abridged and unabridged editions differ: {penalty.reason}"))
    if (Edition.DRAMATIZED in ours) != (Edition.DRAMATIZED in theirs):
        vetoes.append(Veto("dramatized", Decision.REVIEW, f"a dramatized adaptation is not the book: {penalty.reason}"))
    return penalty, vetoes


def _language_penalty(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights, confirmed: bool
) -> tuple[Penalty | None, list[Veto]]:
    ours, theirs = normalize_language(book.language), normalize_language(candidate.language)
    if ours is None or theirs is None:
        return None, []
    value = 1.0 if ours == theirs else 0.0
    penalty = Penalty("language", value, weights.language, describe("language", ours, theirs, value))
    if value == 1.0:
        return penalty, []
    return penalty, [Veto("language", Decision.REVIEW if confirmed else Decision.REJECT, penalty.reason)]


def _duration_penalty(seconds: float | None, minutes: int | None, weight: float) -> Penalty | None:
    if not seconds or not minutes:
        return None
    ours, theirs = seconds / 60.0, float(minutes)
    ratio = min(ours, theirs) / max(ours, theirs)
    # Within 5% is the same recording; an abridged cut is often half the length or less.
    value = 1.0 if ratio >= 0.95 else max(0.0, (ratio - 0.5) / 0.45)
    shown = (f"{ours / 60:.1f} h", f"{theirs / 60:.1f} h")
    return Penalty("duration", value, weight, describe("duration", *shown, value))


def _identifier_penalties(
    book: BookFacts, candidate: BookCandidate, weights: MatchWeights
) -> tuple[list[Penalty], list[Veto]]:
    penalties: list[Penalty] = []
    vetoes: list[Veto] = []
    pairs = (
        ("asin", normalize_asin(book.asin), normalize_asin(candidate.asin), weights.asin, weights.asin_conflict),
        ("isbn", normalize_isbn(book.isbn), normalize_isbn(candidate.isbn), weights.isbn, weights.isbn_conflict),
    )
    for name, ours, theirs, agree_weight, conflict_weight in pairs:
        if ours is None or theirs is None:
            continue
        if ours == theirs:
            penalties.append(Penalty(name, 1.0, agree_weight, f"{name} match: exact {ours!r}"))
            continue
        reason = f"{name} conflict: {ours!r} vs {theirs!r}"
        penalties.append(Penalty(name, 0.0, conflict_weight, reason))
        if name == "asin":
            vetoes.append(Veto("asin", Decision.REVIEW, f"{reason}: another product"))
    return penalties, vetoes
