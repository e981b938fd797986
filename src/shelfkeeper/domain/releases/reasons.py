"""The named reasons for and against a release, and a verification's verdict built from them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """The stable machine names of the reasons for and against a release (the API shows them as ``code``)."""

    ABRIDGED = "abridged"
    AGE = "age"  # usenet: how long ago the post was made
    ASIN_MATCH = "asin_match"
    AUTHOR_MATCH = "author_match"
    AUTHOR_MISMATCH = "author_mismatch"
    AUTHOR_MISSING = "author_missing"
    BITRATE = "bitrate"
    BLOCKLISTED = "blocklisted"
    EBOOK = "ebook"
    FORBIDDEN_WORD = "forbidden_word"
    FORMAT = "format"
    FREELEECH = "freeleech"
    GRABS = "grabs"  # usenet: how often the NZB was downloaded (in place of seeders)
    LANGUAGE = "language"
    LANGUAGE_MISMATCH = "language_mismatch"
    MAM_RATIO = "mam_ratio"
    NARRATOR = "narrator"
    NARRATOR_GROUP = "narrator_group"
    OTHER_NAMES = "other_names"
    PACK = "pack"  # a series pack: which wanted books it covers
    PACK_CHOICE = "pack_choice"  # why a pack was (or was not) grabbed instead of single books
    PACK_NOT_USABLE = "pack_not_usable"  # another series, no series named, volumes unknown, too few wanted
    PARTIAL = "partial"
    PREFERRED_NARRATOR = "preferred_narrator"
    PREFERRED_WORD = "preferred_word"
    SEEDERS = "seeders"
    SIZE = "size"
    SUBTITLE = "subtitle"
    SUBTITLE_KNOWN = "subtitle_known"
    SUBTITLE_MISMATCH = "subtitle_mismatch"
    TITLE_AS_SERIES = "title_as_series"
    TITLE_EXTRA_WORDS = "title_extra_words"
    TITLE_MATCH = "title_match"
    TITLE_MISSING_WORDS = "title_missing_words"
    UNABRIDGED = "unabridged"
    UPLOADER_TAG = "uploader_tag"
    VIP = "vip"
    VOLUME_MATCH = "volume_match"
    WEDGE = "wedge"
    WRONG_VOLUME = "wrong_volume"


@dataclass(frozen=True)
class Reason:
    """One named, signed contribution to a decision: "format m4b (+30)" or "seeders 0 < minimum 1 (rejected)"."""

    code: ReasonCode  # stable machine name, e.g. "format", "title_extra_words"
    text: str  # what a person reads
    points: int = 0
    rejects: bool = False

    def __init__(self, code: ReasonCode, text: str, points: int = 0, rejects: bool = False) -> None:
        # made for most releases (size, seeders): one dict update, not one object.__setattr__ call per field
        self.__dict__.update(code=code, text=text, points=points, rejects=rejects)

    def __str__(self) -> str:
        return f"{self.text} (rejected)" if self.rejects else f"{self.text} ({self.points:+d})"


@dataclass(frozen=True)
class Verification:
    """Whether a release is the wanted book, with every named reason for and against."""

    accepted: bool
    reasons: tuple[Reason, ...]

    def __init__(self, accepted: bool, reasons: tuple[Reason, ...]) -> None:
        self.__dict__.update(accepted=accepted, reasons=reasons)  # made for every release: see Reason

    @property
    def rejections(self) -> tuple[Reason, ...]:
        """The reasons that reject the release (empty when accepted)."""
        return tuple(reason for reason in self.reasons if reason.rejects)
