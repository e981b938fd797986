"""`shelfkeeper serve`: listen first (api/front.py answers ``/health``), load the app right after.

Before the server listens only what is cheap runs: the start settings (start_settings.py), logging, the migration
check through the database's own driver (alembic runs only when the database is below the head revision), the API
key. The typer CLI is not loaded for a plain ``serve`` command line (``main``). The full settings, the app (FastAPI
and the rest) and its start-up load in the background once the server listens; a bad setting found then stops the
server with the message naming the variable and exit status 2, as it did before it listened.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from shelfkeeper import __version__
from shelfkeeper.start_settings import StartSettings, listening_url, read_start_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from shelfkeeper.api.front import ASGIApp, EarlyAnswer, Front
    from shelfkeeper.settings import Settings

_OPTIONS = ("--host", "--port", "--workers")
_PLAIN_LINE = re.compile(r"[\w .:/()-]*")
_EMOJI_CODE = re.compile(r":[\w+-]+:")


def main() -> None:
    """The ``shelfkeeper`` command: a plain ``serve`` command line runs here, anything else in the typer CLI."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    options = serve_options(sys.argv[1:])
    if options is None:
        from shelfkeeper.cli import main as cli_main

        cli_main()
        return
    serve(*options)


def serve_options(args: Sequence[str]) -> tuple[str | None, int | None, int] | None:
    """``serve``'s host, port and workers when ``args`` give them plainly (``--port 8787``, ``--port=8787``), else
    None: help, another command, an odd form or value, which typer parses and answers."""
    if not args or args[0] != "serve":
        return None
    chosen: dict[str, str] = {}
    rest = list(args[1:])
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if name not in _OPTIONS or (not equals and not rest):
            return None
        value = value if equals else rest.pop(0)
        if value.startswith("-") or (name != "--host" and not (value.isascii() and value.isdigit())):
            return None
        chosen[name] = value
    workers = int(chosen.get("--workers", "1"))
    if not 1 <= workers <= 32:
        return None
    port = chosen.get("--port")
    return chosen.get("--host"), None if port is None else int(port), workers


def serve(host: str | None, port: int | None, workers: int) -> None:
    """Apply migrations, make sure an API key exists, and run the API (and the scheduler)."""
    if workers == 1:
        # Start-up makes some 200,000 objects that live as long as the process and almost no garbage; the
        # collector would walk them again and again while they are made (a good part of the start-up). It stays
        # off until the app's lifespan has frozen them (shelfkeeper.api.app), which turns it back on. With
        # several workers this process only supervises them: it keeps its collector.
        gc.disable()
    from shelfkeeper.adapters.redaction import register_secret
    from shelfkeeper.apikeys import ApiKeyStore
    from shelfkeeper.logs import configure_logging

    settings: Settings | None = None
    start = read_start_settings() if workers == 1 else None
    if start is None:  # an unusual value, or several workers: the full settings checked here, before listening
        settings = full_settings()
        start = StartSettings.of(settings)
    if start.api_key:
        register_secret(start.api_key)
    configure_logging(start.log_level, json_lines=start.log_json)
    _migrate(start.resolved_database_url)
    keys = ApiKeyStore(start.data_dir, start.api_key)
    key, generated = keys.ensure()
    if generated:
        _console().print(f"API key: [bold]{key}[/bold] (generated now, stored in {keys.path})", highlight=False)
    if settings is not None:
        _print_notes(settings)
    bind_host, bind_port = host or start.host, port or start.port
    _say(f"Shelfkeeper {__version__} on http://{bind_host}:{bind_port} ({workers} worker(s))")
    url = listening_url(bind_host, bind_port)
    banner = (
        f"Shelfkeeper is ready: open {url}/\n"
        f"The API key: `{_command_name()} api-key show` (data directory {start.data_dir.resolve()})"
    )
    threading.Thread(target=_announce_when_listening, args=(url, bind_port, banner), daemon=True).start()
    options: dict[str, Any] = {"host": bind_host, "port": bind_port, "log_level": start.log_level.lower()}
    if workers > 1:
        import uvicorn

        uvicorn.run("shelfkeeper.serving:front_factory", factory=True, workers=workers, access_log=False, **options)
        return
    _serve_one(start, settings, options)


def front_factory() -> ASGIApp:
    """Entry point of each worker of ``serve --workers N``: the front, with the app from the environment."""
    start = read_start_settings()
    if start is None:  # the supervisor read the settings in full; a worker reads what it needs the same way
        from shelfkeeper.settings import load_settings

        start = StartSettings.of(load_settings())
    return _front(start, partial(_loaded_app, start, None, None))


