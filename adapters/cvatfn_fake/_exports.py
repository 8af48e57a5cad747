"""Dataset export and annotation/dataset import, as background requests.

Theory of operation
-------------------
*Export.* ``POST /api/{tasks,jobs,projects}/{id}/dataset/export?format=&save_images=`` is
CVAT 2.80's ``DatasetExporter``: the location is checked (only ``local`` can be served; a
cloud storage location needs a storage the fake does not have), then the format (unknown:
400 ``Unknown format specified for the request``; known but not implemented here: 405
``Format is disabled``). The request id is CVAT's readable one,
``action=export&target=task&target_id=7&user_id=1&format=COCO_1~0&subresource=dataset``
(``annotations`` without images), so asking again while it runs is a 409 ``Request is being
processed`` and asking after it ended starts it afresh. The answer is 202 ``{"rq_id"}``.

The background work (see ``_requests``: it may wait for polls or fail on purpose) builds the
zip and keeps it with the request; ``GET /api/requests/{id}`` then shows ``result_url``,
``/api/{target}s/{id}/dataset/download?rq_id=...``, which serves the file with CVAT's
``Content-Disposition`` name (``task_7_dataset_2026_01_01_00_00_00_coco 1.0.zip`` unless
``filename`` was given). Images are stored in the zip uncompressed and the archive is built
in a temporary file, so a large frame is held in memory once by the task and once by the
finished archive.

*Import.* ``POST /api/{tasks,jobs}/{id}/annotations/?format=`` and
``POST /api/projects/{id}/dataset/?format=`` speak CVAT's upload protocol: ``Upload-Start``
(202), TUS creation and chunks under ``.../annotations/{file_id}`` (the file is known by its
upload id), then ``Upload-Finish`` with ``?filename=<upload id>``; or one multipart request
with ``annotation_file`` / ``dataset_file``. CVAT's checks come in CVAT's order
(``import_mode``, the uploaded file, the format), then a request
``action=import&target=task&target_id=7&subresource=annotations`` reads the file:
``import_mode=replace`` (the default) replaces the annotations, ``append`` adds to them. A
project import (``subset`` by ``subset``) creates one task per subset from the archive's
images and imports its annotations there, creating the project's labels from the file when
the project has none.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, quote

from cvatfn.http import HttpResponse

from ._annotations import (
    append_job_annotations,
    append_task_annotations,
    job_annotations,
    put_job_annotations,
    put_task_annotations,
    task_annotations,
)
from ._auth import require_user
from ._context import Ctx, absolute, plain, render
from ._errors import ApiError, detail, field_error, invalid, permission_denied
from ._format_coco import CocoItem, annotation_files, read_coco, to_imported, write_coco
from ._format_cvat import Meta, read_xml, write_xml
from ._formats import (
    COCO,
    CVAT_IMAGES,
    CVAT_IMPORT,
    FormatError,
    FrameAnnotations,
    FrameMatcher,
    Imported,
    LabelSet,
    SourceFrame,
    find_exporter,
    find_importer,
    group_by_frame,
    resolve,
)
from ._images import media_kind
from ._jobs import create_jobs, get_job, task_jobs
from ._labels import create_labels, delete_label, labels_of, validate_labels
from ._projects import get_project
from ._requests import WorkFailed, enqueue, is_active, register_work
from ._router import UPLOAD_ID, for_target
from ._state import BackgroundRequest, Frame, Job, Project, Task, TaskData
from ._tasks import delete_task_cascade, get_task, sized_frame
from ._uploads import init_tus_file, take_tus_file, tus_file_chunk

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

JsonDict = dict[str, Any]

_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}
_GONE = (
    "This endpoint no longer supports checking the status of the {} process.\n"
    "The common requests API should be used instead: GET /api/requests/rq_id,\n"
    "where rq_id is obtained from the response of the initializing request.\n"
)


# ------------------------------------------------------------------------------ helpers
def flag(ctx: Ctx, name: str, default: bool) -> bool:
    """A boolean query parameter read like ``attrs.converters.to_bool`` (400 if invalid)."""
    raw = ctx.q(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise invalid(f"Cannot convert value to bool: {raw}")


def request_id(**fields: object) -> str:
    """CVAT's readable request id: ``key=value`` pairs, ``.`` written ``~`` and spaces ``_``.

    Examples:
        >>> request_id(action="export", target="task", target_id=1, format="COCO 1.0")
        'action=export&target=task&target_id=1&format=COCO_1~0'
    """
    parts: list[str] = []
    for key, value in fields.items():
        if value is None or value is False or value == "":
            continue
        text = str(value).replace(".", "~").replace(" ", "_")
        parts.append(f"{key}={text}")
    return "&".join(parts)


def parse_request_id(rq_id: str) -> dict[str, str]:
    """The fields of a readable request id (``~`` back to ``.``, ``_`` to a space in
    ``format``).

    Examples:
        >>> parse_request_id("action=export&target=job&target_id=3&format=CVAT_1~1")["format"]
        'CVAT 1.1'
    """
    fields = dict(parse_qsl(rq_id, keep_blank_values=True))
    if "format" in fields:
        fields["format"] = fields["format"].replace("~", ".").replace("_", " ")
    return fields


def timestamp(value: float) -> str:
    """``2026_01_01_00_00_00``: the file name timestamp CVAT derives from ``updated_date``."""
    return datetime.fromtimestamp(value, UTC).strftime("%Y_%m_%d_%H_%M_%S")


def attachment_name(filename: str) -> str:
    """CVAT's ``make_attachment_file_name``: no quotes, slashes or control characters, runs
    of white space as one space.

    Examples:
        >>> attachment_name('a/b "c"\\td.zip')
        'ab c d.zip'
    """
    name = re.sub(r"\s+", " ", filename)
    return re.sub(r"[<>:\"'/\\|?*\x00-\x1f]", "", name)


def file_response(data: bytes, filename: str) -> HttpResponse:
    """A download as django-sendfile answers it (``Content-Disposition: attachment``)."""
    name = attachment_name(filename)
    ascii_name = name.encode("ascii", "ignore").decode()
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name)}"
    media = "application/zip" if name.lower().endswith(".zip") else "application/octet-stream"
    headers = (("Content-Type", media), ("Content-Disposition", disposition))
    return HttpResponse(200, headers, data)  # FakeServer.handle adds the Content-Length


def build_zip(srv: FakeServer, members: Iterable[tuple[str, bytes, bool]]) -> bytes:
    """A zip of ``(name, data, is_media)`` members: media stored, the rest deflated.

    The archive is written to a temporary file and read back once, so no second in-memory
    copy of large media is made while it grows.
    """
    stamp = datetime.fromtimestamp(srv.now(), UTC).timetuple()[:6]
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
            for name, data, media in members:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        tmp.seek(0)
        return tmp.read()


def check_location(ctx: Ctx, default: str, default_storage_id: int | None) -> None:
    """CVAT's ``get_location_configuration``: ``local`` is served here; a cloud storage
    location needs an existing cloud storage, which the fake server never has."""
    location = ctx.q("location") or default
    if location not in ("local", "cloud_storage"):
        raise invalid(f"Unexpected location {location} specified for the request")
    if location == "cloud_storage":
        storage = ctx.q("cloud_storage_id") or default_storage_id
        if storage is None:
            raise invalid(
                "Cloud storage location was selected as the destination, "
                "but cloud storage id was not specified"
            )
        raise detail(404, "No CloudStorage matches the given query.")


def already_running(srv: FakeServer, rq_id: str) -> None:
    """CVAT's ``handle_existing_job``: 409 while the same request runs; an ended one is
    dropped so that it can start again."""
    existing = srv.state.requests.get(rq_id)
    if existing is None:
        return
    if is_active(existing):
        raise ApiError(409, "Request is being processed")
    del srv.state.requests[rq_id]


def project_tasks(srv: FakeServer, project: Project) -> list[Task]:
    return sorted(
        (t for t in srv.state.tasks.values() if t.project_id == project.id), key=lambda t: t.id
    )


def label_set(
    srv: FakeServer, task: Task | None = None, project: Project | None = None
) -> LabelSet:
    """Every label (sublabels included) of a task (its project's when it has one)."""
    if task is not None and task.project_id is not None:
        project = srv.state.projects.get(task.project_id)
    if project is not None:
        return LabelSet(labels_of(srv, ("project", project.id), top_level=False))
    assert task is not None
    return LabelSet(labels_of(srv, ("task", task.id), top_level=False))


# --------------------------------------------------------------------------------- meta
def _iso(value: float) -> str:
    return str(datetime.fromtimestamp(value, UTC))


def _person(srv: FakeServer, user_id: int | None) -> Any:
    user = srv.state.users.get(user_id) if user_id is not None else None
    if user is None:
        return ""
    return [("username", user.username), ("email", user.email)]


def labels_meta(labels: LabelSet) -> list[tuple[str, Any]]:
    """The ``<labels>`` of CVAT's meta (``_convert_db_labels``)."""
    result: list[tuple[str, Any]] = []
    for label in labels.labels:
        item: list[tuple[str, Any]] = [
            ("name", label.name),
            ("color", label.color),
            ("type", label.type),
            (
                "attributes",
                [
                    (
                        "attribute",
                        [
                            ("name", a.name),
                            ("mutable", str(a.mutable)),
                            ("input_type", a.input_type),
                            ("default_value", a.default_value),
                            ("values", "\n".join(a.values)),
                        ],
                    )
                    for a in label.attributes
                ],
            ),
        ]
        parent = labels.parent_name(label)
        if parent is not None:
            item.append(("parent", parent))
        if label.type == "skeleton":
            svg = label.svg
            for sub in labels.children(label):
                svg = svg.replace(f'data-label-id="{sub.id}"', f'data-label-name="{sub.name}"')
            item.append(("svg", svg))
        result.append(("label", item))
    return result


def _segment(job: Job, host: str) -> tuple[str, Any]:
    return (
        "segment",
        [
            ("id", str(job.id)),
            ("start", str(job.start_frame)),
            ("stop", str(job.stop_frame)),
            ("url", f"{host}/api/jobs/{job.id}"),
        ],
    )


def _step(data: TaskData) -> int:
    found = re.search(r"step\s*=\s*(\d+)", data.frame_filter or "")
    return int(found.group(1)) if found else 1


def task_meta(
    srv: FakeServer, task: Task, host: str, labels: LabelSet | None
) -> list[tuple[str, Any]]:
    """The ``<task>`` part of CVAT's meta (``meta_for_task``)."""
    data = task.data
    assert data is not None
    meta: list[tuple[str, Any]] = [
        ("id", str(task.id)),
        ("name", task.name),
        ("size", str(data.size)),
        ("mode", task.mode),
        ("overlap", str(task.overlap or 0)),
        ("bugtracker", task.bug_tracker),
        ("created", _iso(task.created)),
        ("updated", _iso(task.updated)),
        ("subset", task.subset or "default"),
        ("start_frame", str(data.start_frame)),
        ("stop_frame", str(data.stop_frame)),
        ("frame_filter", data.frame_filter),
        ("segments", [_segment(job, host) for job in task_jobs(srv, task.id)]),
        ("owner", _person(srv, task.owner_id)),
        ("assignee", _person(srv, task.assignee_id)),
    ]
    if labels is not None:
        meta.append(("labels", labels_meta(labels)))
    return meta


def job_meta(srv: FakeServer, job: Job, task: Task, host: str, labels: LabelSet) -> Meta:
    data = task.data
    assert data is not None
    step = _step(data)
    inner: list[tuple[str, Any]] = [
        ("id", str(job.id)),
        ("size", str(job.stop_frame - job.start_frame + 1)),
        ("mode", task.mode),
        ("overlap", str(task.overlap or 0)),
        ("bugtracker", task.bug_tracker),
        ("created", _iso(task.created)),
        ("updated", _iso(job.updated)),
        ("subset", task.subset or "default"),
        ("start_frame", str(data.start_frame + job.start_frame * step)),
        ("stop_frame", str(data.start_frame + job.stop_frame * step)),
        ("frame_filter", data.frame_filter),
        ("segments", [_segment(job, host)]),
        ("owner", _person(srv, task.owner_id)),
        ("assignee", _person(srv, job.assignee_id)),
        ("labels", labels_meta(labels)),
    ]
    return [("job", inner), ("dumped", _iso(srv.now()))]


def project_meta(
    srv: FakeServer, project: Project, tasks: Sequence[Task], host: str, labels: LabelSet
) -> Meta:
    subsets = sorted({t.subset or "default" for t in tasks})
    inner: list[tuple[str, Any]] = [
        ("id", str(project.id)),
        ("name", project.name),
        ("bugtracker", project.bug_tracker),
        ("created", _iso(project.created)),
        ("updated", _iso(project.updated)),
        ("tasks", [("task", task_meta(srv, t, host, None)) for t in tasks]),
        ("labels", labels_meta(labels)),
        ("subsets", "\n".join(subsets)),
        ("owner", _person(srv, project.owner_id)),
        ("assignee", _person(srv, project.assignee_id)),
    ]
    return [("project", inner), ("dumped", _iso(srv.now()))]


# ------------------------------------------------------------------------------- export
def task_frames(
    task: Task, *, media: bool, subset: str = "default", names: dict[str, int] | None = None
) -> list[SourceFrame]:
    """The frames of ``task`` to export (deleted frames left out)."""
    data = task.data
    if data is None:
        return []
    deleted = set(data.deleted_frames)
    result: list[SourceFrame] = []
    for number, frame in enumerate(data.frames):
        if number in deleted:
            continue
        name = frame.name if names is None else _mangle(frame.name, subset, names)
        result.append(
            SourceFrame(
                number,
                number,
                name,
                frame.width,
                frame.height,
                subset,
                task.id,
                frame.blob if media else None,
            )
        )
    return result


def _mangle(name: str, subset: str, names: dict[str, int]) -> str:
    """CVAT's ``mangle_image_name``: a name already used in a subset gets ``_1``, ``_2``..."""
    root, ext = posixpath.splitext(name)
    key = f"{subset}/{root}"
    if not names.get(key):
        names[key] = 1
        return name
    number = names[key]
    while names.get(f"{subset}/{root}_{number}"):
        number += 1
    names[key] = number + 1
    names[f"{subset}/{root}_{number}"] = 1
    return f"{root}_{number}{ext}"


@dataclass
class _Part:
    """One task's share of an export: its subset, frames and annotations."""

    task: Task
    subset: str
    frames: list[FrameAnnotations]


def _export_parts(srv: FakeServer, request: BackgroundRequest, media: bool) -> list[_Part]:
    state = srv.state
    if request.target == "task":
        task = state.tasks.get(request.target_id)
        if task is None or task.data is None:
            raise WorkFailed("Task.DoesNotExist: Task matching query does not exist.\n")
        frames = task_frames(task, media=media)
        data = task_annotations(srv, task)
        return [_Part(task, "default", group_by_frame(frames, data, task.data.size))]
    if request.target == "job":
        job = state.jobs.get(request.target_id)
        task = state.tasks.get(job.task_id) if job is not None else None
        if job is None or task is None or task.data is None:
            raise WorkFailed("Job.DoesNotExist: Job matching query does not exist.\n")
        frames = [
            f
            for f in task_frames(task, media=media)
            if job.start_frame <= f.frame <= job.stop_frame
        ]
        data = job_annotations(srv, job)
        return [_Part(task, "default", group_by_frame(frames, data, job.stop_frame + 1))]
    project = state.projects.get(request.target_id)
    if project is None:
        raise WorkFailed("Project.DoesNotExist: Project matching query does not exist.\n")
    names: dict[str, int] = {}
    parts: list[_Part] = []
    for task in project_tasks(srv, project):
        if task.data is None or not task.data.frames:
            continue
        subset = task.subset or "default"
        frames = task_frames(task, media=media, subset=subset, names=names)
        data = task_annotations(srv, task)
        parts.append(_Part(task, subset, group_by_frame(frames, data, task.data.size)))
    return parts


def _export_members(
    srv: FakeServer, request: BackgroundRequest, parts: list[_Part], media: bool
) -> Iterable[tuple[str, bytes, bool]]:
    params = request.params
    host = str(params["host"])
    state = srv.state
    project = request.target == "project"
    owner = state.projects.get(request.target_id) if project else None
    if owner is not None:
        labels = label_set(srv, project=owner)
    else:
        labels = label_set(srv, task=parts[0].task)
    if request.format == CVAT_IMAGES:
        meta: Meta
        if owner is not None:
            meta = project_meta(srv, owner, [p.task for p in parts], host, labels)
        elif request.target == "job":
            job = state.jobs[request.target_id]
            meta = job_meta(srv, job, parts[0].task, host, labels)
        else:
            task = parts[0].task
            meta = [("task", task_meta(srv, task, host, labels)), ("dumped", _iso(srv.now()))]
        frames = [f for part in parts for f in part.frames]
        yield "annotations.xml", write_xml(meta, frames, labels, project=project), False
        if media:
            for item in frames:
                source = item.source
                if source.media is not None:
                    prefix = f"images/{source.subset}/" if project else "images/"
                    yield prefix + source.name, source.media, True
        return
    subsets: dict[str, list[FrameAnnotations]] = {}
    for part in parts:
        subsets.setdefault(part.subset, []).extend(part.frames)
    if not subsets:
        subsets["default"] = []
    for name, body in write_coco(list(subsets.items()), labels):
        yield name, body, False
    if media:
        for subset, frames in subsets.items():
            for item in frames:
                if item.source.media is not None:
                    yield f"images/{subset}/{item.source.name}", item.source.media, True


def run_export(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The work of a dataset export: the zip, kept with the request."""
    media = bool(request.params["save_images"])
    try:
        parts = _export_parts(srv, request, media)
        request.result_file = build_zip(srv, _export_members(srv, request, parts, media))
    except FormatError as exc:
        raise WorkFailed(f"Exception: {exc.message}\n") from None
    request.result_url = str(request.params["result_url"])
    request.result_filename = str(request.params["filename"])
    return None


def _export_target(srv: FakeServer, ctx: Ctx, target: str, id: str) -> tuple[Any, float]:
    """The object to export (permission checked) and its ``updated`` time."""
    if target == "task":
        task = get_task(srv, ctx, id, "export:dataset")
        return task, task.updated
    if target == "job":
        job = get_job(srv, ctx, id, "view")
        return job, job.updated
    project = get_project(srv, ctx, id, "view")
    return project, project.updated


def start_export(srv: FakeServer, ctx: Ctx, target: str, id: str) -> HttpResponse:
    """``POST /api/{target}s/{id}/dataset/export``."""
    user = require_user(ctx)
    obj, updated = _export_target(srv, ctx, target, id)
    storage = getattr(obj, "target_storage", None)
    if isinstance(obj, Job):
        storage = srv.state.tasks[obj.task_id].target_storage
    check_location(
        ctx,
        storage.location if storage is not None else "local",
        storage.cloud_storage_id if storage is not None else None,
    )
    save_images = flag(ctx, "save_images", False)
    name = ctx.q("format") or ""
    exporter = find_exporter(name)
    if exporter is None:
        raise invalid("Unknown format specified for the request")
    if not exporter.enabled:
        raise detail(405, "Format is disabled")
    if isinstance(obj, Task) and obj.data is None:
        raise invalid("Exporting annotations from a task without data is not allowed")
    subresource = "dataset" if save_images else "annotations"
    rq_id = request_id(
        action="export",
        target=target,
        target_id=obj.id,
        user_id=user.id,
        format=name,
        subresource=subresource,
    )
    already_running(srv, rq_id)
    filename = ctx.q("filename") or (
        f"{target}_{obj.id}_{subresource}_{timestamp(updated)}_{name}.{exporter.ext}".lower()
    )
    result_url = (
        absolute(ctx, f"/api/{target}s/{obj.id}/dataset/download") + "?rq_id=" + quote(rq_id)
    )
    task = srv.state.tasks.get(obj.task_id) if isinstance(obj, Job) else obj
    enqueue(
        srv,
        owner_id=user.id,
        action="export",
        target=target,
        target_id=obj.id,
        org_id=obj.org_id if isinstance(obj, Project | Task) else (task.org_id if task else None),
        project_id=obj.id if isinstance(obj, Project) else getattr(task, "project_id", None),
        task_id=task.id if isinstance(task, Task) else None,
        job_id=obj.id if isinstance(obj, Job) else None,
        params={
            "save_images": save_images,
            "filename": filename,
            "result_url": result_url,
            "host": ctx.base,
        },
        rq_id=rq_id,
        subresource=subresource,
        format=name,
    )
    return render(ctx, 202, {"rq_id": rq_id})


def serve_result(
    srv: FakeServer, ctx: Ctx, target: str, target_id: int, subresources: set[str]
) -> HttpResponse:
    """``GET .../download?rq_id=``: the file a finished export of this object produced."""
    user = require_user(ctx)
    rq_id = ctx.q("rq_id")
    if not rq_id:
        raise invalid("Missing request id in the query parameters")
    fields = parse_request_id(rq_id)
    if (
        fields.get("action") != "export"
        or fields.get("target") != target
        or fields.get("target_id") != str(target_id)
        or fields.get("subresource") not in subresources
    ):
        raise invalid("Invalid export request id")
    request = srv.state.requests.get(rq_id)
    if request is None:
        return plain(ctx, 400, "Unknown export request id")
    if request.owner_id != user.id and not user.is_superuser:
        raise permission_denied()
    if request.status != "finished":
        return plain(ctx, 400, "The export process is not finished")
    if request.result_file is None:
        return plain(ctx, 500, "A result for exporting job was not found for finished RQ job")
    return file_response(request.result_file, request.result_filename or "export.zip")


def download_dataset(srv: FakeServer, ctx: Ctx, target: str, id: str) -> HttpResponse:
    obj, _ = _export_target(srv, ctx, target, id)
    return serve_result(srv, ctx, target, obj.id, {"dataset", "annotations"})


# ------------------------------------------------------------------------------- import
@dataclass(frozen=True)
class UploadTarget:
    """Where an import's file goes: its TUS scope, form field and the object it targets."""

    scope: str
    file_field: str


def check_upload(srv: FakeServer, ctx: Ctx, upload: UploadTarget, user_id: int) -> None:
    """CVAT's ``validate_request`` of an importer: a cloud storage location needs a file name
    (and a cloud storage), a ``filename`` must name a finished upload of this user."""
    filename = ctx.q("filename")
    location = ctx.q("location") or "local"
    if location not in ("local", "cloud_storage"):
        raise invalid(f"Unexpected location {location} specified for the request")
    if location == "cloud_storage":
        if not filename:
            raise invalid("The filename was not specified")
        raise detail(404, "No CloudStorage matches the given query.")
    if filename:
        found = srv.state.uploads.get(filename)
        if (
            found is None
            or found.scope != upload.scope
            or found.owner_id != user_id
            or found.offset < found.length
        ):
            raise invalid("No such file were uploaded")


def read_upload(srv: FakeServer, ctx: Ctx, upload: UploadTarget, user_id: int) -> bytes:
    """The file of an ``Upload-Finish`` (a TUS upload named by ``?filename=``) or of a
    one-request upload (a multipart file field)."""
    filename = ctx.q("filename")
    if filename:
        data = take_tus_file(srv, upload.scope, filename, user_id)
        if data is None:
            raise invalid("No such file were uploaded")
        return data
    if ctx.content_type == "multipart/form-data":
        for part in ctx.form()[1]:
            if part.field == upload.file_field:
                return part.content
    raise field_error(upload.file_field, "No file was submitted.")


def upload_protocol(
    srv: FakeServer, ctx: Ctx, upload: UploadTarget, user_id: int, finish: Any
) -> HttpResponse:
    """CVAT's ``UploadMixin.upload_data`` dispatch for an import endpoint."""
    headers = {name.lower() for name, _ in ctx.request.headers}
    if "upload-finish" in headers:
        return finish()  # type: ignore[no-any-return]
    if "upload-start" in headers:
        return render(ctx, 202, None)
    if "upload-length" in headers:
        return init_tus_file(srv, ctx, upload.scope, user_id)
    if "upload-multiple" in headers:
        return render(ctx, 200, None)
    return finish()  # type: ignore[no-any-return]


def _import_mode(ctx: Ctx) -> str:
    mode = ctx.q("import_mode") or "replace"
    if mode not in ("append", "replace"):
        raise invalid(f"Invalid import_mode='{mode}'. Allowed: append, replace")
    return mode


def _importer(ctx: Ctx) -> str:
    name = ctx.q("format") or ""
    importer = find_importer(name)
    if importer is None:
        raise invalid(f"Unknown input format '{name}'")
    if not importer.enabled:
        raise detail(405, "Format is disabled")
    return name


def _import_target(srv: FakeServer, ctx: Ctx, target: str, id: str) -> Task | Job | Project:
    if target == "task":
        return get_task(srv, ctx, id, "update:annotations")
    if target == "job":
        return get_job(srv, ctx, id, "update:state")
    return get_project(srv, ctx, id, "update:desc")


def import_endpoint(srv: FakeServer, ctx: Ctx, target: str, id: str) -> HttpResponse:
    """``POST /api/{tasks,jobs}/{id}/annotations/`` and ``POST /api/projects/{id}/dataset/``."""
    user = require_user(ctx)
    obj = _import_target(srv, ctx, target, id)
    if target == "project" and "rq_id" in ctx.query:
        return plain(ctx, 410, _GONE.format("import"))
    subresource = "dataset" if target == "project" else "annotations"
    upload = UploadTarget(
        f"{target}:{obj.id}:{subresource}",
        "dataset_file" if target == "project" else "annotation_file",
    )

    def finish() -> HttpResponse:
        mode = _import_mode(ctx) if target != "project" else None
        check_upload(srv, ctx, upload, user.id)
        name = _importer(ctx)
        flag(ctx, "conv_mask_to_poly", True)
        rq_id = request_id(
            action="import", target=target, target_id=obj.id, subresource=subresource
        )
        already_running(srv, rq_id)
        data = read_upload(srv, ctx, upload, user.id)
        task = srv.state.tasks.get(obj.task_id) if isinstance(obj, Job) else obj
        enqueue(
            srv,
            owner_id=user.id,
            action="import",
            target=target,
            target_id=obj.id,
            org_id=obj.org_id if isinstance(obj, Project | Task) else getattr(task, "org_id", None),
            project_id=obj.id if isinstance(obj, Project) else getattr(task, "project_id", None),
            task_id=task.id if isinstance(task, Task) else None,
            job_id=obj.id if isinstance(obj, Job) else None,
            params={"file": data, "import_mode": mode},
            rq_id=rq_id,
            subresource=subresource,
            format=name,
        )
        return render(ctx, 202, {"rq_id": rq_id})

    return upload_protocol(srv, ctx, upload, user.id, finish)


def import_chunk(srv: FakeServer, ctx: Ctx, target: str, id: str, file_id: str) -> HttpResponse:
    """``PATCH``/``HEAD`` of an import's TUS upload."""
    user = require_user(ctx)
    obj = _import_target(srv, ctx, target, id)
    subresource = "dataset" if target == "project" else "annotations"
    return tus_file_chunk(srv, ctx, f"{target}:{obj.id}:{subresource}", file_id, user.id)


def _frames_of(task: Task, start: int = 0, stop: int | None = None) -> FrameMatcher:
    data = task.data
    frames = data.frames if data is not None else []
    last = len(frames) - 1 if stop is None else stop
    return FrameMatcher((n, f.name) for n, f in enumerate(frames) if start <= n <= last)


def _track_frame(task: Task, start: int, stop: int) -> Any:
    data = task.data
    assert data is not None
    step = _step(data)

    def convert(absolute: int) -> int | None:
        offset = absolute - data.start_frame
        if offset % step:
            return None
        relative = offset // step
        return relative if start <= relative <= stop else None

    return convert


def read_archive(data: bytes) -> zipfile.ZipFile | None:
    """The uploaded file as a zip archive, or ``None`` when it is not one."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FormatError(f"BadZipFile: {exc}") from None


def read_annotations(fmt: str, data: bytes, matcher: FrameMatcher, track_frame: Any) -> Imported:
    """Annotations of an uploaded ``CVAT 1.1`` or ``COCO 1.0`` file (XML/JSON or a zip)."""
    archive = read_archive(data)
    if fmt == CVAT_IMPORT:
        if archive is None:
            return read_xml(data, matcher, track_frame)
        result = Imported()
        for name in sorted(n for n in archive.namelist() if n.lower().endswith(".xml")):
            part = read_xml(_member(archive, name), matcher, track_frame)
            result.shapes += part.shapes
            result.tracks += part.tracks
            result.tags += part.tags
        return result
    items: list[CocoItem] = []
    if archive is None:
        items = read_coco("default", data)
    else:
        files = annotation_files(archive.namelist())
        if not files:
            raise FormatError(
                "Dataset must contain a file matching pattern 'annotations/instances_<subset>.json'"
            )
        for subset, name in files:
            items.extend(read_coco(subset, _member(archive, name)))
    result = Imported()
    to_imported(items, matcher, result)
    return result


def _failure(exc: ApiError) -> WorkFailed:
    return WorkFailed(f"ValidationError: {exc.body}\n")


MALFORMED: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
)
"""What reading a malformed uploaded file can raise besides :class:`FormatError`."""

UNREADABLE: tuple[type[Exception], ...] = (FormatError, *MALFORMED)
IMPORT_FAILURES: tuple[type[Exception], ...] = (WorkFailed, ApiError, *UNREADABLE)


def _import_failure(exc: Exception) -> WorkFailed:
    message = exc.message if isinstance(exc, FormatError) else str(exc)
    return WorkFailed(f"CvatImportError: {message}\n")


def run_import(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The work of an annotation import into a task or a job."""
    params = request.params
    data: bytes = params.pop("file")
    state = srv.state
    if request.target == "job":
        job = state.jobs.get(request.target_id)
        task = state.tasks.get(job.task_id) if job is not None else None
        if job is None or task is None:
            raise WorkFailed("Job.DoesNotExist: Job matching query does not exist.\n")
        start, stop = job.start_frame, job.stop_frame
    else:
        job = None
        task = state.tasks.get(request.target_id)
        if task is None or task.data is None:
            raise WorkFailed("Task.DoesNotExist: Task matching query does not exist.\n")
        start, stop = 0, task.data.size - 1
    try:
        imported = read_annotations(
            str(request.format),
            data,
            _frames_of(task, start, stop),
            _track_frame(task, start, stop),
        )
        wire = resolve(label_set(srv, task=task), imported)
    except UNREADABLE as exc:
        raise _import_failure(exc) from None
    replace = params.get("import_mode") != "append"
    try:
        if job is not None:
            (put_job_annotations if replace else append_job_annotations)(srv, job, wire)
        else:
            (put_task_annotations if replace else append_task_annotations)(srv, task, wire)
    except ApiError as exc:
        raise _failure(exc) from None
    return None


# ---------------------------------------------------------------------- project dataset
def new_task(
    srv: FakeServer,
    *,
    name: str,
    owner_id: int | None,
    org_id: int | None,
    project_id: int | None,
    subset: str = "",
    bug_tracker: str = "",
    segment_size: int = 0,
    overlap: int | None = None,
    status: str = "annotation",
) -> Task:
    """A new task record (no data yet), as ``POST /api/tasks`` makes it."""
    now = srv.now()
    task = Task(
        id=srv.state.next_id("task"),
        name=name,
        project_id=project_id,
        owner_id=owner_id,
        assignee_id=None,
        assignee_updated=None,
        bug_tracker=bug_tracker,
        org_id=org_id,
        overlap=overlap,
        segment_size=segment_size,
        subset=subset,
        mode="",
        status=status,
        dimension="2d",
        created=now,
        updated=now,
        source_storage=None,
        target_storage=None,
    )
    srv.state.tasks[task.id] = task
    return task


def attach_frames(
    srv: FakeServer,
    task: Task,
    frames: list[Frame],
    *,
    image_quality: int = 70,
    chunk_size: int | None = None,
    sorting_method: str = "lexicographical",
    job_sizes: list[int] | None = None,
) -> None:
    """Give ``task`` its frames and cut its jobs, as task data processing ends."""
    if not frames:
        raise WorkFailed("ValueError: No media data found\n")
    data = TaskData(id=srv.state.next_id("data"), chunks_updated=srv.now())
    data.frames = frames
    data.size = len(frames)
    data.stop_frame = len(frames) - 1
    data.image_quality = image_quality
    data.sorting_method = sorting_method
    if not chunk_size:
        area = max(1, frames[0].width * frames[0].height)
        chunk_size = max(2, min(72, 36 * 1920 * 1080 // area))
    data.chunk_size = chunk_size
    task.data = data
    task.mode = "annotation"
    create_jobs(srv, task, job_sizes)
    task.updated = srv.now()


def _dataset_subsets(fmt: str, archive: zipfile.ZipFile) -> dict[str, list[str]]:
    """``subset -> image members`` of a dataset archive (CVAT's ``images/[<subset>/]``)."""
    images = [
        n
        for n in archive.namelist()
        if n.startswith("images/") and not n.endswith("/") and media_kind(n) == "image"
    ]
    subsets: list[str] = []
    if fmt == COCO:
        subsets = [s for s, _ in annotation_files(archive.namelist())] or ["default"]
    else:
        for name in archive.namelist():
            if name.lower().endswith(".xml"):
                found = re.search(rb"<subsets>(.*?)</subsets>", _member(archive, name), re.S)
                if found:
                    subsets += [s for s in found.group(1).decode().split("\n") if s.strip()]
        subsets = subsets or ["default"]
    result: dict[str, list[str]] = {s: [] for s in subsets}
    for name in images:
        rest = name[len("images/") :]
        head, _, tail = rest.partition("/")
        if tail and head in result:
            result[head].append(name)
        elif not tail and len(result) == 1:
            next(iter(result.values())).append(name)
    return result


def _labels_from_file(fmt: str, archive: zipfile.ZipFile) -> list[str]:
    """Label names the dataset declares (COCO categories, CVAT meta labels)."""
    names: list[str] = []
    if fmt == COCO:
        for _, member in annotation_files(archive.namelist()):
            names += [c for c in _coco_categories(_member(archive, member)) if c not in names]
    else:
        for name in archive.namelist():
            if name.lower().endswith(".xml"):
                for found in re.finditer(rb"<label>\s*<name>(.*?)</name>", _member(archive, name)):
                    label = found.group(1).decode()
                    if label not in names:
                        names.append(label)
    return names


def _coco_categories(data: bytes) -> list[str]:
    try:
        document: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"Invalid COCO file: {exc}") from None
    if not isinstance(document, dict):
        return []
    categories: Any = cast(JsonDict, document).get("categories", [])
    if not isinstance(categories, list):
        return []
    return [
        str(cast(JsonDict, c).get("name", ""))
        for c in cast(list[Any], cast(object, categories))
        if isinstance(c, dict)
    ]


def run_project_import(srv: FakeServer, request: BackgroundRequest) -> int | None:
    """The work of ``POST /api/projects/{id}/dataset``: a task per subset, then annotations."""
    data: bytes = request.params.pop("file")
    project = srv.state.projects.get(request.target_id)
    if project is None:
        raise WorkFailed("Project.DoesNotExist: Project matching query does not exist.\n")
    fmt = str(request.format)
    archive = read_archive(data)
    if archive is None:
        raise WorkFailed(
            "CvatImportError: Can't import media data from the annotation file. "
            "Please upload full dataset as a zip archive.\n"
        )
    tasks_before = set(srv.state.tasks)
    labels_before = set(srv.state.labels)
    try:
        subsets = _dataset_subsets(fmt, archive)
        if not labels_of(srv, ("project", project.id)):
            names = _labels_from_file(fmt, archive)
            specs = validate_labels([{"name": n} for n in names], partial=False)
            create_labels(srv, specs, ("project", project.id))
        created: list[tuple[str, Task]] = []
        for subset, members in subsets.items():
            if not members:
                continue
            frames = sorted(
                (sized_frame(posixpath.basename(m), _member(archive, m)) for m in members),
                key=lambda f: f.name,
            )
            task = new_task(
                srv,
                name=subset,
                owner_id=project.owner_id,
                org_id=project.org_id,
                project_id=project.id,
                subset=subset,
            )
            attach_frames(srv, task, frames)
            created.append((subset, task))
        if not created:
            raise WorkFailed("ValueError: No media data found\n")
        labels = label_set(srv, project=project)
        for subset, task in created:
            imported = _subset_annotations(fmt, archive, subset, task, len(created) == 1)
            put_task_annotations(srv, task, resolve(labels, imported))
    except IMPORT_FAILURES as exc:
        # CVAT imports in one transaction: a failure leaves no task and no new label behind
        for task_id in set(srv.state.tasks) - tasks_before:
            delete_task_cascade(srv, task_id)
        for label_id in set(srv.state.labels) - labels_before:
            label = srv.state.labels.get(label_id)
            if label is not None:
                delete_label(srv, label)
        if isinstance(exc, WorkFailed):
            raise
        raise (_failure(exc) if isinstance(exc, ApiError) else _import_failure(exc)) from None
    project.updated = srv.now()
    return None


def _subset_annotations(
    fmt: str, archive: zipfile.ZipFile, subset: str, task: Task, only: bool
) -> Imported:
    assert task.data is not None
    matcher = _frames_of(task)
    if fmt == COCO:
        result = Imported()
        for name_subset, member in annotation_files(archive.namelist()):
            if name_subset == subset or only:
                items = read_coco(name_subset, _member(archive, member))
                to_imported(items, matcher, result)
        return result
    result = Imported()
    for name in sorted(n for n in archive.namelist() if n.lower().endswith(".xml")):
        text = _member(archive, name)
        part = read_xml(
            _only_subset(text, subset, only),
            matcher,
            _track_frame(task, 0, task.data.size - 1),
        )
        result.shapes += part.shapes
        result.tracks += part.tracks
        result.tags += part.tags
    return result


def _only_subset(xml: bytes, subset: str, only: bool) -> bytes:
    """The XML with the ``<image>`` elements of other subsets removed (a project export
    names each image's subset)."""
    if only:
        return xml

    def keep(match: re.Match[bytes]) -> bytes:
        found = re.search(rb'\ssubset="([^"]*)"', match.group(0))
        if found is None or found.group(1).decode() == subset:
            return match.group(0)
        return b""

    return re.sub(rb"<image\b[^>]*?(?:/>|>.*?</image>)", keep, xml, flags=re.S)


# ----------------------------------------------------------------------------- register
def register(router: Router) -> None:
    register_work("export:task:dataset", run_export)
    register_work("export:task:annotations", run_export)
    register_work("export:job:dataset", run_export)
    register_work("export:job:annotations", run_export)
    register_work("export:project:dataset", run_export)
    register_work("export:project:annotations", run_export)
    register_work("import:task:annotations", run_import)
    register_work("import:job:annotations", run_import)
    register_work("import:project:dataset", run_project_import)
    uuid = UPLOAD_ID
    for target in ("task", "job", "project"):
        base = rf"/api/{target}s/(?P<id>\d+)"
        router.add("POST", base + "/dataset/export", for_target(start_export, target))
        router.add("GET", base + "/dataset/download", for_target(download_dataset, target))
        sub = "dataset" if target == "project" else "annotations"
        router.add("POST", f"{base}/{sub}", for_target(import_endpoint, target))
        router.add("PATCH", f"{base}/{sub}/{uuid}", for_target(import_chunk, target))
        router.add("HEAD", f"{base}/{sub}/{uuid}", for_target(import_chunk, target))


__all__ = [
    "UploadTarget",
    "already_running",
    "attach_frames",
    "build_zip",
    "check_location",
    "check_upload",
    "flag",
    "file_response",
    "IMPORT_FAILURES",
    "MALFORMED",
    "label_set",
    "labels_meta",
    "new_task",
    "read_archive",
    "read_upload",
    "register",
    "request_id",
    "serve_result",
    "sized_frame",
    "timestamp",
    "upload_protocol",
]
