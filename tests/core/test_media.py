"""Media functions against a scripted server: the exact requests, and what lands on disk."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from returns.result import Success

import cvatfn
from cvatfn.errors import InvalidInput, LocalFileError, NotFound
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.progress import RecordingReporter
from tests.core.scripted import Scripted, about_server, json_response

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"j" * 20


def _meta(deleted: list[int], size: int = 5) -> dict[str, Any]:
    return {
        "chunks_updated_date": "2026-01-01T00:00:00Z",
        "chunk_size": 2,
        "size": size,
        "image_quality": 70,
        "start_frame": 0,
        "stop_frame": size - 1,
        "frame_filter": "",
        "frames": [
            {"name": f"f{i}.png", "width": 10 + i, "height": 8, "related_files": 0}
            for i in range(size)
        ],
        "deleted_frames": deleted,
    }


class Server:
    """Answers /api/server/about, then whatever ``route`` says; records the rest."""

    def __init__(self, route: Callable[[HttpRequest], HttpResponse]) -> None:
        self.route = route
        self.transport = Scripted(self._handle)
        self.session = cvatfn.connect("http://h", transport=self.transport).unwrap()
        self.transport.sent.clear()

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about_server()(request)
        return self.route(request)

    @property
    def sent(self) -> list[HttpRequest]:
        return self.transport.sent


def _query(request: HttpRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _path(request: HttpRequest) -> str:
    return urlsplit(request.url).path


def _frames(types: dict[int, tuple[str, bytes]]) -> Callable[[HttpRequest], HttpResponse]:
    def route(request: HttpRequest) -> HttpResponse:
        number = int(_query(request)["number"])
        if number not in types:
            return json_response(404, {"detail": "Not found."})
        content_type, body = types[number]
        return HttpResponse(200, (("Content-Type", content_type),), body)

    return route


# ------------------------------------------------------------------------------ frames


def test_task_frame_request() -> None:
    server = Server(_frames({3: ("image/png", PNG)}))
    assert cvatfn.tasks.get_frame(server.session, 5, 3) == Success(PNG)
    (request,) = server.sent
    assert (request.method, _path(request)) == ("GET", "/api/tasks/5/data/")
    assert _query(request) == {"type": "frame", "number": "3", "quality": "original"}


def test_job_frame_request_uses_task_frame_numbers() -> None:
    server = Server(_frames({12: ("image/jpeg", JPEG)}))
    assert cvatfn.jobs.get_frame(server.session, 7, 12, quality="compressed") == Success(JPEG)
    (request,) = server.sent
    assert _path(request) == "/api/jobs/7/data"
    assert _query(request) == {"type": "frame", "number": "12", "quality": "compressed"}


def test_missing_frame_is_not_found() -> None:
    server = Server(_frames({}))
    assert isinstance(cvatfn.tasks.get_frame(server.session, 5, 0).failure(), NotFound)


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((5, -1), {}, "frame_id"),
        ((5, True), {}, "frame_id"),
        ((5, "1"), {}, "frame_id"),
        ((5, 1), {"quality": "best"}, "quality"),
        (("5", 1), {}, "task"),
    ],
)
def test_bad_frame_input_sends_nothing(
    args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    server = Server(_frames({}))
    result = cvatfn.tasks.get_frame(server.session, *args, **kwargs)
    assert isinstance(result.failure(), InvalidInput)
    assert result.failure().field == field
    assert server.sent == []


def test_previews() -> None:
    server = Server(lambda r: HttpResponse(200, (("Content-Type", "image/jpeg"),), JPEG))
    assert cvatfn.tasks.get_preview(server.session, 5) == Success(JPEG)
    assert cvatfn.jobs.get_preview(server.session, 6) == Success(JPEG)
    assert [_path(r) for r in server.sent] == ["/api/tasks/5/preview", "/api/jobs/6/preview"]


# ------------------------------------------------------------------------------ chunks


def _chunk_route(request: HttpRequest) -> HttpResponse:
    body = b"PK\x03\x04" + b"z" * 100
    return HttpResponse(
        200, (("Content-Type", "application/zip"), ("Content-Length", str(len(body)))), body
    )


def test_task_chunk_is_numbered_and_job_chunk_is_indexed(tmp_path: Path) -> None:
    server = Server(_chunk_route)
    reporter = RecordingReporter()
    task_chunk = tmp_path / "task.zip"
    result = cvatfn.tasks.download_chunk(server.session, 5, 2, task_chunk, progress=reporter)
    assert result == Success(str(task_chunk))
    assert task_chunk.read_bytes().startswith(b"PK")
    job_chunk = tmp_path / "job.zip"
    assert isinstance(
        cvatfn.jobs.download_chunk(server.session, 6, 0, str(job_chunk), quality="compressed"),
        Success,
    )
    first, second = server.sent
    assert _path(first) == "/api/tasks/5/data/"
    assert _query(first) == {"type": "chunk", "number": "2", "quality": "original"}
    assert _path(second) == "/api/jobs/6/data"
    assert _query(second) == {"type": "chunk", "index": "0", "quality": "compressed"}
    assert reporter.calls[0] == ("start", "download", 104)
    assert reporter.calls[-2:] == [("update", "download", 104), ("finish", "download")]
    assert sorted(os.listdir(tmp_path)) == ["job.zip", "task.zip"]


def test_chunk_input_is_checked_before_sending(tmp_path: Path) -> None:
    server = Server(_chunk_route)
    (tmp_path / "taken.zip").write_bytes(b"mine")
    cases: list[tuple[Any, Any, str]] = [
        (-1, tmp_path / "a.zip", "chunk_id"),
        (0, 42, "path"),
        (0, "", "path"),
        (0, tmp_path / "taken.zip", "path"),
        (0, tmp_path / "missing-dir" / "a.zip", "path"),
    ]
    for chunk_id, path, field in cases:
        result = cvatfn.tasks.download_chunk(server.session, 5, chunk_id, path)
        assert result.failure().field == field, (chunk_id, path)
    assert server.sent == []
    assert (tmp_path / "taken.zip").read_bytes() == b"mine"


# ------------------------------------------------------------------------------ download_frames


def test_download_frames_names_files_by_content_type(tmp_path: Path) -> None:
    server = Server(
        _frames(
            {
                0: ("image/jpeg", JPEG),
                1: ("image/png", PNG),
                2: ("application/octet-stream", PNG),
            }
        )
    )
    outdir = tmp_path / "new" / "dir"
    reporter = RecordingReporter()
    result = cvatfn.tasks.download_frames(
        server.session, 5, [2, 0, 1], outdir=outdir, quality="compressed", progress=reporter
    )
    expected = [
        str(outdir / n) for n in ("frame_000002.png", "frame_000000.jpg", "frame_000001.png")
    ]
    assert result == Success(tuple(expected))
    assert (outdir / "frame_000000.jpg").read_bytes() == JPEG
    assert sorted(os.listdir(outdir)) == sorted(Path(p).name for p in expected)
    assert [_query(r)["number"] for r in server.sent] == ["2", "0", "1"]
    assert {_query(r)["quality"] for r in server.sent} == {"compressed"}
    assert reporter.calls == [
        ("start", "frames", 3),
        ("update", "frames", 0),
        ("update", "frames", 1),
        ("update", "frames", 2),
        ("update", "frames", 3),
        ("finish", "frames"),
    ]


def test_download_frames_custom_pattern(tmp_path: Path) -> None:
    server = Server(_frames({4: ("image/png", PNG)}))
    result = cvatfn.jobs.download_frames(
        server.session, 9, [4], outdir=tmp_path, filename_pattern="img-{frame_id}{frame_ext}"
    )
    assert result == Success((str(tmp_path / "img-4.png"),))
    assert _path(server.sent[0]) == "/api/jobs/9/data"


def test_download_frames_never_overwrites(tmp_path: Path) -> None:
    server = Server(_frames({0: ("image/png", PNG), 1: ("image/png", PNG), 2: ("image/png", PNG)}))
    (tmp_path / "frame_000001.png").write_bytes(b"precious")
    result = cvatfn.tasks.download_frames(server.session, 5, [0, 1, 2], outdir=tmp_path)
    error = result.failure()
    assert isinstance(error, LocalFileError)  # the name needs the answer's Content-Type
    assert error.path == str(tmp_path / "frame_000001.png")
    assert "already exists" in error.message
    assert (tmp_path / "frame_000001.png").read_bytes() == b"precious"
    # the frame before is saved whole; nothing after it was asked for; no temporary files
    assert sorted(os.listdir(tmp_path)) == ["frame_000000.png", "frame_000001.png"]
    assert [_query(r)["number"] for r in server.sent] == ["0", "1"]


def test_download_frames_stops_at_a_server_error(tmp_path: Path) -> None:
    server = Server(_frames({0: ("image/png", PNG)}))
    result = cvatfn.tasks.download_frames(server.session, 5, [0, 7], outdir=tmp_path)
    assert isinstance(result.failure(), NotFound)
    assert os.listdir(tmp_path) == ["frame_000000.png"]


@pytest.mark.parametrize(
    ("frame_ids", "kwargs", "field"),
    [
        ([0], {"filename_pattern": "{frame}.png"}, "filename_pattern"),
        ([0], {"filename_pattern": "{0}.png"}, "filename_pattern"),
        ([0], {"filename_pattern": "{frame_id:x<}{"}, "filename_pattern"),
        ([0], {"filename_pattern": "sub/{frame_id}{frame_ext}"}, "filename_pattern"),
        ([0], {"filename_pattern": ".."}, "filename_pattern"),
        ([0, 1], {"filename_pattern": "same{frame_ext}"}, "filename_pattern"),
        ([0], {"filename_pattern": 5}, "filename_pattern"),
        ([0, 0], {}, "frame_ids"),
        ([0, -2], {}, "frame_ids[1]"),
        ("012", {}, "frame_ids"),
        ([0], {"quality": "low"}, "quality"),
        ([0], {"outdir": None}, "outdir"),
    ],
)
def test_download_frames_checks_everything_first(
    tmp_path: Path, frame_ids: Any, kwargs: dict[str, Any], field: str
) -> None:
    server = Server(_frames({0: ("image/png", PNG)}))
    arguments: dict[str, Any] = {"outdir": tmp_path / "out", **kwargs}
    result = cvatfn.tasks.download_frames(server.session, 5, frame_ids, **arguments)
    assert isinstance(result.failure(), InvalidInput)
    assert result.failure().field == field
    assert server.sent == []
    assert os.listdir(tmp_path) == []


def test_download_frames_outdir_that_is_a_file(tmp_path: Path) -> None:
    server = Server(_frames({0: ("image/png", PNG)}))
    (tmp_path / "file").write_bytes(b"")
    result = cvatfn.tasks.download_frames(server.session, 5, [0], outdir=tmp_path / "file")
    assert result.failure().field == "outdir"
    assert server.sent == []


# ------------------------------------------------------------------------------ meta


class MetaServer:
    """Keeps a task's deleted frames; PATCH replaces them, as CVAT does."""

    def __init__(self, deleted: list[int], size: int = 5, what: str = "tasks") -> None:
        self.deleted = deleted
        self.size = size
        self.what = what
        self.server = Server(self.route)
        self.patches: list[Any] = []

    def route(self, request: HttpRequest) -> HttpResponse:
        assert _path(request) == f"/api/{self.what}/5/data/meta"
        if request.method == "PATCH":
            body = json.loads(request.body)
            self.patches.append(body)
            self.deleted = body["deleted_frames"]
        return json_response(200, _meta(self.deleted, self.size))


