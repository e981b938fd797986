"""A tiny news server on 127.0.0.1 that has no article at all: every download from it fails at once.

It speaks just enough NNTP (RFC 3977, RFC 4643) for NZBGet: the 200 greeting, AUTHINFO USER/PASS, MODE READER,
GROUP, CAPABILITIES, DATE and QUIT; ARTICLE, BODY, HEAD and STAT answer ``430 No Such Article``. NZBGet then
counts the articles as failed (not as a connection problem it would retry for ever), so an NZB ends in its
history as failed within seconds. Runs socketserver in a background thread; ``stop`` closes it.
"""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType
from typing import Self

from shelfkeeper.testing.server import free_port

HOST = "127.0.0.1"
_MISSING = b"430 No Such Article\r\n"


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self._send(b"200 shelfkeeper-test news server ready (posting prohibited)\r\n")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            words = line.decode("utf-8", "replace").strip().split()
            if not words:
                continue
            command = words[0].upper()
            self.server.note(command)
            reply = self._reply(command, words[1:])
            self._send(reply)
            if command == "QUIT":
                return

    def _reply(self, command: str, args: list[str]) -> bytes:
        if command == "AUTHINFO":
            kind = args[0].upper() if args else ""
            if kind == "USER":
                return b"381 Password required\r\n"
            if kind == "PASS":
                return b"281 Authentication accepted\r\n"
            return b"501 Syntax error\r\n"
        if command in ("ARTICLE", "BODY", "HEAD", "STAT"):
            return _MISSING
        if command == "MODE":
            return b"201 Posting prohibited\r\n"
        if command == "GROUP":
            group = args[0] if args else "alt.binaries.test"
            return f"211 0 0 0 {group}\r\n".encode()
        if command == "CAPABILITIES":
            return b"101 Capability list:\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\n.\r\n"
        if command == "DATE":
            return b"111 20260101000000\r\n"
        if command == "QUIT":
            return b"205 Bye\r\n"
        return b"500 Unknown command\r\n"

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__((HOST, port), _Session)
        self._lock = threading.Lock()
        self.commands: list[str] = []

    def note(self, command: str) -> None:
        with self._lock:
            self.commands.append(command)


class EmptyNewsServer:
    """An NNTP server on 127.0.0.1:<port> without articles; ``commands`` lists what clients sent."""

    def __init__(self, port: int | None = None) -> None:
        self.host = HOST
        self.port = port or free_port()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def commands(self) -> list[str]:
        if self._server is None:
            return []
        with self._server._lock:
            return list(self._server.commands)

    def start(self) -> Self:
        self._server = _Server(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name=f"nntp-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
