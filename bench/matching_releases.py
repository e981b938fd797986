"""Benchmark: are the right releases found, and never a wrong one? (``python -m bench.matching_releases``)

Every wanted book of a seeded corpus (bench/release_corpus.py, bench/release_styles.py) has a release list in the
styles of MyAnonamouse and of public indexers, with traps; the real code path ranks it (parse -> verify -> rank ->
best_release, default quality profile) and the pick is scored. ``run()`` gives the figures and a markdown section
(bench/matching.py puts it in docs/matching.md under "Releases").
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from typing import Any

from bench.release_corpus import Case, Generator
from bench.release_styles import right_releases, trap_releases
from shelfkeeper.domain.releases.ranking import QualityProfile, best_release, rank

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
        "per_class": {kind: dict(counter) for kind, counter in sorted(rows.items())},
        "wrong": wrong,
        "missed": missed,
    }


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
        "seeders, better formats and freeleech more often than the right releases.",
        "",
        f"- **Wrong picks: {figures['wrong_picks']}** (target 0)",
        f"- **Books with a right release answered with it: {figures['right_picks']} of "
        f"{figures['books_with_right_release']} ({share:.1%})** (target ≥ {TARGET_ANSWERED:.0%})",
        f"- Answered with another narrator's reading (the same book, not counted as right): "
        f"{figures['acceptable_picks']}; no answer although a right release was listed: {figures['no_answer']}",
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
