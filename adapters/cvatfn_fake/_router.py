"""Method + path pattern -> handler table.

Theory of operation
-------------------
Each resource module registers its routes with :meth:`Router.add`: an HTTP method, a path
regular expression (without the trailing slash; CVAT's router accepts both forms, so the
table does too) and a handler ``handler(server, ctx, **path_params) -> HttpResponse``.
:meth:`Router.resolve` finds the handler for a request: the first route, in the order they
were added, whose pattern matches the path and whose method is the request's. A path that
matches some route but not with this method is DRF's 405; a path no route matches is Django's
404 page.

Routes are tried by the first segment after ``/api/``: a pattern that starts with a literal
``/api/<segment>/`` can only match paths with that segment, so only those routes, and the
routes whose pattern has no such prefix, are tried, still in the order they were added.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cvatfn.http import HttpResponse

if TYPE_CHECKING:
    from ._context import Ctx
    from ._server import FakeServer

Handler = Callable[..., HttpResponse]
AuthMode = Literal["required", "optional", "none"]

UPLOAD_ID = r"(?P<file_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
"""A TUS upload's id in a path (a uuid4, as CVAT makes them), captured as ``file_id``."""


def for_target(handler: Handler, target: str) -> Handler:
    """``handler(server, ctx, target, **params)`` as a route handler for one resource type.

    Examples:
        >>> route = for_target(lambda srv, ctx, target, id: HttpResponse(200), "task")
        >>> route(None, None, id="1").status
        200
    """

    def bound(srv: FakeServer, ctx: Ctx, **params: str) -> HttpResponse:
        return handler(srv, ctx, target, **params)

    return bound


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: AuthMode


class NoRoute(Exception):
    """No route matches the path (``allowed`` is empty) or the method (``allowed`` lists it)."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(allowed)
        self.allowed = allowed


class Router:
    """A route table.

    Examples:
        >>> router = Router()
        >>> router.add("GET", r"/api/ping", lambda srv, ctx: None, auth="none")
        >>> router.resolve("GET", "/api/ping/")[0].auth
        'none'
    """

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self._by_segment: dict[str, list[Route]] = {}
        self._unkeyed: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, *, auth: AuthMode = "required") -> None:
        """Register ``handler`` for ``method`` on paths matching ``path`` (slash optional)."""
        route = Route(method, re.compile(f"^{path}/?$"), handler, auth)
        self._routes.append(route)
        key = _pattern_segment(route.pattern.pattern)
        if key is None:
            self._unkeyed.append(route)
            for routes in self._by_segment.values():
                routes.append(route)
        else:
            if key not in self._by_segment:
                self._by_segment[key] = list(self._unkeyed)
            self._by_segment[key].append(route)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and path parameters for a request, or :class:`NoRoute`."""
        allowed: list[str] = []
        candidates = self._unkeyed
        if path.startswith("/api/"):
            candidates = self._by_segment.get(path[5:].partition("/")[0], self._unkeyed)
        for route in candidates:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, match.groupdict()
            if route.method not in allowed:
                allowed.append(route.method)
        raise NoRoute(tuple(allowed))


_KEYED = re.compile(r"\^/api/([A-Za-z0-9_-]+)/(?:\?\$$|(?![?*+{]))")


def _pattern_segment(pattern: str) -> str | None:
    r"""The path segment after ``/api/`` every match of ``pattern`` has, when the pattern
    starts with it literally (and has no alternation that could escape it).

    Examples:
        >>> _pattern_segment(r"^/api/tasks/(?P<id>\d+)/?$"), _pattern_segment(r"^/api/tasks/?$")
        ('tasks', 'tasks')
        >>> _pattern_segment(r"^/api/(?P<kind>tasks|jobs)/?$") is None
        True
        >>> _pattern_segment(r"^/api/task/?s/?$") is None
        True
    """
    match = _KEYED.match(pattern)
    return match.group(1) if match is not None and "|" not in pattern else None


def call(route: Route, srv: FakeServer, ctx: Ctx, params: dict[str, str]) -> HttpResponse:
    """Run ``route``'s handler."""
    return route.handler(srv, ctx, **params)
