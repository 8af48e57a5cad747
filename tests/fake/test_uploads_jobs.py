from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from cvatfn_fake import FakeServer

from .conftest import Api, image_bytes, make_task, multipart, request_path, upload_images


def _wait(api: Api, rq_id: str) -> dict[str, Any]:
    reply = api.get(request_path(rq_id))
    assert reply.status == 200
    return reply.data  # type: ignore[no-any-return]


def test_multipart_upload_creates_frames_and_jobs(admin: Api) -> None:
    task = make_task(admin, labels=["a"], segment_size=2)
    assert "size" not in task and task["segment_size"] == 2 and task["jobs"]["count"] == 0
    files = [
        ("img10.png", image_bytes((10, 20))),
        ("img2.jpg", image_bytes((30, 40), "JPEG")),
        ("img1.png", image_bytes((5, 6))),
    ]
    finish = upload_images(admin, task["id"], files)
    assert finish.status == 202
    rq_id = finish.data["rq_id"]
    assert (
        base64.b64decode(rq_id).decode()
        == f"queue=import&action=create&target=task&id={task['id']}"
    )
    request = _wait(admin, rq_id)
    assert request["status"] == "finished" and request["operation"]["type"] == "create:task"
    fetched = admin.get(f"/api/tasks/{task['id']}").data
    assert fetched["size"] == 3 and fetched["mode"] == "annotation" and fetched["overlap"] == 0
    assert fetched["jobs"]["count"] == 2 and fetched["data_chunk_size"] == 72
    meta = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    assert [(f["name"], f["width"], f["height"]) for f in meta["frames"]] == [
        ("img1.png", 5, 6),
        ("img10.png", 10, 20),
        ("img2.jpg", 30, 40),
    ]
    assert (meta["start_frame"], meta["stop_frame"], meta["size"]) == (0, 2, 3)
    jobs = admin.get(f"/api/jobs?task_id={task['id']}&sort=id").data["results"]
    assert [(j["start_frame"], j["stop_frame"], j["frame_count"]) for j in jobs] == [
        (0, 1, 2),
        (2, 2, 1),
    ]
    again = admin.post(
        f"/api/tasks/{task['id']}/data/", {"image_quality": 70}, headers=(("Upload-Start", ""),)
    )
    assert (again.status, again.data) == (400, "Adding more data is not supported")


def test_sorting_step_and_overlap(admin: Api) -> None:
    task = make_task(admin, labels=["a"], segment_size=4, overlap=1)
    names = [f"f{i}.png" for i in (1, 2, 10, 11, 3, 4, 5, 6, 7, 8, 9, 12)]
    reply = upload_images(
        admin, task["id"], [(n, image_bytes((4, 4))) for n in names], sorting_method="natural"
    )
    assert reply.status == 202
    meta = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    assert [f["name"] for f in meta["frames"]] == [f"f{i}.png" for i in range(1, 13)]
    jobs = admin.get(f"/api/jobs?task_id={task['id']}&sort=id").data["results"]
    assert [(j["start_frame"], j["stop_frame"]) for j in jobs] == [(0, 3), (3, 6), (6, 9), (9, 11)]
    stepped = make_task(admin, "stepped", labels=["a"])
    upload_images(
        admin,
        stepped["id"],
        [(n, image_bytes((4, 4))) for n in names],
        sorting_method="natural",
        start_frame=1,
        stop_frame=8,
        frame_filter="step=3",
    )
    meta = admin.get(f"/api/tasks/{stepped['id']}/data/meta").data
    assert [f["name"] for f in meta["frames"]] == ["f2.png", "f5.png", "f8.png"]
    assert (meta["start_frame"], meta["stop_frame"], meta["frame_filter"]) == (1, 7, "step=3")
    jobs = admin.get(f"/api/jobs?task_id={stepped['id']}").data["results"]
    assert [(j["start_frame"], j["stop_frame"]) for j in jobs] == [(0, 2)]


