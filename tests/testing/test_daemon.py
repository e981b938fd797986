"""The shared start/stop of the real-daemon fixtures, for each of the four daemons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from shelfkeeper.testing.daemon import DaemonNotInstalled, DaemonProcess, DaemonStartFailed, tied_to_parent
from shelfkeeper.testing.deluge import DelugeNotInstalled, DelugeProcess, DelugeStartFailed
from shelfkeeper.testing.nzbget import NzbgetNotInstalled, NzbgetProcess, NzbgetStartFailed
from shelfkeeper.testing.qbittorrent import QbittorrentNotInstalled, QbittorrentProcess, QbittorrentStartFailed
from shelfkeeper.testing.transmission import TransmissionNotInstalled, TransmissionProcess, TransmissionStartFailed

KINDS = [
    (QbittorrentProcess, QbittorrentNotInstalled, QbittorrentStartFailed, "qbittorrent-nox"),
    (TransmissionProcess, TransmissionNotInstalled, TransmissionStartFailed, "transmission-daemon"),
    (DelugeProcess, DelugeNotInstalled, DelugeStartFailed, "deluged"),
    (NzbgetProcess, NzbgetNotInstalled, NzbgetStartFailed, "nzbget"),
]


@pytest.mark.parametrize(("kind", "missing", "_failed", "package"), KINDS)
def test_a_missing_binary_names_the_debian_package(kind, missing, _failed, package):
    with pytest.raises(missing, match=f"apt-get install -y {package}") as raised:
        kind(binary=f"{package}-absent-here").start()
    assert isinstance(raised.value, DaemonNotInstalled)


@pytest.mark.parametrize(("kind", "_missing", "failed", "_package"), KINDS)
def test_a_binary_that_exits_at_once_fails_the_start_and_leaves_nothing(kind, _missing, failed, _package):
    process: DaemonProcess = kind(binary="false", start_timeout=5.0)
    with pytest.raises(failed, match="exited with 1") as raised:
        process.start()
    assert isinstance(raised.value, DaemonStartFailed)
    with pytest.raises(RuntimeError, match="not started"):
        _ = process.root  # removed by the failed start


def test_each_writes_a_loopback_configuration_before_starting(tmp_path, monkeypatch):
    """The configuration comes first (the binary never runs with its defaults): read it back, ports chosen."""
    written = {}
    for kind in (TransmissionProcess, DelugeProcess):
        process = kind(binary="false", start_timeout=5.0)
        monkeypatch.setattr(process, "stop", lambda: None)  # keep the root to read what was written
        with pytest.raises(DaemonStartFailed):
            process.start()
        written[kind] = (process, sorted(p.name for p in process.profile_dir.iterdir()))
    transmission, files = written[TransmissionProcess]
    assert files == ["settings.json"]
    settings = json.loads((transmission.profile_dir / "settings.json").read_text())
    assert (settings["rpc-port"], settings["peer-port"]) == (transmission.port, transmission.peer_port)
    assert settings["dht-enabled"] is settings["pex-enabled"] is settings["lpd-enabled"] is False
    assert settings["port-forwarding-enabled"] is False and settings["bind-address-ipv4"] == "127.0.0.1"
    deluge, files = written[DelugeProcess]
    assert files == ["auth", "core.conf"]
    assert (deluge.profile_dir / "auth").read_text() == f"{deluge.username}:{deluge.password}:10\n"
    core = (deluge.profile_dir / "core.conf").read_text()
    values = json.loads(core[core.index("}") + 1 :])
    assert values["listen_ports"] == [deluge.peer_port, deluge.peer_port] and values["daemon_port"] == deluge.port
    assert not any(values[key] for key in ("dht", "upnp", "natpmp", "utpex", "lsd", "new_release_check"))
    for process, _ in written.values():
        shutil.rmtree(process.root)


def test_nzbget_writes_its_loopback_configuration_before_starting(monkeypatch):
    process = NzbgetProcess(binary="false", start_timeout=5.0)
    monkeypatch.setattr(process, "stop", lambda: None)  # keep the root to read what was written
    with pytest.raises(NzbgetStartFailed, match="exited with 1"):
        process.start()
    try:
        lines = dict(line.split("=", 1) for line in process.config_path.read_text().splitlines())
        assert (lines["ControlIP"], lines["ControlPort"]) == ("127.0.0.1", str(process.port))
        assert (lines["ControlUsername"], lines["ControlPassword"]) == (process.username, process.password)
        assert lines["AuthorizedIP"] == "" and lines["UpdateCheck"] == "none"
        assert not any(name.startswith("Server") for name in lines)  # no news server unless given
    finally:
        shutil.rmtree(process.root, ignore_errors=True)


def _command(pid: int) -> str:
    with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
        return comm.read().strip()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped by its new parent is a zombie: gone for our purpose
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv is not installed")
def test_a_started_process_dies_with_its_parent_even_by_sigkill():
    """A daemon (or the demo's server) started through tied_to_parent does not outlive a SIGKILLed parent."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            "from shelfkeeper.testing.daemon import tied_to_parent\n"
            "child = subprocess.Popen(tied_to_parent(['sleep', '600']))\n"
            "print(child.pid, flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    # setpriv sets the signal, then execs the command: a parent killed before that (a loaded machine) leaves a
    # process that was never tied. Once the command runs, it is.
    deadline = time.monotonic() + 30
    while _command(child) != "sleep" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _command(child) == "sleep"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_without_setpriv_the_command_runs_as_it_is(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert tied_to_parent(["qbittorrent-nox", "--profile=x"]) == ["qbittorrent-nox", "--profile=x"]
