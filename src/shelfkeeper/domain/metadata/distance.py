"""The distance between a library book and a candidate: named weighted penalties, vetoes, weights, decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.names import NAME_SUFFIXES, normalize_author


class Decision(StrEnum):
    """What to do with a match: write it, ask a person, or drop it."""

    APPLY = "apply"
    REVIEW = "review"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        """Higher is more trusting: REJECT 0, REVIEW 1, APPLY 2."""
        return {"reject": 0, "review": 1, "apply": 2}[self.value]


@dataclass(frozen=True)
class MatchWeights:
    """Weights of the named penalties and the decision thresholds; the app builds it from its settings."""

    title: float = 3.0
    subtitle: float = 0.5
    author: float = 3.0
    narrator: float = 1.0
    year: float = 0.5
    series: float = 1.0
    position: float = 1.5
    asin: float = 4.0
    asin_conflict: float = 4.0
    isbn: float = 3.0
    # Print, e-book and audio editions carry different ISBNs, so a differing ISBN is only weak evidence.
    isbn_conflict: float = 1.0
    edition: float = 2.0
    language: float = 1.0
    duration: float = 1.0
    apply_at: float = 0.90
    review_at: float = 0.70
    ambiguity_margin: float = 0.05
    title_apply_min: float = 0.85
    title_reject_below: float = 0.60
    author_apply_min: float = 0.85
    author_reject_below: float = 0.50
    narrator_apply_min: float = 0.50

    def __post_init__(self) -> None:
        negative = [name for name, value in vars(self).items() if value < 0]
        if negative:
            raise ValueError(f"weights and thresholds cannot be negative: {', '.join(negative)}")
        above_one = [name for name in _SHARES if getattr(self, name) > 1.0]
        if above_one:
            raise ValueError(f"need thresholds of at most 1: {', '.join(above_one)}")
        for low, high in _ORDERED:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"need {low} ({getattr(self, low)}) <= {high} ({getattr(self, high)})")


_SHARES = (
    "apply_at",
    "review_at",
    "ambiguity_margin",
    "title_apply_min",
    "title_reject_below",
    "author_apply_min",
    "author_reject_below",
    "narrator_apply_min",
)
_ORDERED = (
    ("review_at", "apply_at"),
    ("title_reject_below", "title_apply_min"),
    ("author_reject_below", "author_apply_min"),
)


@dataclass(frozen=True)
class BookFacts:
    """What the library knows of one book, as matching and corrections need it."""

    title: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    asin: str | None = None
    isbn: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    language: str | None = None
    genres: tuple[str, ...] = ()
    description: str | None = None
    duration_seconds: float | None = None
    edition: str | None = None  # "unabridged", "abridged", "dramatized", "omnibus" when known

    @classmethod
    def from_item(cls, item: LibraryItem) -> BookFacts:
        """The facts of a library server item; its ``extra["abridged"]`` flag, when true, marks the edition."""
        return cls(
            title=item.title,
            subtitle=item.subtitle,
            authors=item.authors,
            narrators=item.narrators,
            series=item.series,
            asin=item.asin,
            isbn=item.isbn,
            publisher=item.publisher,
            published_year=item.published_year,
            language=item.language,
            genres=item.genres,
            description=item.description,
            duration_seconds=item.duration_seconds,
            edition="abridged" if item.extra.get("abridged") is True else None,
        )


@dataclass(frozen=True)
class Penalty:
    """One named component of the score: its similarity (0..1), its weight and a sentence for people."""

    name: str
    similarity: float
    weight: float
    reason: str

    @property
    def loss(self) -> float:
        """How much weight this component failed to earn."""
        return self.weight * (1.0 - self.similarity)


@dataclass(frozen=True)
class Reason:
    """A named, explainable reason: ``code`` is stable for programs, ``message`` is for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Veto:
    """A rule that caps the decision whatever the total, with its reason."""

    name: str
    cap: Decision
    reason: str


@dataclass(frozen=True)
class MatchScore:
    """All the penalties and vetoes of one candidate; ``total`` is the weighted similarity, 0..1."""

    penalties: tuple[Penalty, ...]
    vetoes: tuple[Veto, ...] = ()
    repairs: tuple[Reason, ...] = ()  # what was wrong with the item and how the match read past it

    @property
    def total(self) -> float:
        """Weighted mean similarity over the components both sides know; 0 when nothing could be compared."""
        weight = sum(p.weight for p in self.penalties)
        if weight <= 0:
            return 0.0
        return sum(p.weight * p.similarity for p in self.penalties) / weight

    @property
    def cap(self) -> Decision:
        """The most trusting decision the vetoes still allow."""
        return min((v.cap for v in self.vetoes), key=lambda d: d.rank, default=Decision.APPLY)

    def penalty(self, name: str) -> Penalty | None:
        """The named component, when it was scored."""
        return next((p for p in self.penalties if p.name == name), None)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Veto reasons first, then the repairs, then every component, the costliest first."""
        ranked = sorted(self.penalties, key=lambda p: -p.loss)
        repairs = tuple(str(r) for r in self.repairs)
        return tuple(v.reason for v in self.vetoes) + repairs + tuple(p.reason for p in ranked)


def similarity(left: str, right: str) -> float:
    """Similarity of two normalised strings, 0..1, insensitive to word order.

    token_set_ratio is avoided on purpose: it scores "dune" against "dune messiah" as identical.
    """
    if not left or not right:
        return 0.0
    return max(fuzz.ratio(left, right), fuzz.token_sort_ratio(left, right)) / 100.0


def name_similarity(left: str, right: str) -> float:
    """Similarity of two person names, 0..1; names that share no surname score at most 0.4.

    Character similarity alone rates "Jane Doe" and "James S. A. Corey" 0.55 and "Stephen King" and "Stephen Fry"
    0.70; people are told apart by their surname, so one side's last word must appear on the other side.
    """
    ours, theirs = normalize_author(left), normalize_author(right)
    value = similarity(ours, theirs)
    if value >= 0.95 or not ours or not theirs:
        return value
    if _shares_surname(ours.split(), theirs.split()) or _shares_surname(theirs.split(), ours.split()):
        return value
    return min(value, _UNRELATED_NAMES)


_UNRELATED_NAMES = 0.4


def _shares_surname(ours: list[str], theirs: list[str]) -> bool:
    words = [w for w in ours if w not in NAME_SUFFIXES] or ours
    return any(similarity(words[-1], word) >= 0.85 for word in theirs)


def names_similarity(left: Sequence[str], right: Sequence[str]) -> float:
    """How well two name lists agree: the better of each side's mean best match, so co-authors may be missing."""

    def coverage(ours: Sequence[str], theirs: Sequence[str]) -> float:
        return sum(max(name_similarity(o, t) for t in theirs) for o in ours) / len(ours)

    if not left or not right:
        return 0.0
    return max(coverage(left, right), coverage(right, left))


def describe(name: str, left: object, right: object, value: float) -> str:
    """ "author mismatch: 'Stephen King' vs 'Joe Hill' (0.31)"."""
    verdict = "match" if value >= 0.95 else "close" if value >= 0.8 else "mismatch"
    return f"{name} {verdict}: {_show(left)} vs {_show(right)} ({value:.2f})"


def _show(value: object) -> str:
    if isinstance(value, tuple | list):
        return repr(", ".join(str(v) for v in value))
    return repr(value)
