"""The eight tables of the data model, plus the association tables for authors, narrators and series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shelfkeeper.db.base import Base, JSONType
from shelfkeeper.domain.lifecycle import ACTIVE_DOWNLOAD_STATES, DownloadStatus, WantedStatus

_now = func.now()
# The live download states as SQL, from the lifecycle's one list (in the enum's order, so the text is stable).
_ACTIVE_WHERE = "status IN ({})".format(",".join(f"'{s}'" for s in DownloadStatus if s in ACTIVE_DOWNLOAD_STATES))


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=_now, onupdate=_now, index=True)


class BookAuthor(Base):
    __tablename__ = "book_authors"
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True, index=True)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    author: Mapped[Author] = relationship(lazy="joined", back_populates="book_links")


class BookNarrator(Base):
    __tablename__ = "book_narrators"
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)


class BookSeries(Base):
    __tablename__ = "book_series"
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[str | None] = mapped_column(String(40))  # as given: "1", "1.5", "1-3"
    position_sort: Mapped[float | None] = mapped_column(Float)  # first number of the position, for ordering
    series: Mapped[Series] = relationship(lazy="joined", back_populates="book_links")


class Book(Timestamps, Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    abs_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    library_id: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500))
    title_sort: Mapped[str] = mapped_column(String(500), index=True)
    subtitle: Mapped[str | None] = mapped_column(String(500))
    author_sort: Mapped[str] = mapped_column(String(300), default="", index=True)
    asin: Mapped[str | None] = mapped_column(String(20), index=True)
    isbn: Mapped[str | None] = mapped_column(String(20), index=True)
    publisher: Mapped[str | None] = mapped_column(String(300))
    published_year: Mapped[int | None] = mapped_column(Integer, index=True)
    language: Mapped[str | None] = mapped_column(String(50), index=True)
    genres: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None] = mapped_column(Float, index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, index=True)
    format: Mapped[str | None] = mapped_column(String(20))
    path: Mapped[str | None] = mapped_column(String(1000))
    has_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    metadata_status: Mapped[str] = mapped_column(String(20), default="unchecked", index=True)
    quality_score: Mapped[float | None] = mapped_column(Float, index=True)
    metadata_checked_at: Mapped[datetime | None] = mapped_column(index=True)
    in_library: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    removed_at: Mapped[datetime | None] = mapped_column()
    abs_added_at: Mapped[datetime | None] = mapped_column(index=True)
    abs_updated_at: Mapped[datetime | None] = mapped_column(index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded title, subtitle, people, series
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    author_links: Mapped[list[BookAuthor]] = relationship(
        cascade="all, delete-orphan", order_by=BookAuthor.ordinal, lazy="selectin"
    )
    narrator_links: Mapped[list[BookNarrator]] = relationship(
        cascade="all, delete-orphan", order_by=BookNarrator.ordinal, lazy="selectin"
    )
    series_links: Mapped[list[BookSeries]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (Index("ix_books_added", "abs_added_at", "id"),)


class Series(Timestamps, Base):
    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), index=True)
    name_key: Mapped[str] = mapped_column(String(500), unique=True)  # normalised name
    abs_id: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    provider_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    known_total: Mapped[int | None] = mapped_column(Integer)
    known_positions: Mapped[list[Any]] = mapped_column(default=list)
    owned_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    completion: Mapped[float | None] = mapped_column(Float, index=True)  # owned / known, 0..1
    monitored: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # "Future books only": only books released after monitored_since are wanted.
    future_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    monitored_since: Mapped[datetime | None] = mapped_column()
    last_checked_at: Mapped[datetime | None] = mapped_column()

    book_links: Mapped[list[BookSeries]] = relationship(back_populates="series", viewonly=True)


class Author(Timestamps, Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    name_key: Mapped[str] = mapped_column(String(300), unique=True)  # normalised name
    sort_name: Mapped[str] = mapped_column(String(300), index=True)
    abs_id: Mapped[str | None] = mapped_column(String(64), index=True)
    asin: Mapped[str | None] = mapped_column(String(20), index=True)
    provider_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    monitored: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    future_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    monitored_since: Mapped[datetime | None] = mapped_column()
    last_catalogue_check_at: Mapped[datetime | None] = mapped_column(index=True)

    book_links: Mapped[list[BookAuthor]] = relationship(back_populates="author", viewonly=True)


class WantedBook(Timestamps, Base):
    __tablename__ = "missing_books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    subtitle: Mapped[str | None] = mapped_column(String(500))
    author_name: Mapped[str] = mapped_column(String(300), default="", index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"), index=True)
    series_name: Mapped[str | None] = mapped_column(String(500))
    series_position: Mapped[str | None] = mapped_column(String(40))
    asin: Mapped[str | None] = mapped_column(String(20), index=True)
    isbn: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(50), index=True)
    release_date: Mapped[datetime | None] = mapped_column()
    upcoming: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reason: Mapped[str] = mapped_column(String(30), index=True)
    source: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[Any]] = mapped_column(default=list)  # "box_set", "omnibus", ...
    status: Mapped[str] = mapped_column(String(20), default=WantedStatus.WANTED.value, index=True)
    approved: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    dedupe_key: Mapped[str] = mapped_column(String(600), unique=True)  # normalised title + author
    search_count: Mapped[int] = mapped_column(Integer, default=0)
    last_searched_at: Mapped[datetime | None] = mapped_column(index=True)
    book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id", ondelete="SET NULL"), index=True)


class Download(Timestamps, Base):
    __tablename__ = "downloads"
    id: Mapped[int] = mapped_column(primary_key=True)
    wanted_book_id: Mapped[int | None] = mapped_column(
        "missing_book_id", ForeignKey("missing_books.id", ondelete="SET NULL"), index=True
    )
    book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id", ondelete="SET NULL"), index=True)
    indexer: Mapped[str] = mapped_column(String(200), index=True)
    release_title: Mapped[str] = mapped_column(String(1000))
    guid: Mapped[str] = mapped_column(String(1000))
    info_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    download_url: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(20))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    release: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the ranked release with its reasons
    status: Mapped[str] = mapped_column(String(20), default=DownloadStatus.QUEUED.value, index=True)
    client_state: Mapped[str | None] = mapped_column(String(40))
    download_client: Mapped[str | None] = mapped_column(String(40))  # the client holding it (download_clients.py)
    progress: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    eta_seconds: Mapped[int | None] = mapped_column(Integer)
    download_speed: Mapped[int | None] = mapped_column(BigInteger)
    save_path: Mapped[str | None] = mapped_column(String(1000))
    content_path: Mapped[str | None] = mapped_column(String(1000))
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)  # times re-queued with another release
    attempt_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed attempts counted
    next_retry_at: Mapped[datetime | None] = mapped_column(index=True)
    last_progress_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    imported_at: Mapped[datetime | None] = mapped_column()
    result: Mapped[str | None] = mapped_column(Text)  # what happened, in words

    __table_args__ = (
        # One live download per wanted book: two racing runs cannot both grab it.
        Index(
            "uq_downloads_active_wanted",
            "missing_book_id",
            unique=True,
            sqlite_where=text(_ACTIVE_WHERE),
            postgresql_where=text(_ACTIVE_WHERE),
        ),
    )


class DownloadBook(Base):
    """A wanted book a download holds besides its own (``Download.wanted_book_id``): the books of a series pack.

    A pack's download names its first covered book as ``wanted_book_id`` and has one row here per covered
    wanted book (that first one too), with the volume it holds.
    """

    __tablename__ = "download_books"
    download_id: Mapped[int] = mapped_column(ForeignKey("downloads.id", ondelete="CASCADE"), primary_key=True)
    wanted_book_id: Mapped[int] = mapped_column(
        "missing_book_id", ForeignKey("missing_books.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[str | None] = mapped_column(String(40))


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)  # a retry waiting for its time
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime | None] = mapped_column(index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    duration_seconds: Mapped[float | None] = mapped_column(Float, index=True)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)


class FailedAttempt(Base):
    __tablename__ = "failed_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(1000))  # what failed, in words
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Plain ids, not foreign keys: the audit trail outlives the rows it mentions.
    book_id: Mapped[int | None] = mapped_column(Integer, index=True)
    wanted_book_id: Mapped[int | None] = mapped_column("missing_book_id", Integer, index=True)
    download_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)


class MetadataCorrection(Base):
    __tablename__ = "metadata_corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(50), index=True)
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    source: Mapped[str] = mapped_column(String(50), index=True)
    confidence: Mapped[float] = mapped_column(Float, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)
    applied_at: Mapped[datetime | None] = mapped_column()
    reverted_at: Mapped[datetime | None] = mapped_column()


# ---- infrastructure tables (beside the eight of the data model) ----


class JobSetting(Base):
    """A job's schedule and whether it runs, as changed through the API (defaults come from settings)."""

    __tablename__ = "job_settings"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    schedule: Mapped[str | None] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=_now, onupdate=_now)


