"""A real transmission-daemon on loopback only, in a throwaway profile, for tests and demos."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shelfkeeper.testing.daemon import HOST, DaemonNotInstalled, DaemonProcess, DaemonStartFailed


class TransmissionNotInstalled(DaemonNotInstalled):
    """The transmission-daemon binary is missing (Debian: apt-get install transmission-daemon)."""


class TransmissionStartFailed(DaemonStartFailed):
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


class TransmissionProcess(DaemonProcess):
    """One transmission-daemon with its own temporary profile, RPC and peer ports on 127.0.0.1.

    Use as a context manager (or ``start``/``stop``). settings.json is written before the first start:
    the defaults listen on every interface with DHT, PEX, uTP and port forwarding on.
    """

    package = "transmission-daemon"
    root_prefix = "shelfkeeper-tr-"
    not_installed = TransmissionNotInstalled
    start_failed = TransmissionStartFailed
    output_name = "daemon.log"

    def __init__(self, *, binary: str = "transmission-daemon", **options: Any) -> None:
        super().__init__(binary=binary, **options)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.output_path

    def configure(self) -> None:
        settings = loopback_settings(
            rpc_port=self.port,
            peer_port=self.peer_port,
            download_dir=self.save_dir,
            username=self.username,
            password=self.password,
        )
        (self.profile_dir / "settings.json").write_text(json.dumps(settings, indent=1))

    def command(self, binary: str) -> list[str]:
        return [binary, "-f", "-g", str(self.profile_dir), "--log-error"]

    def answers(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # stay on loopback
        request = urllib.request.Request(f"{self.url}/transmission/rpc", data=b"{}", method="POST")  # noqa: S310
        try:
            with opener.open(request, timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # 401 without credentials, 409 without the session id: the RPC is up
        except OSError:
            return False
