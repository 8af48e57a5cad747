"""Task and project backups: export to CVAT's backup zip, restore as a new task or project.

Theory of operation
-------------------
*Layout* (CVAT's ``cvat/apps/engine/backup.py``, version ``1.0``). A task backup holds:

* ``task.json``: ``name``, ``bug_tracker``, ``status``, ``subset``, ``labels`` (with their
  attributes and sublabels, skeleton SVGs naming sublabels by ``data-label-name``),
  ``version``, ``data`` (``chunk_size``, ``image_quality``, ``start_frame``, ``stop_frame``,
  ``frame_filter`` when set, ``storage_method``, ``storage``, ``sorting_method``,
  ``chunk_type``, ``deleted_frames``, ``custom_segments`` for tasks cut by a job file
  mapping) and ``jobs`` (each segment's ``start_frame``, ``stop_frame``, ``status``,
  ``type``, and ``files`` for custom segments);
* ``annotations.json``: one ``LabeledData`` per job, in job order, without ids, naming labels
  (``label``) and attributes (``name``) instead of their ids;
* ``data/``: the media files, and ``data/manifest.jsonl`` (CVAT's image manifest: name,
  extension, size and MD5 of each frame, in frame order).

A project backup holds ``project.json`` (``name``, ``labels``, ``bug_tracker``, ``status``,
``version``) and one ``task_<n>/`` directory in the task layout per task with data (``n``
counts the project's tasks in id order).

*Export* works like a dataset export (see ``_exports``): ``POST .../backup/export`` answers
202 ``{"rq_id": "action=export&target=task&target_id=7&user_id=1&subresource=backup"}``, the
request builds the zip, and ``result_url`` (``.../backup/download?rq_id=``) serves it as
``task_<name>_backup_<timestamp>.zip``.

*Restore* (``POST /api/tasks/backup/``, ``POST /api/projects/backup/``) takes the file over
CVAT's upload protocol (TUS with ``Upload-Finish ?filename=<upload id>``, or a multipart
``task_file``/``project_file``) and runs ``import:backup``: a new task (or project, then its
tasks) owned by the caller in the caller's organization, labels recreated, frames in manifest
order with their recorded sizes, jobs cut from the recorded segments (segment size and
overlap from the first two jobs, as CVAT computes them), job statuses restored and each job's
annotations put back. ``result_id`` is the new object's id. A restore that fails leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from cvatfn.http import HttpResponse

from ._annotations import job_annotations, put_job_annotations
from ._auth import require_user
from ._context import Ctx, absolute, plain, render
from ._errors import ApiError, invalid, permission_denied
from ._exports import (
    IMPORT_FAILURES,
    UploadTarget,
    already_running,
    attach_frames,
    build_zip,
    check_location,
    check_upload,
    flag,
    label_set,
    new_task,
    read_archive,
    read_upload,
    request_id,
    serve_result,
    timestamp,
    upload_protocol,
)
from ._formats import FormatError, LabelSet
from ._iam import can_create, request_org
from ._images import media_kind, orientation_of
from ._jobs import task_jobs
from ._labels import create_labels, label_json, labels_of, validate_labels
from ._projects import delete_project_cascade, get_project
from ._requests import WorkFailed, enqueue, register_work
from ._router import UPLOAD_ID, for_target
from ._state import BackgroundRequest, Frame, Project, Task
from ._tasks import delete_task_cascade, get_task, sized_frame
from ._uploads import tus_file_chunk

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

JsonDict = dict[str, Any]

VERSION = "1.0"
_LABEL_FIELDS = ("name", "color", "attributes", "type", "svg", "sublabels")
_ATTRIBUTE_FIELDS = ("name", "mutable", "input_type", "default_value", "values")
_ANNOTATION_FIELDS = {
    "label",
    "label_id",
    "type",
    "occluded",
    "outside",
    "z_order",
    "points",
    "rotation",
    "frame",
    "group",
    "source",
    "attributes",
    "shapes",
    "elements",
}
_MANIFEST = "manifest.jsonl"


# ------------------------------------------------------------------------------ writing
def _label_meta(label: JsonDict) -> JsonDict:
    """CVAT's ``_prepare_label_meta``: the label without ids, sublabels named in the SVG."""
    result = {k: label[k] for k in _LABEL_FIELDS if k in label}
    for sub in label.get("sublabels", []):
        if "svg" in result:
            result["svg"] = str(result["svg"]).replace(
                f'data-label-id="{sub["id"]}"', f'data-label-name="{sub["name"]}"'
            )
    result["attributes"] = [
        {k: a[k] for k in _ATTRIBUTE_FIELDS} for a in label.get("attributes", [])
    ]
    if "sublabels" in result:
        result["sublabels"] = [_label_meta(s) for s in label["sublabels"]]
    return result


