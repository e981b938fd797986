"""An in-memory notifier (ports.Notifier): every event sent is kept with its target."""

from __future__ import annotations

from shelfkeeper.domain.events import Event, NotifyTarget
from shelfkeeper.testing.doubles.recorder import Recorder


class InMemoryNotifier(Recorder):
    """``sent`` holds (target, event) in the order they were delivered; ``fail("send", ...)`` refuses one."""

    def __init__(self) -> None:
        super().__init__("notifier")
        self.sent: list[tuple[NotifyTarget, Event]] = []

    async def send(self, target: NotifyTarget, event: Event) -> None:
        self._enter("send", target, event)
        self.sent.append((target, event))
