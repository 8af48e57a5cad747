"""The HTTP front's answers, byte for byte: the status line, ``Server`` and ``Date``, the app's
headers in order, one ``Content-Length``, then the body; small and large bodies, keep-alive,
a status without a reason phrase, HEAD, a dropped connection and an HTTP/0.9 request."""

from __future__ import annotations

import base64
import socket
from collections.abc import Generator
from contextlib import contextmanager

import pytest

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_fake import FakeServer, serve

pytestmark = pytest.mark.http

AUTH = "Basic " + base64.b64encode(b"admin:admin").decode()
DATE = "Thu, 01 Jan 2026 00:00:00 GMT"


@contextmanager
def _connection(server: FakeServer) -> Generator[tuple[socket.socket, str]]:
    with serve(server) as handle, socket.create_connection((handle.host, handle.port), 10) as sock:
        yield sock, f"{handle.host}:{handle.port}"


def _ask(sock: socket.socket, host: str, method: str, target: str) -> None:
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {AUTH}\r\n\r\n"
    sock.sendall(head.encode())


def _read_answer(sock: socket.socket) -> bytes:
    """One whole answer: the head, then as many body bytes as its Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, data
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lengths = [
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    assert len(lengths) == 1, head
    wanted = int(lengths[0])
    while len(rest) < wanted:
        piece = sock.recv(1 << 20)
        assert piece, (head, len(rest))
        rest += piece
    return head + b"\r\n\r\n" + rest


def _expected(
    answer: HttpResponse, status_line: str, *, head_only: bool = False, length: int | None = None
) -> bytes:
    lines = [status_line, "Server: cvatfn_fake", f"Date: {DATE}"]
    lines += [f"{k}: {v}" for k, v in answer.headers if k.lower() != "content-length"]
    lines.append(f"Content-Length: {len(answer.body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else answer.body)


def _in_process(server: FakeServer, host: str, method: str, target: str) -> HttpResponse:
    request = HttpRequest(
        method, f"http://{host}{target}", (("Host", host), ("Authorization", AUTH))
    )
    return server.handle(request)


def test_answers_byte_for_byte_on_one_kept_alive_connection() -> None:
    server = FakeServer()
    server.seed_tasks(700)  # a page of all of them is far more than 64 KiB
    with _connection(server) as (sock, host):
        targets = ["/api/server/about", "/api/tasks?page_size=all", "/api/tasks/3", "/api/nope"]
        for target in targets:
            _ask(sock, host, "GET", target)
            got = _read_answer(sock)
            answer = _in_process(server, host, "GET", target)
            phrase = {200: "OK", 404: "Not Found"}[answer.status]
            assert got == _expected(answer, f"HTTP/1.1 {answer.status} {phrase}"), target
        big = _in_process(server, host, "GET", "/api/tasks?page_size=all")
        assert len(big.body) > 1 << 17
        # Two requests sent at once get two answers, in order.
        _ask(sock, host, "HEAD", "/api/tasks?page_size=all")
        _ask(sock, host, "GET", "/api/server/about")
        data = b""
        about = _in_process(server, host, "GET", "/api/server/about")
        head = _expected(big, "HTTP/1.1 200 OK", head_only=True, length=len(big.body))
        wanted = head + _expected(about, "HTTP/1.1 200 OK")
        while len(data) < len(wanted):
            piece = sock.recv(65536)
            assert piece
            data += piece
        assert data == wanted


def test_a_status_without_a_reason_phrase_and_a_drop() -> None:
    server = FakeServer()
    server.faults.fail_next(599, path="^/api/server/about")
    with _connection(server) as (sock, host):
        _ask(sock, host, "GET", "/api/server/about")
        got = _read_answer(sock)
        assert got.startswith(b"HTTP/1.1 599 \r\nServer: cvatfn_fake\r\nDate: ")
        server.faults.drop_next(path="^/api/server/about")
        _ask(sock, host, "GET", "/api/server/about")
        data = b""
        while piece := sock.recv(65536):
            data += piece
    about = _in_process(server, host, "GET", "/api/server/about")
    whole = _expected(about, "HTTP/1.1 200 OK")
    head = _expected(about, "HTTP/1.1 200 OK", head_only=True)
    assert data == whole[: len(head) + len(about.body) // 2]


def test_an_http_0_9_request_gets_the_body_alone() -> None:
    server = FakeServer()
    with _connection(server) as (sock, host):
        sock.sendall(b"GET /api/server/about\r\n\r\n")
        data = b""
        while piece := sock.recv(65536):
            data += piece
    assert data == _in_process(server, host, "GET", "/api/server/about").body
