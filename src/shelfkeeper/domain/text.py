"""Normalising titles, author names and series positions so that equal books compare equal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from shelfkeeper.domain.case_blind import case_blind_lower

_LEADING_ARTICLES = frozenset({"the", "a", "an"})
# Words a series name may carry or drop ("The Expanse Series", "Mistborn Saga"): the one list of them.
SERIES_NOISE_WORDS = frozenset({"series", "saga", "cycle", "sequence", "chronicles", "trilogy", "books"})
# Letters that Unicode does not decompose into base + accent, spelled the way catalogues usually spell them.
_TRANSLITERATION = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d"}
    | {"Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i"}
)
_NUMBER_WORD_LIST = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: index for index, word in enumerate(_NUMBER_WORD_LIST.split())}
_ROMAN = re.compile(r"^(x{0,2})(ix|iv|v?i{0,3})$", re.IGNORECASE)
_ROMAN_VALUES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
# Digits, a number word or a roman numeral (the lookahead stops the roman part from matching nothing).
_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r"|(?=[ivx])x{0,2}(?:ix|iv|v?i{0,3}))"
_NUMBER_KEYWORD = r"(?:book|bk|vol|volume|part|episode|no|number)\.?\s*#?"
# A bracketed group is noise (edition, series, number) when it holds a digit or one of these words.
_BRACKETED = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]")
_BRACKET_NOISE = re.compile(
    r"\d|#|\b(unabridged|abridged|audio ?book|audible|retail|novel|novella|dramati[sz](ed|ation)|full[- ]cast|"
    r"edition|" + "|".join(sorted(SERIES_NOISE_WORDS)) + r"|book|vol|volume|part|box(ed)? ?set|omnibus)\b",
    re.IGNORECASE,
)
# "Leviathan Wakes: The Expanse, Book 1" / "A Game of Thrones - Book One of A Song of Ice and Fire"
_SERIES_SUBTITLE = re.compile(
    rf"\s*(?::|\s[\-–—])\s+(?:[^:]*?[,\s])?{_NUMBER_KEYWORD}\s*\b{_NUMBER}\b(?:\s+of\s+.*)?\s*$", re.IGNORECASE
)
_NOVEL_SUFFIX = re.compile(
    r"\s*(?::|\s[\-–—])\s*an?\s+(?:[\w'’\-]+\s+){0,3}(novel|novella|thriller|memoir|mystery|romance)\s*$",
    re.IGNORECASE,
)
_SEPARATED_NUMBER = re.compile(rf"\s*[,:;\-–—]\s*{_NUMBER_KEYWORD}\s*\b{_NUMBER}\b", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(rf"\s+{_NUMBER_KEYWORD}\s*\b{_NUMBER}\s*$", re.IGNORECASE)
_LEADING_NUMBER = re.compile(
    rf"^\s*(?:{_NUMBER_KEYWORD}\s*\b{_NUMBER}\b\s*[\-–—.:]|\d{{1,3}}\s*[\-–—.])\s+", re.IGNORECASE
)
_HASH_NUMBER = re.compile(r"\s*#\s*\d+(?:\.\d+)?")
_TRAILING_ARTICLE = re.compile(r"^(.*),\s*(the|a|an)$", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s]")
_POSITION_WORDS = re.compile(r"^(books?|bk|vol|volume|part|no|number|#)\.?\s*#?\s*", re.IGNORECASE)
_POSITION_OF_TOTAL = re.compile(r"\s+of\s+\d+\s*$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to|through|&|and|,\s)\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
_TITLE_POSITION = re.compile(
    rf"(?:\b(?:books?|bk|vol|volume|part)\.?\s*#?|#)\s*({_NUMBER}(?:\s*(?:-|–|—|to|through|&|and)\s*{_NUMBER})?)\b",
    re.IGNORECASE,
)
_LANGUAGES = {
    alias: code
    for code, aliases in {
        "en": "eng english",
        "de": "deu ger german deutsch",
        "fr": "fra fre french francais",
        "es": "spa spanish espanol castellano",
        "it": "ita italian italiano",
        "pt": "por portuguese portugues",
        "nl": "nld dut dutch nederlands",
        "sv": "swe swedish svenska",
        "no": "nor nob nno norwegian norsk",
        "da": "dan danish dansk",
        "fi": "fin finnish suomi",
        "pl": "pol polish polski",
        "ru": "rus russian",
        "zh": "zho chi chinese mandarin",
        "ja": "jpn japanese",
        "ko": "kor korean",
    }.items()
    for alias in (code, *aliases.split())
}


def fold(text: str) -> str:
    """Lower-case, strip Latin and Greek accents, turn punctuation into spaces and collapse whitespace.

    Other scripts are kept as they are ("刘慈欣" stays "刘慈欣"), since their marks distinguish letters.
    """
    if text.isascii():  # most titles: no marks to strip, nothing to transliterate, no curly apostrophe
        lowered = text.replace("&", " and ").replace("'", "").lower()
        if lowered.replace(" ", "").isalnum():  # ASCII letters and digits between spaces: no punctuation to drop
            return " ".join(lowered.split())
    else:
        no_marks = _without_marks(text).replace("&", " and ").replace("'", "").replace("’", "")
        lowered = no_marks.lower().translate(_TRANSLITERATION)
    # Whitespace runs as one space, the ends trimmed (str.split() splits on exactly what the regex "\s" matches).
    return " ".join(_NON_WORD.sub(" ", lowered).replace("_", " ").split())


@lru_cache(maxsize=16384)  # the same names and words with accents recur in the titles of a search
def _without_marks(text: str) -> str:
    # Transliterate after the decomposition too: compatibility forms decompose into letters like "œ" ("ꟹ").
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION)).translate(_TRANSLITERATION)
    bare = decomposed.translate(_LATIN_MARKS)
    if bare.isascii() and decomposed[:1] == bare[:1]:
        return bare  # accented Latin ("Brontë"): every mark follows an ASCII letter, and all of them go
    kept: list[str] = []
    base = ""
    for ch in decomposed:
        if unicodedata.combining(ch):
            if not _is_latin_or_greek(base):
                kept.append(ch)
            continue
        base = ch
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


# The combining marks of the "Combining Diacritical Marks" block (U+034F, the grapheme joiner, is none), removed.
_LATIN_MARKS = {point: None for point in range(0x0300, 0x0370) if unicodedata.combining(chr(point))}


def _is_latin_or_greek(ch: str) -> bool:
    if not ch:
        return False
    point = ord(ch)
    return point < 0x0250 or 0x0370 <= point < 0x0400 or 0x1E00 <= point < 0x2000


def strip_leading_article(folded: str) -> str:
    """Drop a leading "the", "a" or "an" from folded text, unless that is all there is."""
    first, _, rest = folded.partition(" ")
    return rest if rest and first in _LEADING_ARTICLES else folded


def move_trailing_article(title: str) -> str:
    """ "Hobbit, The" -> "The Hobbit"."""
    match = _TRAILING_ARTICLE.match(title.strip())
    if match:
        return f"{match.group(2)} {match.group(1)}"
    return title


def _names_a_number_keyword(low: str) -> bool:
    """Whether lower-cased ASCII text holds a word of _NUMBER_KEYWORD ("volume" holds "vol"), spelled out."""
    return (
        "book" in low
        or "bk" in low
        or "vol" in low
        or "part" in low
        or "no" in low
        or "number" in low
        or "episode" in low
    )


def strip_title_noise(title: str) -> str:
    """The title without edition notes, series suffixes, book numbers and "A Novel", still in its own case."""
    text = title
    # Each pattern needs a mark or a word (below), and none of them adds one: each replaces what it matched by a
    # space or leaves it, so a mark or word the title lacks is lacking after every step, and a pattern needing it is
    # not run. Words are looked for as a case-blind pattern sees them (the Kelvin sign "K" stands for "k").
    low = title.lower() if title.isascii() else case_blind_lower(title)  # no call for most titles
    keyword = _names_a_number_keyword(low)
    colon_or_dash = ":" in title or "-" in title or "–" in title or "—" in title
    if "(" in title or "[" in title:
        text = _BRACKETED.sub(lambda m: " " if _BRACKET_NOISE.search(m.group(1)) else m.group(0), text)
    if colon_or_dash:
        if keyword:
            text = _SERIES_SUBTITLE.sub(" ", text)
        if "novel" in low or "thriller" in low or "memoir" in low or "mystery" in low or "romance" in low:
            text = _NOVEL_SUFFIX.sub(" ", text)
    if colon_or_dash or "." in title:
        text = _LEADING_NUMBER.sub(" ", text)
    if keyword:
        if colon_or_dash or "," in title or ";" in title:
            text = _SEPARATED_NUMBER.sub(" ", text)
        text = _TRAILING_NUMBER.sub(" ", text)
    if "#" in text:
        text = _HASH_NUMBER.sub(" ", text)
    # Whitespace runs as one space, then the ends trimmed of spaces and separators.
    text = " ".join(text.split()).strip(" ,:;-–—")
    return move_trailing_article(text) if "," in text else text


@lru_cache(maxsize=32768)  # a library's titles are compared many times (gap analysis, matching)
def normalize_title(title: str) -> str:
    """A title reduced to what identifies the work: no edition noise, series suffix, book number, article."""
    if title.isascii():
        low = title.lower()
        bare = low.replace(" ", "")
        if bare.isalnum() and not _names_a_number_keyword(low):
            # ASCII letters and digits between spaces, no number keyword: no noise pattern applies (each needs a mark
            # or a keyword) and folding only lower-cases, so the title is its words, lower-cased, without an article.
            return strip_leading_article(" ".join(low.split()))
        if _inner_hyphens_only(low, bare) and not _names_a_number_keyword(low):
            # The same with hyphens inside words ("Spider-Man", "12-3"): a pattern needs a space beside its dash, a
            # keyword or another mark, the ends keep nothing to trim, and folding turns each hyphen into a space.
            return strip_leading_article(" ".join(low.replace("-", " ").split()))
    normalized = strip_leading_article(fold(strip_title_noise(title)))
    if normalized:
        return normalized
    # A title that is nothing but noise ("Book 1") is still better compared as itself than as "".
    return strip_leading_article(fold(move_trailing_article(title)))


def _inner_hyphens_only(low: str, bare: str) -> bool:
    """Whether lower-cased ASCII text (``bare`` without its spaces) is letters and digits between spaces, with hyphens
    only inside words: none at either end or beside a space."""
    return (
        "-" in bare
        and bare.replace("-", "").isalnum()
        and low[0] != "-"
        and low[-1] != "-"
        and " -" not in low
        and "- " not in low
    )


@lru_cache(maxsize=16384)  # one fold per name: gap analysis asks for the same few names over and over
def series_key(name: str) -> str:
    """A series name compared loosely: "The Expanse Series" and "Expanse" give "expanse"."""
    words = strip_leading_article(fold(name)).split()
    while len(words) > 1 and words[-1] in SERIES_NOISE_WORDS:
        words.pop()
    return " ".join(words)


@lru_cache(maxsize=4096, typed=True)  # a few labels ("1", "2", "Book 3"), read for every entry and release
def parse_position(raw: str | float | int | None) -> tuple[Decimal, Decimal] | None:
    """A series position as an inclusive range: "2" -> (2, 2), "1-3" -> (1, 3), "Book 1.5" -> (1.5, 1.5)."""
    if raw is None:
        return None
    text = _POSITION_WORDS.sub("", str(raw).strip()).strip()
    text = _POSITION_OF_TOTAL.sub("", text)  # "3 of 7"
    if not text:
        return None
    ranged = _RANGE.match(text)
    if ranged:
        low, high = Decimal(ranged.group(1)), Decimal(ranged.group(2))
        return (low, high) if low <= high else (high, low)
    value = _number_value(text.replace(",", ".") if re.fullmatch(r"\d+,\d+", text) else text)
    if value is None:
        return None
    return value, value


def _number_value(text: str) -> Decimal | None:
    lowered = text.strip().lower()
    if lowered in _NUMBER_WORDS:
        return Decimal(_NUMBER_WORDS[lowered])
    roman = _ROMAN.match(lowered)
    if roman and lowered:
        return Decimal(10 * len(roman.group(1)) + _ROMAN_VALUES.get(roman.group(2), 0))
    try:
        value = Decimal(lowered)
    except InvalidOperation:
        return None
    if value.is_nan() or value.is_infinite() or value < 0:
        return None
    return value


def title_position(title: str) -> tuple[Decimal, Decimal] | None:
    """The series position a title states itself ("Dune, Book 2", "Mistborn #3", "Books 1-3"), if any."""
    if "#" not in title:
        # Without "#" a position follows one of these words (as a case-blind pattern sees them).
        lowered = case_blind_lower(title)
        if "book" not in lowered and "bk" not in lowered and "vol" not in lowered and "part" not in lowered:
            return None
    found = None
    for match in _TITLE_POSITION.finditer(title):
        if match.group(1).strip():
            found = match.group(1)  # the last mention wins: "Part 1 of Book 3" is less common than the reverse
    if found is None:
        return None
    parts = re.split(r"\s*(?:-|–|—|to|through|&|and)\s*", found.strip(), flags=re.IGNORECASE)
    values = [_number_value(part) for part in parts if part]
    numbers = [value for value in values if value is not None]
    if not numbers or len(numbers) != len(values):
        return None
    return min(numbers), max(numbers)


@lru_cache(maxsize=1024)  # a few languages, asked for by every release
def normalize_language(value: str | None) -> str | None:
    """ "English", "eng", "en-US" -> "en"; an unknown language is folded; empty -> None."""
    if not value or not value.strip():
        return None
    folded = fold(value)
    primary = re.split(r"[\s_\-]", folded)[0]
    return _LANGUAGES.get(folded) or _LANGUAGES.get(primary) or folded


def is_language_word(word: str) -> bool:
    """True for a word that names a language: a code or a name ("de", "GER", "German", "Deutsch")."""
    if word.isalpha() and word.isascii():
        return word.lower() in _LANGUAGES  # ASCII letters alone: folding them only lower-cases them
    return fold(word) in _LANGUAGES


def normalize_isbn(value: str | None) -> str | None:
    """An ISBN as 13 digits ("0-441-01359-7" -> "9780441013593"); other text is kept, cleaned; empty -> None."""
    if not value:
        return None
    cleaned = re.sub(r"[^0-9Xx]", "", value).upper()
    if len(cleaned) == 10 and cleaned[:9].isdigit():
        body = "978" + cleaned[:9]
        check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
        return body + str(check)
    return cleaned or None


def normalize_asin(value: str | None) -> str | None:
    """An ASIN upper-cased and trimmed; empty -> None."""
    cleaned = (value or "").strip().upper()
    return cleaned or None


def format_position(value: Decimal) -> str:
    """2 -> "2", 1.50 -> "1.5"."""
    normalized = value.normalize()
    text = format(normalized, "f")
    return text


def format_positions(values: Iterable[Decimal]) -> list[str]:
    """``format_position`` of each value, in one call (a page of the completion summary writes some 150)."""
    return [format(value.normalize(), "f") for value in values]


def format_position_range(position: tuple[Decimal, Decimal]) -> str:
    """A position range as ``parse_position`` reads it: (2, 2) -> "2", (1, 3) -> "1-3", (1.50, 1.50) -> "1.5"."""
    low, high = (format_position(value) for value in position)
    return low if low == high else f"{low}-{high}"
