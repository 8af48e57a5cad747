"""Ground truth jobs: ``POST /api/jobs``, ``DELETE /api/jobs/{id}`` and ``validation_params``.

Theory of operation
-------------------
A ground truth (GT) job is an extra job of a task that covers a chosen set of its frames
instead of a range: like CVAT, its segment spans the whole task (``start_frame`` 0,
``stop_frame`` size - 1), ``frame_count`` is the number of chosen frames and the job's
``data/meta`` lists them in ``included_frames`` (absolute frame numbers). A task has at most
one GT job. It is made in one of two ways:

- after the data is processed, when the task was created with
  ``validation_params: {"mode": "gt", ...}``;
- later, with ``POST /api/jobs`` and ``{"type": "ground_truth", "task_id": ...}``.

Frames are chosen the way CVAT chooses them: ``random_uniform`` (``frame_count`` or
``frame_share`` of the task), ``random_per_job`` (``frames_per_job_count`` or
``frames_per_job_share`` of each job) or ``manual`` (frame numbers for ``POST /api/jobs``,
file names in ``validation_params``). Random choices use ``random_seed`` with Python's
generator, so a seed gives a reproducible selection, but not the same one as CVAT's numpy
generator would. Only GT jobs can be deleted, as in CVAT. The ``gt_pool`` (honeypot) mode is
not supported: a task asking for it fails in the background with a message that says so.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, render
from ._errors import ApiError, invalid, permission_denied
from ._fields import Fields, as_dict, as_list, present
from ._iam import can_manage_jobs, check_user_refs
from ._requests import WorkFailed
from ._state import Job, Task

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

__all__ = ["add_validation_job", "register"]

METHODS = ("random_uniform", "random_per_job", "manual")
MODES = ("gt", "gt_pool")


class _Refused(Exception):
    """A selection the server refuses; the message is CVAT's."""


def _valid_frames(task: Task) -> list[int]:
    assert task.data is not None
    deleted = set(task.data.deleted_frames)
    return [frame for frame in range(task.data.size) if frame not in deleted]


def _rng(srv: FakeServer, seed: int | None) -> random.Random:
    return random.Random(seed if seed is not None else srv.random_string(16))


def _per_job(srv: FakeServer, task: Task, count: int, seed: int | None) -> list[int]:
    from ._jobs import task_jobs

    rng = _rng(srv, seed)
    valid = set(_valid_frames(task))
    chosen: list[int] = []
    overlap = task.overlap or 0
    for job in task_jobs(srv, task.id):
        if job.type != "annotation":
            continue
        frames = set(range(job.start_frame, job.stop_frame + 1)) & valid
        missing = min(len(frames), count) - len(frames.intersection(chosen))
        if missing <= 0:
            continue
        selectable = sorted(frames)[overlap * (job.start_frame != 0) :]
        pool = sorted(set(selectable).difference(chosen))
        chosen.extend(rng.sample(pool, min(missing, len(pool))))
    return sorted(chosen)


def select_frames(srv: FakeServer, task: Task, params: dict[str, Any]) -> list[int]:
    """Relative frame numbers for a GT job; raises :class:`_Refused` with CVAT's message."""
    assert task.data is not None
    size = task.data.size
    method = params.get("frame_selection_method")
    seed = params.get("random_seed", params.get("seed"))
    if method == "random_uniform":
        count = params.get("frame_count")
        if count:
            if size < count:
                raise _Refused(
                    f"The number of frames requested ({count}) must not be greater than "
                    f"the number of the task frames ({size})"
                )
        elif share := params.get("frame_share"):
            count = max(1, int(share * size))
        else:
            raise _Refused("The number of validation frames is not specified")
        valid = _valid_frames(task)
        return sorted(_rng(srv, seed).sample(valid, min(count, len(valid))))
    if method == "random_per_job":
        count = params.get("frames_per_job_count")
        if count:
            if size < count:
                raise _Refused(
                    f"The number of frames requested ({count}) must be not be greater than "
                    f"the segment size ({task.segment_size})"
                )
        elif share := params.get("frames_per_job_share"):
            count = min(max(1, int(share * task.segment_size)), size)
        else:
            raise _Refused("The number of validation frames is not specified")
        return _per_job(srv, task, count, seed)
    if method == "manual":
        frames: list[int] = params.get("frames") or []
        if not frames:
            raise _Refused("The list of frames cannot be empty")
        if len(set(frames)) != len(frames):
            raise _Refused("Frames must not repeat")
        unknown = sorted(set(frames).difference(range(size)))
        if unknown:
            raise _Refused(
                "The following frames do not exist in the task: "
                + ", ".join(str(f) for f in unknown)
            )
        return sorted(frames)
    raise _Refused(f"Unexpected frame selection method '{method}'")


def add_validation_job(srv: FakeServer, task: Task, frames: list[int]) -> Job:
    """Create the task's GT job over ``frames`` (relative numbers)."""
    from ._jobs import add_job

    assert task.data is not None
    job = add_job(srv, task, 0, task.data.size - 1, kind="ground_truth", frames=sorted(frames))
    task.data.validation_mode = "gt"
    return job


