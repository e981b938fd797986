"""services/status.py owns every status change of wanted books and downloads, and records every failed attempt."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import BlocklistEntry, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.lifecycle import DownloadStatus, FailureKind, WantedStatus
from shelfkeeper.errors import Conflict
from shelfkeeper.services import status
from shelfkeeper.services.status import fail_attempt, move_wanted, new_download, new_wanted_book, try_move_wanted

SOURCE = Path(status.__file__).resolve().parents[1]
OWNER = Path(status.__file__).resolve()
OWNED_ROWS = {"WantedBook", "Download"}
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


# ---- nothing else writes a status ----------------------------------------------------------------------


def _imports_owned_rows(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and any(alias.name in OWNED_ROWS for alias in node.names)
        for node in ast.walk(tree)
    )


def _status_writes(path: Path) -> list[str]:
    """Where a module outside the owner writes a wanted book's or a download's status."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    holds_rows = _imports_owned_rows(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [t for target in targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
            if holds_rows and any(isinstance(t, ast.Attribute) and t.attr == "status" for t in flat):
                found.append(f"{where} assigns .status")
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            keywords = {keyword.arg for keyword in node.keywords}
            if name in OWNED_ROWS and "status" in keywords:
                found.append(f"{where} builds a {name} with a status")
            if holds_rows and name == "values" and "status" in keywords:
                found.append(f"{where} updates status in SQL")
            if name == "setattr" and len(node.args) > 1:
                second = node.args[1]
                if isinstance(second, ast.Constant) and second.value == "status":
                    found.append(f"{where} sets status through setattr")
    return found


def test_only_the_owner_module_writes_a_wanted_book_or_download_status():
    modules = [path for path in SOURCE.rglob("*.py") if path.resolve() != OWNER]
    assert len(modules) > 100  # the whole package is read, not an empty folder
    assert [write for path in modules for write in _status_writes(path)] == []


def test_the_check_finds_each_kind_of_status_write(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from shelfkeeper.db.tables import Download, WantedBook\n"
        "def f(row, other):\n"
        "    row.status = 'failed'\n"
        "    row.progress, other.status = 1.0, 'imported'\n"
        "    setattr(row, 'status', 'wanted')\n"
        "    return WantedBook(title='x', status='wanted'), update(Download).values(status='queued')\n",
        encoding="utf-8",
    )
    found = _status_writes(planted)
    assert [entry.split(" ", 1)[1] for entry in found] == [
        "assigns .status",
        "assigns .status",
        "sets status through setattr",
        "builds a WantedBook with a status",
        "updates status in SQL",
    ]


# ---- the moves -----------------------------------------------------------------------------------------


def _wanted(session: Session, state: WantedStatus, title: str = "Project Hail Mary") -> WantedBook:
    row = new_wanted_book(title=title, author_name="Andy Weir", reason="manual", source="test", dedupe_key=title)
    session.add(row)
    session.flush()
    row.status = str(state)  # a test arranges a row in the state it needs
    return row


def _download(session: Session, wanted: WantedBook | None, state: DownloadStatus) -> Download:
    row = new_download(wanted.id if wanted else None)
    row.indexer, row.release_title, row.guid = "MyAnonamouse", "Andy Weir - Project Hail Mary [M4B]", "g-1"
    row.info_hash = "a" * 40
    session.add(row)
    session.flush()
    row.status = str(state)
    return row


def test_new_rows_start_in_their_first_status(session):
    wanted = _wanted(session, WantedStatus.WANTED)
    download = new_download(wanted.id)
    assert (new_wanted_book().status, download.status, download.attempt_count) == ("wanted", "queued", 0)


@pytest.mark.parametrize(
    ("start", "target", "via", "end"),
    [
        ("failed", "grabbed", "wanted", "grabbed"),  # failed -> wanted -> grabbed
        ("grabbed", "imported", "downloaded", "imported"),  # grabbed -> downloaded -> imported
        ("grabbed", "imported", None, "grabbed"),  # not without its step
        ("downloaded", "ignored", "wanted", "ignored"),
        ("imported", "wanted", "failed", "imported"),  # an imported book moves nowhere
    ],
)
def test_a_move_takes_the_named_step_only_when_both_moves_are_allowed(session, start, target, via, end):
    row = _wanted(session, WantedStatus(start))
    moved = try_move_wanted(row, WantedStatus(target), via=WantedStatus(via) if via else None)
    assert (moved, row.status) == (end != start, end)


def test_a_move_the_lifecycle_forbids_is_a_409_that_changes_nothing(session):
    row = _wanted(session, WantedStatus.DOWNLOADED)
    with pytest.raises(Conflict) as raised:
        move_wanted(row, WantedStatus.IGNORED)
    assert raised.value.code == "WANTED_STATE_CONFLICT"
    assert raised.value.details == {"status": "downloaded", "wanted_status": "ignored"}
    assert row.status == "downloaded"


# ---- failure bookkeeping --------------------------------------------------------------------------------


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_failed_attempt_is_counted_blocklisted_and_retried_while_attempts_remain(session):
    wanted = _wanted(session, WantedStatus.DOWNLOADED)
    download = _download(session, wanted, DownloadStatus.DOWNLOADING)
    first = fail_attempt(session, download, "stalled", {"seeders": 0}, now=NOW, max_attempts=2, retry_base_minutes=15)
    assert first is not None and (first.attempt, first.next_retry_at) == (1, download.next_retry_at)
    assert (download.status, download.attempt_count, wanted.status) == ("failed", 1, "wanted")
    download.status = str(DownloadStatus.QUEUED)  # re-queued by the next grab
    wanted.status = str(WantedStatus.GRABBED)
    last = fail_attempt(session, download, "stalled", {}, now=NOW, max_attempts=2, retry_base_minutes=15)
    assert last is not None and (last.attempt, last.next_retry_at) == (2, None)
    assert (download.attempt_count, len(download.release["failures"]), wanted.status) == (2, 2, "failed")
    assert wanted.evidence["acquisition_failure"]["attempt"] == 2
    assert (_count(session, FailedAttempt), _count(session, BlocklistEntry)) == (2, 1)


def test_a_failure_that_is_not_the_release_s_uses_no_attempt(session):
    wanted = _wanted(session, WantedStatus.GRABBED)
    download = _download(session, wanted, DownloadStatus.QUEUED)
    retry = fail_attempt(session, download, "unreachable", {}, now=NOW, max_attempts=3, retry_base_minutes=15,
                         blame_release=False)  # fmt: skip
    assert retry is not None and retry.attempt == 0 and download.next_retry_at is not None
    assert (download.attempt_count, _count(session, BlocklistEntry), wanted.status) == (0, 0, "wanted")


def test_an_import_failure_of_a_download_that_moved_on_records_nothing(session):
    wanted = _wanted(session, WantedStatus.WANTED)
    download = _download(session, wanted, DownloadStatus.CANCELLED)
    retry = fail_attempt(session, download, "no audio", {}, now=NOW, max_attempts=3, retry_base_minutes=15,
                         kind=FailureKind.IMPORT)  # fmt: skip
    assert retry is None
    assert (download.status, download.attempt_count, _count(session, FailedAttempt)) == ("cancelled", 0, 0)
    assert wanted.evidence in ({}, None)