def _named(labels: LabelSet, obj: JsonDict) -> JsonDict:
    """An annotation object with names instead of ids, like CVAT's ``_prepare_annotations``."""
    label_id = int(obj["label_id"])
    result = {k: v for k, v in obj.items() if k in _ANNOTATION_FIELDS and k != "label_id"}
    attributes: list[JsonDict] = []
    for attr in obj.get("attributes", []):
        spec = labels.attribute(label_id, int(attr["spec_id"]))
        if spec is not None:
            attributes.append({"value": attr["value"], "name": spec.name})
    result["attributes"] = attributes
    if "shapes" in obj:
        result["shapes"] = [
            {
                **{k: v for k, v in s.items() if k in _ANNOTATION_FIELDS},
                "attributes": [
                    {"value": a["value"], "name": spec.name}
                    for a in s.get("attributes", [])
                    if (spec := labels.attribute(label_id, int(a["spec_id"]))) is not None
                ],
            }
            for s in obj["shapes"]
        ]
    if "elements" in obj:
        result["elements"] = [_named(labels, e) for e in obj["elements"]]
    result["label"] = labels.name(label_id)
    return result


def _job_annotations(srv: FakeServer, task: Task, labels: LabelSet) -> list[JsonDict]:
    result: list[JsonDict] = []
    for job in task_jobs(srv, task.id):
        data = job_annotations(srv, job)
        result.append(
            {
                "version": data.get("version", 0),
                "tags": [_named(labels, t) for t in data.get("tags", [])],
                "shapes": [_named(labels, s) for s in data.get("shapes", [])],
                "tracks": [_named(labels, t) for t in data.get("tracks", [])],
            }
        )
    return result


def _manifest(frames: Iterable[Frame]) -> bytes:
    lines: list[JsonDict] = [{"version": "1.1"}, {"type": "images"}]
    for frame in frames:
        root, ext = posixpath.splitext(frame.name)
        lines.append(
            {
                "name": root,
                "extension": ext,
                "width": frame.width,
                "height": frame.height,
                "meta": {"related_images": []},
                "checksum": hashlib.md5(frame.blob, usedforsecurity=False).hexdigest(),
            }
        )
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()


def _task_json(srv: FakeServer, task: Task) -> JsonDict:
    data = task.data
    assert data is not None
    owner: Any = ("project", task.project_id) if task.project_id is not None else ("task", task.id)
    labels = [_label_meta(label_json(srv, lb)) for lb in labels_of(srv, owner)]
    data_meta: JsonDict = {
        "chunk_size": data.chunk_size,
        "image_quality": data.image_quality,
        "start_frame": data.start_frame,
        "stop_frame": data.stop_frame,
    }
    if data.frame_filter:
        data_meta["frame_filter"] = data.frame_filter
    data_meta.update(
        {
            "storage_method": data.storage_method,
            "storage": data.storage,
            "sorting_method": data.sorting_method,
            "chunk_type": data.compressed_chunk_type,
            "deleted_frames": sorted(data.deleted_frames),
        }
    )
    custom = task.segment_size == 0
    if custom:
        data_meta["custom_segments"] = True
    jobs: list[JsonDict] = []
    for job in task_jobs(srv, task.id):
        segment: JsonDict = {
            "start_frame": job.start_frame,
            "stop_frame": job.stop_frame,
            "status": job.status,
            "type": job.type,
        }
        if custom:
            segment["files"] = [f.name for f in data.frames[job.start_frame : job.stop_frame + 1]]
        jobs.append(segment)
    return {
        "name": task.name,
        "bug_tracker": task.bug_tracker,
        "status": task.status,
        "subset": task.subset,
        "labels": labels,
        "version": VERSION,
        "data": data_meta,
        "jobs": jobs,
    }


