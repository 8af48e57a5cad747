"""Fixtures: a fake CVAT server, sessions on it whose every response is checked against
CVAT's contract, and real image files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

import cvatfn
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport
from tests.integration.fake_process import fake_http_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def validating(server: FakeServer) -> Iterator[ValidatingTransport]:
    """The fake server's transport, wrapped so that every response is validated."""
    transport = ValidatingTransport(server.transport())
    yield transport
    assert transport.violations == [], transport.report()


@pytest.fixture
def connect(validating: ValidatingTransport) -> Callable[..., cvatfn.Session]:
    def _connect(user: str = "admin", password: str = "admin", **config: object) -> cvatfn.Session:
        return cvatfn.connect(
            "http://localhost",
            credentials=(user, password),
            transport=validating,
            config=cvatfn.Config(**config),  # type: ignore[arg-type]
        ).unwrap()

    return _connect


@pytest.fixture
def admin(connect: Callable[..., cvatfn.Session]) -> cvatfn.Session:
    return connect()


@pytest.fixture
def images(tmp_path: Path) -> Callable[..., list[Path]]:
    """``images(n, size=(w, h), fmt="png")`` writes ``n`` real images and returns their paths."""

    def _images(n: int, size: tuple[int, int] = (32, 24), fmt: str = "png") -> list[Path]:
        paths = []
        for index in range(n):
            path = tmp_path / f"img_{index:03d}.{fmt}"
            Image.new("RGB", size, (index * 7 % 256, 40, 90)).save(path)
            paths.append(path)
        return paths

    return _images


@pytest.fixture(scope="session")
def http_front() -> Iterator[str]:
    """``python -m cvatfn_fake`` on a free loopback port; yields its base URL."""
    with fake_http_server("--user", "alice:alice-pw") as url:
        yield url
