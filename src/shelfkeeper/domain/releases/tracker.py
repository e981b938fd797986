"""A private tracker (MyAnonamouse): its category numbers and the account standing the grab policy must respect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# MyAnonamouse's category numbers: the ids its search and its top lists take.
AUDIOBOOKS = 13  # main_cat: 13 audiobooks, 14 e-books, 15 musicology, 16 radio
# The audiobook sub-categories (main_cat 13), as Prowlarr's MyAnonamouse indexer defines them.
AUDIOBOOK_CATEGORIES: dict[int, str] = {
    39: "Action/Adventure", 49: "Art", 50: "Biographical", 83: "Business", 51: "Computer/Internet", 97: "Crafts",
    40: "Crime/Thriller", 41: "Fantasy", 106: "Food", 42: "General Fiction", 52: "General Non-Fic",
    98: "Historical Fiction", 54: "History", 55: "Home/Garden", 43: "Horror", 99: "Humor", 84: "Instructional",
    44: "Juvenile", 56: "Language", 45: "Literary Classics", 57: "Math/Science/Tech", 85: "Medical", 87: "Mystery",
    119: "Nature", 88: "Philosophy", 58: "Pol/Soc/Relig", 59: "Recreation", 46: "Romance", 47: "Science Fiction",
    53: "Self-Help", 89: "Travel/Adventure", 100: "True Crime", 108: "Urban Fantasy", 48: "Western", 111: "Young Adult",
}  # fmt: skip


@dataclass(frozen=True)
class TrackerStats:
    username: str
    user_class: str | None
    ratio: float | None
    uploaded_bytes: int | None
    downloaded_bytes: int | None
    bonus_points: float | None
    wedges: int | None
    vip_until: str | None = None


class PurchaseKind(StrEnum):
    """What a bonusBuy request spends: a wedge on a torrent, points on a wedge, points on upload credit."""

    APPLY_WEDGE = "apply_wedge"
    BUY_WEDGE = "buy_wedge"
    BUY_UPLOAD = "buy_upload"


@dataclass(frozen=True)
class BonusAnswer:
    """MAM's answer to a bonusBuy request: done, or refused with MAM's own words in ``error``."""

    success: bool
    error: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # what else MAM said (amount, seedbonus, ...)
