"""Schemathesis over every operation, stateless and stateful, on SQLite and PostgreSQL (issue #15).

Checks: no server error, every status declared in the OpenAPI document, every body matching its schema.
Derandomized with a bounded number of examples, so a run is repeatable and takes about a minute per database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode

from shelfkeeper.api.app import create_app
from tests.conftest import TEST_API_KEY

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
HEADERS = {"X-Api-Key": TEST_API_KEY}
EXAMPLES_PER_OPERATION = 8
STATEFUL_STEPS = 15
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: report, do not minimise
)


@pytest.fixture
def fuzz_schema(context: Any) -> Iterator[Any]:
    app = create_app(context=context)
    with TestClient(app):  # the lifespan: the API key is ready
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def _failures_of(operation: Any, mode: GenerationMode) -> list[str]:
    failures: list[str] = []

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=HEADERS, checks=CHECKS)
        except FailureGroup as group:  # collected: one report of every failing operation, not the first only
            for failure in group.exceptions:
                failures.append(f"{operation.label} [{mode.value}]: {failure.title}: {failure.message[:300]}")
        except Failure as failure:
            failures.append(f"{operation.label} [{mode.value}]: {failure.title}: {failure.message[:300]}")
        except Exception as exc:  # the in-process transport re-raises what the app did not handle: a 500
            failures.append(f"{operation.label} [{mode.value}]: server error {type(exc).__name__}: {exc!s:.300}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        pass
    return failures


def test_every_operation(fuzz_schema: Any) -> None:
    failures: list[str] = []
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures_of(operation, mode)
    assert not failures, "\n".join(dict.fromkeys(failures))
