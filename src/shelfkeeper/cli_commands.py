"""The command line as a tool: sync, correct, wanted, search, grab, queue, status.

Each command speaks the API (``cli_api.connect``): the running server's when one answers, so jobs run in one
process, else the app in-process. Long work shows a progress bar; lists are tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shelfkeeper.cli_api import Api, CliError, connect

console = Console()
errors = Console(stderr=True)

# Set by cli.py: loads the settings and the API key the way every command does.
Connector = Callable[[], Any]


def _api_session(loader: Connector) -> Any:
    settings, key = loader()
    return connect(settings, key, console)


def _fail(exc: CliError) -> typer.Exit:
    errors.print(f"[red]{exc.message}[/red]", highlight=False)
    return typer.Exit(exc.exit_code)


def _where(api: Api) -> None:
    errors.print(f"[dim]via {'the server at ' + api.where if api.remote else 'this process (no server answers)'}[/dim]")


def _counts(task: dict[str, Any]) -> str:
    counts = ", ".join(f"{name}: {value}" for name, value in sorted((task.get("counts") or {}).items()))
    return counts or "nothing to do"


def _job_outcome(task: dict[str, Any], label: str) -> None:
    if task["status"] != "success":
        errors.print(f"[red]{label} {task['status']}: {task.get('error')}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(f"{label} done (task {task['id']}, {task.get('duration_seconds')} s): {_counts(task)}")


def register(app: typer.Typer, loader: Connector) -> None:
    """Add the commands to the program's typer app; ``loader()`` gives (settings, API key or None)."""

    @app.command()
    def sync(
        full: Annotated[bool, typer.Option("--full", help="Read every item and notice removals.")] = False,
    ) -> None:
        """Sync the library from Audiobookshelf now (the library_sync_task job)."""
        try:
            with _api_session(loader) as api:
                _where(api)
                started = api.call("POST", "/api/books/sync", json={"full": full})  # 503 when ABS is not set
                task = api.follow(started["task_id"], "syncing the library")
        except CliError as exc:
            raise _fail(exc) from None
        _job_outcome(task, "sync")

    @app.command()
    def correct(
        book: Annotated[
            int | None, typer.Argument(metavar="BOOK", help="One book's id (default: every book).", min=1)
        ] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Record what would change; change nothing.")] = False,
    ) -> None:
        """Check metadata against the providers: confident changes applied, the others left for review."""
        try:
            with _api_session(loader) as api:
                _where(api)
                if book is None:
                    task = api.run_job("metadata_full_refresh_task", {"dry_run": dry_run}, "checking metadata")
                    _job_outcome(task, "correct")
                    return
                with Progress(console=console, transient=True) as progress:
                    progress.add_task(f"checking book {book}", total=None)
                    answer = api.call("POST", f"/api/metadata/correct/{book}", json={"dry_run": dry_run})
        except CliError as exc:
            raise _fail(exc) from None
        console.print(f"{answer['title']}: {answer['message']}", highlight=False)
        table = Table("field", "old", "new", "confidence", "status", title=f"book {book} ({answer['metadata_status']})")
        for change in answer.get("corrections") or []:
            table.add_row(
                str(change.get("field")),
                str(change.get("old_value")),
                str(change.get("new_value")),
                f"{change.get('confidence', 0):.2f}",
                str(change.get("status")),
            )
        console.print(table)

    @app.command()
    def wanted(
        status: Annotated[str | None, typer.Option(help="Only this status (wanted, grabbed, imported, …).")] = None,
        limit: Annotated[int, typer.Option(min=1, max=500, help="How many rows.")] = 50,
    ) -> None:
        """The wanted list: what is missing, why, and how far it got."""
        try:
            with _api_session(loader) as api:
                page = api.call("GET", "/api/wanted", params={"status": status, "limit": limit})
        except CliError as exc:
            raise _fail(exc) from None
        table = Table("id", "title", "author", "series", "reason", "status", title=f"wanted ({page['total']})")
        for row in page["items"]:
            series = f"{row['series_name']} #{row['series_position']}" if row.get("series_name") else ""
            table.add_row(str(row["id"]), row["title"], row["author_name"], series, row["reason"], row["status"])
        console.print(table)

    @app.command()
    def search(
        title: Annotated[str, typer.Argument(metavar="TITLE", help="The book's title.")],
        author: Annotated[str | None, typer.Option(help="The author.")] = None,
    ) -> None:
        """Search Prowlarr and MyAnonamouse now: every release ranked, with its reasons."""
        try:
            with _api_session(loader) as api, Progress(console=console, transient=True) as progress:
                progress.add_task(f"searching for {title}", total=None)
                found = api.call("POST", "/api/downloads/search", json={"title": title, "author": author})
        except CliError as exc:
            raise _fail(exc) from None
        table = Table("#", "score", "verdict", "release", "indexer", "seeders", "reasons", title=f"releases: {title}")
        for number, item in enumerate(found["releases"], 1):
            release = item["release"]
            reasons = "; ".join(item.get("summary") or [])
            verdict = "[green]accepted[/green]" if item["accepted"] else "[red]rejected[/red]"
            table.add_row(
                str(number),
                str(item["score"]),
                verdict,
                release["title"],
                release["indexer"],
                str(release.get("seeders")),
                reasons,
            )
        console.print(table)
        sources = ", ".join(f"{s['name']} {'ok' if s['ok'] else 'failed'} ({s['count']})" for s in found["sources"])
        console.print(f"{found['accepted']} of {len(found['releases'])} accepted; sources: {sources}")

    @app.command()
    def grab(
        wanted_ids: Annotated[
            list[int] | None,
            typer.Argument(metavar="WANTED_ID...", help="Wanted book ids (default: every approved wanted book)."),
        ] = None,
    ) -> None:
        """Grab the best release of wanted books through qBittorrent."""
        failures = 0
        try:
            with _api_session(loader) as api:
                _where(api)
                ids = list(wanted_ids or [])
                if not ids:
                    page = api.call("GET", "/api/wanted", params={"status": "wanted", "approved": True, "limit": 500})
                    ids = [row["id"] for row in page["items"] if not row.get("upcoming")]
                with Progress(console=console) as progress:
                    bar = progress.add_task("grabbing", total=len(ids))
                    for wanted_id in ids:
                        try:
                            download = api.call("POST", "/api/downloads", json={"wanted_book_id": wanted_id})
                            progress.console.print(f"{wanted_id}: grabbed {download['release_title']}")
                        except CliError as exc:
                            failures += 1
                            progress.console.print(f"{wanted_id}: {exc.message}", highlight=False)
                        progress.advance(bar)
        except CliError as exc:
            raise _fail(exc) from None
        if failures:
            raise typer.Exit(1)

    @app.command()
    def queue(
        status: Annotated[str | None, typer.Option(help="Only this status (downloading, imported, failed, …).")] = None,
    ) -> None:
        """The download queue and its history, with progress."""
        try:
            with _api_session(loader) as api:
                page = api.call("GET", "/api/downloads", params={"status": status, "limit": 100})
        except CliError as exc:
            raise _fail(exc) from None
        table = Table("id", "release", "status", "progress", "result", title=f"downloads ({page['total']})")
        for row in page["items"]:
            table.add_row(
                str(row["id"]),
                row["release_title"],
                row["status"],
                f"{round(100 * (row.get('progress') or 0))}%",
                row.get("result") or "",
            )
        console.print(table)

    @app.command()
    def status() -> None:
        """The service: version, database, scheduler, library and queue totals."""
        try:
            with _api_session(loader) as api:
                system = api.call("GET", "/api/system/status")
                stats = api.call("GET", "/api/system/stats")
                where = api.where if api.remote else "none running (read in-process)"
        except CliError as exc:
            raise _fail(exc) from None
        table = Table("", "", show_header=False, title=f"Shelfkeeper {system['version']}")
        database = system["database"]
        table.add_row("server", where)
        table.add_row("database", f"{database['backend']} at revision {database['revision']} ({database['url']})")
        table.add_row("scheduler", "running" if system["scheduler"].get("running") else "not running here")
        for name, value in stats.items():
            shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
            table.add_row(name.replace("_", " "), shown or "none")
        for note in system.get("configuration_notes") or []:
            table.add_row("note", note)
        console.print(table)
