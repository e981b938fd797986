"""What every in-memory double shares: the calls it received, and failures a test asks it to raise."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from shelfkeeper.errors import ServiceError
from shelfkeeper.ports import ConnectionReport


class Recorder:
    """Records each call as ``(method, arguments)``; ``fail`` makes the next calls of a method raise."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._failures: defaultdict[str, deque[ServiceError]] = defaultdict(deque)

    def fail(self, method: str, error: ServiceError, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` raise ``error`` (after being recorded)."""
        self._failures[method].extend([error] * times)

    def called(self, method: str) -> list[tuple[Any, ...]]:
        """The arguments of every call of ``method``, in order."""
        return [arguments for name, arguments in self.calls if name == method]

    def _enter(self, method: str, *arguments: Any) -> None:
        self.calls.append((method, arguments))
        if self._failures[method]:
            raise self._failures[method].popleft()

    async def test_connection(self) -> ConnectionReport:
        try:
            self._enter("test_connection")
        except ServiceError as exc:
            return ConnectionReport(
                self.service, True, reachable=False, auth_ok=None, error=exc.message, error_code=exc.code
            )
        return ConnectionReport(self.service, True, reachable=True, auth_ok=True, version="in-memory")


def words(*texts: str | None) -> set[str]:
    """The lower-case words of some texts, for the doubles' searches."""
    return {word for text in texts if text for word in text.lower().replace(",", " ").split()}