def test_tus_upload(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    path = f"/api/tasks/{task['id']}/data/"
    blob = image_bytes((64, 48), "JPEG")
    assert admin.call("POST", path, headers=(("Upload-Start", ""),)).status == 202
    meta = "filename " + base64.b64encode(b"big.jpg").decode()
    created = admin.call(
        "POST",
        path,
        headers=(
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", str(len(blob))),
            ("Upload-Metadata", meta),
        ),
    )
    assert created.status == 201
    location = created.header("location") or ""
    assert location.startswith(f"http://testserver/api/tasks/{task['id']}/data/")
    assert created.header("upload-filename") == "big.jpg"
    chunk_headers = (
        ("Tus-Resumable", "1.0.0"),
        ("Content-Type", "application/offset+octet-stream"),
    )
    first = admin.call(
        "PATCH", location, body=blob[:100], headers=(*chunk_headers, ("Upload-Offset", "0"))
    )
    assert (first.status, first.header("upload-offset")) == (204, "100")
    conflict = admin.call(
        "PATCH", location, body=blob[100:], headers=(*chunk_headers, ("Upload-Offset", "0"))
    )
    assert conflict.status == 409
    head = admin.call("HEAD", location, headers=(("Tus-Resumable", "1.0.0"),))
    assert (head.status, head.header("upload-offset"), head.response.body) == (200, "100", b"")
    rest = admin.call(
        "PATCH", location, body=blob[100:], headers=(*chunk_headers, ("Upload-Offset", "100"))
    )
    assert rest.header("upload-offset") == str(len(blob))
    finish = admin.post(path, {"image_quality": 50}, headers=(("Upload-Finish", ""),))
    assert finish.status == 202
    meta_reply = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    assert meta_reply["frames"][0] == {
        "width": 64,
        "height": 48,
        "name": "big.jpg",
        "related_files": 0,
        "has_related_context": False,
    }
    assert meta_reply["image_quality"] == 50


def test_a_tus_chunk_past_the_declared_length_keeps_the_declared_bytes(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    path = f"/api/tasks/{task['id']}/data/"
    blob = image_bytes((24, 16))
    assert admin.call("POST", path, headers=(("Upload-Start", ""),)).status == 202
    created = admin.call(
        "POST",
        path,
        headers=(
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", str(len(blob))),
            ("Upload-Metadata", "filename " + base64.b64encode(b"long.png").decode()),
        ),
    )
    chunk = admin.call(
        "PATCH",
        created.header("location") or "",
        body=blob + b"trailing",
        headers=(
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
            ("Upload-Offset", "0"),
        ),
    )
    assert (chunk.status, chunk.header("upload-offset")) == (204, str(len(blob) + 8))
    finish = admin.post(path, {"image_quality": 70}, headers=(("Upload-Finish", ""),))
    assert _wait(admin, finish.data["rq_id"])["status"] == "finished"
    original = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=0&quality=original")
    assert original.response.body == blob


def test_multipart_parts_of_one_name_are_appended(admin: Api) -> None:
    """CVAT appends each ``client_files`` part to the file of its name, across requests too."""
    task = make_task(admin, labels=["a"])
    path = f"/api/tasks/{task['id']}/data/"
    whole, other = image_bytes((40, 30)), image_bytes((8, 6))
    pieces = [whole[:50], whole[50:300], whole[300:]]
    assert admin.call("POST", path, headers=(("Upload-Start", ""),)).status == 202
    batches = [
        [("client_files[0]", "split.png", pieces[0]), ("client_files[1]", "other.png", other)],
        [("client_files[0]", "split.png", pieces[1]), ("client_files[1]", "split.png", pieces[2])],
    ]
    for batch in batches:
        body, ctype = multipart({"image_quality": "70"}, batch)
        reply = admin.call(
            "POST", path, body=body, headers=(("Upload-Multiple", ""), ("Content-Type", ctype))
        )
        assert reply.status == 200
    finish = admin.post(path, {"image_quality": 70}, headers=(("Upload-Finish", ""),))
    assert _wait(admin, finish.data["rq_id"])["status"] == "finished"
    frames = admin.get(f"/api/tasks/{task['id']}/data/meta").data["frames"]
    assert [(f["name"], f["width"], f["height"]) for f in frames] == [
        ("other.png", 8, 6),
        ("split.png", 40, 30),
    ]
    original = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=1&quality=original")
    assert (original.status, original.response.body) == (200, whole)


def test_non_image_fails_the_request(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    finish = upload_images(admin, task["id"], [("notes.txt", b"hello")])
    request = admin.get(request_path(finish.data["rq_id"])).data
    assert request["status"] == "failed"
    assert request["message"] == "ValueError: No media data found\n"
    broken = make_task(admin, "broken", labels=["a"])
    finish = upload_images(admin, broken["id"], [("fake.png", b"not a png")])
    request = admin.get(request_path(finish.data["rq_id"])).data
    assert request["status"] == "failed"
    assert request["message"] == (
        "PIL.UnidentifiedImageError: cannot identify image file 'fake.png'\n"
    )
    assert admin.get(f"/api/tasks/{broken['id']}").data["jobs"]["count"] == 0


def test_share_and_remote_files(tmp_path: object, admin: Api) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "dir").mkdir()
    (root / "dir" / "b.png").write_bytes(image_bytes((3, 3)))
    (root / "a.png").write_bytes(image_bytes((2, 2)))
    server = FakeServer(share_root=root)
    api = Api(server, admin.auth)
    task = make_task(api, labels=["a"])
    reply = api.post(
        f"/api/tasks/{task['id']}/data/", {"server_files": ["a.png", "dir/"], "image_quality": 70}
    )
    assert reply.status == 202
    meta = api.get(f"/api/tasks/{task['id']}/data/meta").data
    assert [f["name"] for f in meta["frames"]] == ["a.png", "dir/b.png"]
    server.add_remote_file("https://example.com/x/remote.png", image_bytes((7, 8)))
    remote = make_task(api, "remote", labels=["a"])
    api.post(
        f"/api/tasks/{remote['id']}/data/", {"remote_files": ["https://example.com/x/remote.png"]}
    )
    assert api.get(f"/api/tasks/{remote['id']}/data/meta").data["frames"][0]["width"] == 7


def test_job_stage_state_and_task_status(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))])
    job = admin.get(f"/api/jobs?task_id={task['id']}").data["results"][0]
    assert (job["stage"], job["state"], job["status"]) == ("annotation", "new", "annotation")
    progressed = admin.patch(f"/api/jobs/{job['id']}", {"state": "in progress"}).data
    assert progressed["state"] == "in progress"
    moved = admin.patch(f"/api/jobs/{job['id']}", {"stage": "validation"}).data
    assert (moved["stage"], moved["state"], moved["status"]) == ("validation", "new", "validation")
    assert admin.get(f"/api/tasks/{task['id']}").data["status"] == "validation"
    done = admin.patch(f"/api/jobs/{job['id']}", {"stage": "acceptance", "state": "completed"}).data
    assert done["status"] == "completed"
    summary = admin.get(f"/api/tasks/{task['id']}").data
    assert summary["status"] == "completed" and summary["jobs"]["completed"] == 1
    bad = admin.patch(f"/api/jobs/{job['id']}", {"stage": "nope"})
    assert bad.data == {"stage": ['"nope" is not a valid choice.']}
    assigned = admin.patch(f"/api/jobs/{job['id']}", {"assignee": 1}).data
    assert assigned["assignee"]["id"] == 1 and assigned["assignee_updated_date"]


