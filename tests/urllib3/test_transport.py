"""Urllib3Transport against real sockets: a plain-HTTP and a TLS ``http.server`` on loopback."""

from __future__ import annotations

import errno
import http.client
import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3
from urllib3 import exceptions as u3

from cvatfn.http import HttpRequest, HttpResponse, Transport, TransportError
from cvatfn_urllib3 import DEFAULT_USER_AGENT, Urllib3Transport


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = []) -> None:  # noqa: B006
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        payload = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("latin-1"),
        }
        self._send(200, json.dumps(payload).encode(), [("Content-Type", "application/json")])

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/cookies":
            self._send(
                200,
                b"{}",
                [
                    ("Set-Cookie", "csrftoken=abc; Path=/"),
                    ("Set-Cookie", "sessionid=xyz; HttpOnly"),
                    ("X-Other", "1"),
                ],
            )
        elif path == "/redirect":
            self._send(302, b"", [("Location", "/echo")])
        elif path == "/error":
            self._send(500, b'{"detail": "boom"}', [("Content-Type", "application/json")])
        elif path == "/slow-head":
            time.sleep(1.0)
            self._send(200, b"late")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            time.sleep(1.0)
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"only ten b")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/hangup":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/garbage":
            self.wfile.write(b"this is not HTTP\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/big":
            self._send(200, bytes(range(256)) * 1024)
        else:
            self._echo()

    do_POST = do_PUT = do_PATCH = do_DELETE = _echo


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hanging up on purpose (timeouts, TLS rejections) is expected


def _serve(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``host:port`` of a plain-HTTP server."""
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    yield from _serve(httpd)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("neither cryptography nor the openssl command is available")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate: tuple[Path, Path]) -> Iterator[str]:
    """``host:port`` of an HTTPS server with a self-signed certificate."""
    cert, key = certificate
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    yield from _serve(httpd)


@pytest.fixture
def transport() -> Iterator[Urllib3Transport]:
    with Urllib3Transport(connect_timeout=2.0, read_timeout=2.0) as t:
        yield t


def _echoed(response: HttpResponse) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.body)
    return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _error(transport: Urllib3Transport, request: HttpRequest) -> TransportError:
    with pytest.raises(TransportError) as info:
        transport.handle(request)
    assert type(info.value) is TransportError
    return info.value


# ---------------------------------------------------------------------------- responses


def test_is_a_transport(transport: Urllib3Transport) -> None:
    assert isinstance(transport, Transport)


def test_get(transport: Urllib3Transport, server: str) -> None:
    response = transport.handle(
        HttpRequest("GET", f"http://{server}/api/tasks?page=2", (("Accept", "application/json"),))
    )
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    echoed = _echoed(response)
    assert echoed["method"] == "GET"
    assert echoed["path"] == "/api/tasks?page=2"
    assert ["Accept", "application/json"] in echoed["headers"]
    assert ["User-Agent", DEFAULT_USER_AGENT] in echoed["headers"]
    assert DEFAULT_USER_AGENT.startswith("cvatfn/")


def test_user_agent_of_the_request_wins(server: str) -> None:
    with Urllib3Transport(user_agent="mine/1") as t:
        default = _echoed(t.handle(HttpRequest("GET", f"http://{server}/")))
        explicit = _echoed(
            t.handle(HttpRequest("GET", f"http://{server}/", (("user-agent", "theirs/2"),)))
        )
    assert ["User-Agent", "mine/1"] in default["headers"]
    agents = [v for k, v in explicit["headers"] if k.lower() == "user-agent"]
    assert agents == ["theirs/2"]


def test_post_with_body(transport: Urllib3Transport, server: str) -> None:
    body = json.dumps({"name": "task ü"}).encode()
    response = transport.handle(
        HttpRequest(
            "POST",
            f"http://{server}/api/tasks",
            (("Content-Type", "application/json"), ("X-Repeated", "a"), ("X-Repeated", "b")),
            body,
        )
    )
    echoed = _echoed(response)
    assert echoed["method"] == "POST"
    assert echoed["body"].encode("latin-1") == body
    assert ["Content-Length", str(len(body))] in echoed["headers"]
    assert [v for k, v in echoed["headers"] if k == "X-Repeated"] == ["a", "b"]


def test_empty_post_sends_content_length_zero(transport: Urllib3Transport, server: str) -> None:
    echoed = _echoed(transport.handle(HttpRequest("POST", f"http://{server}/api/auth/logout")))
    assert ["Content-Length", "0"] in echoed["headers"]
    assert echoed["body"] == ""


def test_repeated_set_cookie_headers_are_kept(transport: Urllib3Transport, server: str) -> None:
    response = transport.handle(HttpRequest("GET", f"http://{server}/cookies"))
    assert response.header_values("set-cookie") == (
        "csrftoken=abc; Path=/",
        "sessionid=xyz; HttpOnly",
    )
    assert response.header("x-other") == "1"


def test_redirect_is_not_followed(transport: Urllib3Transport, server: str) -> None:
    response = transport.handle(HttpRequest("GET", f"http://{server}/redirect"))
    assert response.status == 302
    assert response.header("location") == "/echo"


def test_server_error_is_a_response(transport: Urllib3Transport, server: str) -> None:
    response = transport.handle(HttpRequest("GET", f"http://{server}/error"))
    assert response.status == 500
    assert response.body == b'{"detail": "boom"}'
    assert not response.ok


def test_connections_are_reused_and_threads_share_a_transport(
    transport: Urllib3Transport, server: str
) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                results.append(transport.handle(HttpRequest("GET", f"http://{server}/big")).status)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [200] * 80


def test_stream(transport: Urllib3Transport, server: str) -> None:
    with transport.stream(HttpRequest("GET", f"http://{server}/big"), chunk_size=1000) as (
        head,
        chunks,
    ):
        assert head.status == 200
        assert head.body == b""
        pieces = list(chunks)
    assert b"".join(pieces) == bytes(range(256)) * 1024
    assert max(len(p) for p in pieces) <= 1000
    # Leaving early closes the connection; the transport keeps working.
    with transport.stream(HttpRequest("GET", f"http://{server}/big")) as (_, chunks):
        next(chunks)
    assert transport.handle(HttpRequest("GET", f"http://{server}/big")).status == 200


def test_stream_maps_errors_while_iterating(transport: Urllib3Transport, server: str) -> None:
    with transport.stream(HttpRequest("GET", f"http://{server}/truncated")) as (head, chunks):
        assert head.status == 200
        with pytest.raises(TransportError) as info:
            list(chunks)
    assert info.value.kind == "protocol"


# ---------------------------------------------------------------------------- failures


def test_nothing_listening_is_connect(transport: Urllib3Transport) -> None:
    err = _error(transport, HttpRequest("GET", f"http://127.0.0.1:{_free_port()}/api/x"))
    assert err.kind == "connect"
    assert err.url.endswith("/api/x")


def test_unresolvable_host_is_connect(
    transport: Urllib3Transport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real DNS lookup: without a network it could take seconds to fail.
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    err = _error(transport, HttpRequest("GET", "http://no-such-host.invalid/"))
    assert err.kind == "connect"
    assert "NameResolutionError" in err.message


def test_slow_head_is_timeout(server: str) -> None:
    with Urllib3Transport(read_timeout=0.2) as t:
        started = time.monotonic()
        err = _error(t, HttpRequest("GET", f"http://{server}/slow-head"))
    assert err.kind == "timeout"
    assert time.monotonic() - started < 0.9


def test_slow_body_is_timeout(server: str) -> None:
    with Urllib3Transport(read_timeout=0.2) as t:
        err = _error(t, HttpRequest("GET", f"http://{server}/slow-body"))
    assert err.kind == "timeout"


def test_close_mid_response_is_protocol(transport: Urllib3Transport, server: str) -> None:
    err = _error(transport, HttpRequest("GET", f"http://{server}/truncated"))
    assert err.kind == "protocol"


def test_hangup_without_response_is_protocol(transport: Urllib3Transport, server: str) -> None:
    err = _error(transport, HttpRequest("GET", f"http://{server}/hangup"))
    assert err.kind == "protocol"


def test_not_http_is_protocol(transport: Urllib3Transport, server: str) -> None:
    err = _error(transport, HttpRequest("GET", f"http://{server}/garbage"))
    assert err.kind == "protocol"


def test_https_to_plain_http_is_tls_handshake(transport: Urllib3Transport, server: str) -> None:
    err = _error(transport, HttpRequest("GET", f"https://{server}/"))
    assert err.kind == "tls_handshake"


def test_self_signed_certificate_is_tls_certificate(
    transport: Urllib3Transport, tls_server: str
) -> None:
    err = _error(transport, HttpRequest("GET", f"https://{tls_server}/"))
    assert err.kind == "tls_certificate"


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_self_signed_certificate_without_verification(tls_server: str) -> None:
    with Urllib3Transport(verify_ssl=False) as t:
        response = t.handle(HttpRequest("GET", f"https://{tls_server}/cookies"))
    assert response.status == 200
    assert len(response.header_values("set-cookie")) == 2


def test_self_signed_certificate_trusted_through_ca_certs(
    tls_server: str, certificate: tuple[Path, Path]
) -> None:
    with Urllib3Transport(ca_certs=str(certificate[0])) as t:
        response = t.handle(HttpRequest("POST", f"https://{tls_server}/echo", body=b"x"))
    assert _echoed(response)["body"] == "x"


def test_plain_http_to_tls_port_is_protocol(transport: Urllib3Transport, tls_server: str) -> None:
    err = _error(transport, HttpRequest("GET", f"http://{tls_server}/"))
    assert err.kind in {"protocol", "connect"}


# ---------------------------------------------------------------------------- sent or not sent
#
# ``connect`` promises that the request was not sent (a POST may be sent again); a connection
# that breaks after it was established is ``protocol`` (the server may have acted on it).


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class RawServer:
    """A TCP listener on loopback that treats every connection with ``behaviour``; it records
    the bytes each connection received before it ended."""

    def __init__(self, behaviour: Callable[[socket.socket], bytes]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.behaviour = behaviour
        self.received: list[bytes] = []
        self._recorded = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def first(self) -> bytes:
        """What the first connection received, once its behaviour has finished (the client
        may see a reset before the server's thread has recorded anything)."""
        with self._recorded:
            self._recorded.wait_for(lambda: bool(self.received), timeout=10)
        return self.received[0]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.listener.getsockname()[1]}"

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                got = self.behaviour(conn)
            except OSError:
                got = b""
                conn.close()
            with self._recorded:
                self.received.append(got)
                self._recorded.notify_all()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], bytes]], RawServer]]:
    servers: list[RawServer] = []

    def start(behaviour: Callable[[socket.socket], bytes]) -> RawServer:
        servers.append(RawServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _close_at_once(conn: socket.socket) -> bytes:
    conn.close()
    return b""


def _read_then_reset(conn: socket.socket) -> bytes:
    head = _read_head(conn)
    _reset(conn)
    return head


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_closed_without_an_answer_is_protocol(
    raw_server: Callable[[Callable[[socket.socket], bytes]], RawServer], method: str
) -> None:
    server = raw_server(_close_at_once)
    with Urllib3Transport(connect_timeout=2.0, read_timeout=2.0) as t:
        err = _error(t, HttpRequest(method, f"http://{server.address}/api/tasks", body=b"{}"))
    assert err.kind == "protocol"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_reset_after_the_request_was_read_is_protocol(
    raw_server: Callable[[Callable[[socket.socket], bytes]], RawServer], method: str
) -> None:
    server = raw_server(_read_then_reset)
    with Urllib3Transport(connect_timeout=2.0, read_timeout=2.0) as t:
        err = _error(t, HttpRequest(method, f"http://{server.address}/api/tasks", body=b"{}"))
    assert err.kind == "protocol"
    assert server.first().startswith(f"{method} /api/tasks HTTP/1.1".encode())


def test_reset_after_a_tls_request_was_read_is_protocol(
    raw_server: Callable[[Callable[[socket.socket], bytes]], RawServer],
    certificate: tuple[Path, Path],
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)

    def behaviour(conn: socket.socket) -> bytes:
        tls = context.wrap_socket(conn, server_side=True)
        return _read_then_reset(tls)

    server = raw_server(behaviour)
    with Urllib3Transport(ca_certs=str(certificate[0]), connect_timeout=2.0) as t:
        err = _error(t, HttpRequest("POST", f"https://{server.address}/api/tasks", body=b"{}"))
    assert err.kind == "protocol"
    assert server.first().startswith(b"POST /api/tasks HTTP/1.1")


def _reset_during_handshake(conn: socket.socket) -> bytes:
    hello = conn.recv(65536)  # the client's TLS ClientHello; no answer
    _reset(conn)
    return hello


def test_reset_during_the_tls_handshake_is_tls_handshake(
    raw_server: Callable[[Callable[[socket.socket], bytes]], RawServer],
) -> None:
    server = raw_server(_reset_during_handshake)
    with Urllib3Transport(connect_timeout=2.0, read_timeout=2.0) as t:
        err = _error(t, HttpRequest("POST", f"https://{server.address}/api/tasks", body=b"{}"))
    assert err.kind == "tls_handshake"
    assert "reset" in err.message.lower()
    assert server.first()[:1] == b"\x16"  # a TLS handshake record, not the request


def test_reset_during_the_tls_handshake_with_a_borrowed_pool_is_protocol(
    raw_server: Callable[[Callable[[socket.socket], bytes]], RawServer],
) -> None:
    """A pool passed in has urllib3's own connections, which report this reset exactly like
    a reset after sending; in doubt, the kind must not promise that nothing was sent."""
    server = raw_server(_reset_during_handshake)
    pool = urllib3.PoolManager()
    with Urllib3Transport(pool=pool, connect_timeout=2.0, read_timeout=2.0) as t:
        err = _error(t, HttpRequest("POST", f"https://{server.address}/api/tasks", body=b"{}"))
    pool.clear()
    assert err.kind == "protocol"


def test_refused_is_connect_for_every_method() -> None:
    with Urllib3Transport(connect_timeout=2.0) as t:
        for method in ("GET", "POST", "PATCH"):
            err = _error(t, HttpRequest(method, f"http://127.0.0.1:{_free_port()}/", body=b"x"))
            assert err.kind == "connect"
            https = _error(t, HttpRequest(method, f"https://127.0.0.1:{_free_port()}/"))
            assert https.kind == "connect"


# ---------------------------------------------------------------------------- mapping table


class RaisingPool(urllib3.PoolManager):
    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def request(self, *args: Any, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        raise self.exc


_pool = urllib3.HTTPConnectionPool("h")
_no_conn: Any = None


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            u3.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")),
            "tls_certificate",
        ),
        (
            u3.MaxRetryError(_pool, "/", u3.SSLError(ssl.SSLCertVerificationError(1, "x"))),
            "tls_certificate",
        ),
        (
            u3.SSLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")),
            "tls_handshake",
        ),
        (
            u3.NameResolutionError("h", _no_conn, socket.gaierror(-2, "Name not known")),
            "connect",
        ),
        (u3.NewConnectionError(_no_conn, "refused"), "connect"),
        (u3.MaxRetryError(_pool, "/", u3.NewConnectionError(_no_conn, "refused")), "connect"),
        (u3.ConnectTimeoutError(None, "timed out"), "timeout"),
        (u3.ReadTimeoutError(_pool, "/", "Read timed out."), "timeout"),
        (
            u3.ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed")),
            "protocol",
        ),
        (u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")), "protocol"),
        (u3.ProtocolError("Connection aborted.", BrokenPipeError(32, "pipe")), "protocol"),
        (u3.ProtocolError("Connection aborted.", ConnectionAbortedError(103, "x")), "protocol"),
        (u3.ProtocolError("Connection aborted.", OSError(errno.EPIPE, "pipe")), "protocol"),
        (
            u3.ProtocolError("Connection aborted.", ConnectionRefusedError(111, "refused")),
            "connect",
        ),
        (
            u3.ProtocolError("Connection broken: IncompleteRead", http.client.IncompleteRead(b"")),
            "protocol",
        ),
        (u3.ProxyError("proxy down", OSError("x")), "connect"),
        (u3.LocationParseError("http://[::1"), "protocol"),
        (u3.DecodeError("bad gzip"), "protocol"),
        (ConnectionRefusedError(111, "refused"), "connect"),
        (TimeoutError("timed out"), "timeout"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "connect"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "connect"),
        (ConnectionResetError(104, "reset"), "protocol"),
        (OSError("something without an errno"), "protocol"),
        (RuntimeError("a bug in a pool"), "protocol"),
        (KeyError("a bug in a pool"), "protocol"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_exception_mapping(exc: BaseException, kind: str) -> None:
    transport = Urllib3Transport(pool=RaisingPool(exc))
    err = _error(transport, HttpRequest("GET", "http://h/api"))
    assert err.kind == kind
    assert err.url == "http://h/api"
    assert err.__cause__ is exc


def test_borrowed_pool_is_left_open(server: str) -> None:
    pool = urllib3.PoolManager()
    with Urllib3Transport(pool=pool) as t:
        t.handle(HttpRequest("GET", f"http://{server}/"))
    assert len(pool.pools) == 1
    pool.clear()


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="timeouts"):
        Urllib3Transport(read_timeout=0)
    with pytest.raises(ValueError, match="maxsize"):
        Urllib3Transport(maxsize=0)