def _task_members(
    srv: FakeServer, task: Task, prefix: str = ""
) -> Iterable[tuple[str, bytes, bool]]:
    data = task.data
    assert data is not None
    labels = label_set(srv, task=task)
    for frame in data.frames:
        yield f"{prefix}data/{frame.name}", frame.blob, True
    yield f"{prefix}data/{_MANIFEST}", _manifest(data.frames), False
    yield f"{prefix}task.json", _json(_task_json(srv, task)), False
    yield f"{prefix}annotations.json", _json(_job_annotations(srv, task, labels)), False


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _project_members(srv: FakeServer, project: Project) -> Iterable[tuple[str, bytes, bool]]:
    labels = [_label_meta(label_json(srv, lb)) for lb in labels_of(srv, ("project", project.id))]
    manifest = {
        "name": project.name,
        "labels": labels,
        "bug_tracker": project.bug_tracker,
        "status": project.status,
        "version": VERSION,
    }
    yield "project.json", _json(manifest), False
    tasks = sorted(
        (t for t in srv.state.tasks.values() if t.project_id == project.id), key=lambda t: t.id
    )
    for index, task in enumerate(tasks):
        if task.data is not None and task.data.frames:
            yield from _task_members(srv, task, f"task_{index}/")


def run_backup(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The work of a backup export: the zip, kept with the request."""
    state = srv.state
    if request.target == "task":
        task = state.tasks.get(request.target_id)
        if task is None or task.data is None:
            raise WorkFailed("Task.DoesNotExist: Task matching query does not exist.\n")
        members = _task_members(srv, task)
    else:
        project = state.projects.get(request.target_id)
        if project is None:
            raise WorkFailed("Project.DoesNotExist: Project matching query does not exist.\n")
        members = _project_members(srv, project)
    request.result_file = build_zip(srv, members)
    request.result_url = str(request.params["result_url"])
    request.result_filename = str(request.params["filename"])
    return None


def _backup_target(srv: FakeServer, ctx: Ctx, target: str, id: str) -> Task | Project:
    if target == "task":
        return get_task(srv, ctx, id, "view")
    return get_project(srv, ctx, id, "view")


def start_backup(srv: FakeServer, ctx: Ctx, target: str, id: str) -> HttpResponse:
    """``POST /api/{tasks,projects}/{id}/backup/export``."""
    user = require_user(ctx)
    obj = _backup_target(srv, ctx, target, id)
    storage = obj.target_storage
    check_location(
        ctx,
        storage.location if storage is not None else "local",
        storage.cloud_storage_id if storage is not None else None,
    )
    flag(ctx, "lightweight", False)  # only tasks with cloud storage data can be lighter
    if isinstance(obj, Task) and obj.data is None:
        raise invalid("Backup of a task without data is not allowed")
    rq_id = request_id(
        action="export", target=target, target_id=obj.id, user_id=user.id, subresource="backup"
    )
    already_running(srv, rq_id)
    filename = (
        ctx.q("filename") or f"{target}_{obj.name}_backup_{timestamp(obj.updated)}.zip".lower()
    )
    result_url = (
        absolute(ctx, f"/api/{target}s/{obj.id}/backup/download") + "?rq_id=" + quote(rq_id)
    )
    enqueue(
        srv,
        owner_id=user.id,
        action="export",
        target=target,
        target_id=obj.id,
        org_id=obj.org_id,
        project_id=obj.id if isinstance(obj, Project) else obj.project_id,
        task_id=obj.id if isinstance(obj, Task) else None,
        params={"filename": filename, "result_url": result_url},
        rq_id=rq_id,
        subresource="backup",
        lightweight=False,
    )
    return render(ctx, 202, {"rq_id": rq_id})


def download_backup(srv: FakeServer, ctx: Ctx, target: str, id: str) -> HttpResponse:
    obj = _backup_target(srv, ctx, target, id)
    return serve_result(srv, ctx, target, obj.id, {"backup"})


# ------------------------------------------------------------------------------ restore
def _read_json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        raw = archive.read(name)
    except KeyError:
        raise WorkFailed(
            f"KeyError: \"There is no item named '{name}' in the archive\"\n"
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise WorkFailed(f"BadZipFile: {exc}\n") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WorkFailed(f"ParseError: JSON parse error - {exc}\n") from None


def _dict(value: Any, what: str) -> JsonDict:
    if not isinstance(value, dict):
        raise WorkFailed(f"ValidationError: {what} must be an object\n")
    return cast(JsonDict, value)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise WorkFailed(f"ValidationError: {what} must be a list\n")
    return cast(list[Any], cast(object, value))


def _check_version(manifest: JsonDict) -> None:
    version = manifest.get("version")
    if version != VERSION:
        raise WorkFailed(f"ValueError: {version} version is not supported\n")


def _create_labels(srv: FakeServer, raw: Any, owner: tuple[str, int]) -> None:
    try:
        specs = validate_labels(raw, partial=False)
        create_labels(srv, specs, owner)
    except ApiError as exc:
        raise WorkFailed(f"ValidationError: {exc.body}\n") from None


def _frames(archive: zipfile.ZipFile, prefix: str, data: JsonDict) -> list[Frame]:
    """The task's frames from ``data/``: in manifest order with the recorded sizes, or
    sorted like the task was (sizes read from the images) when there is no manifest."""
    base = f"{prefix}data/"
    names = [
        n[len(base) :]
        for n in archive.namelist()
        if n.startswith(base) and not n.endswith("/") and media_kind(n) == "image"
    ]
    available = set(names)
    manifest_name = base + _MANIFEST
    entries: list[JsonDict] = []
    if manifest_name in archive.namelist():
        for line in archive.read(manifest_name).decode("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if isinstance(item, dict) and "name" in item:
                    entries.append(cast(JsonDict, item))
    frames: list[Frame] = []
    if entries:
        for entry in entries:
            name = f"{entry['name']}{entry.get('extension', '')}"
            if name not in available:
                raise WorkFailed(f"FileNotFoundError: {name} is listed in the manifest\n")
            blob = archive.read(base + name)
            width, height = entry.get("width"), entry.get("height")
            if isinstance(width, int) and isinstance(height, int):
                frames.append(Frame(name, width, height, blob, orientation_of(blob)))
            else:
                frames.append(sized_frame(name, blob))
        return frames
    if data.get("sorting_method") == "natural":

        def natural(name: str) -> list[Any]:
            return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]

        names.sort(key=natural)
    else:
        names.sort()
    return [sized_frame(name, archive.read(base + name)) for name in names]


def _segments(jobs: list[Any]) -> tuple[int, int]:
    """CVAT's ``_calculate_segment_size``: from the first two annotation jobs."""
    annotation = [
        _dict(j, "a job")
        for j in jobs
        if _dict(j, "a job").get("type", "annotation") == "annotation"
    ]
    if not annotation:
        raise WorkFailed("ValidationError: the backup has no jobs\n")
    first = annotation[0]
    size = int(first["stop_frame"]) - int(first["start_frame"]) + 1
    overlap = (
        0
        if len(annotation) == 1
        else int(first["stop_frame"]) - int(annotation[1]["start_frame"]) + 1
    )
    return size, overlap


def _ids(labels: LabelSet, obj: JsonDict, parent: Any = None) -> JsonDict:
    """An annotation object of the backup with the new label and attribute ids."""
    name = str(obj.get("label", ""))
    label = labels.find(name, parent.id if parent is not None else None)
    if label is None:
        raise WorkFailed(f"KeyError: '{(parent.name if parent else '') + name}'\n")
    result = {k: v for k, v in obj.items() if k in _ANNOTATION_FIELDS and k != "label"}

    def attributes(items: Any) -> list[JsonDict]:
        converted: list[JsonDict] = []
        for attr in _list(items, "attributes"):
            spec = labels.attribute_named(label.id, str(_dict(attr, "an attribute").get("name")))
            if spec is None:
                raise WorkFailed(f"KeyError: '{attr.get('name')}'\n")
            converted.append({"spec_id": spec.id, "value": attr.get("value", "")})
        return converted

    result["attributes"] = attributes(obj.get("attributes", []))
    if "shapes" in obj:
        result["shapes"] = [
            {**_dict(s, "a shape"), "attributes": attributes(s.get("attributes", []))}
            for s in _list(obj["shapes"], "shapes")
        ]
    if "elements" in obj:
        result["elements"] = [_ids(labels, _dict(e, "an element"), label) for e in obj["elements"]]
    result["label_id"] = label.id
    return result


def _restore_task(
    srv: FakeServer,
    archive: zipfile.ZipFile,
    prefix: str,
    *,
    owner_id: int,
    org_id: int | None,
    project: Project | None,
) -> Task:
    manifest = _dict(_read_json(archive, prefix + "task.json"), "task.json")
    annotations = _list(_read_json(archive, prefix + "annotations.json"), "annotations.json")
    _check_version(manifest)
    data = _dict(manifest.get("data", {}), "data")
    jobs = _list(manifest.get("jobs", []), "jobs")
    custom = bool(data.get("custom_segments", False))
    segment_size, overlap = (0, 0) if custom else _segments(jobs)
    task = new_task(
        srv,
        name=str(manifest.get("name", "")),
        owner_id=owner_id,
        org_id=project.org_id if project is not None else org_id,
        project_id=project.id if project is not None else None,
        subset=str(manifest.get("subset", "")),
        bug_tracker=str(manifest.get("bug_tracker", "")),
        segment_size=segment_size,
        overlap=overlap,
        status=str(manifest.get("status", "annotation")),
    )
    if project is None:
        _create_labels(srv, manifest.get("labels", []), ("task", task.id))
    frames = _frames(archive, prefix, data)
    sizes = (
        [int(_dict(j, "a job")["stop_frame"]) - int(j["start_frame"]) + 1 for j in jobs]
        if custom
        else None
    )
    attach_frames(
        srv,
        task,
        frames,
        image_quality=int(data.get("image_quality", 70)),
        chunk_size=data.get("chunk_size"),
        sorting_method=str(data.get("sorting_method", "lexicographical")),
        job_sizes=sizes,
    )
    assert task.data is not None
    task.data.start_frame = int(data.get("start_frame", 0))
    task.data.stop_frame = int(data.get("stop_frame", len(frames) - 1))
    task.data.frame_filter = str(data.get("frame_filter", ""))
    task.data.deleted_frames = sorted(int(f) for f in data.get("deleted_frames", []))
    task.data.storage_method = str(data.get("storage_method", "file_system"))
    task.data.storage = "local"
    labels = label_set(srv, task=task)
    for job, job_spec, job_data in zip(task_jobs(srv, task.id), jobs, annotations, strict=False):
        job.status = str(_dict(job_spec, "a job").get("status", job.status))
        content = _dict(job_data, "annotations")
        wire = {
            "version": 0,
            "tags": [_ids(labels, _dict(t, "a tag")) for t in content.get("tags", [])],
            "shapes": [_ids(labels, _dict(s, "a shape")) for s in content.get("shapes", [])],
            "tracks": [_ids(labels, _dict(t, "a track")) for t in content.get("tracks", [])],
        }
        try:
            put_job_annotations(srv, job, wire)
        except ApiError as exc:
            raise WorkFailed(f"ValidationError: {exc.body}\n") from None
    task.updated = srv.now()
    return task


def run_restore(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The work of ``POST /api/{tasks,projects}/backup/``: the new object's id."""
    data: bytes = request.params.pop("file")
    archive = read_archive(data)
    if archive is None:
        raise WorkFailed("BadZipFile: File is not a zip file\n")
    owner_id = request.owner_id
    before_tasks = set(srv.state.tasks)
    before_projects = set(srv.state.projects)
    try:
        if request.target == "task":
            return _restore_task(
                srv, archive, "", owner_id=owner_id, org_id=request.org_id, project=None
            ).id
        return _restore_project(srv, archive, owner_id, request.org_id).id
    except IMPORT_FAILURES as exc:
        for task_id in set(srv.state.tasks) - before_tasks:
            delete_task_cascade(srv, task_id)
        for project_id in set(srv.state.projects) - before_projects:
            delete_project_cascade(srv, project_id)
        if isinstance(exc, WorkFailed):
            raise
        message = (
            exc.message
            if isinstance(exc, FormatError)
            else str(exc.body)
            if isinstance(exc, ApiError)
            else str(exc)
        )
        raise WorkFailed(f"{type(exc).__name__}: {message}\n") from None


def _restore_project(
    srv: FakeServer, archive: zipfile.ZipFile, owner_id: int, org_id: int | None
) -> Project:
    manifest = _dict(_read_json(archive, "project.json"), "project.json")
    _check_version(manifest)
    now = srv.now()
    project = Project(
        id=srv.state.next_id("project"),
        name=str(manifest.get("name", "")),
        owner_id=owner_id,
        assignee_id=None,
        assignee_updated=None,
        bug_tracker=str(manifest.get("bug_tracker", "")),
        org_id=org_id,
        status=str(manifest.get("status", "annotation")),
        created=now,
        updated=now,
        source_storage=None,
        target_storage=None,
    )
    srv.state.projects[project.id] = project
    _create_labels(srv, manifest.get("labels", []), ("project", project.id))
    indices: set[int] = set()
    for name in archive.namelist():
        head = name.split("/", 1)[0]
        if head.startswith("task_") and head[5:].isdigit() and "/" in name:
            indices.add(int(head[5:]))
    for index in sorted(indices):
        _restore_task(
            srv, archive, f"task_{index}/", owner_id=owner_id, org_id=org_id, project=project
        )
    project.updated = srv.now()
    return project


def restore_endpoint(srv: FakeServer, ctx: Ctx, target: str) -> HttpResponse:
    """``POST /api/{tasks,projects}/backup/``."""
    user = require_user(ctx)
    scope = request_org(ctx)
    if not can_create(srv, user, scope):
        raise permission_denied()
    if "rq_id" in ctx.query:
        return plain(
            ctx,
            410,
            "This endpoint no longer supports checking the status of the import process.\n"
            "The common requests API should be used instead: GET /api/requests/rq_id,\n"
            "where rq_id is obtained from the response of the initializing request.\n",
        )
    upload = UploadTarget(f"backup:{target}", f"{target}_file")

    def finish() -> HttpResponse:
        check_upload(srv, ctx, upload, user.id)
        data = read_upload(srv, ctx, upload, user.id)
        rq_id = request_id(
            action="import", target=target, id=srv.random_uuid(), subresource="backup"
        )
        enqueue(
            srv,
            owner_id=user.id,
            action="import",
            target=target,
            target_id=0,
            org_id=scope.org.id if scope.org is not None else None,
            project_id=None,
            task_id=None,
            params={"file": data},
            rq_id=rq_id,
            subresource="backup",
        )
        return render(ctx, 202, {"rq_id": rq_id})

    return upload_protocol(srv, ctx, upload, user.id, finish)


def restore_chunk(srv: FakeServer, ctx: Ctx, target: str, file_id: str) -> HttpResponse:
    user = require_user(ctx)
    return tus_file_chunk(srv, ctx, f"backup:{target}", file_id, user.id)


def register(router: Router) -> None:
    register_work("export:task:backup", run_backup)
    register_work("export:project:backup", run_backup)
    register_work("import:task:backup", run_restore)
    register_work("import:project:backup", run_restore)
    uuid = UPLOAD_ID
    for target in ("task", "project"):
        router.add("POST", f"/api/{target}s/backup", for_target(restore_endpoint, target))
        router.add("PATCH", f"/api/{target}s/backup/{uuid}", for_target(restore_chunk, target))
        router.add("HEAD", f"/api/{target}s/backup/{uuid}", for_target(restore_chunk, target))
        base = rf"/api/{target}s/(?P<id>\d+)"
        router.add("POST", base + "/backup/export", for_target(start_backup, target))
        router.add("GET", base + "/backup/download", for_target(download_backup, target))
