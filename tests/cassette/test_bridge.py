"""The fake server's log as a cassette: what a recording would have written."""

from __future__ import annotations

import ast
import doctest
import inspect
import random
from pathlib import Path
from types import ModuleType

import msgspec
import pytest
from PIL import Image

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import Task
from cvatfn_cassette import (
    CASSETTE_BASE,
    Cassette,
    RecordingTransport,
    ReplayTransport,
    _bridge,
    _filters,
    _format,
    dump,
    from_log,
    load,
)
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport

BASE = "http://127.0.0.1:8123"


def without_times(cassette: Cassette) -> Cassette:
    return msgspec.structs.replace(
        cassette,
        interactions=tuple(
            msgspec.structs.replace(i, recorded_at="") for i in cassette.interactions
        ),
    )


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    noise = random.Random(1)
    paths = []
    for index in range(2):
        path = tmp_path / f"frame_{index}.png"
        Image.frombytes("RGB", (32, 24), noise.randbytes(32 * 24 * 3)).save(path)
        paths.append(path)
    return paths


def scenario(session: cvatfn.Session, images: list[Path], folder: Path) -> list[Task]:
    """Paging, an upload over TUS, a polled background request and a binary download."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b", "c"):
        cvatfn.tasks.create(session, {"name": name, "labels": [{"name": "car"}]}).unwrap()
    task = cvatfn.tasks.create_from_data(
        session,
        spec={"name": "data", "labels": [{"name": "car"}]},
        resources=images,
        resource_type=cvatfn.ResourceType.LOCAL,
    ).unwrap()
    cvatfn.tasks.export_dataset(session, task, "CVAT for images 1.1", folder / "t.zip").unwrap()
    return cvatfn.tasks.list(session).unwrap()


CONFIG = cvatfn.Config(page_size=2, max_request_size=2048, tus_chunk_size=2048)


def record(server: FakeServer, path: Path, images: list[Path], folder: Path) -> list[Task]:
    inner = ValidatingTransport(server.transport())
    with RecordingTransport(inner, path, mode="all") as recorder:
        session = cvatfn.connect(
            BASE, credentials=("admin", "admin"), transport=recorder, config=CONFIG
        ).unwrap()
        tasks = scenario(session, images, folder)
    assert inner.violations == [], inner.report()
    return tasks


def test_from_log_equals_a_recording(tmp_path: Path, images: list[Path]) -> None:
    server = FakeServer()
    server.configure_requests(polls_before_finish=2)
    path = tmp_path / "recorded.json"
    record(server, path, images, tmp_path)

    recorded = load(path).unwrap()
    bridged = from_log(server.log)
    assert len(bridged.interactions) == len(server.log)
    assert without_times(bridged) == without_times(recorded)

    methods = {(i.request.method, i.response.status) for i in bridged.interactions}
    assert ("PATCH", 204) in methods  # TUS chunks
    polls = [i for i in bridged.interactions if "/api/requests/" in i.request.uri]
    assert len(polls) >= 3  # identical polls kept in order
    assert any(i.response.body.data.startswith(b"PK") for i in bridged.interactions)  # the zip
    assert all(i.request.uri.startswith(CASSETTE_BASE + "/") for i in bridged.interactions)


def test_a_bridged_log_replays_offline(tmp_path: Path, images: list[Path]) -> None:
    server = FakeServer()
    server.configure_requests(polls_before_finish=1)
    live_session = cvatfn.connect(
        BASE, credentials=("admin", "admin"), transport=server.transport(), config=CONFIG
    ).unwrap()
    live = scenario(live_session, images, tmp_path / "live")

    path = tmp_path / "cassettes" / "bridged.json"
    dump(from_log(server.log), path).unwrap()
    replay = ReplayTransport(path)
    session = cvatfn.connect(
        "http://elsewhere:9", credentials=("admin", "admin"), transport=replay, config=CONFIG
    ).unwrap()
    replayed = scenario(session, images, tmp_path / "replayed")
    assert [t.name for t in replayed] == [t.name for t in live]
    assert [t.url for t in replayed] == [t.url.replace(BASE, "http://elsewhere:9") for t in live]
    assert (tmp_path / "replayed" / "t.zip").read_bytes() == (
        tmp_path / "live" / "t.zip"
    ).read_bytes()
    assert replay.all_played


def test_timestamps_are_deterministic_and_ordered() -> None:
    server = FakeServer()
    transport = server.transport()
    for _ in range(3):
        transport.handle(HttpRequest("GET", BASE + "/api/server/about"))
    transport.sleep(3600.0)  # the fake's clock is not part of the log
    transport.handle(HttpRequest("GET", BASE + "/api/server/about"))
    cassette = from_log(server.log)
    assert [i.recorded_at for i in cassette.interactions] == [
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:01Z",
        "1970-01-01T00:00:02Z",
        "1970-01-01T00:00:03Z",
    ]
    assert from_log(server.log) == cassette
    assert _format.decode(_format.encode(cassette)).unwrap() == cassette


def test_an_explicit_base_url_and_any_iterable() -> None:
    log = [
        (HttpRequest("GET", "http://a.example/api/x"), HttpResponse(200)),
        (
            HttpRequest("GET", "http://b.example:81/api/y"),
            HttpResponse(
                200, (("Content-Type", "application/json"),), b'{"u":"http://a.example/z"}'
            ),
        ),
    ]
    cassette = from_log(iter(log), base_url="http://a.example", recorded_with="me")
    assert cassette.recorded_with == "me"
    assert [i.request.uri for i in cassette.interactions] == [
        "http://cvat.cassette/api/x",
        "http://b.example:81/api/y",
    ]
    assert cassette.interactions[1].response.body.data == b'{"u":"http://cvat.cassette/z"}'
    own = from_log(log)  # each request's own origin
    assert [i.request.uri for i in own.interactions] == [
        "http://cvat.cassette/api/x",
        "http://cvat.cassette/api/y",
    ]
    assert from_log([]) == Cassette(1, _format.RECORDED_WITH, ())
    weird = from_log([(HttpRequest("GET", "http://[::1/x"), HttpResponse(200))])
    assert weird.interactions[0].request.uri == "http://[::1/x"


def test_the_bridge_redacts_like_a_recording() -> None:
    server = FakeServer()
    session = cvatfn.connect(BASE, credentials=("admin", "admin"), transport=server.transport())
    assert session.unwrap()
    text = _format.encode(from_log(server.log)).decode()
    assert '"password": "<SECRET:password>"' in text
    assert "sessionid=<SECRET:sessionid>" in text
    assert '"key": "<SECRET:key>"' in text


def _imports(module: ModuleType) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("module", [_bridge, _filters, _format])
def test_format_filters_and_bridge_need_only_the_core_http_values(module: ModuleType) -> None:
    ours = {name for name in _imports(module) if name.startswith("cvatfn")}
    assert ours <= {"cvatfn.http", "cvatfn_cassette._filters", "cvatfn_cassette._format"}


def test_docstring_examples_run() -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = sorted(
        (t for t in finder.find(_bridge) if t.examples), key=lambda t: (t.lineno or 0, t.name)
    )
    assert tests
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    shared: dict[str, object] = {**vars(_bridge)}
    for test in tests:
        test.globs = shared
        runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0


def test_dropped_connections_are_left_out_and_the_retry_is_kept() -> None:
    from cvatfn_fake import FakeServer

    server = FakeServer()
    session = cvatfn.connect(
        BASE, credentials=("admin", "admin"), transport=server.transport()
    ).unwrap()
    server.faults.drop_next(count=1, method="GET", path=r"^/api/projects$")
    assert cvatfn.projects.list(session).unwrap() == ()
    dropped = [a for _, a in server.log if a.header("X-Cvatfn-Fake-Fault") is not None]
    assert len(dropped) == 1
    cassette = from_log(server.log)
    assert len(cassette.interactions) == len(server.log) - 1
    assert all(i.response.status != 0 for i in cassette.interactions)
    listings = [i for i in cassette.interactions if "/api/projects?" in i.request.uri]
    assert len(listings) == 1  # the retry is there; the dropped attempt is not
