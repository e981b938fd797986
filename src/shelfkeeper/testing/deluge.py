"""A real deluged on loopback only, in a throwaway config dir, for tests and demos."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from shelfkeeper.testing.daemon import HOST, DaemonNotInstalled, DaemonProcess, DaemonStartFailed


class DelugeNotInstalled(DaemonNotInstalled):
    """The deluged binary is missing (Debian: apt-get install deluged)."""


class DelugeStartFailed(DaemonStartFailed):
    """deluged exited or its RPC port did not accept in time."""


def loopback_core_conf(*, daemon_port: int, peer_port: int, download_dir: Path) -> dict[str, Any]:
    """core.conf values that keep a daemon on 127.0.0.1: no DHT, LSD, UPnP, NAT-PMP, uTP-PEX, release check."""
    return {
        "daemon_port": daemon_port,
        "allow_remote": False,  # RPC on localhost only
        "listen_interface": HOST,
        "outgoing_interface": HOST,
        "listen_ports": [peer_port, peer_port],
        "random_port": False,
        "dht": False,
        "upnp": False,
        "natpmp": False,
        "utpex": False,
        "lsd": False,
        "new_release_check": False,
        "send_info": False,
        "enabled_plugins": [],
        "download_location": str(download_dir),
        "move_completed": False,
        "add_paused": False,
        "auto_managed": True,
    }


class DelugeProcess(DaemonProcess):
    """One deluged with its own temporary config dir, RPC and peer ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). core.conf and auth are written before the first
    start: the defaults listen on every interface with DHT, LSD, UPnP and NAT-PMP on and check for releases.
    """

    package = "deluged"
    root_prefix = "shelfkeeper-deluge-"
    not_installed = DelugeNotInstalled
    start_failed = DelugeStartFailed

    def __init__(self, *, binary: str = "deluged", **options: Any) -> None:
        super().__init__(binary=binary, **options)

    @property
    def log_path(self) -> Path:
        return self.root / "deluged.log"

    @property
    def stdout_path(self) -> Path:
        return self.output_path  # 2.0.3 on Python 3.11 prints logging tracebacks here

    def configure(self) -> None:
        conf = loopback_core_conf(daemon_port=self.port, peer_port=self.peer_port, download_dir=self.save_dir)
        # Deluge reads two concatenated JSON objects: the file header, then the values.
        header = json.dumps({"file": 1, "format": 1})
        (self.profile_dir / "core.conf").write_text(header + json.dumps(conf, indent=1))
        # Numeric level (10 = admin): 2.0.3 skips a line with a named level.
        (self.profile_dir / "auth").write_text(f"{self.username}:{self.password}:10\n")

    def command(self, binary: str) -> list[str]:
        return [binary, "-d", "-c", str(self.profile_dir), "-L", "error", "-l", str(self.log_path)]

    def answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def log_files(self) -> list[Path]:
        return [self.log_path, self.output_path]
