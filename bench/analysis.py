"""Benchmark: series-gap analysis over a 50,000-book library and ranking 1,000 releases, each beside a floor.

Gap analysis runs ``find_all_series_gaps`` (what the library owns, indexed once, against every provider entry of
every series the library has a book of). Its floor does the same comparison the simplest way: every key folded
once with ``domain.text.fold`` into sets, and each series' known positions minus the owned ones and the owned
titles. Ranking runs ``rank`` over 1,000 releases of one wanted book (about nine in ten titles distinct, the rest
the same upload listed by another indexer); its floor folds each title once and sorts
by seeders. Rounds alternate between the real thing and its floor; before each real round every cache of the domain
is cleared, as in a fresh process.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from datetime import date

from bench.asgi import load, median, percentile
from bench.library_data import FIRST, LAST, NOUNS, WORDS
from shelfkeeper.domain.discovery.ownership import OwnedBook, OwnedIndex
from shelfkeeper.domain.discovery.series_gaps import SeriesEntry, find_all_series_gaps
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.releases.ranking import QualityProfile, rank
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.domain.text import fold

TODAY = date(2026, 12, 7)
GAP_GOAL_S = 1.0
RANK_GOAL_S = 0.1


@dataclass(frozen=True)
class Figure:
    name: str
    size: str
    goal_s: float
    median_s: float
    p99_s: float
    floor_median_s: float
    floor_p99_s: float

    @property
    def ratio(self) -> float:
        return self.median_s / self.floor_median_s


@dataclass(frozen=True)
class AnalysisResult:
    figures: list[Figure]
    rounds: int
    load_before: str
    load_after: str


def library(books: int = 50_000, series: int = 8_600, seed: int = 2026) -> tuple[list[OwnedBook], list[SeriesEntry]]:
    """Owned books (60 % in a series, numbered with a few holes) and the providers' lists of those series."""
    rng = random.Random(seed)
    authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(6_000)]
    names = [f"{rng.choice(WORDS)} {rng.choice(NOUNS)} Saga {n}" for n in range(series)]
    series_author = [rng.choice(authors) for _ in names]
    next_position = [0] * series
    titles: dict[tuple[int, int], str] = {}
    owned: list[OwnedBook] = []
    for number in range(books):
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)} {number}"
        if rng.random() < 0.6:
            index = rng.randrange(series)
            next_position[index] += 1 + (rng.random() < 0.1)  # now and then a hole
            titles[(index, next_position[index])] = title
            ref = SeriesRef(names[index], str(next_position[index]))
            owned.append(OwnedBook(title, (series_author[index],), None, None, (ref,), "English"))
        else:
            owned.append(OwnedBook(title, (rng.choice(authors),), f"B{number:09d}", None, (), "English"))
    entries: list[SeriesEntry] = []
    for index, name in enumerate(names):
        for position in range(1, next_position[index] + 3):  # two more than owned: after-last gaps
            title = titles.get((index, position)) or f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {index}-{position}"
            entries.append(SeriesEntry(name, str(position), title, "audible", authors=(series_author[index],)))
            if rng.random() < 0.2:  # MAM lists some too, without authors
                entries.append(SeriesEntry(name, str(position), title, "mam"))
    return owned, entries


def gap_floor(owned: list[OwnedBook], entries: list[SeriesEntry]) -> dict[str, list[str]]:
    """Per series: known positions neither owned by position nor by title, every key folded once."""
    positions: dict[str, set[str]] = {}
    titles: set[tuple[str, str]] = set()
    for book in owned:
        folded = fold(book.title)
        for ref in book.series:
            key = fold(ref.name)
            positions.setdefault(key, set()).add(ref.sequence or "")
            titles.add((key, folded))
    missing: dict[str, list[str]] = {}
    for entry in entries:
        key = fold(entry.series)
        if key not in positions:
            continue
        if entry.position not in positions[key] and (key, fold(entry.title or "")) not in titles:
            missing.setdefault(key, []).append(entry.position or "")
    return missing


