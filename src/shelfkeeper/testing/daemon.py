"""What the real-daemon fixtures share: a throwaway root, two free loopback ports, the process started with its
output in a log, a wait until it answers, and a stop by PID (SIGTERM, then SIGKILL) that removes the root.

Each daemon (``qbittorrent.py``, ``transmission.py``, ``deluge.py``, ``nzbget.py``) writes its own loopback-only
configuration before the first start and says how to start it and when it is ready.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self

from shelfkeeper.testing.server import free_port

HOST = "127.0.0.1"


def tied_to_parent(command: list[str]) -> list[str]:
    """``command`` run so that it is killed when the thread that starts it dies, even by SIGKILL (a daemon or
    server left behind would keep its ports and folders). util-linux's ``setpriv --pdeathsig`` sets the
    signal and then execs the command (same PID); where it is missing, the command runs as it is."""
    setpriv = shutil.which("setpriv")
    return command if setpriv is None else [setpriv, "--pdeathsig", "KILL", "--", *command]


class DaemonNotInstalled(RuntimeError):
    """The daemon's binary is not on PATH."""


class DaemonStartFailed(RuntimeError):
    """The daemon exited, or did not answer within its start timeout."""


class DaemonProcess:
    """One daemon in its own temporary root (``profile/``, ``downloads/``), with a control port (``port``: WebUI,
    RPC) and a peer port on 127.0.0.1. Use as a context manager (or ``start``/``stop``).
    """

    package: ClassVar[str]  # the Debian package that has the binary
    root_prefix: ClassVar[str]
    not_installed: ClassVar[type[DaemonNotInstalled]] = DaemonNotInstalled
    start_failed: ClassVar[type[DaemonStartFailed]] = DaemonStartFailed
    output_name: ClassVar[str] = "stdout.log"  # where the daemon's stdout and stderr go, under the root
    poll_interval: ClassVar[float] = 0.05  # seconds between two "does it answer yet?" checks while starting

    def __init__(
        self,
        *,
        binary: str,
        username: str = "shelfkeeper",
        password: str | None = None,
        start_timeout: float = 60.0,  # a loaded machine (CI, parallel tests) can take long to start deluged
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
        self._output: IO[bytes] | None = None

    # ---- what each daemon says ----

    def prepare(self) -> None:
        """Make the folders and choose the ports the daemon needs, in the fresh root, before ``configure``."""
        self.save_dir.mkdir()
        self.profile_dir.mkdir()
        self.port = free_port()
        self.peer_port = free_port()
        while self.peer_port == self.port:
            self.peer_port = free_port()

    def configure(self) -> None:
        """Write the loopback-only configuration (ports, folders, credentials chosen) before the first start."""
        raise NotImplementedError

    def command(self, binary: str) -> list[str]:
        raise NotImplementedError

    def answers(self) -> bool:
        """The daemon is ready: its control port answers."""
        raise NotImplementedError

    def log_files(self) -> list[Path]:
        """The files whose end explains a failed start."""
        return [self.output_path]

    # ---- shared ----

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError(f"{self.binary} is not started")
        return self._root

    @property
    def profile_dir(self) -> Path:
        return self.root / "profile"

    @property
    def save_dir(self) -> Path:
        """The default save path; tests put their own folders under it or anywhere else."""
        return self.root / "downloads"

    @property
    def output_path(self) -> Path:
        return self.root / self.output_name

    def start(self) -> Self:
        binary = shutil.which(self.binary)
        if binary is None:
            raise self.not_installed(
                f"{self.binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y {self.package})"
            )
        self._root = Path(tempfile.mkdtemp(prefix=self.root_prefix))
        self.prepare()
        self.configure()
        self._output = self.output_path.open("wb")
        try:
            self._process = subprocess.Popen(
                tied_to_parent(self.command(binary)),
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
            )
            self.pid = self._process.pid
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise self.start_failed(f"{self.binary} exited with {self._process.returncode}: {self.log_tail()}")
            if self.answers():
                return
            if time.monotonic() > deadline:
                raise self.start_failed(f"{self.binary} on {self.host}:{self.port} did not answer: {self.log_tail()}")
            time.sleep(self.poll_interval)

    def log_tail(self) -> str:
        try:
            logs = [path.read_text(errors="replace") for path in self.log_files() if path.exists()]
        except OSError:
            return ""
        return "\n".join(logs)[-2000:]

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
        if self._output is not None:
            self._output.close()
            self._output = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
