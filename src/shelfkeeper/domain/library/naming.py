"""Library folder and file names in Audiobookshelf's layout, made safe for every filesystem; remote path mapping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shelfkeeper.domain.text import fold, format_position, parse_position

AUDIO_EXTENSIONS = frozenset({"m4b", "mp3", "m4a", "flac", "opus", "ogg"})
COVER_NAMES = ("cover.jpg", "cover.jpeg", "cover.png")
# NAME_MAX is 255 bytes on Linux filesystems; 200 leaves room for a temporary copy's prefix and suffix.
DEFAULT_MAX_BYTES = 200
MAX_FOLDER_AUTHORS = 3

_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Reserved on Windows (and on SMB shares): \ / : * ? " < > | and the control characters.
_REPLACEMENTS = str.maketrans(
    {":": " - ", "/": "-", "\\": "-", "|": "-", '"': "'", "<": "", ">": "", "?": "", "*": "", "{": "(", "}": ")"}
)
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
_SPACES = re.compile(r"\s+")
_DASH_RUNS = re.compile(r"(?: - )+(?:-(?: |$))*")
# What Audiobookshelf's scanner reads from a book folder (server/utils/scandir.js): a volume number in any
# " - " piece of a series book's folder, and a leading publication year.
_ABS_SEQUENCE_PIECE = re.compile(r"^(vol\.? |volume |book )?\d{1,3}(\.\d{1,2})?(\.?)(?: (.*))?$", re.IGNORECASE)
_ABS_YEAR_PREFIX = re.compile(r"^( *\(?[0-9]{4}\)?) *- *(?=.)")
_DISC_FOLDER = re.compile(r"^(?:cd|dis[ck])\s*[-_.]?\s*0*(\d{1,3})$", re.IGNORECASE)
_SAMPLE_WORD = re.compile(r"\bsamples?\b")
_DANGLING_DASH = re.compile(r"^(?:-\s+)+|(?:\s+-)+$")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class BookFolder:
    """A book's folder inside the library: ``Author/Series/NN - Title`` or ``Author/Title``."""

    author: str
    series: str | None
    name: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The folder's path components below the library root."""
        return (self.author, self.series, self.name) if self.series else (self.author, self.name)

    @property
    def relative_path(self) -> str:
        """The parts joined with "/", as Audiobookshelf reports an item's ``relPath``."""
        return "/".join(self.parts)


class FileKind(StrEnum):
    """What a placed file is to the library."""

    AUDIO = "audio"
    COVER = "cover"


@dataclass(frozen=True)
class PlannedFile:
    """One file to place: ``source`` relative to the download's content, ``target`` relative to the book folder."""

    source: str
    target: str
    kind: FileKind


@dataclass(frozen=True)
class FilePlan:
    """The files of a download that go into the library, in play order, and those left behind."""

    files: tuple[PlannedFile, ...]
    ignored: tuple[str, ...]

    @property
    def audio(self) -> tuple[PlannedFile, ...]:
        """The audio files only."""
        return tuple(f for f in self.files if f.kind == FileKind.AUDIO)


