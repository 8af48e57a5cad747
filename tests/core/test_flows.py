"""Flows are pure: drive them by hand and check the exact sequence of effects."""

from __future__ import annotations

import json

import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn import _upload
from cvatfn._flow import Effect, Now, Progress, ReadFile, Send, Sleep, drive
from cvatfn.errors import BackgroundFailed, DeadlineExceeded, LocalFileError, UnexpectedResponse
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.requests import wait_flow
from tests.core.scripted import Scripted, about_server


def _session(**config: object) -> cvatfn.Session:
    return cvatfn.connect(
        "http://h",
        transport=Scripted(about_server()),
        config=cvatfn.Config(**config),  # type: ignore[arg-type]
    ).unwrap()


def _request_state(status: str, message: str = "") -> HttpResponse:
    body = {
        "id": "rq-1",
        "status": status,
        "message": message,
        "operation": {"type": "create:task", "target": "task"},
        "created_date": "2026-01-01T00:00:00Z",
    }
    return HttpResponse(200, (), json.dumps(body).encode())


class Clocked:
    """Answers effects: a clock that only moves when the flow sleeps."""

    def __init__(self, answers: list[HttpResponse]) -> None:
        self.answers = answers
        self.time = 100.0
        self.effects: list[Effect] = []

    def __call__(self, effect: Effect) -> object:
        self.effects.append(effect)
        match effect:
            case Send():
                return self.answers.pop(0)
            case Sleep(seconds):
                self.time += seconds
                return None
            case Now():
                return self.time
            case _:
                return None


def test_wait_polls_then_finishes() -> None:
    session = _session(status_check_period=2.5)
    perform = Clocked(
        [_request_state("queued"), _request_state("started"), _request_state("finished")]
    )
    result = drive(wait_flow(session, "rq-1"), perform)
    assert isinstance(result, Success)
    kinds = [type(e).__name__ for e in perform.effects]
    assert kinds == ["Now", "Send", "Now", "Sleep", "Send", "Now", "Sleep", "Send"]
    sleeps = [e.seconds for e in perform.effects if isinstance(e, Sleep)]
    assert sleeps == [2.5, 2.5]
    sent = [e.request for e in perform.effects if isinstance(e, Send)]
    assert {r.url for r in sent} == {"http://h/api/requests/rq-1"}


def test_wait_failed_request_carries_the_message() -> None:
    perform = Clocked([_request_state("failed", "No media data found")])
    result = drive(wait_flow(_session(), "rq-1"), perform)
    match result:
        case Failure(BackgroundFailed(message=message, request_id=rq_id, request=info)):
            assert (message, rq_id) == ("No media data found", "rq-1")
            assert info is not None
            assert info.url == "http://h/api/requests/rq-1"
        case _:
            raise AssertionError(result)


def test_wait_deadline() -> None:
    session = _session(status_check_period=4.0, request_deadline=10.0)
    perform = Clocked([_request_state("started")] * 10)
    result = drive(wait_flow(session, "rq-1"), perform)
    match result:
        case Failure(DeadlineExceeded(seconds=10.0)):
            pass
        case _:
            raise AssertionError(result)
    assert perform.time - 100.0 <= 10.0
    assert sum(isinstance(e, Send) for e in perform.effects) == 3