class StoredSetting(Base):
    """A setting changed through the API or the page (secrets sealed); the environment still wins over it."""

    __tablename__ = "stored_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)  # None: back to the default
    version: Mapped[int] = mapped_column(Integer, default=0, index=True)  # bumped on each change, read per request
    updated_at: Mapped[datetime] = mapped_column(server_default=_now, onupdate=_now)


class Lease(Base):
    """A named lease held by one process until ``expires_at``: the scheduler's single runner, and job locks."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)


class ServiceBudget(Base):
    """Requests made to an outside service on one UTC day, against its daily budget."""

    __tablename__ = "service_budgets"
    service: Mapped[str] = mapped_column(String(50), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    used: Mapped[int] = mapped_column(Integer, default=0)


class ServiceState(Base):
    """What an integration must remember between runs (MAM's rotated cookie, last user stats)."""

    __tablename__ = "service_state"
    service: Mapped[str] = mapped_column(String(50), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=_now, onupdate=_now)


class ProviderCache(Base):
    """A metadata provider's answer to one query, reused until it expires."""

    __tablename__ = "provider_cache"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # source + hash of the query
    source: Mapped[str] = mapped_column(String(50), index=True)
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(server_default=_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class BlocklistEntry(Base):
    """A release never to grab again: by info hash, and by normalised title at one indexer."""

    __tablename__ = "blocklist"
    id: Mapped[int] = mapped_column(primary_key=True)
    info_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    title_key: Mapped[str] = mapped_column(String(1000), index=True)
    release_title: Mapped[str] = mapped_column(String(1000))
    indexer: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    wanted_book_id: Mapped[int | None] = mapped_column("missing_book_id", Integer, index=True)
    download_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)


class EventRow(Base):
    """One event of the history (grabbed, imported, failed, ...): what notification targets are sent, in order."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)
    # Plain ids, not foreign keys: the history outlives the rows it mentions.
    book_id: Mapped[int | None] = mapped_column(Integer, index=True)
    wanted_book_id: Mapped[int | None] = mapped_column(Integer, index=True)
    download_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # book, release, download, details
    created_at: Mapped[datetime] = mapped_column(server_default=_now, index=True)


class TrackerPurchase(Base):
    """One request to MAM's bonus store: a wedge spent on a torrent, a wedge or upload credit bought; MAM's answer."""

    __tablename__ = "tracker_purchases"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # PurchaseKind
    torrent_id: Mapped[int | None] = mapped_column(BigInteger)
    wanted_book_id: Mapped[int | None] = mapped_column(Integer, index=True)  # a plain id: the ledger outlives it
    amount: Mapped[float | None] = mapped_column(Float)  # GB of upload credit
    cost_points: Mapped[int | None] = mapped_column(Integer)
    success: Mapped[bool] = mapped_column(Boolean)
    answer: Mapped[str | None] = mapped_column(Text)  # MAM's error text, or what else it said
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # the autopilot's named reasons


class TrackerSnapshot(Base):
    """The MAM account's standing when its stats were read: drawn over time on the page."""

    __tablename__ = "tracker_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    ratio: Mapped[float | None] = mapped_column(Float)
    uploaded_bytes: Mapped[int | None] = mapped_column(BigInteger)
    downloaded_bytes: Mapped[int | None] = mapped_column(BigInteger)
    bonus_points: Mapped[float | None] = mapped_column(Float)
    wedges: Mapped[int | None] = mapped_column(Integer)
    user_class: Mapped[str | None] = mapped_column(String(40))
