"""Fake servers, one module per outside service, and the registry ``shelfkeeper fakes serve`` starts them from."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shelfkeeper.testing.server import LiveServer


def _abs_env(url: str, fake: Any) -> dict[str, str]:
    return {"ABS_URL": url, "ABS_TOKEN": next(iter(fake.tokens))}


def _prowlarr_env(url: str, fake: Any) -> dict[str, str]:
    return {"PROWLARR_URL": url + fake.url_base, "PROWLARR_API_KEY": fake.api_key}


def _mam_env(url: str, fake: Any) -> dict[str, str]:
    return {"MAM_URL": url, "MAM_ID": fake.current_cookie}


def _google_books_env(url: str, fake: Any) -> dict[str, str]:
    env = {"GOOGLE_BOOKS_URL": url + "/books/v1"}
    if fake.api_keys:  # None: any key (or none) is accepted
        env["GOOGLE_BOOKS_API_KEY"] = sorted(fake.api_keys)[0]
    return env


@dataclass(frozen=True)
class FakeService:
    """One fake: the module whose ``create_fake(seed)`` builds it, and the settings that point Shelfkeeper at it."""

    name: str
    module: str
    env: Callable[[str, Any], dict[str, str]]

    def create_fake(self, seed: dict[str, Any] | None = None) -> Any:
        """A new fake (its ``.app`` is the ASGI app to serve), loaded with ``seed`` when given."""
        # Imported on demand: starting one fake should not import the other six.
        return importlib.import_module(self.module).create_fake(seed)


def _plain_url(variable: str) -> Callable[[str, Any], dict[str, str]]:
    return lambda url, _fake: {variable: url}


FAKES: dict[str, FakeService] = {
    service.name: service
    for service in (
        FakeService("audiobookshelf", "shelfkeeper.testing.fakes.audiobookshelf", _abs_env),
        FakeService("prowlarr", "shelfkeeper.testing.fakes.prowlarr", _prowlarr_env),
        FakeService("mam", "shelfkeeper.testing.fakes.mam", _mam_env),
        FakeService("google_books", "shelfkeeper.testing.fakes.google_books", _google_books_env),
        FakeService("audnexus", "shelfkeeper.testing.fakes.audnexus", _plain_url("AUDNEXUS_URL")),
        FakeService("audible", "shelfkeeper.testing.fakes.audible", _plain_url("AUDIBLE_URL")),
        FakeService("openlibrary", "shelfkeeper.testing.fakes.openlibrary", _plain_url("OPENLIBRARY_URL")),
    )
}


def create_fake(name: str, seed: dict[str, Any] | None = None) -> Any:
    """The fake named ``name`` (a key of ``FAKES``), loaded with ``seed``; KeyError for an unknown name."""
    return FAKES[name].create_fake(seed)


@dataclass
class RunningFake:
    """A fake served for real on 127.0.0.1."""

    name: str
    fake: Any
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    def env(self) -> dict[str, str]:
        """The settings (environment variables) that point Shelfkeeper at this fake."""
        return FAKES[self.name].env(self.server.url, self.fake)


def start_fakes(
    names: Sequence[str], seeds: Mapping[str, Any] | None = None, ports: Mapping[str, int] | None = None
) -> list[RunningFake]:
    """Create and serve each named fake (on its port from ``ports``, else a free one); all or none start."""
    running: list[RunningFake] = []
    try:
        for name in names:
            fake = create_fake(name, (seeds or {}).get(name))
            running.append(RunningFake(name, fake, LiveServer(fake.app, (ports or {}).get(name)).start()))
    except BaseException:
        stop_fakes(running)
        raise
    return running


def stop_fakes(running: Sequence[RunningFake]) -> None:
    for entry in running:
        entry.server.stop()
