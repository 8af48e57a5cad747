"""Tasks: ``/api/tasks``, their data, jobs, labels and media metadata.

Every function takes a :class:`~cvatfn.Session` first and returns a ``Result``; nothing
raises. Functions that take a task accept the :class:`~cvatfn.models.Task` value or its id.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> task = cvatfn.tasks.create(session, {"name": "t", "labels": [{"name": "car"}]}).unwrap()
    >>> (task.name, task.size)
    ('t', 0)
"""

from __future__ import annotations

import builtins
import enum
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _annotations, _api, _media, _transfer, _upload
from cvatfn._annotations import AnnotationIds, PatchActionValue
from cvatfn._flow import Flow, run
from cvatfn._media import Quality
from cvatfn._repo import ListFilter, Resource, entity_id, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput
from cvatfn.filters import FilterLike
from cvatfn.models import (
    DataMeta,
    DataParams,
    FrameMeta,
    Job,
    Label,
    LabeledData,
    Task,
    TaskPatch,
    TaskSpec,
)
from cvatfn.progress import ProgressReporter
from cvatfn.requests import wait_flow

__all__ = [
    "ResourceType",
    "create",
    "create_from_backup",
    "create_from_data",
    "download_backup",
    "download_chunk",
    "download_frames",
    "export_dataset",
    "fetch",
    "get_annotations",
    "get_frame",
    "get_frames_info",
    "get_jobs",
    "get_labels",
    "get_meta",
    "get_preview",
    "import_annotations",
    "iterate",
    "list",
    "remove",
    "remove_annotations",
    "remove_frames_by_ids",
    "restore_frames",
    "retrieve",
    "set_annotations",
    "update",
    "update_annotations",
    "upload_data",
]

RESOURCE = Resource(
    "/api/tasks",
    Task,
    name="task",
    filters=frozenset(
        {
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
        }
    ),
)


class ResourceType(enum.Enum):
    """Where task data comes from."""

    LOCAL = "local"
    """Files on this machine, uploaded by cvatfn."""
    REMOTE = "remote"
    """URLs the server downloads."""
    SHARE = "share"
    """Paths on the server's shared storage."""


DEFAULT_IMAGE_QUALITY = 70


def create(session: Session, spec: TaskSpec | Mapping[str, object]) -> Result[Task, CvatError]:
    """Create a task without data (see :func:`create_from_data`).

    A task inside a project uses the project's labels; giving both ``project_id`` and
    ``labels`` is an ``InvalidInput`` failure, and nothing is sent.

    Examples:
        >>> cvatfn.tasks.create(session, {"name": "empty"}).unwrap().status
        'annotation'
        >>> cvatfn.tasks.create(session, {"name": 5}).failure().field
        'name'
    """
    checked = _task_spec(spec)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    return RESOURCE.create(session, TaskSpec, checked.unwrap())


def _task_spec(value: object) -> Result[TaskSpec, CvatError]:
    """Convert a task spec and apply CVAT's rule that a task in a project has no own labels."""
    converted = _api.convert_input(TaskSpec, value, what="task spec", field="spec")
    if isinstance(converted, Failure):
        return Failure(converted.failure())
    spec = converted.unwrap()
    if isinstance(spec.project_id, int) and spec.labels:
        return Failure(
            InvalidInput(
                message="a task inside a project uses the project's labels; "
                "leave labels out or leave project_id out",
                field="labels",
            )
        )
    return Success(spec)


def retrieve(session: Session, task: int | Task) -> Result[Task, CvatError]:
    """Get one task by id.

    Examples:
        >>> cvatfn.tasks.retrieve(session, task.id).unwrap().name
        't'
    """
    return RESOURCE.retrieve(session, task)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Task, ...], CvatError]:
    """Every visible task that matches, following every page (``Config.page_size`` a page).

    Equality filters: ``assignee``, ``dimension``, ``media_type``, ``mode``, ``name``,
    ``owner``, ``project_id``, ``project_name``, ``status``, ``subset``, ``tracker_link``,
    ``validation_mode``, ``org``, ``org_id``. An unknown filter is ``InvalidInput``.

    Examples:
        >>> [t.name for t in cvatfn.tasks.list(session, name="t").unwrap()]
        ['t']
        >>> cvatfn.tasks.list(session, colour="red").failure().field
        'colour'
    """
    return RESOURCE.list(session, search=search, sort=sort, filter=filter, filters=filters)


