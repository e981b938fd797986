"""Schemathesis over every operation, stateless and stateful, on SQLite and PostgreSQL (issue #15).

Checks: no server error, every status declared in the OpenAPI document, every body matching its schema.
Derandomized with a bounded number of examples, so a run is repeatable and takes about a minute per database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import response_schema_conformance, status_code_conformance
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.conftest import _wipe as wipe


def no_unexpected_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 500 (an unhandled error) always fails; a 502/503 must be a declared outside-service error code.

    Outside services are pointed at a closed port here, so "not configured" and "unreachable" (502/503 in
    the envelope, declared for the operation: status_code_conformance checks that) are the right answers.
    """
    body = response.json() if "json" in (response.headers.get("content-type") or [""])[0] else None
    code = body.get("error_code") if isinstance(body, dict) else None
    if response.status_code >= 500 and (response.status_code == 500 or not code or code == "INTERNAL_ERROR"):
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")
    return None


CHECKS = [no_unexpected_server_error, status_code_conformance, response_schema_conformance]
HEADERS = {"X-Api-Key": TEST_API_KEY}
EXAMPLES_PER_OPERATION = 3
STATEFUL_SCENARIOS = 8
STATEFUL_STEPS = 6
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: report, do not minimise
)


CLOSED = "http://127.0.0.1:9"  # nothing listens: every outside service is refused at once


@pytest.fixture
def fuzz_schema(settings: Settings, engine: Any) -> Iterator[Any]:
    urls = ("abs_url", "prowlarr_url", "mam_url", "google_books_url", "audnexus_url", "audible_url", "openlibrary_url")
    offline = settings.model_copy(update={name: CLOSED for name in urls})
    app = create_app(context=AppContext.from_settings(offline, engine=engine))
    with TestClient(app):  # the lifespan: the API key is ready
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def bounded(case: Any) -> None:
    """The live stream runs until ``lasting`` seconds (up to an hour): fuzzed, it ends at once instead."""
    if case.path == "/api/stream" and isinstance(case.query, dict):
        case.query["lasting"] = 0.1


def _failures_of(operation: Any, mode: GenerationMode) -> list[str]:
    failures: list[str] = []

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case: Any) -> None:
        bounded(case)
        try:
            case.call_and_validate(headers=HEADERS, checks=CHECKS)
        except FailureGroup as group:  # collected: one report of every failing operation, not the first only
            for failure in group.exceptions:
                failures.append(f"{operation.label} [{mode.value}]: {failure.title}: {failure.message[:300]}")
        except Failure as failure:
            failures.append(f"{operation.label} [{mode.value}]: {failure.title}: {failure.message[:300]}")
        except Exception as exc:  # the in-process transport re-raises what the app did not handle: a 500
            failures.append(f"{operation.label} [{mode.value}]: server error {type(exc).__name__}: {exc!s:.300}")

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # nothing to make invalid: no parameters
        run()
    return failures


def test_every_operation(fuzz_schema: Any) -> None:
    failures: list[str] = []
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        takes_input = bool(raw.get("parameters") or raw.get("requestBody"))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,):
            failures += _failures_of(operation, mode)
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_stateful_sequences(fuzz_schema: Any, engine: Any) -> None:
    """The stateful phase: sequences of calls following the declared links (a create, then its resource)."""
    failures: list[str] = []
    called: list[str] = []

    class Workflow(fuzz_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": HEADERS}

        def before_call(self, case: Any) -> None:
            bounded(case)

        def teardown(self) -> None:  # every scenario starts from an empty database, so replays draw the same
            wipe(engine)

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            called.append(case.operation.label)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                failures.extend(f"{case.operation.label}: {f.title}: {f.message[:600]}" for f in group.exceptions)
            except Failure as failure:
                failures.append(f"{case.operation.label}: {failure.title}: {failure.message[:300]}")

    Workflow.run(
        settings=hypothesis.settings(SETTINGS, max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS)
    )
    print(f"{len(called)} stateful calls over {len(set(called))} operations")
    print("\n".join(dict.fromkeys(failures)))
    assert len(set(called)) >= 5  # the sequences ran, following the links between operations
    assert not failures, "\n".join(dict.fromkeys(failures))