def _serve_one(start: StartSettings, settings: Settings | None, options: dict[str, Any]) -> None:
    """One server process: the front on uvicorn's server; exit status 2 when the full settings are refused."""
    import uvicorn

    refused: list[int] = []

    def load() -> ASGIApp:
        return _loaded_app(start, settings, refuse)

    def refuse() -> None:
        refused.append(2)
        server.should_exit = True

    server = uvicorn.Server(uvicorn.Config(_front(start, load), access_log=False, **options))
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        server.run()
    if refused:
        sys.exit(refused[0])
    if not server.started:
        sys.exit(3)  # uvicorn.run's start-up failure status


def _front(start: StartSettings, load: Callable[[], ASGIApp]) -> Front:
    from shelfkeeper.api.front import Front

    return Front(load, _database_check(start.resolved_database_url), started=_count_early_answers)


def _loaded_app(start: StartSettings, settings: Settings | None, refuse: Callable[[], object] | None) -> ASGIApp:
    """The app for the full settings (loaded now unless given: a bad value is printed, then ``refuse`` stops the
    server); they must agree with the start settings the server was started with."""
    from shelfkeeper.api.app import serving_app
    from shelfkeeper.errors import ConfigurationError

    if settings is None:
        try:
            settings = _load_settings()
        except ConfigurationError as exc:
            _console(stderr=True).print(f"[red]{exc.message}[/red]", highlight=False)
            if refuse is not None:
                refuse()
            raise
        if StartSettings.of(settings) != start:
            raise RuntimeError("the settings read at start and the full settings differ (DATA_DIR, HOST, PORT, …)")
        if refuse is not None:  # not a worker of several, whose supervisor printed them
            _print_notes(settings)
    app: ASGIApp = serving_app(settings)
    return app


def _load_settings() -> Settings:
    from shelfkeeper.settings import load_settings

    return load_settings()


def _count_early_answers(app: ASGIApp, answers: list[EarlyAnswer]) -> None:
    from shelfkeeper.api.app import count_early_answers

    count_early_answers(app, answers)


def _database_check(url: str) -> Callable[[], tuple[bool, str | None]]:
    """``/health``'s database check before the app is in: the driver alone, or SQLAlchemy for a URL in another
    form (then the engine is made with the first check)."""
    from shelfkeeper.db import plain_driver

    if plain_driver.readable(url):
        return partial(plain_driver.reachable, url)
    engines: list[Engine] = []

    def check() -> tuple[bool, str | None]:
        from shelfkeeper.db.session import database_reachable, make_engine

        if not engines:
            engines.append(make_engine(url))
        return database_reachable(engines[0])

    return check


def _migrate(url: str) -> None:
    """Bring the schema to the head: asked through the driver, alembic loaded only when it must run."""
    from shelfkeeper.db import plain_driver

    if plain_driver.at_head(url):
        return
    from shelfkeeper.db.migrate import upgrade_if_needed
    from shelfkeeper.db.session import make_engine

    engine = make_engine(url)
    if upgrade_if_needed(engine):
        gc.collect()  # alembic's work leaves garbage behind, unlike the rest of start-up
    engine.dispose()


def full_settings() -> Settings:
    """The full settings (every command's); a bad value stops here with its message and exit status 2."""
    from shelfkeeper.errors import ConfigurationError

    try:
        return _load_settings()
    except ConfigurationError as exc:
        _console(stderr=True).print(f"[red]{exc.message}[/red]", highlight=False)
        sys.exit(2)


def _print_notes(settings: Settings) -> None:
    for note in settings.configuration_notes():
        _console(stderr=True).print(f"note: {note}", highlight=False)


def _console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr)


def _say(line: str) -> None:
    """Print ``line`` as rich would (shelfkeeper.cli's console): written as it is when rich would not change it (not a
    terminal, no colour forced, shorter than the width, no markup or emoji code), else through rich."""
    width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 80
    forced = any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"))
    plain = _PLAIN_LINE.fullmatch(line) and not _EMOJI_CODE.search(line) and len(line) < width
    if plain and not forced and not sys.stdout.isatty():
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        _console().print(line)


def _command_name() -> str:
    """How this program is called from here: `shelfkeeper` when on PATH, else its path (.venv/bin/…)."""
    from pathlib import Path
    from shutil import which

    program = Path(sys.argv[0])
    if program.name == "shelfkeeper":
        found = which("shelfkeeper")
        if found and Path(found).resolve() == program.resolve():
            return "shelfkeeper"
        return str(program)
    return f"{Path(sys.executable).name} -m shelfkeeper"


def _announce_when_listening(url: str, port: int, banner: str, timeout: float = 120.0) -> None:
    """Print the banner once the server accepts connections: the last lines before its own log."""
    host = url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                break
        except OSError:
            time.sleep(0.2)
    else:
        return
    time.sleep(0.3)  # after uvicorn's "Application startup complete"
    _console().print(banner, highlight=False)
    sys.stdout.flush()
