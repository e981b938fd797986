"""What one match may write: the work's fields from the same work, the edition's only from the same edition.

``plan_corrections`` takes a decided match and returns the field changes it may propose, the edition fields it was
refused with the named reason, and the repairs the match read past (a messy title, a wrong author field). The
correction job, the provider preview and the benchmark (``bench/matching_metadata.py``) all decide through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfkeeper.domain.metadata.distance import BookFacts, Reason
from shelfkeeper.domain.metadata.editions import special_edition_words
from shelfkeeper.domain.metadata.evidence import EditionEvidence, edition_evidence
from shelfkeeper.domain.metadata.fields import EDITION_FIELDS
from shelfkeeper.domain.metadata.matching import FieldChange, FieldPolicy, FieldValue, MatchResult, field_changes
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import normalize_language, strip_title_noise

# Open Library works gather every edition: they show no edition at all, so they only fill the work's description and
# genres. Google Books volumes are mostly print editions with no narrator or runtime: their edition fields pass only
# through the evidence rules (in practice: an ISBN from a record that is itself the audiobook).
SOURCE_POLICIES = {
    "google_books": FieldPolicy(),
    "audnexus": FieldPolicy(),
    "openlibrary": FieldPolicy(replace=frozenset(), fill=frozenset({"genres", "description"}), identifiers=False),
}
# Text in the candidate's own language: never taken from an edition in another language (a translation).
_LANGUAGE_BOUND = frozenset({"subtitle", "description", "genres"})
# A record that is the audio edition only by its own word (no narrator, runtime or identifier) supplies its ISBN alone.
_AUDIO_RECORD_FIELDS = frozenset({"isbn"})


@dataclass(frozen=True)
class CorrectionPlan:
    """The changes a match may propose, what it was refused and why, and the repairs it read past."""

    changes: tuple[FieldChange, ...]
    evidence: EditionEvidence
    withheld: tuple[str, ...] = ()
    withheld_reason: Reason | None = None
    repairs: tuple[Reason, ...] = ()

    def as_json(self) -> dict[str, object]:
        """What the API and ``extra.metadata_match`` show of it."""
        return {
            "same_edition": self.evidence.same,
            "edition_reasons": [r.as_json() for r in self.evidence.reasons],
            "withheld_fields": list(self.withheld),
            "withheld_reason": self.withheld_reason.as_json() if self.withheld_reason else None,
            "repairs": [r.as_json() for r in self.repairs],
        }


def _only_name_form(field: str, old: FieldValue, new: FieldValue) -> bool:
    """ "Corey, James S. A." -> "James S. A. Corey": the same people. Authors are keyed by their normalised name,
    so such a change could not be kept (nor reverted) in the database; it is not proposed."""
    if field not in ("authors", "narrators") or not isinstance(old, tuple) or not isinstance(new, tuple):
        return False
    return sorted(normalize_author(str(name)) for name in old) == sorted(normalize_author(str(name)) for name in new)


def _edition_words(title: str) -> bool:
    return bool(special_edition_words(title, None)) or strip_title_noise(title) != title.strip()


def plan_corrections(book: BookFacts, result: MatchResult, policy: FieldPolicy | None = None) -> CorrectionPlan:
    """The field changes of one match, with the edition-level ones kept only when the candidate is the same edition."""
    candidate = result.candidate
    evidence = edition_evidence(book, candidate)
    by_record_only = evidence.same and {r.code for r in evidence.reasons} == {"audio_record"}
    languages = normalize_language(book.language), normalize_language(candidate.language)
    other_language = bool(languages[0] and languages[1]) and languages[0] != languages[1]
    kept: list[FieldChange] = []
    withheld: list[str] = []
    repairs = result.score.repairs
    for change in field_changes(book, candidate, policy):
        refused = not evidence.same or (by_record_only and change.field not in _AUDIO_RECORD_FIELDS)
        if change.field in EDITION_FIELDS and refused:
            withheld.append(change.field)
            continue
        if change.field in _LANGUAGE_BOUND and other_language:
            withheld.append(change.field)
            continue
        if _only_name_form(change.field, change.old, change.new):
            continue
        if change.field == "title" and isinstance(change.new, str) and _edition_words(change.new):
            continue  # "Dune (Deluxe Edition)", "Dune (Unabridged)": the item keeps its own title
        if change.field in ("title", "authors") and repairs:
            codes = ", ".join(r.code for r in repairs)
            change = FieldChange(change.field, change.old, change.new, f"{change.reason} (repair: {codes})")
        kept.append(change)
    reason = None
    if withheld:
        why = "; ".join(r.message for r in evidence.reasons)
        reason = Reason(
            "edition_fields_withheld",
            f"{candidate.source} {candidate.source_id} is the work but not shown to be the item's edition ({why}): "
            f"{', '.join(withheld)} left as they are",
        )
    return CorrectionPlan(tuple(kept), evidence, tuple(withheld), reason, repairs)
