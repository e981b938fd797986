"""Releases and their ranking as JSON: what a Download row keeps, and what the manual search hands back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shelfkeeper.domain.releases.mam_policy import WedgeDecision
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.release import DownloadProtocol, Release, ReleaseSource


def release_to_json(release: Release) -> dict[str, Any]:
    """Every field of a Release, JSON-safe (dates as ISO text, tuples as lists)."""
    return {
        "indexer": release.indexer,
        "title": release.title,
        "guid": release.guid,
        "source": release.source,
        "protocol": release.protocol,
        "indexer_id": release.indexer_id,
        "download_url": release.download_url,
        "magnet_url": release.magnet_url,
        "info_hash": release.info_hash,
        "info_url": release.info_url,
        "size_bytes": release.size_bytes,
        "seeders": release.seeders,
        "leechers": release.leechers,
        "grabs": release.grabs,
        "published_at": release.published_at.isoformat() if release.published_at else None,
        "categories": list(release.categories),
        "authors": list(release.authors),
        "narrators": list(release.narrators),
        "series": [[name, position] for name, position in release.series],
        "file_type": release.file_type,
        "language": release.language,
        "mam_id": release.mam_id,
        "freeleech": release.freeleech,
        "personal_freeleech": release.personal_freeleech,
        "vip": release.vip,
        "extra": {str(key): _json_safe(value) for key, value in release.extra.items()},
    }


def _json_safe(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return str(value)


def release_from_json(data: Mapping[str, Any]) -> Release:
    """A Release back from ``release_to_json`` output (or the API's release body of the same shape)."""
    published = data.get("published_at")
    if isinstance(published, str):
        published = datetime.fromisoformat(published.replace("Z", "+00:00"))
    return Release(
        indexer=str(data["indexer"]),
        title=str(data["title"]),
        guid=str(data["guid"]),
        source=ReleaseSource(str(data.get("source") or ReleaseSource.PROWLARR)),
        protocol=DownloadProtocol(str(data.get("protocol") or DownloadProtocol.TORRENT)),
        indexer_id=data.get("indexer_id"),
        download_url=data.get("download_url"),
        magnet_url=data.get("magnet_url"),
        info_hash=str(data["info_hash"]).lower() if data.get("info_hash") else None,
        info_url=data.get("info_url"),
        size_bytes=data.get("size_bytes"),
        seeders=data.get("seeders"),
        leechers=data.get("leechers"),
        grabs=data.get("grabs"),
        published_at=published if isinstance(published, datetime) else None,
        categories=tuple(int(c) for c in data.get("categories") or ()),
        authors=tuple(str(a) for a in data.get("authors") or ()),
        narrators=tuple(str(n) for n in data.get("narrators") or ()),
        series=tuple((str(pair[0]), None if pair[1] is None else str(pair[1])) for pair in data.get("series") or ()),
        file_type=data.get("file_type"),
        language=data.get("language"),
        mam_id=data.get("mam_id"),
        freeleech=bool(data.get("freeleech")),
        personal_freeleech=bool(data.get("personal_freeleech")),
        vip=bool(data.get("vip")),
        extra=dict(data.get("extra") or {}),
    )


def wedge_json(wedge: WedgeDecision | None) -> dict[str, Any] | None:
    if wedge is None:
        return None
    # whether a wedge was really spent (and bought) is the ratio autopilot's record: the Download's "autopilot"
    return {"use_wedge": wedge.use_wedge, "reason": wedge.reason}


def ranked_json(ranked: RankedRelease) -> dict[str, Any]:
    """A ranked release with its score, verdict, every named reason and what the parser read from it."""
    parsed = ranked.parsed
    return {
        "release": release_to_json(ranked.release),
        "score": ranked.score,
        "accepted": ranked.accepted,
        "reasons": [{"code": r.code, "text": r.text, "points": r.points, "rejects": r.rejects} for r in ranked.reasons],
        "summary": list(ranked.reason_texts),
        "freeleech": ranked.freeleech,
        "wedge": wedge_json(ranked.wedge),
        "parsed": {
            "title": parsed.title,
            "authors": list(parsed.authors),
            "narrators": list(parsed.narrators),
            "series": [
                {"name": m.name, "position": [str(p) for p in m.position] if m.position else None}
                for m in parsed.series
            ],
            "format": parsed.format,
            "formats": list(parsed.formats),
            "bitrate_kbps": parsed.bitrate_kbps,
            "abridged": parsed.abridged,
            "language": parsed.language,
            "year": parsed.year,
        },
    }


def release_flags(ranked: RankedRelease) -> list[str]:
    release, flags = ranked.release, []
    for name, on in (("freeleech", release.freeleech), ("personal_freeleech", release.personal_freeleech)):
        if on:
            flags.append(name)
    if release.vip:
        flags.append("vip")
    if ranked.wedge is not None and ranked.wedge.use_wedge:
        flags.append("wedge_wanted")
    return flags
