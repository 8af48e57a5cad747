"""HTTP value types shared by the core, the transports and the fake server.

Theory of operation
-------------------
cvatfn's core never performs I/O. It describes each exchange with the server as an
:class:`HttpRequest` value and receives an :class:`HttpResponse` value back. Whatever
moves the bytes is a :class:`Transport`: an object with a single method,
``handle(request) -> response``. A transport raises only :class:`TransportError`, whose
``kind`` tells connection, timeout, TLS and protocol failures apart; it never leaks the
exceptions of the library it wraps.

These types are the only code that the fake CVAT server shares with the client, so that a
mistake in the client's models cannot be mirrored by the fake server and hidden.

Examples:
    >>> request = HttpRequest("GET", "http://localhost:8080/api/server/about")
    >>> request.header("accept") is None
    True
    >>> response = HttpResponse(200, (("Content-Type", "application/json"),), b"{}")
    >>> response.header("content-type")
    'application/json'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Literal, Protocol, runtime_checkable

import msgspec

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "Headers",
    "HttpRequest",
    "HttpResponse",
    "StreamingTransport",
    "Transport",
    "TransportError",
    "TransportErrorKind",
    "VirtualClock",
    "redact_headers",
]

Headers = tuple[tuple[str, str], ...]
"""Header pairs in order. Names compare case-insensitively; repeated names are allowed."""

SENSITIVE_HEADERS: frozenset[str] = frozenset(
    {"authorization", "cookie", "set-cookie", "x-csrftoken", "proxy-authorization"}
)
"""Header names (lower case) whose values never appear in a repr, a log or an error."""

REDACTED = "<redacted>"


def redact_headers(headers: Headers) -> Headers:
    """Return ``headers`` with the values of sensitive headers replaced.

    Examples:
        >>> redact_headers((("Cookie", "sessionid=s3cret"), ("Accept", "*/*")))
        (('Cookie', '<redacted>'), ('Accept', '*/*'))
    """
    return tuple(
        (name, REDACTED if name.lower() in SENSITIVE_HEADERS else value) for name, value in headers
    )


def _find_header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _find_all(headers: Headers, name: str) -> tuple[str, ...]:
    wanted = name.lower()
    return tuple(value for key, value in headers if key.lower() == wanted)


class HttpRequest(msgspec.Struct, frozen=True):
    """One HTTP request: method, absolute URL, headers and body.

    ``repr``, ``str`` and ``rich``'s pretty-printing never show sensitive header values or the
    body.

    Examples:
        >>> r = HttpRequest("POST", "http://h/api/auth/login", (("Cookie", "a=b"),), b"{}")
        >>> "a=b" in repr(r)
        False
    """

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _find_header(self.headers, name)

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return _find_all(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"HttpRequest(method={self.method!r}, url={self.url!r}, "
            f"headers={redact_headers(self.headers)!r}, body=<{len(self.body)} bytes>)"
        )

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, object]]:
        """What ``rich`` pretty-prints: the repr's fields, not msgspec's raw ones."""
        return [
            ("method", self.method),
            ("url", self.url),
            ("headers", redact_headers(self.headers)),
            ("body", f"<{len(self.body)} bytes>"),
        ]


class HttpResponse(msgspec.Struct, frozen=True):
    """One HTTP response: status, headers and body.

    Examples:
        >>> HttpResponse(204).ok
        True
        >>> HttpResponse(404, body=b'{"detail": "Not found."}').ok
        False
    """

    status: int
    headers: Headers = ()
    body: bytes = b""

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _find_header(self.headers, name)

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order (e.g. ``Set-Cookie``)."""
        return _find_all(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"HttpResponse(status={self.status}, headers={redact_headers(self.headers)!r}, "
            f"body=<{len(self.body)} bytes>)"
        )

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, object]]:
        """What ``rich`` pretty-prints: the repr's fields, not msgspec's raw ones."""
        return [
            ("status", self.status),
            ("headers", redact_headers(self.headers)),
            ("body", f"<{len(self.body)} bytes>"),
        ]


