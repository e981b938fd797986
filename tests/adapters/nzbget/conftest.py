"""Real NZBGet daemons on loopback for the adapter tests: one without news servers, one whose server has nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shelfkeeper.testing.nntp import EmptyNewsServer
from shelfkeeper.testing.nzbget import NewsServer, NzbgetProcess
from shelfkeeper.testing.server import free_port


@pytest.fixture(scope="module")
def idle_nzbget() -> Iterator[NzbgetProcess]:
    """No news server at all: an appended NZB stays queued (nothing is ever fetched)."""
    with NzbgetProcess() as process:
        yield process


@pytest.fixture(scope="module")
def news_server() -> Iterator[EmptyNewsServer]:
    with EmptyNewsServer() as server:
        yield server


@pytest.fixture(scope="module")
def empty_server_nzbget(news_server: EmptyNewsServer) -> Iterator[NzbgetProcess]:
    """Downloads from a news server that answers 430 (no such article) to every article."""
    with NzbgetProcess(servers=[NewsServer(port=news_server.port)]) as process:
        yield process


@pytest.fixture(scope="module")
def dead_server_nzbget() -> Iterator[NzbgetProcess]:
    """The only news server is an optional one on a closed port: nothing can be reached."""
    with NzbgetProcess(servers=[NewsServer(port=free_port(), optional=True, name="deadserver")]) as process:
        yield process
