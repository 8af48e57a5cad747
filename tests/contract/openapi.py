"""Check HTTP exchanges against CVAT's OpenAPI contract (``openapi-2.80.json``).

Theory of operation
-------------------
The contract is an OpenAPI 3.0 document rebuilt from ``cvat-sdk==2.80.0`` (see
``shared/cvat-api/openapi-2.80.md``). :meth:`Contract.load` reads it once and

* indexes every operation by method and path template (``/api/tasks/{id}/data/``). A request
  path matches a template with or without the trailing slash; literal segments win over
  parameters (``/api/users/self`` is ``users_retrieve_self``, not ``users_retrieve``), and a
  parameter must fit its schema (an integer ``{id}`` matches digits only);
* converts ``components.schemas`` from OpenAPI 3.0 to JSON Schema Draft 2020-12: ``nullable: true``
  becomes a type list (``["integer", "null"]``), ``null`` in an ``enum``, or, around
  ``allOf``/``oneOf``/``anyOf``/``$ref``, ``anyOf: [{type: null}, <schema>]``. Doing this
  ourselves avoids the ``OAS30Validator`` quirk that ignores ``nullable`` next to
  ``allOf: [$ref]``. ``$ref``\\s resolve through a :mod:`referencing` registry. ``date-time`` and
  ``date`` formats are checked.

:meth:`Contract.validate` returns human-readable violations for one request/response pair:

* the method and path are not an operation of the contract;
* a 2xx status the operation does not declare (statuses are marked ``x-reconstructed-status``
  in the contract, so the message lists the declared ones and where they came from);
* a 2xx JSON body (``application/vnd.cvat+json`` or ``application/json``) that does not validate
  against the declared schema, naming the offending field (``results[3].owner.id``);
* a 2xx that declares a JSON body but has none, a non-JSON ``Content-Type``, or invalid JSON;
  a 204 with a body.

Binary and empty bodies the contract does not describe as JSON are not checked. 3xx, 4xx and
5xx responses are not checked against schemas (the contract has almost no error responses).

:class:`ValidatingTransport` wraps any :class:`~cvatfn.http.Transport`, validates every
exchange and records violations, the operations exercised and status counts, e.g.::

    transport = ValidatingTransport(server.transport())
    ...  # drive the client
    transport.assert_clean()
    print(transport.contract.coverage(transport.operations))  # "exercised N of M operations"
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema.exceptions import ValidationError, best_match

from cvatfn.http import HttpRequest, HttpResponse, Transport, VirtualClock

__all__ = [
    "CONTRACT_DIR",
    "CONTRACT_PATH",
    "STATUS_CORRECTIONS",
    "JSON_MEDIA_TYPES",
    "Contract",
    "Coverage",
    "Operation",
    "ValidatingClockTransport",
    "ValidatingTransport",
    "Violation",
    "convert_schema",
]

CONTRACT_DIR = Path(
    os.environ.get(
        "CVATFN_CVAT_API_DIR",
        Path(__file__).resolve().parents[2].parent / "shared" / "cvat-api",
    )
)
"""``shared/cvat-api`` next to the repository (override with ``$CVATFN_CVAT_API_DIR``)."""

CONTRACT_PATH = CONTRACT_DIR / "openapi-2.80.json"

JSON_MEDIA_TYPES = ("application/vnd.cvat+json", "application/json")
"""Media types whose bodies are checked, in order of preference."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMAS_URI = "urn:cvatfn:openapi-2.80:schemas"
_REF_PREFIX = "#/components/schemas/"
_MAX_ERRORS_PER_BODY = 20
_DROPPED_KEYWORDS = frozenset(
    {"nullable", "readOnly", "writeOnly", "example", "discriminator", "xml", "externalDocs"}
)

Violation = tuple[str, str]
"""``(repr(request), message)``; the request repr never shows secrets or the body."""


# ---------------------------------------------------------------------------- schemas


