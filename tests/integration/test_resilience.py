"""cvatfn against the fake server's injected faults: what it survives, and how it fails."""

from __future__ import annotations

import hashlib
import os
import random
import zipfile
from pathlib import Path

import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn.errors import (
    DeadlineExceeded,
    ServerError,
    TransportFailure,
    Unauthorized,
)
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.retry import RetryPolicy
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.bmp import bmp
from tests.integration.fake_process import fake_http_server

LABELS = [{"name": "cat"}]


def _noise_bmp(path: Path, width: int, height: int, seed: int) -> bytes:
    """An uncompressed 24-bit BMP of random pixels, written to ``path``; its bytes."""
    data = bmp(width, height, random.Random(seed))
    path.write_bytes(data)
    return data


def _session(server: FakeServer, **config: object) -> cvatfn.Session:
    return cvatfn.connect(
        "http://localhost",
        credentials=("admin", "admin"),
        transport=server.transport(),
        config=cvatfn.Config(**config),  # type: ignore[arg-type]
    ).unwrap()


# ------------------------------------------------------------------------------ uploads


@pytest.mark.parametrize("then", ["drop", 500, 503])
def test_a_cut_tus_chunk_resumes_and_the_server_holds_the_exact_file(
    tmp_path: Path, then: str | int
) -> None:
    server = FakeServer()
    session = _session(server, max_request_size=1000, tus_chunk_size=4096)
    source = _noise_bmp(tmp_path / "big.bmp", 40, 100, seed=1)  # 12,054 bytes: 3 chunks
    server.faults.cut_next_tus_patch(count=2, accept=0.4, then=then)  # type: ignore[arg-type]
    task = cvatfn.tasks.create_from_data(
        session, {"name": "resumed", "labels": LABELS}, [tmp_path / "big.bmp"]
    ).unwrap()
    stored = cvatfn.tasks.get_frame(session, task, 0).unwrap()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(source).digest()
    assert server.faults.injected["tus_cut"] == 2
    heads = [r for r, _ in server.log if r.method == "HEAD"]
    assert len(heads) == 2  # one resume per cut, each from the server's offset


def test_a_last_chunk_whose_answer_was_lost_counts_as_arrived(tmp_path: Path) -> None:
    # CVAT forgets a complete upload at once, so the HEAD after the lost answer finds nothing.
    server = FakeServer()
    session = _session(server, max_request_size=1000, tus_chunk_size=1 << 20)
    source = _noise_bmp(tmp_path / "big.bmp", 40, 100, seed=3)
    server.faults.drop_next(count=1, method="PATCH", phase="after")
    task = cvatfn.tasks.create_from_data(
        session, {"name": "lost answer", "labels": LABELS}, [tmp_path / "big.bmp"]
    ).unwrap()
    stored = cvatfn.tasks.get_frame(session, task, 0).unwrap()
    assert stored == source
    assert [r.method for r, a in server.log if a.status == 404] == ["HEAD"]


def test_an_upload_that_keeps_failing_gives_up_saying_where_it_stopped(tmp_path: Path) -> None:
    server = FakeServer()
    session = _session(
        server, max_request_size=1000, tus_chunk_size=4096, retry=RetryPolicy(max_attempts=3)
    )
    _noise_bmp(tmp_path / "big.bmp", 40, 100, seed=2)
    server.faults.cut_next_tus_patch(count=1, accept=0, then=500)
    server.faults.fail_next(status=500, count=10, method="PATCH")
    result = cvatfn.tasks.create_from_data(
        session, {"name": "doomed", "labels": LABELS}, [tmp_path / "big.bmp"]
    )
    match result:
        case Failure(ServerError(attempts=3) as error):
            assert "stopped at byte 0 of 12054 after 3 attempts" in error.message
        case _:
            raise AssertionError(result)


def _small_files(tmp_path: Path) -> list[Path]:
    paths = []
    for index in range(3):
        _noise_bmp(tmp_path / f"{index}.bmp", 8, 8, seed=index)
        paths.append(tmp_path / f"{index}.bmp")
    return paths


class FaultOnBatch:
    """The fake server's transport; the first multipart batch meets the given fault."""

    def __init__(self, server: FakeServer, status: int, phase: str) -> None:
        self.server, self.inner = server, server.transport()
        self.status, self.phase = status, phase
        self.armed = True

    def handle(self, request: HttpRequest) -> HttpResponse:
        if self.armed and request.header("Upload-Multiple") is not None:
            self.armed = False
            self.server.faults.fail_next(status=self.status, phase=self.phase)  # type: ignore[arg-type]
        return self.inner.handle(request)

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _batch_session(server: FakeServer, status: int, phase: str) -> cvatfn.Session:
    return cvatfn.connect(
        "http://localhost",
        credentials=("admin", "admin"),
        transport=FaultOnBatch(server, status, phase),
    ).unwrap()


