"""Clocks for tests: a monotonic clock that only sleeping moves, for the clients' pauses and retries (seen, never
waited); one time shared by the Audiobookshelf fake and a sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class FakeTime:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingSleep:
    """A sleep that returns at once and records how long it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


SYNC_T0 = 1_790_000_000.0  # 2026-09-21, in the fake's epoch seconds


class SyncClock:
    """One time for the Audiobookshelf fake (epoch seconds) and for the sync (aware datetimes); moved by hand."""

    def __init__(self) -> None:
        self.now = SYNC_T0

    def __call__(self) -> float:
        return self.now

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)

    def advance(self, seconds: float) -> None:
        self.now += seconds
