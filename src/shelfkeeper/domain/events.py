"""What happened, as an event the history keeps and notification targets receive, and who wants which event."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class EventType(enum.StrEnum):
    """Every kind of event; a notification target may ask for a subset."""

    GRABBED = "grabbed"
    IMPORTED = "imported"
    DOWNLOAD_FAILED = "download_failed"
    DOWNLOAD_STALLED = "download_stalled"
    METADATA_REVIEW = "metadata_review"
    TOP10_APPROVAL = "top10_approval"
    BOOK_RELEASED = "book_released"
    HEALTH_PROBLEM = "health_problem"
    HEALTH_RESOLVED = "health_resolved"
    MAM_RATIO_LOW = "mam_ratio_low"
    JOB_FAILED = "job_failed"
    JOB_PARTIAL = "job_partial"
    TEST = "test"
    # The history's own entries (the *arr History): kept and shown, sent only to a target that names them.
    WANTED = "wanted"
    SEARCHED = "searched"
    BLOCKLISTED = "blocklisted"
    METADATA_CORRECTED = "metadata_corrected"
    METADATA_REVERTED = "metadata_reverted"


# Events a target without an event list is not sent: every search or metadata change would flood a chat.
HISTORY_ONLY: frozenset[EventType] = frozenset(
    {
        EventType.WANTED,
        EventType.SEARCHED,
        EventType.BLOCKLISTED,
        EventType.METADATA_CORRECTED,
        EventType.METADATA_REVERTED,
    }
)


EVENT_TITLES: dict[EventType, str] = {
    EventType.GRABBED: "Grabbed",
    EventType.IMPORTED: "Imported",
    EventType.DOWNLOAD_FAILED: "Download failed",
    EventType.DOWNLOAD_STALLED: "Download stalled",
    EventType.METADATA_REVIEW: "Metadata waiting for review",
    EventType.TOP10_APPROVAL: "Top-10 books awaiting approval",
    EventType.BOOK_RELEASED: "New book released",
    EventType.HEALTH_PROBLEM: "Health problem",
    EventType.HEALTH_RESOLVED: "Health problem resolved",
    EventType.MAM_RATIO_LOW: "MyAnonamouse ratio under the floor",
    EventType.JOB_FAILED: "Job failed",
    EventType.JOB_PARTIAL: "Job partly done",
    EventType.TEST: "Test notification",
    EventType.WANTED: "Wanted",
    EventType.SEARCHED: "Searched",
    EventType.BLOCKLISTED: "Blocklisted",
    EventType.METADATA_CORRECTED: "Metadata corrected",
    EventType.METADATA_REVERTED: "Metadata reverted",
}

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Event:
    """One event: its type, one line of text, and what it is about (ids and facts, all optional)."""

    type: EventType
    message: str
    at: datetime | None = None  # None: the time it is recorded
    book: dict[str, Any] = field(default_factory=dict)  # title, author, series, position, cover_url, book_id
    release: dict[str, Any] = field(default_factory=dict)  # title, indexer, size_bytes, info_hash
    download: dict[str, Any] = field(default_factory=dict)  # id, status, path, client
    details: dict[str, Any] = field(default_factory=dict)  # anything else: reason, what happens next, level
    id: int | None = None

    @property
    def title(self) -> str:
        subject = self.book.get("title")
        heading = EVENT_TITLES[self.type]
        return f"{heading}: {subject}" if subject else heading


def payload(event: Event) -> dict[str, Any]:
    """The documented JSON body a webhook target receives (docs/notifications.md)."""
    return {
        "version": PAYLOAD_VERSION,
        "event": event.type.value,
        "id": event.id,
        "title": event.title,
        "message": event.message,
        "time": event.at.isoformat() if event.at else None,
        "book": event.book or None,
        "release": event.release or None,
        "download": event.download or None,
        "details": event.details or {},
    }


class TargetError(ValueError):
    """A NOTIFY_URLS entry that cannot be used; the message says which part is wrong."""


@dataclass(frozen=True)
class NotifyTarget:
    """One notification target: an Apprise URL (or a ``webhook://`` JSON target) and the events it wants."""

    url: str
    events: frozenset[EventType] | None = None  # None: every event

    @property
    def key(self) -> str:
        """A stable name that does not reveal the URL (which may hold a token): used to remember its progress."""
        return "target-" + hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def shown(self) -> str:
        """The URL's scheme and host only, for logs and answers."""
        scheme, _, rest = self.url.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        return f"{scheme}://{host}" if host else f"{scheme}://"

    def wants(self, event_type: EventType) -> bool:
        if event_type == EventType.TEST:
            return True
        return event_type not in HISTORY_ONLY if self.events is None else event_type in self.events


def parse_target(entry: str) -> NotifyTarget:
    """``URL`` (every event) or ``event|event::URL`` (only those), e.g. ``grabbed|imported::discord://id/token``."""
    text = entry.strip()
    if not text:
        raise TargetError("empty entry")
    events: frozenset[EventType] | None = None
    if "::" in text:
        names, _, text = text.partition("::")
        chosen: set[EventType] = set()
        for name in (part.strip().lower() for part in names.split("|")):
            try:
                chosen.add(EventType(name))
            except ValueError:
                known = ", ".join(member.value for member in EventType if member != EventType.TEST)
                raise TargetError(f"unknown event {name!r} (known: {known})") from None
        events = frozenset(chosen)
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme or not rest or not scheme.replace("+", "").isalnum():
        raise TargetError("not a URL of the form scheme://... (an Apprise URL, or webhook:// / webhooks://)")
    return NotifyTarget(url=text, events=events)


def retry_delay_seconds(attempts: int) -> int:
    """How long a failing target waits before its next try: 1, 2, 4 … minutes, at most 6 hours."""
    return int(min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))
