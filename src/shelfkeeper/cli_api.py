"""How the command line reaches Shelfkeeper: the running server's API when one answers, else the app in-process.

Either way the commands speak the same HTTP API (in-process through the ASGI app), so a job started from the
command line runs where the server runs its jobs, and the terminal only follows it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # httpx loads when a command talks to a server: `serve` (which imports this) never does
    from shelfkeeper.settings import Settings

FINISHED = ("success", "failed", "cancelled")


class CliError(Exception):
    """A message for the terminal and an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def server_url(settings: Settings) -> str:
    """Where a server started with these settings listens (a wildcard address is reached on loopback)."""
    from shelfkeeper.start_settings import listening_url

    return listening_url(settings.host, settings.port)


def missing_data_dir(settings: Settings) -> str | None:
    """A message when the data directory does not exist (and no database elsewhere is configured)."""
    if settings.data_dir.is_dir():
        return None
    return (
        f"no data directory at {settings.data_dir.resolve()}: start the service once (`shelfkeeper serve`), "
        "or set DATA_DIR to the one it uses"
    )


def _server_answers(url: str) -> bool:
    import httpx

    try:
        answer = httpx.get(f"{url}/health", timeout=1.5)
    except httpx.HTTPError:
        return False
    try:
        return answer.status_code == 200 and answer.json().get("data", {}).get("version") is not None
    except ValueError:
        return False


class Api:
    """One client of the API; ``remote`` tells whether it reaches a running server."""

    def __init__(self, client: Any, remote: bool, where: str, console: Console) -> None:
        self.client = client
        self.remote = remote
        self.where = where
        self.console = console

    def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The ``data`` of the envelope; a CliError with the error code and message otherwise."""
        import httpx

        clean = {name: value for name, value in (params or {}).items() if value is not None}
        try:
            response = self.client.request(method, path, json=json, params=clean or None)
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach {self.where}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            raise CliError(f"{method} {path}: HTTP {response.status_code} without a JSON answer") from None
        if not body.get("success"):
            raise CliError(f"{body.get('error_code', response.status_code)}: {body.get('error')}", 2)
        return body.get("data")

    def follow(self, task_id: int, label: str, *, timeout: float = 3600.0) -> dict[str, Any]:
        """Show a run's progress until it ends; its Task (counts, error)."""
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        deadline = time.monotonic() + timeout
        with Progress(*columns, console=self.console, transient=True) as progress:
            bar = progress.add_task(label, total=None)
            while True:
                task: dict[str, Any] = self.call("GET", f"/api/scheduler/history/{task_id}")
                if task["status"] in FINISHED:
                    progress.update(bar, total=1, completed=1)
                    return task
                if time.monotonic() > deadline:
                    raise CliError(f"task {task_id} still {task['status']} after {timeout:.0f} s")
                counts = ", ".join(f"{name} {value}" for name, value in (task.get("counts") or {}).items())
                progress.update(bar, description=f"{label} ({task['status']}{'; ' + counts if counts else ''})")
                time.sleep(0.3)

    def run_job(self, name: str, parameters: dict[str, Any], label: str) -> dict[str, Any]:
        """Start a job through the job runner (or join the run going on) and follow it to its end."""
        try:
            started = self.call("POST", f"/api/scheduler/trigger/{name}", json={"parameters": parameters})
        except CliError as exc:
            if "JOB_ALREADY_RUNNING" not in exc.message:
                raise
            running = [t for t in self.call("GET", "/api/scheduler/running") if t["name"] == name]
            if not running:
                raise
            self.console.print(f"{name} is already running (task {running[0]['id']}); following it")
            return self.follow(running[0]["id"], label)
        return self.follow(started["task_id"], label)


@contextmanager
def connect(settings: Settings, key: str | None, console: Console) -> Iterator[Api]:
    """The running server when one answers at HOST:PORT, else the app in-process (its scheduler off)."""
    import httpx

    url = server_url(settings)
    if _server_answers(url):
        if key is None:
            raise CliError(f"a server answers on {url} but no API key was found: {missing_data_dir(settings)}")
        with httpx.Client(base_url=url, headers={"X-Api-Key": key}, timeout=120.0) as client:
            yield Api(client, True, url, console)
        return
    problem = missing_data_dir(settings) if settings.database_url is None else None
    if problem:
        raise CliError(problem)
    from fastapi.testclient import TestClient

    from shelfkeeper.api.app import create_app
    from shelfkeeper.context import AppContext
    from shelfkeeper.db.migrate import upgrade

    context = AppContext.from_settings(settings.model_copy(update={"run_scheduler": False}))
    upgrade(context.engine)
    in_process_key, _ = context.api_keys.ensure()
    with ExitStack() as stack:
        in_process = stack.enter_context(TestClient(create_app(context=context), headers={"X-Api-Key": in_process_key}))
        stack.callback(context.engine.dispose)
        yield Api(in_process, False, "this process", console)
