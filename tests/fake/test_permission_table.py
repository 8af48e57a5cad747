"""The fake server against CVAT's permission table (``tests/fake/permission_table.py``).

Every case runs on a fresh :class:`FakeServer`: the admin creates the users, the organization
``lab`` and the resources over HTTP (through the contract-validating transport), gives the
actor the case's relation, and the actor then performs the action. The status must be the one
CVAT answers; for a list, the resource must be among the results exactly when CVAT lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from cvatfn_fake import FakeServer

from .conftest import Api, Reply, basic, image_bytes, upload_images
from .permission_table import CASE_COUNT, CASES, GRID, PROFILES, RESOURCES, Case, Profile

ORG = "lab"
EXPORT_QUERY = "?format=" + quote("CVAT for images 1.1") + "&save_images=false"
EMPTY_ANNOTATIONS: dict[str, Any] = {"version": 0, "tags": [], "shapes": [], "tracks": []}

Headers = tuple[tuple[str, str], ...]


@dataclass
class World:
    """One case's server: who is who, and the ids of what the admin created."""

    profile: Profile
    server: FakeServer
    admin: Api
    actor: Api
    actor_id: int
    other_id: int
    stranger_id: int
    org_id: int
    ids: dict[str, int] = field(default_factory=dict[str, int])

    @property
    def workspace(self) -> Headers:
        """The profile's workspace: ``X-Organization: lab`` in the organization columns."""
        return (("X-Organization", ORG),) if self.profile.context == "org" else ()

    def act(self, method: str, path: str, body: Any = None, *, scoped: bool = True) -> Reply:
        """The actor's request, in the profile's workspace unless ``scoped`` is false."""
        headers = self.workspace if scoped else ()
        return self.actor.call(method, path, json_body=body, headers=headers)

    def setup(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        """An admin request in the profile's workspace that must succeed."""
        reply = self.admin.call(method, path, json_body=body, headers=self.workspace)
        assert reply.status == expect, (method, path, reply.status, reply.data)
        return reply.data

    def as_actor(self, method: str, path: str, body: Any, *, expect: int) -> Any:
        reply = self.act(method, path, body)
        assert reply.status == expect, (method, path, reply.status, reply.data)
        return reply.data


def build_world(profile: Profile) -> World:
    server = FakeServer()
    admin = Api(server, basic("admin", "admin"))
    actor_id = server.add_user(
        "actor",
        "pw",
        superuser=profile.kind == "admin",
        group="worker" if profile.kind == "annotator" else "user",
        email="actor@example.com",
    )
    other_id = server.add_user("other", "pw", email="other@example.com")
    stranger_id = server.add_user("stranger", "pw")
    server.add_user("boss", "pw")
    in_org = profile.context == "org"
    org_id = server.add_organization(
        ORG, owner="actor" if in_org and profile.kind == "owner" else "boss"
    )
    server.add_membership(ORG, "other", "worker")
    if in_org and profile.kind in ("maintainer", "supervisor", "worker"):
        server.add_membership(ORG, "actor", profile.kind)
    if in_org and profile.kind == "outsider" and profile.relation == "owner":
        server.add_membership(ORG, "actor", "worker")  # removed once related: see prepare()
    return World(
        profile,
        server,
        admin,
        Api(server, basic("actor", "pw"), admin.transport),
        actor_id,
        other_id,
        stranger_id,
        org_id,
    )


def remove_former_membership(world: World) -> None:
    if world.profile.kind == "outsider" and world.profile.relation == "owner":
        memberships = world.admin.get(f"/api/memberships?org={ORG}&user=actor").data["results"]
        assert len(memberships) == 1
        world.setup("DELETE", f"/api/memberships/{memberships[0]['id']}", expect=204)


# ------------------------------------------------------------------------------- setups
def give(world: World, path: str, owner_key: str, assignee_key: str) -> None:
    """Make the actor the owner or the assignee of the object at ``path`` (by the admin)."""
    if world.profile.relation == "owner":
        world.setup("PATCH", path, {owner_key: world.actor_id})
    elif world.profile.relation == "assignee":
        world.setup("PATCH", path, {assignee_key: world.actor_id})


def new_project(world: World) -> int:
    return int(world.setup("POST", "/api/projects", {"name": "project"}, expect=201)["id"])


def new_task(world: World, *, data: bool = True) -> int:
    spec = {"name": "task", "labels": [{"name": "car"}]}
    task_id = int(world.setup("POST", "/api/tasks", spec, expect=201)["id"])
    if data:
        finished = upload_images(world.admin, task_id, [("frame.png", image_bytes((8, 6)))])
        assert finished.status == 202, finished.data
    return task_id


def first_job(world: World, task_id: int) -> int:
    jobs = world.setup("GET", f"/api/jobs?task_id={task_id}")["results"]
    return int(jobs[0]["id"])


def new_issue(world: World, job_id: int, *, as_actor: bool = False) -> int:
    spec = {"frame": 0, "position": [1.0, 1.0, 4.0, 4.0], "job": job_id, "message": "issue"}
    if not as_actor:
        return int(world.setup("POST", "/api/issues", spec, expect=201)["id"])
    world.setup("PATCH", f"/api/jobs/{job_id}", {"assignee": world.actor_id})
    issue = world.as_actor("POST", "/api/issues", spec, expect=201)
    world.setup("PATCH", f"/api/jobs/{job_id}", {"assignee": None})
    return int(issue["id"])


def new_comment(world: World, issue_id: int, *, as_actor: bool = False) -> int:
    spec = {"issue": issue_id, "message": "comment"}
    if not as_actor:
        return int(world.setup("POST", "/api/comments", spec, expect=201)["id"])
    world.setup("PATCH", f"/api/issues/{issue_id}", {"assignee": world.actor_id})
    comment = world.as_actor("POST", "/api/comments", spec, expect=201)
    world.setup("PATCH", f"/api/issues/{issue_id}", {"assignee": None})
    return int(comment["id"])


def setup_projects(world: World, action: str) -> None:
    project_id = new_project(world)
    give(world, f"/api/projects/{project_id}", "owner_id", "assignee_id")
    world.ids["target"] = project_id


def setup_tasks(world: World, action: str) -> None:
    task_id = new_task(world, data=action == "export")
    give(world, f"/api/tasks/{task_id}", "owner_id", "assignee_id")
    world.ids["target"] = task_id


def setup_jobs(world: World, action: str) -> None:
    task_id = new_task(world)
    job_id = first_job(world, task_id)
    world.ids["task"] = task_id
    if action == "delete":
        gt = {"task_id": task_id, "type": "ground_truth", "frame_selection_method": "manual"}
        job_id = int(world.setup("POST", "/api/jobs", gt | {"frames": [0]}, expect=201)["id"])
    if world.profile.relation == "owner":
        world.setup("PATCH", f"/api/tasks/{task_id}", {"owner_id": world.actor_id})
    elif world.profile.relation == "assignee":
        world.setup("PATCH", f"/api/jobs/{job_id}", {"assignee": world.actor_id})
    world.ids["target"] = job_id


def setup_labels(world: World, action: str) -> None:
    task_id = new_task(world, data=False)
    give(world, f"/api/tasks/{task_id}", "owner_id", "assignee_id")
    labels = world.setup("GET", f"/api/labels?task_id={task_id}")["results"]
    world.ids["task"], world.ids["target"] = task_id, int(labels[0]["id"])


def setup_issues(world: World, action: str) -> None:
    task_id = new_task(world)
    job_id = first_job(world, task_id)
    world.ids["job"] = job_id
    relation = world.profile.relation
    if action == "create":
        if relation == "owner":
            world.setup("PATCH", f"/api/tasks/{task_id}", {"owner_id": world.actor_id})
        elif relation == "assignee":
            world.setup("PATCH", f"/api/jobs/{job_id}", {"assignee": world.actor_id})
        return
    issue_id = new_issue(world, job_id, as_actor=relation == "owner")
    if relation == "assignee":
        world.setup("PATCH", f"/api/issues/{issue_id}", {"assignee": world.actor_id})
    world.ids["target"] = issue_id


def setup_comments(world: World, action: str) -> None:
    job_id = first_job(world, new_task(world))
    relation = world.profile.relation
    if action == "create":
        issue_id = new_issue(world, job_id, as_actor=relation == "owner")
        if relation == "assignee":
            world.setup("PATCH", f"/api/issues/{issue_id}", {"assignee": world.actor_id})
        world.ids["issue"] = issue_id
        return
    issue_id = new_issue(world, job_id)
    comment_id = new_comment(world, issue_id, as_actor=relation == "owner")
    if relation == "assignee":
        world.setup("PATCH", f"/api/issues/{issue_id}", {"assignee": world.actor_id})
    world.ids["target"] = comment_id


def setup_annotations(world: World, action: str) -> None:
    task_id = new_task(world)
    job_id = first_job(world, task_id)
    if world.profile.relation == "owner":
        world.setup("PATCH", f"/api/tasks/{task_id}", {"owner_id": world.actor_id})
    elif world.profile.relation == "assignee":
        world.setup("PATCH", f"/api/jobs/{job_id}", {"assignee": world.actor_id})
    world.ids["task"], world.ids["job"] = task_id, job_id


def setup_organizations(world: World, action: str) -> None:
    world.ids["target"] = world.org_id


def setup_memberships(world: World, action: str) -> None:
    user = "actor" if world.profile.relation == "owner" else "other"
    found = world.admin.get(f"/api/memberships?org={ORG}&user={user}").data["results"]
    assert len(found) == 1, found
    world.ids["target"] = int(found[0]["id"])
    world.ids["role"] = 0 if found[0]["role"] == "worker" else 1


def setup_users(world: World, action: str) -> None:
    if action == "view-stranger":
        world.ids["target"] = world.stranger_id
    else:
        owner = world.profile.relation == "owner"
        world.ids["target"] = world.actor_id if owner else world.other_id


SETUPS: dict[str, Callable[[World, str], None]] = {
    "projects": setup_projects,
    "tasks": setup_tasks,
    "jobs": setup_jobs,
    "labels": setup_labels,
    "issues": setup_issues,
    "comments": setup_comments,
    "annotations": setup_annotations,
    "organizations": setup_organizations,
    "memberships": setup_memberships,
    "users": setup_users,
}


# ------------------------------------------------------------------------------ actions
Action = Callable[[World], Reply]


def crud(
    collection: str, create: Callable[[World], dict[str, Any]], update: dict[str, Any]
) -> dict[str, Action]:
    """create (with the body ``create`` makes) / list / view / update / delete of
    ``/api/{collection}``."""
    base = f"/api/{collection}"
    return {
        "create": lambda w: w.act("POST", base, create(w)),
        "list": lambda w: w.act("GET", base + "?page_size=100"),
        "view": lambda w: w.act("GET", f"{base}/{w.ids['target']}"),
        "update": lambda w: w.act("PATCH", f"{base}/{w.ids['target']}", update),
        "delete": lambda w: w.act("DELETE", f"{base}/{w.ids['target']}"),
    }


def owned(collection: str) -> dict[str, Action]:
    """The verbs of an object with ``owner_id`` and ``assignee_id`` (projects, tasks)."""
    path = "/api/" + collection + "/{}"
    return {
        "update-assignee": lambda w: w.act(
            "PATCH", path.format(w.ids["target"]), {"assignee_id": None}
        ),
        "assign-other": lambda w: w.act(
            "PATCH", path.format(w.ids["target"]), {"assignee_id": w.other_id}
        ),
        "update-owner": lambda w: w.act(
            "PATCH", path.format(w.ids["target"]), {"owner_id": w.actor_id}
        ),
        "export": lambda w: w.act(
            "POST", path.format(w.ids["target"]) + "/dataset/export" + EXPORT_QUERY
        ),
    }


def assign_other_to_issue(w: World) -> Reply:
    return w.act("PATCH", f"/api/issues/{w.ids['target']}", {"assignee": w.other_id})


def job_path(w: World) -> str:
    return f"/api/jobs/{w.ids['target']}"


ACTIONS: dict[str, dict[str, Action]] = {
    "projects": crud("projects", lambda w: {"name": "mine"}, {"name": "renamed"})
    | owned("projects"),
    "tasks": crud(
        "tasks", lambda w: {"name": "mine", "labels": [{"name": "a"}]}, {"name": "renamed"}
    )
    | owned("tasks"),
    "jobs": {
        "list": lambda w: w.act("GET", "/api/jobs?page_size=100"),
        "view": lambda w: w.act("GET", job_path(w)),
        "update-state": lambda w: w.act("PATCH", job_path(w), {"state": "completed"}),
        "update-stage": lambda w: w.act("PATCH", job_path(w), {"stage": "validation"}),
        "update-assignee": lambda w: w.act("PATCH", job_path(w), {"assignee": None}),
        "assign-other": lambda w: w.act("PATCH", job_path(w), {"assignee": w.other_id}),
        "create": lambda w: w.act(
            "POST",
            "/api/jobs",
            {
                "task_id": w.ids["task"],
                "type": "ground_truth",
                "frame_selection_method": "manual",
                "frames": [0],
            },
        ),
        "delete": lambda w: w.act("DELETE", job_path(w)),
    },
    "labels": {
        "list": lambda w: w.act("GET", f"/api/labels?task_id={w.ids['task']}"),
        "view": lambda w: w.act("GET", f"/api/labels/{w.ids['target']}"),
        "update": lambda w: w.act("PATCH", f"/api/labels/{w.ids['target']}", {"name": "truck"}),
        "delete": lambda w: w.act("DELETE", f"/api/labels/{w.ids['target']}"),
    },
    "issues": crud(
        "issues",
        lambda w: {
            "frame": 0,
            "position": [2.0, 2.0, 5.0, 5.0],
            "job": w.ids["job"],
            "message": "m",
        },
        {"resolved": True},
    )
    | {"assign-other": assign_other_to_issue},
    "comments": crud(
        "comments", lambda w: {"issue": w.ids["issue"], "message": "reply"}, {"message": "edited"}
    ),
    "annotations": {
        "task-view": lambda w: w.act("GET", f"/api/tasks/{w.ids['task']}/annotations"),
        "task-update": lambda w: w.act(
            "PUT", f"/api/tasks/{w.ids['task']}/annotations", EMPTY_ANNOTATIONS
        ),
        "task-delete": lambda w: w.act("DELETE", f"/api/tasks/{w.ids['task']}/annotations"),
        "job-view": lambda w: w.act("GET", f"/api/jobs/{w.ids['job']}/annotations"),
        "job-update": lambda w: w.act(
            "PUT", f"/api/jobs/{w.ids['job']}/annotations", EMPTY_ANNOTATIONS
        ),
        "job-delete": lambda w: w.act("DELETE", f"/api/jobs/{w.ids['job']}/annotations"),
    },
    "organizations": crud("organizations", lambda w: {"slug": "neworg"}, {"name": "Renamed"}),
    "memberships": {
        "list": lambda w: w.act("GET", "/api/memberships?page_size=100"),
        "list-sandbox": lambda w: w.act("GET", "/api/memberships?page_size=100", scoped=False),
        "view": lambda w: w.act("GET", f"/api/memberships/{w.ids['target']}"),
        "change-role": lambda w: w.act(
            "PATCH",
            f"/api/memberships/{w.ids['target']}",
            {"role": "supervisor" if w.ids["role"] == 0 else "worker"},
        ),
        "promote": lambda w: w.act(
            "PATCH", f"/api/memberships/{w.ids['target']}", {"role": "maintainer"}
        ),
        "delete": lambda w: w.act("DELETE", f"/api/memberships/{w.ids['target']}"),
    },
    "users": {
        "list": lambda w: w.act("GET", "/api/users?page_size=100"),
        "view": lambda w: w.act("GET", f"/api/users/{w.ids['target']}"),
        "view-stranger": lambda w: w.act("GET", f"/api/users/{w.ids['target']}"),
        "update": lambda w: w.act("PATCH", f"/api/users/{w.ids['target']}", {"first_name": "X"}),
        "delete": lambda w: w.act("DELETE", f"/api/users/{w.ids['target']}"),
    },
}

# CVAT rules the fake does not implement: (resource, action, profile id) -> why.
XFAIL: dict[tuple[str, str, str], str] = {}


def listed_ids(reply: Reply, key: str = "id") -> list[Any]:
    return [item[key] for item in reply.data["results"]]


def check_case(case: Case) -> None:
    world = build_world(case.profile)
    SETUPS[case.resource](world, case.action)
    remove_former_membership(world)
    reply = ACTIONS[case.resource][case.action](world)
    assert reply.status == case.status, (reply.status, reply.data)
    if case.listed is not None:
        assert reply.data["count"] == len(reply.data["results"])
        assert (world.ids["target"] in listed_ids(reply)) == case.listed, reply.data["results"]


def _param(case: Case) -> Any:
    reason = XFAIL.get((case.resource, case.action, case.profile.id))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_permission(case: Case) -> None:
    check_case(case)


def test_table_covers_every_resource_and_profile() -> None:
    """Every resource has cases for every role in both workspaces, the resources that have
    owners and assignees for every relation too; every grid row has an executable action;
    and the size of the table is what it claims."""
    roles = {(p.context, p.kind) for p in PROFILES}
    assert {r for r, _ in GRID} == set(RESOURCES) == set(ACTIONS)
    for resource in RESOURCES:
        assert {a for r, a in GRID if r == resource} == set(ACTIONS[resource]), resource
        profiles = {c.profile for c in CASES if c.resource == resource}
        assert {(p.context, p.kind) for p in profiles} == roles, resource
        if resource not in ("organizations", "memberships", "users"):
            assert profiles == set(PROFILES), resource
    assert set(XFAIL) <= {(c.resource, c.action, c.profile.id) for c in CASES}
    assert CASE_COUNT == len(CASES) == len({c.id for c in CASES})
    print(f"permission table: {CASE_COUNT} cases")
