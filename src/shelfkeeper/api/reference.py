"""Documents generated from the OpenAPI schema: the API reference (Markdown) and a Postman collection."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in schema["paths"].items():
        for method in METHOD_ORDER:
            if method in item:
                found.append((path, method, item[method]))
    return found


def _example_body(operation: dict[str, Any], schema: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {})
    if "$ref" not in ref and "anyOf" in ref:
        ref = next((option for option in ref["anyOf"] if "$ref" in option), {})
    if "$ref" in ref:
        model = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
        examples = model.get("examples") or ([model["example"]] if "example" in model else [])
        return examples[0] if examples else {}
    return None


# Values for required query parameters without an example of their own (the docs' requests must be accepted).
_QUERY_EXAMPLES: dict[str, str] = {"title": "Project Hail Mary", "author": "Andy Weir", "q": "mistborn"}


def _query_example(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    for source in (parameter, schema):
        if "example" in source:
            return str(source["example"])
        if source.get("examples"):
            return str(source["examples"][0])
    if parameter["name"] in _QUERY_EXAMPLES:
        return _QUERY_EXAMPLES[parameter["name"]]
    return {"integer": "1", "boolean": "true", "number": "1"}.get(schema.get("type", ""), "example")


def required_query(operation: dict[str, Any]) -> list[tuple[str, str]]:
    """The required query parameters of an operation, each with an example value."""
    return [
        (p["name"], _query_example(p))
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    ]


def api_reference(schema: dict[str, Any]) -> str:
    """Every endpoint by tag: method, path, summary, parameters, an example body and the error codes."""
    lines = [
        "# API reference",
        "",
        "Generated from the OpenAPI schema by `shelfkeeper docs api`; the live, complete schema is at",
        "`/openapi.json` (Swagger UI at `/docs`). Every route but `/health` needs the API key",
        "(`X-Api-Key: <key>`, `Authorization: <key>` or `Authorization: Bearer <key>`). Answers use the",
        "envelope `{success, data, error, error_code, timestamp}`; lists page with `limit`/`offset` and",
        "report `total`. Error codes: docs/error-codes.md.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, method, operation in _operations(schema):
        by_tag.setdefault((operation.get("tags") or ["other"])[0], []).append((path, method, operation))
    for tag, operations in by_tag.items():
        lines += [f"## {tag}", ""]
        for path, method, operation in operations:
            lines += [f"### `{method.upper()} {path}`", "", operation.get("summary", "")]
            if operation.get("description"):
                lines += ["", operation["description"].strip()]
            params = [p for p in operation.get("parameters", []) if p.get("in") in ("query", "path")]
            if params:
                lines += ["", "| parameter | in | required |", "|---|---|---|"]
                lines += [f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} |" for p in params]
            query = required_query(operation)
            if query:
                lines += ["", f"Example: `{method.upper()} {path}?{urlencode(query)}`"]
            body = _example_body(operation, schema)
            if body is not None:
                lines += ["", "Example body:", "", "```json", json.dumps(body, indent=2), "```"]
            codes = []
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    codes.append(f"{status} `{response.get('description', '')}`")
            if codes:
                lines += ["", "Errors: " + ", ".join(codes)]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def postman_collection(schema: dict[str, Any]) -> dict[str, Any]:
    """A Postman v2.1 collection: one folder per tag, `{{baseUrl}}` and `{{apiKey}}` variables."""
    folders: dict[str, list[dict[str, Any]]] = {}
    for path, method, operation in _operations(schema):
        raw_path = path.replace("{", ":").replace("}", "")
        query = required_query(operation)
        url: dict[str, Any] = {
            "raw": "{{baseUrl}}" + raw_path + ("?" + urlencode(query) if query else ""),
            "host": ["{{baseUrl}}"],
            "path": [part for part in raw_path.split("/") if part],
        }
        if query:
            url["query"] = [{"key": name, "value": value} for name, value in query]
        request: dict[str, Any] = {
            "method": method.upper(),
            "header": [{"key": "X-Api-Key", "value": "{{apiKey}}"}],
            "url": url,
            "description": operation.get("summary", ""),
        }
        body = _example_body(operation, schema)
        if body is not None:
            request["header"].append({"key": "Content-Type", "value": "application/json"})
            request["body"] = {"mode": "raw", "raw": json.dumps(body, indent=2)}
        folders.setdefault((operation.get("tags") or ["other"])[0], []).append(
            {"name": f"{method.upper()} {path}", "request": request}
        )
    return {
        "info": {
            "name": "Shelfkeeper",
            "version": schema["info"]["version"],
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [{"key": "baseUrl", "value": "http://127.0.0.1:8787"}, {"key": "apiKey", "value": ""}],
        "item": [{"name": tag, "item": items} for tag, items in folders.items()],
    }
