"""The audio check before an import: is what the files hold the wanted edition, whole?

Each check gives a named reason with its numbers. A release is refused when its audio is much shorter than the
wanted edition's runtime (an abridged cut passed off as unabridged), when its tags name another book or another
author, when they name another narrator than the one wanted, or when a file is truncated or unreadable. What
cannot be known (no runtime from the providers, no tags) is a reason that passes: missing information never
refuses a book by itself.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shelfkeeper.domain.library.audio import AudioReport, AudioTags, show_duration
from shelfkeeper.domain.metadata.distance import name_similarity, similarity
from shelfkeeper.domain.metadata.evidence import NARRATORS_AGREE
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.domain.text import fold, normalize_title

# Tags that name nothing: a ripper's placeholders and per-file track names.
_GENERIC = re.compile(
    r"^(?:unknown|unknown artist|unknown album|untitled|various|various artists|audiobook|audio book|"
    r"track|chapter|part|disc|cd|side|"
    r"intro|outro|opening credits|end credits|prologue|epilogue|\d+|[ivxlc]+)(?:\s+\w{1,4})*$"
)


class AudioReasonCode(enum.StrEnum):
    """The stable names of the audio check's findings (shown as ``code``)."""

    RUNTIME_OK = "runtime_ok"
    RUNTIME_SHORT = "runtime_short"
    RUNTIME_UNKNOWN = "runtime_unknown"
    RUNTIME_ESTIMATED = "runtime_estimated"
    ABRIDGED_ALLOWED = "abridged_allowed"
    TITLE_MATCH = "title_match"
    TITLE_MISMATCH = "title_mismatch"
    AUTHOR_MATCH = "author_match"
    AUTHOR_MISMATCH = "author_mismatch"
    AUTHOR_UNCONFIRMED = "author_unconfirmed"
    NARRATOR_MATCH = "narrator_match"
    NARRATOR_MISMATCH = "narrator_mismatch"
    TAGS_MISSING = "tags_missing"
    UNREADABLE = "unreadable"
    TRUNCATED = "truncated"
    NO_AUDIO_READ = "no_audio_read"


@dataclass(frozen=True)
class AudioThresholds:
    """The check's limits (AUDIO_* settings)."""

    min_runtime_ratio: float = 0.8  # the audio must last at least this share of the wanted runtime
    title_min_similarity: float = 0.6  # a title tag less alike than this (and not holding the title) is another book
    author_min_similarity: float = 0.8  # an artist tag naming nobody this alike to a wanted author is another author
    check_tags: bool = True
    check_narrator: bool = True


@dataclass(frozen=True)
class AudioReason:
    """One finding: its code, what a person reads, whether it refuses the release, and its numbers."""

    code: AudioReasonCode
    text: str
    rejects: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": str(self.code), "text": self.text, "rejects": self.rejects, **self.evidence}


@dataclass(frozen=True)
class AudioVerdict:
    """Whether the audio may be imported as the wanted book, with every reason and the files' summary."""

    accepted: bool
    reasons: tuple[AudioReason, ...]
    summary: dict[str, Any]

    @property
    def rejections(self) -> tuple[AudioReason, ...]:
        return tuple(reason for reason in self.reasons if reason.rejects)

    @property
    def text(self) -> str:
        """One line: the refusals (or "audio check passed") for logs, the blocklist and the FailedAttempt."""
        if self.accepted:
            return "audio check passed"
        return "audio check: " + "; ".join(reason.text for reason in self.rejections)

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, **self.summary, "reasons": [r.to_json() for r in self.reasons]}


def check_audio(report: AudioReport, wanted: WantedEdition, limits: AudioThresholds | None = None) -> AudioVerdict:
    """Compare what the files hold with the wanted edition; every finding is a named reason."""
    limits = limits or AudioThresholds()
    reasons = [*_file_reasons(report), _runtime_reason(report, wanted, limits)]
    if limits.check_tags:
        reasons.extend(_tag_reasons(report, wanted, limits))
    if limits.check_narrator and wanted.narrator:
        reasons.append(_narrator_reason(report, wanted))
    summary = report.summary() | {"wanted_minutes": wanted.duration_minutes, "wanted_narrator": wanted.narrator}
    return AudioVerdict(not any(r.rejects for r in reasons), tuple(reasons), summary)


