"""A real NZBGet daemon on loopback only, in a throwaway profile, for tests and demos.

Its nzbget.conf is written before the first start: control port on 127.0.0.1 with a username and password
(no ``AuthorizedIP``, which would let loopback in without credentials), no update check, no incoming-folder
scan, and news servers only when given (Debian's /etc/nzbget.conf names a placeholder host; it is never read).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shelfkeeper.testing.daemon import HOST, DaemonNotInstalled, DaemonProcess, DaemonStartFailed
from shelfkeeper.testing.server import free_port

WEB_DIR = "/usr/share/nzbget/webui"  # Debian's paths
CATEGORIES = ("audiobooks", "ebooks")


class NzbgetNotInstalled(DaemonNotInstalled):
    """The nzbget binary is missing (Debian: apt-get install nzbget)."""


class NzbgetStartFailed(DaemonStartFailed):
    """nzbget exited or its RPC did not answer in time."""


@dataclass(frozen=True)
class NewsServer:
    """One ``ServerN`` entry: a news server NZBGet downloads from (always on 127.0.0.1 in tests)."""

    port: int
    host: str = HOST
    name: str = "testserver"
    optional: bool = False  # an optional server that cannot be reached fails its articles instead of blocking
    connections: int = 2


def loopback_config(*, root: Path, port: int, username: str, password: str, servers: Sequence[NewsServer] = ()) -> str:
    """The nzbget.conf text: everything under ``root``, RPC on 127.0.0.1:``port``, the given news servers only."""
    main = root / "main"
    lines = {
        "MainDir": str(main),
        "DestDir": "${MainDir}/dst",
        "InterDir": "${MainDir}/inter",
        "NzbDir": "${MainDir}/nzb",
        "QueueDir": "${MainDir}/queue",
        "TempDir": "${MainDir}/tmp",
        "ScriptDir": "${MainDir}/scripts",
        "LockFile": "${MainDir}/nzbget.lock",
        "LogFile": "${MainDir}/nzbget.log",
        "WebDir": WEB_DIR,
        "ConfigTemplate": f"{WEB_DIR}/nzbget.conf",
        "ControlIP": HOST,
        "ControlPort": str(port),
        "ControlUsername": username,
        "ControlPassword": password,
        "RestrictedUsername": "",
        "AddUsername": "",
        "AuthorizedIP": "",  # 127.0.0.1 here would skip authentication for every loopback request
        "SecureControl": "no",
        "FormAuth": "no",
        "UpdateCheck": "none",
        "CertCheck": "no",
        "NzbDirInterval": "0",  # no scan of an incoming folder
        "OutputMode": "loggable",
        "ArticleRetries": "1",
        "ArticleInterval": "1",
        "ArticleTimeout": "5",
        "WriteLog": "append",
    }
    for number, category in enumerate(CATEGORIES, start=1):
        lines[f"Category{number}.Name"] = category
        lines[f"Category{number}.DestDir"] = f"${{DestDir}}/{category}"
    for number, server in enumerate(servers, start=1):
        lines |= {
            f"Server{number}.Active": "yes",
            f"Server{number}.Name": server.name,
            f"Server{number}.Level": "0",
            f"Server{number}.Optional": "yes" if server.optional else "no",
            f"Server{number}.Host": server.host,
            f"Server{number}.Port": str(server.port),
            f"Server{number}.Username": "reader",
            f"Server{number}.Password": "readerpass",
            f"Server{number}.Encryption": "no",
            f"Server{number}.Connections": str(server.connections),
        }
    return "".join(f"{name}={value}\n" for name, value in lines.items())


def make_nzb(name: str, *, files: int = 1, segments: int = 2, segment_bytes: int = 384_000, par2: bool = True) -> bytes:
    """A well-formed NZB whose articles exist nowhere: ``files`` RAR parts of ``segments`` articles each, plus
    (when asked) a par2 index file of one article of at most 10 KB."""
    names = [f"{name}.part{n}.rar" for n in range(1, files + 1)] + ([f"{name}.par2"] if par2 else [])
    entries = []
    for index, file_name in enumerate(names, start=1):
        is_par2 = file_name.endswith(".par2")
        count, size = (1, min(segment_bytes, 10_000)) if is_par2 else (segments, segment_bytes)
        segs = "".join(
            f'<segment bytes="{size}" number="{s}">{name}-{index}-{s}@shelfkeeper.test</segment>'
            for s in range(1, count + 1)
        )
        entries.append(
            f'<file poster="tester &lt;t@example.invalid&gt;" date="1767225600" subject="{name} [{index}/{len(names)}]'
            f' - &quot;{file_name}&quot; yEnc (1/{segments})"><groups><group>alt.binaries.test</group></groups>'
            f"<segments>{segs}</segments></file>"
        )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nzb PUBLIC "-//newzBin//DTD NZB 1.1//EN" '
    head += '"http://www.newzbin.com/DTD/nzb/nzb-1.1.dtd">\n'
    body = f'<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb"><head><meta type="title">{name}</meta></head>'
    return (head + body + "".join(entries) + "</nzb>\n").encode()


class NzbgetProcess(DaemonProcess):
    """One ``nzbget -s`` with its own temporary profile and control port on 127.0.0.1, stopped by PID.

    The shared life cycle is ``DaemonProcess``'s; nzbget.conf is written before the first start.
    """

    package = "nzbget"
    root_prefix = "shelfkeeper-nzbget-"
    not_installed = NzbgetNotInstalled
    start_failed = NzbgetStartFailed
    output_name = "console.log"
    poll_interval = 0.1

    def __init__(
        self,
        *,
        binary: str = "nzbget",
        servers: Sequence[NewsServer] = (),
        start_timeout: float = 20.0,
        stop_timeout: float = 8.0,
        **options: Any,
    ) -> None:
        super().__init__(binary=binary, start_timeout=start_timeout, stop_timeout=stop_timeout, **options)
        self.servers = tuple(servers)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.root / "nzbget.conf"

    @property
    def log_path(self) -> Path:
        return self.output_path

    def prepare(self) -> None:
        """Only a control port: NZBGet makes its own folders under ``MainDir`` and has no peer port."""
        self.port = free_port()

    def configure(self) -> None:
        config = loopback_config(
            root=self.root, port=self.port, username=self.username, password=self.password, servers=self.servers
        )
        self.config_path.write_text(config)

    def command(self, binary: str) -> list[str]:
        return [binary, "-s", "-c", str(self.config_path)]

    def answers(self) -> bool:
        try:
            self.call("version")
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return True

    def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call with the control credentials (for test set-up and checks)."""
        body = json.dumps({"method": method, "params": list(params), "id": 1}).encode()
        request = urllib.request.Request(f"{self.url}/jsonrpc", data=body, method="POST")  # noqa: S310
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # stay on loopback
        with opener.open(request, timeout=5.0) as response:
            answer = json.loads(response.read())
        if answer.get("error"):
            raise RuntimeError(f"nzbget {method}: {answer['error']}")
        return answer.get("result")
