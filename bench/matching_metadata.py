"""An adversarial corpus of messy library items and provider candidates, run through the real correction decision.

Deterministic (seeded): ``generate(count, seed)`` makes library items as a messy library holds them (titles with
"Book 1", "(Unabridged)", "A Novel", the series inside, "Martian, The"; no author, the narrator or the publisher in
the author field, "Last, First", names without their accents or in another order) and, for each, 3-6 candidates in a
shuffled order: usually the item's own edition (Audible/Audnexus style), often the print volume (Google Books style),
and the decoys of one trap class (same title by another author, sequel, first volume, omnibus, abridged, translation,
dramatized, graphic novel, study guide, another narrator's edition, regional and deluxe editions).

``run`` decides every item with the functions the correction job uses (``match_answers`` and ``proposals_for`` from
``automation/metadata_correction.py``, which call ``domain/metadata``) and counts, per class: wrong writes (an applied
value that is not the item's own: a field of another work, or an edition field of another edition), wrong edition
proposals (one waiting for review), items fixed, items left for review.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from shelfkeeper.automation.metadata_correction import match_answers, proposals_for
from shelfkeeper.automation.metadata_providers import ProviderAnswer
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts, Decision, MatchWeights
from shelfkeeper.domain.metadata.fields import EDITION_FIELDS
from shelfkeeper.domain.metadata.matching import item_key, text_key
from shelfkeeper.domain.metadata.repair import PUBLISHERS
from shelfkeeper.domain.names import normalize_author

TRAPS = (
    "none",
    "same_title_other_author",
    "sequel",
    "first_volume",
    "omnibus",
    "abridged",
    "translation",
    "dramatized",
    "graphic_novel",
    "study_guide",
    "other_narrator",
    "regional",
    "deluxe",
    "no_right_candidate",
)
MESSES = (
    "clean",
    "book_number",
    "unabridged_note",
    "a_novel",
    "series_in_title",
    "series_and_number_only",
    "missing_author",
    "narrator_as_author",
    "publisher_as_author",
    "last_first",
    "accents",
    "name_order",
    "trailing_article",
    "existing_asin",
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ADJECTIVES = _words(
    "Silent Hidden Broken Crimson Hollow Last Burning Frozen Golden Shattered Distant Wild Iron Pale "
    "Sunken Quiet Bitter Endless Lost Secret Ember Glass Winter Salt Black"
)
_NOUNS = _words(
    "Harbor Crown Empire Garden Mirror River Tower Orchard Lantern Compass Throne Forest Kingdom Voyage "
    "Storm City Archive Mountain Bridge Signal Covenant Circus Library Machine Station"
)
_FIRST = _words("Anna Brandon Chidi Dorothy Farah Gustav Hiroko Ivan Lena Mateo Nadia Oskar Priya Rosa Tomasz Uma")
_LAST = _words(
    "Abernathy Blackwood Castellano Dimitrov Eriksen Fairweather Grantham Holloway Ishikawa Jankowski "
    "Kowalczyk Lindqvist Montgomery Nakamura Okonkwo Pemberton Quintero Rasmussen Sutherland Thornton"
)
_NARRATOR_FIRST = _words("Michael Kate Scott Simon Julia Ray Emily Steven Rosalyn Luke January Travis Kristen")
_NARRATOR_LAST = _words("Kramer Reading Brick Vance Whelan Porter Woodward Pacey Landor Daniels LaVoy Baldree Potter")
# Names a library often holds without accents or in another order: (as the provider spells it, as the item does).
_ACCENTED = (
    ("Gabriel García Márquez", "Gabriel Garcia Marquez"),
    ("Jo Nesbø", "Jo Nesbo"),
    ("Stanisław Lem", "Stanislaw Lem"),
    ("Françoise Sagan", "Francoise Sagan"),
    ("Håkan Nesser", "Hakan Nesser"),
    ("Émile Zola", "Emile Zola"),
)
_REORDERED = (("Liu Cixin", "Cixin Liu"), ("Mo Yan", "Yan Mo"), ("Cixin Liu", "Liu Cixin"))
_GERMAN = {"The": "Der", "of": "des", "Silent": "Stille", "Crown": "Krone", "Empire": "Reich", "Garden": "Garten"}
_COMPANION_AUTHORS = ("Instaread", "QuickRead", "BookRags", "SuperSummary")
_PRINT_PUBLISHERS = ("Tor Books", "Orbit", "Del Rey", "Bantam", "Penguin Books", "Vintage")


@dataclass(frozen=True)
class Work:
    """The truth about one item: its work and its own edition."""

    title: str
    authors: tuple[str, ...]
    series: tuple[SeriesRef, ...]
    narrators: tuple[str, ...]
    runtime: int  # minutes
    asin: str
    isbn: str
    publisher: str
    year: int
    language: str
    description: str
    genres: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One library item, its candidates by provider, its truth and the classes it belongs to."""

    index: int
    trap: str
    mess: str
    item: BookFacts
    truth: Work
    candidates: tuple[BookCandidate, ...]
    fixable: bool  # the item's own edition is among the candidates


