"""Schemas of the download endpoints: enqueue, priority, manual search results, stats, the blocklist."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shelfkeeper.api.schemas.common import ApiModel, Name, Position, StrictModel, Title
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.services.release_records import ranked_json, release_from_json

if TYPE_CHECKING:  # only annotations: the automation stays out of start-up
    from shelfkeeper.automation.release_search import SearchResult

_RELEASE_EXAMPLE: dict[str, Any] = {
    "indexer": "MyAnonamouse",
    "title": "Project Hail Mary",
    "guid": "https://www.myanonamouse.net/t/123456",
    "source": "mam",
    "download_url": "https://www.myanonamouse.net/tor/download.php?tid=123456",
    "size_bytes": 1_043_000_000,
    "seeders": 42,
    "authors": ["Andy Weir"],
    "narrators": ["Ray Porter"],
    "file_type": "m4b",
    "language": "ENG",
    "mam_id": 123456,
}


class ReleaseData(StrictModel):
    """A release exactly as the manual search returns it (send it back to grab that one)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": dict(_RELEASE_EXAMPLE)})

    indexer: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=1000)
    guid: str = Field(min_length=1, max_length=1000)
    source: str = Field("prowlarr", pattern="^(prowlarr|mam)$")
    protocol: str = Field("torrent", pattern="^(torrent|usenet)$", description="usenet: an NZB, for NZBGet.")
    indexer_id: int | None = None
    download_url: str | None = Field(None, max_length=4000)
    magnet_url: str | None = Field(None, max_length=4000)
    info_hash: str | None = Field(None, pattern="^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
    info_url: str | None = None
    size_bytes: int | None = Field(None, ge=0)
    seeders: int | None = None
    leechers: int | None = None
    grabs: int | None = None
    published_at: datetime | None = None
    categories: list[int] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    narrators: list[str] = Field(default_factory=list)
    series: list[tuple[str, str | None]] = Field(default_factory=list, description="[name, position] pairs.")
    file_type: str | None = None
    language: str | None = None
    mam_id: int | None = None
    freeleech: bool = False
    personal_freeleech: bool = False
    vip: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_link(self) -> ReleaseData:
        if not (self.download_url or self.magnet_url or self.mam_id is not None):
            raise ValueError("a release needs download_url, magnet_url or mam_id")
        return self

    def to_release(self) -> Release:
        return release_from_json(self.model_dump(mode="json"))


class DownloadCreate(StrictModel):
    """Grab for a wanted book: the best release found now, or the ``release`` chosen from a manual search."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"wanted_book_id": 12}})

    wanted_book_id: int = Field(ge=1)
    release: ReleaseData | None = None


class DownloadUpdate(StrictModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"priority": 10}})

    priority: int = Field(ge=-1000, le=1000, description="Higher comes first in the queue.")


class ReleaseSearchRequest(StrictModel):
    """Search by a wanted book's id, or by title and author (with series, position, narrator, language)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"title": "Project Hail Mary", "author": "Andy Weir"}},
    )

    wanted_book_id: int | None = Field(None, ge=1)
    title: Title | None = None
    author: Name | None = None
    series: Title | None = None
    position: Position | None = None
    narrator: Name | None = None
    language: str | None = Field(None, max_length=50)
    abridged_ok: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> ReleaseSearchRequest:
        if self.wanted_book_id is None and not (self.title and self.author):
            raise ValueError("give wanted_book_id, or title and author")
        if self.wanted_book_id is not None and self.title:
            raise ValueError("give wanted_book_id or a title, not both")
        return self

    def wanted(self) -> WantedEdition:
        assert self.title is not None and self.author is not None
        return WantedEdition(
            title=self.title,
            authors=(self.author,),
            series=self.series,
            position=self.position,
            narrator=self.narrator,
            language=self.language,
            abridged_ok=self.abridged_ok,
        )


class ReasonRead(ApiModel):
    code: str
    text: str
    points: int
    rejects: bool


class RankedReleaseRead(ApiModel):
    """One release with its score, verdict and every named reason (``summary`` is the same, as sentences)."""

    release: ReleaseData
    score: int
    accepted: bool
    reasons: list[ReasonRead]
    summary: list[str]
    freeleech: bool
    wedge: dict[str, Any] | None
    parsed: dict[str, Any]

    @classmethod
    def of(cls, ranked: RankedRelease) -> RankedReleaseRead:
        return cls.model_validate(ranked_json(ranked))


class SourceRead(ApiModel):
    name: str
    ok: bool
    status: Literal["ok", "failed", "timed_out"] = Field(
        description="timed_out: no answer within OUTSIDE_WAIT_SECONDS; the answer holds what arrived in time."
    )
    count: int
    error: str | None
    error_code: str | None


class WantedEditionRead(ApiModel):
    """What a release search looked for: the wanted book's title, people, series and language."""

    title: str
    authors: list[str]
    series: str | None
    position: str | None
    narrator: str | None
    language: str | None


class ReleaseSearchRead(ApiModel):
    wanted: WantedEditionRead
    releases: list[RankedReleaseRead]
    accepted: int = Field(description="How many releases pass every check.")
    sources: list[SourceRead]

    @classmethod
    def of(cls, result: SearchResult) -> ReleaseSearchRead:
        wanted = result.wanted
        return cls(
            wanted=WantedEditionRead(
                title=wanted.title,
                authors=list(wanted.authors),
                series=wanted.series,
                position=wanted.position,
                narrator=wanted.narrator,
                language=wanted.language,
            ),
            releases=[RankedReleaseRead.of(item) for item in result.ranked],
            accepted=len(result.accepted),
            sources=[
                SourceRead(name=s.name, ok=s.ok, status=s.status, count=s.count, error=s.error, error_code=s.error_code)
                for s in result.sources
            ],
        )


class DownloadStats(ApiModel):
    by_status: dict[str, int]
    total: int
    total_size_bytes: int
    active: int
    active_size_bytes: int
    remaining_bytes: int
    download_speed: int = Field(description="Bytes per second over the downloads now downloading.")
    blocklisted: int


class BlocklistRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    info_hash: str | None
    title_key: str
    release_title: str
    indexer: str
    reason: str
    wanted_book_id: int | None
    download_id: int | None
    created_at: datetime