TransportErrorKind = Literal[
    "connect", "timeout", "tls_handshake", "tls_certificate", "protocol", "not_recorded"
]
"""Why a transport failed.

- ``connect``: the request was certainly not sent: the connection was refused, the name does
  not resolve, the network or host is unreachable. Sending any method again is safe.
- ``timeout``: the connect or read timeout elapsed. After a read timeout the request may have
  been sent.
- ``tls_handshake``: the TLS handshake failed for a reason other than the certificate (the
  peer does not speak TLS at all, or reset or closed the connection during the handshake);
  the request was not sent. Scheme deduction may fall back to http.
- ``tls_certificate``: the peer's certificate could not be verified. Never a reason to fall back.
- ``protocol``: the connection was reset, aborted or closed once established (while the
  request was sent, while its answer was awaited, or mid-response), or the peer answered with
  something that is not valid HTTP. The request may have reached the server.
- ``not_recorded``: a replaying transport (a cassette) holds no answer for the request. Unlike
  the others, this never heals: no retry is attempted.
"""


class TransportError(Exception):
    """The only exception a :class:`Transport` may raise.

    Examples:
        >>> err = TransportError("connect", "connection refused", url="http://127.0.0.1:9")
        >>> err.kind
        'connect'
    """

    def __init__(self, kind: TransportErrorKind, message: str, *, url: str = "") -> None:
        super().__init__(f"{kind}: {message}" + (f" ({url})" if url else ""))
        self.kind: TransportErrorKind = kind
        self.message = message
        self.url = url


@runtime_checkable
class Transport(Protocol):
    """Anything that turns an :class:`HttpRequest` into an :class:`HttpResponse`.

    ``handle`` must raise only :class:`TransportError`. Redirects are not followed by the
    transport: the core decides what to do with a 3xx.
    """

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and return the whole response."""
        ...


@runtime_checkable
class StreamingTransport(Transport, Protocol):
    """Optional: a transport that can also hand over a response body piece by piece.

    ``stream(request, chunk_size=...)`` is a context manager that sends ``request`` and yields
    ``(head, chunks)``: an :class:`HttpResponse` with the status and headers and an empty body,
    and an iterator over the body in pieces of at most ``chunk_size`` bytes. Entering it and
    iterating may raise :class:`TransportError` and nothing else; leaving it releases the
    connection whether or not the body was read to the end.

    cvatfn's runner uses it for downloads, so a large file never sits in memory whole; with a
    transport that has only ``handle`` (the fake server's in-process one), it falls back to
    ``handle`` and cuts the body it got into the same pieces.
    ``cvatfn_urllib3.Urllib3Transport`` implements it.

    Examples:
        >>> from contextlib import contextmanager
        >>> class Canned:
        ...     def handle(self, request: HttpRequest) -> HttpResponse:
        ...         return HttpResponse(200, body=b"abc")
        ...     @contextmanager
        ...     def stream(self, request: HttpRequest, *, chunk_size: int = 2):
        ...         yield HttpResponse(200), iter([b"ab", b"c"])
        >>> isinstance(Canned(), StreamingTransport)
        True
    """

    def stream(
        self, request: HttpRequest, *, chunk_size: int = ...
    ) -> AbstractContextManager[tuple[HttpResponse, Iterator[bytes]]]:
        """Send ``request``; yield its head and an iterator over its body."""
        ...


@runtime_checkable
class VirtualClock(Protocol):
    """Optional: a transport that also keeps time.

    When the session's transport implements these two methods, cvatfn's runner reads the
    time and sleeps through them instead of the real clock. The fake server's in-process
    transport does, so polling a background request costs no wall time and is deterministic.

    Examples:
        >>> class Frozen:
        ...     def monotonic(self) -> float: return 0.0
        ...     def sleep(self, seconds: float) -> None: pass
        >>> isinstance(Frozen(), VirtualClock)
        True
    """

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on this clock."""
        ...