def test_a_multipart_batch_the_gateway_lost_is_not_sent_twice(tmp_path: Path) -> None:
    # CVAT appends every part to the file of its name: a second batch would double the files.
    server = FakeServer()
    session = _batch_session(server, 502, "after")
    result = cvatfn.tasks.create_from_data(
        session, {"name": "batch", "labels": LABELS}, _small_files(tmp_path)
    )
    assert isinstance(result.failure(), ServerError) and result.failure().attempts == 1
    batches = [r for r, _ in server.log if r.header("Upload-Multiple") is not None]
    assert len(batches) == 1


def test_a_multipart_batch_the_server_refused_is_sent_again(tmp_path: Path) -> None:
    server = FakeServer()
    session = _batch_session(server, 503, "before")
    paths = _small_files(tmp_path)
    task = cvatfn.tasks.create_from_data(session, {"name": "batch", "labels": LABELS}, paths)
    assert task.unwrap().size == 3
    frames = [cvatfn.tasks.get_frame(session, task.unwrap(), i).unwrap() for i in range(3)]
    assert frames == [path.read_bytes() for path in paths]


# ------------------------------------------------------------------------------ downloads


def _exported_task(
    server: FakeServer, session: cvatfn.Session, tmp_path: Path
) -> cvatfn.models.Task:
    paths = []
    for index in range(4):
        _noise_bmp(tmp_path / f"{index}.bmp", 16, 16, seed=index)
        paths.append(tmp_path / f"{index}.bmp")
    return cvatfn.tasks.create_from_data(session, {"name": "e", "labels": LABELS}, paths).unwrap()


def test_a_download_cut_mid_body_starts_again_and_leaves_one_whole_file(tmp_path: Path) -> None:
    server = FakeServer()
    session = _session(server)
    task = _exported_task(server, session, tmp_path)
    clean = cvatfn.tasks.export_dataset(
        session, task, "CVAT for images 1.1", tmp_path / "clean.zip", include_images=True
    ).unwrap()
    out = tmp_path / "out"
    out.mkdir()
    server.faults.drop_next(count=2, method="GET", path=r"/download$", phase="after")
    target = out / "cut.zip"
    got = cvatfn.tasks.export_dataset(
        session, task, "CVAT for images 1.1", target, include_images=True
    ).unwrap()
    assert os.listdir(out) == ["cut.zip"]
    with zipfile.ZipFile(got) as cut, zipfile.ZipFile(clean) as whole:
        assert sorted(cut.namelist()) == sorted(whole.namelist())
        for name in whole.namelist():
            if name.startswith("images/"):
                assert cut.read(name) == whole.read(name)
    assert server.faults.injected["drop"] == 2