@dataclass
class Tally:
    items: int = 0
    fixable: int = 0
    fixed: int = 0
    review: int = 0
    wrong_writes: int = 0
    wrong_edition_proposals: int = 0
    examples: list[str] = field(default_factory=list)


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_titles: set[str] = set()
        self.serial = 0

    def title(self) -> str:
        while True:
            text = f"The {self.rng.choice(_ADJECTIVES)} {self.rng.choice(_NOUNS)}"
            if self.rng.random() < 0.4:
                text = f"{self.rng.choice(_NOUNS)} of the {self.rng.choice(_ADJECTIVES)} {self.rng.choice(_NOUNS)}"
            if text not in self.used_titles:
                self.used_titles.add(text)
                return text

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def narrator(self, *avoid: str) -> str:
        while True:
            name = f"{self.rng.choice(_NARRATOR_FIRST)} {self.rng.choice(_NARRATOR_LAST)}"
            if name not in avoid:
                return name

    def asin(self) -> str:
        self.serial += 1
        return f"B0{self.serial:08d}"

    def isbn(self) -> str:
        self.serial += 1
        return f"979{self.serial:010d}"

    def work(self, authors: tuple[str, ...] | None = None) -> Work:
        rng = self.rng
        series: tuple[SeriesRef, ...] = ()
        if rng.random() < 0.6:
            series = (
                SeriesRef(
                    f"The {rng.choice(_NOUNS)} {rng.choice(('Cycle', 'Saga', 'Chronicles', ''))}".strip(),
                    str(rng.randint(1, 7)),
                ),
            )
        title = self.title()
        return Work(
            title=title,
            authors=authors or (self.person(),),
            series=series,
            narrators=(self.narrator(),),
            runtime=rng.randint(240, 1900),
            asin=self.asin(),
            isbn=self.isbn(),
            publisher=rng.choice(PUBLISHERS[:20]),
            year=rng.randint(1995, 2025),
            language="en",
            description=f"The story of {title.lower()} ({self.serial}).",
            genres=(rng.choice(("Fantasy", "Science Fiction", "Mystery", "Thriller", "Literary Fiction")),),
        )


def _own_edition(work: Work, source_id: str | None = None) -> BookCandidate:
    ref = work.series[0] if work.series else None
    return BookCandidate(
        source="audnexus",
        source_id=source_id or work.asin,
        title=work.title,
        subtitle=f"{ref.name}, Book {ref.sequence}" if ref and len(work.description) % 2 else None,
        authors=work.authors,
        narrators=work.narrators,
        series=work.series,
        asin=work.asin,
        isbn=work.isbn,
        publisher=work.publisher,
        published_year=work.year,
        language=work.language,
        genres=work.genres,
        description=work.description,
        duration_minutes=work.runtime,
        format_type="unabridged",
    )


def _print_volume(maker: _Maker, work: Work) -> BookCandidate:
    return BookCandidate(
        source="google_books",
        source_id=f"gb-{maker.isbn()}",
        title=work.title,
        authors=work.authors,
        isbn=maker.isbn(),
        publisher=maker.rng.choice(_PRINT_PUBLISHERS),
        published_year=work.year - maker.rng.randint(0, 5),
        language=work.language,
        genres=work.genres,
        description=work.description,
    )


