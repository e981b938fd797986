"""The command line: serve, db, config, api-key, the work commands (cli_commands), the demo and the fakes."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from shelfkeeper import __version__
from shelfkeeper.cli_commands import register as register_work_commands
from shelfkeeper.cli_demo import register as register_demo_command

# The rest loads inside the command that needs it: `serve` starts with the collector off (see `serve`), and
# a command that only prints pays for no more than it uses.
if TYPE_CHECKING:
    from shelfkeeper.context import AppContext
    from shelfkeeper.settings import Settings
    from shelfkeeper.testing.fakes import RunningFake
    from shelfkeeper.testing.qbittorrent import QbittorrentProcess

_option_type = typer.core.TyperOption.display_type_rich


def _flag_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """A flag takes no value: its help shows `--full`, not `--full <bool>` (as typer's plain help does)."""
    return None if self.is_flag else _option_type(self, ctx)


typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

app = typer.Typer(
    help="Shelfkeeper: audiobook automation for Audiobookshelf.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
key_app = typer.Typer(help="The API key.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated reference documents.", no_args_is_help=True)
fakes_app = typer.Typer(
    help="Fake outside services on 127.0.0.1, to try Shelfkeeper and for tests.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(key_app, name="api-key")
app.add_typer(docs_app, name="docs")
app.add_typer(fakes_app, name="fakes")

console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    """The full settings; a bad value stops the command with its message and exit status 2 (as ``serve``)."""
    from shelfkeeper.serving import full_settings

    return full_settings()


def _context() -> AppContext:
    from shelfkeeper.context import AppContext

    return AppContext.from_settings(_settings())


def _settings_and_key() -> tuple[Settings, str | None]:
    """The settings and the API key the server uses (None when none exists yet); never creates anything."""
    from shelfkeeper.apikeys import ApiKeyStore

    settings = _settings()
    store = ApiKeyStore(settings.data_dir, settings.api_key.get_secret_value() if settings.api_key else None)
    key = store.configured or (store.current() if store.path.is_file() else None)
    return settings, key


register_work_commands(app, _settings_and_key)
register_demo_command(app)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"shelfkeeper {__version__}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT or 8787).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes.")] = 1,
) -> None:
    """Apply migrations, make sure an API key exists, and run the API (and the scheduler)."""
    from shelfkeeper.serving import serve as run_server  # also run without typer (serving.main)

    run_server(host, port, workers)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the migrations up to the newest revision."""
    from shelfkeeper.db.migrate import current_revision, upgrade

    context = _context()
    upgrade(context.engine, revision)
    console.print(f"database at revision {current_revision(context.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    from shelfkeeper.db.migrate import current_revision, head_revision

    context = _context()
    current, head = current_revision(context.engine), head_revision(context.engine)
    state = "up to date" if current == head else "needs `shelfkeeper db upgrade`"
    console.print(f"current: {current or 'empty'}  head: {head}  ({state})")


@config_app.command("show")
def config_show() -> None:
    """Print every setting in force by its environment variable, secrets redacted; and which data directory."""
    from shelfkeeper.services.system import redacted_configuration
    from shelfkeeper.settings import Settings

    settings, key = _settings_and_key()
    shown = redacted_configuration(_context())
    fields = set(Settings.model_fields)
    output = {(name.upper() if name in fields else name): value for name, value in shown.items()}
    output["DATA_DIR"] = str(settings.data_dir.resolve())
    output["API_KEY"] = "set" if key else None
    source = "DATA_DIR" if "DATA_DIR" in os.environ else "the default"
    errors.print(f"data directory: {settings.data_dir.resolve()} ({source})", highlight=False)
    console.print_json(json.dumps(output, default=str))


@key_app.command("show")
def key_show() -> None:
    """Print the API key the server uses (from API_KEY, else DATA_DIR/api_key)."""
    from shelfkeeper.cli_api import missing_data_dir

    settings, key = _settings_and_key()
    if key is None:
        problem = missing_data_dir(settings) or (
            f"no API key in {settings.data_dir.resolve()}: start the service once (`shelfkeeper serve`) to make one"
        )
        errors.print(f"[red]{problem}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(key, highlight=False)


@key_app.command("rotate")
def key_rotate() -> None:
    """Replace the stored API key with a new one; running servers pick it up at once."""
    from shelfkeeper.cli_api import missing_data_dir
    from shelfkeeper.errors import ConfigurationError

    settings = _settings()
    problem = None if settings.api_key else missing_data_dir(settings)  # with API_KEY set: refused below
    if problem:
        errors.print(f"[red]{problem}[/red]", highlight=False)
        raise typer.Exit(1)
    try:
        key = _context().api_keys.rotate()
    except ConfigurationError as exc:
        errors.print(f"[red]{exc.message}[/red]", highlight=False)
        raise typer.Exit(2) from None
    console.print(key, highlight=False)


@app.command()
def backup() -> None:
    """Write a backup of the database into DATA_DIR/backups (SQLite copy, or pg_dump for PostgreSQL)."""
    from datetime import UTC, datetime

    from shelfkeeper.services.backup import create_backup

    context = _context()
    made = create_backup(
        context.engine, context.settings.data_dir, now=datetime.now(UTC), keep=context.settings.backup_keep
    )
    console.print(f"backup written: {made.path} ({made.size_bytes} bytes)", highlight=False)


@app.command()
def restore(
    name: Annotated[str, typer.Argument(help="A file name from DATA_DIR/backups (see `shelfkeeper backups`).")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the current database is replaced.")] = False,
) -> None:
    """Replace the database with a backup. Stop the service first."""
    from shelfkeeper.errors import ShelfkeeperError
    from shelfkeeper.services.backup import restore_backup, secrets_to_enter_again

    if not yes:
        errors.print("restore replaces the current database; run again with --yes (service stopped)")
        raise typer.Exit(2)
    context = _context()
    try:
        restored = restore_backup(context.engine, context.settings.data_dir, name)
    except ShelfkeeperError as exc:
        errors.print(f"[red]{exc.message}[/red]", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"restored {restored.name}", highlight=False)
    for secret in secrets_to_enter_again(context.engine, context.settings.data_dir):
        errors.print(
            f"[yellow]the {secret} in this backup was sealed with another machine's key "
            f"({context.settings.data_dir}/secret.key): enter it again[/yellow]",
            highlight=False,
        )


@app.command()
def backups() -> None:
    """List the backups in DATA_DIR/backups, newest first."""
    from shelfkeeper.services.backup import list_backups

    for item in list_backups(_settings().data_dir):
        console.print(f"{item.name}  {item.size_bytes} bytes  {item.created_at:%Y-%m-%d %H:%M}", highlight=False)


@docs_app.command("error-codes")
def docs_error_codes() -> None:
    """Print the error-code reference (docs/error-codes.md)."""
    from shelfkeeper.errors import error_code_reference

    typer.echo(error_code_reference(), nl=False)


def _openapi() -> dict[str, object]:
    from pathlib import Path
    from tempfile import mkdtemp

    from shelfkeeper.api.app import create_app
    from shelfkeeper.settings import Settings

    settings = Settings(data_dir=Path(mkdtemp()), api_key="docs", run_scheduler=False, _env_file=None)
    return create_app(settings).openapi()


@docs_app.command("api")
def docs_api() -> None:
    """Print the API reference generated from the OpenAPI schema (docs/api.md)."""
    from shelfkeeper.api.reference import api_reference

    typer.echo(api_reference(_openapi()), nl=False)


@docs_app.command("postman")
def docs_postman() -> None:
    """Print a Postman collection generated from the OpenAPI schema (docs/shelfkeeper.postman_collection.json)."""
    from shelfkeeper.api.reference import postman_collection

    typer.echo(json.dumps(postman_collection(_openapi()), indent=2))


@docs_app.command("configuration")
def docs_configuration() -> None:
    """Print the configuration reference (docs/configuration.md)."""
    from shelfkeeper.settings import configuration_reference

    typer.echo(configuration_reference(), nl=False)


# ---- fakes -------------------------------------------------------------------------------------------------------


def _fake_name(name: str, option: str) -> str:
    from shelfkeeper.testing.fakes import FAKES

    if name not in FAKES:
        raise typer.BadParameter(f"unknown fake {name!r} (known: {', '.join(FAKES)})", param_hint=option)
    return name


def _fake_names(only: str | None) -> list[str]:
    from shelfkeeper.testing.fakes import FAKES

    chosen = [name.strip() for name in (only or "").split(",") if name.strip()]
    return [_fake_name(name, "--only") for name in chosen] or list(FAKES)


def _fake_ports(pairs: list[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for pair in pairs:
        name, _, port = pair.partition("=")
        if not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise typer.BadParameter(f"expected NAME=PORT, got {pair!r}", param_hint="--port")
        ports[_fake_name(name.strip(), "--port")] = int(port)
    return ports


def _fake_seeds(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--seed") from None
    except ValueError as exc:
        raise typer.BadParameter(f"{path} is not valid JSON: {exc}", param_hint="--seed") from None
    if not isinstance(data, dict):
        raise typer.BadParameter("the seed file must hold a JSON object: {service: seed}", param_hint="--seed")
    for name, seed in data.items():
        _fake_name(name, "--seed")
        if not isinstance(seed, dict):
            raise typer.BadParameter(f"the seed of {name!r} must be a JSON object", param_hint="--seed")
    return data


def _start_qbittorrent() -> QbittorrentProcess:
    from shelfkeeper.testing.qbittorrent import QbittorrentNotInstalled, QbittorrentProcess, QbittorrentStartFailed

    try:
        return QbittorrentProcess().start()
    except (QbittorrentNotInstalled, QbittorrentStartFailed) as exc:
        errors.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(1) from None


def _announce(running: list[RunningFake], qbittorrent: QbittorrentProcess | None) -> None:
    env: dict[str, str] = {}
    for entry in running:
        typer.echo(f"{entry.name:<15} {entry.url}")
        env.update(entry.env())
    if qbittorrent is not None:
        typer.echo(f"{'qbittorrent':<15} {qbittorrent.url}")
        env.update(QB_HOST=qbittorrent.host, QB_PORT=str(qbittorrent.port), QB_USERNAME=qbittorrent.username)
        env["QB_PASSWORD"] = qbittorrent.password
    typer.echo("\n# point Shelfkeeper at them (.env):")
    for name, value in env.items():
        typer.echo(f"{name}={value}")
    typer.echo("Serving on 127.0.0.1; press Ctrl-C to stop.")
    sys.stdout.flush()


@fakes_app.command("serve")
def fakes_serve(
    only: Annotated[str | None, typer.Option(help="Comma-separated fakes to start (default: all).")] = None,
    seed: Annotated[Path | None, typer.Option(help="JSON file {service: seed object} for the fakes.")] = None,
    port: Annotated[
        list[str] | None, typer.Option(help="NAME=PORT for one fake (repeatable); others: free ports.")
    ] = None,
    qbittorrent: Annotated[
        bool, typer.Option("--qbittorrent", help="Also run a loopback-only qbittorrent-nox.")
    ] = False,
) -> None:
    """Serve fake outside services on 127.0.0.1 until Ctrl-C; print their URLs and the settings to use them."""
    from shelfkeeper.testing.fakes import start_fakes, stop_fakes

    names, seeds, ports = _fake_names(only), _fake_seeds(seed), _fake_ports(port or [])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # terminate like Ctrl-C: servers closed, exit code 0
    running: list[RunningFake] = []
    process: QbittorrentProcess | None = None
    try:
        try:
            running = start_fakes(names, {name: seeds[name] for name in names if name in seeds}, ports)
        except RuntimeError as exc:  # a chosen port is taken
            errors.print(str(exc), highlight=False, markup=False)
            raise typer.Exit(1) from None
        process = _start_qbittorrent() if qbittorrent else None
        _announce(running, process)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop_fakes(running)
        if process is not None:
            process.stop()


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
