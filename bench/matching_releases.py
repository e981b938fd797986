"""Benchmark: are the right releases found, and never a wrong one? (``python -m bench.matching_releases``)

Every wanted book of a seeded corpus (bench/release_corpus.py, bench/release_styles.py) has a release list in the
styles of MyAnonamouse and of public indexers, with traps; the real code path ranks it (parse -> verify -> rank ->
best_release, default quality profile) and the pick is scored. ``run()`` gives the figures and a markdown section
(bench/matching.py puts it in docs/matching.md under "Releases").
"""

from __future__ import annotations

import random
import sys
from collections import Counter, defaultdict
from typing import Any

from bench.release_corpus import Case, Generator
from bench.release_styles import right_releases, trap_releases, uploader_releases
from shelfkeeper.domain.releases.ranking import QualityProfile, best_release, rank
from shelfkeeper.domain.releases.subtitles import subtitle_problem

SEED = 18
BOOKS = 600
NO_RIGHT_SHARE = 0.08  # books whose list holds only traps: the right answer is none
TARGET_ANSWERED = 0.97


def corpus(books: int = BOOKS, seed: int = SEED) -> list[Case]:
    """``books`` wanted books with their labelled release lists, the same for the same seed."""
    gen = Generator(seed)
    cases: list[Case] = []
    for _ in range(books):
        book = gen.book()
        case = Case(gen.wanted(book), book)
        if gen.rng.random() >= NO_RIGHT_SHARE:
            right_releases(gen, case)
        trap_releases(gen, case)
        gen.rng.shuffle(case.releases)
        for item in uploader_releases(gen, case):  # placed by their own stream: the rest stays as it was
            case.releases.insert(random.Random(item.release.title).randint(0, len(case.releases)), item)
        cases.append(case)
    return cases


def score(cases: list[Case]) -> dict[str, Any]:
    """Rank every case's releases and count, per class, right picks, wrong picks and books left without answer."""
    profile = QualityProfile()
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    wrong: list[dict[str, str]] = []
    missed: list[dict[str, Any]] = []
    for case in cases:
        ranked = rank(case.wanted, [item.release for item in case.releases], profile)
        best = best_release(ranked)
        picked = next((item for item in case.releases if best and item.release is best.release), None)
        classes = {item.kind for item in case.releases}
        outcome = _outcome(case, picked)
        totals["books"] += 1
        totals["with_right"] += case.has_right
        totals[outcome] += 1
        lookup = _lookup_kind(case)
        if lookup:
            totals[lookup] += 1
            totals[f"{lookup}_answered"] += outcome in ("right", "acceptable", "rightly_none")
        for kind in classes:
            rows[kind]["books"] += 1
            rows[kind]["with_right"] += case.has_right
            rows[kind][outcome] += 1
        if picked is not None and picked.label == "wrong":
            rows[picked.kind]["wrong_picks"] += 1
            wrong.append({"wanted": case.wanted.title, "picked": picked.release.title, "class": picked.kind})
        if case.has_right and outcome in ("no_answer", "acceptable"):
            rights = [item for item in ranked if _label(case, item.release) == "right"]
            missed.append(
                {
                    "wanted": case.wanted,
                    "outcome": outcome,
                    "right": [(r.release.title, r.reason_texts) for r in rights],
                }
            )
    answered = totals["right"] / totals["with_right"] if totals["with_right"] else 1.0
    return {
        "books": totals["books"],
        "books_with_right_release": totals["with_right"],
        "right_picks": totals["right"],
        "acceptable_picks": totals["acceptable"],
        "wrong_picks": len(wrong),
        "no_answer": totals["no_answer"],
        "answered_with_right_share": answered,
        "releases": sum(len(case.releases) for case in cases),
        "subtitle_lookup": {key: totals[key] for key in _LOOKUP_KEYS},
        "per_class": {kind: dict(counter) for kind, counter in sorted(rows.items())},
        "wrong": wrong,
        "missed": missed,
    }


_LOOKUP_KINDS = ("looked_up", "hard_looked_up", "lookup_failed", "none_at_provider")
_LOOKUP_KEYS = tuple(key for kind in _LOOKUP_KINDS for key in (kind, f"{kind}_answered"))


def _lookup_kind(case: Case) -> str | None:
    """How the search step's subtitle lookup went for a book with an ASIN (None: no ASIN)."""
    if case.book.asin is None:
        return None
    if case.wanted.subtitle is None:
        return "lookup_failed" if "failed" in (case.wanted.subtitle_note or "") else "none_at_provider"
    hard = subtitle_problem(case.wanted.subtitle) is not None
    return "hard_looked_up" if hard else "looked_up"


