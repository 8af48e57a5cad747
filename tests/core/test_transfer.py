"""Exports, imports and backups over a scripted CVAT: the exact requests, and every failure."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import (
    BackgroundFailed,
    BadRequest,
    CvatErrorBase,
    DeadlineExceeded,
    InvalidInput,
    TransportFailure,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.models import Project, Task
from cvatfn.progress import RecordingReporter
from tests.core.scripted import about_server, json_response

ZIP = b"PK\x03\x04" + bytes(range(256)) * 8  # what the server "exported"


def _request_body(rq_id: str, status: str, **extra: object) -> dict[str, Any]:
    return {
        "id": rq_id,
        "status": status,
        "message": "",
        "operation": {"type": "export:dataset", "target": "task"},
        "created_date": "2026-01-01T00:00:00Z",
        **extra,
    }


class Cvat:
    """A scripted CVAT for transfers: it keeps time (polls are free), records every request,
    and answers the export, upload and request-polling protocol.

    ``states`` is the sequence of states ``GET /api/requests/rq-1`` reports (the last one
    repeats); ``download`` answers the ``result_url``; ``overrides`` maps
    ``(method, path)`` to a fixed answer.
    """

    def __init__(
        self,
        *,
        states: list[dict[str, Any]] | None = None,
        download: Callable[[HttpRequest], HttpResponse] | None = None,
        stored_name: str | None = None,
        overrides: dict[tuple[str, str], HttpResponse] | None = None,
    ) -> None:
        self.states = states or [
            _request_body("rq-1", "queued"),
            _request_body("rq-1", "started", progress=0.5),
            _request_body(
                "rq-1",
                "finished",
                progress=1.0,
                result_url="http://internal:8080/api/export/rq-1/file?rq_id=rq-1&x=1",
                result_id=7,
            ),
        ]
        self.download = download or (
            lambda request: HttpResponse(200, (("Content-Length", str(len(ZIP))),), ZIP)
        )
        self.stored_name = stored_name
        self.overrides = overrides or {}
        self.about = about_server()
        self.sent: list[HttpRequest] = []
        self.uploaded = b""
        self.time = 0.0
        self.polls = 0

    # VirtualClock: the runner sleeps on this clock
    def monotonic(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        parts = urlsplit(request.url)
        path, method = parts.path, request.method
        if path in ("/api/server/about", "/api/auth/login"):
            return self.about(request)
        if (method, path) in self.overrides:
            return self.overrides[(method, path)]
        if path == "/api/requests/rq-1":
            state = self.states[min(self.polls, len(self.states) - 1)]
            self.polls += 1
            return json_response(200, state)
        if path.startswith("/api/export/"):
            return self.download(request)
        if method == "PATCH" and "/upload-" in path:
            offset = int(request.header("Upload-Offset") or "-1")
            assert offset == len(self.uploaded), "chunks arrive in order"
            self.uploaded += request.body
            return HttpResponse(
                204,
                (
                    ("Upload-Offset", str(len(self.uploaded))),
                    ("Upload-Filename", self.stored_name or "file"),
                ),
            )
        if method == "POST" and request.header("Upload-Start") is not None:
            return HttpResponse(202)
        if method == "POST" and request.header("Upload-Length") is not None:
            metadata = request.header("Upload-Metadata") or ""
            name = base64.b64decode(metadata.split(" ", 1)[1]).decode()
            self.uploaded = b""
            self.stored_name = self.stored_name or name
            return HttpResponse(
                201,
                (
                    ("Location", f"{path.rstrip('/')}/upload-0001"),
                    ("Upload-Filename", self.stored_name),
                ),
            )
        if method == "POST" and (
            request.header("Upload-Finish") is not None or path.endswith("/export")
        ):
            self.polls = 0  # a new background request
            return json_response(202, {"rq_id": "rq-1"})
        if method == "POST" and path == "/api/projects":
            return json_response(201, {"id": 9, "name": json.loads(request.body)["name"]})
        if method == "GET" and path in ("/api/tasks/7", "/api/projects/7", "/api/projects/9"):
            return json_response(200, {"id": int(path.rsplit("/", 1)[1]), "name": "restored"})
        return json_response(404, {"detail": "Not found."})

    # views of what was sent
    def calls(self) -> list[str]:
        """``METHOD path`` of every request after login, with CVAT's upload headers marked."""
        out = []
        for request in self.sent:
            path = urlsplit(request.url).path
            if path in ("/api/server/about", "/api/auth/login"):
                continue
            mark = ""
            for header in ("Upload-Start", "Upload-Finish", "Upload-Length"):
                if request.header(header) is not None:
                    mark = f" [{header}]"
            out.append(f"{request.method} {path}{mark}")
        return out

    def query(self, index: int) -> dict[str, str]:
        requests = [
            r
            for r in self.sent
            if urlsplit(r.url).path not in ("/api/server/about", "/api/auth/login")
        ]
        return dict(parse_qsl(urlsplit(requests[index].url).query))