STATUS_CORRECTIONS: Mapping[str, tuple[int, ...]] = {
    "jobs_update_annotations": (200,),
    "tasks_update_annotations": (200,),
}
"""2xx codes CVAT 2.80 answers that the reconstructed contract misses, by operationId.

``PUT .../annotations/`` replaces the annotations and answers 200 with the saved
``LabeledData`` (CVAT's views.py: ``'200': OpenApiResponse(description='Annotations have
been replaced')`` and ``return Response(data)``). The contract's 201 was taken from 2.26,
where PUT also polled the status of an annotation import, a flow 2.80 removed."""


TUS_FILE_PATH = re.compile(
    r"^/api/(tasks|projects|jobs)(/\d+)?/(data|annotations|backup|dataset|import)/"
    r"[0-9a-fA-F-]{8,}/?$"
)
"""TUS upload URLs (``Location`` of a TUS create). CVAT routes them in its upload mixin, not
in its OpenAPI schema, so the contract cannot describe them; the protocol is TUS 1.0.0."""

RESULT_FILE_PATH = re.compile(r"^/api/(tasks|projects|jobs)/\d+/(dataset|backup)/download/?$")
"""Where a finished export's ``result_url`` points (``?rq_id=...``). CVAT declares these
download actions with ``extend_schema(exclude=True)`` ("private API endpoint that should be
used only as result_url"), so they are outside its OpenAPI schema; the body is the file."""


def convert_schema(node: Any, *, closed: bool = False) -> Any:
    """Convert an OpenAPI 3.0 schema (or a part of one) to JSON Schema Draft 2020-12.

    ``$ref: "#/components/schemas/X"`` becomes a reference into the registry built by
    :class:`Contract`. With ``closed``, an object that lists ``properties`` and says nothing
    about ``additionalProperties`` rejects undeclared fields.

    Example:
        >>> convert_schema({"type": "integer", "nullable": True, "readOnly": True})
        {'type': ['integer', 'null']}
        >>> ref = {"$ref": "#/components/schemas/A"}
        >>> wrapped = convert_schema({"allOf": [ref], "nullable": True})
        >>> wrapped["anyOf"][0], wrapped["anyOf"][1]["allOf"][0]["$ref"].rsplit("#", 1)[1]
        ({'type': 'null'}, '/$defs/A')
    """
    if isinstance(node, list):
        return [convert_schema(item, closed=closed) for item in cast(list[Any], node)]  # type: ignore[redundant-cast]
    if not isinstance(node, dict):
        return node
    source = cast(dict[str, Any], node)
    out: dict[str, Any] = {}
    for key, value in source.items():
        if key in _DROPPED_KEYWORDS or key.startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            out[key] = f"{_SCHEMAS_URI}#/$defs/{value[len(_REF_PREFIX) :]}"
        elif key == "properties":
            props = cast(dict[str, Any], value)
            out[key] = {name: convert_schema(sub, closed=closed) for name, sub in props.items()}
        elif key in ("enum", "default", "required"):
            out[key] = value
        else:
            out[key] = convert_schema(value, closed=closed)
    if closed and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if source.get("nullable") is True:
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" in out:
            kind = out["type"]
            kinds = [kind] if isinstance(kind, str) else list(cast(list[str], kind))
            out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        elif "enum" not in out:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