def _decoys(maker: _Maker, trap: str, work: Work) -> list[BookCandidate]:
    rng = maker.rng
    edition = _own_edition(work)
    other_runtime = int(work.runtime * rng.choice((0.6, 0.75, 1.3, 1.6)))
    narrator = maker.narrator(*work.narrators)
    base = replace(edition, asin=maker.asin(), isbn=maker.isbn(), narrators=(narrator,), duration_minutes=other_runtime)
    base = replace(base, source_id=base.asin or "")  # another edition of the same work: same description
    another_book = f"Another book ({maker.serial})."
    if trap == "same_title_other_author":
        other = maker.work()
        return [
            replace(base, authors=other.authors, series=other.series, genres=other.genres, description=another_book)
        ]
    if trap in ("sequel", "first_volume"):
        ref = work.series[0] if work.series else SeriesRef(f"The {rng.choice(_NOUNS)} Saga", "2")
        position = int(ref.sequence or 1)
        other_position = position + 1 if trap == "sequel" else 1 if position > 1 else 2
        found = replace(base, title=maker.title(), series=(SeriesRef(ref.name, str(other_position)),))
        found = replace(found, description=another_book)
        return [replace(found, narrators=work.narrators)]
    if trap == "omnibus":
        name = work.series[0].name if work.series else f"The {rng.choice(_NOUNS)} Trilogy"
        box = replace(base, title=f"{name}: Books 1-3", series=(SeriesRef(name, "1-3"),), narrators=work.narrators)
        box = replace(box, description=another_book)
        return [replace(box, duration_minutes=work.runtime * 3)]
    if trap == "abridged":
        return [replace(base, format_type="abridged", duration_minutes=int(work.runtime * 0.4))]
    if trap == "translation":
        words = [_GERMAN.get(word, word) for word in work.title.split()]
        title = " ".join(words) if rng.random() < 0.5 else work.title
        return [replace(base, title=title, language="de", description="Eine Geschichte.", publisher="Hörbuch Hamburg")]
    if trap == "dramatized":
        drama = replace(base, title=f"{work.title}: A Full-Cast Dramatization", narrators=("Full Cast", narrator))
        drama = replace(drama, description=f"A dramatization ({maker.serial}).")
        return [replace(drama, format_type="dramatized", publisher="Graphic Audio")]
    if trap == "graphic_novel":
        volume = _print_volume(maker, work)
        volume = replace(volume, description=f"The graphic novel ({maker.serial}).")
        return [replace(volume, title=f"{work.title}: The Graphic Novel", authors=(*work.authors, maker.person()))]
    if trap == "study_guide":
        guide = replace(base, title=f"Summary of {work.title}", authors=(rng.choice(_COMPANION_AUTHORS),))
        guide = replace(guide, description=another_book)
        return [replace(guide, duration_minutes=rng.randint(30, 70), series=())]
    if trap == "other_narrator":
        return [base]
    if trap == "regional":
        uk = replace(base, narrators=work.narrators if rng.random() < 0.5 else (narrator,))
        return [replace(uk, duration_minutes=int(work.runtime * rng.choice((0.88, 1.12))))]
    if trap == "deluxe":
        label = rng.choice(("Deluxe Edition", "10th Anniversary Edition", "Special Edition"))
        deluxe = replace(base, title=f"{work.title} ({label})", narrators=work.narrators)
        return [replace(deluxe, duration_minutes=int(work.runtime * rng.choice((1.1, 1.25))))]
    return []