def test_a_download_that_never_completes_leaves_nothing(tmp_path: Path) -> None:
    server = FakeServer()
    session = _session(server, retry=RetryPolicy(max_attempts=2))
    task = _exported_task(server, session, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    server.faults.drop_next(count=50, method="GET", path=r"/download$", phase="after")
    result = cvatfn.tasks.export_dataset(session, task, "COCO 1.0", out / "never.zip")
    match result:
        case Failure(TransportFailure(kind="protocol", attempts=2)):
            pass
        case _:
            raise AssertionError(result)
    assert os.listdir(out) == []


# ------------------------------------------------------------------------------ statuses


def test_retry_after_is_waited_out_on_the_servers_clock() -> None:
    server = FakeServer()
    session = _session(server)
    server.faults.fail_next(status=503, count=2, retry_after="4", method="GET")
    before = server.now()
    assert isinstance(cvatfn.projects.list(session), Success)
    assert server.now() - before == pytest.approx(8.0)


def test_a_create_that_the_gateway_lost_is_not_sent_twice() -> None:
    server = FakeServer()
    session = _session(server)
    server.faults.fail_next(status=502, method="POST", path=r"^/api/projects$", phase="after")
    result = cvatfn.projects.create(session, {"name": "maybe"})
    assert isinstance(result.failure(), ServerError) and result.failure().attempts == 1
    # The server did the work; the caller learns that by looking, not by a duplicate.
    names = [p.name for p in cvatfn.projects.list(session).unwrap()]
    assert names == ["maybe"]


def test_an_expired_session_is_an_unauthorized_failure_and_a_new_login_works() -> None:
    server = FakeServer()
    session = _session(server)
    server.faults.expire_sessions()
    match cvatfn.projects.list(session):
        case Failure(Unauthorized(status=401, attempts=1)):
            pass
        case other:
            raise AssertionError(other)
    again = cvatfn.login(session, ("admin", "admin")).unwrap()
    assert isinstance(cvatfn.projects.list(again), Success)


# ------------------------------------------------------------------------------ deadlines


def _queued_request(server: FakeServer, session: cvatfn.Session, tmp_path: Path) -> str:
    server.configure_requests(polls_before_finish=1000)
    _noise_bmp(tmp_path / "a.bmp", 8, 8, seed=0)
    task = cvatfn.tasks.create(session, {"name": "slow", "labels": LABELS}).unwrap()
    from cvatfn import _upload
    from cvatfn._flow import run

    files = run(session, _upload.stat_files([str(tmp_path / "a.bmp")])).unwrap()
    flow = _upload.upload_files(
        session,
        f"/api/tasks/{task.id}/data/",
        files,
        fields={"image_quality": 70, "client_files": []},
        multipart_fields={"image_quality": "70"},
    )
    return run(session, flow).unwrap()


@pytest.mark.parametrize("cancel", [True, False])
def test_a_wait_that_runs_out_of_time_can_cancel_the_request(tmp_path: Path, cancel: bool) -> None:
    server = FakeServer()
    session = _session(server, status_check_period=5.0)
    rq_id = _queued_request(server, session, tmp_path)
    result = cvatfn.requests.wait(session, rq_id, deadline=1.0, cancel=cancel)
    match result:
        case Failure(DeadlineExceeded(cancelled=cancelled, request_id=found)):
            assert cancelled is cancel and found == rq_id
        case _:
            raise AssertionError(result)
    gone = cvatfn.requests.retrieve(session, rq_id)
    assert isinstance(gone, Failure) is cancel


def test_cancel_on_deadline_can_be_the_sessions_default(tmp_path: Path) -> None:
    server = FakeServer()
    session = _session(server, status_check_period=5.0, cancel_on_deadline=True)
    rq_id = _queued_request(server, session, tmp_path)
    error = cvatfn.requests.wait(session, rq_id, deadline=1.0).failure()
    assert isinstance(error, DeadlineExceeded) and error.cancelled
    assert "it was cancelled" in error.message


# ------------------------------------------------------------------------------ real sockets


class Counting:
    """Counts the requests that reach the real transport."""

    def __init__(self, inner: Urllib3Transport) -> None:
        self.inner = inner
        self.sent = 0

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.sent += 1
        return self.inner.handle(request)


def test_over_http_dropped_connections_and_5xx_are_survived() -> None:
    """The fake server in another process, a seeded plan of faults, urllib3 in between."""
    plan = ("--fault-rate", "0.3", "--fault-seed", "11", "--fault-drops")
    plan += ("--fault-statuses", "502,503,429", "--fault-retry-after", "0")
    with fake_http_server(*plan) as url, Urllib3Transport() as real:
        transport = Counting(real)
        config = cvatfn.Config(retry=RetryPolicy(max_attempts=8, initial_delay=0.01))
        session = cvatfn.connect(
            url, credentials=("admin", "admin"), transport=transport, config=config
        ).unwrap()
        created: list[int] = []
        failed: list[object] = []
        for index in range(20):
            result = cvatfn.projects.create(session, {"name": f"p{index}"})
            if isinstance(result, Success):
                created.append(result.unwrap().id)
            else:
                failed.append(result.failure())
        listed = cvatfn.projects.list(session).unwrap()
    # Every create that succeeded is there; one that failed is a typed value, never a raise.
    assert set(created) <= {p.id for p in listed}
    assert all(isinstance(error, TransportFailure | ServerError) for error in failed)
    assert len(created) >= 10
    # Faults happened and were retried: more requests went out than operations were made.
    assert transport.sent > 2 + 20 + 1


def test_a_slow_server_times_out_per_request_and_reads_are_retried() -> None:
    """Every request has a read timeout (Config.read_timeout); a GET that times out is sent
    again, and the failure says how often it was tried."""
    with fake_http_server("--latency", "0.5") as url:
        config = cvatfn.Config(
            read_timeout=0.1, retry=RetryPolicy(max_attempts=3, initial_delay=0.01)
        )
        result = cvatfn.connect(url, config=config)
    match result:
        case Failure(TransportFailure(kind="timeout", attempts=3)):
            pass
        case _:
            raise AssertionError(result)