def _session(cvat: Cvat, **config: Any) -> cvatfn.Session:
    session = cvatfn.connect(
        "http://cvat.example:8080",
        credentials=("admin", "admin"),
        transport=cvat,
        config=cvatfn.Config(status_check_period=2.0, **config),
    ).unwrap()
    cvat.sent.clear()
    return session


def _annotations(tmp_path: Path, size: int = 5000) -> Path:
    source = tmp_path / "annotations.xml"
    source.write_bytes(bytes(index % 251 for index in range(size)))
    return source


# ------------------------------------------------------------------------------ exports


def test_export_dataset_request_sequence_and_file(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    target = tmp_path / "task.zip"
    result = cvatfn.tasks.export_dataset(session, 1, "CVAT for images 1.1", target)
    assert result == Success(target)
    assert target.read_bytes() == ZIP
    assert os.listdir(tmp_path) == ["task.zip"]
    assert cvat.calls() == [
        "POST /api/tasks/1/dataset/export",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
        "GET /api/export/rq-1/file",
    ]
    assert cvat.query(0) == {
        "format": "CVAT for images 1.1",
        "save_images": "false",
        "location": "local",
    }
    assert cvat.time == 4.0  # two sleeps of status_check_period


def test_result_url_is_fetched_from_the_session_server_with_its_query(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    assert isinstance(cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "c"), Success)
    download = cvat.sent[-1]
    # the result_url named http://internal:8080: credentials go only to the session's server
    assert download.url == "http://cvat.example:8080/api/export/rq-1/file?rq_id=rq-1&x=1"
    assert download.header("Cookie") is not None
    assert download.header("X-CSRFToken") is not None


def test_include_images_and_other_resources(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    assert isinstance(
        cvatfn.jobs.export_dataset(
            session, 3, "YOLO 1.1", tmp_path / "job.zip", include_images=True
        ),
        Success,
    )
    assert cvat.calls()[0] == "POST /api/jobs/3/dataset/export"
    assert cvat.query(0)["save_images"] == "true"
    cvat.sent.clear()
    project = Project(id=2, name="p")
    assert isinstance(
        cvatfn.projects.export_dataset(session, project, "COCO 1.0", tmp_path / "p.zip"), Success
    )
    assert cvat.calls()[0] == "POST /api/projects/2/dataset/export"


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (cvatfn.tasks.download_backup, "/api/tasks/5/backup/export"),
        (cvatfn.projects.download_backup, "/api/projects/5/backup/export"),
    ],
)
def test_download_backup(tmp_path: Path, call: Any, path: str) -> None:
    cvat = Cvat()
    session = _session(cvat)
    target = tmp_path / "backup.zip"
    assert call(session, 5, target) == Success(target)
    assert target.read_bytes() == ZIP
    assert cvat.calls()[0] == f"POST {path}"
    assert cvat.query(0) == {"lightweight": "false", "location": "local"}


def test_existing_target_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    target = tmp_path / "task.zip"
    target.write_bytes(b"precious")
    for result in (
        cvatfn.tasks.export_dataset(session, 1, "CVAT for images 1.1", target),
        cvatfn.tasks.download_backup(session, 1, target),
        cvatfn.projects.export_dataset(session, 1, "COCO 1.0", tmp_path),  # a directory
    ):
        match result:
            case Failure(InvalidInput(field="path", request=None)):
                pass
            case _:
                raise AssertionError(result)
    assert cvat.sent == []
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["task.zip"]


def test_missing_directory_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "no" / "out.zip")
    assert result.failure().field == "path"
    assert cvat.sent == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((0, "COCO 1.0", "out.zip"), "task"),
        (("1", "COCO 1.0", "out.zip"), "task"),
        ((1, "", "out.zip"), "format_name"),
        ((1, None, "out.zip"), "format_name"),
        ((1, "COCO 1.0", ""), "path"),
        ((1, "COCO 1.0", 5), "path"),
    ],
)
def test_bad_export_arguments_send_nothing(
    tmp_path: Path, arguments: tuple[Any, ...], field: str
) -> None:
    cvat = Cvat()
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, *arguments)
    assert isinstance(result.failure(), InvalidInput)
    assert result.failure().field == field
    flag: Any = "yes"
    assert (
        cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "x", include_images=flag)
        .failure()
        .field
        == "include_images"
    )
    assert cvat.sent == []