def _messy_item(maker: _Maker, mess: str, work: Work) -> tuple[BookFacts, Work]:
    rng = maker.rng
    title = work.title
    authors: tuple[str, ...] = work.authors
    truth = work
    ref = work.series[0] if work.series else None
    if mess == "book_number" and ref:
        title = rng.choice((f"{title}, Book {ref.sequence}", f"{title} ({ref.name} #{ref.sequence})"))
    elif mess == "unabridged_note":
        title = f"{title} (Unabridged)"
    elif mess == "a_novel":
        title = f"{title}: A Novel"
    elif mess == "series_in_title" and ref:
        title = rng.choice(
            (f"{ref.name} {int(ref.sequence or 1):02d} - {title}", f"{ref.name} {ref.sequence}: {title}")
        )
    elif mess == "series_and_number_only" and ref:
        title = f"{ref.name} Book {ref.sequence} (Unabridged)"
    elif mess == "missing_author":
        authors = ()
    elif mess == "narrator_as_author":
        authors = work.narrators
    elif mess == "publisher_as_author":
        authors = (work.publisher,)
    elif mess == "last_first":
        first, _, last = work.authors[0].rpartition(" ")
        authors = (f"{last}, {first}",)
    elif mess in ("accents", "name_order"):
        proper, written = rng.choice(_ACCENTED if mess == "accents" else _REORDERED)
        truth = replace(work, authors=(proper,))
        authors = (written,)
    elif mess == "trailing_article" and title.startswith("The "):
        title = f"{title[4:]}, The"
    duration = truth.runtime * 60 * rng.uniform(0.995, 1.005)
    narrators = truth.narrators if (mess != "narrator_as_author" and rng.random() < 0.75) else ()
    if mess in ("missing_author", "publisher_as_author"):
        # The evidence that replaces the author is title + narrator + runtime: without a narrator, a person decides.
        narrators = truth.narrators if rng.random() < 0.85 else ()
    if narrators and rng.random() < 0.2:
        first, _, last = narrators[0].rpartition(" ")
        narrators = (f"{last}, {first}",)  # as some taggers write them
    item = BookFacts(
        title=title,
        authors=authors,
        narrators=narrators,
        series=truth.series if rng.random() < 0.4 else (),
        asin=truth.asin if mess == "existing_asin" else None,
        language=rng.choice((None, "en", "English")),
        duration_seconds=duration,
    )
    return item, truth