def test_remove_frames_adds_to_the_deleted_set() -> None:
    meta = MetaServer([1])
    result = cvatfn.tasks.remove_frames_by_ids(meta.server.session, 5, [4, 3])
    assert result.unwrap().deleted_frames == (1, 3, 4)
    assert meta.patches == [{"deleted_frames": [1, 3, 4]}]
    assert [r.method for r in meta.server.sent] == ["GET", "PATCH"]


def test_removing_deleted_frames_again_changes_nothing() -> None:
    meta = MetaServer([1, 2])
    assert cvatfn.tasks.remove_frames_by_ids(
        meta.server.session, 5, [2]
    ).unwrap().deleted_frames == (
        1,
        2,
    )
    assert meta.patches == []


def test_restore_frames_takes_ids_out() -> None:
    meta = MetaServer([0, 2, 4])
    assert cvatfn.tasks.restore_frames(meta.server.session, 5, [2, 3]).unwrap().deleted_frames == (
        0,
        4,
    )
    assert meta.patches == [{"deleted_frames": [0, 4]}]


def test_frame_outside_the_task_is_refused_before_writing() -> None:
    meta = MetaServer([1], size=3)
    result = cvatfn.tasks.remove_frames_by_ids(meta.server.session, 5, [0, 3])
    assert result.failure().field == "ids[1]"
    assert meta.patches == []


