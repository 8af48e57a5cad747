"""Jobs: segment creation for tasks and the ``/api/jobs`` endpoints.

Theory of operation
-------------------
:func:`create_jobs` reproduces CVAT's ``_generate_segment_params``: with a segment size of 0
(or larger than the task) the task gets one job; otherwise jobs start every
``segment_size - overlap`` frames and stop ``segment_size - 1`` frames later (clipped to the
last frame); the overlap defaults to 0 for image tasks and is capped at half a segment. The
chosen ``segment_size`` and ``overlap`` are written back to the task.

``PATCH /api/jobs/{id}`` follows ``JobWriteSerializer.update``: changing the stage without a
state resets the state to ``new``; the legacy ``status`` is ``annotation`` in the annotation
stage, ``completed`` when accepted and completed, ``validation`` otherwise; the task status
is then recomputed from its jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, absolute, isodate, render, user_ref
from ._errors import not_found, permission_denied
from ._fields import Fields, present
from ._iam import can_job, can_task, check_list_scope, check_user_refs, request_org, visible_job
from ._listing import ListSpec, paginate
from ._projects import storage_json
from ._state import Job, Task

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

STAGES = ("annotation", "validation", "acceptance")
STATES = ("new", "in progress", "completed", "rejected")
JOB_LIST = ListSpec(
    filter_fields=(
        "assignee",
        "dimension",
        "id",
        "media_type",
        "mode",
        "parent_job_id",
        "project_id",
        "project_name",
        "stage",
        "state",
        "task_id",
        "task_name",
        "type",
        "updated_date",
    ),
    search_fields=("assignee", "project_name", "task_name"),
    sort_fields=(
        "assignee",
        "dimension",
        "id",
        "media_type",
        "mode",
        "parent_job_id",
        "project_id",
        "project_name",
        "stage",
        "state",
        "task_id",
        "task_name",
        "type",
        "updated_date",
    ),
    simple_filters=(
        "assignee",
        "dimension",
        "media_type",
        "mode",
        "parent_job_id",
        "project_id",
        "project_name",
        "stage",
        "state",
        "task_id",
        "task_name",
        "type",
    ),
    choices={
        "stage": STAGES,
        "state": STATES,
        "dimension": ("3d", "2d"),
        "media_type": ("image", "point_cloud", "audio"),
        "mode": ("annotation", "interpolation"),
        "type": ("annotation", "ground_truth", "consensus_replica"),
    },
)


def segments(
    size: int, segment_size: int, overlap: int | None, mode: str
) -> tuple[list[tuple[int, int]], int, int]:
    """``([(start, stop), ...], segment_size, overlap)`` as CVAT computes them.

    Examples:
        >>> segments(10, 4, None, "annotation")
        ([(0, 3), (4, 7), (8, 9)], 4, 0)
        >>> segments(10, 4, 1, "annotation")[0]
        [(0, 3), (3, 6), (6, 9)]
    """
    if segment_size == 0 or segment_size > size:
        segment_size = size
    default = 5 if mode == "interpolation" else 0
    overlap = min(overlap if overlap is not None else default, segment_size // 2)
    step = segment_size - overlap
    result = [
        (start, min(start + segment_size - 1, size - 1)) for start in range(0, size - overlap, step)
    ]
    return result, segment_size, overlap


def create_jobs(srv: FakeServer, task: Task, job_sizes: list[int] | None) -> None:
    assert task.data is not None
    size = task.data.size
    if job_sizes is not None:
        bounds: list[tuple[int, int]] = []
        start = 0
        for count in job_sizes:
            bounds.append((start, start + count - 1))
            start += count
        task.segment_size, task.overlap = 0, 0
    else:
        bounds, task.segment_size, task.overlap = segments(
            size, task.segment_size, task.overlap, task.mode
        )
    for start, stop in bounds:
        add_job(srv, task, start, stop)


def add_job(
    srv: FakeServer,
    task: Task,
    start: int,
    stop: int,
    *,
    kind: str = "annotation",
    frames: list[int] | None = None,
) -> Job:
    """Store a new job of ``task`` over frames ``start``..``stop`` (or ``frames``, for GT)."""
    now = srv.now()
    job = Job(
        id=srv.state.next_id("job"),
        task_id=task.id,
        start_frame=start,
        stop_frame=stop,
        type=kind,
        stage="annotation",
        state="new",
        status="annotation",
        assignee_id=None,
        assignee_updated=None,
        created=now,
        updated=now,
        frames=frames,
    )
    srv.state.jobs[job.id] = job
    return job


def task_jobs(srv: FakeServer, task_id: int) -> list[Job]:
    return sorted((j for j in srv.state.jobs.values() if j.task_id == task_id), key=lambda j: j.id)


def jobs_by_task(srv: FakeServer) -> dict[int, list[Job]]:
    """Every task's jobs (by id), from one pass over the jobs: :func:`task_jobs` of each."""
    index: dict[int, list[Job]] = {}
    for job in srv.state.jobs.values():
        index.setdefault(job.task_id, []).append(job)
    for jobs in index.values():
        jobs.sort(key=lambda j: j.id)
    return index


