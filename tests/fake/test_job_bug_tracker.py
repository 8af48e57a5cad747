"""A job's ``bug_tracker`` is CVAT's ``Job.get_bug_tracker``: the task's tracker, else the
project's (an empty string when the project has none), else null for a task without a
project. The real server's answers in ``cvat-api/assets/jobs.json`` show all three."""

from __future__ import annotations

from typing import Any

from tests.fake.conftest import Api, image_bytes, make_task, upload_images


def _job(api: Api, task_id: int) -> dict[str, object]:
    reply = api.get(f"/api/jobs?task_id={task_id}")
    assert reply.status == 200, reply.data
    return reply.data["results"][0]  # type: ignore[no-any-return]


def _task_with_data(api: Api, **extra: Any) -> int:
    task = make_task(api, **extra)
    finished = upload_images(api, task["id"], [("a.png", image_bytes((8, 6)))])
    assert finished.status == 202, finished.data
    return int(task["id"])


def test_a_task_without_a_project_and_without_a_tracker_gives_null(admin: Api) -> None:
    task_id = _task_with_data(admin, labels=["car"])
    assert _job(admin, task_id)["bug_tracker"] is None


def test_a_project_without_a_tracker_gives_an_empty_string(admin: Api) -> None:
    project = admin.post("/api/projects", {"name": "p", "labels": [{"name": "car"}]}).data
    task_id = _task_with_data(admin, project_id=project["id"])
    job = _job(admin, task_id)
    assert job["bug_tracker"] == ""
    assert admin.get(f"/api/jobs/{job['id']}").data["bug_tracker"] == ""


def test_the_task_tracker_comes_first_then_the_project_tracker(admin: Api) -> None:
    spec = {"name": "p", "labels": [{"name": "car"}], "bug_tracker": "https://bugs/p"}
    project = admin.post("/api/projects", spec).data
    task_id = _task_with_data(admin, project_id=project["id"])
    assert _job(admin, task_id)["bug_tracker"] == "https://bugs/p"
    admin.patch(f"/api/tasks/{task_id}", {"bug_tracker": "https://bugs/t"})
    assert _job(admin, task_id)["bug_tracker"] == "https://bugs/t"
