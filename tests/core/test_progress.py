"""Progress: the router's rules, the reporters, and what reaches a reporter from real flows."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from returns.result import Success

import cvatfn
from cvatfn import _upload
from cvatfn._flow import Flow, progress, run_flow
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.progress import ProgressReporter, ProgressRouter, RecordingReporter, TqdmReporter
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport
from tests.core.scripted import Scripted, about_server


def _calls(*snapshots: tuple[str, int, int | None]) -> list[object]:
    reporter = RecordingReporter()
    router = ProgressRouter(reporter)
    for stage, done, total in snapshots:
        router.report(stage, done, total)
    router.close()
    router.close()  # idempotent
    return list(reporter.calls)


def test_one_stage_is_started_updated_and_finished() -> None:
    assert _calls(("upload", 0, 10), ("upload", 4, 10), ("upload", 10, 10)) == [
        ("start", "upload", 10),
        ("update", "upload", 0),
        ("update", "upload", 4),
        ("update", "upload", 10),
        ("finish", "upload"),
    ]


def test_a_new_stage_finishes_the_previous_one() -> None:
    assert _calls(("upload", 5, 5), ("background", 30, 100), ("download", 0, None)) == [
        ("start", "upload", 5),
        ("update", "upload", 5),
        ("finish", "upload"),
        ("start", "background", 100),
        ("update", "background", 30),
        ("finish", "background"),
        ("start", "download", None),
        ("update", "download", 0),
        ("finish", "download"),
    ]


def test_a_restart_of_the_same_stage_is_a_new_stage() -> None:
    # done going backwards (a second download) or a new total starts over
    calls = _calls(("download", 8, 8), ("download", 0, 8), ("download", 0, 3))
    assert [c for c in calls if c[0] != "update"] == [
        ("start", "download", 8),
        ("finish", "download"),
        ("start", "download", 8),
        ("finish", "download"),
        ("start", "download", 3),
        ("finish", "download"),
    ]


def test_nothing_happens_without_a_reporter_or_without_reports() -> None:
    router = ProgressRouter(None)
    router.report("upload", 1, 2)
    router.close()
    assert _calls() == []


def test_reporters_satisfy_the_protocol() -> None:
    assert isinstance(RecordingReporter(), ProgressReporter)
    assert isinstance(TqdmReporter(), ProgressReporter)
    assert not isinstance(object(), ProgressReporter)


def test_tqdm_reporter_draws_bars() -> None:
    out = io.StringIO()
    reporter = TqdmReporter(file=out, mininterval=0, ascii=True)
    router = ProgressRouter(reporter)
    router.report("upload", 0, 4096)
    router.report("upload", 4096, 4096)
    router.report("background", 50, 100)
    router.report("background", 100, 100)
    router.report("download", 3000, None)
    router.close()
    text = out.getvalue()
    assert "Uploading: 100%" in text and "4.00k/4.00k" in text
    assert "Processing: 100%" in text and "100/100" in text
    assert "Downloading: 2.93kB" in text
    reporter.update("never-started", 5)  # ignored, not an error
    reporter.finish("never-started")


def _request_state(status: str, progress_value: float | None) -> HttpResponse:
    body = {
        "id": "rq-1",
        "status": status,
        "message": "",
        "progress": progress_value,
        "operation": {"type": "create:task", "target": "task"},
        "created_date": "2026-01-01T00:00:00Z",
    }
    return HttpResponse(200, (("Content-Type", "application/json"),), json.dumps(body).encode())


def test_wait_reports_background_progress() -> None:
    states = [_request_state("queued", 0.0), _request_state("started", 0.5)]
    states.append(_request_state("finished", 1.0))

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/requests/rq-1"):
            return states.pop(0)
        return about_server()(request)

    session = cvatfn.connect(
        "http://h",
        transport=Scripted(handler),
        config=cvatfn.Config(status_check_period=0.001),
    ).unwrap()
    reporter = RecordingReporter()
    assert isinstance(cvatfn.requests.wait(session, "rq-1", progress=reporter), Success)
    assert reporter.calls == [
        ("start", "background", 100),
        ("update", "background", 0),
        ("update", "background", 50),
        ("finish", "background"),
    ]


def test_upload_progress_reaches_the_reporter(tmp_path: Path) -> None:
    sizes = {"a.bin": 3, "b.bin": 5}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)

    def handler(request: HttpRequest) -> HttpResponse:
        if request.header("Upload-Finish") is not None:
            return HttpResponse(202, (), b'{"rq_id": "rq-9"}')
        if request.header("Upload-Start") is not None:
            return HttpResponse(202)
        return HttpResponse(200)

    session = cvatfn.connect(
        "http://h", transport=Scripted(about_server()), config=cvatfn.Config(max_request_size=4)
    ).unwrap()
    files = [_upload.LocalFile(str(tmp_path / name), size) for name, size in sizes.items()]
    flow = _upload.upload_files(
        session, "/api/tasks/1/data/", files, fields={}, multipart_fields={}
    )
    reporter = RecordingReporter()
    # b.bin (5 bytes) is larger than max_request_size: it goes over TUS, which is not
    # scripted here, so only the multipart batch's progress is expected before the failure.
    run_flow(Scripted(handler), flow, progress=reporter)
    assert reporter.calls[:2] == [("start", "upload", 8), ("update", "upload", 3)]
    assert reporter.calls[-1] == ("finish", "upload")


def test_a_reporter_sees_upload_then_background_on_the_fake(tmp_path: Path) -> None:
    server = FakeServer()
    server.configure_requests(polls_before_finish=2)
    transport = ValidatingTransport(server.transport())
    session = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=transport
    ).unwrap()
    paths = []
    for index in range(3):
        path = tmp_path / f"{index}.png"
        Image.new("RGB", (20, 10), (index, 0, 0)).save(path)
        paths.append(path)
    total = sum(p.stat().st_size for p in paths)
    reporter = RecordingReporter()
    task = cvatfn.tasks.create_from_data(
        session, {"name": "p", "labels": [{"name": "a"}]}, paths, progress=reporter
    ).unwrap()
    assert task.size == 3
    assert reporter.stages() == ["upload", "background"]
    assert ("start", "upload", total) in reporter.calls
    assert reporter.updates("upload")[-1] == total
    background = reporter.updates("background")
    assert background and background == sorted(background)
    assert reporter.calls[-1] == ("finish", "background")
    assert transport.violations == []


def test_progress_effects_from_a_hand_written_flow() -> None:
    def steps() -> Flow[str]:
        for done in range(3):
            yield from progress("custom", done, 2)
        return "ok"

    reporter = RecordingReporter()
    assert run_flow(Scripted(about_server()), steps(), progress=reporter) == "ok"
    assert reporter.stages() == ["custom"]
    assert reporter.updates("custom") == [0, 1, 2]