def _label(case: Case, release: object) -> str | None:
    return next((item.label for item in case.releases if item.release is release), None)


def _outcome(case: Case, picked: Any) -> str:
    if picked is None:
        return "no_answer" if case.has_right else "rightly_none"
    if picked.label == "wrong":
        return "wrong"
    return str(picked.label)  # "right" or "acceptable" (another narrator's reading)


def markdown(result: dict[str, Any]) -> str:
    """The "Releases" section of docs/matching.md, from what ``run`` gives."""
    return str(result["markdown"]) if "markdown" in result else _markdown(result, int(result.get("seed", SEED)))


def _markdown(figures: dict[str, Any], seed: int) -> str:
    share = figures["answered_with_right_share"]
    lines = [
        "## Releases",
        "",
        f"`python -m bench.matching_releases` (seed {seed}): {figures['books']} wanted books, "
        f"{figures['releases']} releases in MyAnonamouse items (read by the real adapter) and public-indexer titles; "
        f"{figures['books_with_right_release']} books have a right release among them, the others only traps. "
        "The real path decides: parse, verify, rank with the default quality profile, best release. Traps get more "
        "seeders, better formats and freeleech more often than the right releases. Half the wanted books without a "
        "series carry an ASIN; for those the search step's subtitle lookup is simulated (the book's subtitle, "
        "sometimes one the heuristic refuses, or none, or the providers down), and each whose subtitle was found "
        "gets a trap with the same main title and another subtitle (`other_subtitle`). For some books a right "
        "upload, and a trap (another edition, part, volume or book, or an edition or language word where the tag "
        "would stand), end in an uploader tag (`[StarLantern]`, `-JNoN`; class `uploader_tag`); for half of those "
        "books the tagged upload is the only right one listed. How subtitles and tags are judged: "
        "docs/acquisition.md.",
        "",
        f"- **Wrong picks: {figures['wrong_picks']}** (target 0)",
        f"- **Books with a right release answered with it: {figures['right_picks']} of "
        f"{figures['books_with_right_release']} ({share:.1%})** (target ≥ {TARGET_ANSWERED:.0%})",
        f"- Answered with another narrator's reading (the same book, not counted as right): "
        f"{figures['acceptable_picks']}; no answer although a right release was listed: {figures['no_answer']}",
        _lookup_line(figures["subtitle_lookup"]),
        "",
        "A book counts in every class its list holds (right-release styles and trap classes).",
        "",
        "| class | books | right picked | wrong picks | another narrator picked | no answer (a right release listed) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in figures["per_class"].items():
        lines.append(
            f"| {kind} | {row.get('books', 0)} | {row.get('right', 0)} | {row.get('wrong_picks', 0)} | "
            f"{row.get('acceptable', 0)} | {row.get('no_answer', 0)} |"
        )
    return "\n".join(lines) + "\n"


def _lookup_line(found: dict[str, int]) -> str:
    def shown(kind: str) -> str:
        return f"{found[kind]} (answered {found[f'{kind}_answered']})"

    return (
        "- Subtitle lookup by ASIN (the search step's, simulated: Audnexus's answer is the book's own subtitle): "
        f"a subtitle the heuristic would take {shown('looked_up')}, one it alone refuses {shown('hard_looked_up')}; "
        f"no subtitle at the provider {shown('none_at_provider')}; providers down, the heuristic alone "
        f"{shown('lookup_failed')}. Answered: the right release picked, or rightly none. Books without an ASIN are "
        "judged by the heuristic alone."
    )


def run(sample: int | None = None, seed: int = SEED) -> dict[str, Any]:
    """Generate, rank and score ``sample`` books (default 600); the figures and their markdown section."""
    books = sample or BOOKS
    figures = score(corpus(books, seed))
    figures["seed"] = seed
    figures["markdown"] = _markdown(figures, seed)
    return figures


def main() -> None:
    books = int(sys.argv[1]) if len(sys.argv) > 1 else None
    figures = run(books)
    sys.stdout.write(figures["markdown"])
    for wrong in figures["wrong"]:
        sys.stdout.write(f"WRONG: {wrong}\n")
    if "-v" in sys.argv:
        for miss in figures["missed"]:
            sys.stdout.write(f"MISSED: {miss}\n")


if __name__ == "__main__":
    main()
