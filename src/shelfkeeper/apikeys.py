"""The API key: from API_KEY, or generated once and kept in the data directory."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path

from shelfkeeper.errors import ConfigurationError

KEY_FILE_NAME = "api_key"


class ApiKeyStore:
    """Holds the key; re-reads the key file when it changes so a rotation reaches running workers."""

    def __init__(self, data_dir: Path, configured: str | None) -> None:
        self.path = data_dir / KEY_FILE_NAME
        self.configured = configured
        self._cached: str | None = None
        self._signature: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    @property
    def from_environment(self) -> bool:
        return bool(self.configured)

    def ensure(self) -> tuple[str, bool]:
        """The key, and whether it was generated just now (then the caller prints it once)."""
        if self.configured:
            return self.configured, False
        with self._lock:
            if self.path.exists():
                return self._read(), False
            key = secrets.token_hex(16)
            self._write(key)
            return key, True

    def current(self) -> str:
        if self.configured:
            return self.configured
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                raise ConfigurationError(f"no API key: {self.path} is missing; run `shelfkeeper serve` once") from None
            # The inode too: a rotation replaces the file, and coarse file-system clocks can repeat the mtime.
            signature = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
            if self._cached is None or signature != self._signature:
                self._cached, self._signature = self._read(), signature
            return self._cached

    def rotate(self) -> str:
        """A new key, written to the key file (refused while API_KEY is set: that one wins)."""
        if self.configured:
            raise ConfigurationError("API_KEY is set in the environment; change it there instead of rotating")
        key = secrets.token_hex(16)
        with self._lock:
            self._write(key)
            self._cached = None
        return key

    def matches(self, presented: str | None) -> bool:
        """Constant-time comparison of a presented key with the current one."""
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.current().encode())

    def _read(self) -> str:
        key = self.path.read_text(encoding="utf-8").strip()
        if not key:
            raise ConfigurationError(f"{self.path} is empty; delete it to generate a new key")
        return key

    def _write(self, key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        temporary.replace(self.path)