def job_summary(ctx: Ctx, task: Task, jobs: list[Job] | None = None) -> dict[str, Any]:
    """The ``jobs`` summary of a task; ``jobs``, when given, are :func:`task_jobs` of it."""
    if jobs is None:
        jobs = task_jobs(ctx.server, task.id)
    url = f"{ctx.base}/api/jobs?task_id={task.id}"
    if not jobs:
        return {"count": 0, "completed": 0, "validation": 0, "url": url}
    return {
        "count": len(jobs),
        "completed": sum(1 for j in jobs if j.stage == "acceptance" and j.state == "completed"),
        "validation": sum(1 for j in jobs if j.stage == "validation"),
        "url": url,
    }


def job_json(ctx: Ctx, job: Job) -> dict[str, Any]:
    srv = ctx.server
    task = srv.state.tasks[job.task_id]
    project = srv.state.projects.get(task.project_id) if task.project_id is not None else None
    data = task.data
    user = ctx.user
    can_view_task = user is not None and can_task(srv, user, task, "view")
    # Job.get_bug_tracker: the task's, else the project's ("" when it has none), else null
    bug_tracker = task.bug_tracker or (project.bug_tracker if project is not None else None)
    issues = sum(1 for i in srv.state.issues.values() if i.job_id == job.id)
    return {
        "url": absolute(ctx, f"/api/jobs/{job.id}"),
        "id": job.id,
        "task_id": task.id,
        "project_id": task.project_id,
        "assignee": user_ref(
            ctx, srv.state.users.get(job.assignee_id) if job.assignee_id else None
        ),
        "guide_id": None,
        "dimension": task.dimension,
        "bug_tracker": bug_tracker,
        "status": job.status,
        "stage": job.stage,
        "state": job.state,
        "mode": task.mode,
        "frame_count": len(job.frames)
        if job.frames is not None
        else job.stop_frame - job.start_frame + 1,
        "start_frame": job.start_frame,
        "stop_frame": job.stop_frame,
        "data_chunk_size": data.chunk_size if data is not None else None,
        "data_compressed_chunk_type": data.compressed_chunk_type
        if data is not None
        else "imageset",
        "data_original_chunk_type": data.original_chunk_type if data is not None else "imageset",
        "created_date": isodate(job.created),
        "updated_date": isodate(job.updated),
        "issues": {"url": absolute(ctx, "/api/issues", {"job_id": job.id}), "count": issues},
        "labels": {"url": absolute(ctx, "/api/labels", {"job_id": job.id})},
        "type": job.type,
        "organization": task.org_id,
        "target_storage": storage_json(task.target_storage) if can_view_task else None,
        "source_storage": storage_json(task.source_storage) if can_view_task else None,
        "assignee_updated_date": isodate(job.assignee_updated),
        "parent_job_id": None,
        "replicas_count": 0,
        "media_type": "image",
        "project_name": project.name if project is not None else None,
        "task_name": task.name,
    }


