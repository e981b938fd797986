"""When words after a colon or dash of a release title are only a subtitle the wanted record lacks.

"Homo Deus: A Brief History of Tomorrow" holds the wanted "Homo Deus"; "Artemis Fowl: The Arctic Incident",
"Homo Deus: Summary and Analysis", "Homo Deus: Eine kurze Geschichte von Morgen" and "The Hobbit: Deluxe
Anniversary Edition" do not. The rules lean to refusing: a refused subtitle costs one answer, an accepted
sequel costs a wrong grab.

When the book's subtitle is known (the wanted record's, or looked up from the providers by its ASIN) the
heuristic is not asked: a release's subtitle is the book's when it is the same (``same_subtitle``), and
another book's when it is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache

from shelfkeeper.domain.metadata.distance import similarity
from shelfkeeper.domain.names import initials_joined as words  # people.words, which imports parsing
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import fold, normalize_title

NUMBER_WORDS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)  # fmt: skip

# Words that make a "subtitle" another book or another edition: guides, adaptations, collections, editions.
_DECOY_LIST = """summary summaries study guide guides analysis workbook companion notes sparknotes cliffsnotes
    review reviews
    trivia quiz takeaways unofficial digest insights abridged condensed graphic comic comics manga illustrated
    dramatized dramatised dramatization dramatisation full cast radio play bbc adaptation adapted box boxed set
    omnibus collection collected complete trilogy duology series saga books deluxe anniversary edition special
    collector collectors expanded extended uncut revised updated uk british american australian canadian young
    readers children kids sequel prequel volume vol book part parts movie tie screenplay script lecture lectures
    course podcast episode translated translation retold parody tribute spanish german french italian cut drama
    broadcast preview sample excerpt print"""
DECOY_WORDS = frozenset(_DECOY_LIST.split())
# In a bracket group that looks like names, these words make it an edition note: "(US Version)".
GROUP_DECOY_WORDS = DECOY_WORDS | frozenset({"us", "version", "original", "remastered", "bonus", "exclusive", "new"})
# Function words of other languages: a subtitle holding them is a translation's ("Eine kurze Geschichte").
_FOREIGN_LIST = """der die das und eine einer eines ein von vom zum zur des dem den mit auf fur les une et du au
    aux le la
    el los las una y del il della degli di het een och en pa af fra til"""
FOREIGN_WORDS = frozenset(_FOREIGN_LIST.split())
# A short subtitle is taken only when it opens like a description ("A Brief History…"), not like a title.
_OPENERS = frozenset({"a", "an", "how", "why", "what", "when", "where", "who", "on", "from", "inside"})
_ROMAN = re.compile(r"^(?:x{0,2}(?:ix|iv|v?i{1,3}|v)|x{1,2})$")
_KIND_OF_BOOK = re.compile(r"^an? (?:\w+ ){0,3}(?:novel|novella|thriller|memoir|mystery|romance|story|fable)$")
MIN_WORDS = 4  # a subtitle of fewer words must open like a description
# Words two spellings of one subtitle may differ by: "The Expanse, Book 1" is "Expanse 1".
_SAME_IGNORES = frozenset({"the", "a", "an", "and", "of", "book", "bk", "vol", "volume", "no", "nr", "series"})
SAME_AT = 0.9  # folded similarity from which two subtitles are one (a typo, a dropped word of punctuation)


# Small words a title may gain or lose between editions without becoming another book.
GLUE_WORDS = frozenset({"the", "a", "an", "and", "by", "of"})


@lru_cache(maxsize=8192)  # the title pieces of a search's releases recur
def title_words(text: str) -> frozenset[str]:
    """A title's words that count: folded, without the small glue words."""
    return frozenset(w for w in words(normalize_title(text)) if w not in GLUE_WORDS)


def release_subtitle(segments: Sequence[str], required: AbstractSet[str]) -> str | None:
    """The words after the title in "Title: Subtitle" (one segment) or "Title - Subtitle" (the only two title
    segments), where ``required`` are the wanted title's words (``title_words``)."""
    found = None
    for text in segments:
        head, colon, tail = text.partition(":")
        if colon and tail.strip() and title_words(head) == required:
            found = tail.strip()
    if found is None and len(segments) == 2 and title_words(segments[0]) == required:
        found = segments[1]
    return found


def same_subtitle(found: str, known: str) -> bool:
    """Whether a release's subtitle is the book's known one: the same words once folded (number words as digits,
    small words and "Book"/"Vol." left out), or nearly the same text (a typo, a word dropped by an uploader)
    with the same numbers."""
    ours, theirs = _comparable(found), _comparable(known)
    if not ours or not theirs or _numbers(ours) != _numbers(theirs):
        return False  # "Saga, Book 3" is never "Saga, Book 1", however alike the rest
    return ours == theirs or similarity(" ".join(ours), " ".join(theirs)) >= SAME_AT


def _numbers(found: list[str]) -> list[str]:
    return [word for word in found if any(ch.isdigit() for ch in word) or _ROMAN.match(word)]


def _comparable(text: str) -> list[str]:
    folded = [str(NUMBER_WORDS.index(w) + 1) if w in NUMBER_WORDS else w for w in words(text)]
    return [w for w in folded if w not in _SAME_IGNORES]


def find_run(haystack: Sequence[str], needle: Sequence[str]) -> int:
    """Where ``needle`` starts as a run of whole words in ``haystack``; -1 when it is not there."""
    if not needle:
        return -1
    first, size = needle[0], len(needle)
    wanted = list(needle)
    for start in range(len(haystack) - size + 1):
        if haystack[start] == first and list(haystack[start : start + size]) == wanted:
            return start
    return -1


def subtitle_problem_in(
    found: str, required: AbstractSet[str], series_names: Sequence[str], authors: Sequence[str]
) -> str | None:
    """Why the words after the wanted title (its words ``required``) cannot be only its subtitle; None when they
    can. ``series_names`` are the wanted series' and the release's, ``authors`` the wanted authors."""
    if any(required <= set(words(name)) for name in series_names):
        return "the title is the series' name, the rest may be a volume's title"
    found_words = words(found)
    if required <= set(found_words):
        return "it holds the title again"  # "It - Stephen King, You Like It Darker"
    if any(find_run(found_words, words(normalize_author(author))) >= 0 for author in authors):
        return "it names the author again"
    return subtitle_problem(found)


@lru_cache(maxsize=4096)  # the same subtitles recur across the releases of a search
def subtitle_problem(subtitle: str) -> str | None:
    """Why these words cannot be only a subtitle of the wanted book; None when they can."""
    found = fold(subtitle).split()
    if not found:
        return "empty"
    if any(any(ch.isdigit() for ch in word) or word in NUMBER_WORDS or _ROMAN.match(word) for word in found):
        return "it holds a number"
    decoys = sorted({word for word in found if word in DECOY_WORDS})
    if decoys:
        return f"it names another book or edition ({', '.join(decoys)})"
    if any(word in FOREIGN_WORDS for word in found):
        return "it reads as another language"
    if _KIND_OF_BOOK.match(" ".join(found)):
        return None  # "A Memoir", "A Gripping Psychological Thriller"
    if len(found) < MIN_WORDS and not (len(found) == 3 and found[0] in _OPENERS):
        return "too short to tell from a sequel's title"
    return None
