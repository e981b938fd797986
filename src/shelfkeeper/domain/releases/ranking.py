"""The quality profile, the blocklist, and ranking releases with reasons (MAM's wedge policy: ``mam_policy``; the
quality reasons: ``quality_reasons``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from shelfkeeper.domain.releases.mam_policy import (
    MamPolicy,
    WedgeDecision,
    decide_wedge,
    freeleech_kind,
    is_mam_release,
)
from shelfkeeper.domain.releases.parsing import ParsedRelease, parse_release
from shelfkeeper.domain.releases.quality_reasons import (
    bitrate_reasons,
    flag_reasons,
    format_reasons,
    language_reasons,
    mam_reasons,
    narrator_reasons,
    seeder_reason,
    size_reason,
    usenet_reasons,
    word_reasons,
)
from shelfkeeper.domain.releases.reasons import Reason, ReasonCode, Verification
from shelfkeeper.domain.releases.release import DownloadProtocol, Release
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import Verifier, verify
from shelfkeeper.domain.releases.wanted import WantedEdition
from shelfkeeper.domain.text import fold, normalize_language

# what the parse reads of a release (besides MAM's main category): releases alike in these share one parse
_PARSE_READS = attrgetter(
    "title", "file_type", "authors", "narrators", "series", "language", "categories", "source", "freeleech",
    "personal_freeleech", "vip",
)  # fmt: skip
_USENET = DownloadProtocol.USENET  # read for every release (reading a member off an Enum class costs a lookup)


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

    def __init__(  # the fields, as the generated __init__ takes them
        self,
        release: Release,
        parsed: ParsedRelease,
        score: int,
        accepted: bool,
        reasons: tuple[Reason, ...],
        verification: Verification,
        wedge: WedgeDecision | None = None,
        freeleech: bool = False,
    ) -> None:
        # one made for every release: the fields set in one dict update, not one object.__setattr__ call each
        self.__dict__.update(
            release=release, parsed=parsed, score=score, accepted=accepted, reasons=reasons,
            verification=verification, wedge=wedge, freeleech=freeleech,
        )  # fmt: skip

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
    judge = _Judge(wanted, profile, mam_stats, blocklist)
    # One upload listed by several indexers parses once, and is verified once: verification reads nothing of a
    # release but its reading, save the release's own ASIN fields when the wanted book has an ASIN.
    shares_verdict = not judge.forms.wanted.asin
    readings: dict[tuple[object, ...], tuple[ParsedRelease, Verification]] = {}
    ranked: list[RankedRelease] = []
    for release in releases:
        key = _reading_key(release)
        shared = readings.get(key) if key is not None else None
        if shared is None:
            parsed = parse_release(release)
            verification = judge.verified(parsed)
            if key is not None:
                readings[key] = (parsed, verification)
        else:
            parsed = shared[0].for_release(release)
            verification = shared[1] if shares_verdict else judge.verified(parsed)
        ranked.append(judge.ranked(parsed, verification))
    return sorted(ranked, key=_order_key)


def _reading_key(release: Release) -> tuple[object, ...] | None:
    """What the parse reads of a release: the title, file type, stated people, series and language, the categories,
    source, MAM's main category and the freeleech and VIP flags (of the rest it only copies the release and its
    size). None when MAM's main category is no key (the parse only compares it)."""
    main_category = release.extra.get("main_cat")
    if not isinstance(main_category, int | str | None):
        return None
    return (*_PARSE_READS(release), main_category)


def _parsed(release: Release, readings: dict[tuple[object, ...], ParsedRelease]) -> ParsedRelease:
    """``parse_release(release)``, shared by releases alike in every field the parse reads (``_reading_key``)."""
    key = _reading_key(release)
    if key is None:
        return parse_release(release)
    shared = readings.get(key)
    if shared is None:
        readings[key] = shared = parse_release(release)
        return shared
    return shared.for_release(release)


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
    """One release verified and ranked on its own (what ``rank`` gives it, as a plain path for tests)."""
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
    return _Judge(wanted, profile, mam_stats, blocklist).ranked(parsed, verification, extra)