def test_deadline_is_deadline_exceeded_and_nothing_is_downloaded(tmp_path: Path) -> None:
    cvat = Cvat(states=[_request_body("rq-1", "started", progress=0.1)])
    session = _session(cvat, request_deadline=9.0)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    match result:
        case Failure(DeadlineExceeded(seconds=seconds, request_id="rq-1")):
            assert seconds == 9.0
        case _:
            raise AssertionError(result)
    assert cvat.time <= 9.0
    assert not any("/api/export/" in r.url for r in cvat.sent)
    assert os.listdir(tmp_path) == []


def test_failed_export_is_background_failed_with_the_server_message(tmp_path: Path) -> None:
    message = "Unknown format specified for the request"
    cvat = Cvat(states=[_request_body("rq-1", "failed", message=message)])
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    match result:
        case Failure(BackgroundFailed(message=text, request_id="rq-1")):
            assert text == message
        case _:
            raise AssertionError(result)
    assert os.listdir(tmp_path) == []


def test_a_format_the_server_refuses_is_its_own_error(tmp_path: Path) -> None:
    refusal = json_response(400, ["Unknown format specified for the request"])
    cvat = Cvat(overrides={("POST", "/api/tasks/1/dataset/export"): refusal})
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "CVAT XML 1.1", tmp_path / "out.zip")
    match result:
        case Failure(BadRequest(message=text, status=400)):
            assert text == "Unknown format specified for the request"
        case _:
            raise AssertionError(result)
    assert cvat.calls() == ["POST /api/tasks/1/dataset/export"]
    assert os.listdir(tmp_path) == []


def test_an_answer_without_rq_id_is_unexpected(tmp_path: Path) -> None:
    cvat = Cvat(overrides={("POST", "/api/tasks/1/dataset/export"): json_response(202, {})})
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    assert isinstance(result.failure(), UnexpectedResponse)


def test_finished_without_result_url_is_unexpected(tmp_path: Path) -> None:
    cvat = Cvat(states=[_request_body("rq-1", "finished")])
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    match result:
        case Failure(UnexpectedResponse(message=text)):
            assert "result_url" in text
        case _:
            raise AssertionError(result)
    assert os.listdir(tmp_path) == []


def test_interrupted_download_leaves_no_file(tmp_path: Path) -> None:
    def drop(request: HttpRequest) -> HttpResponse:
        raise TransportError("protocol", "connection reset mid-body", url=request.url)

    cvat = Cvat(download=drop)
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    assert isinstance(result.failure(), TransportFailure)
    assert os.listdir(tmp_path) == []


def test_truncated_download_leaves_no_file(tmp_path: Path) -> None:
    cvat = Cvat(download=lambda r: HttpResponse(200, (("Content-Length", "9999"),), ZIP))
    session = _session(cvat)
    result = cvatfn.tasks.download_backup(session, 1, tmp_path / "backup.zip")
    assert isinstance(result.failure(), UnexpectedResponse)
    assert os.listdir(tmp_path) == []


def test_expired_download_is_not_found_and_leaves_no_file(tmp_path: Path) -> None:
    cvat = Cvat(download=lambda r: json_response(404, {"detail": "Not found."}))
    session = _session(cvat)
    result = cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", tmp_path / "out.zip")
    assert result.failure().status == 404  # type: ignore[union-attr]
    assert os.listdir(tmp_path) == []