def apply_validation_params(srv: FakeServer, task: Task, params: dict[str, Any]) -> None:
    """Background part of task creation with ``validation_params``; raises ``WorkFailed``."""
    assert task.data is not None
    mode = params.get("mode")
    if mode == "gt_pool":
        raise WorkFailed("ValueError: The fake server does not support the 'gt_pool' mode\n")
    selection = dict(params)
    if selection.get("frame_selection_method") == "manual":
        names = [frame.name for frame in task.data.frames]
        wanted: list[str] = as_list(selection.get("frames")) or []
        missing = [name for name in wanted if name not in names]
        if missing:
            raise WorkFailed(
                "ValidationError: Unknown validation frames requested: "
                + ", ".join(missing[:5])
                + "\n"
            )
        selection["frames"] = [names.index(name) for name in wanted]
    try:
        frames = select_frames(srv, task, selection)
    except _Refused as exc:
        raise WorkFailed(f"ValidationError: {exc}\n") from None
    add_validation_job(srv, task, frames)


def check_validation_params(value: object) -> dict[str, Any]:
    """Validate ``validation_params`` of a data request the way CVAT's serializer does."""
    body = as_dict(value)
    if body is None:
        raise invalid({"validation_params": ["Invalid data. Expected a dictionary."]})
    fields = Fields(body, partial=False)
    fields.choice("mode", MODES, required=True)
    fields.choice("frame_selection_method", METHODS, required=True)
    fields.integer("random_seed", minimum=0)
    fields.integer("frame_count", minimum=1)
    fields.integer("frames_per_job_count", minimum=1)
    fields.array("frames")
    if fields.errors:
        raise ApiError(400, {"validation_params": fields.errors})
    return body


# --------------------------------------------------------------------------- endpoints
def create_job(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    from ._jobs import job_json, task_jobs

    user = require_user(ctx)
    fields = Fields(ctx.data(), partial=False)
    kind = fields.choice("type", ("annotation", "ground_truth", "consensus_replica"), required=True)
    task_id = fields.integer("task_id", required=True)
    method = fields.choice("frame_selection_method", METHODS)
    numbers = {
        name: fields.integer(name, minimum=minimum)
        for name, minimum in (
            ("frame_count", 0),
            ("frames_per_job_count", 1),
            ("random_seed", 0),
            ("seed", 0),
        )
    }
    frame_list = fields.array("frames")
    assignee = fields.integer("assignee", nullable=True)
    if present(frame_list) and not all(
        isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in frame_list
    ):
        fields.error("frames", "A valid integer is required.")
    fields.done()
    task = srv.state.tasks.get(task_id)
    if task is None:
        raise invalid({"task_id": [f'Invalid pk "{task_id}" - object does not exist.']})
    if not can_manage_jobs(srv, user, task):
        raise permission_denied()
    check_user_refs(srv, user, ctx.data(), ("assignee",), task.org_id)
    if kind != "ground_truth":
        raise invalid([f"Unexpected job type '{kind}'"])
    if task.data is None or not task.data.frames:
        raise invalid(["This task has no data attached yet. Please set up task data and try again"])
    if task.dimension != "2d":
        raise invalid(["Ground Truth jobs can only be added in 2d tasks"])
    if task.data.validation_mode in MODES or any(
        j.type == "ground_truth" for j in task_jobs(srv, task.id)
    ):
        mode = task.data.validation_mode or "gt"
        raise invalid([f'Task with validation mode "{mode}" cannot have more than 1 GT job'])
    params: dict[str, Any] = {k: v for k, v in numbers.items() if present(v) and v is not None}
    body = ctx.data()
    for share in ("frame_share", "frames_per_job_share"):
        if isinstance(body.get(share), int | float) and not isinstance(body.get(share), bool):
            params[share] = float(body[share])
    params["frame_selection_method"] = method if present(method) else None
    if present(frame_list):
        params["frames"] = frame_list
    try:
        frames = select_frames(srv, task, params)
    except _Refused as exc:
        raise invalid([str(exc)]) from None
    job = add_validation_job(srv, task, frames)
    if present(assignee) and assignee is not None:
        if assignee not in srv.state.users:
            raise invalid({"assignee": [f'Invalid pk "{assignee}" - object does not exist.']})
        job.assignee_id, job.assignee_updated = assignee, job.updated
    return render(ctx, 201, job_json(ctx, job))


def delete_job(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    from ._jobs import get_job

    job = get_job(srv, ctx, id, "view")
    task = srv.state.tasks[job.task_id]
    if not can_manage_jobs(srv, require_user(ctx), task):
        raise permission_denied()
    if job.type != "ground_truth":
        raise invalid(["Only ground truth jobs can be removed"])
    for issue_id in [i.id for i in srv.state.issues.values() if i.job_id == job.id]:
        for comment_id in [c.id for c in srv.state.comments.values() if c.issue_id == issue_id]:
            del srv.state.comments[comment_id]
        del srv.state.issues[issue_id]
    srv.state.annotations.pop(job.id, None)
    srv.state.annotations.pop(job.id, None)
    del srv.state.jobs[job.id]
    if task.data is not None:
        task.data.validation_mode = None
    task.updated = srv.now()
    return HttpResponse(204, (), b"")


def register(router: Router) -> None:
    router.add("POST", r"/api/jobs", create_job)
    router.add("DELETE", r"/api/jobs/(?P<id>\d+)", delete_job)
