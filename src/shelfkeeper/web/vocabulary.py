"""The page's vocabulary, generated from its one source: the lifecycle's states and moves, the job registry, the
log viewer's levels.

``web/static/vocabulary.js`` is this module's output, checked in and kept current by a test; regenerate it with
``python -m shelfkeeper.web.vocabulary > src/shelfkeeper/web/static/vocabulary.js``. The page never writes a
status name or a job name of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import get_args

from shelfkeeper.domain.events import EVENT_TITLES, EventType
from shelfkeeper.domain.lifecycle import (
    ACTIVE_DOWNLOAD_STATES,
    DownloadStatus,
    FailureKind,
    TaskStatus,
    TaskTrigger,
    WantedReason,
    WantedStatus,
    can_move_download,
)
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.logs import LogLevelName


def _names(values: Iterable[StrEnum]) -> list[str]:
    return [str(value) for value in values]


def vocabulary() -> dict[str, object]:
    """Every name the page lists, in the enums' order; the download moves as the lifecycle allows them."""
    return {
        "DOWNLOAD_STATUSES": _names(DownloadStatus),
        "ACTIVE_DOWNLOAD_STATUSES": _names(s for s in DownloadStatus if s in ACTIVE_DOWNLOAD_STATES),
        "DOWNLOAD_MOVES": {
            str(current): _names(t for t in DownloadStatus if t != current and can_move_download(current, t))
            for current in DownloadStatus
        },
        "WANTED_STATUSES": _names(WantedStatus),
        "WANTED_REASONS": _names(WantedReason),
        "TASK_STATUSES": _names(TaskStatus),
        "TASK_TRIGGERS": _names(TaskTrigger),
        "FAILURE_KINDS": _names(FailureKind),
        "JOB_LABELS": {name: spec.label for name, spec in default_jobs().items()},
        "LOG_LEVELS": list(get_args(LogLevelName)),
        "EVENT_TITLES": {str(kind): EVENT_TITLES[kind] for kind in EventType if kind != EventType.TEST},
    }


def vocabulary_js() -> str:
    """The ES module the page imports."""
    lines = [
        "// Generated from domain/lifecycle.py, domain/events.py, jobs/registry.py and logs.py by "
        "shelfkeeper.web.vocabulary: do not edit.",
        "// Regenerate: python -m shelfkeeper.web.vocabulary > src/shelfkeeper/web/static/vocabulary.js",
        "",
    ]
    for name, value in vocabulary().items():
        lines.append(f"export const {name} = Object.freeze({json.dumps(value)});")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(vocabulary_js(), end="")
