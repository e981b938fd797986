"""The reasons a release's quality gives for and against it: format, bitrate, size, language, words, narrator,
seeders (or a usenet post's grabs and age), edition flags and MyAnonamouse's ratio policy.

Each function reads only what it is given: ``ranking`` passes the quality profile's settings, normalised once
per ranking.
"""

from __future__ import annotations

from collections.abc import Sequence

from shelfkeeper.domain.releases.mam_policy import MamPolicy, WedgeDecision
from shelfkeeper.domain.releases.parsing import ParsedRelease
from shelfkeeper.domain.releases.people import group_narrators, names_match
from shelfkeeper.domain.releases.reasons import Reason, ReasonCode
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.title_facts import EBOOK_FORMATS
from shelfkeeper.domain.releases.tracker import TrackerStats

_MIB = 1024 * 1024
_FORMAT_POINTS = 30
_MAX_SEEDER_POINTS = 10
_MAX_GRAB_POINTS = 10
_FRESH_POST_DAYS = 365  # younger usenet posts rarely miss articles
_AGE_POINTS_PER_YEAR = -2  # each further year makes missing (taken down or expired) articles likelier
_MAX_AGE_PENALTY = -10
_WANTED_NARRATOR_POINTS = 20
# Another narrator's reading is another edition: still the book, but any release that may be the wanted
# edition (no narrator stated) outranks it whatever its format, seeders or freeleech.
_OTHER_NARRATOR_POINTS = -70
_PREFERRED_NARRATOR_POINTS = 10
_PREFERRED_WORD_POINTS = 10
_FREELEECH_POINTS = 15
_VIP_POINTS = 5
_UNABRIDGED_POINTS = 5
_ABRIDGED_ALLOWED_POINTS = -10
_FORMAT_UNKNOWN = (Reason(ReasonCode.FORMAT, "format unknown"),)
_SIZE_UNKNOWN = Reason(ReasonCode.SIZE, "size unknown")
_SEEDERS_UNKNOWN = Reason(ReasonCode.SEEDERS, "seeders unknown")
_UNABRIDGED = Reason(ReasonCode.UNABRIDGED, "unabridged", _UNABRIDGED_POINTS)
_ABRIDGED_ALLOWED = Reason(ReasonCode.ABRIDGED, "abridged (allowed)", _ABRIDGED_ALLOWED_POINTS)
_VIP = Reason(ReasonCode.VIP, "VIP", _VIP_POINTS)


def format_reasons(parsed: ParsedRelease, order: Sequence[str]) -> tuple[Reason, ...]:
    """The best of the release's formats in the profile's ``order`` (lower-cased), or why none counts."""
    if not parsed.formats:
        return _FORMAT_UNKNOWN
    if parsed.is_ebook:
        return ()  # verification already rejects it as an ebook
    ranked = sorted((order.index(fmt), fmt) for fmt in parsed.formats if fmt in order)
    if not ranked:
        shown = ", ".join(fmt for fmt in parsed.formats if fmt not in EBOOK_FORMATS)
        return (Reason(ReasonCode.FORMAT, f"format {shown} not in the profile", rejects=True),)
    index, fmt = ranked[0]
    points = round(_FORMAT_POINTS * (len(order) - index) / len(order))
    return (Reason(ReasonCode.FORMAT, f"format {fmt}", points),)


def bitrate_reasons(bitrate: int | None, low: int, high: int) -> tuple[Reason, ...]:
    """The stated bitrate within the profile's bounds, or rejected outside them."""
    if bitrate is None:
        return ()
    if bitrate < low:
        return (Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps < minimum {low}", rejects=True),)
    if bitrate > high:
        return (Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps > maximum {high}", rejects=True),)
    return (Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps"),)


def size_reason(size_bytes: int | None, duration_minutes: int | None, bounds: tuple[float, ...]) -> Reason:
    """Size per hour of runtime when the runtime is known, else absolute bounds: both catch samples and junk.

    ``bounds`` are the profile's (min MB/h, max MB/h, min MB, max MB).
    """
    if size_bytes is None:
        return _SIZE_UNKNOWN
    size_mb = size_bytes / _MIB
    if duration_minutes:
        per_hour = size_mb / (duration_minutes / 60)
        low, high, shown, unit = bounds[0], bounds[1], per_hour, "MB/h"
    else:
        low, high, shown, unit = bounds[2], bounds[3], size_mb, "MB"
    if shown < low:
        return Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit} < minimum {low:g} {unit}", rejects=True)
    if shown > high:
        return Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit} > maximum {high:g} {unit}", rejects=True)
    return Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit}")


def language_reasons(language: str | None, allowed: frozenset[str | None], shown: str) -> tuple[Reason, ...]:
    """The release's language among the profile's (``allowed`` codes, ``shown`` as a person reads them)."""
    if language is None or not allowed:
        return ()
    if language not in allowed:
        return (Reason(ReasonCode.LANGUAGE, f"language {language} not in the profile ({shown})", rejects=True),)
    return (Reason(ReasonCode.LANGUAGE, f"language {language}"),)


