"""Read routes: a GET route declared and checked as FastAPI does it, answered without FastAPI's per-request
dependency solving when its query is valid (docs/architecture.md, "Read routes").

FastAPI solves a route's dependencies anew for every request: for a list route that took 0.8 ms, more than
SQLite needed for the page. Most of it is work whose answer never changes (which parameters a dependency takes,
whether a field is a sequence, its aliases). A ``ReadRoute`` works that out once, when its handler is built:

- when the route's dependencies are all of a kind it knows (coroutines taking the request, or query parameters,
  or both; scalar query parameters and query models; no body, path, header or cookie parameter, no ``yield``),
  it validates the query with the very fields FastAPI would (FastAPI's own function), and when every value is
  valid it calls the dependencies in FastAPI's order, then the endpoint;
- when any value is invalid, or the app overrides a dependency, the request goes to FastAPI's own handler,
  which answers the same 422 as ever (the same errors in the same order: it does everything again);
- any other route is FastAPI's own handler as it is.

The OpenAPI document is FastAPI's, untouched (it is built from the same declarations). The functions it borrows
from FastAPI are internal ones: pyproject.toml pins FastAPI's version, and tests/api/test_read_route.py asks both
paths random queries and compares their answers byte for byte, so an upgrade that changes them fails there.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, get_type_hints

from fastapi import params
from fastapi._compat import Undefined, field_annotation_is_sequence, get_cached_model_fields
from fastapi.dependencies.models import Dependant, _is_coroutine_callable
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _validate_value_with_model_field,
)
from fastapi.routing import APIRoute, _effective_route_context_var
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Invalid(Exception):
    """A query value FastAPI would refuse: its own handler answers the request."""


_NO_DEFAULT = object()  # a parameter whose default FastAPI works out anew for each request
_ATOMIC_DEFAULTS = (type(None), bool, int, float, str)  # what ``deepcopy`` hands back as it is


@dataclass(frozen=True)
class ScalarParameter:
    """A query parameter of one value (``?limit=50``), validated as FastAPI validates it."""

    field: Any  # FastAPI's ModelField
    alias: str
    validate: Callable[..., Any]  # the field's own validator (its TypeAdapter's), which FastAPI calls
    default: Any  # what FastAPI gives when the value is missing, when that is always the same value

    def read(self, query: QueryParams, last: dict[str, str], values: dict[str, Any]) -> None:
        raw = last.get(self.alias)
        if raw is None and self.default is not _NO_DEFAULT:
            values[self.field.name] = self.default
            return
        if raw is None:
            value, errors = _validate_value_with_model_field(
                field=self.field, value=Undefined, values=values, loc=("query", self.alias)
            )
            if errors:
                raise Invalid
            values[self.field.name] = value
            return
        try:
            values[self.field.name] = self.validate(raw, from_attributes=True)
        except ValidationError:
            raise Invalid from None


def _scalar(field: Any, alias: str) -> ScalarParameter:
    """``field`` read as FastAPI's ``_validate_value_with_model_field`` reads it, with what never changes worked
    out once: a given value goes to the field's validator at once (``ModelField.validate`` without its two
    wrappers); a missing one is ``deepcopy(field.default)``, which for a plain default (no factory, not validated,
    ``None`` or a number, a string, a boolean) is the default itself, so it is kept. The query models (``Model``
    parameters) are validated the same way."""
    info = field.field_info
    plain = not info.is_required() and info.default_factory is None and not info.validate_default
    default = info.default if plain and type(info.default) in _ATOMIC_DEFAULTS else _NO_DEFAULT
    return ScalarParameter(field, alias, field._type_adapter.validate_python, default)


@dataclass(frozen=True)
class ModelParameter:
    """A query model (``Annotated[BookListQuery, Query()]``): its fields' values, the other keys as extras."""

    field: Any
    aliases: tuple[str, ...]
    validate: Callable[..., Any]

    def read(self, query: QueryParams, last: dict[str, str], values: dict[str, Any]) -> None:
        given: dict[str, Any] = {}
        for alias in self.aliases:
            value = last.get(alias)
            if value is not None:
                given[alias] = value
        extras: dict[str, list[str]] = {}
        for key, value in query.multi_items():
            if key not in self.aliases:
                extras.setdefault(key, []).append(value)
        given.update((key, found[0] if len(found) == 1 else found) for key, found in extras.items())
        try:
            values[self.field.name] = self.validate(given, from_attributes=True)
        except ValidationError:
            raise Invalid from None


