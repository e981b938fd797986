"""A monotonic clock that only sleeping moves, for the clients' pauses and retries: seen, never waited."""

from __future__ import annotations

from dataclasses import dataclass, field


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
