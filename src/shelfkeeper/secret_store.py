"""Secrets at rest: strings sealed with a key kept 0600 in ``<DATA_DIR>/secret.key`` (Fernet: AES-128-CBC + HMAC).

A sealed value reads ``fernet:<token>``. The key never leaves the data directory and is not in any backup,
so a backup restored on another machine holds sealed values this machine cannot open: ``open`` then says
which secret must be entered again instead of failing somewhere deep in a job.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shelfkeeper.errors import ConfigurationError

KEY_FILE = "secret.key"
SEALED_PREFIX = "fernet:"
MAM_COOKIE_SECRET = "MAM session cookie (MAM_ID)"
# Where sealed values live in service_state (service, key) and the name the user knows each one by.
SEALED_STATE_VALUES = {("mam", "cookie"): MAM_COOKIE_SECRET}


class SecretUnreadable(ConfigurationError):
    """A sealed secret cannot be opened: the key file is missing or is not the one it was sealed with."""

    def __init__(self, secret: str, key_path: Path, reason: str) -> None:
        super().__init__(
            f"The stored {secret} cannot be decrypted: {reason} ({key_path}). This happens after restoring a "
            f"backup on another machine or losing {KEY_FILE}; enter the {secret} again.",
            details={"secret": secret},
        )
        self.secret = secret


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


class SecretBox:
    """Seals and opens strings with the data directory's key (made, mode 0600, on the first ``seal``)."""

    def __init__(self, data_dir: Path) -> None:
        self.key_path = data_dir / KEY_FILE

    def seal(self, value: str) -> str:
        """``value`` encrypted, as ``fernet:<token>``; creates the key file when there is none."""
        return SEALED_PREFIX + self._fernet(create=True).encrypt(value.encode()).decode()

    def open(self, sealed: str, *, secret: str = "secret") -> str:
        """The clear text of a sealed value; ``secret`` names it in the error (e.g. "MAM session cookie")."""
        if not is_sealed(sealed):
            raise ValueError(f"the stored {secret} is not a sealed value")
        if not self.key_path.exists():
            raise SecretUnreadable(secret, self.key_path, "the key file is missing")
        try:
            return self._fernet(create=False).decrypt(sealed.removeprefix(SEALED_PREFIX).encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable(secret, self.key_path, "it was sealed with another key") from None

    def can_open(self, sealed: str) -> bool:
        try:
            self.open(sealed)
        except (SecretUnreadable, ValueError):
            return False
        return True

    def _fernet(self, *, create: bool) -> Fernet:
        if create and not self.key_path.exists():
            self._write_key()
        return Fernet(self.key_path.read_bytes().strip())

    def _write_key(self) -> None:
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(Fernet.generate_key())


def unreadable_secrets(box: SecretBox, states: dict[str, dict[str, object]]) -> list[str]:
    """The names of the sealed values in ``states`` (service -> its service_state data) ``box`` cannot open."""
    names = []
    for (service, key), name in SEALED_STATE_VALUES.items():
        value = states.get(service, {}).get(key)
        if isinstance(value, str) and is_sealed(value) and not box.can_open(value):
            names.append(name)
    return names