def test_bad_ids_send_nothing() -> None:
    meta = MetaServer([])
    for ids in ([-1], [True], "1", [1.0]):
        result = cvatfn.tasks.remove_frames_by_ids(meta.server.session, 5, ids)  # type: ignore[arg-type]
        assert isinstance(result.failure(), InvalidInput), ids
    assert meta.server.sent == []


def test_frames_info_and_job_meta() -> None:
    meta = MetaServer([], size=2, what="jobs")
    info = cvatfn.jobs.get_frames_info(meta.server.session, 5).unwrap()
    assert [(f.name, f.width) for f in info] == [("f0.png", 10), ("f1.png", 11)]
    assert cvatfn.jobs.get_meta(meta.server.session, 5).unwrap().size == 2


def test_frames_info_without_frames_is_empty() -> None:
    server = Server(lambda r: json_response(200, {**_meta([], 0), "frames": None}))
    assert cvatfn.tasks.get_frames_info(server.session, 5) == Success(())


def test_job_frames_are_removed_as_a_union_and_checked_by_the_server() -> None:
    meta = MetaServer([3], size=2, what="jobs")  # a job's frames carry task numbers
    result = cvatfn.jobs.remove_frames_by_ids(meta.server.session, 5, [4])
    assert result.unwrap().deleted_frames == (3, 4)
    assert meta.patches == [{"deleted_frames": [3, 4]}]
    assert cvatfn.jobs.restore_frames(meta.server.session, 5, [3]).unwrap().deleted_frames == (4,)
    assert meta.patches[-1] == {"deleted_frames": [4]}


def test_a_json_string_error_body_is_the_message() -> None:
    message = "Invalid frame '9'. The frame number should be in the [0, 4] range"
    server = Server(lambda r: json_response(400, message))
    error = cvatfn.tasks.get_frame(server.session, 5, 9).failure()
    assert (type(error).__name__, error.message) == ("BadRequest", message)


def test_nul_in_a_path_is_invalid_input(tmp_path: Path) -> None:
    server = Server(_chunk_route)
    assert cvatfn.tasks.download_chunk(server.session, 5, 0, "a\0.zip").failure().field == "path"
    result = cvatfn.tasks.download_frames(server.session, 5, [0], outdir=f"{tmp_path}/x\0y")
    assert result.failure().field == "outdir"
    created = cvatfn.tasks.create_from_data(server.session, {"name": "t"}, ["img\0.png"])
    assert created.failure().field == "resources[0]"
    assert server.sent == []