def test_export_progress_stages(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    reporter = RecordingReporter()
    result = cvatfn.tasks.export_dataset(
        session, 1, "COCO 1.0", tmp_path / "out.zip", progress=reporter
    )
    assert isinstance(result, Success)
    assert reporter.stages() == ["background", "download"]
    assert reporter.updates("background") == [50]  # "queued" reported no progress
    assert reporter.updates("download")[-1] == len(ZIP)
    assert reporter.calls[-1] == ("finish", "download")


# ------------------------------------------------------------------------------ imports


def test_import_annotations_request_sequence(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat, tus_chunk_size=2048)
    source = _annotations(tmp_path)
    result = cvatfn.tasks.import_annotations(
        session, 4, "CVAT 1.1", source, import_mode="append", conv_mask_to_poly=False
    )
    assert result == Success(None)
    assert cvat.calls() == [
        "POST /api/tasks/4/annotations/ [Upload-Start]",
        "POST /api/tasks/4/annotations/ [Upload-Length]",
        "PATCH /api/tasks/4/annotations/upload-0001",
        "PATCH /api/tasks/4/annotations/upload-0001",
        "PATCH /api/tasks/4/annotations/upload-0001",
        "POST /api/tasks/4/annotations/ [Upload-Finish]",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
    ]
    expected = {
        "format": "CVAT 1.1",
        "filename": "annotations.xml",
        "conv_mask_to_poly": "false",
        "import_mode": "append",
    }
    assert cvat.query(0) == expected
    assert cvat.query(1) == {}  # TUS create carries no import parameters
    assert cvat.query(5) == expected
    create = cvat.sent[1]
    assert create.header("Upload-Length") == "5000"
    assert create.header("Tus-Resumable") == "1.0.0"
    assert (
        create.header("Upload-Metadata")
        == "filename " + base64.b64encode(b"annotations.xml").decode()
    )
    assert cvat.uploaded == source.read_bytes()
    assert [r.header("Upload-Offset") for r in cvat.sent[2:5]] == ["0", "2048", "4096"]


def test_import_options_are_sent_only_when_given(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    source = _annotations(tmp_path)
    assert cvatfn.jobs.import_annotations(session, 8, "COCO 1.0", source) == Success(None)
    assert cvat.calls()[0] == "POST /api/jobs/8/annotations/ [Upload-Start]"
    assert cvat.query(0) == {"format": "COCO 1.0", "filename": "annotations.xml"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"import_mode": "merge"}, "import_mode"),
        ({"conv_mask_to_poly": "no"}, "conv_mask_to_poly"),
        ({"format_name": " "}, "format_name"),
        ({"path": "missing.xml"}, "path"),
        ({"path": "empty.xml"}, "path"),
        ({"path": "."}, "path"),
        ({"task": -3}, "task"),
    ],
)
def test_bad_import_arguments_send_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], field: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "ok.xml").write_bytes(b"<annotations/>")
    cvat = Cvat()
    session = _session(cvat)
    arguments: dict[str, Any] = {"task": 1, "format_name": "CVAT 1.1", "path": "ok.xml"}
    arguments.update(kwargs)
    result = cvatfn.tasks.import_annotations(session, **arguments)
    assert isinstance(result.failure(), InvalidInput)
    assert result.failure().field == field
    assert cvat.sent == []


def test_failed_import_is_background_failed(tmp_path: Path) -> None:
    message = "Dataset must contain a file: annotations.xml"
    cvat = Cvat(states=[_request_body("rq-1", "failed", message=message)])
    session = _session(cvat)
    result = cvatfn.tasks.import_annotations(session, 1, "CVAT 1.1", _annotations(tmp_path))
    match result:
        case Failure(BackgroundFailed(message=text)):
            assert text == message
        case _:
            raise AssertionError(result)


def test_import_progress_stages(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat, tus_chunk_size=2000)
    reporter = RecordingReporter()
    source = _annotations(tmp_path)
    result = cvatfn.tasks.import_annotations(session, 1, "CVAT 1.1", source, progress=reporter)
    assert isinstance(result, Success)
    assert reporter.stages() == ["upload", "background"]
    assert reporter.updates("upload") == [0, 2000, 4000, 5000]
    assert ("start", "upload", 5000) in reporter.calls


def test_rejected_tus_chunk_is_the_servers_error(tmp_path: Path) -> None:
    cvat = Cvat(
        overrides={
            ("PATCH", "/api/tasks/1/annotations/upload-0001"): json_response(
                413, {"detail": "too large"}
            )
        }
    )
    session = _session(cvat)
    result = cvatfn.tasks.import_annotations(session, 1, "CVAT 1.1", _annotations(tmp_path))
    assert result.failure().status == 413  # type: ignore[union-attr]
    assert not any(r.header("Upload-Finish") is not None for r in cvat.sent)


