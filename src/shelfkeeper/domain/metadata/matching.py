"""Matching a library book to provider candidates: rank them, pick one, decide apply / review / reject, and why."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from shelfkeeper.domain.library.items import MetadataUpdate, SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import (
    BookFacts,
    Decision,
    MatchScore,
    MatchWeights,
    Penalty,
    Veto,
)
from shelfkeeper.domain.metadata.editions import edition_of
from shelfkeeper.domain.metadata.evidence import edition_evidence
from shelfkeeper.domain.metadata.fields import CORRECTABLE_FIELDS, IDENTIFIER_FIELDS
from shelfkeeper.domain.metadata.penalties import score
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import (
    normalize_asin,
    normalize_isbn,
    normalize_language,
    normalize_title,
    parse_position,
    series_key,
)

__all__ = [
    "BookFacts",
    "Decision",
    "FieldChange",
    "FieldPolicy",
    "MatchResult",
    "MatchScore",
    "MatchWeights",
    "Penalty",
    "Veto",
    "as_metadata_update",
    "choose",
    "decide",
    "field_changes",
    "item_key",
    "rank",
    "same_work",
    "score",
    "text_key",
]


@dataclass(frozen=True)
class MatchResult:
    """One candidate with its score, the decision taken for it and the reasons, most important first."""

    candidate: BookCandidate
    score: MatchScore
    decision: Decision
    reasons: tuple[str, ...]

    @property
    def confidence(self) -> float:
        """The candidate's total similarity, 0..1, as stored with each correction."""
        return self.score.total


def decide(match_score: MatchScore, weights: MatchWeights) -> tuple[Decision, tuple[str, ...]]:
    """The decision the thresholds give the total, lowered by any veto, with the reasons."""
    total = match_score.total
    shown = math.floor(total * 100) / 100  # never "0.70 is below 0.70" for 0.697
    if total >= weights.apply_at:
        decision, why = Decision.APPLY, f"similarity {shown:.2f} reaches the apply threshold {weights.apply_at:.2f}"
    elif total >= weights.review_at:
        decision, why = Decision.REVIEW, f"similarity {shown:.2f} is below the apply threshold {weights.apply_at:.2f}"
    else:
        decision, why = Decision.REJECT, f"similarity {shown:.2f} is below the review threshold {weights.review_at:.2f}"
    cap = match_score.cap
    if cap.rank < decision.rank:
        decision, why = cap, f"{why}, but vetoed down to {cap.value}"
    return decision, (why, *match_score.reasons)


def rank(book: BookFacts, candidates: Sequence[BookCandidate], weights: MatchWeights) -> list[MatchResult]:
    """Every candidate scored and decided on its own, best first: by decision, unvetoed first, then by similarity.

    Ties keep the given order, so the caller's provider preference (Google Books first) breaks them.
    """
    results = []
    for candidate in candidates:
        match_score = score(book, candidate, weights)
        decision, reasons = decide(match_score, weights)
        results.append(MatchResult(candidate, match_score, decision, reasons))
    # Among equally trusted matches the item's own edition comes first: it is the one whose edition fields may be used.
    same = {id(r): edition_evidence(book, r.candidate).same for r in results}
    return sorted(results, key=lambda r: (-r.decision.rank, -r.score.cap.rank, -same[id(r)], -r.score.total))


def choose(book: BookFacts, candidates: Sequence[BookCandidate], weights: MatchWeights) -> MatchResult | None:
    """The best candidate with its decision; APPLY also needs no other, different book nearly as good."""
    ranked = rank(book, candidates, weights)
    if not ranked:
        return None
    best = ranked[0]
    if best.decision is not Decision.APPLY:
        return best
    for rival in ranked[1:]:
        if rival.score.cap is not Decision.APPLY or same_work(best.candidate, rival.candidate):
            continue
        if _same_title_and_authors(best.candidate, rival.candidate) and not (
            edition_evidence(book, best.candidate).same and edition_evidence(book, rival.candidate).same
        ):
            continue  # another edition of the same work: its edition fields are never taken (see corrections.py)
        if rival.score.total >= best.score.total - weights.ambiguity_margin:
            why = (
                f"ambiguous: {rival.candidate.title!r} from {rival.candidate.source} "
                f"scores {rival.score.total:.2f} against {best.score.total:.2f}"
            )
            return MatchResult(best.candidate, best.score, Decision.REVIEW, (why, *best.reasons))
    return best