def test_issues_and_comments(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    upload_images(
        admin, task["id"], [("a.png", image_bytes((4, 4))), ("b.png", image_bytes((4, 4)))]
    )
    job_id = admin.get(f"/api/jobs?task_id={task['id']}").data["results"][0]["id"]
    issue = admin.post(
        "/api/issues", {"frame": 1, "position": [1, 2, 3, 4], "job": job_id, "message": "fix"}
    )
    assert issue.status == 201 and issue.data["comments"]["count"] == 1
    iid = issue.data["id"]
    out_of_range = admin.post(
        "/api/issues", {"frame": 5, "position": [1, 2], "job": job_id, "message": "x"}
    )
    assert out_of_range.status == 400
    comment = admin.post("/api/comments", {"issue": iid, "message": "more"})
    assert comment.status == 201
    comments = admin.get(f"/api/comments?issue_id={iid}").data
    assert [c["message"] for c in comments["results"]] == ["more", "fix"]
    assert (
        admin.patch(f"/api/comments/{comment.data['id']}", {"message": "edited"}).data["message"]
        == "edited"
    )
    resolved = admin.patch(f"/api/issues/{iid}", {"resolved": True, "position": [0, 0, 1, 1]}).data
    assert resolved["resolved"] is True and resolved["position"] == [0, 0, 1, 1]
    assert admin.get(f"/api/issues?job_id={job_id}").data["count"] == 1
    assert admin.get(f"/api/jobs/{job_id}").data["issues"]["count"] == 1
    assert admin.delete(f"/api/issues/{iid}").status == 204
    assert admin.get(f"/api/comments/{comment.data['id']}").status == 404


def test_paths_are_percent_decoded_like_django(admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    finish = upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))])
    rq_id: str = finish.data["rq_id"]
    assert rq_id.endswith("=") and "%3D" in request_path(rq_id)
    assert admin.get(request_path(rq_id)).data["id"] == rq_id
    assert admin.get(f"/api/requests/{rq_id}").data["id"] == rq_id  # "=" may also go raw
    every_byte = "".join(f"%{byte:02X}" for byte in rq_id.encode())
    assert admin.get("/api/requests/" + every_byte).data["id"] == rq_id
    digits = "".join(f"%{byte:02x}" for byte in str(task["id"]).encode())
    assert admin.get(f"/api/tasks/{digits}").data["name"] == task["name"]
    unknown = admin.get("/api/requests/" + quote("no such id/é", safe=""))
    assert unknown.status == 404  # the decoded "/" splits the segment, as in Django
    broken = admin.get("/api/tasks/%FF")  # not UTF-8: Django escapes it again, nothing routes
    assert broken.status == 404 and b"Not Found" in broken.response.body


