"""Task and project backups of the fake server: the zip layout, restore, errors, permissions.

A backup is checked by opening it (``task.json``, ``annotations.json``, ``data/``) and by
restoring it: the new task must have equal labels, frames, jobs and annotations.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import quote

import pytest

from cvatfn_fake import FakeServer

from .conftest import Api, Reply, basic, image_bytes, multipart, upload_images
from .test_exports import (
    LABELS,
    annotated_task,
    annotations_of,
    multipart_import,
    new_task,
    normalized,
    sample_annotations,
    task_labels,
    wait,
)


# ------------------------------------------------------------------------------ helpers
def backup(api: Api, path: str) -> tuple[dict[str, Any], Reply]:
    started = api.post(f"{path}/backup/export")
    assert started.status == 202, started.data
    request = wait(api, started.data["rq_id"])
    assert request["status"] == "finished", request
    download = api.get(request["result_url"])
    assert download.status == 200, download.data
    return request, download


def restore(api: Api, kind: str, data: bytes, *, headers: tuple[tuple[str, str], ...] = ()) -> Any:
    """Restore over TUS, as the official SDK does; returns the finished request."""
    path = f"/api/{kind}s/backup/"
    query = "filename=backup.zip"
    start = api.call("POST", f"{path}?{query}", headers=(("Upload-Start", ""), *headers))
    assert start.status == 202, start.data
    created = api.call(
        "POST",
        path,
        headers=(
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", str(len(data))),
            ("Upload-Metadata", "filename " + base64.b64encode(b"backup.zip").decode()),
            *headers,
        ),
    )
    assert created.status == 201, created.data
    location = created.header("Location") or ""
    file_id = created.header("Upload-Filename") or ""
    assert location == f"http://testserver{path}{file_id}"
    half = len(data) // 2
    for offset, piece in ((0, data[:half]), (half, data[half:])):
        patched = api.call(
            "PATCH",
            location,
            body=piece,
            headers=(("Tus-Resumable", "1.0.0"), ("Upload-Offset", str(offset)), *headers),
        )
        assert patched.status == 204, patched.data
    head = api.call("HEAD", location, headers=(("Tus-Resumable", "1.0.0"),))
    assert head.header("Upload-Offset") == str(len(data))
    finish = api.call(
        "POST", f"{path}?filename={file_id}", headers=(("Upload-Finish", ""), *headers)
    )
    assert finish.status == 202, finish.data
    assert re.fullmatch(
        rf"action=import&target={kind}&id=[0-9a-f-]{{36}}&subresource=backup",
        finish.data["rq_id"],
    )
    return wait(api, finish.data["rq_id"])


def label_specs(api: Api, query: str) -> list[dict[str, Any]]:
    """Labels as a backup must keep them: no ids, sublabels nested, SVG by sublabel name."""
    labels = api.get(f"/api/labels?{query}&page_size=100").data["results"]

    def spec(label: dict[str, Any]) -> dict[str, Any]:
        svg = label.get("svg", "")
        for sub in label.get("sublabels", []):
            svg = svg.replace(f'data-label-id="{sub["id"]}"', f'data-label-name="{sub["name"]}"')
        return {
            "name": label["name"],
            "color": label["color"],
            "type": label["type"],
            "svg": svg,
            "attributes": [{k: v for k, v in a.items() if k != "id"} for a in label["attributes"]],
            "sublabels": [spec(s) for s in label.get("sublabels", [])],
        }

    return [spec(lb) for lb in labels]


def task_shape(api: Api, task_id: int) -> dict[str, Any]:
    """What a restore must reproduce of a task, its annotations aside."""
    task = api.get(f"/api/tasks/{task_id}").data
    meta = api.get(f"/api/tasks/{task_id}/data/meta").data
    jobs = api.get(f"/api/jobs?task_id={task_id}&sort=id").data["results"]
    return {
        "task": {
            k: task[k]
            for k in ("name", "subset", "bug_tracker", "status", "size", "segment_size", "overlap")
        },
        "meta": {
            k: meta[k]
            for k in (
                "frames",
                "deleted_frames",
                "start_frame",
                "stop_frame",
                "frame_filter",
                "image_quality",
                "chunk_size",
            )
        },
        "jobs": [(j["start_frame"], j["stop_frame"], j["status"]) for j in jobs],
    }


def job_annotations(api: Api, task_id: int) -> list[dict[str, Any]]:
    jobs = api.get(f"/api/jobs?task_id={task_id}&sort=id").data["results"]
    return [normalized(api, annotations_of(api, f"/api/jobs/{j['id']}"), task_id) for j in jobs]


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# -------------------------------------------------------------------------------- tests
def test_task_backup_layout(admin: Api) -> None:
    task = annotated_task(admin, segment_size=2, bug_tracker="http://bugs/2", subset="train")
    request, download = backup(admin, f"/api/tasks/{task['id']}")
    assert request["operation"]["type"] == "export:backup"
    assert request["id"] == (
        f"action=export&target=task&target_id={task['id']}&user_id=1&subresource=backup"
    )
    assert download.header("Content-Disposition") == (
        'attachment; filename="task_source_backup_2026_01_01_00_00_00.zip"'
    )
    zf = zipfile.ZipFile(io.BytesIO(download.response.body))
    assert sorted(zf.namelist()) == [
        "annotations.json",
        "data/frame_0.png",
        "data/frame_1.png",
        "data/frame_2.png",
        "data/frame_3.png",
        "data/manifest.jsonl",
        "task.json",
    ]
    assert zf.getinfo("data/frame_1.png").compress_type == zipfile.ZIP_STORED
    assert zf.read("data/frame_1.png") == image_bytes((20, 10), color=(1, 0, 0))
    manifest = json.loads(zf.read("task.json"))
    assert list(manifest) == [
        "name",
        "bug_tracker",
        "status",
        "subset",
        "labels",
        "version",
        "data",
        "jobs",
    ]
    assert (manifest["name"], manifest["bug_tracker"], manifest["subset"]) == (
        "source",
        "http://bugs/2",
        "train",
    )
    assert manifest["version"] == "1.0"
    assert manifest["data"] == {
        "chunk_size": 72,
        "image_quality": 70,
        "start_frame": 0,
        "stop_frame": 3,
        "storage_method": "file_system",
        "storage": "local",
        "sorting_method": "lexicographical",
        "chunk_type": "imageset",
        "deleted_frames": [],
    }
    assert manifest["jobs"] == [
        {"start_frame": 0, "stop_frame": 1, "status": "annotation", "type": "annotation"},
        {"start_frame": 2, "stop_frame": 3, "status": "annotation", "type": "annotation"},
    ]
    car, _, cat = manifest["labels"]
    assert set(car) == {"name", "color", "attributes", "type", "sublabels"}
    assert car["attributes"][0] == {
        "name": "model",
        "mutable": False,
        "input_type": "select",
        "default_value": "bmw",
        "values": ["bmw", "mazda"],
    }
    assert [s["name"] for s in cat["sublabels"]] == ["nose", "tail"]
    assert 'data-label-name="nose"' in cat["svg"] and "data-label-id" not in cat["svg"]
    lines = [json.loads(line) for line in zf.read("data/manifest.jsonl").splitlines()]
    assert lines[:2] == [{"version": "1.1"}, {"type": "images"}]
    assert lines[2] == {
        "name": "frame_0",
        "extension": ".png",
        "width": 20,
        "height": 10,
        "meta": {"related_images": []},
        "checksum": hashlib.md5(zf.read("data/frame_0.png")).hexdigest(),
    }
    first, second = json.loads(zf.read("annotations.json"))
    assert first["tags"] == [
        {
            "frame": 0,
            "group": 0,
            "source": "manual",
            "attributes": [
                {"value": "mazda", "name": "model"},
                {"value": "false", "name": "parked"},
                {"value": "0", "name": "speed"},
            ],
            "label": "car",
        }
    ]
    skeleton = next(s for s in second["shapes"] if s["type"] == "skeleton")
    assert "id" not in skeleton and "label_id" not in skeleton and skeleton["label"] == "cat"
    assert [e["label"] for e in skeleton["elements"]] == ["nose", "tail"]
    assert all("id" not in t for t in first["tracks"] + second["tracks"])


def test_task_backup_restores_an_equal_task(admin: Api) -> None:
    task = annotated_task(admin, segment_size=2, subset="val")
    jobs = admin.get(f"/api/jobs?task_id={task['id']}&sort=id").data["results"]
    assert admin.patch(f"/api/jobs/{jobs[1]['id']}", {"stage": "validation"}).status == 200
    assert admin.patch(f"/api/tasks/{task['id']}/data/meta", {"deleted_frames": [3]}).status == 200
    _, download = backup(admin, f"/api/tasks/{task['id']}")
    request = restore(admin, "task", download.response.body)
    assert request["status"] == "finished", request
    assert request["operation"]["type"] == "import:backup"
    new_id = request["result_id"]
    assert isinstance(new_id, int) and new_id != task["id"]
    restored = admin.get(f"/api/tasks/{new_id}").data
    assert restored["owner"]["username"] == "admin" and restored["project_id"] is None
    assert label_specs(admin, f"task_id={new_id}") == label_specs(admin, f"task_id={task['id']}")
    assert task_shape(admin, new_id) == task_shape(admin, task["id"])
    assert job_annotations(admin, new_id) == job_annotations(admin, task["id"])
    for number in range(4):
        original = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number={number}")
        copy = admin.get(f"/api/tasks/{new_id}/data?type=frame&number={number}")
        assert copy.response.body == original.response.body
    # a multipart restore gives the same result
    body, ctype = _multipart("task_file", download.response.body)
    started = admin.call(
        "POST", "/api/tasks/backup/", body=body, headers=(("Content-Type", ctype),)
    )
    assert started.status == 202
    again = wait(admin, started.data["rq_id"])["result_id"]
    assert job_annotations(admin, again) == job_annotations(admin, task["id"])


def _multipart(field: str, data: bytes) -> tuple[bytes, str]:
    return multipart({}, [(field, "backup.zip", data)])


def test_custom_segments_and_order_survive(admin: Api) -> None:
    reply = admin.post("/api/tasks", {"name": "mapped", "labels": [{"name": "car"}]})
    task_id = reply.data["id"]
    files = [(f"{n}.png", image_bytes((4, 4), color=(i, 9, 9))) for i, n in enumerate("dcba")]
    finish = upload_images(
        admin, task_id, files, job_file_mapping=[["d.png", "c.png"], ["b.png"], ["a.png"]]
    )
    assert finish.status == 202, finish.data
    assert wait(admin, finish.data["rq_id"])["status"] == "finished"
    _, download = backup(admin, f"/api/tasks/{task_id}")
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(download.response.body)).read("task.json"))
    assert manifest["data"]["custom_segments"] is True
    assert [j["files"] for j in manifest["jobs"]] == [["d.png", "c.png"], ["b.png"], ["a.png"]]
    request = restore(admin, "task", download.response.body)
    assert request["status"] == "finished", request
    assert task_shape(admin, request["result_id"]) == task_shape(admin, task_id)


def test_project_backup_round_trip(admin: Api) -> None:
    project = admin.post(
        "/api/projects", {"name": "zoo", "labels": LABELS, "bug_tracker": "http://b"}
    ).data
    first = new_task(admin, "one", labels=[], project_id=project["id"], subset="train")
    admin.post("/api/tasks", {"name": "no data", "project_id": project["id"]})
    second = new_task(
        admin,
        "two",
        labels=[],
        project_id=project["id"],
        frames=[("x.png", image_bytes((20, 10))), ("y.png", image_bytes((20, 10)))],
    )
    labels = task_labels(admin, first["id"])
    reply = admin.call(
        "PUT", f"/api/tasks/{first['id']}/annotations", json_body=sample_annotations(labels)
    )
    assert reply.status == 200
    request, download = backup(admin, f"/api/projects/{project['id']}")
    assert download.header("Content-Disposition") == (
        'attachment; filename="project_zoo_backup_2026_01_01_00_00_00.zip"'
    )
    zf = zipfile.ZipFile(io.BytesIO(download.response.body))
    names = zf.namelist()
    assert "project.json" in names and "task_0/task.json" in names and "task_2/task.json" in names
    assert not any(n.startswith("task_1/") for n in names)
    manifest = json.loads(zf.read("project.json"))
    assert list(manifest) == ["name", "labels", "bug_tracker", "status", "version"]
    result = restore(admin, "project", download.response.body)
    assert result["status"] == "finished", result
    new_id = result["result_id"]
    assert label_specs(admin, f"project_id={new_id}") == label_specs(
        admin, f"project_id={project['id']}"
    )
    tasks = admin.get(f"/api/tasks?project_id={new_id}&sort=id").data["results"]
    assert [(t["name"], t["subset"], t["size"]) for t in tasks] == [
        ("one", "train", 4),
        ("two", "", 2),
    ]
    assert job_annotations(admin, tasks[0]["id"]) == job_annotations(admin, first["id"])
    assert task_shape(admin, tasks[1]["id"]) == task_shape(admin, second["id"])
    restored = admin.get(f"/api/projects/{new_id}").data
    assert (restored["name"], restored["bug_tracker"]) == ("zoo", "http://b")
    del request


def test_backup_errors(server: FakeServer, admin: Api) -> None:
    empty = admin.post("/api/tasks", {"name": "empty", "labels": [{"name": "a"}]}).data
    refused = admin.post(f"/api/tasks/{empty['id']}/backup/export")
    assert (refused.status, refused.data) == (400, ["Backup of a task without data is not allowed"])
    tasks_before = admin.get("/api/tasks").data["count"]
    labels_before = len(server.state.labels)

    def failed(data: bytes) -> str:
        request = restore(admin, "task", data)
        assert request["status"] == "failed" and request["result_id"] is None
        return str(request["message"])

    assert "not a zip file" in failed(b"not a zip")
    assert "There is no item named 'task.json'" in failed(zipped({"x": b""}))
    task = annotated_task(admin)
    _, download = backup(admin, f"/api/tasks/{task['id']}")
    original = zipfile.ZipFile(io.BytesIO(download.response.body))
    members = {n: original.read(n) for n in original.namelist()}
    manifest = json.loads(members["task.json"])
    assert "2.0 version is not supported" in failed(
        zipped({**members, "task.json": json.dumps({**manifest, "version": "2.0"}).encode()})
    )
    broken = json.loads(members["annotations.json"])
    broken[0]["shapes"][0]["label"] = "plane"
    message = failed(zipped({**members, "annotations.json": json.dumps(broken).encode()}))
    assert "plane" in message
    # nothing of the failed restores is left behind
    assert admin.get("/api/tasks").data["count"] == tasks_before + 1
    assert len(server.state.labels) == labels_before + 5
    nofile = admin.call("POST", "/api/tasks/backup/")
    assert (nofile.status, nofile.data) == (400, {"task_file": ["No file was submitted."]})
    gone = admin.call("POST", "/api/tasks/backup/?rq_id=1")
    assert gone.status == 410


def test_backup_requests_repeat_and_fail(server: FakeServer, admin: Api) -> None:
    task = annotated_task(admin)
    server.configure_requests(polls_before_finish=1)
    started = admin.post(f"/api/tasks/{task['id']}/backup/export")
    again = admin.post(f"/api/tasks/{task['id']}/backup/export")
    assert (again.status, again.data) == (409, "Request is being processed")
    wait(admin, started.data["rq_id"])
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    server.configure_requests(polls_before_finish=0)
    server.fail_next_requests("MemoryError")
    failing = admin.post(f"/api/tasks/{task['id']}/backup/export")
    assert failing.status == 202 and failing.data == started.data
    request = wait(admin, failing.data["rq_id"])
    assert (request["status"], request["message"], request["result_url"]) == (
        "failed",
        "MemoryError",
        None,
    )
    url = f"/api/tasks/{task['id']}/backup/download?rq_id=" + quote(failing.data["rq_id"])
    assert admin.get(url).status == 400
    dataset_id = started.data["rq_id"].replace("subresource=backup", "subresource=dataset")
    mixed = admin.get(f"/api/tasks/{task['id']}/backup/download?rq_id=" + quote(dataset_id))
    assert (mixed.status, mixed.data) == (400, ["Invalid export request id"])


def test_backup_permissions_and_organizations(server: FakeServer, admin: Api, anon: Api) -> None:
    server.add_user("alice", "pw")
    server.add_user("bob", "pw")
    server.add_user("walt", "pw", group="worker")
    alice = admin.as_user("alice", "pw")
    bob = admin.as_user("bob", "pw")
    walt = admin.as_user("walt", "pw")
    task = new_task(alice, labels=[{"name": "car"}])
    assert anon.post(f"/api/tasks/{task['id']}/backup/export").status == 401
    assert bob.post(f"/api/tasks/{task['id']}/backup/export").status == 403
    _, download = backup(alice, f"/api/tasks/{task['id']}")
    assert walt.call("POST", "/api/tasks/backup/", headers=(("Upload-Start", ""),)).status == 403
    assert anon.call("POST", "/api/tasks/backup/").status == 401
    mine = restore(bob, "task", download.response.body)
    restored = admin.get(f"/api/tasks/{mine['result_id']}").data
    assert restored["owner"]["username"] == "bob" and restored["organization"] is None
    server.add_organization("lab", owner="alice")
    request = restore(alice, "task", download.response.body, headers=(("X-Organization", "lab"),))
    in_org = admin.get(f"/api/tasks/{request['result_id']}").data
    assert in_org["organization"] == server.state.org_by_slug("lab").id  # type: ignore[union-attr]
    # the upload of one user cannot be finished by another
    created = alice.call(
        "POST",
        "/api/tasks/backup/",
        headers=(("Tus-Resumable", "1.0.0"), ("Upload-Length", "3"), ("Upload-Metadata", "")),
    )
    file_id = created.header("Upload-Filename")
    stolen = bob.call(
        "POST", f"/api/tasks/backup/?filename={file_id}", headers=(("Upload-Finish", ""),)
    )
    assert (stolen.status, stolen.data) == (400, ["No such file were uploaded"])


def test_restored_task_takes_new_imports(admin: Api) -> None:
    """A restored task is a task like any other: exports and imports work on it."""
    task = annotated_task(admin)
    _, download = backup(admin, f"/api/tasks/{task['id']}")
    new_id = restore(admin, "task", download.response.body)["result_id"]
    xml = (
        b'<annotations><image id="0" name="frame_0.png"><tag label="car" source="manual">'
        b'<attribute name="model">mazda</attribute></tag></image></annotations>'
    )
    started = multipart_import(
        admin, f"/api/tasks/{new_id}/annotations/", "annotation_file", xml, "format=CVAT%201.1"
    )
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    assert [t["frame"] for t in annotations_of(admin, f"/api/tasks/{new_id}")["tags"]] == [0]


@pytest.mark.http
@pytest.mark.official_sdk
def test_official_sdk_backups(tmp_path: Any) -> None:
    pytest.importorskip("cvat_sdk")
    from cvat_sdk import make_client

    from cvatfn_fake import serve
    from tests.contract.openapi import ValidatingTransport
    from tests.contract.peer import ADMIN

    server = FakeServer(log_limit=0)
    checked = ValidatingTransport(server.transport())
    api = Api(server, basic("admin", "admin"), checked)
    task = annotated_task(api)
    project = api.post("/api/projects", {"name": "p", "labels": [{"name": "car"}]}).data
    new_task(api, "inside", labels=[], project_id=project["id"])
    with (
        serve(checked) as handle,
        make_client("http://127.0.0.1", port=handle.port, credentials=ADMIN) as client,
    ):
        client.config.status_check_period = 0.01  # type: ignore[assignment]
        sdk_task = client.tasks.retrieve(task["id"])
        saved = sdk_task.download_backup(tmp_path / "task.zip")
        assert saved is not None
        copy = client.tasks.create_from_backup(saved)
        assert copy.id != task["id"] and copy.size == 4
        assert len(copy.get_annotations().shapes) == len(sdk_task.get_annotations().shapes)
        folder = tmp_path / "p"
        folder.mkdir()
        saved_project = client.projects.retrieve(project["id"]).download_backup(folder)
        assert saved_project is not None and saved_project.name.startswith("project_p_backup_")
        restored = client.projects.create_from_backup(saved_project)
        assert [t.name for t in restored.get_tasks()] == ["inside"]
    checked.assert_clean()
