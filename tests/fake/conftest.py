"""Shared helpers for the fake-server tests: raw HTTP values in, parsed JSON out.

Every exchange that goes through :class:`Api` passes a :class:`ValidatingTransport`
(``tests/contract/openapi.py``): a 2xx that breaks CVAT's 2.80 contract fails the call at once.
Error responses are not schema-checked (the contract describes almost none), and requests
that deliberately miss the contract (unknown paths, wrong methods) answer with 4xx.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport

BASE = "http://testserver"


@dataclass
class Reply:
    status: int
    response: HttpResponse
    data: Any

    def header(self, name: str) -> str | None:
        return self.response.header(name)


def basic(username: str, password: str) -> tuple[tuple[str, str], ...]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return (("Authorization", f"Basic {token}"),)


class Api:
    """Build HttpRequests by hand and send them to a server's in-process transport."""

    def __init__(
        self,
        server: FakeServer,
        auth: tuple[tuple[str, str], ...] = (),
        transport: ValidatingTransport | None = None,
    ) -> None:
        self.server = server
        self.transport = transport or ValidatingTransport(server.transport())
        self.auth = auth

    def as_user(self, username: str, password: str) -> Api:
        return Api(self.server, basic(username, password), self.transport)

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes = b"",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Reply:
        all_headers = [*self.auth, *headers]
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.append(("Content-Type", "application/json"))
        url = path if path.startswith("http") else BASE + path
        seen = len(self.transport.violations)
        response = self.transport.handle(HttpRequest(method, url, tuple(all_headers), body))
        problems = [message for _, message in self.transport.violations[seen:]]
        if problems and 200 <= response.status < 300:
            raise AssertionError("\n".join(problems))
        data: Any = None
        ctype = response.header("content-type") or ""
        if response.body and "json" in ctype:
            data = json.loads(response.body)
        return Reply(response.status, response, data)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, json_body=data, **kw)

    def patch(self, path: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, json_body=data, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def admin(server: FakeServer) -> Api:
    return Api(server, basic("admin", "admin"))


@pytest.fixture
def anon(server: FakeServer) -> Api:
    return Api(server)


def image_bytes(
    size: tuple[int, int], fmt: str = "PNG", color: tuple[int, int, int] = (200, 10, 10)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----cvatfnfakeboundary"
    parts: list[bytes] = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for field, filename, content in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def request_path(rq_id: str) -> str:
    """``/api/requests/{id}``, the id quoted as a client quotes a path segment (request ids
    carry ``=``, ``&`` and other characters that are not plain path characters)."""
    return "/api/requests/" + quote(rq_id, safe="")


def upload_images(api: Api, task_id: int, files: list[tuple[str, bytes]], **params: Any) -> Reply:
    """Upload-Start, one Upload-Multiple request, Upload-Finish; returns the finish reply."""
    path = f"/api/tasks/{task_id}/data/"
    assert api.call("POST", path, headers=(("Upload-Start", ""),)).status == 202
    body, ctype = multipart(
        {"image_quality": "70"}, [(f"client_files[{i}]", n, b) for i, (n, b) in enumerate(files)]
    )
    reply = api.call(
        "POST", path, body=body, headers=(("Upload-Multiple", ""), ("Content-Type", ctype))
    )
    assert reply.status == 200, reply.data
    return api.post(path, {"image_quality": 70, **params}, headers=(("Upload-Finish", ""),))


def make_task(
    api: Api, name: str = "task", *, labels: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, **extra}
    if labels is not None:
        spec["labels"] = [{"name": n} for n in labels]
    reply = api.post("/api/tasks", spec)
    assert reply.status == 201, reply.data
    return reply.data  # type: ignore[no-any-return]
