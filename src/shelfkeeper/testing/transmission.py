"""A real transmission-daemon on loopback only, in a throwaway profile, for tests and demos."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from shelfkeeper.testing.server import free_port

HOST = "127.0.0.1"


class TransmissionNotInstalled(RuntimeError):
    """The transmission-daemon binary is missing (Debian: apt-get install transmission-daemon)."""


class TransmissionStartFailed(RuntimeError):
    """transmission-daemon exited or its RPC did not answer in time."""


def loopback_settings(
    *, rpc_port: int, peer_port: int, download_dir: Path, username: str, password: str
) -> dict[str, Any]:
    """The settings.json that keeps a daemon on 127.0.0.1: no DHT, PEX, LPD, uTP, UPnP/NAT-PMP; RPC auth on."""
    return {
        "bind-address-ipv4": HOST,
        "bind-address-ipv6": "::1",
        "peer-port": peer_port,
        "peer-port-random-on-start": False,
        "port-forwarding-enabled": False,  # UPnP and NAT-PMP
        "dht-enabled": False,
        "pex-enabled": False,
        "lpd-enabled": False,
        "utp-enabled": False,
        "blocklist-enabled": False,
        "blocklist-url": "",
        "rpc-enabled": True,
        "rpc-bind-address": HOST,
        "rpc-port": rpc_port,
        "rpc-url": "/transmission/",
        "rpc-authentication-required": True,
        "rpc-username": username,
        "rpc-password": password,  # replaced by a salted hash at start; the clear one keeps working
        "rpc-whitelist-enabled": True,
        "rpc-whitelist": HOST,
        "rpc-host-whitelist-enabled": False,
        "download-dir": str(download_dir),
        "incomplete-dir-enabled": False,
        "start-added-torrents": True,
        "script-torrent-done-enabled": False,
        "message-level": 2,
    }


class TransmissionProcess:
    """One transmission-daemon with its own temporary profile, RPC and peer ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). settings.json is written before the first start:
    the defaults listen on every interface with DHT, PEX, uTP and port forwarding on.
    """

    def __init__(
        self,
        *,
        binary: str = "transmission-daemon",
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
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("transmission-daemon is not started")
        return self._root

    @property
    def profile_dir(self) -> Path:
        return self.root / "profile"

    @property
    def save_dir(self) -> Path:
        return self.root / "downloads"

    @property
    def log_path(self) -> Path:
        return self.root / "daemon.log"

    def start(self) -> Self:
        binary = shutil.which(self.binary)
        if binary is None:
            raise TransmissionNotInstalled(
                f"{self.binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y transmission-daemon)"
            )
        self._root = Path(tempfile.mkdtemp(prefix="shelfkeeper-tr-"))
        self.save_dir.mkdir()
        self.profile_dir.mkdir()
        self.port = free_port()
        self.peer_port = free_port()
        while self.peer_port == self.port:
            self.peer_port = free_port()
        settings = loopback_settings(
            rpc_port=self.port,
            peer_port=self.peer_port,
            download_dir=self.save_dir,
            username=self.username,
            password=self.password,
        )
        (self.profile_dir / "settings.json").write_text(json.dumps(settings, indent=1))
        self._log = self.log_path.open("wb")
        try:
            self._process = subprocess.Popen(
                [binary, "-f", "-g", str(self.profile_dir), "--log-error"],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
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
                raise TransmissionStartFailed(
                    f"transmission-daemon exited with {self._process.returncode}: {self._log_tail()}"
                )
            if self._rpc_answers():
                return
            if time.monotonic() > deadline:
                raise TransmissionStartFailed(f"RPC on {self.url} did not answer: {self._log_tail()}")
            time.sleep(0.05)

    def _rpc_answers(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # stay on loopback
        request = urllib.request.Request(f"{self.url}/transmission/rpc", data=b"{}", method="POST")  # noqa: S310
        try:
            with opener.open(request, timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # 401 without credentials, 409 without the session id: the RPC is up
        except OSError:
            return False

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
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