def generate(count: int = 600, seed: int = 18) -> list[Case]:
    """``count`` cases; every trap class and every messy class appears, in a fixed pseudo-random order."""
    maker = _Maker(seed)
    cases = []
    for index in range(count):
        trap = TRAPS[index % len(TRAPS)]
        mess = MESSES[(index // len(TRAPS) + index) % len(MESSES)]
        work = maker.work()
        item, truth = _messy_item(maker, mess, work)
        candidates = _decoys(maker, trap, truth)
        if trap == "sequel" or maker.rng.random() < 0.4:
            candidates += _decoys(maker, maker.rng.choice(TRAPS[1:-1]), truth)
        fixable = trap != "no_right_candidate"
        if fixable:
            candidates.append(_own_edition(truth))
        else:
            candidates += _decoys(maker, "same_title_other_author", truth) + _decoys(maker, "abridged", truth)
        if maker.rng.random() < 0.6:
            candidates.append(_print_volume(maker, truth))
        while len(candidates) < 3:
            candidates += _decoys(maker, "same_title_other_author", truth)
        maker.rng.shuffle(candidates)
        cases.append(Case(index, trap, mess, item, truth, tuple(candidates[:6]), fixable))
    return cases


# ---- judging -------------------------------------------------------------------------------------------------


def _truth_value(truth: Work, name: str) -> Any:
    return {
        "title": truth.title,
        "authors": truth.authors,
        "narrators": truth.narrators,
        "series": truth.series,
        "asin": truth.asin,
        "isbn": truth.isbn,
        "publisher": truth.publisher,
        "published_year": truth.year,
        "language": truth.language,
        "description": truth.description,
        "genres": truth.genres,
    }.get(name)


def _right(name: str, value: Any, truth: Work) -> bool:
    expected = _truth_value(truth, name)
    if name == "subtitle":
        ref = truth.series[0] if truth.series else None
        return bool(ref) and text_key(str(value)) == text_key(f"{ref.name}, Book {ref.sequence}")
    if name == "authors":
        return {normalize_author(a) for a in value} == {normalize_author(a) for a in expected}
    if name == "series":
        return sorted(map(item_key, value)) == sorted(map(item_key, expected))
    if name == "language":
        return str(value).lower() in ("en", "english", "eng")
    if isinstance(value, tuple):
        return sorted(map(text_key, value)) == sorted(map(text_key, expected))
    if isinstance(value, str):
        return text_key(value) == text_key(str(expected))
    return bool(value == expected)


def judge(case: Case, weights: MatchWeights) -> tuple[str, int, int, list[str]]:
    """(outcome "fixed" / "review" / "wrong", wrong writes, wrong edition proposals, what went wrong)."""
    by_source: dict[str, list[BookCandidate]] = {}
    for candidate in case.candidates:
        by_source.setdefault(candidate.source, []).append(candidate)
    answers = [ProviderAnswer(source, tuple(found)) for source, found in by_source.items()]
    matches = match_answers(case.item, answers, weights)
    proposals = proposals_for(case.item, matches)
    applied = {p.field: p.new for p in proposals if p.decision is Decision.APPLY}
    wrong = [f"{name}={value!r}" for name, value in applied.items() if not _right(name, value, case.truth)]
    edition_wrong = [
        p
        for p in proposals
        if p.decision is not Decision.APPLY and p.field in EDITION_FIELDS and not _right(p.field, p.new, case.truth)
    ]
    if wrong:
        return "wrong", len(wrong), len(edition_wrong), wrong
    after = {name: applied.get(name, getattr(case.item, name)) for name in ("title", "authors", "asin")}
    fixed = case.fixable and all(_right(name, value, case.truth) for name, value in after.items() if value)
    fixed = fixed and bool(after["authors"]) and bool(after["asin"])
    return ("fixed" if fixed else "review"), 0, len(edition_wrong), [f"{p.field}={p.new!r}" for p in edition_wrong]


def run(sample: int | None = None, seed: int = 18) -> dict[str, Any]:
    """Decide every case; per trap class and per messy class: items, fixable, fixed, review, wrong writes."""
    weights = MatchWeights()
    tallies: dict[str, dict[str, Tally]] = {"trap": {}, "mess": {}}
    cases = generate(sample or 600, seed)
    for case in cases:
        outcome, wrong, edition_wrong, notes = judge(case, weights)
        for kind, name in (("trap", case.trap), ("mess", case.mess)):
            tally = tallies[kind].setdefault(name, Tally())
            tally.items += 1
            tally.fixable += case.fixable
            tally.fixed += outcome == "fixed"
            tally.review += outcome == "review"
            tally.wrong_writes += wrong
            tally.wrong_edition_proposals += edition_wrong
            if (wrong or edition_wrong) and len(tally.examples) < 3:
                tally.examples.append(f"#{case.index} {case.item.title!r}: {', '.join(notes)}")
    totals = Counter[str]()
    for tally in tallies["trap"].values():
        totals.update(
            items=tally.items,
            fixable=tally.fixable,
            fixed=tally.fixed,
            review=tally.review,
            wrong_writes=tally.wrong_writes,
            wrong_edition_proposals=tally.wrong_edition_proposals,
        )
    fixable = totals["fixable"]
    return {
        "items": len(cases),
        "candidates": sum(len(case.candidates) for case in cases),
        "totals": dict(totals),
        "fixed_share": round(totals["fixed"] / fixable, 4) if fixable else 1.0,
        "by_trap": {name: vars(tally) for name, tally in tallies["trap"].items()},
        "by_mess": {name: vars(tally) for name, tally in tallies["mess"].items()},
    }


def markdown(result: dict[str, Any]) -> str:
    """The section of docs/matching.md."""
    totals = result["totals"]
    lines = [
        "## Metadata corrections",
        "",
        f"{result['items']} messy library items with {result['candidates']} provider candidates "
        "(bench/matching_metadata.py, seeded), decided by the correction job's own functions. "
        "A *wrong write* is an applied value that is not the item's own (another work's field, or an edition field "
        "of another edition: print ISBN, abridged cut, dramatization, translation, another narrator, box set, "
        "regional or deluxe release). *Fixed*: every applied value right and the item ends with its right title, "
        "author(s) and ASIN. *Review*: nothing wrong written, the rest left to a person.",
        "",
        f"**Targets: 0 wrong writes (hard), at least 95 % of fixable items fixed.** This run: "
        f"{totals['wrong_writes']} wrong writes, {totals['wrong_edition_proposals']} wrong edition proposals "
        f"waiting for review, {totals['fixed']} of {totals['fixable']} fixable items fixed "
        f"({result['fixed_share']:.1%}), {totals['review']} left for review.",
        "",
    ]
    for title, key in (("By trap class (the decoys among the candidates)", "by_trap"), ("By messy class", "by_mess")):
        lines += [f"### {title}", "", "| class | items | fixable | fixed | review | wrong writes | wrong proposals |"]
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for name, row in result[key].items():
            lines.append(
                f"| {name} | {row['items']} | {row['fixable']} | {row['fixed']} | {row['review']} | "
                f"{row['wrong_writes']} | {row['wrong_edition_proposals']} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(run(), indent=1)[:6000] + "\n")