@dataclass(frozen=True)
class Step:
    """One dependency (or the endpoint): its parameters from the query, its sub-dependencies, its call."""

    call: Callable[..., Coroutine[Any, Any, Any]]
    name: str | None
    request_names: tuple[str, ...]
    parameters: tuple[ScalarParameter | ModelParameter, ...]
    steps: tuple[Step, ...]

    def read(self, query: QueryParams) -> list[dict[str, Any]]:
        """Every step's query values, depth first as FastAPI validates them; ``Invalid`` at the first error.

        Each name's last value (what ``query.get`` gives, as FastAPI reads a scalar) is looked up in a plain dict:
        ``QueryParams.get`` of a missing name raises and catches a KeyError, and a book list asks for 14 names,
        most of them missing."""
        return self._read(query, dict(query.items()))

    def _read(self, query: QueryParams, last: dict[str, str]) -> list[dict[str, Any]]:
        read: list[dict[str, Any]] = []
        for step in self.steps:
            read.extend(step._read(query, last))
        values: dict[str, Any] = {}
        for parameter in self.parameters:
            parameter.read(query, last, values)
        read.append(values)
        return read

    async def run(self, request: Request, read: list[dict[str, Any]]) -> Any:
        """Each sub-dependency called in FastAPI's order, its result passed by name, then this step's call."""
        values = await self._values(request, read)
        return await self.call(**values)

    async def _values(self, request: Request, read: list[dict[str, Any]]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for step in self.steps:
            result = await step.run(request, read)
            if step.name is not None:
                values[step.name] = result
        values.update(read.pop(0))
        for name in self.request_names:
            values[name] = request
        return values


def _step(dependant: Dependant) -> Step | None:
    """``dependant`` as a step, or None when it has a part the fast path does not know."""
    if (
        dependant.call is None
        or not _is_coroutine_callable(dependant.call)
        or dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.concurrency is not None
    ):
        return None
    steps = [_step(sub) for sub in dependant.dependencies if not _for_the_document(sub)]
    parameters = [_parameter(field) for field in dependant.query_params]
    if any(step is None for step in steps) or any(parameter is None for parameter in parameters):
        return None
    request_names = tuple(name for name in (dependant.request_param_name, dependant.http_connection_param_name) if name)
    return Step(
        call=dependant.call,
        name=dependant.name,
        request_names=request_names,
        parameters=tuple(p for p in parameters if p is not None),
        steps=tuple(s for s in steps if s is not None),
    )


def _for_the_document(dependant: Dependant) -> bool:
    """An API-key header scheme declared for the OpenAPI document alone (``api.routers``' "Authorize" buttons): it
    never refuses (``auto_error=False``) and its value goes nowhere, so the fast path does not call it (FastAPI
    reads the header for nothing)."""
    call = dependant.call
    return isinstance(call, APIKeyHeader) and not call.auto_error and dependant.name is None


def _parameter(field: Any) -> ScalarParameter | ModelParameter | None:
    if not isinstance(field.field_info, params.Query):
        return None
    model = _get_param_model(field)
    if model is None:
        alias = _single_alias(field)
        return None if alias is None or _is_sequence(field) else _scalar(field, alias)
    fields = get_cached_model_fields(model)
    if field.field_info.annotation is not model:  # ``Model | None``: FastAPI may pass no value at all
        return None
    aliases = [_single_alias(f) for f in fields]
    if any(alias is None for alias in aliases) or any(_is_sequence(f) for f in fields):
        return None
    return ModelParameter(field, tuple(a for a in aliases if a is not None), field._type_adapter.validate_python)


def _single_alias(field: Any) -> str | None:
    aliases = _get_param_aliases(field)
    return aliases[0][1] if len(aliases) == 1 else None


def _is_sequence(field: Any) -> bool:
    return bool(field_annotation_is_sequence(field.field_info.annotation))


def _repeated_dependencies(step: Step) -> bool:
    """Whether a dependency appears twice (FastAPI would call it once): then FastAPI answers."""
    seen: set[int] = set()

    def walk(node: Step) -> bool:
        for sub in node.steps:
            if id(sub.call) in seen or walk(sub):
                return True
            seen.add(id(sub.call))
        return False

    return walk(step)


def _answers_response(endpoint: Callable[..., Any]) -> bool:
    """Whether the endpoint returns its own ``Response`` (which FastAPI sends as it is, whatever the model)."""
    answer = get_type_hints(endpoint).get("return")
    return isinstance(answer, type) and issubclass(answer, Response)


class ReadRoute(APIRoute):
    """An ``APIRoute`` whose valid requests skip FastAPI's per-request dependency solving (see the module)."""

    @property
    def plans(self) -> dict[int, Step]:
        """The plan of each inclusion of this route (by the id of the route as included) that has one."""
        plans: dict[int, Step] = self.__dict__.setdefault("_plans", {})
        return plans

    def plan_for(self, included: object) -> Step | None:
        return self.plans.get(id(included))

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        context = _effective_route_context_var.get()  # the route as included: the router's dependencies too
        route: Any = context if context is not None and context.original_route is self else self
        step = _step(route.dependant) if self.methods == {"GET"} and _answers_response(self.endpoint) else None
        if step is None or _repeated_dependencies(step):
            return standard
        overrides = route.dependency_overrides_provider
        plan = step
        self.plans[id(route)] = plan  # for api/direct_reads.py: the route as included (FastAPI keeps it alive)

        async def handle(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await standard(request)
            try:
                read = plan.read(request.query_params)
            except Invalid:
                return await standard(request)
            response: Response = await plan.run(request, read)
            return response

        return handle
