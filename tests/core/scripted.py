"""A transport driven by a plain function, for testing the core without a server."""

from __future__ import annotations

import json
from collections.abc import Callable

from cvatfn.http import HttpRequest, HttpResponse, TransportError

ABOUT_280 = {
    "name": "Computer Vision Annotation Tool",
    "description": "CVAT",
    "version": "2.80.0",
    "logo_url": "",
    "subtitle": "",
}


def json_response(
    status: int, body: object, headers: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    return HttpResponse(
        status, (("Content-Type", "application/vnd.cvat+json"), *headers), json.dumps(body).encode()
    )


class Scripted:
    """Answers each request with ``handler(request)`` and records what was sent.

    It is also a virtual clock: retries sleep instantly, and ``slept`` records each wait.
    """

    def __init__(self, handler: Callable[[HttpRequest], HttpResponse]) -> None:
        self.handler = handler
        self.sent: list[HttpRequest] = []
        self.slept: list[float] = []
        self.clock = 0.0

    def monotonic(self) -> float:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock += seconds

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return self.handler(request)


def refuse(kind: str = "connect") -> Callable[[HttpRequest], HttpResponse]:
    def handler(request: HttpRequest) -> HttpResponse:
        raise TransportError(kind, "refused", url=request.url)  # type: ignore[arg-type]

    return handler


def about_server(
    version: str = "2.80.0", *, https: str | None = None
) -> Callable[[HttpRequest], HttpResponse]:
    """A server that answers /api/server/about; ``https`` makes https:// fail with that kind."""

    def handler(request: HttpRequest) -> HttpResponse:
        if https is not None and request.url.startswith("https://"):
            raise TransportError(https, "TLS trouble", url=request.url)  # type: ignore[arg-type]
        if request.url.endswith("/api/server/about"):
            return json_response(200, {**ABOUT_280, "version": version})
        if request.url.endswith("/api/auth/login"):
            return json_response(
                200,
                {"key": "k"},
                (
                    ("Set-Cookie", "csrftoken=c1; Path=/"),
                    ("Set-Cookie", "sessionid=s1; HttpOnly; Path=/"),
                ),
            )
        return json_response(404, {"detail": "Not found."})

    return handler
