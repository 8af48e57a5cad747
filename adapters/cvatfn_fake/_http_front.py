"""Serve a :class:`FakeServer` over real HTTP on loopback.

Theory of operation
-------------------
:func:`serve` starts a stdlib ``ThreadingHTTPServer`` in a daemon thread. Each connection
speaks HTTP/1.1 with keep-alive: request bodies are read by ``Content-Length`` (or chunked
transfer coding), every response carries exactly one ``Content-Length``, the length of the body
it sends, and ``HEAD`` answers carry the headers of the corresponding ``GET`` (its
``Content-Length`` included) without a body. The request URL handed to the fake
server is rebuilt from the ``Host`` header, so the absolute URLs CVAT puts in its responses
(``url`` fields, ``next`` pages, TUS ``Location``) point back at the address the client used.
The ``Date`` header tells the served :class:`FakeServer`'s own time (its virtual clock by
default, like the dates in its bodies and cookies) and ``Server`` is the constant
``cvatfn_fake``, so the same requests get byte-identical answers from any run on any port.

What is served is any object with ``handle(HttpRequest) -> HttpResponse`` (a
:class:`cvatfn.http.Transport`): a :class:`FakeServer` itself, or a wrapper around one, such
as a transport that validates every exchange against CVAT's contract::

    server = FakeServer()
    checked = ValidatingTransport(server.transport())   # tests/contract/openapi.py
    with serve(checked) as handle:
        ...  # drive any HTTP client at handle.url
    checked.assert_clean()

Locking: the handler threads call ``app.handle`` one exchange at a time, under one lock, so
neither the app nor a wrapper needs to be thread-safe. For a :class:`FakeServer` that lock is
the server's own re-entrant ``lock`` (which its public methods also take), taken by
``FakeServer.exchange`` itself, which sleeps an injected latency before taking it; for
anything else it is a lock owned by this front. Serving one :class:`FakeServer` through two
fronts, or through a front and in-process at the same time, stays safe because the server
takes its lock in any case. If ``app.handle`` raises, the client gets a 500 with a
plain-text body naming the exception (the fake server itself never raises).

Injected faults (``server.faults``) reach the wire as they would from a real deployment: an
error status is an ordinary answer; a dropped connection sends the status line, the headers
(with the full ``Content-Length``) and the part of the body that got through, or nothing at
all, then closes the socket. A wrapper around ``server.transport()`` passes a drop on as a
:class:`~cvatfn_fake._faults.DroppedConnection`, which the front turns into the same closed
socket. Latency is slept for real in the serving thread: for a :class:`FakeServer` outside
its lock, so slow answers overlap; for a wrapper inside the front's lock, one at a time.
"""

from __future__ import annotations

import math
import ssl
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast

from cvatfn.http import HttpRequest, HttpResponse, Transport

from ._faults import Dropped, DroppedConnection, wall_clock
from ._server import FakeServer

__all__ = ["ServerHandle", "serve"]

