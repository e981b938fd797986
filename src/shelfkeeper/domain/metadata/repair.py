"""Repairing messy library items: what is wrong with a title or an author field, named, and what to search for.

Libraries ripped, imported or tagged by hand carry "Mistborn Book 1 (Unabridged)" as a title, no author, the
narrator or the publisher in the author field, "Sanderson, Brandon", "Martian, The", "Jo Nesbo". Titles are cleaned
by ``domain/text.py`` (``strip_title_noise``); this module says which repair a title needed and whether the author
field can be trusted as evidence at all. When it cannot, only the title, the narrators and the runtime agreeing let a
candidate through (``penalties.score``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts, Reason, names_similarity
from shelfkeeper.domain.names import display_name, normalize_author
from shelfkeeper.domain.text import fold, strip_title_noise

# Publishers and studios that taggers put in the author field. Compared folded, and also as the start of the field
# ("Recorded Books, Inc.", "Tantor Media", "Podium Publishing"). Any author equal to the candidate's publisher counts.
PUBLISHERS: tuple[str, ...] = (
    "Recorded Books",
    "Audible Studios",
    "Audible Originals",
    "Brilliance Audio",
    "Brilliance Publishing",
    "Tantor",
    "Tantor Media",
    "Tantor Audio",
    "Podium",
    "Podium Audio",
    "Podium Publishing",
    "Blackstone",
    "Blackstone Audio",
    "Blackstone Publishing",
    "Macmillan Audio",
    "HarperAudio",
    "Harper Audio",
    "HarperCollins",
    "Penguin Random House Audio",
    "Random House Audio",
    "Penguin Audio",
    "Listening Library",
    "Hachette Audio",
    "Simon & Schuster Audio",
    "Graphic Audio",
    "GraphicAudio",
    "Dreamscape Media",
    "Audible Inc",
    "BBC Audio",
    "Naxos AudioBooks",
    "Oakhill Publishing",
    "Highbridge Audio",
    "Scribd Originals",
    "LibriVox",
)
_PUBLISHER_KEYS = frozenset(fold(name).replace(" ", "") for name in PUBLISHERS)
_COMPANY_SUFFIX = re.compile(r"\s*,?\s*\b(inc|llc|ltd|limited|media|publishing|audio|studios?)\.?\s*$", re.IGNORECASE)
_EDITION_NOTE = re.compile(r"[\(\[][^\)\]]*\b(un)?abridged\b[^\)\]]*[\)\]]|\b(un)?abridged\b", re.IGNORECASE)
_BOOK_NUMBER = re.compile(
    r"(?:\b(?:book|bk|vol|volume|part)\.?\s*#?|#)\s*(\d+|[ivx]+|one|two|three|four|five)\b", re.IGNORECASE
)
_A_NOVEL = re.compile(r"[:\-–—]\s*an?\s+(?:[\w'’\-]+\s+){0,3}novel(la)?\s*$", re.IGNORECASE)
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an)\s*$", re.IGNORECASE)


def is_publisher(name: str, candidate_publisher: str | None = None) -> bool:
    """Whether an author-field name is a publisher or studio: on the list, or the candidate's own publisher."""
    key = fold(name).replace(" ", "")
    if not key:
        return False
    bare = fold(_COMPANY_SUFFIX.sub("", name)).replace(" ", "")
    if key in _PUBLISHER_KEYS or (bare and bare in _PUBLISHER_KEYS):
        return True
    if candidate_publisher:
        theirs = fold(candidate_publisher).replace(" ", "")
        theirs_bare = fold(_COMPANY_SUFFIX.sub("", candidate_publisher)).replace(" ", "")
        return key in (theirs, theirs_bare) or (bool(bare) and bare in (theirs, theirs_bare))
    return False


def author_field_problem(book: BookFacts, candidate: BookCandidate) -> Reason | None:
    """Why the item's author field cannot serve as evidence against this candidate, or None when it can.

    Empty; every name a publisher or studio; or the names are the candidate's narrators and not its authors.
    """
    if not book.authors:
        return Reason("author_missing", "the item has no author")
    if all(is_publisher(name, candidate.publisher) for name in book.authors):
        return Reason("author_is_publisher", f"the author field holds a publisher ({', '.join(book.authors)})")
    narrated = candidate.narrators and _same_people(book.authors, candidate.narrators)
    if narrated and names_similarity(book.authors, candidate.authors) < 0.5:
        return Reason("author_is_narrator", f"the author field holds the narrator ({', '.join(book.authors)})")
    return None


def _same_people(left: Sequence[str], right: Sequence[str]) -> bool:
    def keys(names: Sequence[str]) -> set[str]:
        return {" ".join(sorted(normalize_author(name).split())) for name in names}

    ours = keys(left)
    return bool(ours) and ours <= keys(right)


def title_repairs(title: str) -> tuple[Reason, ...]:
    """What the title carried besides the work's own title, each a named repair."""
    found: list[Reason] = []
    if _EDITION_NOTE.search(title):
        found.append(Reason("title_edition_note", f"edition note in the title {title!r}"))
    if _BOOK_NUMBER.search(title):
        found.append(Reason("title_book_number", f"series number in the title {title!r}"))
    if _A_NOVEL.search(title):
        found.append(Reason("title_a_novel", f"'A Novel' in the title {title!r}"))
    if _TRAILING_ARTICLE.search(title):
        found.append(Reason("title_trailing_article", f"article moved to the end of {title!r}"))
    cleaned = strip_title_noise(title)
    if not found and fold(cleaned) != fold(title):
        found.append(Reason("title_noise", f"{title!r} searched as {cleaned!r}"))
    return tuple(found)


def search_title(title: str) -> str:
    """The title to search for: without edition notes, book numbers, "A Novel"; underscores read as spaces."""
    text = title.replace("_", " ")
    return strip_title_noise(text) or text.strip()


def search_author(authors: Sequence[str]) -> str | None:
    """The first author that is a person (not a publisher), in reading order; None when there is none."""
    for name in authors:
        if name.strip() and not is_publisher(name):
            return display_name(name)
    return None
