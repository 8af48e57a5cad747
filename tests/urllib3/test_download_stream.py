"""Downloads over urllib3 stream: a large body goes to disk with bounded memory, and a body
cut short or an error status leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import cvatfn
from cvatfn._download import download_flow
from cvatfn._flow import run
from cvatfn.errors import NotFound, TransportFailure
from cvatfn.http import HttpRequest, StreamingTransport
from cvatfn.progress import RecordingReporter
from cvatfn_urllib3 import Urllib3Transport

BLOCK = 64 * 1024
BLOCKS = 768  # 48 MiB
ABOUT = {"name": "CVAT", "description": "", "version": "2.80.0", "logo_url": "", "subtitle": ""}


def _block(index: int) -> bytes:
    return hashlib.sha256(index.to_bytes(4, "big")).digest() * (BLOCK // 32)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _head(self, status: int, length: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_GET(self) -> None:
        if self.path == "/api/server/about":
            body = json.dumps(ABOUT).encode()
            self._head(200, len(body), "application/json")
            self.wfile.write(body)
        elif self.path == "/big":
            self._head(200, BLOCK * BLOCKS, "application/zip")
            for index in range(BLOCKS):
                self.wfile.write(_block(index))
        elif self.path == "/cut":
            self._head(200, BLOCK * 8, "application/zip")
            for index in range(3):
                self.wfile.write(_block(index))
            self.wfile.flush()
            self.close_connection = True
        else:
            body = b'{"detail": "Not found."}'
            self._head(404, len(body), "application/json")
            self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def session(base_url: str) -> Iterator[cvatfn.Session]:
    transport = Urllib3Transport(read_timeout=10.0)
    assert isinstance(transport, StreamingTransport)
    yield cvatfn.connect(base_url, transport=transport).unwrap()
    transport.close()


def _get(session: cvatfn.Session, path: str) -> HttpRequest:
    return HttpRequest("GET", session.server.url + path)


def test_large_body_streams_to_disk_with_bounded_memory(
    session: cvatfn.Session, tmp_path: Path
) -> None:
    target = tmp_path / "big.zip"
    reporter = RecordingReporter()
    tracemalloc.start()
    try:
        result = run(
            session, download_flow(session, _get(session, "/big"), str(target)), progress=reporter
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.unwrap() == str(target)
    size = BLOCK * BLOCKS
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB body"
    expected = hashlib.sha256()
    for index in range(BLOCKS):
        expected.update(_block(index))
    actual = hashlib.sha256()
    with target.open("rb") as handle:
        while piece := handle.read(2**20):
            actual.update(piece)
    assert actual.hexdigest() == expected.hexdigest()
    assert os.listdir(tmp_path) == ["big.zip"]
    updates = reporter.updates("download")
    assert reporter.calls[0] == ("start", "download", size)
    assert updates[0] == 0 and updates[-1] == size and len(updates) > 2
    assert updates == sorted(updates)


def test_connection_closed_mid_body_leaves_nothing(session: cvatfn.Session, tmp_path: Path) -> None:
    result = run(session, download_flow(session, _get(session, "/cut"), str(tmp_path / "c.zip")))
    error = result.failure()
    assert isinstance(error, TransportFailure)
    assert error.kind == "protocol"
    assert os.listdir(tmp_path) == []


def test_error_status_is_typed_and_leaves_nothing(session: cvatfn.Session, tmp_path: Path) -> None:
    result = run(session, download_flow(session, _get(session, "/nope"), str(tmp_path / "n")))
    error = result.failure()
    assert isinstance(error, NotFound)
    assert error.message == "Not found."
    assert os.listdir(tmp_path) == []
