"""download_flow: the exact effects it asks for, and what the runner leaves on disk."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn._download import ERROR_BODY_LIMIT, download_flow
from cvatfn._flow import (
    CloseStream,
    CommitTemp,
    CreateTemp,
    DiscardTemp,
    Effect,
    Flow,
    OpenStream,
    PathExists,
    Progress,
    ReadChunk,
    StreamOpened,
    TempFile,
    WriteTemp,
    drive,
    run_flow,
)
from cvatfn.errors import (
    InvalidInput,
    LocalFileError,
    NotFound,
    ServerError,
    TransportFailure,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse, StreamingTransport, TransportError
from cvatfn.progress import RecordingReporter
from tests.core.scripted import Scripted, about_server

GET = HttpRequest("GET", "http://h/api/tasks/1/data?type=chunk&number=0")


def _session() -> cvatfn.Session:
    return cvatfn.connect("http://h", transport=Scripted(about_server())).unwrap()


class Streaming:
    """A streaming transport: a head, then the given pieces; ``fail_after`` raises midway.

    It records what was sent, how many pieces were handed out and whether each stream was
    released.
    """

    def __init__(
        self,
        status: int = 200,
        pieces: list[bytes] | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        fail_after: int | None = None,
        failure: BaseException | None = None,
        on_piece: Callable[[int], None] | None = None,
    ) -> None:
        self.status = status
        self.pieces = pieces if pieces is not None else [b"abc", b"def"]
        self.headers = headers
        self.fail_after = fail_after
        self.failure = failure or TransportError("protocol", "connection closed mid-body")
        self.on_piece = on_piece
        self.sent: list[HttpRequest] = []
        self.handed_out = 0
        self.opened = 0
        self.released = 0
        self.failing_streams: int | None = None  # None: every stream fails at ``fail_after``
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise AssertionError("a download must stream")

    @contextmanager
    def stream(
        self, request: HttpRequest, *, chunk_size: int = 1
    ) -> Generator[tuple[HttpResponse, Iterator[bytes]]]:
        self.sent.append(request)
        self.opened += 1
        fails = self.failing_streams is None or self.opened <= self.failing_streams

        def chunks() -> Iterator[bytes]:
            for index, piece in enumerate(self.pieces):
                if fails and self.fail_after is not None and index >= self.fail_after:
                    raise self.failure
                self.handed_out += 1
                if self.on_piece is not None:
                    self.on_piece(index)
                yield piece

        try:
            yield HttpResponse(self.status, self.headers), chunks()
        finally:
            self.released += 1


def _length(pieces: list[bytes]) -> tuple[tuple[str, str], ...]:
    return (("Content-Length", str(sum(map(len, pieces)))),)


def _run(transport: Any, target: Path, reporter: RecordingReporter | None = None) -> Any:
    flow = download_flow(_session(), GET, str(target))
    return run_flow(transport, flow, progress=reporter)


def test_is_a_streaming_transport() -> None:
    assert isinstance(Streaming(), StreamingTransport)
    assert not isinstance(Scripted(about_server()), StreamingTransport)


def test_success_writes_the_whole_body_and_nothing_else(tmp_path: Path) -> None:
    pieces = [b"x" * 10, b"y" * 7]
    transport = Streaming(pieces=pieces, headers=_length(pieces))
    target = tmp_path / "chunk.zip"
    assert _run(transport, target) == Success(str(target))
    assert target.read_bytes() == b"x" * 10 + b"y" * 7
    assert os.listdir(tmp_path) == ["chunk.zip"]
    assert (transport.opened, transport.released) == (1, 1)
    assert transport.sent == [GET]


def test_effect_sequence() -> None:
    effects: list[Effect] = []
    answers: dict[type, object] = {
        PathExists: False,
        CreateTemp: TempFile(7, "/d/.t.part"),
        OpenStream: StreamOpened(3, HttpResponse(200, (("Content-Length", "5"),))),
    }
    pieces = [b"ab", b"cde", b""]

    def perform(effect: Effect) -> object:
        effects.append(effect)
        if isinstance(effect, ReadChunk):
            return pieces.pop(0)
        return answers.get(type(effect))

    result = drive(download_flow(_session(), GET, "/d/t"), perform)
    assert result == Success("/d/t")
    assert effects == [
        PathExists("/d/t"),
        CreateTemp("/d/t"),
        OpenStream(GET, effects[2].chunk_size),  # type: ignore[union-attr]
        Progress("download", 0, 5),
        ReadChunk(3),
        WriteTemp(7, b"ab"),
        Progress("download", 2, 5),
        ReadChunk(3),
        WriteTemp(7, b"cde"),
        Progress("download", 5, 5),
        ReadChunk(3),
        CloseStream(3),
        CommitTemp(7, "/d/t"),
    ]


def test_write_failure_discards_the_temporary_file() -> None:
    effects: list[Effect] = []

    def perform(effect: Effect) -> object:
        effects.append(effect)
        match effect:
            case PathExists():
                return False
            case CreateTemp():
                return TempFile(1, "/d/.t.part")
            case OpenStream():
                return StreamOpened(2, HttpResponse(200))
            case ReadChunk():
                return b"data"
            case WriteTemp():
                return OSError(28, "No space left on device")
            case _:
                return None

    result = drive(download_flow(_session(), GET, "/d/t", stage="export"), perform)
    match result:
        case Failure(LocalFileError(path="/d/t", message=message, request=info)):
            assert "No space left on device" in message
            assert info is not None  # the request had been sent
        case _:
            raise AssertionError(result)
    assert effects[-2:] == [CloseStream(2), DiscardTemp(1)]
    assert Progress("export", 0, None) in effects
    assert not any(isinstance(e, CommitTemp) for e in effects)


def test_existing_target_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    target = tmp_path / "frame.jpg"
    target.write_bytes(b"precious")
    transport = Streaming()
    result = _run(transport, target)
    match result:
        case Failure(InvalidInput(field="path", request=None)):
            pass
        case _:
            raise AssertionError(result)
    assert transport.sent == []
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["frame.jpg"]


def test_existing_directory_or_dangling_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    transport = Streaming()
    for name in ("dir", "link"):
        assert _run(transport, tmp_path / name).failure().field == "path"
    assert transport.sent == []


def test_missing_directory_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    transport = Streaming()
    result = _run(transport, tmp_path / "no" / "such" / "file.zip")
    assert isinstance(result.failure(), InvalidInput)
    assert result.failure().field == "path"
    assert transport.sent == []


def test_transport_error_mid_stream_leaves_no_file(tmp_path: Path) -> None:
    transport = Streaming(pieces=[b"a" * 100, b"b" * 100, b"c"], fail_after=2)
    target = tmp_path / "chunk.zip"
    result = _run(transport, target)
    match result:
        case Failure(TransportFailure(kind="protocol", attempts=5)):
            pass
        case _:
            raise AssertionError(result)
    # Each of the five attempts took two pieces, then broke off; every stream was released.
    assert transport.opened == transport.released == 5
    assert transport.handed_out == 10
    assert len(transport.slept) == 4
    assert os.listdir(tmp_path) == []


def test_a_body_that_breaks_off_is_downloaded_again_from_the_start(tmp_path: Path) -> None:
    pieces = [b"a" * 100, b"b" * 100, b"c"]
    transport = Streaming(pieces=pieces, headers=_length(pieces), fail_after=2)
    transport.failing_streams = 2
    target = tmp_path / "chunk.zip"
    reporter = RecordingReporter()
    assert _run(transport, target, reporter).unwrap() == str(target)
    assert target.read_bytes() == b"".join(pieces)
    assert os.listdir(tmp_path) == ["chunk.zip"]
    assert transport.opened == transport.released == 3
    assert len(transport.slept) == 2 and all(0 < s <= 1.0 for s in transport.slept)
    # Progress starts over with each attempt and ends at the whole body.
    assert reporter.calls[-2:] == [("update", "download", 201), ("finish", "download")]


def test_without_retries_a_broken_body_is_one_attempt(tmp_path: Path) -> None:
    transport = Streaming(pieces=[b"a" * 100, b"b"], fail_after=1)
    session = cvatfn.connect(
        "http://h",
        transport=Scripted(about_server()),
        config=cvatfn.Config(retry=cvatfn.RetryPolicy(max_attempts=1)),
    ).unwrap()
    result = run_flow(transport, download_flow(session, GET, str(tmp_path / "f")))
    assert isinstance(result.failure(), TransportFailure)
    assert result.failure().attempts == 1
    assert transport.opened == 1 and transport.slept == []
    assert os.listdir(tmp_path) == []


def test_a_truncated_body_is_downloaded_again(tmp_path: Path) -> None:
    pieces = [b"a" * 100, b"b" * 100]
    transport = Streaming(pieces=pieces, headers=(("Content-Length", "500"),))
    result = _run(transport, tmp_path / "f")
    error = result.failure()
    assert isinstance(error, UnexpectedResponse) and "truncated" in error.message
    assert error.attempts == transport.opened == 5
    assert os.listdir(tmp_path) == []


def test_transport_error_opening_leaves_no_file(tmp_path: Path) -> None:
    def refuse(request: HttpRequest) -> HttpResponse:
        raise TransportError("connect", "refused", url=request.url)

    result = _run(Scripted(refuse), tmp_path / "f")
    assert isinstance(result.failure(), TransportFailure)
    assert os.listdir(tmp_path) == []


def test_truncated_body_is_a_failure_and_leaves_no_file(tmp_path: Path) -> None:
    # A transport without streaming: the runner falls back to handle().
    transport = Scripted(lambda r: HttpResponse(200, (("Content-Length", "10"),), b"12345"))
    result = _run(transport, tmp_path / "f")
    match result:
        case Failure(UnexpectedResponse(message=message)):
            assert "truncated" in message
        case _:
            raise AssertionError(result)
    assert os.listdir(tmp_path) == []


def test_a_longer_body_than_announced_is_a_failure(tmp_path: Path) -> None:
    transport = Streaming(pieces=[b"123456"], headers=(("Content-Length", "4"),))
    assert isinstance(_run(transport, tmp_path / "f").failure(), UnexpectedResponse)
    assert os.listdir(tmp_path) == []


def test_encoded_body_length_is_not_checked(tmp_path: Path) -> None:
    headers = (("Content-Length", "3"), ("Content-Encoding", "gzip"))
    transport = Streaming(pieces=[b"decoded body"], headers=headers)
    reporter = RecordingReporter()
    assert isinstance(_run(transport, tmp_path / "f", reporter), Success)
    assert ("start", "download", None) in reporter.calls


@pytest.mark.parametrize(
    ("status", "error_type"), [(404, NotFound), (500, ServerError), (503, ServerError)]
)
def test_http_error_is_typed_and_leaves_no_file(
    tmp_path: Path, status: int, error_type: type
) -> None:
    body = json.dumps({"detail": "Not found." if status == 404 else "Boom"}).encode()
    transport = Scripted(lambda r: HttpResponse(status, (), body))
    result = _run(transport, tmp_path / "f")
    error = result.failure()
    assert isinstance(error, error_type)
    assert error.status == status
    assert error.message == json.loads(body)["detail"]
    assert os.listdir(tmp_path) == []


def test_error_body_is_read_bounded(tmp_path: Path) -> None:
    piece = b"e" * 4096
    transport = Streaming(status=500, pieces=[piece] * 1000)
    result = _run(transport, tmp_path / "f")
    error = result.failure()
    assert isinstance(error, ServerError)
    assert transport.handed_out == ERROR_BODY_LIMIT // len(piece)
    assert transport.released == 1
    assert os.listdir(tmp_path) == []


def test_target_taken_during_the_download_is_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / "f"

    def squat(index: int) -> None:
        if index == 1:
            target.write_bytes(b"someone else's")

    transport = Streaming(pieces=[b"a", b"b", b"c"], on_piece=squat)
    result = _run(transport, target)
    error = result.failure()
    assert isinstance(error, LocalFileError)
    assert (error.path, error.request is not None) == (str(target), True)
    assert "appeared" in error.message
    assert target.read_bytes() == b"someone else's"
    assert os.listdir(tmp_path) == ["f"]


def test_without_hard_links_a_checked_rename_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "f"
    assert _run(Streaming(pieces=[b"ok"]), target) == Success(str(target))
    assert target.read_bytes() == b"ok"
    assert os.listdir(tmp_path) == ["f"]

    other = tmp_path / "g"

    def squat(index: int) -> None:
        other.write_bytes(b"mine")

    result = _run(Streaming(pieces=[b"new"], on_piece=squat), other)
    error = result.failure()
    assert isinstance(error, LocalFileError) and error.path == str(other)
    assert other.read_bytes() == b"mine"
    assert sorted(os.listdir(tmp_path)) == ["f", "g"]


def test_interrupted_runner_leaves_no_file(tmp_path: Path) -> None:
    transport = Streaming(pieces=[b"a" * 10, b"b" * 10], fail_after=1, failure=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        _run(transport, tmp_path / "f")
    assert os.listdir(tmp_path) == []
    assert transport.released == 1


def test_flow_closed_early_leaves_no_file(tmp_path: Path) -> None:
    transport = Streaming(pieces=[b"a" * 10, b"b" * 10, b"c" * 10])

    def abandon() -> Flow[str]:
        inner = download_flow(_session(), GET, str(tmp_path / "f"))
        effect = next(inner)
        writes = 0
        while True:
            outcome = yield effect
            writes += isinstance(effect, WriteTemp)
            if writes == 2:
                inner.close()
                return "abandoned"
            effect = inner.send(outcome)

    assert run_flow(transport, abandon()) == "abandoned"
    assert os.listdir(tmp_path) == []
    assert transport.released == 1


def test_progress_reaches_the_reporter(tmp_path: Path) -> None:
    pieces = [b"1" * 3, b"2" * 4, b"3" * 5]
    reporter = RecordingReporter()
    assert isinstance(
        _run(Streaming(pieces=pieces, headers=_length(pieces)), tmp_path / "f", reporter), Success
    )
    assert reporter.calls == [
        ("start", "download", 12),
        ("update", "download", 0),
        ("update", "download", 3),
        ("update", "download", 7),
        ("update", "download", 12),
        ("finish", "download"),
    ]


def test_progress_is_finished_on_failure(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    transport = Streaming(pieces=[b"a", b"b"], fail_after=1)
    assert isinstance(_run(transport, tmp_path / "f", reporter), Failure)
    assert reporter.calls[-1] == ("finish", "download")
    assert reporter.updates("download") == [0, 1] * 5  # each attempt starts over


def test_a_broken_reporter_does_not_break_the_download(tmp_path: Path) -> None:
    class Broken:
        def start(self, stage: str, total: int | None) -> None:
            raise RuntimeError("bar exploded")

        def update(self, stage: str, done: int) -> None:
            raise RuntimeError("bar exploded")

        def finish(self, stage: str) -> None:
            raise RuntimeError("bar exploded")

    flow = download_flow(_session(), GET, str(tmp_path / "f"))
    assert isinstance(run_flow(Streaming(), flow, progress=Broken()), Success)
    assert (tmp_path / "f").read_bytes() == b"abcdef"


def test_fallback_cuts_the_body_into_pieces(tmp_path: Path) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    transport = Scripted(lambda r: HttpResponse(200, (("Content-Length", str(len(body))),), body))
    seen: list[Progress] = []
    flow = download_flow(_session(), GET, str(tmp_path / "f"))
    assert isinstance(run_flow(transport, flow, on_progress=seen.append), Success)
    assert (tmp_path / "f").read_bytes() == body
    assert seen[0] == Progress("download", 0, len(body))
    assert seen[-1] == Progress("download", len(body), len(body))


def test_paths_the_os_rejects_are_values_not_exceptions(tmp_path: Path) -> None:
    transport = Streaming()
    assert _run(transport, tmp_path / "a\0b").failure().field == "path"
    assert transport.sent == []

    def raw() -> Flow[list[object]]:
        outcomes: list[object] = []
        for effect in (CreateTemp("x\0y"), PathExists("x\0y")):
            outcomes.append((yield effect))
        return outcomes

    created, exists = run_flow(transport, raw())
    assert isinstance(created, OSError) and exists is False
