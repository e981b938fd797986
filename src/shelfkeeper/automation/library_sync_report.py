"""What one library sync did: the counts its Task shows, the requests it made, the times that move its watermark."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shelfkeeper.automation.run_context import JobResult
from shelfkeeper.domain.library.items import LibraryItem
from shelfkeeper.domain.library.sync import ModeDecision
from shelfkeeper.services.library_sync import ItemFailure

COUNT_NAMES = ("seen", "created", "updated", "unchanged", "removed", "restored", "errors")


@dataclass
class SyncReport:
    """What one sync did: the counts the Task shows, the requests made and the times that move the watermark."""

    decision: ModeDecision
    counts: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    libraries: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    newest_seen: datetime | None = None
    oldest_failed: datetime | None = None
    watermark: datetime | None = None
    series_renamed: int = 0
    formats_read: int = 0

    def saw(self, items: Sequence[LibraryItem], older: Sequence[tuple[str, datetime]] = ()) -> None:
        self.counts["seen"] += len(items) + len(older)
        times = [item.updated_at for item in items if item.updated_at is not None] + [time for _, time in older]
        if times and (self.newest_seen is None or max(times) > self.newest_seen):
            self.newest_seen = max(times)

    def failed(self, failures: Sequence[ItemFailure]) -> None:
        times = [f.item.updated_at for f in failures if f.item.updated_at is not None]
        if times and (self.oldest_failed is None or min(times) < self.oldest_failed):
            self.oldest_failed = min(times)

    def result(self) -> JobResult:
        counts = {name: int(self.counts.get(name, 0)) for name in COUNT_NAMES}
        metrics: dict[str, Any] = {
            "mode": self.decision.mode.value,
            "reason": self.decision.reason,
            "since": self.decision.since.isoformat() if self.decision.since else None,
            "libraries": self.libraries,
            "requests": dict(self.requests),
            "next_watermark": self.watermark.isoformat() if self.watermark else None,
            "series_renamed": self.series_renamed,
            "formats_read": self.formats_read,
        }
        if self.notes:
            metrics["notes"] = self.notes
        return JobResult(counts=counts, metrics=metrics)
