"""A real deluged on loopback only, in a throwaway config dir, for tests and demos."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from shelfkeeper.testing.server import free_port

HOST = "127.0.0.1"


class DelugeNotInstalled(RuntimeError):
    """The deluged binary is missing (Debian: apt-get install deluged)."""


class DelugeStartFailed(RuntimeError):
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


class DelugeProcess:
    """One deluged with its own temporary config dir, RPC and peer ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). core.conf and auth are written before the first
    start: the defaults listen on every interface with DHT, LSD, UPnP and NAT-PMP on and check for releases.
    """

    def __init__(
        self,
        *,
        binary: str = "deluged",
        username: str = "shelfkeeper",
        password: str | None = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.binary = binary
        self.host = HOST
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port = 0
        self.peer_port = 0
        self.pid: int | None = None
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("deluged is not started")
        return self._root

    @property
    def profile_dir(self) -> Path:
        return self.root / "profile"

    @property
    def save_dir(self) -> Path:
        return self.root / "downloads"

    @property
    def log_path(self) -> Path:
        return self.root / "deluged.log"

    @property
    def stdout_path(self) -> Path:
        return self.root / "stdout.log"

    def start(self) -> Self:
        binary = shutil.which(self.binary)
        if binary is None:
            raise DelugeNotInstalled(
                f"{self.binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y deluged)"
            )
        self._root = Path(tempfile.mkdtemp(prefix="shelfkeeper-deluge-"))
        self.save_dir.mkdir()
        self.profile_dir.mkdir()
        self.port = free_port()
        self.peer_port = free_port()
        while self.peer_port == self.port:
            self.peer_port = free_port()
        conf = loopback_core_conf(daemon_port=self.port, peer_port=self.peer_port, download_dir=self.save_dir)
        # Deluge reads two concatenated JSON objects: the file header, then the values.
        header = json.dumps({"file": 1, "format": 1})
        (self.profile_dir / "core.conf").write_text(header + json.dumps(conf, indent=1))
        # Numeric level (10 = admin): 2.0.3 skips a line with a named level.
        (self.profile_dir / "auth").write_text(f"{self.username}:{self.password}:10\n")
        self._log = self.stdout_path.open("wb")
        try:
            self._process = subprocess.Popen(
                [binary, "-d", "-c", str(self.profile_dir), "-L", "error", "-l", str(self.log_path)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,  # 2.0.3 on Python 3.11 prints logging tracebacks here
                stderr=subprocess.STDOUT,
            )
            self.pid = self._process.pid
            self._wait_for_rpc()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_rpc(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise DelugeStartFailed(f"deluged exited with {self._process.returncode}: {self._log_tail()}")
            if self._rpc_answers():
                return
            if time.monotonic() > deadline:
                raise DelugeStartFailed(f"RPC port {self.host}:{self.port} did not accept: {self._log_tail()}")
            time.sleep(0.05)

    def _rpc_answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def _log_tail(self) -> str:
        try:
            logs = [p.read_text(errors="replace") for p in (self.log_path, self.stdout_path) if p.exists()]
            return "\n".join(logs)[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL after ``stop_timeout``, then remove the profile and downloads."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.kill(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=self.stop_timeout)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
