"""Secrets at rest: strings sealed with a key kept 0600 in ``<DATA_DIR>/secret.key`` (Fernet: AES-128-CBC + HMAC).

A sealed value reads ``fernet:<token>``. The key is not in the database nor in a backup, so a copy of either
alone does not reveal a stored secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shelfkeeper.errors import ConfigurationError

KEY_FILE = "secret.key"
SEALED_PREFIX = "fernet:"


class SecretBox:
    """Seals and opens strings with the data directory's key (made, mode 0600, on the first ``seal``)."""

    def __init__(self, data_dir: Path) -> None:
        self.key_path = data_dir / KEY_FILE

    def seal(self, value: str) -> str:
        """``value`` encrypted, as ``fernet:<token>``; creates the key file when there is none."""
        if not self.key_path.exists():
            self._write_key()
        return SEALED_PREFIX + self._fernet().encrypt(value.encode()).decode()

    def open(self, sealed: str, *, secret: str = "secret") -> str:
        """The clear text of a sealed value; ConfigurationError naming ``secret`` when it cannot be opened."""
        if not sealed.startswith(SEALED_PREFIX):
            raise ConfigurationError(f"the stored {secret} is not a sealed value")
        if not self.key_path.exists():
            raise ConfigurationError(f"the stored {secret} cannot be decrypted: {self.key_path} is missing")
        try:
            return self._fernet().decrypt(sealed.removeprefix(SEALED_PREFIX).encode()).decode()
        except (InvalidToken, ValueError):
            raise ConfigurationError(
                f"the stored {secret} cannot be decrypted: it was sealed with another key than {self.key_path}"
            ) from None

    def _fernet(self) -> Fernet:
        return Fernet(self.key_path.read_bytes().strip())

    def _write_key(self) -> None:
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(Fernet.generate_key())
