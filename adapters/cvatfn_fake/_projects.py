"""Projects: ``/api/projects`` create, list, retrieve, partial update, delete.

Theory of operation
-------------------
A project is created in the request's workspace (``X-Organization``), owned by the requester,
with its labels. Its tasks inherit those labels. Partial updates check one IAM scope per kind
of change (``update:desc`` for name, bug tracker and labels, ``update:owner``,
``update:assignee``, ``update:organization``), and a label patch also touches the
``updated_date`` of the project's tasks, as CVAT does. Deleting a project deletes its tasks,
jobs, labels, issues and comments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, absolute, isodate, render, user_ref
from ._errors import ApiError, not_found, permission_denied
from ._fields import Fields, as_dict, merge_nested, present
from ._iam import (
    can_create,
    can_project,
    check_list_scope,
    check_user_refs,
    request_org,
    visible_project,
)
from ._labels import create_labels, labels_of, update_labels, validate_labels
from ._listing import ListSpec, paginate
from ._state import Project, Storage

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

STATUSES = ("annotation", "validation", "completed")
PROJECT_LIST = ListSpec(
    filter_fields=("assignee", "id", "name", "owner", "status", "updated_date"),
    search_fields=("assignee", "name", "owner"),
    sort_fields=("assignee", "id", "name", "owner", "status", "updated_date"),
    simple_filters=("assignee", "name", "owner", "status"),
    choices={"status": STATUSES},
)


def storage_json(storage: Storage | None) -> dict[str, Any] | None:
    if storage is None:
        return None
    return {
        "id": storage.id,
        "location": storage.location,
        "cloud_storage_id": storage.cloud_storage_id,
    }


def read_storage(srv: FakeServer, fields: Fields, name: str) -> Storage | None:
    """Validate a ``StorageRequest`` field; returns a new Storage or None if absent."""
    if name not in fields.data:
        return None
    value = fields.data[name]
    if value is None:
        return None
    raw = as_dict(value)
    if raw is None:
        fields.errors[name] = {
            "non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(value).__name__}."
            ]
        }
        return None
    location = raw.get("location", "local")
    cloud_id = raw.get("cloud_storage_id")
    if location not in ("local", "cloud_storage"):
        fields.errors[name] = {"location": [f'"{location}" is not a valid choice.']}
        return None
    if cloud_id:
        fields.errors[name] = {
            "non_field_errors": [f"The specified cloud storage {cloud_id} does not exist."]
        }
        return None
    if location == "cloud_storage":
        fields.errors[name] = {
            "non_field_errors": [
                "Cloud storage was selected as location but its id was not specified"
            ]
        }
        return None
    return Storage(srv.state.next_id("storage"), location, None)


def check_user_id(srv: FakeServer, fields: Fields, name: str, value: Any) -> None:
    if present(value) and value is not None and value not in srv.state.users:
        fields.error(name, f'Invalid pk "{value}" - object does not exist.')


def project_json(ctx: Ctx, project: Project) -> dict[str, Any]:
    srv = ctx.server
    tasks = [t for t in srv.state.tasks.values() if t.project_id == project.id]
    subsets = sorted({t.subset for t in tasks if t.subset})
    dimension = next((t.dimension for t in sorted(tasks, key=lambda t: t.id)), None)
    return {
        "url": absolute(ctx, f"/api/projects/{project.id}"),
        "id": project.id,
        "name": project.name,
        "owner": user_ref(ctx, srv.state.users.get(project.owner_id) if project.owner_id else None),
        "assignee": user_ref(
            ctx, srv.state.users.get(project.assignee_id) if project.assignee_id else None
        ),
        "guide_id": None,
        "bug_tracker": project.bug_tracker,
        "task_subsets": subsets,
        "created_date": isodate(project.created),
        "updated_date": isodate(project.updated),
        "status": project.status,
        "dimension": dimension,
        "organization": project.org_id,
        "organization_id": project.org_id,
        "target_storage": storage_json(project.target_storage),
        "source_storage": storage_json(project.source_storage),
        "tasks": {
            "count": len(tasks),
            "url": absolute(ctx, "/api/tasks", {"project_id": project.id}),
        },
        "labels": {"url": absolute(ctx, "/api/labels", {"project_id": project.id})},
        "assignee_updated_date": isodate(project.assignee_updated),
    }


def _username(srv: FakeServer, user_id: int | None) -> str | None:
    user = srv.state.users.get(user_id) if user_id is not None else None
    return user.username if user is not None else None


def _value(srv: FakeServer, project: Project, name: str) -> Any:
    if name in ("owner", "assignee"):
        return _username(srv, getattr(project, name + "_id"))
    if name == "updated_date":
        return project.updated
    return getattr(project, name)


def list_projects(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, user, scope)
    items = [p for p in srv.state.projects.values() if visible_project(srv, user, scope, p)]
    return paginate(
        ctx, PROJECT_LIST, items, lambda p, n: _value(srv, p, n), lambda p: project_json(ctx, p)
    )


def create_project(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    if not can_create(srv, user, scope):
        raise permission_denied()
    data = ctx.data()
    check_user_refs(
        srv, user, data, ("owner_id", "assignee_id"), scope.org.id if scope.org else None
    )
    fields = Fields(data, partial=False)
    name = fields.string("name", required=True, max_length=256)
    bug_tracker = fields.string("bug_tracker", max_length=2000, blank=True)
    owner_id = fields.integer("owner_id", nullable=True)
    assignee_id = fields.integer("assignee_id", nullable=True)
    check_user_id(srv, fields, "owner_id", owner_id)
    check_user_id(srv, fields, "assignee_id", assignee_id)
    source = read_storage(srv, fields, "source_storage")
    target = read_storage(srv, fields, "target_storage")
    labels: list[dict[str, Any]] = []
    try:
        labels = validate_labels(data.get("labels", []), partial=False)
    except ApiError as exc:
        merge_nested(fields, exc)
    fields.done()
    now = srv.now()
    project = Project(
        id=srv.state.next_id("project"),
        name=name,
        owner_id=owner_id if present(owner_id) and owner_id is not None else user.id,
        assignee_id=assignee_id if present(assignee_id) else None,
        assignee_updated=now if present(assignee_id) and assignee_id is not None else None,
        bug_tracker=bug_tracker if present(bug_tracker) else "",
        org_id=scope.org.id if scope.org is not None else None,
        status="annotation",
        created=now,
        updated=now,
        source_storage=source,
        target_storage=target,
    )
    srv.state.projects[project.id] = project
    try:
        create_labels(srv, labels, ("project", project.id))
    except ApiError:
        delete_project_cascade(srv, project.id)
        raise
    return render(ctx, 201, project_json(ctx, project))


def get_project(srv: FakeServer, ctx: Ctx, project_id: str | int, scope: str) -> Project:
    """The project ``project_id`` if the user may ``scope`` it: 404, then 403, as in CVAT."""
    user = require_user(ctx)
    project = srv.state.projects.get(int(project_id))
    if project is None:
        raise not_found("Project")
    if not can_project(srv, user, project, scope):
        raise permission_denied()
    return project


def retrieve_project(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, project_json(ctx, get_project(srv, ctx, id, "view")))


def update_project(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    project = get_project(srv, ctx, id, "view")
    user = require_user(ctx)
    data = ctx.data()
    scopes: list[str] = []
    if {"name", "bug_tracker", "labels", "source_storage", "target_storage"} & data.keys():
        scopes.append("update:desc")
    if "owner_id" in data:
        scopes.append("update:owner")
    if "assignee_id" in data:
        scopes.append("update:assignee")
    if "organization_id" in data:
        scopes.append("update:organization")
    for scope in scopes or ["update:desc"]:
        if not can_project(srv, user, project, scope):
            raise permission_denied()
    check_user_refs(srv, user, data, ("owner_id", "assignee_id"), project.org_id)
    fields = Fields(data, partial=True)
    name = fields.string("name", max_length=256)
    bug_tracker = fields.string("bug_tracker", max_length=2000, blank=True)
    owner_id = fields.integer("owner_id", nullable=True)
    assignee_id = fields.integer("assignee_id", nullable=True)
    org_id = fields.integer("organization_id", nullable=True)
    check_user_id(srv, fields, "owner_id", owner_id)
    check_user_id(srv, fields, "assignee_id", assignee_id)
    source = read_storage(srv, fields, "source_storage")
    target = read_storage(srv, fields, "target_storage")
    labels: list[dict[str, Any]] = []
    if "labels" in data:
        try:
            labels = validate_labels(data["labels"], partial=True)
        except ApiError as exc:
            merge_nested(fields, exc)
    if present(org_id):
        extra = set(data) - {"source_storage", "target_storage", "organization_id"}
        if extra:
            fields.errors.setdefault("non_field_errors", []).append(
                f"Fields {extra} cannot be updated when transferring to another workspace"
            )
        elif org_id is not None and org_id not in srv.state.organizations:
            fields.errors.setdefault("non_field_errors", []).append("Invalid organization id")
    fields.done()
    now = srv.now()
    if present(org_id) and org_id != project.org_id:
        transfer_project(srv, project, org_id, user.id, now)
    else:
        if present(name):
            project.name = name
        if present(bug_tracker):
            project.bug_tracker = bug_tracker
        if present(owner_id):
            project.owner_id = owner_id
        if present(assignee_id) and assignee_id != project.assignee_id:
            project.assignee_id = assignee_id
            project.assignee_updated = now
        if source is not None:
            project.source_storage = source
        if target is not None:
            project.target_storage = target
        if labels:
            update_labels(srv, labels, ("project", project.id))
            for task in srv.state.tasks.values():
                if task.project_id == project.id:
                    task.updated = now
                    for job in srv.state.jobs.values():
                        if job.task_id == task.id:
                            job.updated = now
    project.updated = now
    return render(ctx, 200, project_json(ctx, project))


def transfer_project(
    srv: FakeServer, project: Project, org_id: int | None, user_id: int, now: float
) -> None:
    project.org_id = org_id
    project.owner_id = user_id
    if project.assignee_id is not None:
        project.assignee_id, project.assignee_updated = None, now
    for task in srv.state.tasks.values():
        if task.project_id == project.id:
            task.org_id, task.owner_id = org_id, user_id
            task.assignee_id, task.assignee_updated = None, now
            for job in srv.state.jobs.values():
                if job.task_id == task.id and job.assignee_id is not None:
                    job.assignee_id, job.assignee_updated = None, now


def delete_project_cascade(srv: FakeServer, project_id: int) -> None:
    from ._labels import delete_label
    from ._tasks import delete_task_cascade

    state = srv.state
    for task_id in [t.id for t in state.tasks.values() if t.project_id == project_id]:
        delete_task_cascade(srv, task_id)
    for label in labels_of(srv, ("project", project_id)):
        delete_label(srv, label)
    scope = f"project:{project_id}:"
    for file_id in [u.file_id for u in state.uploads.values() if u.scope.startswith(scope)]:
        del state.uploads[file_id]  # dataset imports in progress
    for request in state.requests.values():
        if request.target == "project" and request.target_id == project_id:
            request.result_file = None
    state.projects.pop(project_id, None)


def delete_project(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    project = get_project(srv, ctx, id, "delete")
    delete_project_cascade(srv, project.id)
    return render(ctx, 204, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/projects", list_projects)
    router.add("POST", r"/api/projects", create_project)
    router.add("GET", r"/api/projects/(?P<id>\d+)", retrieve_project)
    router.add("PATCH", r"/api/projects/(?P<id>\d+)", update_project)
    router.add("DELETE", r"/api/projects/(?P<id>\d+)", delete_project)
