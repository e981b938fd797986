"""Before a release search: the wanted book's subtitle, looked up once by its ASIN when the record lacks one.

Audnexus is asked by the ASIN, else (down, not configured, or it does not know the ASIN) the Audible catalog,
both through the cached, fault-tolerant provider path (``ProviderLookup``). The answer, a subtitle or none, is
remembered on the wanted record (``services.wanted_subtitles``) and goes to verification, where a known subtitle
decides over the heuristic. No ASIN, or no provider answering, leaves the heuristic alone: never fatal, and the
reason is in the release reasons (``WantedEdition.subtitle_note``) and the search summary.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from shelfkeeper.automation.metadata_providers import ProviderLookup
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.services import wanted_subtitles
from shelfkeeper.services.downloads import wanted_book_of
from shelfkeeper.services.provider_cache import remember_outcomes
from shelfkeeper.services.wanted_list import get_wanted

SUBTITLE_PROVIDERS = ("audnexus", "audible")  # by ASIN, in this order


@dataclass(frozen=True)
class SubtitleAnswer:
    """What the providers said about an ASIN's subtitle: the provider that answered (None: none did)."""

    subtitle: str | None
    source: str | None
    note: str


async def look_up_subtitle(run: RunContext, asin: str) -> SubtitleAnswer:
    """The subtitle of the book with ``asin``: Audnexus's, else the Audible catalog's; never raises."""
    lookup = ProviderLookup(run, stop_on_quota=False)
    failed: list[str] = []
    outcomes: dict[str, tuple[str | None, str | None]] = {}
    answer = None
    for provider in SUBTITLE_PROVIDERS:
        before = lookup.fetched.get(provider, 0)
        book, error = await lookup.by_asin(provider, asin)
        if error is not None:
            failed.append(error.message)  # "audnexus: HTTP 502 from …"
            outcomes[provider] = (error.message, error.code)
            continue
        if lookup.fetched.get(provider, 0) > before:
            outcomes[provider] = (None, None)
        if book is not None:
            subtitle = (book.subtitle or "").strip() or None
            shown = f"looked up at {provider} by ASIN {asin}" if subtitle else f"{provider} has none for ASIN {asin}"
            answer = SubtitleAnswer(subtitle, provider, shown)
            break
    if outcomes:
        now = run.now()
        await run.transaction(lambda session: remember_outcomes(session, outcomes, now))
    if answer is not None:
        return answer
    if failed:
        return SubtitleAnswer(None, None, f"subtitle lookup failed ({'; '.join(failed)})")
    return SubtitleAnswer(None, "+".join(SUBTITLE_PROVIDERS), f"no provider knows ASIN {asin}")


async def with_subtitle(
    run: RunContext, wanted_id: int, wanted: WantedEdition, *, within: float | None = None
) -> WantedEdition:
    """``wanted`` with its subtitle looked up (and remembered) when the record lacks one and has an unasked ASIN.

    ``within`` (seconds, an API request's bound): a lookup still unanswered then leaves the heuristic alone.
    """
    asin = await run.transaction(lambda session: wanted_subtitles.asin_to_look_up(session, wanted_id))
    if asin is None:
        return wanted
    try:
        found = await asyncio.wait_for(look_up_subtitle(run, asin), within)
    except TimeoutError:
        found = SubtitleAnswer(None, None, f"subtitle lookup gave no answer within {within:g} s")
    if found.source is None:
        run.log.warning("acquisition: subtitle of wanted book %s not known (%s)", wanted_id, found.note)
        return dataclasses.replace(wanted, subtitle_note=found.note)
    now, source = run.now(), found.source
    await run.transaction(
        lambda session: wanted_subtitles.remember_subtitle(session, wanted_id, asin, found.subtitle, source, now)
    )
    return dataclasses.replace(wanted, subtitle=found.subtitle, subtitle_note=found.note)


async def searchable_wanted(run: RunContext, wanted_id: int, *, within: float | None = None) -> WantedEdition:
    """The wanted book as the release search verifies it, its subtitle looked up when needed (NotFound raised)."""
    wanted = await run.transaction(lambda session: wanted_book_of(get_wanted(session, wanted_id)))
    return await with_subtitle(run, wanted_id, wanted, within=within)