# ---------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    """One method on one path template of the contract."""

    operation_id: str
    method: str
    """Upper case, e.g. ``"GET"``."""
    path: str
    """The template as the contract spells it, e.g. ``/api/tasks/{id}/data/``."""
    spec: Mapping[str, Any] = field(repr=False)
    """The operation object from the contract, unconverted."""

    @property
    def declared_statuses(self) -> tuple[int, ...]:
        """The response codes the contract declares, ascending."""
        responses = cast(Mapping[str, Any], self.spec.get("responses", {}))
        codes = {int(code) for code in responses if code.isdigit()}
        return tuple(sorted(codes | set(STATUS_CORRECTIONS.get(self.operation_id, ()))))

    @property
    def status_source(self) -> str | None:
        """Where the contract's reconstruction took the status codes from."""
        return cast(str | None, self.spec.get("x-status-source"))

    def response_content(self, status: int) -> Mapping[str, Any]:
        """``{media type: media object}`` declared for ``status`` (empty if none)."""
        responses = cast(Mapping[str, Any], self.spec.get("responses", {}))
        declared = cast(Mapping[str, Any], responses.get(str(status), {}))
        return cast(Mapping[str, Any], declared.get("content") or {})

    def json_schema(self, status: int, media_type: str | None = None) -> Any | None:
        """The OpenAPI schema of a JSON body for ``status``, or ``None`` if there is none.

        ``media_type`` is preferred when declared; otherwise the first declared JSON type.
        """
        content = self.response_content(status)
        candidates = [media_type] if media_type and _is_json(media_type) else []
        candidates += [m for m in JSON_MEDIA_TYPES if m != media_type]
        candidates += [m for m in content if _is_json(m) and m not in candidates]
        for candidate in candidates:
            media = cast(Mapping[str, Any] | None, content.get(candidate))
            if media is not None and "schema" in media:
                schema = cast(Mapping[str, Any], media["schema"])
                if schema.get("format") == "binary":
                    return None  # drf-spectacular's OpenApiTypes.BINARY: raw bytes, not JSON
                return schema
        return None


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    parameters: Mapping[str, Mapping[str, Any]]
    operations: Mapping[str, Operation]

    def matches(self, path: str) -> bool:
        match = self.pattern.fullmatch(path)
        if match is None:
            return False
        for name, raw in match.groupdict().items():
            value = unquote(raw)
            schema = self.parameters.get(name, {})
            if schema.get("type") == "integer" and not value.isdigit():
                return False
            pattern = schema.get("pattern")
            if isinstance(pattern, str) and re.search(pattern, value) is None:
                return False
        return True


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    segments = [s for s in template.strip("/").split("/") if s]
    parts: list[str] = []
    literals = 0
    for segment in segments:
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1
    return re.compile("/" + "/".join(parts) + "/?"), literals


def _is_json(media_type: str) -> bool:
    media = media_type.split(";", 1)[0].strip().lower()
    return media in JSON_MEDIA_TYPES or media.endswith("+json")


def _json_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


@dataclass(frozen=True)
class Coverage:
    """Which of the contract's operations a run exercised."""

    exercised: frozenset[str]
    total: frozenset[str]

    @property
    def missing(self) -> frozenset[str]:
        return self.total - self.exercised

    @property
    def ratio(self) -> float:
        return len(self.exercised & self.total) / len(self.total) if self.total else 0.0

    def __str__(self) -> str:
        n, m = len(self.exercised & self.total), len(self.total)
        return f"exercised {n} of {m} operations ({self.ratio:.0%})"


# ---------------------------------------------------------------------------- contract