# ---- files ---------------------------------------------------------------------------------------------------


def _file_reasons(report: AudioReport) -> list[AudioReason]:
    reasons = []
    for facts in report.files:
        if facts.problem is None:
            continue
        code = AudioReasonCode(str(facts.problem))
        what = "cannot be read" if code is AudioReasonCode.UNREADABLE else "is truncated"
        reasons.append(
            AudioReason(code, f"{facts.name} {what} ({facts.detail})", rejects=True, evidence={"file": facts.to_json()})
        )
    return reasons


# ---- runtime -------------------------------------------------------------------------------------------------


def _runtime_reason(report: AudioReport, wanted: WantedEdition, limits: AudioThresholds) -> AudioReason:
    total = report.total_seconds
    if not wanted.duration_minutes:
        return AudioReason(AudioReasonCode.RUNTIME_UNKNOWN, "runtime not checked: the providers give none")
    if total is None:
        return AudioReason(AudioReasonCode.NO_AUDIO_READ, "runtime not checked: no file's length could be read")
    guessed = [f.name for f in report.files if f.estimated]
    if guessed:
        text = (
            f"runtime not checked: the length of {len(guessed)} file(s) is only guessed from the size "
            "(MP3 without a length header; ffprobe measures it)"
        )
        return AudioReason(AudioReasonCode.RUNTIME_ESTIMATED, text, evidence={"estimated": guessed[:10]})
    wanted_seconds = wanted.duration_minutes * 60.0
    ratio = total / wanted_seconds
    evidence = {
        "audio_seconds": round(total, 1),
        "wanted_seconds": wanted_seconds,
        "ratio": round(ratio, 3),
        "min_ratio": limits.min_runtime_ratio,
    }
    shown = f"{show_duration(total)} of audio for a {show_duration(wanted_seconds)} edition ({ratio:.0%})"
    if ratio >= limits.min_runtime_ratio:
        return AudioReason(AudioReasonCode.RUNTIME_OK, f"runtime {shown}", evidence=evidence)
    if wanted.abridged_ok:
        text = f"short, but an abridged edition is allowed: {shown}"
        return AudioReason(AudioReasonCode.ABRIDGED_ALLOWED, text, evidence=evidence)
    text = f"runtime {shown}, under the {limits.min_runtime_ratio:.0%} minimum: abridged or incomplete"
    return AudioReason(AudioReasonCode.RUNTIME_SHORT, text, rejects=True, evidence=evidence)


# ---- tags ----------------------------------------------------------------------------------------------------


def _meaningful(value: str | None) -> str | None:
    """The tag's text, or None when it names nothing (empty, "Track 01", "Unknown Artist")."""
    if not value or not value.strip():
        return None
    return None if _GENERIC.match(fold(value)) else value.strip()


def _common(values: Sequence[str | None]) -> str | None:
    """The value most files share (the album of a multi-file book); None when no value is meaningful."""
    found = [v for v in (_meaningful(value) for value in values) if v]
    return max(set(found), key=found.count) if found else None


def _book_title_tag(report: AudioReport) -> str | None:
    """The album tag; the title tag only when every file carries the same one (a one-file book)."""
    album = _common([f.tags.album for f in report.files])
    if album:
        return album
    titles = {_meaningful(f.tags.title) for f in report.files}
    return titles.pop() if len(titles) == 1 else None


def _title_matches(tag: str, wanted: WantedEdition, limits: AudioThresholds) -> tuple[bool, float]:
    ours, theirs = normalize_title(wanted.title), normalize_title(tag)
    value = similarity(ours, theirs)
    words = set(theirs.split())
    holds = set(ours.split()) <= words or (bool(theirs) and set(words) <= set(ours.split()))
    series = wanted.series and normalize_title(wanted.series)
    names_series_only = bool(series) and theirs == series
    return holds or names_series_only or value >= limits.title_min_similarity, value


