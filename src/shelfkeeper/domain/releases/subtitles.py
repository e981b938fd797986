"""When words after a colon or dash of a release title are only a subtitle the wanted record lacks.

"Homo Deus: A Brief History of Tomorrow" holds the wanted "Homo Deus"; "Artemis Fowl: The Arctic Incident",
"Homo Deus: Summary and Analysis", "Homo Deus: Eine kurze Geschichte von Morgen" and "The Hobbit: Deluxe
Anniversary Edition" do not. The rules lean to refusing: a refused subtitle costs one answer, an accepted
sequel costs a wrong grab.
"""

from __future__ import annotations

import re

from shelfkeeper.domain.text import fold

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
