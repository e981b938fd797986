"""In-memory indexers: ports.Indexer (Prowlarr's side) and ports.PrivateTracker (MyAnonamouse's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import BonusAnswer, TrackerStats
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import QuotaExhausted, ServiceBadResponse
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.doubles.recorder import Recorder, words


def release_words(release: Release) -> set[str]:
    return words(release.title, *release.authors, *release.narrators, *(name for name, _ in release.series))


class InMemoryIndexer(Recorder):
    """Finds the releases whose title, authors, narrators and series hold every word asked for."""

    def __init__(self, name: str = "prowlarr", releases: Iterable[Release] = ()) -> None:
        super().__init__(name)
        self.name = name
        self.releases: list[Release] = list(releases)
        self.downloads: dict[str, AddTorrent] = {}  # release guid -> what fetching it gives

    async def search(self, query: BookQuery, *, limit: int = 100) -> list[Release]:
        self._enter("search", query, limit)
        asked = words(query.title, query.author, query.series, query.narrator)
        if not asked:
            return []
        return [release for release in self.releases if asked <= release_words(release)][:limit]

    async def fetch_download(self, release: Release) -> AddTorrent:
        self._enter("fetch_download", release)
        if release.guid not in self.downloads:
            raise ServiceBadResponse(self.service, f"release {release.title!r} has no download")
        return self.downloads[release.guid]


class InMemoryTracker(InMemoryIndexer):
    """A private tracker: account stats, most-snatched lists per category, and an optional daily request cap
    that every call spends (QuotaExhausted once it is spent)."""

    def __init__(
        self, releases: Iterable[Release] = (), *, stats: TrackerStats | None = None, daily_cap: int | None = None
    ) -> None:
        super().__init__("mam", releases)
        self.stats = stats or TrackerStats("reader", "User", 2.0, None, None, 1000.0, 0)
        self.tops: dict[int | None, list[Release]] = {}  # category (None: all) -> most snatched first
        self.left = daily_cap

    def _enter(self, method: str, *arguments: object) -> None:
        if method != "test_connection" and self.left is not None:
            if self.left <= 0:
                raise QuotaExhausted(self.service, "the day's requests are spent")
            self.left -= 1
        super()._enter(method, *arguments)

    async def user_stats(self) -> TrackerStats:
        self._enter("user_stats")
        return self.stats

    async def budget_left(self) -> int | None:
        return self.left

    async def apply_wedge(self, torrent_id: int) -> BonusAnswer:
        """The bonus store is the fake MAM's (served over HTTP); this double refuses every purchase."""
        self._enter("apply_wedge", torrent_id)
        return BonusAnswer(False, "the in-memory tracker has no bonus store")

    async def buy_wedge_with_points(self) -> BonusAnswer:
        self._enter("buy_wedge_with_points")
        return BonusAnswer(False, "the in-memory tracker has no bonus store")

    async def buy_upload(self, amount_gb: float) -> BonusAnswer:
        self._enter("buy_upload", amount_gb)
        return BonusAnswer(False, "the in-memory tracker has no bonus store")

    async def top_snatched(self, category_id: int | None, start: date, end: date, limit: int) -> list[Release]:
        self._enter("top_snatched", category_id, start, end, limit)
        return self.tops.get(category_id, [])[:limit]
