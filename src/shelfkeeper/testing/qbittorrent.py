"""A real qbittorrent-nox on loopback only, in a throwaway profile, for tests and demos."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shelfkeeper.testing.daemon import HOST, DaemonNotInstalled, DaemonProcess, DaemonStartFailed

_PBKDF2_ITERATIONS = 100_000  # qBittorrent's own recipe (src/base/utils/password.cpp)


class QbittorrentNotInstalled(DaemonNotInstalled):
    """The qbittorrent-nox binary is missing: install it (Debian: apt-get install qbittorrent-nox)."""


class QbittorrentStartFailed(DaemonStartFailed):
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


class QbittorrentProcess(DaemonProcess):
    """One qbittorrent-nox with its own temporary profile, WebUI and BitTorrent ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). The config is written before the first start,
    every time: a default profile would listen on every interface with DHT and UPnP on.
    """

    package = "qbittorrent-nox"
    root_prefix = "shelfkeeper-qbt-"
    not_installed = QbittorrentNotInstalled
    start_failed = QbittorrentStartFailed

    def __init__(self, *, binary: str = "qbittorrent-nox", **options: Any) -> None:
        super().__init__(binary=binary, **options)

    @property
    def bt_port(self) -> int:
        """The BitTorrent port (qBittorrent's name for the peer port)."""
        return self.peer_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.profile_dir / "qBittorrent" / "config" / "qBittorrent.conf"

    @property
    def log_path(self) -> Path:
        return self.output_path

    def configure(self) -> None:
        self.config_path.parent.mkdir(parents=True)
        self.config_path.write_text(
            loopback_config(
                webui_port=self.port,
                bt_port=self.peer_port,
                save_dir=self.save_dir,
                username=self.username,
                password=self.password,
            )
        )

    def command(self, binary: str) -> list[str]:
        return [binary, f"--profile={self.profile_dir}"]  # stdin is no terminal: no legal-notice prompt

    def answers(self) -> bool:
        # No proxy from the environment: this request must stay on loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.url}/api/v2/app/version", timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # 403 before login: the WebUI is up
        except OSError:
            return False
