"""In-memory doubles of the ports, one class per port: they keep what they are given, answer from it, and record
every call (``calls``, ``called``); ``fail`` makes a method raise. For the service and automation tests that do
not test HTTP: ``Integrations(context, adapters={"mam": InMemoryTracker(...)})`` puts one in place.

| port | double |
|---|---|
| LibraryServer | InMemoryLibraryServer |
| DownloadClient | InMemoryDownloadClient |
| Indexer | InMemoryIndexer |
| PrivateTracker | InMemoryTracker |
| BookCatalog (MetadataSource, AuthorCatalogSource) | InMemoryBookCatalog |
| AudiobookCatalog | InMemoryAudiobookCatalog |
| AsinDirectory | InMemoryAsinDirectory |
| Notifier | InMemoryNotifier |
"""

from shelfkeeper import ports
from shelfkeeper.testing.doubles.downloads import InMemoryDownloadClient
from shelfkeeper.testing.doubles.indexers import InMemoryIndexer, InMemoryTracker
from shelfkeeper.testing.doubles.library import InMemoryLibraryServer
from shelfkeeper.testing.doubles.metadata import InMemoryAsinDirectory, InMemoryAudiobookCatalog, InMemoryBookCatalog
from shelfkeeper.testing.doubles.notifier import InMemoryNotifier

__all__ = [
    "InMemoryAsinDirectory",
    "InMemoryAudiobookCatalog",
    "InMemoryBookCatalog",
    "InMemoryDownloadClient",
    "InMemoryIndexer",
    "InMemoryLibraryServer",
    "InMemoryNotifier",
    "InMemoryTracker",
]

# Each double stands for its port (mypy checks the shapes here).
LIBRARY_SERVER: type[ports.LibraryServer] = InMemoryLibraryServer
DOWNLOAD_CLIENT: type[ports.DownloadClient] = InMemoryDownloadClient
INDEXER: type[ports.Indexer] = InMemoryIndexer
PRIVATE_TRACKER: type[ports.PrivateTracker] = InMemoryTracker
BOOK_CATALOG: type[ports.BookCatalog] = InMemoryBookCatalog
AUDIOBOOK_CATALOG: type[ports.AudiobookCatalog] = InMemoryAudiobookCatalog
ASIN_DIRECTORY: type[ports.AsinDirectory] = InMemoryAsinDirectory
NOTIFIER: type[ports.Notifier] = InMemoryNotifier