def same_work(left: BookCandidate, right: BookCandidate) -> bool:
    """Whether two candidates describe the same product, so that one cannot make the other ambiguous."""
    asins = normalize_asin(left.asin), normalize_asin(right.asin)
    isbns = normalize_isbn(left.isbn), normalize_isbn(right.isbn)
    if (asins[0] and asins[0] == asins[1]) or (isbns[0] and isbns[0] == isbns[1]):
        return True
    if asins[0] and asins[1]:
        return False  # two Audible products: different recordings or regions
    return (
        normalize_title(left.title) == normalize_title(right.title)
        and bool({normalize_author(a) for a in left.authors} & {normalize_author(a) for a in right.authors})
        and _compatible(_first_position(left), _first_position(right))
        and _compatible(normalize_language(left.language), normalize_language(right.language))
        and _edition(left) == _edition(right)
    )


def _same_title_and_authors(left: BookCandidate, right: BookCandidate) -> bool:
    return (
        normalize_title(left.title) == normalize_title(right.title)
        and bool({normalize_author(a) for a in left.authors} & {normalize_author(a) for a in right.authors})
        and _compatible(_first_position(left), _first_position(right))
    )


def _compatible(left: object, right: object) -> bool:
    return left is None or right is None or left == right


def _first_position(candidate: BookCandidate) -> object:
    for ref in candidate.series:
        position = parse_position(ref.sequence)
        if position is not None:
            return position
    return None


def _edition(candidate: BookCandidate) -> object:
    return edition_of(candidate.title, candidate.subtitle, candidate.format_type, candidate.narrators, candidate.series)


FieldValue = str | int | tuple[str, ...] | tuple[SeriesRef, ...] | None
_REPLACEABLE = frozenset({"title", "subtitle", "authors", "narrators", "series"})
_FILLABLE = frozenset({"publisher", "published_year", "language", "genres", "description"})
_FIELD_ORDER = tuple(name for name in CORRECTABLE_FIELDS if name not in IDENTIFIER_FIELDS)


@dataclass(frozen=True)
class FieldPolicy:
    """Which fields a correction may touch: ``replace`` when they differ, ``fill`` only when empty.

    ASIN and ISBN follow their own rule (see ``field_changes``) and are left alone when ``identifiers`` is off.
    """

    replace: frozenset[str] = _REPLACEABLE
    fill: frozenset[str] = _FILLABLE
    identifiers: bool = True


@dataclass(frozen=True)
class FieldChange:
    """One proposed change of one field of one book, with why it is proposed."""

    field: str
    old: FieldValue
    new: FieldValue
    reason: str


def field_changes(book: BookFacts, candidate: BookCandidate, policy: FieldPolicy | None = None) -> list[FieldChange]:
    """The per-field proposals that would bring the book in line with the candidate.

    Never blanks a field, never swaps a value for one that differs only in case or punctuation, never drops names
    from a list, and changes an existing ASIN or ISBN only when the other identifier agrees exactly (an empty one
    may be filled).
    """
    policy = policy or FieldPolicy()
    changes: list[FieldChange] = []
    for name in _FIELD_ORDER:
        if name not in policy.replace and name not in policy.fill:
            continue
        old: FieldValue = getattr(book, name)
        new: FieldValue = (
            _merged_series(book.series, candidate.series) if name == "series" else getattr(candidate, name)
        )
        if _is_empty(new) or _equivalent(name, old, new) or _loses_names(old, new):
            continue
        if _is_empty(old):
            changes.append(FieldChange(name, old, new, f"fill empty {name} from {candidate.source}"))
        elif name in policy.replace:
            changes.append(FieldChange(name, old, new, f"replace {name} with {candidate.source}'s"))
    if policy.identifiers:
        changes.extend(_identifier_changes(book, candidate))
    return changes