def word_reasons(
    folded_title: str, forbidden: Sequence[tuple[str, str]], preferred: Sequence[tuple[str, str]]
) -> list[Reason]:
    """Preferred and forbidden words (each with its fold) match whole words of the folded release title."""
    title = f" {folded_title} "
    reasons = [
        Reason(ReasonCode.FORBIDDEN_WORD, f"forbidden word '{word}'", rejects=True)
        for word, folded in forbidden
        if folded and f" {folded} " in title
    ]
    reasons += [
        Reason(ReasonCode.PREFERRED_WORD, f"preferred word '{word}'", _PREFERRED_WORD_POINTS)
        for word, folded in preferred
        if folded and f" {folded} " in title
    ]
    return reasons


def narrator_reasons(
    parsed: ParsedRelease,
    authors: Sequence[str],
    wanted_narrator: str | None,
    wanted_narrators: Sequence[str],
    preferred_narrators: Sequence[str],
) -> list[Reason]:
    """The wanted narrator (``wanted_narrators``: its names) found or another one read it; a preferred one."""
    if not wanted_narrator and not preferred_narrators:
        return []  # nothing to say of whoever reads it
    narrators = parsed.narrators or group_narrators(parsed, authors, wanted_narrator)
    if not narrators:
        return []
    reasons: list[Reason] = []
    shown = ", ".join(narrators)
    if wanted_narrator:
        if any(names_match(name, wanted_one) for name in narrators for wanted_one in wanted_narrators):
            reasons.append(Reason(ReasonCode.NARRATOR, f"narrator {wanted_narrator}", _WANTED_NARRATOR_POINTS))
        else:
            text = f"another narrator: {shown} (wanted {wanted_narrator})"
            reasons.append(Reason(ReasonCode.NARRATOR, text, _OTHER_NARRATOR_POINTS))
    preferred = [p for p in preferred_narrators if any(names_match(n, p) for n in narrators)]
    if preferred:
        reasons.append(
            Reason(ReasonCode.PREFERRED_NARRATOR, f"preferred narrator {preferred[0]}", _PREFERRED_NARRATOR_POINTS)
        )
    return reasons


def seeder_reason(seeders: int | None, minimum: int) -> Reason:
    """Seeders below the profile's minimum reject; above it they count, less and less."""
    if seeders is None:
        return _SEEDERS_UNKNOWN
    if seeders < minimum:
        return Reason(ReasonCode.SEEDERS, f"seeders {seeders} < minimum {minimum}", rejects=True)
    # grows with the doubling of seeders, so 200 versus 150 seeders does not outweigh a better format
    points = min(_MAX_SEEDER_POINTS, 2 * seeders.bit_length())
    return Reason(ReasonCode.SEEDERS, f"seeders {seeders}", points)


def usenet_reasons(release: Release) -> list[Reason]:
    """A usenet post has no seeders: its grabs say it works, its age how likely articles went missing."""
    grabs = release.grabs
    reasons = [
        Reason(ReasonCode.GRABS, "grabs unknown")
        if grabs is None
        else Reason(ReasonCode.GRABS, f"grabs {grabs}", min(_MAX_GRAB_POINTS, 2 * max(grabs, 0).bit_length()))
    ]
    age_hours = release.extra.get("age_hours")
    if isinstance(age_hours, int | float) and not isinstance(age_hours, bool) and age_hours >= 0:
        days = int(age_hours // 24)
        years_over = max(0, days - _FRESH_POST_DAYS) // 365 + (1 if days > _FRESH_POST_DAYS else 0)
        points = max(_MAX_AGE_PENALTY, _AGE_POINTS_PER_YEAR * years_over)
        reasons.append(Reason(ReasonCode.AGE, f"age {days} days", points))
    else:
        reasons.append(Reason(ReasonCode.AGE, "age unknown"))
    return reasons


def flag_reasons(
    parsed: ParsedRelease, abridged_ok: bool, free: str | None, prefer_freeleech: bool, prefer_vip: bool
) -> list[Reason]:
    """Unabridged, an allowed abridgement, freeleech and VIP, as the profile prefers them."""
    reasons: list[Reason] = []
    if parsed.abridged is False:
        reasons.append(_UNABRIDGED)
    elif parsed.abridged and abridged_ok:
        reasons.append(_ABRIDGED_ALLOWED)
    if prefer_freeleech and free:
        reasons.append(Reason(ReasonCode.FREELEECH, free, _FREELEECH_POINTS))
    if prefer_vip and parsed.vip:
        reasons.append(_VIP)
    return reasons


def mam_reasons(free: bool, stats: TrackerStats | None, policy: MamPolicy, wedge: WedgeDecision | None) -> list[Reason]:
    """Below the ratio floor a MAM release must be freeleech, or become so with a wedge."""
    if wedge is None:
        return []
    reasons: list[Reason] = []
    if wedge.use_wedge:
        reasons.append(Reason(ReasonCode.WEDGE, f"freeleech wedge: {wedge.reason}"))
    ratio = stats.ratio if stats is not None else None
    if free or ratio is None or ratio >= policy.ratio_floor:
        return reasons
    text = f"ratio {ratio:.2f} < floor {policy.ratio_floor:.2f}"
    if wedge.use_wedge:
        reasons.append(Reason(ReasonCode.MAM_RATIO, f"{text}: allowed because a wedge makes it freeleech"))
    else:
        reasons.append(Reason(ReasonCode.MAM_RATIO, f"{text} and not freeleech ({wedge.reason})", rejects=True))
    return reasons