def releases(count: int = 1_000, seed: int = 7) -> tuple[WantedEdition, list[Release]]:
    rng = random.Random(seed)
    wanted = WantedEdition("The Final Empire", ("Brandon Sanderson",), series="Mistborn", position="1")
    forms = [
        "Brandon Sanderson - The Final Empire (Mistborn 1) [{fmt}] {rate}",
        "The Final Empire - Mistborn Book 1 - Brandon Sanderson {rate} {fmt}",
        "Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged] {fmt}",
        "{other} - {word} {noun} [{fmt}]",
        "Mistborn: The Final Empire (Dramatized Adaptation) {fmt}",
        "Brandon Sanderson - The Well of Ascension (Mistborn 2) {fmt} {rate}",
    ]
    found: list[Release] = []
    for number in range(count):
        if found and rng.random() < 0.1:  # the same upload seen on another indexer
            title = rng.choice(found).title
        else:  # mostly distinct titles: each upload has its own year or narrator
            title = rng.choice(forms).format(
                fmt=rng.choice(["m4b", "mp3", "M4B", "flac", "epub"]),
                rate=rng.choice(["64kbps", "128 kbps", "", "VBR"]),
                other=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                word=rng.choice(WORDS),
                noun=rng.choice(NOUNS),
            ) + rng.choice(
                [
                    f" ({rng.randint(2006, 2026)})",
                    f" {{{rng.choice(FIRST)} {rng.choice(LAST)}}}",
                    f" ({rng.randint(2006, 2026)}) {{{rng.choice(FIRST)} {rng.choice(LAST)}}}",
                ]
            )
        mam = rng.random() < 0.3
        found.append(
            Release(
                indexer="MyAnonamouse" if mam else rng.choice(["AudioBookBay", "Torrent Leech", "Nyaa"]),
                title=title,
                guid=f"guid-{number}",
                source="mam" if mam else "prowlarr",
                size_bytes=rng.randint(50, 3000) * 1024 * 1024,
                seeders=rng.randint(0, 300),
                info_hash=f"{number:040x}",
                authors=("Brandon Sanderson",) if mam else (),
                language="English" if mam else None,
                mam_id=number if mam else None,
            )
        )
    return wanted, found


def _cold() -> None:
    """Forget the keys cached by earlier rounds (every ``lru_cache`` of the domain): each round analyses the library
    as a fresh process would."""
    for name, module in list(sys.modules.items()):
        if name == "shelfkeeper.domain" or name.startswith("shelfkeeper.domain."):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def _timed(work: object) -> float:
    """Seconds of ``work``, started with the domain's caches empty; emptying them (freeing what the other work of the
    round cached) is not timed."""
    _cold()
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def run(rounds: int = 5) -> AnalysisResult:
    owned, entries = library()
    wanted, found = releases()
    profile = QualityProfile()
    series_count = len({entry.series for entry in entries})
    samples: dict[str, list[float]] = {"gaps": [], "gaps floor": [], "rank": [], "rank floor": []}
    work = {
        "gaps": lambda: find_all_series_gaps(OwnedIndex(owned), entries, today=TODAY),
        "gaps floor": lambda: gap_floor(owned, entries),
        "rank": lambda: rank(wanted, found, profile),
        "rank floor": lambda: sorted(found, key=lambda r: (-(r.seeders or 0), fold(r.title))),
    }
    load_before = load()
    for round_number in range(rounds):
        names = list(work) if round_number % 2 == 0 else list(reversed(work))
        for name in names:
            samples[name].append(_timed(work[name]))
    figures = [
        Figure(
            "series-gap analysis",
            f"{len(owned):,} books, {series_count:,} series, {len(entries):,} provider entries",
            GAP_GOAL_S,
            median(samples["gaps"]),
            percentile(samples["gaps"], 0.99),
            median(samples["gaps floor"]),
            percentile(samples["gaps floor"], 0.99),
        ),
        Figure(
            "ranking releases",
            f"{len(found):,} releases of one wanted book",
            RANK_GOAL_S,
            median(samples["rank"]),
            percentile(samples["rank"], 0.99),
            median(samples["rank floor"]),
            percentile(samples["rank floor"], 0.99),
        ),
    ]
    return AnalysisResult(figures, rounds, load_before, load())


def markdown(result: AnalysisResult) -> str:
    lines = [
        "## Analysis: series gaps and release ranking",
        "",
        f"bench/analysis.py, {result.rounds} interleaved rounds; load average (1/5/15 min) {result.load_before} "
        f"before, {result.load_after} after. Floors: gap analysis with every key folded once into sets and "
        "compared by position and title; ranking as one fold per title and a sort by seeders.",
        "",
        "| work | size | median s | p99 s | floor median s | floor p99 s | ratio | goal | goal met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in result.figures:
        met = "yes" if f.median_s < f.goal_s else "**no**"
        lines.append(
            f"| {f.name} | {f.size} | {f.median_s:.3f} | {f.p99_s:.3f} | {f.floor_median_s:.3f} | "
            f"{f.floor_p99_s:.3f} | {f.ratio:.1f}× | < {f.goal_s:g} s | {met} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m bench.analysis
    sys.stdout.write(markdown(run()))