def test_import_dataset_into_a_project(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    source = _annotations(tmp_path)
    result = cvatfn.projects.import_dataset(session, 6, "COCO 1.0", source, conv_mask_to_poly=True)
    assert result == Success(None)
    assert cvat.calls()[:2] == [
        "POST /api/projects/6/dataset/ [Upload-Start]",
        "POST /api/projects/6/dataset/ [Upload-Length]",
    ]
    assert cvat.query(0) == {
        "format": "COCO 1.0",
        "filename": "annotations.xml",
        "conv_mask_to_poly": "true",
    }


# ------------------------------------------------------------------------------ restores


@pytest.mark.parametrize(
    ("call", "collection", "type_"),
    [
        (cvatfn.tasks.create_from_backup, "tasks", Task),
        (cvatfn.projects.create_from_backup, "projects", Project),
    ],
)
def test_restore_backup_names_the_servers_file(
    tmp_path: Path, call: Any, collection: str, type_: type
) -> None:
    stored = "cvat-backup-task_backup.zip-by-admin3fx9.zip"
    cvat = Cvat(stored_name=stored)
    session = _session(cvat)
    source = tmp_path / "task_backup.zip"
    source.write_bytes(ZIP)
    result = call(session, source)
    match result:
        case Success(restored):
            assert type(restored) is type_
            assert (restored.id, restored.name) == (7, "restored")
        case _:
            raise AssertionError(result)
    assert cvat.calls() == [
        f"POST /api/{collection}/backup/ [Upload-Start]",
        f"POST /api/{collection}/backup/ [Upload-Length]",
        f"PATCH /api/{collection}/backup/upload-0001",
        f"POST /api/{collection}/backup/ [Upload-Finish]",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
        "GET /api/requests/rq-1",
        f"GET /api/{collection}/7",
    ]
    assert cvat.query(0) == {"filename": "task_backup.zip"}
    assert cvat.query(3) == {"filename": stored}
    assert cvat.uploaded == ZIP


def test_restore_without_result_id_is_unexpected(tmp_path: Path) -> None:
    cvat = Cvat(states=[_request_body("rq-1", "finished")])
    session = _session(cvat)
    source = tmp_path / "b.zip"
    source.write_bytes(ZIP)
    result = cvatfn.tasks.create_from_backup(session, source)
    match result:
        case Failure(UnexpectedResponse(message=text)):
            assert "result_id" in text
        case _:
            raise AssertionError(result)


def test_restore_of_a_missing_file_sends_nothing(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    assert cvatfn.tasks.create_from_backup(session, tmp_path / "b.zip").failure().field == "path"
    assert cvatfn.projects.create_from_backup(session, "").failure().field == "path"
    assert cvat.sent == []


# ------------------------------------------------------------------------ create_from_dataset


def test_create_from_dataset_creates_imports_and_fetches(tmp_path: Path) -> None:
    cvat = Cvat()
    session = _session(cvat)
    source = _annotations(tmp_path)
    result = cvatfn.projects.create_from_dataset(session, {"name": "from data"}, source)
    assert result.map(lambda p: (p.id, p.name)) == Success((9, "restored"))
    calls = cvat.calls()
    assert calls[0] == "POST /api/projects"
    assert calls[1] == "POST /api/projects/9/dataset/ [Upload-Start]"
    assert calls[-1] == "GET /api/projects/9"
    assert cvat.query(1)["format"] == "CVAT 1.1"  # the current name of CVAT's importer


@pytest.mark.parametrize(
    ("spec", "path", "kwargs", "field"),
    [
        ({"nmae": "x"}, "ok.xml", {}, "nmae"),
        ({"name": "x"}, "missing.zip", {}, "path"),
        ({"name": "x"}, "ok.xml", {"dataset_format": ""}, "dataset_format"),
        ({"name": "x"}, "ok.xml", {"conv_mask_to_poly": 1}, "conv_mask_to_poly"),
    ],
)
def test_create_from_dataset_checks_everything_first(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: dict[str, Any],
    path: str,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.xml").write_bytes(b"<annotations/>")
    cvat = Cvat()
    session = _session(cvat)
    result = cvatfn.projects.create_from_dataset(session, spec, path, **kwargs)
    assert result.failure().field == field
    assert cvat.sent == []


def test_client_binds_the_transfer_functions(tmp_path: Path) -> None:
    cvat = Cvat()
    client = cvatfn.Client(_session(cvat))
    target = tmp_path / "t.zip"
    assert client.tasks.export_dataset(1, "COCO 1.0", target) == Success(target)
    source = _annotations(tmp_path)
    assert client.jobs.import_annotations(2, "COCO 1.0", source) == Success(None)
    assert isinstance(client.projects.create_from_backup(target), Success)


# ------------------------------------------------------------------------------ formats


def test_formats_decode_the_servers_list_and_tolerate_new_fields() -> None:
    body = {
        "importers": [
            {
                "name": "CVAT 1.1",
                "ext": "XML, ZIP",
                "version": "1.1",
                "enabled": True,
                "dimension": "2d",
            },
            {
                "name": "Kitti Raw Format 1.0",
                "ext": "ZIP",
                "version": "1.0",
                "enabled": True,
                "dimension": "3d",
                "added_in_a_later_version": 1,
            },
        ],
        "exporters": [
            {
                "name": "CVAT for images 1.1",
                "ext": "ZIP",
                "version": "1.1",
                "enabled": False,
                "dimension": "2d",
            },
        ],
    }
    cvat = Cvat(overrides={("GET", "/api/server/annotation/formats"): json_response(200, body)})
    session = _session(cvat)
    formats = cvatfn.formats.retrieve(session).unwrap()
    assert [f.name for f in formats.importers] == ["CVAT 1.1", "Kitti Raw Format 1.0"]
    assert formats.importers[1].dimension == "3d"
    assert formats.exporter("CVAT for images 1.1") == cvatfn.models.AnnotationFormat(
        name="CVAT for images 1.1", ext="ZIP", version="1.1", enabled=False, dimension="2d"
    )
    assert formats.importer("cvat 1.1") is None  # the server compares names exactly
    assert cvatfn.Client(session).formats.retrieve() == Success(formats)
    assert cvat.calls() == ["GET /api/server/annotation/formats"] * 2


def test_formats_failures_are_values() -> None:
    broken = HttpResponse(200, (("Content-Type", "application/json"),), b'{"importers": 3}')
    cvat = Cvat(overrides={("GET", "/api/server/annotation/formats"): broken})
    assert isinstance(cvatfn.formats.retrieve(_session(cvat)).failure(), UnexpectedResponse)
    cvat = Cvat()  # answers 404 for the formats
    assert cvatfn.formats.retrieve(_session(cvat)).failure().status == 404  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ never raises


_statuses = st.sampled_from([200, 201, 202, 204, 400, 403, 404, 409, 500])
_bodies = st.one_of(
    st.binary(max_size=32),
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"rq_id": "rq-1"}',
            b'{"rq_id": 5}',
            json.dumps(_request_body("rq-1", "started")).encode(),
            json.dumps(_request_body("rq-1", "failed", message="boom")).encode(),
            json.dumps(_request_body("rq-1", "finished", result_url="/x?y=1")).encode(),
            json.dumps(_request_body("rq-1", "finished", result_id=3)).encode(),
            b'{"id": 3, "name": "t"}',
        ]
    ),
)
_headers = st.lists(
    st.tuples(
        st.sampled_from(["Location", "Upload-Offset", "Upload-Filename", "Content-Length"]),
        st.sampled_from(["", "0", "17", "/api/x/1", "http://elsewhere/u", "zz"]),
    ),
    max_size=3,
).map(tuple)


