from __future__ import annotations

from .conftest import Api, make_task

LABELS = [
    {
        "name": "car",
        "color": "#ff0000",
        "attributes": [
            {
                "name": "model",
                "mutable": False,
                "input_type": "select",
                "values": ["a", "b"],
                "default_value": "a",
            },
        ],
    },
    {"name": "person"},
    {
        "name": "pose",
        "type": "skeleton",
        "svg": '<circle data-label-name="nose"/>',
        "sublabels": [
            {"name": "nose", "type": "points"},
        ],
    },
]


def test_project_with_labels_and_task_inheritance(admin: Api) -> None:
    project = admin.post("/api/projects", {"name": "p", "labels": LABELS})
    assert project.status == 201
    pid = project.data["id"]
    assert project.data["labels"] == {"url": f"http://testserver/api/labels?project_id={pid}"}
    assert project.data["tasks"] == {
        "count": 0,
        "url": f"http://testserver/api/tasks?project_id={pid}",
    }
    labels = admin.get(f"/api/labels?project_id={pid}").data["results"]
    assert [lb["name"] for lb in labels] == ["car", "person", "pose"]
    assert labels[0]["color"] == "#ff0000" and labels[0]["attributes"][0]["values"] == ["a", "b"]
    assert labels[1]["color"].startswith("#")
    skeleton = labels[2]
    nose = skeleton["sublabels"][0]
    assert skeleton["svg"] == f'<circle data-label-id="{nose["id"]}"/>'
    task = make_task(admin, "in project", project_id=pid)
    inherited = admin.get(f"/api/labels?task_id={task['id']}").data["results"]
    assert [lb["name"] for lb in inherited] == ["car", "person", "pose"]
    assert admin.get(f"/api/projects/{pid}").data["tasks"]["count"] == 1
    both = admin.post("/api/tasks", {"name": "x", "project_id": pid, "labels": [{"name": "a"}]})
    assert (both.status, both.data) == (400, ["Task must have only one of Label set or project_id"])


def test_project_label_patch_add_rename_delete(admin: Api) -> None:
    pid = admin.post("/api/projects", {"name": "p", "labels": LABELS[:2]}).data["id"]
    labels = admin.get(f"/api/labels?project_id={pid}").data["results"]
    car, person = labels[0], labels[1]
    reply = admin.patch(
        f"/api/projects/{pid}",
        {
            "labels": [
                {"id": car["id"], "name": "automobile"},
                {"id": person["id"], "name": "person", "deleted": True},
                {
                    "name": "bike",
                    "attributes": [
                        {
                            "name": "wheels",
                            "mutable": True,
                            "input_type": "number",
                            "values": ["1", "3", "1"],
                        }
                    ],
                },
            ]
        },
    )
    assert reply.status == 200, reply.data
    names = [lb["name"] for lb in admin.get(f"/api/labels?project_id={pid}").data["results"]]
    assert names == ["automobile", "bike"]
    missing = admin.patch(f"/api/projects/{pid}", {"labels": [{"id": 999, "name": "x"}]})
    assert (missing.status, missing.data) == (
        404,
        {"detail": "Not found label with id #999 to change"},
    )
    invalid = admin.patch(f"/api/projects/{pid}", {"labels": [{"name": "x", "deleted": True}]})
    assert invalid.status == 400 and invalid.data == {
        "labels": [{"non_field_errors": ["Deleted label must have an ID"]}]
    }


def test_labels_endpoint(admin: Api) -> None:
    task = make_task(admin, labels=["a", "b"])
    lid = admin.get(f"/api/labels?task_id={task['id']}").data["results"][0]["id"]
    assert admin.get(f"/api/labels/{lid}").data["task_id"] == task["id"]
    patched = admin.patch(f"/api/labels/{lid}", {"name": "renamed", "color": "#00ff00"})
    assert (patched.data["name"], patched.data["color"]) == ("renamed", "#00ff00")
    refused = admin.patch(f"/api/labels/{lid}", {"deleted": True})
    assert refused.status == 400
    assert admin.delete(f"/api/labels/{lid}").status == 204
    assert admin.get(f"/api/labels?task_id={task['id']}").data["count"] == 1
    both = admin.get(f"/api/labels?task_id={task['id']}&project_id=1")
    assert both.data == ["job_id, task_id and project_id parameters cannot be used together"]
    duplicate = admin.post("/api/tasks", {"name": "d", "labels": [{"name": "x"}, {"name": "x"}]})
    assert (duplicate.status, duplicate.data) == (400, ["All label names must be unique"])
    nested = admin.post("/api/tasks", {"name": "d", "labels": [{"name": "ok"}, {"color": "#fff"}]})
    assert nested.data == {"labels": [{}, {"name": ["This field is required."]}]}


def test_project_update_and_delete_cascade(admin: Api) -> None:
    pid = admin.post("/api/projects", {"name": "p", "labels": [{"name": "a"}]}).data["id"]
    task = make_task(admin, project_id=pid)
    updated = admin.patch(f"/api/projects/{pid}", {"name": "q", "assignee_id": 1})
    assert updated.data["name"] == "q" and updated.data["assignee"]["username"] == "admin"
    assert updated.data["assignee_updated_date"] is not None
    assert admin.delete(f"/api/projects/{pid}").status == 204
    gone = admin.get(f"/api/tasks/{task['id']}")
    assert (gone.status, gone.data) == (404, {"detail": "No Task matches the given query."})
