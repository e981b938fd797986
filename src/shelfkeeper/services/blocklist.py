"""The blocklist: releases never grabbed again, by info hash and by normalised title at one indexer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import BlocklistEntry
from shelfkeeper.domain.releases.ranking import BlocklistKey, release_title_key
from shelfkeeper.errors import NotFound
from shelfkeeper.services.paging import PageRequest, PageResult, SortColumn, order_by, paginate

SORTS: dict[str, SortColumn] = {"created": BlocklistEntry.created_at, "id": BlocklistEntry.id}


def blocklist_keys(session: Session) -> frozenset[BlocklistKey]:
    """Every key the ranking checks: each entry blocks its info hash (when known) and its title at its indexer."""
    keys: set[BlocklistKey] = set()
    for info_hash, title, indexer in session.execute(
        select(BlocklistEntry.info_hash, BlocklistEntry.release_title, BlocklistEntry.indexer)
    ):
        keys.add(BlocklistKey.for_title(title, indexer))
        if info_hash:
            keys.add(BlocklistKey.for_hash(info_hash))
    return frozenset(keys)


def add_entry(
    session: Session,
    *,
    info_hash: str | None,
    title: str,
    indexer: str,
    reason: str,
    wanted_book_id: int | None = None,
    download_id: int | None = None,
) -> BlocklistEntry:
    """Block a release; blocking the same torrent (or the same title at the same indexer) again keeps one entry."""
    info_hash = info_hash.strip().lower() if info_hash else None
    title_key = release_title_key(title)
    same_title = (BlocklistEntry.title_key == title_key) & (BlocklistEntry.indexer == indexer)
    existing = session.scalars(
        select(BlocklistEntry).where(
            or_(BlocklistEntry.info_hash == info_hash, same_title) if info_hash else same_title
        )
    ).first()
    if existing is not None:
        existing.info_hash = existing.info_hash or info_hash
        return existing
    entry = BlocklistEntry(
        info_hash=info_hash,
        title_key=title_key[:1000],
        release_title=title[:1000],
        indexer=indexer[:200],
        reason=reason,
        wanted_book_id=wanted_book_id,
        download_id=download_id,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session, page: PageRequest, sort: str | None, *, wanted_book_id: int | None = None
) -> PageResult[Any]:
    query = select(BlocklistEntry)
    if wanted_book_id is not None:
        query = query.where(BlocklistEntry.wanted_book_id == wanted_book_id)
    return paginate(session, query, page, order_by(sort, SORTS, "-created"), BlocklistEntry.id.desc())


def delete_entry(session: Session, entry_id: int) -> None:
    """Remove an entry: the release may be grabbed again."""
    entry = session.get(BlocklistEntry, entry_id)
    if entry is None:
        raise NotFound(f"Blocklist entry {entry_id} not found.", code="BLOCKLIST_NOT_FOUND")
    session.delete(entry)
