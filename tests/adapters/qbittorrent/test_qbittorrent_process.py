"""The throwaway qbittorrent-nox of shelfkeeper.testing.qbittorrent: loopback only, clean start and stop."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest

from shelfkeeper.testing.qbittorrent import (
    QbittorrentNotInstalled,
    QbittorrentProcess,
    QbittorrentStartFailed,
    loopback_config,
    password_hash,
)

MANDATORY = [
    "Accepted=true",
    "Session\\Interface=lo",
    "Session\\InterfaceName=lo",
    "Session\\InterfaceAddress=127.0.0.1",
    "Session\\DHTEnabled=false",
    "Session\\LSDEnabled=false",
    "Session\\PeXEnabled=false",
    "Session\\QueueingSystemEnabled=false",
    "Session\\TempPathEnabled=false",
    "Session\\AddTorrentPaused=false",
    "Session\\RefreshInterval=500",
    "PortForwardingEnabled=false",
    "Connection\\ResolvePeerCountries=false",
    "WebUI\\Address=127.0.0.1",
    "WebUI\\UseUPnP=false",
    "WebUI\\LocalHostAuth=true",
    "WebUI\\CSRFProtection=true",
    "WebUI\\HostHeaderValidation=true",
    "WebUI\\MaxAuthenticationFailCount=0",
]


def test_the_config_keeps_everything_on_loopback():
    config = loopback_config(webui_port=18080, bt_port=16881, save_dir=Path("/srv/dl"), username="u", password="p")
    lines = config.splitlines()
    for line in [*MANDATORY, "Session\\Port=16881", "WebUI\\Port=18080", "Session\\DefaultSavePath=/srv/dl"]:
        assert line in lines
    assert "WebUI\\Username=u" in lines
    # only the salted hash is stored, never the password itself
    assert re.search(r'^WebUI\\Password_PBKDF2="@ByteArray\([A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\)"$', config, re.M)


def test_password_hash_follows_qbittorrents_recipe():
    salt = bytes(range(16))
    value = password_hash("secret", salt)
    match = re.fullmatch(r'"@ByteArray\(([^:]+):([^)]+)\)"', value)
    assert match
    assert base64.b64decode(match.group(1)) == salt
    key = base64.b64decode(match.group(2))
    assert key == hashlib.pbkdf2_hmac("sha512", b"secret", salt, 100_000, 64)


def test_a_missing_binary_is_a_clear_error():
    with pytest.raises(QbittorrentNotInstalled, match="apt-get install"):
        QbittorrentProcess(binary="qbittorrent-nox-absent-here").start()


def test_a_binary_that_exits_at_once_is_a_start_failure():
    process = QbittorrentProcess(binary="false", start_timeout=5.0)
    with pytest.raises(QbittorrentStartFailed, match="exited"):
        process.start()
    with pytest.raises(RuntimeError, match="not started"):
        _ = process.root  # the temporary profile is gone again


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc shows them) of TCP sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


@pytest.mark.qbittorrent
@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads Linux's socket table")
def test_the_instance_listens_on_loopback_only(qbt):
    for port in (qbt.port, qbt.bt_port):
        addresses = _listening(port)
        assert addresses, f"nothing listens on {port}"
        assert set(addresses) <= LOOPBACK, addresses


@pytest.mark.qbittorrent
def test_start_and_stop(tmp_path):
    process = QbittorrentProcess(username="someone", password="pw-1")
    with process:
        root, pid = process.root, process.pid
        assert pid is not None
        assert (process.url, process.host) == (f"http://127.0.0.1:{process.port}", "127.0.0.1")
        assert process.port != process.bt_port
        assert process.save_dir.is_dir()
        config = process.config_path.read_text()
        assert "WebUI\\Username=someone" in config
    assert not root.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: nothing with that id is left
