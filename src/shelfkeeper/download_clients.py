"""The download clients Shelfkeeper may send a release to, and the order it tries them in.

Each entry names a service of ``Integrations`` (its settings start with ``prefix``), the protocol it downloads
and the settings that place a download in it. The enabled clients of a protocol are tried by priority, lowest
number first (Sonarr's convention, 1 to 50); a tie keeps the order of ``CLIENTS``. A client is enabled when it
is configured and its ``<PREFIX>_ENABLED`` setting is not false. A new client is one more entry here and one more
accessor in ``Integrations.download_client_named``. NZBGet, the usenet client, files its downloads under the
same category name as qBittorrent (``QB_CATEGORY``) and has no save path of its own (its DestDir decides).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shelfkeeper.domain.releases.release import DownloadProtocol
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo
from shelfkeeper.errors import ServiceError
from shelfkeeper.ports import ConnectionReport
from shelfkeeper.settings import Settings

LEGACY_CLIENT = "qbittorrent"  # downloads recorded before several clients existed were all in qBittorrent


@dataclass(frozen=True)
class ClientEntry:
    """One download client: its service name, protocol and the settings that go with it."""

    name: str
    title: str  # as people write it
    protocol: DownloadProtocol
    prefix: str  # settings prefix: <prefix>_priority, <prefix>_enabled
    category_setting: str | None  # the category or label downloads get (None: the client has none)
    save_path_setting: str | None

    def priority(self, settings: Settings) -> int:
        return int(getattr(settings, f"{self.prefix}_priority", 1))

    def enabled(self, settings: Settings) -> bool:
        return bool(getattr(settings, f"{self.prefix}_enabled", True))

    def category(self, settings: Settings) -> str | None:
        value = getattr(settings, self.category_setting) if self.category_setting else None
        return str(value) if value else None

    def save_path(self, settings: Settings) -> str | None:
        value = getattr(settings, self.save_path_setting) if self.save_path_setting else None
        return str(value) if value else None


CLIENTS: tuple[ClientEntry, ...] = (
    ClientEntry("qbittorrent", "qBittorrent", DownloadProtocol.TORRENT, "qb", "qb_category", "qb_save_path"),
    ClientEntry(
        "transmission",
        "Transmission",
        DownloadProtocol.TORRENT,
        "transmission",
        "transmission_label",
        "transmission_save_path",
    ),
    ClientEntry("deluge", "Deluge", DownloadProtocol.TORRENT, "deluge", "deluge_label", "deluge_save_path"),
    ClientEntry("nzbget", "NZBGet", DownloadProtocol.USENET, "nzbget", "qb_category", None),
)
CLIENT_NAMES = frozenset(entry.name for entry in CLIENTS)


def client_entry(name: str) -> ClientEntry:
    """The entry of a client by service name (KeyError for an unknown one)."""
    for entry in CLIENTS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def ordered_clients(
    settings: Settings, configured: Callable[[str], bool], protocol: DownloadProtocol
) -> list[ClientEntry]:
    """The enabled clients of ``protocol``, the one to try first first."""
    enabled = [
        entry for entry in CLIENTS if entry.protocol == protocol and configured(entry.name) and entry.enabled(settings)
    ]
    return sorted(enabled, key=lambda entry: (entry.priority(settings), CLIENTS.index(entry)))


class BrokenClient:
    """A download client that could not be built from its settings: every call raises why."""

    def __init__(self, error: ServiceError) -> None:
        self.error = error

    async def test_connection(self) -> ConnectionReport:
        return ConnectionReport(self.error.service, True, False, None, error=self.error.message,
                                error_code=self.error.code)  # fmt: skip

    async def add(self, torrent: AddTorrent) -> str:
        raise self.error

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        raise self.error

    async def pause(self, hashes: Sequence[str]) -> None:
        raise self.error

    async def resume(self, hashes: Sequence[str]) -> None:
        raise self.error

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        raise self.error

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        raise self.error