def _value(srv: FakeServer, job: Job, name: str) -> Any:
    task = srv.state.tasks[job.task_id]
    project = srv.state.projects.get(task.project_id) if task.project_id is not None else None
    if name == "assignee":
        user = srv.state.users.get(job.assignee_id) if job.assignee_id is not None else None
        return user.username if user is not None else None
    if name in ("dimension", "mode"):
        return getattr(task, name)
    if name == "media_type":
        return "image"
    if name == "parent_job_id":
        return None
    if name == "project_id":
        return task.project_id
    if name == "project_name":
        return project.name if project is not None else None
    if name == "task_name":
        return task.name
    if name == "updated_date":
        return job.updated
    return getattr(job, name)


def list_jobs(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, user, scope)
    items = [j for j in srv.state.jobs.values() if visible_job(srv, user, scope, j)]
    return paginate(
        ctx, JOB_LIST, items, lambda j, n: _value(srv, j, n), lambda j: job_json(ctx, j)
    )


def get_job(srv: FakeServer, ctx: Ctx, job_id: str | int, scope: str) -> Job:
    user = require_user(ctx)
    job = srv.state.jobs.get(int(job_id))
    if job is None:
        raise not_found("Job")
    if not can_job(srv, user, job, scope):
        raise permission_denied()
    return job


def retrieve_job(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, job_json(ctx, get_job(srv, ctx, id, "view")))


def update_task_status(srv: FakeServer, task: Task) -> None:
    jobs = [j for j in task_jobs(srv, task.id) if j.type == "annotation"]
    status = "completed"
    if any(j.status == "annotation" for j in jobs):
        status = "annotation"
    elif any(j.status == "validation" for j in jobs):
        status = "validation"
    task.status = status


def update_job(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    job = get_job(srv, ctx, id, "view")
    user = require_user(ctx)
    data = ctx.data()
    for key, scope in (
        ("stage", "update:stage"),
        ("state", "update:state"),
        ("assignee", "update:assignee"),
    ):
        if key in data and not can_job(srv, user, job, scope):
            raise permission_denied()
    if not {"stage", "state", "assignee"} & data.keys() and not can_job(
        srv, user, job, "update:state"
    ):
        raise permission_denied()
    check_user_refs(srv, user, data, ("assignee",), srv.state.tasks[job.task_id].org_id)
    fields = Fields(data, partial=True)
    stage = fields.choice("stage", STAGES)
    state = fields.choice("state", STATES)
    assignee = fields.integer("assignee", nullable=True)
    if present(assignee) and assignee is not None and assignee not in srv.state.users:
        fields.error("assignee", f'Invalid pk "{assignee}" - object does not exist.')
    fields.done()
    now = srv.now()
    new_stage = stage if present(stage) else job.stage
    new_state = state if present(state) else ("new" if new_stage != job.stage else job.state)
    if present(stage) or present(state):
        if new_stage == "annotation":
            job.status = "annotation"
        elif new_stage == "acceptance" and new_state == "completed":
            job.status = "completed"
        else:
            job.status = "validation"
    job.stage, job.state = new_stage, new_state
    if present(assignee) and assignee != job.assignee_id:
        job.assignee_id, job.assignee_updated = assignee, now
    job.updated = now
    task = srv.state.tasks[job.task_id]
    update_task_status(srv, task)
    return render(ctx, 200, job_json(ctx, job))


def register(router: Router) -> None:
    router.add("GET", r"/api/jobs", list_jobs)
    router.add("GET", r"/api/jobs/(?P<id>\d+)", retrieve_job)
    router.add("PATCH", r"/api/jobs/(?P<id>\d+)", update_job)
