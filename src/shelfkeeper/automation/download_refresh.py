"""The fast download refresh: the client's progress into the rows every few seconds, between monitor runs.

The download monitor (every minute) judges stalls, fails, retries and imports. Between its runs this light
refresh only reads the client and stores progress, state, speed and ETA (``apply_client_state``, the monitor's
own rule), while the web page is open or a download is active: the queue moves as the client does. A finished
torrent is marked completed here and imported by the monitor's next run. Runs never overlap (one lock per
process; a run still going is skipped), and a client that is down is reported once, then tried again quietly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.domain.lifecycle import DownloadStatus
from shelfkeeper.errors import ServiceError

logger = logging.getLogger("shelfkeeper.automation")
_MOVING = frozenset({DownloadStatus.QUEUED, DownloadStatus.DOWNLOADING})
IDLE_SLEEP_SECONDS = 5.0  # how often a disabled refresh looks whether it was turned on


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did: how many downloads it read, updated and saw complete; the client's error."""

    read: int = 0
    updated: int = 0
    completed: int = 0
    error: str | None = None


async def refresh_client_state(run: RunContext, *, include_paused: bool) -> RefreshResult:
    """Read the client once for the live downloads and store what it says; nothing else (no failure, no import).

    Paused downloads are read only when ``include_paused`` (someone is looking): with none moving, the client
    is not asked at all.
    """
    # Imported here: the monitor pulls in acquisition and every provider, which the app's start-up need not load.
    from shelfkeeper.automation.download_monitor import apply_client_state, watched_downloads

    watched = await run.transaction(watched_downloads)
    if not include_paused and not any(item.status in _MOVING for item in watched):
        return RefreshResult()
    if not watched:
        return RefreshResult()
    try:
        torrents = await run.integrations.download_client().info(hashes=[item.info_hash for item in watched])
    except ServiceError as exc:
        return RefreshResult(read=len(watched), error=exc.message)
    by_hash = {torrent.info_hash: torrent for torrent in torrents}
    seen = [(item.id, by_hash[item.info_hash]) for item in watched if item.info_hash in by_hash]
    now = run.now()
    completed = await run.transaction(lambda s: [apply_client_state(s, i, t, now) for i, t in seen])
    return RefreshResult(read=len(watched), updated=len(seen), completed=sum(completed))


class DownloadRefresher:
    """Runs ``refresh_client_state`` at most every ``download_refresh_seconds``, never two at once.

    ``tick`` is called by the live stream's loop while a page is open (``viewers`` > 0) and by the scheduler's
    process in ``run_forever`` (every few seconds, refreshing only while a download moves or a page is open).
    """

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.viewers = 0
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._last_started: float | None = None

    @property
    def interval(self) -> int:
        return int(self.app.settings.download_refresh_seconds)

    async def tick(self) -> RefreshResult | None:
        """One refresh when one is due; None when it is not (too soon, turned off, running, no client)."""
        if self._lock.locked() or self.interval == 0:
            return None
        async with self._lock:
            started = time.monotonic()
            if self._last_started is not None and started - self._last_started < self.interval:
                return None
            self._last_started = started
            if not self.app.integrations.configured("qbittorrent"):
                return None
            result = await refresh_client_state(RunContext(app=self.app), include_paused=self.viewers > 0)
            self._report(result.error)
            return result

    def _report(self, error: str | None) -> None:
        if error and error != self.last_error:
            logger.warning("download refresh: the download client cannot be read: %s", error)
        elif error is None and self.last_error:
            logger.info("download refresh: the download client answers again")
        self.last_error = error

    async def run_forever(self) -> None:
        """The scheduler's loop: a refresh whenever one is due, until cancelled; an unexpected error is logged."""
        while True:
            try:
                await self.tick()
            except Exception:  # the database or a bug: the loop goes on, the next tick tries again
                logger.exception("download refresh failed")
            await asyncio.sleep(self.interval or IDLE_SLEEP_SECONDS)
