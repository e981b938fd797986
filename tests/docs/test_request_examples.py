"""Docs that run as written: every request example in docs/*.md, the README and the Postman collection is sent
to the app configured against the fakes, and must be accepted: a route that exists for its method, and (when
the example is complete: a body, or a GET) a body and parameters that validate (no 422)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Match

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes import FAKES, start_fakes, stop_fakes

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
POSTMAN = ROOT / "docs" / "shelfkeeper.postman_collection.json"
KEY = "docs-examples-key-0123456789"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
JOB = "cleanup_old_tasks"  # a job every example may start: quick, and harmless on an empty database


@dataclass(frozen=True)
class Example:
    where: str
    method: str
    path: str  # with the query string
    body: Any = None
    complete: bool = True  # False: a mention in prose (`POST /api/wanted/{id}/approve`), its body left out


def concrete(path: str) -> str:
    """Placeholders as values: {id}, :id, <id> -> 1; a job or service name where one is expected; … -> a word."""
    path = path.replace("…", "mistborn").replace("...", "mistborn")
    path = re.sub(r"/scheduler/(jobs|trigger)/(\{[^}]+\}|:\w+)", rf"/scheduler/\1/{JOB}", path)
    path = re.sub(r"/integrations/(\{[^}]+\}|:\w+)", "/integrations/audiobookshelf", path)
    path = re.sub(r"/backups/(\{[^}]+\}|:\w+)", "/backups/shelfkeeper-20261124-120000-000000.db", path)
    path = re.sub(r"\{[^}/]+\}|:[a-z_]+(?=/|$|\?)|<[^>/]+>", "1", path)
    return path


def postman_examples() -> Iterator[Example]:
    collection = json.loads(POSTMAN.read_text(encoding="utf-8"))
    for folder in collection["item"]:
        for item in folder["item"]:
            request = item["request"]
            body = json.loads(request["body"]["raw"]) if "body" in request else None
            path = concrete(request["url"]["raw"].replace("{{baseUrl}}", ""))
            yield Example(f"postman: {item['name']}", request["method"], path, body)


def api_md_examples() -> Iterator[Example]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        heading = re.match(r"`(\w+) (\S+)`", section)
        assert heading, section[:80]
        method, path = heading[1], heading[2]
        body_match = re.search(r"Example body:\n\n```json\n(.*?)\n```", section, re.DOTALL)
        query = re.search(r"^Example: `\w+ (\S+)`", section, re.MULTILINE)
        yield Example(
            f"docs/api.md: {method} {path}",
            method,
            concrete(query[1] if query else path),
            json.loads(body_match[1]) if body_match else None,
        )


def shell_commands(block: str) -> Iterator[tuple[str, list[str]]]:
    """The commands of a shell block: continuation lines joined, quotes spanning lines kept together."""
    buffer = ""
    for line in block.replace("\\\n", " ").splitlines():
        buffer = f"{buffer}\n{line}" if buffer else line
        try:
            words = shlex.split(buffer.replace("$(", "(").replace("$KEY", "KEY"))
        except ValueError:  # a quote still open: the command goes on
            continue
        yield buffer, words
        buffer = ""


def curl_examples(path: Path) -> Iterator[Example]:
    for block in re.findall(r"```[^\n]*\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL):
        for command, words in shell_commands(block):
            if not words or words[0] != "curl":
                continue
            method, body, url = "GET", None, None
            for index, word in enumerate(words):
                if word == "-X":
                    method = words[index + 1]
                elif word in ("-d", "--data"):
                    body = json.loads(words[index + 1])
                    method = "POST" if method == "GET" else method
                elif word.startswith("http"):
                    url = word
            assert url, command
            parts = urlsplit(url)
            target = concrete(parts.path + (f"?{parts.query}" if parts.query else ""))
            yield Example(f"{path.name}: {command.strip()[:80]}", method, target, body)


def inline_examples(path: Path) -> Iterator[Example]:
    """`METHOD /api/...` in prose; with ``with `{json}` `` after it, that is its body."""
    pattern = re.compile(r"`(" + "|".join(METHODS) + r") (/[^`\s]*)`(?: with `(\{[^`]*\})`)?")
    for line in path.read_text(encoding="utf-8").splitlines():
        for method, target, body in pattern.findall(line):
            complete = bool(body) or method == "GET"
            yield Example(
                f"{path.name}: {method} {target}", method, concrete(target), json.loads(body or "null"), complete
            )


def all_examples() -> list[Example]:
    found = list(postman_examples()) + list(api_md_examples())
    for path in DOCS:
        found += list(curl_examples(path))
        if path.name != "api.md":
            found += [example for example in inline_examples(path) if is_ours(example.path)]
    return found


def is_ours(path: str) -> bool:
    """Shelfkeeper's own paths; the docs also quote the outside services' APIs (ABS, Prowlarr, MAM, the fakes)."""
    return (
        re.match(r"/(health|metrics|api/(books|series|authors|wanted|downloads|metadata|scheduler|system))\b", path)
        is not None
    )


EXAMPLES = all_examples()


def test_the_examples_are_found():
    kinds = {example.where.split(":")[0] for example in EXAMPLES}
    assert {"postman", "docs/api.md", "README.md", "wanted.md", "user-guide.md"} <= kinds
    assert sum(1 for e in EXAMPLES if e.where.startswith("postman")) >= 80


@pytest.fixture
def app_on_fakes(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    running = start_fakes(list(FAKES))
    env: dict[str, Any] = {}
    for entry in running:
        env.update({name.lower(): value for name, value in entry.env().items()})
    settings = Settings(
        data_dir=tmp_path / "data", api_key=KEY, run_scheduler=False, mam_request_pause_seconds=0, _env_file=None, **env
    )  # type: ignore[call-arg]
    context = AppContext.from_settings(settings, engine=engine)
    try:
        with TestClient(create_app(context=context), headers={"X-Api-Key": KEY}) as client:
            yield client
    finally:
        stop_fakes(running)


def route_status(client: TestClient, method: str, path: str) -> str:
    scope = {"type": "http", "path": urlsplit(path).path, "method": method, "root_path": ""}
    matches = {route.matches(scope)[0] for route in client.app.routes}  # type: ignore[attr-defined]
    return "ok" if Match.FULL in matches else ("wrong method" if Match.PARTIAL in matches else "no route")


# 422s about the data, not the request's shape: the example names rows this empty database does not have.
DATA_REFUSALS = {"CORRECTION_IDS_INVALID"}


def sent_path(example: Example) -> str:
    """The live stream runs until the client leaves; the test client waits for the end, so it is made short."""
    if urlsplit(example.path).path == "/api/stream":
        return example.path + ("&" if "?" in example.path else "?") + "lasting=0.1"
    return example.path


def test_every_request_example_is_accepted(app_on_fakes: TestClient):
    problems = []
    for example in EXAMPLES:
        found = route_status(app_on_fakes, example.method, example.path)
        if found != "ok":
            problems.append(f"{example.where}: {example.method} {example.path}: {found}")
            continue
        if not example.complete:
            continue
        answer = app_on_fakes.request(example.method, sent_path(example), json=example.body)
        error_code = (
            answer.json().get("error_code")
            if answer.headers.get("content-type", "").startswith("application/json")
            else None
        )
        refused = answer.status_code == 405 or (answer.status_code == 422 and error_code not in DATA_REFUSALS)
        if refused or (answer.status_code == 404 and error_code == "NOT_FOUND"):
            problems.append(
                f"{example.where}: {example.method} {example.path} -> {answer.status_code} {answer.text[:300]}"
            )
    assert not problems, "\n".join(problems)
