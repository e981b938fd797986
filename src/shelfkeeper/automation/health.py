"""Health checks (Sonarr's System > Health): outside services, permissions, paths, disk, budgets, jobs, scheduler.

Run on a schedule and at start-up; the problems found are kept in ``service_state`` for every worker to show, and
each problem found or resolved becomes an event (and so a notification).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import Lease, ServiceState, Task
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.health import HealthProblem, Level, TokenKind, changes, token_facts
from shelfkeeper.domain.lifecycle import TaskStatus
from shelfkeeper.domain.releases.release import DownloadProtocol
from shelfkeeper.errors import ServiceError
from shelfkeeper.services import events
from shelfkeeper.settings import Settings

STATE_KEY = "health"
SERVICES_NEEDED = ("audiobookshelf", "qbittorrent", "prowlarr")  # warned about when not configured
SERVICES_OPTIONAL = ("mam",)
MAM_CHECK_EVERY = timedelta(hours=1)  # MAM's request budget is small: its cookie is tested at most hourly
BUDGET_WARNING_SHARE = 0.1  # less than a tenth of a daily budget left is worth saying
SCHEDULER_LEASE = "__scheduler__"


async def health_check_task(run: RunContext) -> JobResult:
    """The job: check everything, keep the answer, and record what changed as events."""
    problems = await check_all(run)
    found, resolved = await run.transaction(lambda s: store(s, problems, run.now()))
    result = JobResult(counts={"problems": len(problems), "found": found, "resolved": resolved})
    result.metrics["problems"] = [problem.key for problem in problems]
    return result


async def check_all(run: RunContext) -> list[HealthProblem]:
    settings = run.app.settings
    service_checks = await asyncio.gather(*(_service(run, name) for name in _services_to_check(run)))
    problems = [problem for found in service_checks for problem in found]
    problems += await _library_account(run, reachable=not any(p.source == "audiobookshelf" for p in problems))
    problems += await asyncio.to_thread(local_problems, settings)
    problems += await _budgets(run)
    problems += await run.transaction(lambda s: database_problems(s, settings, run.now()))
    return problems


def _services_to_check(run: RunContext) -> list[str]:
    """The needed services, each enabled torrent client in place of qBittorrent (qBittorrent itself, reported
    as not configured, when there is none), and the optional ones."""
    clients = [name for name, _ in run.integrations.download_clients(DownloadProtocol.TORRENT)] or ["qbittorrent"]
    return [*(name for name in SERVICES_NEEDED if name != "qbittorrent"), *clients, *SERVICES_OPTIONAL]


async def _service(run: RunContext, name: str) -> list[HealthProblem]:
    integrations = run.integrations
    if not integrations.configured(name):
        if name in SERVICES_NEEDED:
            message = f"{name} is not configured: Shelfkeeper cannot do its part of the loop without it"
            return [HealthProblem("not_configured", name, Level.WARNING, message, "services-not-configured")]
        return []
    if name == "mam":
        status = await integrations.status(name)
        if status.checked_at is None or status.checked_at < run.now() - MAM_CHECK_EVERY:
            status = await integrations.status(name, check=True)
        reachable, auth_ok, error = status.reachable, status.auth_ok, status.last_error
    else:
        report = await integrations.test(name)
        reachable, auth_ok, error = report.reachable, report.auth_ok, report.error
    if auth_ok is False:
        message = f"{name} refused Shelfkeeper's credentials: {error or 'authentication failed'}"
        return [HealthProblem("auth_failed", name, Level.ERROR, message, "service-credentials-refused")]
    if not reachable:
        message = f"{name} cannot be reached: {error or 'no answer'}"
        return [HealthProblem("unreachable", name, Level.ERROR, message, "service-unreachable")]
    return []


async def _library_account(run: RunContext, *, reachable: bool) -> list[HealthProblem]:
    settings = run.app.settings
    if not reachable or not run.integrations.configured("audiobookshelf"):
        return []
    problems: list[HealthProblem] = []
    try:
        account = await run.integrations.library().account()
    except ServiceError as exc:
        message = f"audiobookshelf: the user behind ABS_TOKEN could not be read: {exc.message}"
        return [HealthProblem("account_unknown", "audiobookshelf", Level.WARNING, message, "audiobookshelf-user")]
    if not account.can_update:
        message = f"Audiobookshelf user {account.username!r} may not update items: metadata corrections will fail"
        problems.append(HealthProblem("cannot_update", "audiobookshelf", Level.ERROR, message, "audiobookshelf-user"))
    if not account.can_scan:
        message = (
            f"Audiobookshelf user {account.username!r} is a {account.user_type}, not an administrator: "
            "library scans after an import will be refused"
        )
        problems.append(HealthProblem("cannot_scan", "audiobookshelf", Level.WARNING, message, "audiobookshelf-user"))
    token = settings.abs_token.get_secret_value() if settings.abs_token else ""
    facts = token_facts(token)
    if facts.kind == TokenKind.ACCESS_TOKEN or (facts.expires_at and facts.expires_at < run.now() + timedelta(days=7)):
        when = facts.expires_at.isoformat() if facts.expires_at else "soon"
        message = (
            f"ABS_TOKEN is a {'login access token' if facts.kind == TokenKind.ACCESS_TOKEN else 'token'} that expires "
            f"({when}); create an API key in Audiobookshelf (Settings > API Keys) and use it instead"
        )
        problems.append(HealthProblem("token_expires", "audiobookshelf", Level.WARNING, message, "audiobookshelf-user"))
    return problems


def local_problems(settings: Settings) -> list[HealthProblem]:
    """The library folder, the path mappings, hardlinks between the download and library folders, free space."""
    problems: list[HealthProblem] = []
    library = settings.library_path
    if library is None:
        message = "LIBRARY_PATH is not set: finished downloads cannot be imported"
        return [HealthProblem("library_path_unset", "library", Level.WARNING, message, "library-path")]
    if not library.is_dir():
        message = f"the library folder {library} does not exist (LIBRARY_PATH)"
        problems.append(HealthProblem("library_path_missing", str(library), Level.ERROR, message, "library-path"))
    elif not os.access(library, os.W_OK | os.X_OK):
        message = f"the library folder {library} is not writable by Shelfkeeper (uid {os.getuid()})"
        problems.append(HealthProblem("library_path_readonly", str(library), Level.ERROR, message, "library-path"))
    for remote, local in settings.path_mappings():
        if not Path(local).is_dir():
            message = f"the path mapping {remote} = {local}: the local folder {local} does not exist"
            problems.append(HealthProblem("mapping_missing", local, Level.WARNING, message, "remote-path-mappings"))
    if problems:
        return problems
    downloads = _local_download_folder(settings)
    if downloads is not None and downloads.is_dir() and not can_hardlink(downloads, library):
        message = (
            f"hardlinks are not possible from {downloads} to {library} (different filesystems or no permission): "
            "imports copy the files, using the space twice"
        )
        problems.append(HealthProblem("no_hardlinks", str(library), Level.WARNING, message, "hardlinks"))
    free_gb = shutil.disk_usage(library).free / 1024**3
    if free_gb < settings.health_min_free_gb:
        message = f"only {free_gb:.1f} GB free in {library} (HEALTH_MIN_FREE_GB is {settings.health_min_free_gb:g})"
        problems.append(HealthProblem("disk_space_low", str(library), Level.WARNING, message, "disk-space"))
    return problems


def _local_download_folder(settings: Settings) -> Path | None:
    remote = settings.qb_save_path
    if not remote:
        return None
    for prefix, local in settings.path_mappings():
        if remote == prefix or remote.startswith(prefix.rstrip("/") + "/"):
            return Path(local + remote[len(prefix.rstrip("/")) :])
    return Path(remote)


def can_hardlink(source_dir: Path, target_dir: Path) -> bool:
    """Whether a file made in ``source_dir`` can be hardlinked into ``target_dir`` (both are left as they were)."""
    try:
        with tempfile.NamedTemporaryFile(dir=source_dir, prefix=".shelfkeeper-link-", delete=True) as probe:
            target = target_dir / (Path(probe.name).name + ".link")
            try:
                os.link(probe.name, target)
            except OSError:
                return False
            with contextlib.suppress(OSError):
                target.unlink()
            return True
    except OSError:
        return False


async def _budgets(run: RunContext) -> list[HealthProblem]:
    problems: list[HealthProblem] = []
    for name in ("mam", "google_books"):
        status = await run.integrations.status(name)
        limit, left = status.budget_limit, status.budget_left
        if limit and left is not None and left <= limit * BUDGET_WARNING_SHARE:
            message = f"{name}: {left} of {limit} requests left today (UTC)"
            problems.append(HealthProblem("budget_low", name, Level.WARNING, message, "request-budgets"))
    return problems


def database_problems(session: Session, settings: Settings, now: datetime) -> list[HealthProblem]:
    """Jobs failing run after run, the scheduler's runner gone, MAM's ratio under the floor."""
    problems = list(_failing_jobs(session, settings.health_failed_runs))
    if settings.run_scheduler:
        lease = session.get(Lease, SCHEDULER_LEASE)
        if lease is None or lease.expires_at < now - timedelta(seconds=settings.runner_lease_seconds):
            message = "no process runs the scheduler: scheduled jobs do not run (is a server started?)"
            problems.append(HealthProblem("scheduler_stopped", "scheduler", Level.ERROR, message, "scheduler"))
    state = session.get(ServiceState, "mam")
    stats = (state.data if state else {}).get("stats") or {}
    ratio = stats.get("ratio")
    if settings.mam_id and isinstance(ratio, int | float) and ratio < settings.mam_ratio_floor:
        message = f"MyAnonamouse ratio {ratio:.2f} is under the floor {settings.mam_ratio_floor:g}: only freeleech"
        problems.append(HealthProblem("mam_ratio_low", "mam", Level.WARNING, message, "mam-ratio"))
    return problems


def _failing_jobs(session: Session, runs: int) -> Iterable[HealthProblem]:
    names = session.scalars(select(Task.name).distinct())
    for name in names:
        statuses = list(
            session.scalars(
                select(Task.status)
                .where(Task.name == name, Task.status.in_([TaskStatus.SUCCESS, TaskStatus.FAILED]))
                .order_by(Task.id.desc())
                .limit(runs)
            )
        )
        if len(statuses) == runs and all(status == TaskStatus.FAILED for status in statuses):
            message = f"the job {name} failed its last {runs} runs (see its Tasks for the error)"
            yield HealthProblem("job_failing", name, Level.ERROR, message, "job-failing")


def store(session: Session, problems: list[HealthProblem], now: datetime) -> tuple[int, int]:
    """Keep the problems; record an event for each one found or resolved since the last check."""
    row = session.get(ServiceState, STATE_KEY)
    before = [problem_of(item) for item in ((row.data if row else {}).get("problems") or [])]
    change = changes(before, problems)
    for problem in change.found:
        kind = EventType.MAM_RATIO_LOW if problem.code == "mam_ratio_low" else EventType.HEALTH_PROBLEM
        events.record(session, Event(kind, problem.message, at=now, details=_details(problem)))
    for problem in change.resolved:
        message = f"resolved: {problem.message}"
        events.record(session, Event(EventType.HEALTH_RESOLVED, message, at=now, details=_details(problem)))
    data = {"checked_at": now.isoformat(), "problems": [_json(problem) for problem in problems]}
    if row is None:
        session.add(ServiceState(service=STATE_KEY, data=data))
    else:
        row.data = data
    return len(change.found), len(change.resolved)


def stored(session: Session) -> tuple[datetime | None, list[HealthProblem]]:
    """The last check's time and problems."""
    row = session.get(ServiceState, STATE_KEY)
    data = row.data if row else {}
    checked = data.get("checked_at")
    return (datetime.fromisoformat(checked) if checked else None), [problem_of(i) for i in data.get("problems") or []]


def _json(problem: HealthProblem) -> dict[str, Any]:
    return {**asdict(problem), "level": problem.level.value}


def problem_of(data: dict[str, Any]) -> HealthProblem:
    return HealthProblem(
        code=str(data["code"]),
        source=str(data["source"]),
        level=Level(data["level"]),
        message=str(data["message"]),
        anchor=str(data.get("anchor") or ""),
    )


def _details(problem: HealthProblem) -> dict[str, Any]:
    return {"code": problem.code, "source": problem.source, "level": problem.level.value, "doc": problem.doc}
