"""Moving a task into a project: ``PATCH /api/tasks/{id}`` with ``project_id``.

CVAT maps the task's labels to the project's labels of the same name (the objects follow
them), deletes the task's own labels, and asks two permissions: ``update:project`` of the task
and ``view`` of the target project, whose permission object it builds before judging any, so a
target that does not exist is a 400 whoever asks.
"""

from __future__ import annotations

from cvatfn_fake import FakeServer
from tests.fake.conftest import Api, make_task


def _bob(server: FakeServer, admin: Api) -> Api:
    server.add_user("bob", "bob-pw")
    return admin.as_user("bob", "bob-pw")


def _project(api: Api, *labels: str) -> dict[str, object]:
    reply = api.post("/api/projects", {"name": "p", "labels": [{"name": n} for n in labels]})
    assert reply.status == 201, reply.data
    return reply.data  # type: ignore[no-any-return]


def test_a_moved_task_uses_the_project_labels_and_loses_its_own(admin: Api) -> None:
    project = _project(admin, "car", "person")
    task = make_task(admin, labels=["car"])
    own = admin.get(f"/api/labels?task_id={task['id']}").data["results"][0]["id"]

    moved = admin.patch(f"/api/tasks/{task['id']}", {"project_id": project["id"]})

    assert moved.status == 200, moved.data
    assert moved.data["project_id"] == project["id"]
    names = [lb["name"] for lb in admin.get(f"/api/labels?task_id={task['id']}").data["results"]]
    assert names == ["car", "person"]
    assert admin.get(f"/api/labels/{own}").status == 404


def test_a_label_the_project_lacks_refuses_the_move(admin: Api) -> None:
    project = _project(admin, "car")
    task = make_task(admin, labels=["car", "tree"])

    refused = admin.patch(f"/api/tasks/{task['id']}", {"project_id": project["id"]})

    assert refused.status == 400
    assert admin.get(f"/api/tasks/{task['id']}").data["project_id"] is None


def test_moving_into_a_project_one_cannot_view_is_forbidden(server: FakeServer, admin: Api) -> None:
    bob = _bob(server, admin)
    hidden = _project(admin, "car")  # admin's: bob is neither its owner nor its assignee
    task = make_task(bob, labels=["car"])  # bob's own task: update:project is his

    refused = bob.patch(f"/api/tasks/{task['id']}", {"project_id": hidden["id"]})

    assert refused.status == 403, refused.data
    assert bob.get(f"/api/tasks/{task['id']}").data["project_id"] is None
    assert admin.get(f"/api/projects/{hidden['id']}").data["tasks"]["count"] == 0


def test_moving_into_a_project_one_is_assigned_to_is_allowed(
    server: FakeServer, admin: Api
) -> None:
    bob = _bob(server, admin)
    shared = _project(admin, "car")
    bob_id = bob.get("/api/users/self").data["id"]
    assert admin.patch(f"/api/projects/{shared['id']}", {"assignee_id": bob_id}).status == 200
    task = make_task(bob, labels=["car"])

    moved = bob.patch(f"/api/tasks/{task['id']}", {"project_id": shared["id"]})

    assert moved.status == 200, moved.data
    assert moved.data["project_id"] == shared["id"]


def test_a_project_that_does_not_exist_is_a_400_before_any_permission(
    server: FakeServer, admin: Api
) -> None:
    bob = _bob(server, admin)
    task = make_task(admin, labels=["car"])  # bob may not even view it

    assert bob.get(f"/api/tasks/{task['id']}").status == 403
    refused = bob.patch(f"/api/tasks/{task['id']}", {"project_id": 999})

    assert refused.status == 400
    assert refused.data == ["Project matching query does not exist."]
    assert bob.patch("/api/tasks/998", {"project_id": 999}).status == 404
