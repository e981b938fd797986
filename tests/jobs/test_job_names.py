"""Job names are registered once (jobs/registry.py); settings, the API and the page name the same jobs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import shelfkeeper
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.settings import DEFAULT_SCHEDULES, JOB_NAMES, Settings
from shelfkeeper.web.vocabulary import vocabulary

SOURCE = Path(shelfkeeper.__file__).resolve().parent
REGISTRY = SOURCE / "jobs" / "registry.py"
SETTINGS = SOURCE / "settings.py"
JOB_LIKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*_task$")  # every job but cleanup_old_tasks ends so


def test_settings_schedule_exactly_the_registered_jobs():
    registered = set(default_jobs())
    assert set(DEFAULT_SCHEDULES) == set(JOB_NAMES) == registered
    fields = {name.removeprefix("schedule_") for name in Settings.model_fields if name.startswith("schedule_")}
    assert fields == registered


def test_every_registered_job_has_a_label_and_the_page_shows_it():
    jobs = default_jobs()
    assert all(spec.label and spec.label != name for name, spec in jobs.items())
    assert vocabulary()["JOB_LABELS"] == {name: spec.label for name, spec in jobs.items()}
    frequent = {"library_sync_task", "download_monitor_task", "notifications_task", "health_check_task"}
    assert {name for name, spec in jobs.items() if spec.frequent} == frequent


def test_a_job_named_anywhere_else_in_the_code_is_a_registered_one():
    registered = set(default_jobs())
    named: dict[str, str] = {}
    for path in SOURCE.rglob("*.py"):
        if path in (REGISTRY, SETTINGS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            if JOB_LIKE.match(text) or text in registered:
                named[text] = f"{path.relative_to(SOURCE)}:{getattr(node, 'lineno', 0)}"
    assert "library_sync_task" in named  # the API triggers it by name: the scan does see such names
    assert {name: where for name, where in named.items() if name not in registered} == {}