class _Judge:
    """One ranking's wanted book, profile, account and blocklist, each normalised once; the quality reasons of
    releases alike in what they read (formats, bitrate, language, seeders) are made once."""

    def __init__(
        self,
        wanted: WantedEdition,
        profile: QualityProfile,
        mam_stats: TrackerStats | None,
        blocklist: Collection[BlocklistKey],
    ) -> None:
        self.wanted, self.profile, self.mam_stats, self.blocklist = wanted, profile, mam_stats, blocklist
        self.verifier = Verifier(wanted)
        self.forms = self.verifier.forms
        self.order = [fmt.lower() for fmt in profile.format_order]
        self.languages = frozenset(normalize_language(language) for language in profile.languages)
        self.shown_languages = ", ".join(sorted(code for code in self.languages if code))
        self.size_bounds = (profile.min_mb_per_hour, profile.max_mb_per_hour, profile.min_size_mb, profile.max_size_mb)
        self.forbidden = [(word, fold(word)) for word in profile.forbidden_words]
        self.preferred = [(word, fold(word)) for word in profile.preferred_words]
        self.files: dict[tuple[tuple[str, ...], bool, int | None], tuple[Reason, ...]] = {}
        self.language_reasons: dict[str | None, tuple[Reason, ...]] = {}
        self.seeders: dict[int | None, Reason] = {}
        self.flags: dict[tuple[bool | None, str | None, bool], tuple[Reason, ...]] = {}
        self.narrators_matter = bool(wanted.narrator or profile.preferred_narrators)

    def verified(self, parsed: ParsedRelease) -> Verification:
        return self.verifier.verify(parsed)

    def ranked(self, parsed: ParsedRelease, verification: Verification, extra: Sequence[Reason] = ()) -> RankedRelease:
        release, profile, wanted = parsed.release, self.profile, self.wanted
        wedge = decide_wedge(release, self.mam_stats, profile.mam) if is_mam_release(release) else None
        # a "[FL]" tag in a title counts too, though only the indexer's flag is trusted for wedges
        free = freeleech_kind(release, self.mam_stats) or ("freeleech" if parsed.freeleech else None)
        if self.blocklist:
            reasons = [*_blocklist_reasons(release, self.blocklist), *verification.reasons, *extra]
        else:
            reasons = [*verification.reasons, *extra]
        reasons += self._file_reasons(parsed)
        reasons.append(size_reason(parsed.size_bytes, wanted.duration_minutes, self.size_bounds))
        reasons += self._language(parsed.language)
        if self.forbidden or self.preferred:
            reasons += word_reasons(fold(release.title), self.forbidden, self.preferred)
        if self.narrators_matter:
            reasons += narrator_reasons(
                parsed, wanted.authors, wanted.narrator, self.forms.narrators, profile.preferred_narrators
            )
        if release.protocol is _USENET:
            reasons += usenet_reasons(release)
        else:
            reasons.append(self._seeder_reason(release.seeders))
        reasons += self._flag_reasons(parsed, free)
        if wedge is not None:
            reasons += mam_reasons(free is not None, self.mam_stats, profile.mam, wedge)
        return RankedRelease(  # by position, as the fields come (one made for every release: see ParsedRelease)
            release,
            parsed,
            sum([reason.points for reason in reasons]),  # score
            not any([reason.rejects for reason in reasons]),  # accepted
            tuple(reasons),
            verification,
            wedge,
            free is not None,  # freeleech
        )

    def _file_reasons(self, parsed: ParsedRelease) -> tuple[Reason, ...]:
        """The format's and the bitrate's reasons (all they read: the formats, e-book category and bitrate)."""
        key = (parsed.formats, parsed.ebook_category, parsed.bitrate_kbps)
        found = self.files.get(key)
        if found is None:
            low, high = self.profile.min_bitrate_kbps, self.profile.max_bitrate_kbps
            found = (*format_reasons(parsed, self.order), *bitrate_reasons(parsed.bitrate_kbps, low, high))
            self.files[key] = found
        return found

    def _language(self, language: str | None) -> tuple[Reason, ...]:
        found = self.language_reasons.get(language)
        if found is None:
            self.language_reasons[language] = found = language_reasons(language, self.languages, self.shown_languages)
        return found

    def _seeder_reason(self, seeders: int | None) -> Reason:
        found = self.seeders.get(seeders)
        if found is None:
            self.seeders[seeders] = found = seeder_reason(seeders, self.profile.min_seeders)
        return found

    def _flag_reasons(self, parsed: ParsedRelease, free: str | None) -> tuple[Reason, ...]:
        key = (parsed.abridged, free, parsed.vip)  # all that flag_reasons reads of a release
        found = self.flags.get(key)
        if found is None:
            profile = self.profile
            abridged_ok = self.wanted.abridged_ok
            found = tuple(flag_reasons(parsed, abridged_ok, free, profile.prefer_freeleech, profile.prefer_vip))
            self.flags[key] = found
        return found


def _blocklist_reasons(release: Release, blocklist: Collection[BlocklistKey]) -> list[Reason]:
    if not blocklist:
        return []  # nothing blocked: no key of the release to build
    keys = BlocklistKey.keys_of(release)
    hits = [key for key in keys if key in blocklist]
    if not hits:
        return []
    how = "info hash" if any(key.info_hash for key in hits) else "title on this indexer"
    return [Reason(ReasonCode.BLOCKLISTED, f"blocklisted ({how})", rejects=True)]