def safe_name(text: str, *, fallback: str = "Unknown", max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """One path component that every filesystem accepts and that cannot climb out of its folder.

    NFC-normalised; control and bidi-override characters dropped; reserved characters replaced
    (``:`` becomes `` - ``, separators and ``|`` become ``-``, braces become parentheses, ``<>?*`` go);
    no leading or trailing dots or spaces (so never ``.`` or ``..`` and never hidden); Windows device names
    (CON, NUL, COM1…) get a ``_``; at most ``max_bytes`` of UTF-8. Empty results become ``fallback``.
    """
    cleaned = _clean_component(text, max_bytes)
    return cleaned or fallback


def safe_file_name(name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A file name made safe like ``safe_name``, keeping its (lower-cased) extension within the byte limit."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(" .") or not extension.isalnum():
        return safe_name(name, fallback="file", max_bytes=max_bytes)
    suffix = "." + extension.lower()
    return safe_name(stem, fallback="file", max_bytes=max_bytes - len(suffix.encode())) + suffix


def sequence_label(position: str | None) -> str | None:
    """The volume number for a folder name: "1" -> "01", "1.5" -> "01.5", "12" -> "12".

    None when Audiobookshelf could not read it back: no position, a range ("1-3"), more than three digits
    before the point or two after it.
    """
    parsed = parse_position(position)
    if parsed is None or parsed[0] != parsed[1]:
        return None
    value = parsed[0].normalize()
    whole, _, fraction = format_position(value).partition(".")
    if value < 0 or len(whole) > 3 or len(fraction) > 2:
        return None
    return whole.zfill(2) + (f".{fraction}" if fraction else "")


def book_folder(
    title: str,
    authors: Sequence[str],
    series: str | None = None,
    position: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> BookFolder:
    """Where a book goes: ``<Author>/<Series>/<NN> - <Title>`` in a series, ``<Author>/<Title>`` outside one.

    Several authors are joined with " & " (Audiobookshelf splits on it). A series book without a usable
    position is ``<Author>/<Series>/<Title>``, unless its title would read as a volume number there; then
    the series folder is left out rather than give Audiobookshelf a wrong sequence.
    """
    named = [a for a in (" ".join(name.split()) for name in authors) if a][:MAX_FOLDER_AUTHORS]
    author = safe_name(" & ".join(named), fallback="Unknown Author", max_bytes=max_bytes)
    clean_title = _without_year_prefix(safe_name(title, fallback="Unknown Title", max_bytes=max_bytes))
    series_name = _clean_component(series or "", max_bytes)
    if not series_name:
        return BookFolder(author, None, clean_title)
    label = sequence_label(position)
    if label is None:
        if _reads_as_sequence(clean_title):
            return BookFolder(author, None, clean_title)
        return BookFolder(author, series_name, clean_title)
    name = safe_name(f"{label} - {clean_title}", fallback=clean_title, max_bytes=max_bytes)
    return BookFolder(author, series_name, name)


def plan_book_files(paths: Sequence[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> FilePlan:
    """Which of a download's files go into the book folder, and under which names, in play order.

    ``paths`` are "/"-separated and relative to the download's content. Audio files (m4b, mp3, m4a, flac,
    opus, ogg) are kept, samples dropped when real audio is there too; a ``cover.jpg`` (or .jpeg/.png) is
    kept as the cover; everything else (.nfo, other images, text) stays behind. Folders all the audio
    shares are dropped; disc folders ("CD 1", "Disc 02") become ``CD1``, ``CD2`` as Audiobookshelf groups
    them; any other nesting (or names that would collide) is flattened with a number prefix that keeps
    the play order.
    """
    audio = [p for p in paths if _extension(p) in AUDIO_EXTENSIONS]
    real = [p for p in audio if not _SAMPLE_WORD.search(fold(p))]
    audio = sorted(real or audio, key=natural_key)
    covers = sorted((p for p in paths if p.rsplit("/", 1)[-1].lower() in COVER_NAMES), key=lambda p: (p.count("/"), p))
    targets = _audio_targets(_strip_common_folders(audio), max_bytes)
    files = [PlannedFile(source, target, FileKind.AUDIO) for source, target in zip(audio, targets, strict=True)]
    if covers:
        files.append(PlannedFile(covers[0], "cover." + _extension(covers[0]), FileKind.COVER))
    kept = {f.source for f in files}
    return FilePlan(files=tuple(files), ignored=tuple(sorted(p for p in paths if p not in kept)))


def map_remote_path(path: str, mappings: Sequence[tuple[str, str]]) -> str:
    """qBittorrent's path as Shelfkeeper sees it: the longest matching remote prefix replaced by its local one.

    Prefixes match whole components ("/data" does not match "/database"); Windows paths (``D:\\Torrents``)
    are compared with "/" and case-insensitively. An unmapped path is returned as it is.
    """
    given = path.replace("\\", "/") if _is_windows_path(path) else path
    best: tuple[int, str] | None = None
    for remote, local in mappings:
        prefix = (remote.replace("\\", "/") if _is_windows_path(remote) else remote).rstrip("/")
        rest = _after_prefix(given, prefix, windows=_is_windows_path(remote))
        if rest is not None and (best is None or len(prefix) > best[0]):
            best = (len(prefix), local.rstrip("/") + rest if local.rstrip("/") or rest else "/")
    return best[1] if best else path


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts "Track 2" before "Track 10"."""
    return tuple(
        (0, int(piece), "") if piece.isdigit() else (1, 0, piece.lower()) for piece in _DIGITS.split(text) if piece
    )


def disc_number(folder: str) -> int | None:
    """The disc number of a disc folder ("CD1", "Disc 02", "disk-3"), else None."""
    match = _DISC_FOLDER.match(folder.strip())
    return int(match.group(1)) if match else None


# ---- internals --------------------------------------------------------------------------------------------


def _clean_component(text: str, max_bytes: int) -> str:
    cleaned = unicodedata.normalize("NFC", text)
    cleaned = "".join(_clean_char(ch) for ch in cleaned).translate(_REPLACEMENTS)
    cleaned = _trim(_DASH_RUNS.sub(" - ", _SPACES.sub(" ", cleaned)))
    cleaned = _trim(_truncate(cleaned, max_bytes))
    return _avoid_device_name(cleaned, max_bytes) if cleaned else ""


def _clean_char(ch: str) -> str:
    if ch in _BIDI_CONTROLS:
        return ""
    if unicodedata.category(ch) == "Cc":
        return " " if ch in "\t\n\r\v\f" else ""
    return ch


def _trim(text: str) -> str:
    # no leading dot (a hidden file, "." or ".."), no trailing dot or space (Windows drops them)
    while True:
        trimmed = _DANGLING_DASH.sub("", text.strip(" .")).strip(" .")
        if trimmed == text:
            return text
        text = trimmed


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    cut = encoded[:max_bytes].decode("utf-8", errors="ignore")
    # Cut between whole characters as a reader sees them: a letter whose accent would be cut off goes too.
    while cut and unicodedata.combining(text[len(cut)]):
        cut = cut[:-1]
    return cut.rstrip(" -")


def _avoid_device_name(name: str, max_bytes: int) -> str:
    stem, dot, extension = name.partition(".")
    if stem.upper().rstrip() not in _WINDOWS_RESERVED:
        return name
    marked = f"{stem}_{dot}{extension}"
    return marked if len(marked.encode()) <= max_bytes else f"{stem}_"


def _without_year_prefix(title: str) -> str:
    # "1984 - A Novel" would be read as the year 1984 and the title "A Novel".
    return _ABS_YEAR_PREFIX.sub(lambda m: m.group(1) + ", ", title, count=1)


def _reads_as_sequence(title: str) -> bool:
    for piece in title.split(" - "):
        match = _ABS_SEQUENCE_PIECE.match(piece)
        if match and not (match.group(4) and not (match.group(1) or match.group(3))):
            return True
    return False


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rpartition(".")[2].lower() if "." in name else ""


def _strip_common_folders(paths: list[str]) -> list[list[str]]:
    split = [p.split("/") for p in paths]
    while split and all(len(parts) > 1 for parts in split) and len({parts[0] for parts in split}) == 1:
        split = [parts[1:] for parts in split]
    return split


def _audio_targets(split: list[list[str]], max_bytes: int) -> list[str]:
    folders = {parts[0] for parts in split if len(parts) > 1}
    nested_only_in_discs = all(len(parts) <= 2 for parts in split) and all(disc_number(f) for f in folders)
    if nested_only_in_discs:
        targets = [
            "/".join([*(f"CD{disc_number(p[0])}" for _ in p[:-1]), safe_file_name(p[-1], max_bytes=max_bytes)])
            for p in split
        ]
        if len({t.lower() for t in targets}) == len(targets):
            return targets
    width = max(2, len(str(len(split))))
    return [
        safe_file_name(f"{str(index).zfill(width)} - {parts[-1]}", max_bytes=max_bytes)
        for index, parts in enumerate(split, start=1)
    ]


def _is_windows_path(path: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]", path)) or path.startswith("\\\\")


def _after_prefix(path: str, prefix: str, *, windows: bool) -> str | None:
    if not prefix:
        return path if path.startswith("/") else None
    compare_path, compare_prefix = (path.lower(), prefix.lower()) if windows else (path, prefix)
    if compare_path == compare_prefix:
        return ""
    if compare_path.startswith(compare_prefix + "/"):
        return path[len(prefix) :]
    return None
