"""A real qbittorrent-nox on loopback only, in a throwaway profile, for tests and demos."""

from __future__ import annotations

import base64
import hashlib
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
from typing import IO, Self

from shelfkeeper.testing.server import free_port

HOST = "127.0.0.1"
_PBKDF2_ITERATIONS = 100_000  # qBittorrent's own recipe (src/base/utils/password.cpp)


class QbittorrentNotInstalled(RuntimeError):
    """The qbittorrent-nox binary is missing: install it (Debian: apt-get install qbittorrent-nox)."""


class QbittorrentStartFailed(RuntimeError):
    """qbittorrent-nox exited or its WebUI did not answer in time."""


def password_hash(password: str, salt: bytes) -> str:
    """The ``WebUI\\Password_PBKDF2`` value for a password: PBKDF2-HMAC-SHA512, 100 000 rounds, 64-byte key."""
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ITERATIONS, 64)
    return f'"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"'


def loopback_config(*, webui_port: int, bt_port: int, save_dir: Path, username: str, password: str) -> str:
    """The qBittorrent.conf that keeps an instance on 127.0.0.1: no DHT, LSD, PeX, UPnP; WebUI auth on."""
    return f"""[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port={bt_port}
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress={HOST}
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath={save_dir}
Session\\TempPathEnabled=false
Session\\AddTorrentPaused=false
Session\\RefreshInterval=500

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\ResolvePeerCountries=false
General\\Locale=en
WebUI\\Enabled=true
WebUI\\Address={HOST}
WebUI\\Port={webui_port}
WebUI\\UseUPnP=false
WebUI\\Username={username}
WebUI\\Password_PBKDF2={password_hash(password, secrets.token_bytes(16))}
WebUI\\LocalHostAuth=true
WebUI\\CSRFProtection=true
WebUI\\HostHeaderValidation=true
WebUI\\ServerDomains=*
WebUI\\MaxAuthenticationFailCount=0
"""


class QbittorrentProcess:
    """One qbittorrent-nox with its own temporary profile, WebUI and BitTorrent ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). The config is written before the first start,
    every time: a default profile would listen on every interface with DHT and UPnP on.
    """

    def __init__(
        self,
        *,
        binary: str = "qbittorrent-nox",
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
        self.bt_port = 0
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
            raise RuntimeError("qbittorrent-nox is not started")
        return self._root

    @property
    def profile_dir(self) -> Path:
        return self.root / "profile"

    @property
    def save_dir(self) -> Path:
        """The default save path; tests put their own folders under it or anywhere else."""
        return self.root / "downloads"

    @property
    def config_path(self) -> Path:
        return self.profile_dir / "qBittorrent" / "config" / "qBittorrent.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "stdout.log"

    def start(self) -> Self:
        binary = shutil.which(self.binary)
        if binary is None:
            raise QbittorrentNotInstalled(
                f"{self.binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y qbittorrent-nox)"
            )
        self._root = Path(tempfile.mkdtemp(prefix="shelfkeeper-qbt-"))
        self.save_dir.mkdir()
        self.port = free_port()
        self.bt_port = free_port()
        while self.bt_port == self.port:
            self.bt_port = free_port()
        self.config_path.parent.mkdir(parents=True)
        self.config_path.write_text(
            loopback_config(
                webui_port=self.port,
                bt_port=self.bt_port,
                save_dir=self.save_dir,
                username=self.username,
                password=self.password,
            )
        )
        self._log = self.log_path.open("wb")
        try:
            self._process = subprocess.Popen(
                [binary, f"--profile={self.profile_dir}"],
                stdin=subprocess.DEVNULL,  # no terminal: no legal-notice prompt
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            self.pid = self._process.pid
            self._wait_for_webui()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_webui(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise QbittorrentStartFailed(
                    f"qbittorrent-nox exited with {self._process.returncode}: {self._log_tail()}"
                )
            if self._webui_answers():
                return
            if time.monotonic() > deadline:
                raise QbittorrentStartFailed(f"WebUI on {self.url} did not answer: {self._log_tail()}")
            time.sleep(0.05)

    def _webui_answers(self) -> bool:
        # No proxy from the environment: this request must stay on loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.url}/api/v2/app/version", timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # 403 before login: the WebUI is up
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
