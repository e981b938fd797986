"""The page's status and job names come from one generated module, current with the lifecycle and the registry."""

from __future__ import annotations

from pathlib import Path

import shelfkeeper
from shelfkeeper.domain.lifecycle import ACTIVE_DOWNLOAD_STATES, DownloadStatus, can_move_download
from shelfkeeper.web.vocabulary import vocabulary, vocabulary_js

STATIC = Path(shelfkeeper.__file__).resolve().parent / "web" / "static"


def test_the_checked_in_vocabulary_module_is_current():
    assert (STATIC / "vocabulary.js").read_text(encoding="utf-8") == vocabulary_js(), (
        "regenerate: python -m shelfkeeper.web.vocabulary > src/shelfkeeper/web/static/vocabulary.js"
    )


def test_the_page_lists_the_lifecycle_s_states_and_moves():
    names = vocabulary()
    assert names["DOWNLOAD_STATUSES"] == [str(status) for status in DownloadStatus]
    assert set(names["ACTIVE_DOWNLOAD_STATUSES"]) == {str(status) for status in ACTIVE_DOWNLOAD_STATES}
    moves = names["DOWNLOAD_MOVES"]
    assert moves["importing"] == ["completed", "imported", "failed"]  # an import under way cannot be cancelled
    for current in DownloadStatus:
        for target in DownloadStatus:
            assert (str(target) in moves[current]) == (target != current and can_move_download(current, target))


def test_no_page_module_writes_its_own_list_of_status_names():
    for name in ("queue.js", "wanted.js", "history.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert '["queued", "downloading"' not in text and '["wanted", "searching"' not in text, name
        assert '["pending", "running"' not in text and "_task" not in text, name
        assert 'from "./vocabulary.js"' in text, name


def test_the_api_s_status_names_are_the_lifecycle_s():
    from typing import get_args

    from shelfkeeper.api.schemas.books import MetadataStatusName
    from shelfkeeper.api.schemas.wanted import WantedStatusName
    from shelfkeeper.domain.lifecycle import MetadataStatus, WantedStatus

    assert list(get_args(WantedStatusName)) == [str(status) for status in WantedStatus]
    assert list(get_args(MetadataStatusName)) == [str(status) for status in MetadataStatus]
