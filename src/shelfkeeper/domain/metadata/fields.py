"""The fields a metadata correction may write, split into the work's and the edition's.

The one list of them is ``MetadataUpdate`` (what the library server can be told); everything else derives from it.
A work-level field (title, authors, series, genres, description) is the same in every edition of the book; an
edition-level field (ASIN, ISBN, narrators, publisher, year, language) belongs to one recording and is written only
from a candidate shown to be that very edition (``domain/metadata/evidence.py``).
"""

from __future__ import annotations

from dataclasses import fields

from shelfkeeper.domain.library.items import MetadataUpdate

CORRECTABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MetadataUpdate))
IDENTIFIER_FIELDS: tuple[str, ...] = ("asin", "isbn")
# Abridged and duration are edition facts too, but they are read (as evidence), never written.
EDITION_FIELDS = frozenset({*IDENTIFIER_FIELDS, "narrators", "publisher", "published_year", "language"})
WORK_FIELDS = frozenset(CORRECTABLE_FIELDS) - EDITION_FIELDS
