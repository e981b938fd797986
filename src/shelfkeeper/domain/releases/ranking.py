"""The quality profile, the blocklist, and ranking releases with reasons (MAM's wedge policy: ``mam_policy``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from shelfkeeper.domain.releases.mam_policy import (
    MamPolicy,
    WedgeDecision,
    decide_wedge,
    freeleech_kind,
    is_mam_release,
)
from shelfkeeper.domain.releases.parsing import ParsedRelease, parse_release
from shelfkeeper.domain.releases.people import group_narrators, names_match
from shelfkeeper.domain.releases.release import DownloadProtocol, Release
from shelfkeeper.domain.releases.title_facts import EBOOK_FORMATS
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import Reason, ReasonCode, Verification, WantedEdition, verify
from shelfkeeper.domain.text import fold, normalize_language, split_names

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


@dataclass(frozen=True)
class QualityProfile:
    """What the user prefers in a release; the settings build one, the defaults are sensible."""

    format_order: tuple[str, ...] = ("m4b", "m4a", "mp3", "flac", "opus", "ogg")
    min_bitrate_kbps: int = 32
    max_bitrate_kbps: int = 320
    min_mb_per_hour: float = 10.0  # checked when the wanted book's runtime is known
    max_mb_per_hour: float = 250.0
    min_size_mb: float = 20.0  # checked when the runtime is unknown
    max_size_mb: float = 8000.0
    languages: tuple[str, ...] = ("en",)  # codes or names ("en", "English"); empty: any language
    preferred_words: tuple[str, ...] = ()
    forbidden_words: tuple[str, ...] = ()
    preferred_narrators: tuple[str, ...] = ()
    min_seeders: int = 1
    prefer_freeleech: bool = True
    prefer_vip: bool = False
    mam: MamPolicy = field(default_factory=MamPolicy)


def release_title_key(title: str) -> str:
    """A release title as the blocklist stores it: folded (case, accents, punctuation), volume numbers kept."""
    return fold(title)


@dataclass(frozen=True)
class BlocklistKey:
    """A blocklist entry: an info hash, or a (normalised title, indexer) pair. Fields are normalised on creation."""

    info_hash: str | None = None
    title: str | None = None
    indexer: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "info_hash", self.info_hash.strip().lower() if self.info_hash else None)
        object.__setattr__(self, "title", release_title_key(self.title) if self.title else None)
        object.__setattr__(self, "indexer", fold(self.indexer) if self.indexer else None)

    @classmethod
    def for_hash(cls, info_hash: str) -> BlocklistKey:
        """The entry that blocks one torrent by its info hash on every indexer."""
        return cls(info_hash=info_hash)

    @classmethod
    def for_title(cls, title: str, indexer: str) -> BlocklistKey:
        """The entry that blocks a release title on one indexer (when the hash is unknown)."""
        return cls(title=title, indexer=indexer)

    @classmethod
    def keys_of(cls, release: Release) -> frozenset[BlocklistKey]:
        """Every key that would block this release."""
        keys = {cls.for_title(release.title, release.indexer)}
        if release.info_hash:
            keys.add(cls.for_hash(release.info_hash))
        return frozenset(keys)


@dataclass(frozen=True)
class RankedRelease:
    """One release with its verdict: score, accepted or not, and every named reason."""

    release: Release
    parsed: ParsedRelease
    score: int
    accepted: bool
    reasons: tuple[Reason, ...]
    verification: Verification
    wedge: WedgeDecision | None = None  # set for MAM releases
    freeleech: bool = False  # downloading it costs no ratio (freeleech, personal or VIP freeleech)

    @property
    def reason_texts(self) -> tuple[str, ...]:
        """The reasons as a person reads them: "format m4b (+30)", "seeders 0 < minimum 1 (rejected)"."""
        return tuple(str(reason) for reason in self.reasons)

    @property
    def rejections(self) -> tuple[Reason, ...]:
        """The reasons that reject the release."""
        return tuple(reason for reason in self.reasons if reason.rejects)


def rank(
    wanted: WantedEdition,
    releases: Iterable[Release],
    profile: QualityProfile,
    *,
    mam_stats: TrackerStats | None = None,
    blocklist: Collection[BlocklistKey] = frozenset(),
) -> list[RankedRelease]:
    """Every release, best first: accepted ones by score, then rejected ones, each with its reasons.

    Ties break on freeleech, then seeders, then guid, so the same input always gives the same order.
    """
    readings: dict[tuple[object, ...], ParsedRelease] = {}  # one upload listed by several indexers parses once
    ranked = [_rank_one(wanted, _parsed(release, readings), profile, mam_stats, blocklist) for release in releases]
    return sorted(ranked, key=_order_key)


def _parsed(release: Release, readings: dict[tuple[object, ...], ParsedRelease]) -> ParsedRelease:
    """``parse_release(release)``, shared by releases alike in every field the parse reads.

    The parse reads the title, file type, stated people, series and language, the categories, source, MAM's main
    category and the freeleech and VIP flags; of the rest it only copies the release and its size.
    """
    r, main_category = release, release.extra.get("main_cat")
    if not isinstance(main_category, int | str | None):
        return parse_release(release)  # not a key (the parse only compares it)
    key: tuple[object, ...] = (r.title, r.file_type, r.authors, r.narrators, r.series, r.language, r.categories)
    key += (r.source, main_category, r.freeleech, r.personal_freeleech, r.vip)
    shared = readings.get(key)
    if shared is None:
        readings[key] = shared = parse_release(release)
        return shared
    return dataclasses.replace(shared, release=release, size_bytes=release.size_bytes)


def best_release(ranked: Sequence[RankedRelease]) -> RankedRelease | None:
    """The release to grab: the first accepted one of a ranking, or None when every release is rejected."""
    return next((item for item in ranked if item.accepted), None)


def _order_key(item: RankedRelease) -> tuple[bool, int, bool, int, str]:
    return (not item.accepted, -item.score, not item.freeleech, -(item.release.seeders or 0), item.release.guid)


def _rank_one(
    wanted: WantedEdition,
    parsed: ParsedRelease,
    profile: QualityProfile,
    mam_stats: TrackerStats | None,
    blocklist: Collection[BlocklistKey],
) -> RankedRelease:
    verification = verify(wanted, parsed)
    return ranked_with(wanted, parsed, verification, profile, mam_stats=mam_stats, blocklist=blocklist)


def ranked_with(
    wanted: WantedEdition,
    parsed: ParsedRelease,
    verification: Verification,
    profile: QualityProfile,
    *,
    mam_stats: TrackerStats | None,
    blocklist: Collection[BlocklistKey],
    extra: Sequence[Reason] = (),
) -> RankedRelease:
    """A parsed release ranked against the profile after ``verification`` (and any ``extra`` reasons) of it.

    The single-book ranking verifies against one wanted book; a series pack (domain/releases/packs.py)
    verifies against several and ranks its quality here by the same rules.
    """
    release = parsed.release
    wedge = decide_wedge(release, mam_stats, profile.mam) if is_mam_release(release) else None
    # a "[FL]" tag in a title counts too, though only the indexer's flag is trusted for wedges
    free = freeleech_kind(release, mam_stats) or ("freeleech" if parsed.freeleech else None)
    reasons = [
        *_blocklist_reasons(release, blocklist),
        *verification.reasons,
        *extra,
        *_format_reasons(parsed, profile),
        *_bitrate_reasons(parsed, profile),
        *_size_reasons(parsed, wanted, profile),
        *_language_reasons(parsed, profile),
        *_word_reasons(release, profile),
        *_narrator_reasons(parsed, wanted, profile),
        *(
            _usenet_reasons(release)
            if release.protocol is DownloadProtocol.USENET
            else _seeder_reasons(release, profile)
        ),
        *_flag_reasons(parsed, wanted, profile, free),
        *_mam_reasons(free is not None, mam_stats, profile.mam, wedge),
    ]
    return RankedRelease(
        release=release,
        parsed=parsed,
        score=sum(reason.points for reason in reasons),
        accepted=not any(reason.rejects for reason in reasons),
        reasons=tuple(reasons),
        verification=verification,
        wedge=wedge,
        freeleech=free is not None,
    )


def _blocklist_reasons(release: Release, blocklist: Collection[BlocklistKey]) -> list[Reason]:
    if not blocklist:
        return []  # nothing blocked: no key of the release to build
    keys = BlocklistKey.keys_of(release)
    hits = [key for key in keys if key in blocklist]
    if not hits:
        return []
    how = "info hash" if any(key.info_hash for key in hits) else "title on this indexer"
    return [Reason(ReasonCode.BLOCKLISTED, f"blocklisted ({how})", rejects=True)]


def _format_reasons(parsed: ParsedRelease, profile: QualityProfile) -> list[Reason]:
    if not parsed.formats:
        return [Reason(ReasonCode.FORMAT, "format unknown")]
    if parsed.is_ebook:
        return []  # verification already rejects it as an ebook
    order = [fmt.lower() for fmt in profile.format_order]
    ranked = sorted((order.index(fmt), fmt) for fmt in parsed.formats if fmt in order)
    if not ranked:
        shown = ", ".join(fmt for fmt in parsed.formats if fmt not in EBOOK_FORMATS)
        return [Reason(ReasonCode.FORMAT, f"format {shown} not in the profile", rejects=True)]
    index, fmt = ranked[0]
    points = round(_FORMAT_POINTS * (len(order) - index) / len(order))
    return [Reason(ReasonCode.FORMAT, f"format {fmt}", points)]


def _bitrate_reasons(parsed: ParsedRelease, profile: QualityProfile) -> list[Reason]:
    bitrate = parsed.bitrate_kbps
    if bitrate is None:
        return []
    if bitrate < profile.min_bitrate_kbps:
        return [
            Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps < minimum {profile.min_bitrate_kbps}", rejects=True)
        ]
    if bitrate > profile.max_bitrate_kbps:
        return [
            Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps > maximum {profile.max_bitrate_kbps}", rejects=True)
        ]
    return [Reason(ReasonCode.BITRATE, f"bitrate {bitrate} kbps")]


def _size_reasons(parsed: ParsedRelease, wanted: WantedEdition, profile: QualityProfile) -> list[Reason]:
    """Size per hour of runtime when the runtime is known, else absolute bounds: both catch samples and junk."""
    if parsed.size_bytes is None:
        return [Reason(ReasonCode.SIZE, "size unknown")]
    size_mb = parsed.size_bytes / _MIB
    if wanted.duration_minutes:
        per_hour = size_mb / (wanted.duration_minutes / 60)
        low, high, shown, unit = profile.min_mb_per_hour, profile.max_mb_per_hour, per_hour, "MB/h"
    else:
        low, high, shown, unit = profile.min_size_mb, profile.max_size_mb, size_mb, "MB"
    if shown < low:
        return [Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit} < minimum {low:g} {unit}", rejects=True)]
    if shown > high:
        return [Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit} > maximum {high:g} {unit}", rejects=True)]
    return [Reason(ReasonCode.SIZE, f"size {shown:.1f} {unit}")]


def _language_reasons(parsed: ParsedRelease, profile: QualityProfile) -> list[Reason]:
    allowed = {normalize_language(language) for language in profile.languages}
    if parsed.language is None or not allowed:
        return []
    if parsed.language not in allowed:
        shown = ", ".join(sorted(a for a in allowed if a))
        return [Reason(ReasonCode.LANGUAGE, f"language {parsed.language} not in the profile ({shown})", rejects=True)]
    return [Reason(ReasonCode.LANGUAGE, f"language {parsed.language}")]


def _word_reasons(release: Release, profile: QualityProfile) -> list[Reason]:
    """Preferred and forbidden words match whole words of the release title, case and accents ignored."""
    if not profile.forbidden_words and not profile.preferred_words:
        return []
    title = f" {fold(release.title)} "
    reasons = [
        Reason(ReasonCode.FORBIDDEN_WORD, f"forbidden word '{word}'", rejects=True)
        for word in profile.forbidden_words
        if fold(word) and f" {fold(word)} " in title
    ]
    reasons += [
        Reason(ReasonCode.PREFERRED_WORD, f"preferred word '{word}'", _PREFERRED_WORD_POINTS)
        for word in profile.preferred_words
        if fold(word) and f" {fold(word)} " in title
    ]
    return reasons


def _narrator_reasons(parsed: ParsedRelease, wanted: WantedEdition, profile: QualityProfile) -> list[Reason]:
    narrators = parsed.narrators or group_narrators(parsed, wanted.authors, wanted.narrator)
    if not narrators:
        return []
    reasons: list[Reason] = []
    shown = ", ".join(narrators)
    if wanted.narrator:
        if any(names_match(name, wanted_one) for name in narrators for wanted_one in split_names(wanted.narrator)):
            reasons.append(Reason(ReasonCode.NARRATOR, f"narrator {wanted.narrator}", _WANTED_NARRATOR_POINTS))
        else:
            text = f"another narrator: {shown} (wanted {wanted.narrator})"
            reasons.append(Reason(ReasonCode.NARRATOR, text, _OTHER_NARRATOR_POINTS))
    preferred = [p for p in profile.preferred_narrators if any(names_match(n, p) for n in narrators)]
    if preferred:
        reasons.append(
            Reason(ReasonCode.PREFERRED_NARRATOR, f"preferred narrator {preferred[0]}", _PREFERRED_NARRATOR_POINTS)
        )
    return reasons


def _seeder_reasons(release: Release, profile: QualityProfile) -> list[Reason]:
    seeders = release.seeders
    if seeders is None:
        return [Reason(ReasonCode.SEEDERS, "seeders unknown")]
    if seeders < profile.min_seeders:
        return [Reason(ReasonCode.SEEDERS, f"seeders {seeders} < minimum {profile.min_seeders}", rejects=True)]
    # grows with the doubling of seeders, so 200 versus 150 seeders does not outweigh a better format
    points = min(_MAX_SEEDER_POINTS, 2 * seeders.bit_length())
    return [Reason(ReasonCode.SEEDERS, f"seeders {seeders}", points)]


def _usenet_reasons(release: Release) -> list[Reason]:
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


def _flag_reasons(
    parsed: ParsedRelease, wanted: WantedEdition, profile: QualityProfile, free: str | None
) -> list[Reason]:
    reasons: list[Reason] = []
    if parsed.abridged is False:
        reasons.append(Reason(ReasonCode.UNABRIDGED, "unabridged", _UNABRIDGED_POINTS))
    elif parsed.abridged and wanted.abridged_ok:
        reasons.append(Reason(ReasonCode.ABRIDGED, "abridged (allowed)", _ABRIDGED_ALLOWED_POINTS))
    if profile.prefer_freeleech and free:
        reasons.append(Reason(ReasonCode.FREELEECH, free, _FREELEECH_POINTS))
    if profile.prefer_vip and parsed.vip:
        reasons.append(Reason(ReasonCode.VIP, "VIP", _VIP_POINTS))
    return reasons


def _mam_reasons(
    free: bool, stats: TrackerStats | None, policy: MamPolicy, wedge: WedgeDecision | None
) -> list[Reason]:
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
