"""NZBGet's queue and history entries read into domain states (the fields as nzbget 21 writes them)."""

from __future__ import annotations

from typing import Any

import pytest

from shelfkeeper.adapters.nzbget import fold_history, item_id, parse_item, rpc_base
from shelfkeeper.domain.torrents.status import TorrentState

OWN = "0123456789abcdef0123456789abcdef01234567"


def entry(**fields: Any) -> dict[str, Any]:
    base = {
        "NZBID": 7,
        "NZBName": "Some.Book",
        "Category": "audiobooks",
        "DupeKey": f"shelfkeeper-{OWN}",
        "FileSizeLo": 1000,
        "FileSizeHi": 0,
        "DownloadedSizeLo": 0,
        "DownloadedSizeHi": 0,
        "DestDir": "/data/inter/Some.Book.#7",
        "FinalDir": "",
        "Health": 1000,
        "FailedArticles": 0,
    }
    return base | fields


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("QUEUED", TorrentState.QUEUED),
        ("PAUSED", TorrentState.PAUSED),
        ("DOWNLOADING", TorrentState.DOWNLOADING),
        ("FETCHING", TorrentState.METADATA),
        ("LOADING_PARS", TorrentState.POST_PROCESSING),
        ("REPAIRING", TorrentState.POST_PROCESSING),
        ("UNPACKING", TorrentState.POST_PROCESSING),
        ("PP_FINISHED", TorrentState.POST_PROCESSING),
        ("QS_EXECUTING", TorrentState.POST_PROCESSING),
        ("SOMETHING_NEW", TorrentState.UNKNOWN),
    ],
)
def test_queue_states(status: str, state: TorrentState) -> None:
    info = parse_item(entry(Status=status, RemainingSizeLo=250, RemainingSizeHi=0), in_history=False)
    assert (info.state, info.raw_state, info.progress, info.error) == (state, status, 0.75, None)


@pytest.mark.parametrize(
    ("status", "state", "reason"),
    [
        ("SUCCESS/ALL", TorrentState.COMPLETED, None),
        ("SUCCESS/HEALTH", TorrentState.COMPLETED, None),
        ("WARNING/SCRIPT", TorrentState.COMPLETED, None),
        ("FAILURE/PAR", TorrentState.ERROR, "par check or repair failed"),
        ("FAILURE/HEALTH", TorrentState.ERROR, "too many articles missing"),
        ("FAILURE/UNPACK", TorrentState.ERROR, "unpacking failed"),
        ("WARNING/PASSWORD", TorrentState.ERROR, "password"),
        ("WARNING/DAMAGED", TorrentState.ERROR, "damaged"),
        ("DELETED/MANUAL", TorrentState.ERROR, "deleted in NZBGet by hand"),
        ("FAILURE/NEWKIND", TorrentState.ERROR, "NZBGet reports FAILURE/NEWKIND"),
    ],
)
def test_history_verdicts(status: str, state: TorrentState, reason: str | None) -> None:
    assert fold_history(status)[0] is state
    found = fold_history(status)[1]
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_a_failed_item_names_its_health_and_failed_articles() -> None:
    raw = entry(Status="FAILURE/PAR", Health=0, FailedArticles=4, DownloadedSizeLo=310, HistoryTime=1_700_000_000)
    info = parse_item(raw, in_history=True)
    assert info.state is TorrentState.ERROR and info.completed_on is None
    assert (
        info.error
        == "par check or repair failed (articles missing or damaged beyond repair); health 0%, 4 articles failed"
    )
    assert info.downloaded_bytes == 310 and info.progress == pytest.approx(0.31)


def test_a_completed_item_points_at_its_final_folder() -> None:
    raw = entry(Status="SUCCESS/ALL", FinalDir="/data/dst/audiobooks/Some.Book", HistoryTime=1_700_000_000)
    info = parse_item(raw, in_history=True)
    assert (info.state, info.progress, info.completed_on) == (TorrentState.COMPLETED, 1.0, 1_700_000_000)
    assert (info.content_path, info.save_path) == ("/data/dst/audiobooks/Some.Book", "/data/dst/audiobooks")


def test_sizes_join_their_32_bit_halves() -> None:
    info = parse_item(
        entry(Status="QUEUED", FileSizeLo=5, FileSizeHi=2, RemainingSizeLo=5, RemainingSizeHi=2), in_history=False
    )
    assert info.size_bytes == 2 * 2**32 + 5 and info.progress == 0.0


def test_items_added_by_someone_else_have_an_id_of_their_own() -> None:
    assert item_id(entry()) == OWN
    assert item_id(entry(DupeKey="")) == "nzbget-7"
    assert item_id(entry(DupeKey="shelfkeeper-not-hex")) == "nzbget-7"


def test_a_malformed_entry_is_a_bad_response() -> None:
    from shelfkeeper.errors import ServiceBadResponse

    with pytest.raises(ServiceBadResponse):
        parse_item({"Status": "QUEUED"}, in_history=False)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:6789", "http://127.0.0.1:6789"),
        ("http://nas:6789/", "http://nas:6789"),
        ("nas:6789", "http://nas:6789"),
        ("https://host/nzbget", "https://host/nzbget"),
        ("http://host:6789/jsonrpc", "http://host:6789"),
    ],
)
def test_rpc_base(url: str, base: str) -> None:
    assert rpc_base(url) == base


def test_rpc_base_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="NZBGET_URL"):
        rpc_base("ftp://nas")
