from __future__ import annotations

from cvatfn_fake import FakeServer

from .conftest import Api, image_bytes, make_task, request_path, upload_images


def test_request_finishes_after_configured_polls(server: FakeServer, admin: Api) -> None:
    server.configure_requests(polls_before_finish=3)
    task = make_task(admin, labels=["a"])
    rq_id = upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))]).data["rq_id"]
    statuses = [admin.get(request_path(rq_id)).data["status"] for _ in range(4)]
    assert statuses == ["queued", "started", "started", "finished"]
    final = admin.get(request_path(rq_id)).data
    assert final["progress"] == 1.0 and final["finished_date"] and final["expiry_date"]
    assert admin.get(f"/api/tasks/{task['id']}").data["size"] == 1


def test_task_has_no_data_until_request_finishes(server: FakeServer, admin: Api) -> None:
    server.configure_requests(polls_before_finish=1)
    task = make_task(admin, labels=["a"])
    rq_id = upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))]).data["rq_id"]
    assert admin.get(f"/api/tasks/{task['id']}").data["jobs"]["count"] == 0
    admin.get(request_path(rq_id))
    assert admin.get(request_path(rq_id)).data["status"] == "finished"
    assert admin.get(f"/api/tasks/{task['id']}").data["jobs"]["count"] == 1


def test_fail_next_requests(server: FakeServer, admin: Api) -> None:
    server.fail_next_requests("disk is full")
    task = make_task(admin, labels=["a"])
    rq_id = upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))]).data["rq_id"]
    failed = admin.get(request_path(rq_id)).data
    assert (failed["status"], failed["message"]) == ("failed", "disk is full")
    other = make_task(admin, "ok", labels=["a"])
    rq2 = upload_images(admin, other["id"], [("a.png", image_bytes((4, 4)))]).data["rq_id"]
    assert admin.get(request_path(rq2)).data["status"] == "finished"


def test_request_list_cancel_and_ownership(server: FakeServer, admin: Api) -> None:
    server.configure_requests(polls_before_finish=5)
    task = make_task(admin, labels=["a"])
    rq_id = upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))]).data["rq_id"]
    listed = admin.get("/api/requests?action=create").data
    assert listed["count"] == 1 and listed["results"][0]["id"] == rq_id
    assert admin.get("/api/requests?status=finished").data["count"] == 0
    server.add_user("bob", "pw")
    assert admin.as_user("bob", "pw").get(request_path(rq_id)).status == 403
    assert admin.as_user("bob", "pw").get("/api/requests").data["count"] == 0
    assert admin.call("POST", request_path(rq_id) + "/cancel").status == 200
    missing = admin.get(request_path(rq_id))
    assert missing.status == 404
