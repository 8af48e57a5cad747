"""Every answer of the fake server carries exactly one Content-Length, in-process too.

Django's ``CommonMiddleware`` gives every non-streaming response a ``Content-Length`` (a 204
included), and a ``HEAD`` answer is the ``GET`` answer without its body. Clients rely on it:
cvatfn's download progress reports the total from it.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.progress import RecordingReporter
from cvatfn_fake import FakeServer

from .conftest import BASE, Api, image_bytes, make_task, request_path, upload_images


def lengths(response: HttpResponse) -> list[str]:
    return [value for name, value in response.headers if name.lower() == "content-length"]


def assert_framed(method: str, response: HttpResponse, get_body: bytes | None = None) -> None:
    """One Content-Length: the body's length, or for HEAD the GET body's and no body."""
    if method == "HEAD":
        assert response.body == b""
        if get_body is not None:
            assert lengths(response) == [str(len(get_body))]
        else:
            assert len(lengths(response)) == 1
    else:
        assert lengths(response) == [str(len(response.body))]


def test_every_answer_of_a_session_is_framed(server: FakeServer, admin: Api, anon: Api) -> None:
    """A session touching JSON, files, empty answers, errors and TUS; then every exchange in
    the server's log is checked."""
    task = make_task(admin, "framed", labels=["car"])
    upload_images(admin, task["id"], [("a.png", image_bytes((8, 6)))])
    admin.get(f"/api/tasks/{task['id']}")
    admin.get("/api/tasks?page_size=1")
    admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=0&quality=original")
    admin.get(f"/api/tasks/{task['id']}/preview")
    admin.get("/api/no/such/path")  # Django's 404 page
    admin.call("PUT", "/api/server/about")  # 405
    anon.get("/api/tasks")  # 401
    admin.post("/api/tasks", {"name": ""})  # 400
    tus = admin.call(
        "POST",
        f"/api/tasks/{make_task(admin, 'tus')['id']}/data/",
        headers=(
            ("Upload-Length", "3"),
            ("Upload-Metadata", "filename " + base64.b64encode(b"x.png").decode()),
            ("Tus-Resumable", "1.0.0"),
        ),
    )
    location = tus.header("Location")
    assert location is not None
    admin.call("HEAD", location, headers=(("Tus-Resumable", "1.0.0"),))
    admin.call(
        "PATCH",
        location,
        body=b"abc",
        headers=(
            ("Upload-Offset", "0"),
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
        ),
    )  # 204
    admin.delete(f"/api/tasks/{task['id']}")  # 204
    exchanges = server.log
    assert len(exchanges) > 15
    statuses = {response.status for _, response in exchanges}
    assert {200, 201, 202, 204, 400, 401, 404, 405} <= statuses
    for request, response in exchanges:
        assert_framed(request.method, response)


def test_head_answers_carry_the_get_length(server: FakeServer, admin: Api) -> None:
    """HEAD is not in CVAT's contract for these paths (only for TUS), so it goes to the
    server unvalidated; Django answers it like GET, without the body."""
    task = make_task(admin, "head", labels=["car"])
    upload_images(admin, task["id"], [("a.png", image_bytes((8, 6)))])
    export = admin.post(f"/api/tasks/{task['id']}/dataset/export?format=COCO+1.0")
    result_url = admin.get(request_path(export.data["rq_id"])).data["result_url"]
    paths = [
        "/api/server/about",
        f"/api/tasks/{task['id']}",
        f"/api/tasks/{task['id']}/data?type=frame&number=0&quality=original",
        result_url,  # a file download, whose handler states its own length
        "/api/no/such/path",
    ]
    for path in paths:
        got = admin.get(path).response
        url = path if path.startswith("http") else BASE + path
        head = server.handle(HttpRequest("HEAD", url, admin.auth))
        assert head.status == got.status and len(got.body) > 0
        assert_framed("GET", got)
        assert_framed("HEAD", head, got.body)


def test_an_in_process_download_reports_its_total(tmp_path: Path) -> None:
    server = FakeServer()
    session = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=server.transport()
    ).unwrap()
    folder = tmp_path / "images"
    folder.mkdir()
    paths: list[Path] = []
    for index in range(3):
        path = folder / f"{index}.png"
        Image.new("RGB", (16, 12), (60 * index, 0, 0)).save(path)
        paths.append(path)
    spec: dict[str, Any] = {"name": "progress", "labels": [{"name": "x"}]}
    task = cvatfn.tasks.create_from_data(session, spec, paths).unwrap()
    reporter = RecordingReporter()
    target = tmp_path / "chunk.zip"
    cvatfn.tasks.download_chunk(session, task, 0, target, progress=reporter).unwrap()
    size = target.stat().st_size
    assert reporter.calls[0] == ("start", "download", size)
    assert reporter.calls[-2:] == [("update", "download", size), ("finish", "download")]
    preview = cvatfn.tasks.get_preview(session, task).unwrap()
    with Image.open(io.BytesIO(preview)) as shown:
        assert shown.format == "JPEG"
