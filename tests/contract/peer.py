"""The official ``cvat-sdk`` as a peer of the fake server: shared fixtures and helpers.

The ``cvat`` fixture starts a :class:`~cvatfn_fake.FakeServer` and serves it over HTTP on
``127.0.0.1`` (port 0) through a :class:`~tests.contract.openapi.ValidatingTransport`, so
every response the SDK receives is also checked against CVAT's 2.80 contract. After every
test it asserts that the contract saw no violation and that nothing was warned, neither
through :mod:`warnings` nor through the SDK's loggers.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cvat_sdk import Client, make_client
from PIL import Image

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_fake import FakeServer, serve
from tests.contract.openapi import Contract, ValidatingTransport

ADMIN = ("admin", "admin")
EXERCISED: set[str] = set()
"""operationIds exercised by the official-SDK tests (printed once at the end)."""


@dataclass
class Seen:
    """One exchange as the fake saw it: enough to tell which protocol the SDK used."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: frozenset[str]
    status: int


@dataclass
class Recorder:
    """Records each exchange (without bodies) on its way to the validating transport."""

    inner: ValidatingTransport
    seen: list[Seen] = field(default_factory=list)

    def handle(self, request: HttpRequest) -> HttpResponse:
        response = self.inner.handle(request)
        url = urlsplit(request.url)
        self.seen.append(
            Seen(
                request.method,
                url.path,
                parse_qs(url.query),
                frozenset(name.lower() for name, _ in request.headers),
                response.status,
            )
        )
        return response

    def count(self, method: str, prefix: str, *, header: str | None = None) -> int:
        return sum(
            1
            for s in self.seen
            if s.method == method
            and s.path.startswith(prefix)
            and (header is None or header in s.headers)
        )


@dataclass
class Cvat:
    server: FakeServer
    checked: ValidatingTransport
    recorder: Recorder
    host: str
    port: int

    def client(
        self, credentials: tuple[str, str] | None = ADMIN, *, access_token: str | None = None
    ) -> Client:
        client = make_client(
            self.host,
            port=self.port,
            credentials=None if access_token else credentials,
            access_token=access_token,
        )
        client.config.status_check_period = 0.01  # type: ignore[assignment]
        return client


def _sdk_file_leak(warning: warnings.WarningMessage) -> bool:
    """The official client's own leak, not something the server can cause.

    For binary answers (frames, previews) cvat-sdk's generated ``model_utils.deserialize_file``
    writes the body to a ``tempfile.mkstemp`` file and returns it open; ``Task.get_frame``
    discards that value, so the file is closed by the garbage collector with a
    ``ResourceWarning``. Only that exact warning, for a file in the temporary directory, is
    tolerated.
    """
    message = str(warning.message)
    prefix = f"unclosed file <_io.BufferedReader name='{tempfile.gettempdir()}/tmp"
    return issubclass(warning.category, ResourceWarning) and message.startswith(prefix)


@pytest.fixture(scope="session")
def coverage_report() -> Iterator[None]:
    yield
    print(f"\nofficial cvat-sdk suite: {Contract.load().coverage(EXERCISED)}")
    print("  exercised:", ", ".join(sorted(EXERCISED)))


@pytest.fixture
def cvat(
    coverage_report: None, caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> Iterator[Cvat]:
    caplog.set_level(logging.WARNING)
    # The request log would keep every body, including the >100 MiB upload.
    server = FakeServer(log_limit=0)
    checked = ValidatingTransport(server.transport())
    recorder = Recorder(checked)
    with serve(recorder) as handle:
        yield Cvat(server, checked, recorder, "http://127.0.0.1", handle.port)
    EXERCISED.update(checked.operations)
    # caplog.records would only hold the teardown's records: look at the whole test.
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    complaints = [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.WARNING]
    assert complaints == [], f"the SDK logged warnings: {complaints}"
    warned = [f"{w.category.__name__}: {w.message}" for w in recwarn.list if not _sdk_file_leak(w)]
    assert warned == [], f"warnings were issued: {warned}"
    checked.assert_clean()


def image(path: Path, size: tuple[int, int], color: tuple[int, int, int] = (200, 10, 10)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path
