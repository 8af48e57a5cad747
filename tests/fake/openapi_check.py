"""Validate fake-server JSON responses against CVAT's 2.80 OpenAPI document.

The document is OpenAPI 3.0: ``nullable: true`` is turned into JSON-schema ``null`` types
(``type: [T, "null"]`` or ``anyOf: [..., {"type": "null"}]`` around ``allOf``/``$ref``), every
``$ref`` is inlined, and the result is checked with jsonschema's Draft 2020-12 validator.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC_PATH = Path("/work/shared/cvat-api/openapi-2.80.json")


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def _convert(node: Any, schemas: dict[str, Any], depth: int = 0) -> Any:
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [_convert(n, schemas, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = schemas[node["$ref"].rsplit("/", 1)[-1]]
        resolved = _convert(target, schemas, depth + 1)
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return {**resolved, **_convert(extra, schemas, depth + 1)} if extra else resolved
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in (
            "nullable",
            "readOnly",
            "writeOnly",
            "description",
            "example",
            "default",
        ) or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {k: _convert(v, schemas, depth + 1) for k, v in value.items()}
        else:
            out[key] = _convert(value, schemas, depth + 1)
    if out.get("format") == "binary":
        out.pop("format")
    if node.get("nullable"):
        if isinstance(out.get("type"), str) and not any(
            k in out for k in ("allOf", "anyOf", "oneOf")
        ):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    routes = []
    for template, ops in _spec()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template.rstrip("/")))
        for method in ops:
            if method != "parameters":
                routes.append((method.upper(), re.compile(f"^{pattern}/?$"), template))
    # literal paths before templated ones (e.g. /users/self before /users/{id})
    routes.sort(key=lambda r: r[2].count("{"))
    return routes


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The converted JSON schema of the 2xx response, or None if the spec defines no body."""
    for route_method, pattern, template in _routes():
        if route_method == method and pattern.match(path):
            responses = _spec()["paths"][template][method.lower()]["responses"]
            response = responses.get(str(status))
            if response is None:
                raise AssertionError(
                    f"{method} {template}: status {status} not in {sorted(responses)}"
                )
            content = response.get("content") or {}
            if not content:
                return None
            media = content.get("application/vnd.cvat+json") or next(iter(content.values()))
            return _convert(media["schema"], _spec()["components"]["schemas"])
    raise AssertionError(f"no operation for {method} {path}")


def validate(method: str, path: str, status: int, body: Any) -> None:
    """Raise if ``body`` does not match the operation's response schema."""
    schema = response_schema(method, path, status)
    if schema is None:
        return
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise AssertionError(
            f"{method} {path} -> {status}: {first.message} at {list(first.absolute_path)}"
        )