class _Arbitrary:
    """Answers login properly and everything else at random; keeps time so polls are free."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.time = 0.0

    def monotonic(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds

    def handle(self, request: HttpRequest) -> HttpResponse:
        if urlsplit(request.url).path in ("/api/server/about", "/api/auth/login"):
            return about_server()(request)
        return HttpResponse(
            self.data.draw(_statuses), self.data.draw(_headers), self.data.draw(_bodies)
        )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_transfers_return_results_and_leave_no_partial_file(data: st.DataObject) -> None:
    transport = _Arbitrary(data)
    session = cvatfn.connect(
        "http://h",
        credentials=("admin", "admin"),
        transport=transport,
        config=cvatfn.Config(status_check_period=1.0, request_deadline=5.0, tus_chunk_size=7),
    ).unwrap()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.xml"
        source.write_bytes(b"<annotations>0123456789</annotations>")
        target = Path(folder) / "out.zip"
        calls: list[Callable[[], Result[object, object]]] = [
            lambda: cvatfn.tasks.export_dataset(session, 1, "COCO 1.0", target),
            lambda: cvatfn.projects.download_backup(session, 2, target),
            lambda: cvatfn.jobs.import_annotations(session, 3, "CVAT 1.1", source),
            lambda: cvatfn.tasks.create_from_backup(session, source),
            lambda: cvatfn.projects.create_from_dataset(session, {"name": "p"}, source),
        ]
        for call in calls:
            result = call()
            assert isinstance(result, Success) or (
                isinstance(result, Failure) and isinstance(result.failure(), CvatErrorBase)
            ), result
            names = sorted(os.listdir(folder))
            if isinstance(result, Success) and target.exists():
                target.unlink()
            else:
                assert names == ["in.xml"], names  # no partial download, no temporary file
