"""The fake MyAnonamouse's bonus store (``/json/bonusBuy.php``): wedges on torrents, wedges and upload credit
bought with points, MAM's known refusals, and switchable refusals for the tests.

Prices (UNVERIFIED, as the reference says): a wedge 50 000 points, upload credit 500 points per GB.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shelfkeeper.testing.fakes.mam import FakeMam

_GIB = 1024**3
UPLOAD_AMOUNTS = ("1", "2.5", "5", "20", "50", "100")
MAX_AFFORDABLE = "Max Affordable "
# The refusals the reference names, word for word; "not enough points" texts are UNVERIFIED.
VIP = "This Torrent is VIP"
ALREADY_PERSONAL = "This is already a personal freeleech"
FREELEECH_PICK = "Cannot spend FL Wedges on Freeleech Picks"
NO_WEDGES = "You do not have any FL Wedges"
NOT_ENOUGH_POINTS = "Not enough bonus points"


@dataclass
class BonusStore:
    mam: FakeMam
    wedge_price: int = 50_000
    upload_price_per_gb: int = 500
    refuse_with: str | None = None  # a switchable fault: every purchase is refused with this text
    refuse_times: int | None = None  # ... for this many purchases only (None: until cleared)
    purchases: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, **options: Any) -> None:
        for name, value in options.items():
            if name not in ("wedge_price", "upload_price_per_gb", "refuse_with", "refuse_times"):
                raise ValueError(f"unknown bonus store option {name!r}")
            setattr(self, name, value)

    def answer(self, query: dict[str, str]) -> dict[str, Any]:
        """The JSON MAM answers a bonusBuy request with: ``success`` and, on a refusal, ``error``."""
        with self._lock:
            kind = query.get("spendtype", "")
            forced = self._forced()
            if forced is not None:
                answer: dict[str, Any] = {"success": False, "error": forced}
            elif kind == "personalFL":
                answer = self._personal_fl(query.get("torrentid", ""))
            elif kind == "wedges" and query.get("source") == "points":
                answer = self._wedge_for_points()
            elif kind == "upload":
                answer = self._upload(query.get("amount", ""))
            else:
                answer = {"success": False, "error": "Invalid spendtype"}
            self.purchases.append({"spendtype": kind, **query, "answer": answer})
            return answer

    def _forced(self) -> str | None:
        if self.refuse_with is None:
            return None
        text = self.refuse_with
        if self.refuse_times is not None:
            self.refuse_times -= 1
            if self.refuse_times <= 0:
                self.refuse_with, self.refuse_times = None, None
        return text

    def _personal_fl(self, torrent_id: str) -> dict[str, Any]:
        torrent = self.mam.torrents.get(int(torrent_id)) if torrent_id.isdigit() else None
        if torrent is None:
            return {"success": False, "error": "Invalid torrent id"}
        refusal = (
            VIP if torrent.vip
            else ALREADY_PERSONAL if torrent.personal_freeleech
            else FREELEECH_PICK if torrent.free
            else NO_WEDGES if self.mam.user.wedges < 1
            else None
        )  # fmt: skip
        if refusal is not None:
            return {"success": False, "error": refusal}
        self.mam.user.wedges -= 1
        torrent.personal_freeleech = True
        return {"success": True, "type": "personalFL", "wedges": self.mam.user.wedges}

    def _wedge_for_points(self) -> dict[str, Any]:
        user = self.mam.user
        if user.seedbonus < self.wedge_price:
            return {"success": False, "error": NOT_ENOUGH_POINTS}
        user.seedbonus -= self.wedge_price
        user.wedges += 1
        return {"success": True, "type": "wedges", "wedges": user.wedges, "seedbonus": user.seedbonus}

    def _upload(self, amount_text: str) -> dict[str, Any]:
        user = self.mam.user
        if amount_text == MAX_AFFORDABLE:
            affordable = [a for a in UPLOAD_AMOUNTS if float(a) * self.upload_price_per_gb <= user.seedbonus]
            if not affordable:
                return {"success": False, "error": NOT_ENOUGH_POINTS}
            amount_text = affordable[-1]
        if amount_text not in UPLOAD_AMOUNTS:
            return {"success": False, "error": "Invalid amount"}
        amount = float(amount_text)
        cost = round(amount * self.upload_price_per_gb)
        if user.seedbonus < cost:
            return {"success": False, "error": NOT_ENOUGH_POINTS}
        user.seedbonus -= cost
        user.uploaded_bytes += round(amount * _GIB)
        if user.downloaded_bytes:
            user.ratio = round(user.uploaded_bytes / user.downloaded_bytes, 2)
        return {"success": True, "type": "upload", "amount": amount, "seedbonus": user.seedbonus}
