"""Serve a :class:`FakeServer` over real HTTP on loopback.

Theory of operation
-------------------
:func:`serve` starts a stdlib ``ThreadingHTTPServer`` in a daemon thread. Each connection
speaks HTTP/1.1 with keep-alive: request bodies are read by ``Content-Length`` (or chunked
transfer coding), every response carries a ``Content-Length``, and ``HEAD`` answers carry
the headers of the corresponding ``GET`` without a body. The request URL handed to the fake
server is rebuilt from the ``Host`` header, so the absolute URLs CVAT puts in its responses
(``url`` fields, ``next`` pages, TUS ``Location``) point back at the address the client used.
The server's own lock serialises access to its state.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast

from cvatfn.http import HttpRequest

from ._server import FakeServer

__all__ = ["ServerHandle", "serve"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeServer
    server_version = "cvatfn_fake"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        return

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
            f"http://{host}{self.path}",
            tuple((k, v) for k, v in self.headers.items()),
            body,
        )
        response = self.fake.handle(request)
        self.send_response(response.status)
        length = response.header("content-length") or str(len(response.body))
        for name, value in response.headers:
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_HEAD = _serve
    do_OPTIONS = _serve


class ServerHandle:
    """A running HTTP front; use as a context manager or call :meth:`close`.

    Example:
        >>> import urllib.request
        >>> with serve(FakeServer()) as handle:
        ...     urllib.request.urlopen(handle.url + "/api/server/about").status
        200
    """

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        host, port = cast(tuple[str, int], httpd.server_address)[:2]
        self.host = str(host)
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}"

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


def serve(server: FakeServer, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Serve ``server`` over HTTP in a background thread (``port=0`` picks a free port)."""
    handler = type("FakeHandler", (_Handler,), {"fake": server})
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="cvatfn_fake-http", daemon=True)
    thread.start()
    return ServerHandle(httpd, thread)