def _people(tags: Sequence[AudioTags], *names: str) -> list[str]:
    found: list[str] = []
    for tag in tags:
        for name in names:
            value = _meaningful(getattr(tag, name))
            if value:
                found.extend(n for n in split_names(value) if n and n not in found)
    return found


def _best(names: Sequence[str], wanted: Sequence[str]) -> float:
    return max((name_similarity(n, w) for n in names for w in wanted), default=0.0)


def _tag_reasons(report: AudioReport, wanted: WantedEdition, limits: AudioThresholds) -> list[AudioReason]:
    reasons: list[AudioReason] = []
    title = _book_title_tag(report)
    if title:
        ok, value = _title_matches(title, wanted, limits)
        evidence = {"tag": title, "wanted": wanted.title, "similarity": round(value, 2)}
        if ok:
            text = f"tags name the book ({title!r})"
            reasons.append(AudioReason(AudioReasonCode.TITLE_MATCH, text, evidence=evidence))
        else:
            text = f"tags name another book: {title!r}, not {wanted.title!r} ({value:.2f})"
            reasons.append(AudioReason(AudioReasonCode.TITLE_MISMATCH, text, rejects=True, evidence=evidence))
    tags = [f.tags for f in report.files]
    # A narrator in the artist tag (a common habit) is not another author.
    narrators = [*_people(tags, "narrator", "composer"), *(split_names(wanted.narrator) if wanted.narrator else [])]
    artists = [
        name
        for name in _people(tags, "artist", "album_artist")
        if _best([name], narrators) < NARRATORS_AGREE or _best([name], wanted.authors) >= limits.author_min_similarity
    ]
    if artists and wanted.authors:
        value = _best(artists, wanted.authors)
        evidence = {"tag": artists[:5], "wanted": list(wanted.authors), "similarity": round(value, 2)}
        if value >= limits.author_min_similarity:
            reasons.append(AudioReason(AudioReasonCode.AUTHOR_MATCH, "tags name the author", evidence=evidence))
        elif narrators:
            text = f"tags name another author: {', '.join(artists[:3])}, not {', '.join(wanted.authors)} ({value:.2f})"
            reasons.append(AudioReason(AudioReasonCode.AUTHOR_MISMATCH, text, rejects=True, evidence=evidence))
        else:  # with no narrator known anywhere, the artist tag may well be the narrator: not enough to refuse
            text = f"the artist tag names {', '.join(artists[:3])}, perhaps the narrator (none is known): not refused"
            reasons.append(AudioReason(AudioReasonCode.AUTHOR_UNCONFIRMED, text, evidence=evidence))
    if not title and not artists:
        reasons.append(AudioReason(AudioReasonCode.TAGS_MISSING, "no title or artist tag: the tags were not checked"))
    return reasons


def _narrator_reason(report: AudioReport, wanted: WantedEdition) -> AudioReason:
    tags = [f.tags for f in report.files]
    named = _people(tags, "narrator") or _people(tags, "composer")
    wanted_names = split_names(wanted.narrator or "")
    if not named:
        return AudioReason(AudioReasonCode.TAGS_MISSING, "no narrator tag: the narrator was not checked")
    value = _best(named, wanted_names)
    evidence = {"tag": named[:5], "wanted": wanted.narrator, "similarity": round(value, 2)}
    if value >= NARRATORS_AGREE:
        return AudioReason(AudioReasonCode.NARRATOR_MATCH, f"narrated by {', '.join(named[:3])}", evidence=evidence)
    text = f"another narrator: {', '.join(named[:3])}, not {wanted.narrator} ({value:.2f})"
    return AudioReason(AudioReasonCode.NARRATOR_MISMATCH, text, rejects=True, evidence=evidence)
