"""The route table tries only the routes a path can match, and finds what trying every route
in order would find: the same handler and parameters, the same 405 ``Allow`` list."""

from __future__ import annotations

import re

import pytest

from cvatfn.http import HttpResponse
from cvatfn_fake import FakeServer
from cvatfn_fake._router import NoRoute, Route, Router

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
UUID = "0123abcd-0123-4567-89ab-0123456789ab"


def _every_route(routes: list[Route], method: str, path: str) -> object:
    """What the table answers when every route is tried, in the order they were added."""
    allowed: list[str] = []
    for route in routes:
        match = route.pattern.match(path)
        if match is None:
            continue
        if route.method == method or (method == "HEAD" and route.method == "GET"):
            return route, match.groupdict()
        if route.method not in allowed:
            allowed.append(route.method)
    return allowed


def _answer(router: Router, method: str, path: str) -> object:
    try:
        return router.resolve(method, path)
    except NoRoute as exc:
        return list(exc.allowed)


def _example(pattern: str) -> str:
    path = pattern.removeprefix("^").removesuffix("/?$")
    path = re.sub(r"\(\?P<file_id>[^)]*\)", UUID, path)
    path = re.sub(r"\(\?P<id>\\d\+\)", "7", path)
    return re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "some-key", path)


def _paths(routes: list[Route]) -> list[str]:
    paths = {"/", "/api", "/api/", "/api//tasks", "/apix/tasks", "/api/unknown/1", "/static/x"}
    for route in routes:
        path = _example(route.pattern.pattern)
        paths |= {path, path + "/", path + "/extra", path.replace("/7", "/x"), path.upper()}
    return sorted(paths)


def test_the_fake_servers_table_answers_as_trying_every_route() -> None:
    router = FakeServer().router
    routes = list(router._routes)  # pyright: ignore[reportPrivateUsage]
    paths = _paths(routes)
    assert len(paths) > 250
    found = 0
    for path in paths:
        for method in METHODS:
            expected = _every_route(routes, method, path)
            assert _answer(router, method, path) == expected, (method, path)
            found += isinstance(expected, tuple)
    assert found > 200  # most examples reach a handler


def _handler(name: str) -> object:
    def handle(srv: object, ctx: object, **params: str) -> HttpResponse:
        return HttpResponse(200, body=name.encode())

    return handle


@pytest.mark.parametrize(
    "path", ["/api/things", "/api/things/3", "/api/any/3", "/api/other", "/x/things", "/api/3"]
)
def test_routes_without_a_literal_segment_keep_their_place(path: str) -> None:
    router = Router()
    router.add("GET", r"/api/things/(?P<id>\d+)", _handler("thing"))  # type: ignore[arg-type]
    router.add("POST", r"/api/(?P<kind>\w+)/(?P<id>\d+)", _handler("any"))  # type: ignore[arg-type]
    router.add("PUT", r"/api/things/(?P<id>\d+)", _handler("put"))  # type: ignore[arg-type]
    router.add("GET", r"/api/(things|other)", _handler("alt"))  # type: ignore[arg-type]
    router.add("DELETE", r"/api/things", _handler("delete"))  # type: ignore[arg-type]
    router.add("GET", r"/(?:x|api)/things", _handler("x"))  # type: ignore[arg-type]
    routes = list(router._routes)  # pyright: ignore[reportPrivateUsage]
    for method in METHODS:
        assert _answer(router, method, path) == _every_route(routes, method, path)