def _pending_tus(api: Api, path: str, name: str) -> str:
    """Start a TUS upload of 10 bytes at ``path`` and send only 4; the upload's id."""
    started = api.call(
        "POST",
        path,
        headers=(
            ("Upload-Length", "10"),
            ("Upload-Metadata", "filename " + base64.b64encode(name.encode()).decode()),
            ("Tus-Resumable", "1.0.0"),
        ),
    )
    assert started.status == 201, started.data
    location = started.header("Location")
    assert location is not None
    sent = api.call(
        "PATCH",
        location,
        body=b"abcd",
        headers=(
            ("Upload-Offset", "0"),
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
        ),
    )
    assert sent.status == 204
    return location.rstrip("/").rsplit("/", 1)[-1]


def _task_with_everything(admin: Api, name: str) -> dict[str, Any]:
    """A task (and a data-less one) with uploads in progress, annotations and exports."""
    bare = make_task(admin, f"{name} without data", labels=["a"])
    data_upload = _pending_tus(admin, f"/api/tasks/{bare['id']}/data/", "x.png")
    task = make_task(admin, name, labels=["a"])
    upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))])
    job_id = admin.get(f"/api/jobs?task_id={task['id']}").data["results"][0]["id"]
    imports = [
        _pending_tus(admin, f"/api/tasks/{task['id']}/annotations/", "a.xml"),
        _pending_tus(admin, f"/api/jobs/{job_id}/annotations/", "j.xml"),
    ]
    exports = [
        admin.post(f"/api/tasks/{task['id']}/dataset/export?format=COCO+1.0"),
        admin.post(f"/api/jobs/{job_id}/dataset/export?format=COCO+1.0"),
        admin.post(f"/api/tasks/{task['id']}/backup/export"),
    ]
    annotated = admin.call(
        "PUT", f"/api/jobs/{job_id}/annotations", json_body={"shapes": [], "tags": [], "tracks": []}
    )
    assert annotated.status == 200
    return {
        "tasks": [bare["id"], task["id"]],
        "job": job_id,
        "uploads": [data_upload, *imports],
        "rq_ids": [reply.data["rq_id"] for reply in exports],
    }


def test_deleting_a_task_drops_what_was_kept_for_it(server: FakeServer, admin: Api) -> None:
    """Uploads in progress (task data, annotation imports into the task and its jobs) and the
    files of finished exports go with the task; another task's stay."""
    state = server.state
    doomed = _task_with_everything(admin, "doomed")
    kept = _task_with_everything(admin, "kept")
    for setup in (doomed, kept):
        assert all(upload in state.uploads for upload in setup["uploads"])
        assert all(state.requests[rq_id].result_file for rq_id in setup["rq_ids"])
        assert setup["job"] in state.annotations
    for task_id in doomed["tasks"]:
        assert admin.delete(f"/api/tasks/{task_id}").status == 204
    assert not [upload for upload in doomed["uploads"] if upload in state.uploads]
    for rq_id in doomed["rq_ids"]:
        assert state.requests[rq_id].result_file is None
        request = admin.get(request_path(rq_id)).data  # RQ still knows the request
        assert request["status"] == "finished"
        assert admin.get(request["result_url"]).status == 404
    assert doomed["job"] not in state.annotations and doomed["job"] not in state.jobs
    assert all(upload in state.uploads for upload in kept["uploads"])
    assert all(state.requests[rq_id].result_file for rq_id in kept["rq_ids"])
    assert kept["job"] in state.annotations


def test_deleting_a_project_drops_its_imports_and_export_files(
    server: FakeServer, admin: Api
) -> None:
    project = admin.post("/api/projects", {"name": "p", "labels": [{"name": "a"}]}).data
    upload = _pending_tus(admin, f"/api/projects/{project['id']}/dataset/", "d.zip")
    rq_id = admin.post(f"/api/projects/{project['id']}/dataset/export?format=COCO+1.0").data[
        "rq_id"
    ]
    assert upload in server.state.uploads and server.state.requests[rq_id].result_file
    assert admin.delete(f"/api/projects/{project['id']}").status == 204
    assert upload not in server.state.uploads
    assert server.state.requests[rq_id].result_file is None