class Contract:
    """The OpenAPI contract, indexed for matching requests and validating responses."""

    def __init__(self, document: Mapping[str, Any], *, closed: bool = False) -> None:
        """Index ``document`` (a parsed OpenAPI 3.0 document). Prefer :meth:`load`."""
        self.document = document
        self.closed = closed
        self.version = str(cast(Mapping[str, Any], document.get("info", {})).get("version", ""))
        schemas = cast(Mapping[str, Any], document.get("components", {})).get("schemas", {})
        converted = {
            name: convert_schema(schema, closed=closed)
            for name, schema in cast(Mapping[str, Any], schemas).items()
        }
        resource = referencing.Resource.from_contents(
            {"$defs": converted}, default_specification=referencing.jsonschema.DRAFT202012
        )
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            _SCHEMAS_URI, resource
        )
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        self._lock = threading.Lock()
        routes: list[_Route] = []
        for template, item in cast(Mapping[str, Any], document.get("paths", {})).items():
            item = cast(Mapping[str, Any], item)
            operations: dict[str, Operation] = {}
            parameters: dict[str, Mapping[str, Any]] = {}
            for method in _METHODS:
                spec = cast(Mapping[str, Any] | None, item.get(method))
                if spec is None:
                    continue
                operations[method.upper()] = Operation(
                    str(spec.get("operationId", f"{method} {template}")),
                    method.upper(),
                    template,
                    spec,
                )
                for param in [*item.get("parameters", []), *spec.get("parameters", [])]:
                    if param.get("in") == "path":
                        parameters[param["name"]] = param.get("schema", {})
            pattern, literals = _compile(template)
            routes.append(_Route(template, pattern, literals, parameters, operations))
        # Most literal segments first, so /api/users/self wins over /api/users/{id}.
        routes.sort(key=lambda r: (-r.literal_segments, r.template))
        self._routes = tuple(routes)
        self.operations: Mapping[str, Operation] = {
            op.operation_id: op for route in routes for op in route.operations.values()
        }

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, closed: bool = False) -> Contract:
        """Load (once per path and mode) the contract at ``path``, default :data:`CONTRACT_PATH`.

        With ``closed``, bodies may not carry fields the contract does not declare.

        Example:
            >>> contract = Contract.load()
            >>> contract.find_operation("GET", "/api/tasks/7/data").operation_id
            'tasks_retrieve_data'
        """
        resolved = Path(path if path is not None else CONTRACT_PATH).resolve()
        return _load(str(resolved), closed)

    # -- matching

    def find_path(self, url: str) -> str | None:
        """The path template ``url`` (an absolute URL or a path) matches, or ``None``."""
        path = urlsplit(url).path or "/"
        for route in self._routes:
            if route.matches(path):
                return route.template
        return None

    def find_operation(self, method: str, url: str) -> Operation | None:
        """The operation for ``method`` on ``url`` (an absolute URL or a path), or ``None``.

        Example:
            >>> Contract.load().find_operation("get", "http://h/api/users/self?x=1").operation_id
            'users_retrieve_self'
        """
        path = urlsplit(url).path or "/"
        wanted = method.upper()
        for route in self._routes:
            if wanted in route.operations and route.matches(path):
                return route.operations[wanted]
        return None

    def operation_ids(self) -> frozenset[str]:
        """Every operationId in the contract."""
        return frozenset(self.operations)

    def coverage(self, exercised: Iterable[str]) -> Coverage:
        """How many of the contract's operations ``exercised`` (operationIds) covers."""
        return Coverage(frozenset(exercised), self.operation_ids())

    # -- validation

    def validate(self, request: HttpRequest, response: HttpResponse) -> list[str]:
        """Human-readable violations of the contract by this exchange; empty if none."""
        return self.check(request, response)[1]

    def check(
        self, request: HttpRequest, response: HttpResponse
    ) -> tuple[Operation | None, list[str]]:
        """Like :meth:`validate`, and also return the operation the request matched."""
        path = urlsplit(request.url).path or "/"
        label = f"{request.method.upper()} {path} -> {response.status}"
        if request.method.upper() in ("PATCH", "HEAD") and TUS_FILE_PATH.search(path):
            return None, []  # a TUS upload URL: CVAT serves it outside its OpenAPI schema
        if request.method.upper() in ("GET", "HEAD") and RESULT_FILE_PATH.search(path):
            return None, []  # an export's result_url: excluded from CVAT's OpenAPI schema
        operation = self.find_operation(request.method, request.url)
        if operation is None:
            template = self.find_path(request.url)
            if template is None:
                return None, [f"{label}: no path of the contract matches {path!r}"]
            methods = sorted(
                m for r in self._routes if r.template == template for m in r.operations
            )
            return None, [
                f"{label}: {request.method.upper()} is not an operation of {template} "
                f"(it has {', '.join(methods)})"
            ]
        if not 200 <= response.status < 300:
            return operation, []
        if (
            request.header("Tus-Resumable") is not None
            and request.header("Upload-Length") is not None
            and response.status == 201
            and not response.body
        ):
            return operation, []  # TUS creation (201 + Location): outside the OpenAPI schema
        label = f"{label} ({operation.operation_id})"
        if response.status not in operation.declared_statuses:
            declared = ", ".join(map(str, operation.declared_statuses)) or "none"
            return operation, [
                f"{label}: status {response.status} is not declared for "
                f"{operation.operation_id} (declared: {declared}; reconstructed from "
                f"{operation.status_source or 'unknown'})"
            ]
        if (
            request.header("Upload-Start") is not None
            or request.header("Upload-Multiple") is not None
        ) and not response.body:
            return operation, []  # CVAT's upload protocol steps answer without a body
        return operation, self._check_body(label, operation, response)

    def _check_body(self, label: str, operation: Operation, response: HttpResponse) -> list[str]:
        content_type = response.header("content-type")
        media = content_type.split(";", 1)[0].strip().lower() if content_type else None
        declared = operation.response_content(response.status)
        if response.status in (204, 205):
            return [f"{label}: a {response.status} must have no body"] if response.body else []
        schema = operation.json_schema(response.status, media)
        if schema is None:
            return []  # nothing declared as JSON: binary, text, or no body at all
        if not response.body:
            return [f"{label}: the contract declares a JSON body but the response has none"]
        if media is None or not _is_json(media):
            if all(_is_json(m) for m in declared):
                return [
                    f"{label}: the contract declares {', '.join(declared)} but the "
                    f"Content-Type is {content_type!r}"
                ]
            return []
        try:
            body = json.loads(response.body)
        except ValueError as exc:
            return [f"{label}: the body is not valid JSON: {exc}"]
        return [f"{label}: {problem}" for problem in self.schema_errors(schema, body)]

    def schema_errors(self, schema: Any, instance: Any) -> list[str]:
        """Violations of the OpenAPI 3.0 ``schema`` by the JSON value ``instance``.

        Each names the field, e.g. ``"results[0].name: 5 is not of type 'string'"``.
        """
        validator = self._validator(schema)
        errors = sorted(
            validator.iter_errors(instance), key=lambda e: [(type(p).__name__, p) for p in e.path]
        )
        messages: list[str] = []
        for error in errors:
            messages.extend(_describe(error))
        if len(messages) > _MAX_ERRORS_PER_BODY:
            extra = len(messages) - _MAX_ERRORS_PER_BODY
            messages = [*messages[:_MAX_ERRORS_PER_BODY], f"... and {extra} more"]
        return messages

    def _validator(self, schema: Any) -> jsonschema.Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                validator = jsonschema.Draft202012Validator(
                    convert_schema(schema, closed=self.closed),
                    registry=self._registry,
                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
                )
                self._validators[key] = validator
            return validator


