"""Placing a finished download's files in the library: hardlinked on the same filesystem, copied otherwise."""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shelfkeeper.domain.library.naming import AUDIO_EXTENSIONS, FilePlan, plan_book_files

Linker = Callable[[Path, Path], None]

# A hardlink is impossible here, but a copy may work: another filesystem (EXDEV), a filesystem without
# hardlinks or too many of them, or Linux's protected_hardlinks refusing a file this user does not own.
_COPY_INSTEAD = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})
_PARTIAL_SUFFIX = ".shelfkeeper-partial"


class ImportProblem(Exception):
    """An import that cannot go on; ``release_fault`` when another release of the book could do better."""

    def __init__(
        self, code: str, reason: str, *, evidence: dict[str, Any] | None = None, release_fault: bool = False
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.evidence = evidence or {}
        self.release_fault = release_fault


@dataclass(frozen=True)
class PlacedFile:
    """One file in the book folder and how it got there: "linked", "copied", or "present" (already there)."""

    source: str
    target: str
    method: str


@dataclass(frozen=True)
class Placement:
    """What an import put into the book folder."""

    book_dir: Path
    files: tuple[PlacedFile, ...]
    ignored: tuple[str, ...] = field(default=())

    def count(self, method: str) -> int:
        return sum(1 for placed in self.files if placed.method == method)


def hardlink(source: Path, target: Path) -> None:
    """``os.link``: the default linker (tests inject one that fails like another filesystem would)."""
    os.link(source, target)


def plan_content(content: Path) -> tuple[Path, FilePlan]:
    """The folder the plan's paths are relative to, and the plan for a download's content (a folder or one file)."""
    root, paths = list_content(content)
    return root, plan_book_files(paths)


def list_content(content: Path) -> tuple[Path, list[str]]:
    """Every file of a download's content ("/"-separated, relative to the folder returned), sorted."""
    if not content.exists():
        raise ImportProblem(
            "content_missing",
            f"the download's files are not at {content} (is REMOTE_PATH_MAPPINGS right?)",
            evidence={"content_path": str(content)},
        )
    if content.is_file():
        return content.parent, [content.name]
    try:
        return content, sorted(p.relative_to(content).as_posix() for p in content.rglob("*") if p.is_file())
    except PermissionError as exc:
        raise ImportProblem("permission", f"cannot read {content}: {exc.strerror}") from exc


def place_book(content: Path, book_dir: Path, *, link: Linker | None = hardlink) -> Placement:
    """Put the download's audio (and cover) into ``book_dir``; nothing is ever overwritten.

    ``link`` None copies every file (IMPORT_MODE=copy); a linker hardlinks, copying where it cannot.

    Idempotent: files already there with the same content are left as they are. A different file at a
    target, or audio in the folder that is not this download's, stops the import before anything is placed.
    """
    root, plan = plan_content(content)
    return place_plan(root, plan, book_dir, link=link, content=content)


def place_plan(
    root: Path, plan: FilePlan, book_dir: Path, *, link: Linker | None = hardlink, content: Path
) -> Placement:
    """``place_book`` for a plan made already (``root``: the folder its paths are relative to)."""
    if not plan.audio:
        raise ImportProblem(
            "no_audio",
            f"no audio files ({', '.join(sorted(AUDIO_EXTENSIONS))}) in the download",
            evidence={
                "content_path": str(content),
                "files": sorted([*plan.ignored, *(f.source for f in plan.files)])[:50],
            },
            release_fault=True,
        )
    present = _check_targets(root, book_dir, plan)
    placed = [
        PlacedFile(str(root / f.source), str(book_dir / f.target), "present")
        if f.target in present
        else _place_one(root / f.source, book_dir / f.target, link)
        for f in plan.files
    ]
    return Placement(book_dir=book_dir, files=tuple(placed), ignored=plan.ignored)


def _check_targets(root: Path, book_dir: Path, plan: FilePlan) -> set[str]:
    """The targets already holding the same file; raises for a different file or foreign audio."""
    present: set[str] = set()
    conflicts: list[str] = []
    for planned in plan.files:
        target = book_dir / planned.target
        if not target.exists():
            continue
        if _same_file(root / planned.source, target):
            present.add(planned.target)
        else:
            conflicts.append(planned.target)
    foreign = sorted(_foreign_audio(book_dir, {f.target for f in plan.files}))
    if conflicts or foreign:
        raise ImportProblem(
            "conflict",
            f"{book_dir} already holds other files ({', '.join((conflicts + foreign)[:5])}); nothing was overwritten",
            evidence={"book_dir": str(book_dir), "different": conflicts, "other_audio": foreign[:50]},
        )
    return present


def _same_file(source: Path, target: Path) -> bool:
    try:
        if os.path.samefile(source, target):
            return True
        return source.stat().st_size == target.stat().st_size and filecmp.cmp(source, target, shallow=False)
    except PermissionError as exc:
        raise ImportProblem("permission", f"cannot read {target}: {exc.strerror}") from exc


def foreign_audio(book_dir: Path, targets: set[str]) -> list[str]:
    """Audio in ``book_dir`` that is none of ``targets`` (relative paths; hidden files are not counted)."""
    return _foreign_audio(book_dir, targets)


def _foreign_audio(book_dir: Path, targets: set[str]) -> list[str]:
    if not book_dir.is_dir():
        return []
    found = (p.relative_to(book_dir).as_posix() for p in book_dir.rglob("*") if p.is_file())
    return [
        rel
        for rel in found
        if rel not in targets
        and not any(part.startswith(".") for part in rel.split("/"))
        and rel.rpartition(".")[2].lower() in AUDIO_EXTENSIONS
    ]


def _place_one(source: Path, target: Path, link: Linker | None) -> PlacedFile:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_problem(exc, f"cannot create {target.parent}") from exc
    if link is None:
        _copy(source, target)
        return PlacedFile(str(source), str(target), "copied")
    try:
        link(source, target)
        return PlacedFile(str(source), str(target), "linked")
    except FileExistsError:
        # another run placed it a moment ago
        if _same_file(source, target):
            return PlacedFile(str(source), str(target), "present")
        raise ImportProblem("conflict", f"{target} appeared with other content; nothing was overwritten") from None
    except OSError as exc:
        if exc.errno not in _COPY_INSTEAD:
            raise _os_problem(exc, f"cannot link {source.name} into the library") from exc
    _copy(source, target)
    return PlacedFile(str(source), str(target), "copied")


def _copy(source: Path, target: Path) -> None:
    # Copy beside the target under a hidden name, then rename: a killed copy never looks like a finished file.
    partial = target.with_name(f".{target.name}{_PARTIAL_SUFFIX}")
    try:
        shutil.copy2(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise _os_problem(exc, f"cannot copy {source.name} into the library") from exc


def _os_problem(exc: OSError, what: str) -> ImportProblem:
    detail = exc.strerror or str(exc)
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ImportProblem("permission", f"{what}: {detail}", evidence={"errno": exc.errno})
    return ImportProblem("io_error", f"{what}: {detail}", evidence={"errno": exc.errno})