def iterate(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Iterator[Result[Task, CvatError]]:
    """Like :func:`list`, lazily: one page is fetched when the previous one is used up.

    Examples:
        >>> [r.unwrap().name for r in cvatfn.tasks.iterate(session, sort="-id")]
        ['empty', 't']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, task: int | Task, patch: TaskPatch | Mapping[str, object]
) -> Result[Task, CvatError]:
    """Change a task; the result is the server's new state (``task`` itself is untouched).

    Examples:
        >>> renamed = cvatfn.tasks.update(session, task, {"name": "renamed"}).unwrap()
        >>> (renamed.name, task.name)
        ('renamed', 't')
    """
    return RESOURCE.update(session, task, TaskPatch, patch)


def remove(session: Session, task: int | Task) -> Result[None, CvatError]:
    """Delete a task with its data and annotations.

    Examples:
        >>> doomed = cvatfn.tasks.create(session, {"name": "doomed"}).unwrap()
        >>> cvatfn.tasks.remove(session, doomed).unwrap() is None
        True
        >>> cvatfn.tasks.retrieve(session, doomed).failure().status
        404
    """
    return RESOURCE.remove(session, task)


def fetch(session: Session, task: Task) -> Result[Task, CvatError]:
    """A fresh snapshot of ``task``; the given value is not changed.

    Examples:
        >>> fresh = cvatfn.tasks.fetch(session, task).unwrap()
        >>> (fresh.name, task.name)  # renamed above; the old value is unchanged
        ('renamed', 't')
    """
    return RESOURCE.fetch(session, task)


def get_jobs(session: Session, task: int | Task) -> Result[tuple[Job, ...], CvatError]:
    """The task's jobs, in id order.

    Examples:
        >>> cvatfn.tasks.get_jobs(session, task).unwrap()
        ()
    """
    from cvatfn import jobs

    found = list_children(session, jobs.RESOURCE, task, "task_id", what="task")
    return found.map(lambda items: tuple(sorted(items, key=lambda job: job.id)))


def get_labels(session: Session, task: int | Task) -> Result[tuple[Label, ...], CvatError]:
    """The task's labels (its project's labels, for a task in a project).

    Examples:
        >>> [label.name for label in cvatfn.tasks.get_labels(session, task).unwrap()]
        ['car']
    """
    from cvatfn import labels

    return list_children(session, labels.RESOURCE, task, "task_id", what="task")


def get_meta(session: Session, task: int | Task) -> Result[DataMeta, CvatError]:
    """The task's media metadata: frame sizes and names, chunk size, deleted frames.

    A task without data has none (CVAT fails with a ``ServerError``). Examples with data are
    below, from :func:`get_frames_info` on.

    Examples:
        >>> cvatfn.tasks.get_meta(session, 10**6).failure().status
        404
    """
    return _media.get_meta(session, _media.TASK, task)


def get_frame(
    session: Session, task: int | Task, frame_id: int, *, quality: Quality = "original"
) -> Result[bytes, CvatError]:
    """The image bytes of one frame of the task (``quality``: ``"original"`` or
    ``"compressed"``).

    Examples:
        >>> import io, tempfile
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> media = Path(tempfile.mkdtemp())
        >>> for i in range(3):
        ...     Image.new("RGB", (32, 24), (80 * i, 0, 0)).save(media / f"f{i}.png")
        >>> shot = cvatfn.tasks.create_from_data(
        ...     session, {"name": "media", "labels": [{"name": "x"}]},
        ...     [media / "f0.png", media / "f1.png", media / "f2.png"]).unwrap()
        >>> frame = cvatfn.tasks.get_frame(session, shot, 1).unwrap()
        >>> Image.open(io.BytesIO(frame)).getpixel((0, 0))
        (80, 0, 0)
        >>> cvatfn.tasks.get_frame(session, shot, -1).failure().field
        'frame_id'
    """
    return _media.get_frame(session, _media.TASK, task, frame_id, quality)


def get_preview(session: Session, task: int | Task) -> Result[bytes, CvatError]:
    """The task's preview image (a placeholder image when the task has no media).

    Examples:
        >>> Image.open(io.BytesIO(cvatfn.tasks.get_preview(session, shot).unwrap())).format
        'JPEG'
    """
    return _media.get_preview(session, _media.TASK, task)


def download_chunk(
    session: Session,
    task: int | Task,
    chunk_id: int,
    path: str | os.PathLike[str],
    *,
    quality: Quality = "original",
    progress: ProgressReporter | None = None,
) -> Result[str, CvatError]:
    """Stream data chunk ``chunk_id`` (a zip of images or a video segment) into a new file.

    The body goes to a temporary file next to ``path`` and is moved into place once it is
    complete, so ``path`` never holds a partial chunk. An existing file at ``path`` is never
    replaced: that is ``InvalidInput(field="path")``, and nothing is sent. ``progress`` sees
    the ``"download"`` stage in bytes. The result is ``path``.

    Examples:
        >>> import zipfile
        >>> chunk = cvatfn.tasks.download_chunk(session, shot, 0, media / "chunk0.zip").unwrap()
        >>> sorted(zipfile.ZipFile(chunk).namelist())[:2]
        ['000000.png', '000001.png']
        >>> cvatfn.tasks.download_chunk(session, shot, 0, chunk).failure().field  # exists
        'path'
    """
    return _media.download_chunk(
        session, _media.TASK, task, chunk_id, path, quality=quality, progress=progress
    )


def download_frames(
    session: Session,
    task: int | Task,
    frame_ids: Sequence[int],
    *,
    outdir: str | os.PathLike[str],
    quality: Quality = "original",
    filename_pattern: str = _media.DEFAULT_FILENAME_PATTERN,
    progress: ProgressReporter | None = None,
) -> Result[tuple[str, ...], CvatError]:
    """Save frames as image files in ``outdir`` (created if missing); the result is their
    paths, in the order of ``frame_ids``.

    Each name is ``filename_pattern.format(frame_id=..., frame_ext=...)``, where
    ``frame_ext`` comes from the image type the server sent (``.jpg``, ``.png``, ...). The
    pattern is checked first: it must format, give plain file names and tell the frames apart.
    An existing file is never replaced: the download stops there with a ``LocalFileError``
    naming it (the name depends on the answer's image type); the frames saved before it stay,
    each one complete.
    ``progress`` sees the ``"frames"`` stage, counted in frames.

    Examples:
        >>> saved = cvatfn.tasks.download_frames(session, shot, [0, 2], outdir=media / "out")
        >>> [Path(p).name for p in saved.unwrap()]
        ['frame_000000.png', 'frame_000002.png']
        >>> cvatfn.tasks.download_frames(session, shot, [0], outdir=media,
        ...                              filename_pattern="{frame}.png").failure().field
        'filename_pattern'
    """
    return _media.download_frames(
        session,
        _media.TASK,
        task,
        frame_ids,
        outdir=outdir,
        quality=quality,
        filename_pattern=filename_pattern,
        progress=progress,
    )


def get_frames_info(session: Session, task: int | Task) -> Result[tuple[FrameMeta, ...], CvatError]:
    """Name, width and height of every frame, in frame order (from ``data/meta``).

    Examples:
        >>> info = cvatfn.tasks.get_frames_info(session, shot).unwrap()
        >>> [(f.name, f.width, f.height) for f in info]
        [('f0.png', 32, 24), ('f1.png', 32, 24), ('f2.png', 32, 24)]
        >>> cvatfn.tasks.get_meta(session, shot).unwrap().size
        3
    """
    return _media.get_frames_info(session, _media.TASK, task)


def remove_frames_by_ids(
    session: Session, task: int | Task, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Mark frames as deleted, keeping those deleted before; the result is the new metadata.

    CVAT's ``PATCH data/meta`` replaces the whole set of deleted frames (the official SDK's
    ``remove_frames_by_ids`` passes it straight on, undeleting every other frame). This reads
    the set and writes back the union. An id outside the task is ``InvalidInput`` and nothing
    is changed. See :func:`restore_frames` for the way back.

    Examples:
        >>> cvatfn.tasks.remove_frames_by_ids(session, shot, [0]).unwrap().deleted_frames
        (0,)
        >>> cvatfn.tasks.remove_frames_by_ids(session, shot, [2]).unwrap().deleted_frames
        (0, 2)
        >>> cvatfn.tasks.remove_frames_by_ids(session, shot, [3]).failure().field
        'ids[0]'
    """
    return _media.remove_frames(session, _media.TASK, task, ids)


def restore_frames(
    session: Session, task: int | Task, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Take frames out of the deleted set; the result is the new metadata.

    Examples:
        >>> cvatfn.tasks.restore_frames(session, shot, [0, 2]).unwrap().deleted_frames
        ()
    """
    return _media.restore_frames(session, _media.TASK, task, ids)


def _data_fields(
    data_params: DataParams | Mapping[str, object] | None,
) -> Result[dict[str, Any], CvatError]:
    """Validate the data parameters and return them as the JSON fields CVAT takes."""
    raw: Mapping[str, object] | DataParams = data_params if data_params is not None else {}
    frame_step: object = None
    if isinstance(raw, Mapping):
        mapping = dict(raw)
        frame_step = mapping.pop("frame_step", None)
        for forbidden in ("server_files", "remote_files"):
            if forbidden in mapping:
                return Failure(
                    InvalidInput(
                        message=f"{forbidden} comes from resources and resource_type, "
                        "not from data_params",
                        field=forbidden,
                    )
                )
        raw = mapping
    converted = _api.convert_input(DataParams, raw, what="data_params", field="data_params")
    if isinstance(converted, Failure):
        return Failure(converted.failure())
    fields: dict[str, Any] = msgspec.to_builtins(converted.unwrap())
    if frame_step is not None:
        if not isinstance(frame_step, int) or isinstance(frame_step, bool) or frame_step < 1:
            return Failure(
                InvalidInput(message="frame_step must be a positive int", field="frame_step")
            )
        if "frame_filter" in fields:
            return Failure(
                InvalidInput(
                    message="give frame_step or frame_filter, not both", field="frame_step"
                )
            )
        fields["frame_filter"] = f"step={frame_step}"
    fields.setdefault("image_quality", DEFAULT_IMAGE_QUALITY)
    return Success(fields)


def _upload_data_flow(
    session: Session,
    task_id: int,
    resources: Sequence[str],
    resource_type: ResourceType,
    fields: dict[str, Any],
) -> Flow[Result[str, CvatError]]:
    path = f"/api/tasks/{task_id}/data/"
    if resource_type is ResourceType.LOCAL:
        files = yield from _upload.stat_files(resources)
        if isinstance(files, Failure):
            return Failure(files.failure())
        local = files.unwrap()
        if fields.get("sorting_method") == "predefined":
            fields.setdefault("upload_file_order", [item.name for item in local])
        return (
            yield from _upload.upload_files(
                session,
                path,
                local,
                fields=fields,
                multipart_fields={"image_quality": str(fields["image_quality"])},
            )
        )
    key = "remote_files" if resource_type is ResourceType.REMOTE else "server_files"
    request = _api.build_request(
        session, "POST", path, json_body={**fields, key: [str(item) for item in resources]}
    )
    answer = yield from _api.call_json(request, session.config)
    if isinstance(answer, Failure):
        return Failure(answer.failure())
    return _upload.rq_id_of(request, answer.unwrap())


def _resources(resources: object) -> Result[builtins.list[str], CvatError]:
    """Check the resources at run time too: callers are not always type-checked."""
    if isinstance(resources, str | bytes) or not isinstance(resources, Sequence):
        return Failure(
            InvalidInput(message="resources must be a sequence of paths or URLs", field="resources")
        )
    if not resources:
        return Failure(InvalidInput(message="resources is empty", field="resources"))
    out: builtins.list[str] = []
    items: Sequence[object] = resources  # pyright: ignore[reportUnknownVariableType]
    for index, item in enumerate(items):
        if not isinstance(item, str | os.PathLike):
            return Failure(
                InvalidInput(
                    message=f"resources[{index}] must be a path or URL string, "
                    f"not {type(item).__name__}",
                    field=f"resources[{index}]",
                )
            )
        out.append(os.fspath(item))  # pyright: ignore[reportUnknownArgumentType]
    return Success(out)


def _upload_and_wait(
    session: Session,
    task_id: int,
    resources: Sequence[str],
    resource_type: ResourceType,
    fields: dict[str, Any],
) -> Flow[Result[Task, CvatError]]:
    rq_id = yield from _upload_data_flow(session, task_id, resources, resource_type, fields)
    if isinstance(rq_id, Failure):
        return Failure(rq_id.failure())
    waited = yield from wait_flow(session, rq_id.unwrap())
    if isinstance(waited, Failure):
        return Failure(waited.failure())
    request = _api.build_request(session, "GET", RESOURCE.item_path(task_id))
    return (yield from _api.call(Task, request, session.config))


def upload_data(
    session: Session,
    task: int | Task,
    resources: Sequence[str | os.PathLike[str]],
    *,
    resource_type: ResourceType = ResourceType.LOCAL,
    data_params: DataParams | Mapping[str, object] | None = None,
    progress: ProgressReporter | None = None,
) -> Result[Task, CvatError]:
    """Attach data to an existing task, wait until the server has processed it, and return
    the task's new state.

    ``progress`` sees the ``"upload"`` stage (bytes of local files sent) and then the
    ``"background"`` stage (the server's processing, in percent).

    ``resources`` are local paths (``LOCAL``), URLs (``REMOTE``) or paths on the server's share
    (``SHARE``). ``data_params`` takes CVAT's data fields (``image_quality``, ``chunk_size``,
    ``sorting_method``, ``start_frame``, ``stop_frame``, ``frame_filter`` or ``frame_step``,
    ``use_cache``, ``copy_data``, ``job_file_mapping``, ``filename_pattern``,
    ``validation_params``, ...); an unknown one is ``InvalidInput``, never silently dropped.

    Examples:
        >>> cvatfn.tasks.upload_data(session, task, ["missing.png"]).failure().field
        'resources[0]'
    """
    ident = entity_id(task, what="task")
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    paths = _resources(resources)
    if isinstance(paths, Failure):
        return Failure(paths.failure())
    fields = _data_fields(data_params)
    if isinstance(fields, Failure):
        return Failure(fields.failure())
    return run(
        session,
        _upload_and_wait(session, ident.unwrap(), paths.unwrap(), resource_type, fields.unwrap()),
        progress=progress,
    )


def create_from_data(
    session: Session,
    spec: TaskSpec | Mapping[str, object],
    resources: Sequence[str | os.PathLike[str]],
    *,
    resource_type: ResourceType = ResourceType.LOCAL,
    data_params: DataParams | Mapping[str, object] | None = None,
    progress: ProgressReporter | None = None,
) -> Result[Task, CvatError]:
    """Create a task, upload its data, wait for the server to process it, and return the task.

    ``progress`` sees the ``"upload"`` stage (bytes of local files sent) and then the
    ``"background"`` stage (the server's processing, in percent).

    Everything is validated before the first request: the spec, the data parameters and the
    resources. Local files go in multipart batches, or over TUS when larger than
    ``Config.max_request_size``. If the upload or processing fails after the task was
    created, the failure is returned and the (empty) task is left on the server.

    Examples:
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("a.png", "b.png"):
        ...     Image.new("RGB", (64, 48)).save(folder / name)
        >>> t = cvatfn.tasks.create_from_data(
        ...     session, {"name": "two images", "labels": [{"name": "cat"}], "segment_size": 1},
        ...     [folder / "a.png", folder / "b.png"]).unwrap()
        >>> t.size, len(cvatfn.tasks.get_jobs(session, t).unwrap())
        (2, 2)
        >>> cvatfn.tasks.create_from_data(session, {"name": "x"}, [folder / "a.png"],
        ...                               data_params={"qualty": 5}).failure().field
        'qualty'
    """
    checked = _task_spec(spec)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    paths = _resources(resources)
    if isinstance(paths, Failure):
        return Failure(paths.failure())
    fields = _data_fields(data_params)
    if isinstance(fields, Failure):
        return Failure(fields.failure())
    if resource_type is ResourceType.LOCAL:
        stat = run(session, _upload.stat_files(paths.unwrap()))
        if isinstance(stat, Failure):
            return Failure(stat.failure())
    created = RESOURCE.create(session, TaskSpec, checked.unwrap())
    if isinstance(created, Failure):
        return created
    return run(
        session,
        _upload_and_wait(
            session, created.unwrap().id, paths.unwrap(), resource_type, fields.unwrap()
        ),
        progress=progress,
    )


def get_annotations(session: Session, task: int | Task) -> Result[LabeledData, CvatError]:
    """Every annotation of the task: the union of its jobs' tags, shapes and tracks.

    Examples:
        >>> cat = cvatfn.tasks.get_labels(session, t).unwrap()[0].id
        >>> cvatfn.tasks.get_annotations(session, t).unwrap().shapes
        ()
    """
    return _annotations.retrieve(session, RESOURCE, task)


def set_annotations(
    session: Session, task: int | Task, data: LabeledData | Mapping[str, object]
) -> Result[LabeledData, CvatError]:
    """Replace every annotation of the task with ``data``; the result is the server's new
    annotations, with the ids it gave them.

    ``data`` is a :class:`~cvatfn.models.LabeledData` or a mapping of the same shape. It is
    checked against CVAT's request schema first: an unknown field, a wrong type or a value
    out of range is ``InvalidInput`` naming it, and nothing is sent.

    Examples:
        >>> box = {"type": "rectangle", "frame": 0, "label_id": cat, "points": [1, 2, 30, 40]}
        >>> data = cvatfn.tasks.set_annotations(
        ...     session, t, {"shapes": [box], "tags": [{"frame": 1, "label_id": cat}]}).unwrap()
        >>> [(s.type, s.frame, s.points) for s in data.shapes], len(data.tags)
        ([('rectangle', 0, (1.0, 2.0, 30.0, 40.0))], 1)
        >>> cvatfn.tasks.set_annotations(session, t, {"shapes": [{**box, "rotation": 400}]}
        ...                              ).failure().field
        'shapes[0].rotation'
    """
    return _annotations.replace(session, RESOURCE, task, data)


def update_annotations(
    session: Session,
    task: int | Task,
    data: LabeledData | Mapping[str, object],
    *,
    action: PatchActionValue,
) -> Result[LabeledData, CvatError]:
    """Create, update or delete only the objects in ``data`` (``action`` is ``"create"``,
    ``"update"`` or ``"delete"``, or a :class:`~cvatfn.PatchAction`).

    The result is the server's answer: the objects it created (with their new ids), updated or
    deleted, not the whole state. ``"update"`` and ``"delete"`` find objects by id, so each
    needs one (else ``InvalidInput``); a task hands each object to the job that holds its
    frame, so send the objects as the server gave them.

    Examples:
        >>> created = cvatfn.tasks.update_annotations(
        ...     session, t, {"shapes": [{**box, "frame": 1}]}, action="create").unwrap()
        >>> moved = msgspec.structs.replace(created.shapes[0], points=(2, 3, 31, 41))
        >>> cvatfn.tasks.update_annotations(session, t, {"shapes": [moved]}, action="update"
        ...                                 ).unwrap().shapes[0].points
        (2.0, 3.0, 31.0, 41.0)
        >>> cvatfn.tasks.update_annotations(session, t, {"shapes": [box]}, action="update"
        ...                                 ).failure().field
        'shapes[0].id'
    """
    return _annotations.patch(session, RESOURCE, task, data, action)


def remove_annotations(
    session: Session,
    task: int | Task,
    *,
    ids: AnnotationIds | Mapping[str, Iterable[int]] | None = None,
) -> Result[None, CvatError]:
    """Remove every annotation of the task, or only the objects with the given ``ids``.

    ``ids`` names ids per kind (``{"shapes": [...], "tracks": [...], "tags": [...]}``, or an
    :class:`~cvatfn.AnnotationIds`), because CVAT numbers shapes, tracks and tags separately.
    CVAT deletes objects only when sent whole, with the frames that route them to their jobs,
    so the annotations are read once and the matching objects are sent back to be deleted. An
    id that is not there is ``InvalidInput`` and nothing is removed; empty ``ids`` remove
    nothing and send nothing.

    Examples:
        >>> cvatfn.tasks.remove_annotations(session, t, ids={"shapes": [moved.id]}).unwrap()
        >>> [s.frame for s in cvatfn.tasks.get_annotations(session, t).unwrap().shapes]
        [0]
        >>> cvatfn.tasks.remove_annotations(session, t, ids={"shapes": [moved.id]}
        ...                                 ).failure().field
        'ids.shapes'
        >>> cvatfn.tasks.remove_annotations(session, t).unwrap()
        >>> cvatfn.tasks.get_annotations(session, t).unwrap()
        LabeledData(version=0, tags=(), shapes=(), tracks=(), intervals=())
    """
    return _annotations.remove(session, RESOURCE, task, ids)


def export_dataset(
    session: Session,
    task: int | Task,
    format_name: str,
    path: _transfer.PathLike,
    *,
    include_images: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Export the task's annotations (with its images if ``include_images``) in
    ``format_name`` and download the file to ``path``; the result is the path.

    ``format_name`` is a name from :func:`cvatfn.formats.retrieve` (``"CVAT for images 1.1"``,
    ``"COCO 1.0"``, ...). ``path`` must not exist yet: the file is downloaded next to it and
    moved into place only when complete. The server prepares the file in a background request,
    waited for like :func:`cvatfn.requests.wait`; ``progress`` sees the ``"background"`` and
    ``"download"`` stages.

    Examples:
        >>> box = {"type": "rectangle", "frame": 0, "label_id": cat, "points": [1, 2, 30, 40]}
        >>> _ = cvatfn.tasks.set_annotations(session, t, {"shapes": [box]}).unwrap()
        >>> exported = cvatfn.tasks.export_dataset(session, t, "CVAT for images 1.1",
        ...                                        folder / "t.zip").unwrap()
        >>> exported.name
        't.zip'
        >>> cvatfn.tasks.export_dataset(session, t, "CVAT for images 1.1",
        ...                             exported).failure().field  # it exists: nothing sent
        'path'
    """
    return _transfer.export_dataset(
        session,
        "task",
        task,
        format_name,
        path,
        include_images=include_images,
        progress=progress,
    )


def import_annotations(
    session: Session,
    task: int | Task,
    format_name: str,
    path: _transfer.PathLike,
    *,
    import_mode: _transfer.ImportMode | None = None,
    conv_mask_to_poly: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[None, CvatError]:
    """Upload an annotation file in ``format_name`` into the task and wait until the server
    has imported it.

    ``import_mode`` is ``"replace"`` (the server's default: the task's annotations become the
    file's) or ``"append"``; ``conv_mask_to_poly`` asks the server to turn masks into polygons
    (its default) or not. Both are sent only when given. The file goes over CVAT's upload
    protocol (TUS); ``progress`` sees the ``"upload"`` and ``"background"`` stages.

    Examples:
        >>> cvatfn.tasks.import_annotations(session, t, "CVAT 1.1", exported,
        ...                                 import_mode="append").unwrap()
        >>> [s.points for s in cvatfn.tasks.get_annotations(session, t).unwrap().shapes]
        [(1.0, 2.0, 30.0, 40.0), (1.0, 2.0, 30.0, 40.0)]
        >>> cvatfn.tasks.import_annotations(session, t, "CVAT 1.1",
        ...                                 folder / "missing.xml").failure().field
        'path'
        >>> merge: Any = "merge"
        >>> cvatfn.tasks.import_annotations(session, t, "CVAT 1.1", folder / "a.png",
        ...                                 import_mode=merge).failure().field
        'import_mode'
    """
    return _transfer.import_annotations(
        session,
        "task",
        task,
        format_name,
        path,
        import_mode=import_mode,
        conv_mask_to_poly=conv_mask_to_poly,
        progress=progress,
    )


def download_backup(
    session: Session,
    task: int | Task,
    path: _transfer.PathLike,
    *,
    lightweight: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Back up the task (its data, annotations and settings) and download the backup to
    ``path``, which must not exist yet; the result is the path.

    ``lightweight=True`` leaves out media that the task reads from a cloud storage.
    :func:`create_from_backup` restores the file as a new task.

    Examples:
        >>> backup = cvatfn.tasks.download_backup(session, t, folder / "t-backup.zip").unwrap()
        >>> backup.name
        't-backup.zip'
    """
    return _transfer.download_backup(
        session, "task", task, path, lightweight=lightweight, progress=progress
    )


def create_from_backup(
    session: Session,
    path: _transfer.PathLike,
    *,
    progress: ProgressReporter | None = None,
) -> Result[Task, CvatError]:
    """Restore a task backup (from :func:`download_backup`) as a new task and return it.

    The task is created in the session's organization context.

    Examples:
        >>> restored = cvatfn.tasks.create_from_backup(session, backup).unwrap()
        >>> (restored.name, restored.size) == (t.name, t.size) and restored.id != t.id
        True
        >>> len(cvatfn.tasks.get_annotations(session, restored).unwrap().shapes)
        2
        >>> cvatfn.tasks.create_from_backup(session, folder / "missing.zip").failure().field
        'path'
    """
    return _transfer.restore_backup(session, "task", Task, path, progress=progress)
