"""Fault injection over real sockets: the fake server's HTTP front and cvatfn's urllib3
transport, in a thread and as ``python -m cvatfn_fake`` with the plan's command-line flags.

A dropped connection must reach the client as urllib3 reports a peer that hung up (a
``TransportError`` of kind ``protocol``, before the head or mid-body), and a fault status
arrives as an ordinary answer with its headers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn_fake import FakeServer, serve
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.integration.fake_process import fake_http_server

pytestmark = pytest.mark.http

ADMIN = (("Authorization", "Basic YWRtaW46YWRtaW4="),)
TUS = (("Tus-Resumable", "1.0.0"),)


@pytest.fixture
def http() -> Iterator[Urllib3Transport]:
    with Urllib3Transport(connect_timeout=5, read_timeout=10) as transport:
        yield transport


def call(
    transport: Urllib3Transport,
    method: str,
    url: str,
    body: object = None,
    headers: tuple[tuple[str, str], ...] = ADMIN,
    raw: bytes = b"",
) -> HttpResponse:
    if body is not None:
        raw = json.dumps(body).encode()
        headers = (*headers, ("Content-Type", "application/json"))
    return transport.handle(HttpRequest(method, url, headers, raw))


def project_names(transport: Urllib3Transport, url: str) -> list[str]:
    listed = json.loads(call(transport, "GET", url + "/api/projects").body)
    return [project["name"] for project in listed["results"]]


def test_a_503_with_retry_after_arrives_with_its_header(http: Urllib3Transport) -> None:
    server = FakeServer()
    server.faults.fail_next(status=503, retry_after="3", count=2)
    with serve(server) as handle:
        for _ in range(2):
            answer = call(http, "GET", handle.url + "/api/server/about")
            assert (answer.status, answer.header("Retry-After")) == (503, "3")
            assert b"503 Service Temporarily Unavailable" in answer.body
            assert answer.header("Content-Type") == "text/html"
        assert call(http, "GET", handle.url + "/api/server/about").status == 200


def test_a_429_over_the_wire(http: Urllib3Transport) -> None:
    server = FakeServer()
    server.faults.fail_next(status=429, retry_after="1", method="POST")
    with serve(server) as handle:
        answer = call(http, "POST", handle.url + "/api/projects", {"name": "p"})
    assert (answer.status, answer.header("Retry-After")) == (429, "1")
    assert json.loads(answer.body) == {
        "detail": "Request was throttled. Expected available in 1 second."
    }
    assert server.state.projects == {}


def test_a_drop_before_answering_is_a_protocol_error(http: Urllib3Transport) -> None:
    server = FakeServer()
    server.faults.drop_next(method="POST", phase="before")
    with serve(server) as handle:
        with pytest.raises(TransportError) as raised:
            call(http, "POST", handle.url + "/api/projects", {"name": "lost"})
        assert raised.value.kind == "protocol"
        assert project_names(http, handle.url) == []  # the pool reconnects
    assert server.faults.injected["drop"] == 1


def test_a_drop_after_processing_cuts_the_body(http: Urllib3Transport) -> None:
    server = FakeServer()
    server.faults.drop_next(method="POST")
    with serve(server) as handle:
        with pytest.raises(TransportError) as raised:
            call(http, "POST", handle.url + "/api/projects", {"name": "made"})
        assert raised.value.kind == "protocol"
        assert project_names(http, handle.url) == ["made"]


def read_stream(
    transport: Urllib3Transport,
    request: HttpRequest,
    heads: list[HttpResponse],
    received: bytearray,
) -> None:
    with transport.stream(request, chunk_size=32) as (head, chunks):
        heads.append(head)
        for chunk in chunks:
            received += chunk


def test_a_streamed_body_stops_where_the_connection_was_cut(http: Urllib3Transport) -> None:
    server = FakeServer()
    with serve(server) as handle:
        request = HttpRequest("GET", handle.url + "/api/server/about")
        whole = http.handle(request).body
        server.faults.drop_next(path="about")
        heads: list[HttpResponse] = []
        received = bytearray()
        with pytest.raises(TransportError) as raised:
            read_stream(http, request, heads, received)
    assert raised.value.kind == "protocol"
    assert [(h.status, h.header("Content-Length")) for h in heads] == [(200, str(len(whole)))]
    # urllib3 hands over what it read before the short read; it may keep back the last piece.
    assert 0 < len(received) <= len(whole) // 2
    assert whole.startswith(bytes(received))


def test_on_the_wire_a_drop_sends_the_head_and_half_the_body() -> None:
    server = FakeServer()
    with serve(server) as handle:
        request = b"GET /api/server/about HTTP/1.1\r\nHost: fake\r\n\r\n"
        whole = wire(handle.port, request)
        server.faults.drop_next()
        cut = wire(handle.port, request)
        server.faults.drop_next(phase="before")
        nothing = wire(handle.port, request)
    head, _, body = whole.partition(b"\r\n\r\n")
    cut_head, _, cut_body = cut.partition(b"\r\n\r\n")
    assert cut_head == head  # the same status line and headers, the full Content-Length
    assert cut_body == body[: len(body) // 2]
    assert nothing == b""


def wire(port: int, request: bytes) -> bytes:
    """Send ``request`` on a new connection and read until the server closes it (each
    request asks for the connection to close, so a whole answer ends with EOF too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        received = bytearray()
        while data := connection.recv(65536):
            received += data
    return bytes(received)


def test_a_wrapped_app_drops_the_connection_too(http: Urllib3Transport) -> None:
    server = FakeServer()
    checked = ValidatingTransport(server.transport())
    server.faults.drop_next(phase="before")
    server.faults.drop_next()
    with serve(checked) as handle:
        for _ in range(2):
            with pytest.raises(TransportError) as raised:
                call(http, "GET", handle.url + "/api/users/self")
            assert raised.value.kind == "protocol"
        assert call(http, "GET", handle.url + "/api/users/self").status == 200
    assert checked.violations == []


def noise_png(size: tuple[int, int] = (180, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(2).randbytes(size[0] * size[1] * 3)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def test_a_cut_tus_chunk_resumes_over_http(http: Urllib3Transport) -> None:
    blob = noise_png()
    server = FakeServer()
    with serve(server) as handle:
        task = json.loads(
            call(
                http, "POST", handle.url + "/api/tasks", {"name": "t", "labels": [{"name": "a"}]}
            ).body
        )
        data = f"{handle.url}/api/tasks/{task['id']}/data/"
        assert call(http, "POST", data, headers=(*ADMIN, ("Upload-Start", ""))).status == 202
        meta = "filename " + base64.b64encode(b"noise.png").decode()
        created = call(
            http,
            "POST",
            data,
            headers=(*ADMIN, *TUS, ("Upload-Length", str(len(blob))), ("Upload-Metadata", meta)),
        )
        location = created.header("Location") or ""
        assert location.startswith(handle.url)
        chunk_headers = (*ADMIN, *TUS, ("Content-Type", "application/offset+octet-stream"))
        server.faults.cut_next_tus_patch(accept=0.4, then="drop")
        with pytest.raises(TransportError) as raised:
            call(
                http, "PATCH", location, headers=(*chunk_headers, ("Upload-Offset", "0")), raw=blob
            )
        assert raised.value.kind == "protocol"
        head = call(http, "HEAD", location, headers=(*ADMIN, *TUS))
        offset = int(head.header("Upload-Offset") or "-1")
        assert offset == int(len(blob) * 0.4)
        rest = call(
            http,
            "PATCH",
            location,
            headers=(*chunk_headers, ("Upload-Offset", str(offset))),
            raw=blob[offset:],
        )
        assert (rest.status, rest.header("Upload-Offset")) == (204, str(len(blob)))
        finish = call(
            http, "POST", data, {"image_quality": 70}, headers=(*ADMIN, ("Upload-Finish", ""))
        )
        assert finish.status == 202
        frame = call(
            http,
            "GET",
            f"{handle.url}/api/tasks/{task['id']}/data?type=frame&number=0&quality=original",
        )
    assert hashlib.sha256(frame.body).digest() == hashlib.sha256(blob).digest()


def test_expired_sessions_over_http(http: Urllib3Transport) -> None:
    server = FakeServer()
    with serve(server) as handle:
        login = call(
            http,
            "POST",
            handle.url + "/api/auth/login",
            {"username": "admin", "password": "admin"},
            headers=(),
        )
        cookies = "; ".join(c.split(";")[0] for c in login.header_values("Set-Cookie"))
        session = (("Cookie", cookies),)
        assert call(http, "GET", handle.url + "/api/users/self", headers=session).status == 200
        server.faults.expire_sessions()
        stale = call(http, "GET", handle.url + "/api/users/self", headers=session)
    assert stale.status == 401
    assert stale.header("WWW-Authenticate") == "Token"
    assert (stale.header("Set-Cookie") or "").startswith('sessionid=""; expires=Thu, 01 Jan 1970')


def test_latency_over_http_is_real_time_and_concurrent(http: Urllib3Transport) -> None:
    server = FakeServer()
    server.faults.set_latency(0.4)
    with serve(server) as handle:
        url = handle.url + "/api/server/about"
        started = time.monotonic()
        answer = call(http, "GET", url)
        assert time.monotonic() - started >= 0.4
        assert answer.header("Date") == "Thu, 01 Jan 2026 00:00:00 GMT"  # virtual clock kept
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda: statuses.append(call(http, "GET", url).status))
            for _ in range(3)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert statuses == [200, 200, 200]
    assert 0.4 <= elapsed < 1.1  # slept side by side, not one after the other (1.2 s)


def test_latency_longer_than_the_read_timeout_is_a_timeout() -> None:
    server = FakeServer()
    server.faults.set_latency(0.6)
    with (
        serve(server) as handle,
        Urllib3Transport(read_timeout=0.15) as impatient,
        pytest.raises(TransportError) as raised,
    ):
        call(impatient, "GET", handle.url + "/api/server/about")
    assert raised.value.kind == "timeout"


# ----------------------------------------------------------------------- the command line
def outcomes(transport: Urllib3Transport, url: str, n: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(n):
        try:
            seen.append(call(transport, "GET", url + "/api/server/about").status)
        except TransportError as error:
            seen.append(error.kind)
    return seen


def test_cli_fault_flags(http: Urllib3Transport) -> None:
    args = ("--fault-rate", "1", "--fault-statuses", "503", "--fault-retry-after", "2")
    with fake_http_server(*args) as url:
        answer = call(http, "GET", url + "/api/server/about")
    assert (answer.status, answer.header("Retry-After")) == (503, "2")


def test_cli_plans_are_reproducible(http: Urllib3Transport) -> None:
    args = (
        "--fault-rate",
        "0.4",
        "--fault-seed",
        "3",
        "--fault-statuses",
        "502,429",
        "--fault-drops",
    )
    runs: list[list[int | str]] = []
    for _ in range(2):
        with fake_http_server(*args) as url:
            runs.append(outcomes(http, url, 40))
    assert runs[0] == runs[1]
    assert 200 in runs[0]
    assert set(runs[0]) - {200} and set(runs[0]) <= {200, 502, 429, "protocol"}


def test_cli_latency(http: Urllib3Transport) -> None:
    with fake_http_server("--latency", "0.3") as url:
        started = time.monotonic()
        assert call(http, "GET", url + "/api/server/about").status == 200
        assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--fault-rate", "1.5"), "rate must be between 0 and 1"),
        (("--fault-statuses", "200"), "expected status codes from 400 to 599"),
        (("--fault-retry-after", "soon", "--fault-rate", "0.1"), "retry_after must be"),
        (("--latency", "-1"), "latency must be"),
    ],
)
def test_cli_refuses_nonsense(flags: tuple[str, ...], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cvatfn_fake", "--port", "0", *flags],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr
