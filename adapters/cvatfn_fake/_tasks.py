"""Tasks: CRUD, data upload and processing, ``data/meta`` and frames.

Theory of operation
-------------------
A task is created empty (no data, ``size`` absent, ``segment_size`` 0). Data arrives through
the upload protocol of ``_uploads`` and is processed by a background request
(``create:task``), which:

1. gathers the files: uploaded ``client_files``, ``server_files`` from the share root given to
   the server, ``remote_files`` from the table filled by ``FakeServer.add_remote_file``;
2. keeps the media files (by MIME type; other files are skipped, and no media at all fails
   with CVAT's ``No media data found``); only images are supported;
3. sorts them (``lexicographical``, ``natural``, ``predefined`` or ``random``), applies
   ``start_frame``/``stop_frame``/``frame_filter=step=N`` and reads each image's header the
   way CVAT's Pillow does (``_images``): the size, its sides swapped by an EXIF orientation
   above 4; a file Pillow would not open fails the request with Pillow's exception;
4. cuts the frames into jobs exactly like CVAT's ``_generate_segment_params``: segments of
   ``segment_size`` frames (0 or more than the task size means one job), consecutive
   segments sharing ``overlap`` frames (default 0 for images, capped at half a segment), or
   one job per entry of ``job_file_mapping``.

The bytes of every frame are kept (as immutable ``bytes``) for later frame/chunk serving.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, isodate, render, user_ref
from ._errors import ApiError, detail, invalid, not_found, permission_denied
from ._fields import Fields, as_list, merge_nested, present
from ._iam import (
    can_create,
    can_create_in_project,
    can_project,
    can_task,
    check_list_scope,
    check_user_refs,
    request_org,
    visible_tasks,
)
from ._images import UnreadableImage, image_info, media_kind
from ._jobs import create_jobs, job_summary, jobs_by_task
from ._labels import create_labels, delete_label, labels_of, update_labels, validate_labels
from ._listing import ListSpec, paginate
from ._projects import check_user_id, read_storage, storage_json
from ._requests import WorkFailed, enqueue, is_active, register_work
from ._router import UPLOAD_ID
from ._state import BackgroundRequest, Frame, Job, Project, Task, TaskData
from ._uploads import append_files, init_tus, tus_chunk
from ._validation import apply_validation_params, check_validation_params

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

SORTING_METHODS = ("lexicographical", "natural", "predefined", "random")
TASK_LIST = ListSpec(
    filter_fields=(
        "assignee",
        "created_date",
        "dimension",
        "id",
        "media_type",
        "mode",
        "name",
        "owner",
        "project_id",
        "project_name",
        "status",
        "subset",
        "tracker_link",
        "updated_date",
        "validation_mode",
    ),
    search_fields=("assignee", "name", "owner", "project_name", "subset", "tracker_link"),
    sort_fields=(
        "assignee",
        "created_date",
        "dimension",
        "id",
        "media_type",
        "mode",
        "name",
        "owner",
        "project_id",
        "project_name",
        "status",
        "subset",
        "tracker_link",
        "updated_date",
        "validation_mode",
    ),
    simple_filters=(
        "assignee",
        "dimension",
        "media_type",
        "mode",
        "name",
        "owner",
        "project_id",
        "project_name",
        "status",
        "subset",
        "tracker_link",
        "validation_mode",
    ),
    choices={
        "status": ("annotation", "validation", "completed"),
        "dimension": ("3d", "2d"),
        "media_type": ("image", "point_cloud", "audio"),
        "mode": ("annotation", "interpolation"),
        "validation_mode": ("gt", "gt_pool"),
    },
)


# ------------------------------------------------------------------------ representation
def _username(srv: FakeServer, user_id: int | None) -> str | None:
    user = srv.state.users.get(user_id) if user_id is not None else None
    return user.username if user is not None else None


def task_json(ctx: Ctx, task: Task, jobs: list[Job] | None = None) -> dict[str, Any]:
    """CVAT's ``TaskRead`` of ``task``; ``jobs``, when given, are its jobs (by id)."""
    state = ctx.server.state
    project = state.projects.get(task.project_id) if task.project_id is not None else None
    data = task.data
    result: dict[str, Any] = {
        "url": f"{ctx.base}/api/tasks/{task.id}",
        "id": task.id,
        "name": task.name,
        "project_id": task.project_id,
        "mode": task.mode,
        "owner": user_ref(ctx, state.users.get(task.owner_id) if task.owner_id else None),
        "assignee": user_ref(ctx, state.users.get(task.assignee_id) if task.assignee_id else None),
        "bug_tracker": task.bug_tracker,
        "created_date": isodate(task.created),
        "updated_date": isodate(task.updated),
        "overlap": task.overlap,
        "segment_size": task.segment_size,
        "status": task.status,
    }
    if data is not None:
        result["data_chunk_size"] = data.chunk_size
        result["data_original_chunk_type"] = data.original_chunk_type
        result["data_compressed_chunk_type"] = data.compressed_chunk_type
        result["data_cloud_storage_id"] = data.cloud_storage_id
        result["guide_id"] = task.guide_id
        result["size"] = data.size
        result["image_quality"] = data.image_quality
        result["data"] = data.id
    else:
        result["guide_id"] = task.guide_id
    result["dimension"] = task.dimension
    result["subset"] = task.subset
    result["organization_id"] = result["organization"] = task.org_id
    result["target_storage"] = storage_json(task.target_storage)
    result["source_storage"] = storage_json(task.source_storage)
    result["jobs"] = job_summary(ctx, task, jobs)
    result["labels"] = {"url": f"{ctx.base}/api/labels?task_id={task.id}"}
    result["assignee_updated_date"] = isodate(task.assignee_updated)
    result["validation_mode"] = data.validation_mode if data is not None else None
    result["media_type"] = "image"
    result["project_name"] = project.name if project is not None else None
    result["initial_replicas"] = 0
    return result


def _value(srv: FakeServer, task: Task, name: str) -> Any:
    if name in ("owner", "assignee"):
        return _username(srv, getattr(task, name + "_id"))
    if name == "project_name":
        project = srv.state.projects.get(task.project_id) if task.project_id is not None else None
        return project.name if project is not None else None
    if name == "tracker_link":
        return task.bug_tracker
    if name == "created_date":
        return task.created
    if name == "updated_date":
        return task.updated
    if name == "media_type":
        return "image"
    if name == "validation_mode":
        return task.data.validation_mode if task.data is not None else None
    return getattr(task, name)


# -------------------------------------------------------------------------- endpoints
_GETTERS: dict[str, Callable[[Task], Any]] = {
    **{name: attrgetter(name) for name in ("id", "name", "mode", "status", "subset", "dimension")},
    "tracker_link": attrgetter("bug_tracker"),
    "created_date": attrgetter("created"),
    "updated_date": attrgetter("updated"),
}
"""What :func:`_value` reads, for the fields that are attributes of a task and never None."""


def list_tasks(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, user, scope)
    items = visible_tasks(srv, user, scope, srv.state.tasks.values())
    jobs = jobs_by_task(srv)
    return paginate(
        ctx,
        TASK_LIST,
        items,
        lambda t, n: _value(srv, t, n),
        lambda t: task_json(ctx, t, jobs.get(t.id, [])),
        _GETTERS,
    )


def create_task(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    data = ctx.data()
    fields = Fields(data, partial=False)
    name = fields.string("name", required=True, max_length=256)
    project_id = fields.integer("project_id", nullable=True)
    owner_id = fields.integer("owner_id", nullable=True)
    assignee_id = fields.integer("assignee_id", nullable=True)
    bug_tracker = fields.string("bug_tracker", max_length=2000, blank=True)
    overlap = fields.integer("overlap", nullable=True, minimum=0, maximum=2147483647)
    segment_size = fields.integer("segment_size", minimum=0, maximum=2147483647)
    subset = fields.string("subset", max_length=64, blank=True)
    replicas = fields.integer("consensus_replicas", minimum=0)
    check_user_id(srv, fields, "owner_id", owner_id)
    check_user_id(srv, fields, "assignee_id", assignee_id)
    source = read_storage(srv, fields, "source_storage")
    target = read_storage(srv, fields, "target_storage")
    labels: list[dict[str, Any]] = []
    if "labels" in data:
        try:
            labels = validate_labels(data["labels"], partial=False)
        except ApiError as exc:
            merge_nested(fields, exc)
    if present(replicas) and replicas == 1:
        fields.error(
            "consensus_replicas",
            "Consensus replicas must be 0 or a positive number more than 1 and less than 11, got 1",
        )
    fields.done()
    project = None
    if present(project_id) and project_id is not None:
        project = srv.state.projects.get(project_id)
        if project is None:
            raise invalid(f"The specified project #{project_id} does not exist.")
        if not can_create_in_project(srv, user, project):
            raise permission_denied()
    elif not can_create(srv, user, scope):
        raise permission_denied()
    check_user_refs(
        srv, user, data, ("owner_id", "assignee_id"), scope.org.id if scope.org else None
    )
    org_id = scope.org.id if scope.org is not None else None
    if project is not None:
        if labels:
            raise invalid("Task must have only one of Label set or project_id")
        if scope.specified and project.org_id != org_id:
            raise invalid("The task and its project should be in the same organization.")
        org_id = project.org_id
    now = srv.now()
    task = Task(
        id=srv.state.next_id("task"),
        name=name,
        project_id=project.id if project is not None else None,
        owner_id=owner_id if present(owner_id) and owner_id is not None else user.id,
        assignee_id=assignee_id if present(assignee_id) else None,
        assignee_updated=now if present(assignee_id) and assignee_id is not None else None,
        bug_tracker=bug_tracker if present(bug_tracker) else "",
        org_id=org_id,
        overlap=overlap if present(overlap) else None,
        segment_size=segment_size if present(segment_size) else 0,
        subset=subset if present(subset) else "",
        mode="",
        status="annotation",
        dimension="2d",
        created=now,
        updated=now,
        source_storage=source,
        target_storage=target,
    )
    srv.state.tasks[task.id] = task
    try:
        create_labels(srv, labels, ("task", task.id))
    except ApiError:
        delete_task_cascade(srv, task.id)
        raise
    if project is not None:
        project.updated = now
    return render(ctx, 201, task_json(ctx, task))


def get_task(srv: FakeServer, ctx: Ctx, task_id: str | int, scope: str) -> Task:
    user = require_user(ctx)
    task = srv.state.tasks.get(int(task_id))
    if task is None:
        raise not_found("Task")
    if not can_task(srv, user, task, scope):
        raise permission_denied()
    return task


def retrieve_task(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, task_json(ctx, get_task(srv, ctx, id, "view")))


def _named_project(srv: FakeServer, data: dict[str, Any]) -> Project | None:
    """The project a task patch names. CVAT builds a ``projects:view`` permission for it
    before judging any permission, so a project that does not exist is a 400 first."""
    value = data.get("project_id")
    if isinstance(value, bool) or not isinstance(value, int) or not value:
        return None
    project = srv.state.projects.get(value)
    if project is None:
        raise invalid("Project matching query does not exist.")
    return project


def update_task(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    user = require_user(ctx)
    if int(id) not in srv.state.tasks:
        raise not_found("Task")
    data = ctx.data()
    destination = _named_project(srv, data)
    task = get_task(srv, ctx, id, "view")
    scopes: list[str] = []
    if {
        "name",
        "bug_tracker",
        "subset",
        "labels",
        "source_storage",
        "target_storage",
    } & data.keys():
        scopes.append("update:desc")
    for key, scope in (
        ("owner_id", "update:owner"),
        ("assignee_id", "update:assignee"),
        ("project_id", "update:project"),
        ("organization_id", "update:organization"),
    ):
        if key in data:
            scopes.append(scope)
    for scope in scopes or ["update:desc"]:
        if not can_task(srv, user, task, scope):
            raise permission_denied()
    if destination is not None and not can_project(srv, user, destination, "view"):
        raise permission_denied()  # moving a task into a project asks to view that project
    check_user_refs(srv, user, data, ("owner_id", "assignee_id"), task.org_id)
    fields = Fields(data, partial=True)
    name = fields.string("name", max_length=256)
    bug_tracker = fields.string("bug_tracker", max_length=2000, blank=True)
    subset = fields.string("subset", max_length=64, blank=True)
    owner_id = fields.integer("owner_id", nullable=True)
    assignee_id = fields.integer("assignee_id", nullable=True)
    project_id = fields.integer("project_id", nullable=True)
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
    fields.done()
    now = srv.now()
    if present(org_id) and org_id != task.org_id:
        if "project_id" in data:
            raise invalid(
                {
                    "non_field_errors": [
                        "A task cannot be moved into a project and into an organization "
                        "at the same time"
                    ]
                }
            )
        if task.project_id is not None:
            raise invalid(
                {"non_field_errors": ["Only top-level resources can be moved between workspaces"]}
            )
        extra = set(data) - {"source_storage", "target_storage", "organization_id"}
        if extra:
            raise invalid(
                {
                    "non_field_errors": [
                        f"Fields {extra} cannot be updated when transferring to another workspace"
                    ]
                }
            )
        if org_id is not None and org_id not in srv.state.organizations:
            raise invalid("Invalid organization id")
        task.org_id, task.owner_id = org_id, user.id
        if task.assignee_id is not None:
            task.assignee_id, task.assignee_updated = None, now
        for job in srv.state.jobs.values():
            if job.task_id == task.id and job.assignee_id is not None:
                job.assignee_id, job.assignee_updated = None, now
    elif present(project_id) and project_id is not None and project_id != task.project_id:
        _move_to_project(srv, task, project_id, labels)
    else:
        if present(name):
            task.name = name
        if present(bug_tracker):
            task.bug_tracker = bug_tracker
        if present(subset):
            task.subset = subset
        if present(owner_id):
            task.owner_id = owner_id
        if present(assignee_id) and assignee_id != task.assignee_id:
            task.assignee_id, task.assignee_updated = assignee_id, now
        if source is not None:
            task.source_storage = source
        if target is not None:
            task.target_storage = target
        if labels and task.project_id is None:
            update_labels(srv, labels, ("task", task.id))
            for job in srv.state.jobs.values():
                if job.task_id == task.id:
                    job.updated = now
    task.updated = now
    if task.project_id is not None:
        srv.state.projects[task.project_id].updated = now
    return render(ctx, 200, task_json(ctx, task))


def _move_to_project(
    srv: FakeServer, task: Task, project_id: int, patch: list[dict[str, Any]]
) -> None:
    project = srv.state.projects.get(project_id)
    if project is None:
        raise invalid(f"Cannot find project with ID {project_id}")
    old = (
        labels_of(srv, ("project", task.project_id))
        if task.project_id is not None
        else labels_of(srv, ("task", task.id))
    )
    renamed = {s["id"]: s["name"] for s in patch if s["id"] is not None and s["name"]}
    target_names = {lb.name for lb in labels_of(srv, ("project", project.id))}
    if not {renamed.get(lb.id, lb.name) for lb in old} <= target_names:
        raise invalid("All task or project label names must be mapped to the target project")
    from ._annotations import move_to_project

    move_to_project(srv, task, old, renamed, project.id)
    if task.project_id is None:
        for label in old:
            delete_label(srv, label)
    task.project_id = project.id
    task.org_id = project.org_id


def delete_task_cascade(srv: FakeServer, task_id: int) -> None:
    """Remove a task and everything kept for it: its jobs with their issues, comments and
    annotations, its labels, its uploads in progress (task data, and annotation imports into
    the task or its jobs) and the files its finished exports produced (CVAT deletes them with
    the task's directory; the requests themselves stay, as RQ keeps them)."""
    state = srv.state
    job_ids = [j.id for j in state.jobs.values() if j.task_id == task_id]
    for job_id in job_ids:
        for issue_id in [i.id for i in state.issues.values() if i.job_id == job_id]:
            for comment_id in [c.id for c in state.comments.values() if c.issue_id == issue_id]:
                del state.comments[comment_id]
            del state.issues[issue_id]
        state.annotations.pop(job_id, None)
        del state.jobs[job_id]
    for label in labels_of(srv, ("task", task_id)):
        delete_label(srv, label)
    import_scopes = (f"task:{task_id}:", *(f"job:{job_id}:" for job_id in job_ids))
    for file_id in [
        u.file_id
        for u in state.uploads.values()
        if u.task_id == task_id or u.scope.startswith(import_scopes)
    ]:
        del state.uploads[file_id]
    for request in state.requests.values():
        if request.task_id == task_id:  # the task's and its jobs' requests
            request.result_file = None
    state.tasks.pop(task_id, None)


def delete_task(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "delete")
    if task.project_id is not None:
        srv.state.projects[task.project_id].updated = srv.now()
    delete_task_cascade(srv, task.id)
    return render(ctx, 204, None)


# ------------------------------------------------------------------------------ data
def _ensure_data(srv: FakeServer, task: Task) -> TaskData | None:
    """The task's data object, created on first upload; None if data is already attached."""
    if task.data is None:
        task.data = TaskData(id=srv.state.next_id("data"), chunks_updated=srv.now())
    elif task.data.size != 0:
        return None
    return task.data


def post_data(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "upload:data")
    data = _ensure_data(srv, task)
    if data is None:
        return render(ctx, 400, "Adding more data is not supported")
    headers = {name.lower() for name, _ in ctx.request.headers}
    finish = "upload-finish" in headers
    start = "upload-start" in headers
    if finish:
        return _finish(srv, ctx, task, data)
    if start:
        return render(ctx, 202, None)
    if "upload-length" in headers:
        return init_tus(srv, ctx, task, data)
    if "upload-multiple" in headers:
        _read_data_request(srv, ctx, data)
        refused = append_files(ctx, data)
        return refused if refused is not None else render(ctx, 200, None)
    return _finish(srv, ctx, task, data)


def data_chunk(srv: FakeServer, ctx: Ctx, id: str, file_id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "upload:data")
    if task.data is None:
        return tus_chunk(srv, ctx, task, "")
    return tus_chunk(srv, ctx, task, file_id)


_FRAME_FILTER = re.compile(r"step\s*=\s*([1-9]\d*)")


def _string_list(fields: Fields, name: str) -> list[str]:
    value = fields.array(name)
    if not present(value):
        return []
    if not all(isinstance(v, str) for v in value):
        fields.error(name, "Not a valid string.")
        return []
    return list(value)


def _read_data_request(srv: FakeServer, ctx: Ctx, data: TaskData) -> dict[str, Any]:
    body = {k: v for k, v in ctx.data().items() if not k.startswith("client_files")}
    fields = Fields(body, partial=True)
    params: dict[str, Any] = {
        "image_quality": fields.integer("image_quality", minimum=0, maximum=100),
        "chunk_size": fields.integer("chunk_size", nullable=True),
        "start_frame": fields.integer("start_frame", minimum=0, maximum=2147483647),
        "stop_frame": fields.integer("stop_frame", minimum=0, maximum=2147483647),
        "frame_filter": fields.string("frame_filter", blank=True, max_length=256),
        "sorting_method": fields.choice("sorting_method", SORTING_METHODS),
        "storage_method": fields.choice("storage_method", ("cache", "file_system")),
        "use_cache": fields.boolean("use_cache"),
        "copy_data": fields.boolean("copy_data"),
        "use_zip_chunks": fields.boolean("use_zip_chunks"),
        "filename_pattern": fields.string("filename_pattern", nullable=True),
        "cloud_storage_id": fields.integer("cloud_storage_id", nullable=True),
    }
    lists = ctx.form_lists()
    for name in ("server_files", "remote_files", "server_files_exclude", "upload_file_order"):
        value = _string_list(fields, name)
        if not value:
            value = [v for k, vs in lists.items() if k.startswith(name + "[") for v in vs]
        params[name] = value
    mapping = fields.array("job_file_mapping")
    params["job_file_mapping"] = None
    if present(mapping):
        jobs = [as_list(job) for job in cast(list[Any], mapping)]
        if not jobs or not all(job and all(isinstance(f, str) for f in job) for job in jobs):
            fields.error("job_file_mapping", "This list may not be empty.")
        else:
            seen: set[str] = set()
            for job in mapping:
                for name in job:
                    if name in seen:
                        fields.error(
                            "job_file_mapping",
                            f"The same file '{name}' cannot be used multiple times "
                            "in the job file mapping",
                        )
                    seen.add(name)
            params["job_file_mapping"] = mapping
    validation = body.get("validation_params")
    params["validation_mode"] = None
    if validation is not None:
        params["validation_params"] = check_validation_params(validation)
        params["validation_mode"] = params["validation_params"]["mode"]
    chunk_size = params["chunk_size"]
    if present(chunk_size) and chunk_size is not None and chunk_size <= 0:
        fields.error("chunk_size", "Chunk size must be a positive integer")
    frame_filter = params["frame_filter"]
    if present(frame_filter) and frame_filter and not _FRAME_FILTER.search(frame_filter):
        fields.error("frame_filter", "Invalid frame filter expression")
    cloud = params["cloud_storage_id"]
    if present(cloud) and cloud is not None:
        fields.error("cloud_storage_id", f"The specified cloud storage {cloud} does not exist.")
    fields.done()
    start, stop = params["start_frame"], params["stop_frame"]
    if present(start) and present(stop) and start > stop:
        raise invalid({"non_field_errors": ["Stop frame must be more or equal start frame"]})
    pattern = params["filename_pattern"]
    if (
        present(pattern)
        and pattern
        and any(not f.endswith(".jsonl") for f in params["server_files"])
    ):
        raise invalid(
            {
                "non_field_errors": [
                    "The filename_pattern can only be used with specified manifest "
                    "or without server_files"
                ]
            }
        )
    return {k: v for k, v in params.items() if present(v)}


def _finish(srv: FakeServer, ctx: Ctx, task: Task, data: TaskData) -> HttpResponse:
    params = _read_data_request(srv, ctx, data)
    refused = append_files(ctx, data)
    if refused is not None:
        return refused
    sorting = params.get("sorting_method", "lexicographical")
    order: list[str] = params.get("upload_file_order") or []
    if sorting == "predefined" and order and data.uploaded:
        uploaded = set(data.uploaded)
        mismatching = sorted(uploaded.symmetric_difference(order))
        if mismatching:
            shown = [n + (" (extra)" if n in uploaded else " (missing)") for n in mismatching[:5]]
            rest = len(mismatching) - 5
            raise invalid(
                "Uploaded files do not match the 'upload_file_order' field contents. "
                "Please check the uploaded data and the list of uploaded files. "
                "Mismatching files: {}{}".format(
                    ", ".join(shown), f" (and {rest} more). " if rest > 0 else ""
                )
            )
    if params.get("job_file_mapping") is not None:
        _check_job_file_mapping(task, params)
    existing = [
        r
        for r in srv.state.requests.values()
        if r.action == "create" and r.task_id == task.id and is_active(r)
    ]
    if existing:
        raise detail(409, f"Task #{task.id} data is already being created")
    user = require_user(ctx)
    request = enqueue(
        srv,
        owner_id=user.id,
        action="create",
        target="task",
        target_id=task.id,
        org_id=task.org_id,
        project_id=task.project_id,
        task_id=task.id,
        params=params,
    )
    return render(ctx, 202, {"rq_id": request.id})


def _check_job_file_mapping(task: Task, params: dict[str, Any]) -> None:
    def reject(what: str) -> None:
        raise invalid(f"job_file_mapping cannot be used with {what}")

    if task.segment_size:
        reject("segment_size")
    if params.get("sorting_method", "lexicographical") != "lexicographical":
        reject("sorting_method")
    if params.get("start_frame"):
        reject("start_frame")
    if params.get("stop_frame"):
        reject("stop_frame")
    if params.get("frame_filter"):
        reject("frame_filter")
    if params.get("filename_pattern"):
        reject("filename_pattern")
    if params.get("server_files_exclude"):
        reject("server_files_exclude")


# ------------------------------------------------------------------------ processing
def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _gather(srv: FakeServer, task: Task, params: dict[str, Any]) -> list[tuple[str, bytes]]:
    assert task.data is not None
    files = [(name, bytes(blob)) for name, blob in task.data.uploaded.items()]
    server_files: list[str] = params.get("server_files") or []
    exclude = set(params.get("server_files_exclude") or [])
    if server_files:
        root = srv.share_root
        if root is None:
            raise WorkFailed("FileNotFoundError: The share root is not configured on this server\n")
        root = root.resolve()
        for rel in server_files:
            norm = Path(rel.lstrip("/"))
            if ".." in norm.parts:
                raise WorkFailed("ValueError: Don't use '..' inside file paths\n")
            path = (root / norm).resolve()
            if not path.exists():
                raise WorkFailed(
                    f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'\n"
                )
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    name = child.relative_to(root).as_posix()
                    if name in exclude or any(
                        f"{parent.as_posix()}/" in exclude for parent in Path(name).parents
                    ):
                        continue
                    files.append((name, child.read_bytes()))
            else:
                files.append((path.relative_to(root).as_posix(), path.read_bytes()))
    remote_files: list[str] = params.get("remote_files") or []
    for url in remote_files:
        if not url.startswith(("http://", "https://")):
            scheme = url.split(":", 1)[0] if ":" in url else ""
            raise WorkFailed(
                f"ValueError: Unsupported URL scheme: {scheme}. Only http and https are supported\n"
            )
        blob = srv.state.remote_files.get(url)
        if blob is None:
            raise WorkFailed(f"Exception: Failed to download {url}; HTTP error 404\n")
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if any(n == name for n, _ in files):
            raise WorkFailed(f"Exception: filename collision: {name}\n")
        files.append((name, blob))
    return files


def process_task_data(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The ``create:task`` work: turn the uploaded files into frames and jobs."""
    task = srv.state.tasks.get(request.task_id or 0)
    if task is None or task.data is None:
        raise WorkFailed("Task.DoesNotExist: Task matching query does not exist.\n")
    params = request.params
    data = task.data
    files = _gather(srv, task, params)
    images = [(n, b) for n, b in files if media_kind(n) == "image"]
    others = [n for n, _ in files if media_kind(n) in ("video", "archive")]
    if (others and images) or len(others) > 1:
        raise WorkFailed(
            "ValueError: Only one video, archive, pdf, zip or many image, directory can be used "
            f"simultaneously, but {len(others)} video/archive(s) "
            f"and {len(images)} image(s) found.\n"
        )
    if others:
        raise WorkFailed(
            f"ValueError: The fake server supports image data only, got '{others[0]}'\n"
        )
    if not images:
        raise WorkFailed("ValueError: No media data found\n")
    sorting = params.get("sorting_method", "lexicographical")
    mapping: list[list[str]] | None = params.get("job_file_mapping")
    if mapping is not None:
        by_name = dict(images)
        missing = [n for job in mapping for n in job if n not in by_name]
        if missing:
            raise WorkFailed(
                "ValidationError: Job file mapping refers to unknown files: "
                f"{', '.join(missing[:5])}\n"
            )
        images = [(n, by_name[n]) for job in mapping for n in job]
    elif sorting == "lexicographical":
        images.sort(key=lambda item: item[0])
    elif sorting == "natural":
        images.sort(key=lambda item: _natural_key(item[0]))
    elif sorting == "random":
        srv.shuffle(images)
    elif params.get("upload_file_order"):
        rank = {n: i for i, n in enumerate(params["upload_file_order"])}
        images.sort(key=lambda item: rank.get(item[0], len(rank)))
    step = 1
    frame_filter = params.get("frame_filter", "")
    if frame_filter:
        match = re.search(r"step\s*=\s*([1-9]\d*)", frame_filter)
        step = int(match.group(1)) if match else 1
    start = params.get("start_frame", 0)
    stop = params.get("stop_frame")
    last = len(images) - 1
    stop = last if stop is None else min(stop, last)
    indices = list(range(start, stop + 1, step))
    if not indices:
        raise WorkFailed("ValueError: No media data found\n")
    frames = [sized_frame(*images[index]) for index in indices]
    data.frames = frames
    data.size = len(frames)
    data.start_frame = start
    data.stop_frame = indices[-1]
    data.frame_filter = frame_filter
    data.sorting_method = sorting
    data.image_quality = params.get("image_quality", data.image_quality)
    chunk_size = params.get("chunk_size")
    if not chunk_size:
        area = max(1, frames[0].width * frames[0].height)
        chunk_size = max(2, min(72, 36 * 1920 * 1080 // area))
    data.chunk_size = chunk_size
    data.storage_method = "cache" if params.get("use_cache") else "file_system"
    data.storage = (
        "share" if params.get("server_files") and not params.get("copy_data") else "local"
    )
    data.validation_mode = params.get("validation_mode")
    data.chunks_updated = srv.now()
    data.uploaded = {}
    task.mode = "annotation"
    create_jobs(srv, task, [len(job) for job in mapping] if mapping is not None else None)
    if params.get("validation_params"):
        apply_validation_params(srv, task, params["validation_params"])
    task.updated = srv.now()
    return None


def sized_frame(name: str, blob: bytes) -> Frame:
    """A frame of an image file, sized as CVAT sizes it (an image CVAT's Pillow cannot read
    fails the request with Pillow's exception)."""
    try:
        info = image_info(blob, name)
    except UnreadableImage as exc:
        raise WorkFailed(exc.report) from None
    width, height = info.size
    return Frame(name, width, height, blob, info.orientation)


def register(router: Router) -> None:
    register_work("create:task", process_task_data)
    router.add("GET", r"/api/tasks", list_tasks)
    router.add("POST", r"/api/tasks", create_task)
    router.add("GET", r"/api/tasks/(?P<id>\d+)", retrieve_task)
    router.add("PATCH", r"/api/tasks/(?P<id>\d+)", update_task)
    router.add("DELETE", r"/api/tasks/(?P<id>\d+)", delete_task)
    router.add("POST", r"/api/tasks/(?P<id>\d+)/data", post_data)
    uuid = UPLOAD_ID
    router.add("PATCH", rf"/api/tasks/(?P<id>\d+)/data/{uuid}", data_chunk)
    router.add("HEAD", rf"/api/tasks/(?P<id>\d+)/data/{uuid}", data_chunk)