def test_upload_protocol_sequence() -> None:
    session = _session(max_request_size=10, tus_chunk_size=4)
    files = [
        _upload.LocalFile("/a.png", 3),
        _upload.LocalFile("/b.png", 5),
        _upload.LocalFile("/big.bin", 12),
    ]
    offsets: list[int] = []

    def perform(effect: Effect) -> object:
        match effect:
            case ReadFile(path, offset, size):
                return b"x" * min(size, {"/a.png": 3, "/b.png": 5, "/big.bin": 12}[path] - offset)
            case Send(request):
                return answer(request)
            case _:
                return None

    def answer(request: HttpRequest) -> HttpResponse:
        if (
            request.header("Upload-Start") is not None
            or request.header("Upload-Multiple") is not None
        ):
            return HttpResponse(202 if request.header("Upload-Start") is not None else 200)
        if request.header("Tus-Resumable") and request.method == "POST":
            return HttpResponse(201, (("Location", "/api/tasks/1/data/abc-def-123"),))
        if request.method == "PATCH":
            offset = int(request.header("Upload-Offset") or "0")
            offsets.append(offset)
            return HttpResponse(204, (("Upload-Offset", str(offset + len(request.body))),))
        assert request.header("Upload-Finish") is not None
        assert json.loads(request.body) == {"image_quality": 70}
        return HttpResponse(202, (), b'{"rq_id": "rq-9"}')

    recorded: list[Effect] = []

    def record(effect: Effect) -> object:
        recorded.append(effect)
        return perform(effect)

    flow = _upload.upload_files(
        session,
        "/api/tasks/1/data/",
        files,
        fields={"image_quality": 70},
        multipart_fields={"image_quality": "70"},
    )
    assert drive(flow, record) == Success("rq-9")
    steps = []
    for effect in recorded:
        if isinstance(effect, Send):
            r = effect.request
            tag = next(
                (
                    h
                    for h in ("Upload-Start", "Upload-Multiple", "Upload-Finish")
                    if r.header(h) is not None
                ),
                None,
            )
            steps.append(tag or f"{r.method} {r.url.rsplit('/', 1)[-1]}")
    assert steps == [
        "Upload-Start",
        "Upload-Multiple",
        "POST ",
        "PATCH abc-def-123",
        "PATCH abc-def-123",
        "PATCH abc-def-123",
        "Upload-Finish",
    ]
    assert offsets == [0, 4, 8]
    progress = [(e.done, e.total) for e in recorded if isinstance(e, Progress)]
    assert progress[0] == (8, 20)
    assert progress[-1] == (20, 20)
    multipart = next(
        e.request
        for e in recorded
        if isinstance(e, Send) and e.request.header("Upload-Multiple") is not None
    )
    assert b'filename="a.png"' in multipart.body and b'filename="b.png"' in multipart.body
    tus_location = [
        e.request.url for e in recorded if isinstance(e, Send) and e.request.method == "PATCH"
    ]
    assert tus_location[0] == "http://h/api/tasks/1/data/abc-def-123"


def test_tus_offset_mismatch_is_a_protocol_failure() -> None:
    session = _session(max_request_size=1, tus_chunk_size=4)

    def perform(effect: Effect) -> object:
        match effect:
            case ReadFile():
                return b"xxxx"
            case Send(request) if request.method == "PATCH":
                return HttpResponse(204, (("Upload-Offset", "1"),))
            case Send(request) if request.header("Tus-Resumable"):
                return HttpResponse(201, (("Location", "http://h/api/tasks/1/data/f1"),))
            case Send():
                return HttpResponse(202)
            case _:
                return None

    flow = _upload.upload_files(
        session,
        "/api/tasks/1/data/",
        [_upload.LocalFile("/f", 8)],
        fields={},
        multipart_fields={},
    )
    result = drive(flow, perform)
    assert isinstance(result.failure(), UnexpectedResponse)
    assert "offset 1" in result.failure().message


def test_multipart_boundary_is_deterministic_and_absent_from_content() -> None:
    files = [("client_files[0]", "a.png", b"\x89PNG" * 100)]
    first = _upload.multipart_body({"image_quality": "70"}, files)
    second = _upload.multipart_body({"image_quality": "70"}, files)
    assert first == second
    boundary = first[0].split("boundary=", 1)[1].encode()
    assert boundary not in files[0][2]
    assert first[1].endswith(b"--" + boundary + b"--\r\n")


@pytest.mark.parametrize("actual", [b"abc", b"abcdefg"])
def test_a_file_that_changed_size_before_its_batch_is_a_local_file_error(actual: bytes) -> None:
    session = _session()
    sent: list[HttpRequest] = []

    def perform(effect: Effect) -> object:
        match effect:
            case ReadFile(_, offset, size):
                return actual[offset : offset + size]
            case Send(request):
                sent.append(request)
                return HttpResponse(202)
            case _:
                return None

    flow = _upload.upload_files(
        session,
        "/api/tasks/1/data/",
        [_upload.LocalFile("/a.png", 5)],
        fields={},
        multipart_fields={},
    )
    error = drive(flow, perform).failure()
    assert isinstance(error, LocalFileError) and error.path == "/a.png"
    assert "size changed from 5 bytes" in error.message
    assert [r.header("Upload-Multiple") for r in sent] == [None]  # only Upload-Start went out
