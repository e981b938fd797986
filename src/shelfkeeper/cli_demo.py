"""`shelfkeeper demo`: the whole loop on 127.0.0.1 (shelfkeeper.testing.demo runs it; this renders it)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

errors = Console(stderr=True)


def _echo_now(line: str) -> None:
    typer.echo(line)
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add `demo` to the program's typer app."""

    @app.command()
    def demo(
        port: Annotated[int, typer.Option(min=1, max=65535, help="The demo server's port.")] = 8788,
        data_dir: Annotated[
            Path | None,
            typer.Option(help="The demo's data directory (default: shelfkeeper-demo beside the usual one); emptied."),
        ] = None,
    ) -> None:
        """The whole loop on 127.0.0.1: seeded fakes, a tracker, two qBittorrents and the service; Ctrl-C stops it."""
        from shelfkeeper.start_settings import default_data_dir
        from shelfkeeper.testing.demo import Demo, DemoError

        chosen = data_dir or default_data_dir().with_name("shelfkeeper-demo")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        runner = Demo(chosen, port, echo=_echo_now)
        try:
            try:
                typer.echo(f"Starting the demo in {chosen.resolve()} …")
                runner.start()
            except (DemoError, RuntimeError, OSError) as exc:
                errors.print(f"[red]{exc}[/red]", highlight=False)
                raise typer.Exit(1) from None
            typer.echo(f"\nShelfkeeper demo: open {runner.url}/")
            typer.echo(f"API key: {runner.key}")
            typer.echo(f"Command line: DATA_DIR={runner.data_dir} PORT={port} shelfkeeper status")
            typer.echo(f"Server log: {runner.work / 'server.log'}; processes: {' '.join(map(str, runner.pids()))}")
            typer.echo("The jobs run once now, then on their schedule. Press Ctrl-C to stop everything.\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            typer.echo("stopping the demo …")
            runner.stop()
            typer.echo("stopped.")