def _identifier_changes(book: BookFacts, candidate: BookCandidate) -> list[FieldChange]:
    asins = normalize_asin(book.asin), normalize_asin(candidate.asin)
    isbns = normalize_isbn(book.isbn), normalize_isbn(candidate.isbn)
    agrees = {"asin": bool(asins[0]) and asins[0] == asins[1], "isbn": bool(isbns[0]) and isbns[0] == isbns[1]}
    changes: list[FieldChange] = []
    for name, other, (ours, theirs) in (("asin", "isbn", asins), ("isbn", "asin", isbns)):
        old, new = getattr(book, name), getattr(candidate, name)
        if theirs is None or ours == theirs:
            continue
        if ours is None:
            changes.append(FieldChange(name, old, new, f"fill empty {name} from {candidate.source}"))
        elif agrees[other]:
            changes.append(FieldChange(name, old, new, f"replace {name}: the {other} agrees exactly"))
        # otherwise an existing identifier is never replaced by a weaker match
    return changes


def _merged_series(ours: tuple[SeriesRef, ...], theirs: tuple[SeriesRef, ...]) -> tuple[SeriesRef, ...]:
    """The candidate's series, keeping our positions it lacks, our series ids, and our series it does not name."""
    if not theirs:
        return ()
    merged: list[SeriesRef] = []
    for ref in theirs:
        mine = next((o for o in ours if series_key(o.name) == series_key(ref.name)), None)
        sequence = ref.sequence or (mine.sequence if mine else None)
        merged.append(SeriesRef(ref.name, sequence, mine.series_id if mine else None))
    named = {series_key(ref.name) for ref in theirs}
    merged.extend(o for o in ours if series_key(o.name) not in named)
    return tuple(merged)


def _is_empty(value: FieldValue) -> bool:
    return value is None or (
        isinstance(value, str | tuple) and not (value.strip() if isinstance(value, str) else value)
    )


def text_key(text: str) -> str:
    """Case, punctuation and spacing dropped, accents kept: "leviathan wakes" ~ "Leviathan Wakes!"."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _equivalent(name: str, old: FieldValue, new: FieldValue) -> bool:
    if old is None or new is None:
        return old is new
    if name == "language" and isinstance(old, str) and isinstance(new, str):
        return normalize_language(old) == normalize_language(new)
    if isinstance(old, str) and isinstance(new, str):
        return text_key(old) == text_key(new)
    if isinstance(old, tuple) and isinstance(new, tuple):
        return sorted(map(item_key, old)) == sorted(map(item_key, new))
    return old == new


def _loses_names(old: FieldValue, new: FieldValue) -> bool:
    """A name list that only drops some of ours ("King" for "King, Straub") is less, not a correction."""
    if not isinstance(old, tuple) or not isinstance(new, tuple):
        return False
    ours, theirs = set(map(item_key, old)), set(map(item_key, new))
    return theirs < ours


def item_key(item: str | SeriesRef) -> str:
    """A list item as compared: its ``text_key``; a series ``text_key`` joined to its parsed position."""
    if isinstance(item, SeriesRef):
        position = parse_position(item.sequence)
        return f"{text_key(item.name)}#{position}"
    return text_key(item)


def as_metadata_update(changes: Sequence[FieldChange]) -> MetadataUpdate:
    """The changes as one write-back to the library server; fields without a change stay ``None``."""
    values = {change.field: change.new for change in changes if change.field in _UPDATE_FIELDS}
    return MetadataUpdate(**values)  # type: ignore[arg-type]


_UPDATE_FIELDS = frozenset(CORRECTABLE_FIELDS)