_ONE_WRITE = 1 << 16
"""Bodies up to this many bytes leave with the head, in one write (one segment, one system
call); larger ones are written after it, so that they are not copied."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app: Transport
    lock: AbstractContextManager[object]
    clock: Callable[[], float]
    scheme: str = "http"
    server_version = "cvatfn_fake"
    sys_version = ""
    # A large body leaves in a write of its own, after the head; with Nagle's algorithm it
    # would wait for the client's delayed ACK of the head (~40 ms per response on loopback).
    disable_nagle_algorithm = True
    _date: tuple[float, str] = (math.nan, "")
    """The last ``Date`` written, by timestamp (a virtual clock gives the same one often)."""

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        moment = self.clock() if timestamp is None else timestamp
        last, text = self._date
        if last != moment:
            text = super().date_time_string(moment)
            type(self)._date = (moment, text)
        return text

    def log_message(self, format: str, *args: object) -> None:
        return

    def handle(self) -> None:
        try:
            super().handle()
        except ssl.SSLError:
            # Over HTTPS: a client that rejects the certificate, or does not speak TLS, ends
            # the handshake. There is nothing to answer, and nothing to report.
            self.close_connection = True

    def _body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(chunks)
                chunks += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._body()
        address = cast(tuple[str, int], self.server.server_address)
        host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
        request = HttpRequest(
            self.command,
            f"{self.scheme}://{host}{self.path}",
            tuple((k, v) for k, v in self.headers.items()),
            body,
        )
        answer = self._handle(request)
        if isinstance(answer, Dropped):
            self._drop(answer)
            return
        response = answer
        self._write(response, b"" if self.command == "HEAD" else response.body)

    def _drop(self, dropped: Dropped) -> None:
        """An injected drop: the head and the part of the body that got through (or nothing
        at all), then the connection closes."""
        self.close_connection = True
        if dropped.response is not None:
            self._write(dropped.response, dropped.delivered)
        self.wfile.flush()

    def _write(self, response: HttpResponse, body: bytes) -> None:
        """Send the head of ``response``, then ``body``: in one write unless it is large."""
        head = self._head(response)
        if len(body) <= _ONE_WRITE:
            self.wfile.write(head + body)
        else:
            self.wfile.write(head)
            self.wfile.write(body)

    def _head(self, response: HttpResponse) -> bytes:
        """The status line and headers ``send_response``, ``send_header`` and ``end_headers``
        would write (nothing at all to an HTTP/0.9 request)."""
        self.log_request(response.status)
        if self.request_version == "HTTP/0.9":
            return b""
        # A HEAD answer has no body to measure: it keeps the GET's length the app declared.
        declared = response.header("content-length") if self.command == "HEAD" else None
        length = declared or str(len(response.body))
        phrase = self.responses[response.status][0] if response.status in self.responses else ""
        lines = [
            f"{self.protocol_version} {response.status} {phrase}\r\n",
            f"Server: {self.version_string()}\r\nDate: {self.date_time_string()}\r\n",
        ]
        for name, value in response.headers:
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {length}\r\n\r\n")
        return "".join(lines).encode("latin-1", "strict")

    def _handle(self, request: HttpRequest) -> HttpResponse | Dropped:
        try:
            with wall_clock():  # latency is slept for real: the client waits on real time
                if isinstance(self.app, FakeServer):
                    return self.app.exchange(request)  # takes the server's lock itself
                with self.lock:
                    return self.app.handle(request)
        except DroppedConnection as exc:  # an injected drop, through a wrapper
            return exc.dropped
        except Exception as exc:  # a wrapper's bug must still produce an HTTP answer
            traceback.print_exc()
            message = f"cvatfn_fake: the served app raised {type(exc).__name__}: {exc}\n"
            return HttpResponse(
                500, (("Content-Type", "text/plain; charset=utf-8"),), message.encode()
            )

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_HEAD = _serve
    do_OPTIONS = _serve


class ServerHandle:
    """A running HTTP front; use as a context manager or call :meth:`close`.

    Examples:
        >>> import urllib.request
        >>> with serve(FakeServer()) as handle:
        ...     urllib.request.urlopen(handle.url + "/api/server/about").status
        200
    """

    def __init__(
        self,
        httpd: ThreadingHTTPServer,
        thread: threading.Thread,
        app: Transport,
        scheme: str = "http",
    ) -> None:
        self.app = app
        """What is served: the :class:`FakeServer` or the wrapper given to :func:`serve`."""
        self._httpd = httpd
        self._thread = thread
        host, port = cast(tuple[str, int], httpd.server_address)[:2]
        self.host = str(host)
        self.port = int(port)
        self.url = f"{scheme}://{self.host}:{self.port}"

    def close(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(
    app: Transport,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Callable[[], float] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> ServerHandle:
    """Serve ``app`` over HTTP in a background thread (``port=0`` picks a free port).

    ``app`` is a :class:`FakeServer` or any object with ``handle(HttpRequest) ->
    HttpResponse`` (a :class:`cvatfn.http.Transport`), e.g. a wrapper around
    ``server.transport()`` that validates or records every exchange. Exchanges reach ``app``
    one at a time (see the module docstring for the locking). ``clock`` (seconds since the
    epoch) dates the answers; by default a :class:`FakeServer`'s own clock, else the wall
    clock. With ``ssl_context`` (a server-side :class:`ssl.SSLContext` holding a certificate)
    it serves HTTPS: the handle's ``url`` and the URLs in the answers start with ``https://``.

    Examples:
        >>> import urllib.request
        >>> class Counting:
        ...     def __init__(self, inner: Transport) -> None:
        ...         self.inner, self.count = inner, 0
        ...     def handle(self, request: HttpRequest) -> HttpResponse:
        ...         self.count += 1
        ...         return self.inner.handle(request)
        >>> counting = Counting(FakeServer().transport())
        >>> with serve(counting) as handle:
        ...     urllib.request.urlopen(handle.url + "/api/server/about").status
        200
        >>> counting.count
        1
        >>> with serve(FakeServer()) as handle:  # dated by the fake's virtual clock
        ...     urllib.request.urlopen(handle.url + "/api/server/about").headers["Date"]
        'Thu, 01 Jan 2026 00:00:00 GMT'
    """
    lock: AbstractContextManager[object] = (
        app.lock if isinstance(app, FakeServer) else threading.RLock()
    )
    if clock is None:
        clock = app.now if isinstance(app, FakeServer) else time.time
    scheme = "http" if ssl_context is None else "https"
    handler = type(
        "FakeHandler",
        (_Handler,),
        {"app": app, "lock": lock, "clock": staticmethod(clock), "scheme": scheme},
    )
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    if ssl_context is not None:
        # The handshake runs on the first read, in the connection's own thread, so a client
        # that never completes it cannot stall the accepting thread.
        httpd.socket = ssl_context.wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False
        )
    # A short poll interval makes close() (shutdown) return in ~50 ms instead of ~500 ms.
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.05,), name="cvatfn_fake-http", daemon=True
    )
    thread.start()
    return ServerHandle(httpd, thread, app, scheme)
