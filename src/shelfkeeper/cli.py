"""The command line: the same use cases as the API (serve, db, config, api-key, version)."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.console import Console

from shelfkeeper import __version__
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import current_revision, head_revision, upgrade
from shelfkeeper.errors import ConfigurationError, error_code_reference
from shelfkeeper.services.system import redacted_configuration
from shelfkeeper.settings import Settings, configuration_reference, load_settings

app = typer.Typer(
    help="Shelfkeeper: audiobook automation for Audiobookshelf.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
key_app = typer.Typer(help="The API key.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated reference documents.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(key_app, name="api-key")
app.add_typer(docs_app, name="docs")

console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        errors.print(f"[red]{exc.message}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _context() -> AppContext:
    return AppContext.from_settings(_settings())


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
    import uvicorn

    settings = _settings()
    context = AppContext.from_settings(settings)
    upgrade(context.engine)
    key, generated = context.api_keys.ensure()
    if generated:
        console.print(
            f"Generated an API key (stored in {context.api_keys.path}); shown once:\n  [bold]{key}[/bold]",
            highlight=False,
        )
    for note in settings.configuration_notes():
        errors.print(f"note: {note}", highlight=False)
    context.engine.dispose()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"Shelfkeeper {__version__} on http://{bind_host}:{bind_port} ({workers} worker(s))")
    uvicorn.run(
        "shelfkeeper.api.app:app_factory",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the migrations up to the newest revision."""
    context = _context()
    upgrade(context.engine, revision)
    console.print(f"database at revision {current_revision(context.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    context = _context()
    current, head = current_revision(context.engine), head_revision(context.engine)
    state = "up to date" if current == head else "needs `shelfkeeper db upgrade`"
    console.print(f"current: {current or 'empty'}  head: {head}  ({state})")


@config_app.command("show")
def config_show() -> None:
    """Print every setting in force, secrets redacted."""
    console.print_json(json.dumps(redacted_configuration(_context()), default=str))


@key_app.command("show")
def key_show() -> None:
    """Print the API key (generating it when none exists yet)."""
    key, _ = _context().api_keys.ensure()
    console.print(key, highlight=False)


@key_app.command("rotate")
def key_rotate() -> None:
    """Replace the stored API key with a new one; running servers pick it up at once."""
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
    from shelfkeeper.services.backup import restore_backup

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


@app.command()
def backups() -> None:
    """List the backups in DATA_DIR/backups, newest first."""
    from shelfkeeper.services.backup import list_backups

    for item in list_backups(_settings().data_dir):
        console.print(f"{item.name}  {item.size_bytes} bytes  {item.created_at:%Y-%m-%d %H:%M}", highlight=False)


@docs_app.command("error-codes")
def docs_error_codes() -> None:
    """Print the error-code reference (docs/error-codes.md)."""
    typer.echo(error_code_reference(), nl=False)


def _openapi() -> dict[str, object]:
    from pathlib import Path
    from tempfile import mkdtemp

    from shelfkeeper.api.app import create_app

    settings = Settings(data_dir=Path(mkdtemp()), api_key="docs", run_scheduler=False, _env_file=None)  # type: ignore[call-arg]
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
    typer.echo(configuration_reference(), nl=False)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
