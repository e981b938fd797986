"""The one response envelope: ``{"success", "data", "error", "error_code", "timestamp"}``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import Field, TypeAdapter
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypedDict

from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.db.session import unit_of_work

if TYPE_CHECKING:  # /health and the error handlers use this module before the ORM is loaded
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from shelfkeeper.services.paging import PageResult

T = TypeVar("T")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Envelope(ApiModel, Generic[T]):
    """Every response body has this shape."""

    success: bool = Field(description="True when the request did what it asked.")
    data: T | None = Field(None, description="The result; null on error.")
    error: str | None = Field(None, description="A human-readable message on error.")
    error_code: str | None = Field(None, description="A stable machine code on error (see docs/error-codes.md).")
    timestamp: str = Field(default_factory=utc_now_iso, description="When the answer was made, ISO-8601 UTC.")


class Page(ApiModel, Generic[T]):
    """One page of a list: the items, how many there are in all, and the window asked for."""

    items: list[T]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int
    offset: int

    @classmethod
    def of(cls, result: PageResult[Any], read: Callable[[Any], T]) -> Page[T]:
        """A service's page of rows as the API's page, each row read into its schema by ``read``."""
        return cls(
            items=[read(row) for row in result.items], total=result.total, limit=result.limit, offset=result.offset
        )


class PageRows(TypedDict, Generic[T]):
    """``Page`` as plain rows, for an answer serialised without validation (``answer_rows``)."""

    items: list[T]
    total: int
    limit: int
    offset: int


class EnvelopeRows(TypedDict, Generic[T]):
    """``Envelope`` as a plain mapping, in its field order."""

    success: bool
    data: T | None
    error: str | None
    error_code: str | None
    timestamp: str


def page_rows(result: PageResult[Any]) -> dict[str, Any]:
    """A service's page as ``PageRows``: its rows as they are."""
    return {"items": result.items, "total": result.total, "limit": result.limit, "offset": result.offset}


def ok(data: Any) -> dict[str, Any]:
    """A success envelope (FastAPI validates it against the route's response model)."""
    return {"success": True, "data": data, "error": None, "error_code": None, "timestamp": utc_now_iso()}


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


async def answer(sessions: sessionmaker[Session], work: Callable[[Session], Any], model: Any) -> Response:
    """``ok(work(session))`` validated as ``model`` and serialised, all in one worker thread.

    The list routes answer this way: one thread hop per request, where a sync route with a session dependency
    takes four (dependency entry and exit, endpoint, response validation), each a wait for a busy core. The body
    is exactly what FastAPI would send for ``response_model=model``.
    """

    def run() -> bytes:
        with unit_of_work(sessions) as session:
            data = work(session)
        adapter = _adapter(model)
        return adapter.dump_json(adapter.validate_python(ok(data)), by_alias=True)

    return Response(await run_in_threadpool(run), media_type="application/json")


async def answer_rows(engine: Engine, read: Callable[[Connection], Any], rows: Any) -> Response:
    """``ok(read(connection))`` serialised as ``rows`` as it is, without validating it first, in one worker thread.

    ``rows`` is a TypedDict mirroring the route's response model (``EnvelopeRows[PageRows[BookRow]]`` for
    ``Envelope[Page[BookRead]]``) and ``read`` gives exactly its values: the bytes are the model's, without
    building a model per row (the book list: 50 models cost more than its SQL). ``read`` only reads: it gets a
    connection, not a session, and its transaction is rolled back when it ends (nothing to commit). On PostgreSQL
    its statements run without a transaction around them (autocommit): under READ COMMITTED each statement sees
    its own snapshot either way, and the BEGIN and ROLLBACK were two more round trips to the server, as many as the
    page's own statements.
    """

    def run() -> bytes:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            data = read(connection)
        return _adapter(rows).dump_json(ok(data))

    body = run() if reads_without_waiting(engine) else await run_in_threadpool(run)
    return Response(body, media_type="application/json")


def reads_without_waiting(engine: Engine) -> bool:
    """Whether a read can run on the event loop itself, saving the worker-thread hop (0.2 ms of CPU and a wait for
    a core, a tenth of a list's time on SQLite): only when nothing in it can wait. That is SQLite (the database is
    in this process: no network round trip) in WAL mode (``make_engine``: a reader never waits for a writer) with
    a connection free in the pool at once (a full pool would make the checkout wait). PostgreSQL reads, network
    round trips to a server that may be far, stay in a worker thread."""
    pool = engine.pool
    return (
        engine.dialect.name == "sqlite"
        and isinstance(pool, QueuePool)
        and (pool.checkedin() > 0 or pool.checkedout() < pool.size())
    )


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "success": False,
        "data": None,
        "error": message,
        "error_code": code,
        "timestamp": utc_now_iso(),
    }
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return JSONResponse(body, status_code=status, headers=headers)


def error_example(code: str, message: str) -> dict[str, Any]:
    """An OpenAPI example of an error envelope."""
    return {"success": False, "data": None, "error": message, "error_code": code, "timestamp": "2026-11-24T12:00:00Z"}


_STANDARD_ERRORS = {
    400: ("BAD_REQUEST", "The request body is not valid JSON."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is larger than MAX_REQUEST_BODY_BYTES (1048576 bytes)."),
    401: ("UNAUTHORIZED", "Missing API key: send it in the Authorization or X-Api-Key header."),
    404: ("NOT_FOUND", "Not found."),
    409: ("CONFLICT", "The request conflicts with the current state."),
    422: ("VALIDATION_ERROR", "Invalid input: title: String should have at least 1 character"),
    502: ("SERVICE_BAD_RESPONSE", "prowlarr: unexpected answer"),
    503: ("SERVICE_UNREACHABLE", "prowlarr: connection refused"),
}


def error_responses(*statuses: int, codes: dict[int, tuple[str, str]] | None = None) -> dict[int | str, Any]:
    """OpenAPI ``responses`` for the given statuses, each with an error envelope example."""
    result: dict[int | str, Any] = {}
    for status in (401, 422, *statuses):
        code, message = (codes or {}).get(status) or _STANDARD_ERRORS[status]
        result[status] = {
            "description": code,
            "content": {"application/json": {"example": error_example(code, message)}},
        }
    return result


def declare_body_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a body can also answer 400 (not JSON) and 413 (too large): say so."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            for status, entry in error_responses(400, 413).items():
                responses.setdefault(str(status), entry)
    return schema


def declare_links(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI links from each create (201 on ``/api/x``) to the operations on ``/api/x/{x_id}``: the new id."""
    paths = schema.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        links = created.setdefault("links", {})
        for sub_path, sub_item in paths.items():
            prefix, _, rest = sub_path.partition("/{")
            if prefix != path or not rest:
                continue
            parameter = rest.split("}", 1)[0]
            for method, operation in sub_item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    links[f"{method}_{operation['operationId']}"] = {
                        "operationId": operation["operationId"],
                        "parameters": {parameter: "$response.body#/data/id"},
                    }
    return schema
