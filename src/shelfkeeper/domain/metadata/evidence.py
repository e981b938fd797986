"""Whether a candidate is the same *edition* as the library book, on evidence, and the named reasons why or why not.

A work (its title, authors, series) has many editions: unabridged and abridged cuts, other narrators, dramatized
full-cast productions, box sets, translations, regional and deluxe releases. Their ASINs, ISBNs, narrators,
publishers, years and languages differ. An edition-level field is written only from a candidate that this module
calls the same edition: nothing contradicts it (narrators, runtime, abridged, dramatized, omnibus, language,
identifiers) and something positive confirms it (an identifier, the narrators, the runtime, or a record that is
itself the audio edition when it can show nothing else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts, Reason, names_similarity
from shelfkeeper.domain.metadata.editions import Edition, edition_label, edition_of, special_edition_words
from shelfkeeper.domain.text import normalize_asin, normalize_isbn, normalize_language

# Two files of one recording differ by seconds (intro, outro, encoder); a regional or deluxe release by minutes.
RUNTIME_TOLERANCE = 0.03
RUNTIME_SLACK_MINUTES = 3.0
NARRATORS_AGREE = 0.85
_AUDIO_RECORD = re.compile(r"\b(audio ?books?|audio ?cd|unabridged|audible audio|mp3 cd|narrated by)\b", re.IGNORECASE)


@dataclass(frozen=True)
class EditionEvidence:
    """The verdict on one candidate: the same edition or not, with every reason for and against."""

    same: bool
    reasons: tuple[Reason, ...]


def runtime_agrees(seconds: float | None, minutes: int | None) -> bool | None:
    """Whether the item's duration and the candidate's runtime are one recording's; None when one is unknown."""
    if not seconds or not minutes:
        return None
    ours = seconds / 60.0
    allowed = max(RUNTIME_SLACK_MINUTES, RUNTIME_TOLERANCE * max(ours, float(minutes)))
    return abs(ours - float(minutes)) <= allowed


def is_audio_record(candidate: BookCandidate) -> bool:
    """Whether a record that shows no narrator or runtime says itself that it is an audiobook edition."""
    marks = (str(candidate.extra.get("printType", "")), str(candidate.extra.get("format", "")))
    text = " ".join([candidate.title, candidate.subtitle or "", candidate.format_type or "", *candidate.genres, *marks])
    return bool(_AUDIO_RECORD.search(text))


def edition_evidence(book: BookFacts, candidate: BookCandidate) -> EditionEvidence:
    """Is ``candidate`` the book's own edition? Contradictions first; then one positive sign is needed."""
    against = _contradictions(book, candidate)
    support = _support(book, candidate)
    if against:
        return EditionEvidence(False, tuple(against))
    if not support:
        return EditionEvidence(
            False,
            (Reason("no_edition_evidence", f"{candidate.source} shows no narrator, runtime or identifier to compare"),),
        )
    return EditionEvidence(True, tuple(support))


def _contradictions(book: BookFacts, candidate: BookCandidate) -> list[Reason]:
    found: list[Reason] = []
    asins = normalize_asin(book.asin), normalize_asin(candidate.asin)
    if asins[0] and asins[1] and asins[0] != asins[1]:
        found.append(Reason("asin_differs", f"another product: ASIN {asins[1]} is not the item's {asins[0]}"))
    ours = edition_of(book.title, book.subtitle, book.edition, book.narrators, book.series)
    theirs = edition_of(candidate.title, candidate.subtitle, candidate.format_type, candidate.narrators, ())
    if Edition.OMNIBUS in theirs or Edition.OMNIBUS in ours:
        shown = edition_label(theirs)
        found.append(Reason("omnibus", f"an omnibus or box set is not a single book's edition ({shown})"))
    for marker, code in ((Edition.ABRIDGED, "abridged_differs"), (Edition.DRAMATIZED, "dramatized_differs")):
        if (marker in ours) != (marker in theirs):
            found.append(Reason(code, f"{edition_label(ours)} against {edition_label(theirs)}"))
    languages = normalize_language(book.language), normalize_language(candidate.language)
    if languages[0] and languages[1] and languages[0] != languages[1]:
        found.append(Reason("language_differs", f"a {languages[1]} edition of a {languages[0]} book"))
    if book.narrators and candidate.narrators:
        agreement = names_similarity(book.narrators, candidate.narrators)
        if agreement < NARRATORS_AGREE:
            shown = ", ".join(candidate.narrators)
            found.append(Reason("narrators_differ", f"another narrator's edition ({shown}, {agreement:.2f})"))
    runtime = runtime_agrees(book.duration_seconds, candidate.duration_minutes)
    if runtime is False and book.duration_seconds:
        hours = (book.duration_seconds / 3600, (candidate.duration_minutes or 0) / 60)
        found.append(Reason("runtime_differs", f"runtime {hours[1]:.1f} h against the item's {hours[0]:.1f} h"))
    special = special_edition_words(candidate.title, candidate.subtitle)
    if special and runtime is not True and not special_edition_words(book.title, book.subtitle):
        found.append(Reason("special_edition", f"a {special!r} edition whose runtime is not shown to agree"))
    return found


def _support(book: BookFacts, candidate: BookCandidate) -> list[Reason]:
    support: list[Reason] = []
    asin, isbn = normalize_asin(book.asin), normalize_isbn(book.isbn)
    if asin and asin == normalize_asin(candidate.asin):
        support.append(Reason("asin_agrees", f"the same product: ASIN {asin}"))
    if isbn and isbn == normalize_isbn(candidate.isbn):
        support.append(Reason("isbn_agrees", f"the same ISBN {isbn}"))
    if book.narrators and candidate.narrators:
        support.append(Reason("narrators_agree", f"narrated by {', '.join(candidate.narrators)}"))
    if runtime_agrees(book.duration_seconds, candidate.duration_minutes):
        minutes = candidate.duration_minutes or 0
        support.append(Reason("runtime_agrees", f"runtime {minutes / 60:.1f} h matches the item's"))
    has_evidence = candidate.narrators or candidate.duration_minutes or candidate.asin
    if not support and not has_evidence and is_audio_record(candidate):
        support.append(Reason("audio_record", f"the {candidate.source} record is itself the audiobook edition"))
    return support