@cache
def _load(path: str, closed: bool) -> Contract:
    with open(path, encoding="utf-8") as f:
        return Contract(json.load(f), closed=closed)


def _describe(error: ValidationError) -> Iterator[str]:
    """Messages for ``error``, looking inside ``anyOf``/``oneOf`` for the branch that matters.

    For ``anyOf: [{type: null}, X]`` (a converted ``nullable``) the null branch is dropped,
    so a wrong field deep inside X is reported at its own path.
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        options = cast(list[Any], error.validator_value)
        relevant = {i: errs for i, errs in branches.items() if options[i] != {"type": "null"}}
        if len(relevant) == 1:
            for sub in next(iter(relevant.values())):
                yield from _describe(sub)
            return
        if len(relevant) < len(branches) or error.validator == "anyOf":
            deepest: ValidationError | None = best_match(
                [e for errs in relevant.values() for e in errs]
            )
            if deepest is not None and len(deepest.absolute_path) > len(error.absolute_path):
                yield from _describe(deepest)
                return
    yield f"{_json_path(error.absolute_path)}: {error.message}"


# ---------------------------------------------------------------------------- transport


EXERCISED: set[str] = set()
"""Every operationId any ValidatingTransport saw answered in this process (for the summary)."""


class ValidatingTransport:
    """A :class:`~cvatfn.http.Transport` that checks every exchange against the contract.

    Requests pass through to ``inner`` unchanged and so do its responses and
    :class:`~cvatfn.http.TransportError`\\s. Each exchange is validated; problems go to
    :attr:`violations`, never raised, so a test decides (see :meth:`assert_clean`).

    Constructing it around a transport that is a :class:`~cvatfn.http.VirtualClock` gives a
    :class:`ValidatingClockTransport`, which is one too and delegates the clock; around any
    other transport the wrapper is not a ``VirtualClock``, so wrapping never changes how
    cvatfn's runner keeps time.

    Example:
        >>> class Echo:
        ...     def handle(self, request: HttpRequest) -> HttpResponse:
        ...         return HttpResponse(204)
        >>> t = ValidatingTransport(Echo())
        >>> t.handle(HttpRequest("DELETE", "http://h/api/tasks/1")).status
        204
        >>> t.violations, sorted(t.operations), isinstance(t, VirtualClock)
        ([], ['tasks_destroy'], False)
    """

    def __new__(cls, inner: Transport, contract: Contract | None = None) -> ValidatingTransport:
        if cls is ValidatingTransport and isinstance(inner, VirtualClock):
            return object.__new__(ValidatingClockTransport)
        return super().__new__(cls)

    def __init__(self, inner: Transport, contract: Contract | None = None) -> None:
        self.inner = inner
        self.contract = contract if contract is not None else Contract.load()
        self.violations: list[Violation] = []
        """``(repr(request), message)`` for every problem found, in order."""
        self.operations: set[str] = set()
        """operationIds of every exchange that matched the contract, whatever its status."""
        self.status_counts: Counter[int] = Counter()
        self.error_responses: list[tuple[str, str | None, int]] = []
        """``(repr(request), operationId or None, status)`` of every 4xx and 5xx response."""
        self.exchanges = 0
        self._lock = threading.Lock()

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Pass ``request`` to the inner transport, validate the response, return it."""
        response = self.inner.handle(request)
        operation, problems = self.contract.check(request, response)
        with self._lock:
            self.exchanges += 1
            self.status_counts[response.status] += 1
            if operation is not None:
                self.operations.add(operation.operation_id)
                EXERCISED.add(operation.operation_id)
            if response.status >= 400:
                self.error_responses.append(
                    (repr(request), operation.operation_id if operation else None, response.status)
                )
            self.violations.extend((repr(request), problem) for problem in problems)
        return response

    def _count(self, low: int) -> int:
        return sum(n for status, n in self.status_counts.items() if low <= status < low + 100)

    @property
    def count_2xx(self) -> int:
        return self._count(200)

    @property
    def count_3xx(self) -> int:
        return self._count(300)

    @property
    def count_4xx(self) -> int:
        return self._count(400)

    @property
    def count_5xx(self) -> int:
        return self._count(500)

    def coverage(self) -> Coverage:
        """The contract's operations exercised so far through this transport."""
        return self.contract.coverage(self.operations)

    def report(self) -> str:
        """A multi-line summary: counts, coverage and every violation."""
        lines = [
            f"{self.exchanges} exchanges: {self.count_2xx} 2xx, {self.count_3xx} 3xx, "
            f"{self.count_4xx} 4xx, {self.count_5xx} 5xx; {self.coverage()}",
            f"{len(self.violations)} contract violations",
        ]
        lines += [f"  {message}\n    request: {request}" for request, message in self.violations]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        """Raise ``AssertionError`` with the :meth:`report` if any violation was recorded."""
        if self.violations:
            raise AssertionError(self.report())

    def close(self) -> None:
        """Close the inner transport, if it can be closed."""
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


class ValidatingClockTransport(ValidatingTransport):
    """A :class:`ValidatingTransport` around a transport that is also a ``VirtualClock``."""

    def monotonic(self) -> float:
        """The inner transport's clock."""
        return cast(VirtualClock, self.inner).monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep on the inner transport's clock."""
        cast(VirtualClock, self.inner).sleep(seconds)
