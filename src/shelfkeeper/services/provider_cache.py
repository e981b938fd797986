"""Metadata providers' answers kept in the provider_cache table, and what each provider last did."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import ProviderCache, ServiceBudget, ServiceState
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.settings import Settings


def cache_key(source: str, query: Mapping[str, Any]) -> str:
    """``source:`` and a hash of the query (same words, same key, whatever the dict order)."""
    digest = hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:40]
    return f"{source}:{digest}"


def candidate_to_json(candidate: BookCandidate) -> dict[str, Any]:
    data = asdict(candidate)
    data["release_date"] = candidate.release_date.isoformat() if candidate.release_date else None
    data["extra"] = json.loads(json.dumps(candidate.extra, default=str))
    return data


def candidate_from_json(data: Mapping[str, Any]) -> BookCandidate:
    values = dict(data)
    values["series"] = tuple(SeriesRef(**ref) for ref in values.get("series") or [])
    for name in ("authors", "narrators", "genres"):
        values[name] = tuple(values.get(name) or ())
    released = values.get("release_date")
    values["release_date"] = date.fromisoformat(released) if released else None
    values["extra"] = dict(values.get("extra") or {})
    return BookCandidate(**values)


def cached_payload(session: Session, key: str, now: datetime) -> tuple[bool, Any]:
    """(found, payload) for a key whose answer has not expired."""
    row = session.get(ProviderCache, key)
    if row is None or row.expires_at <= now:
        return False, None
    return True, row.payload


def store_payload(session: Session, key: str, source: str, payload: Any, now: datetime, hours: int) -> None:
    """Keep an answer for ``hours`` (replacing an expired one under the same key)."""
    row = session.get(ProviderCache, key)
    expires = now + timedelta(hours=hours)
    if row is None:
        session.add(ProviderCache(key=key, source=source, payload=payload, fetched_at=now, expires_at=expires))
    else:
        row.payload, row.fetched_at, row.expires_at = payload, now, expires


def live_entries(session: Session, now: datetime) -> dict[str, int]:
    """Unexpired cache entries per source."""
    query = (
        select(ProviderCache.source, func.count(ProviderCache.key))
        .where(ProviderCache.expires_at > now)
        .group_by(ProviderCache.source)
    )
    return {str(source): int(count) for source, count in session.execute(query).all()}


def budget_used(session: Session, service: str, day: date) -> int:
    used = session.scalar(
        select(ServiceBudget.used).where(ServiceBudget.service == service, ServiceBudget.day == day.isoformat())
    )
    return int(used or 0)


# ---- what each provider last did, as the pipeline saw it -------------------------------------------------------


# Failures that mean the provider did not answer (SERVICE_ERROR: its 5xx, or a proxy's in front of it).
_UNREACHABLE = ("SERVICE_UNREACHABLE", "SERVICE_CIRCUIT_OPEN", "SERVICE_ERROR")


def outcome_key(provider: str) -> str:
    """The ServiceState row of a provider's last lookup (beside its own row and its connection check)."""
    return f"{provider}.last_lookup"


def remember_outcomes(session: Session, outcomes: Mapping[str, tuple[str | None, str | None]], now: datetime) -> None:
    """Per provider: (error message, error code), both None when it answered."""
    for provider, (error, code) in outcomes.items():
        reachable = error is None or code not in _UNREACHABLE
        data = {"at": now.isoformat(), "reachable": reachable, "ok": error is None, "error": error, "error_code": code}
        row = session.get(ServiceState, outcome_key(provider))
        if row is None:
            session.add(ServiceState(service=outcome_key(provider), data=data))
        else:
            row.data = data


def last_known(session: Session, providers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The newest of each provider's last lookup and last connection check (``<name>.last_check``)."""
    keys = [key for name in providers for key in (outcome_key(name), f"{name}.last_check")]
    rows = {
        row.service: dict(row.data or {})
        for row in session.scalars(select(ServiceState).where(ServiceState.service.in_(keys)))
    }
    known: dict[str, dict[str, Any]] = {}
    for name in providers:
        lookup = rows.get(outcome_key(name))
        check = rows.get(f"{name}.last_check")
        candidates = []
        if lookup and lookup.get("at"):
            candidates.append(
                (str(lookup["at"]), lookup.get("reachable"), lookup.get("error"), lookup.get("error_code"))
            )
        if check and check.get("checked_at"):
            candidates.append(
                (str(check["checked_at"]), check.get("reachable"), check.get("error"), check.get("error_code"))
            )
        if candidates:
            at, reachable, error, code = max(candidates, key=lambda c: datetime.fromisoformat(c[0]))
            known[name] = {"at": datetime.fromisoformat(at), "reachable": reachable, "error": error, "error_code": code}
    return known


METADATA_PROVIDERS = ("google_books", "audnexus", "audible", "openlibrary")
BUDGET_SETTINGS = {"google_books": "google_books_daily_budget"}
URL_SETTINGS = {
    "google_books": "google_books_url",
    "audnexus": "audnexus_url",
    "audible": "audible_url",
    "openlibrary": "openlibrary_url",
}


def provider_overview(session: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Each metadata provider: configured, reachable as last known, budget left today, cache entries."""
    known = last_known(session, METADATA_PROVIDERS)
    entries = live_entries(session, now)
    configured = settings.configured_services()
    rows = []
    for name in METADATA_PROVIDERS:
        limit = getattr(settings, BUDGET_SETTINGS[name]) if name in BUDGET_SETTINGS else None
        last = known.get(name, {})
        rows.append(
            {
                "name": name,
                "url": getattr(settings, URL_SETTINGS[name]),
                "configured": configured.get(name, False),
                "reachable": last.get("reachable"),
                "last_seen_at": last.get("at"),
                "last_error": last.get("error"),
                "last_error_code": last.get("error_code"),
                "daily_budget": limit,
                "budget_left": None if limit is None else max(0, limit - budget_used(session, name, now.date())),
                "cache_entries": entries.get(name, 0),
            }
        )
    return rows
