"""Media: frames, chunks, previews and ``data/meta`` of tasks and jobs.

Theory of operation
-------------------
The endpoints follow CVAT's ``_TaskDataGetter``/``_JobDataGetter`` (``views.py``) and its frame
providers (``media_io/frame_provider.py``):

* ``GET /api/tasks/{id}/data?type=frame&number=N&quality=Q`` serves frame ``N`` (a task-relative
  number; ``quality`` defaults to ``compressed``). ``GET /api/jobs/{id}/data`` takes the same
  task-relative numbers, limited to the job's frames.
* ``type=chunk``: task chunk ``K`` holds frames ``[K*chunk_size, (K+1)*chunk_size)``. A job chunk
  is chosen by ``index`` (the job's own chunks, counted from 0 over the job's frames) or by the
  deprecated ``number`` (a task chunk, cut down to the job's frames). A chunk of an image task
  is a zip (``application/zip``, stored, not deflated) of members named ``{position:06d}.{ext}``:
  ``ext`` is the source file's extension for the original quality and ``jpeg`` for the
  compressed one. Responses carry CVAT's ``X-Checksum`` and ``X-Updated-Date`` headers.
  Chunks of a ground truth job (specific frames) are JPEG renditions in both qualities, and
  its ``number`` chunks hold a 1x1 black placeholder for every task frame the job skips, as
  CVAT's masked chunks do.
* ``/preview`` of a task is the preview of frame 0, of a job the preview of its first frame, of
  a project the preview of its newest task. Image tasks always have a media-derived preview,
  so ``Prefer: handling=empty`` changes nothing here.
* ``data/meta``: ``PATCH`` of a task replaces its deleted frames (restoring is sending fewer);
  ``PATCH`` of a job replaces the deleted frames inside the job and keeps the others (for a
  ground truth job: the frames disabled for validation, which leaves the task's deleted frames
  alone). Deleted frames are still served by every frame, chunk and preview endpoint, as in
  CVAT.

Errors are CVAT's: a bad ``type``/``quality``/missing number is a DRF list body
(``["Wrong quality value"]``), an out-of-range frame or chunk a JSON string (``"Invalid frame
'9'. The frame number should be in the [0, 5] range"``, with CVAT's upper bound), and the cases
where CVAT itself fails with an unhandled exception (a non-integer ``number``, frames of a task
without data) answer Django's plain 500 page.

What differs from CVAT: the original quality serves the uploaded bytes as they are, where CVAT
re-encodes EXIF-rotated images (rotated) and TIFF files; the compressed quality and the
previews are rendered by ``_imaging`` (an upright JPEG source is served as-is for the
compressed quality; other sources, EXIF-rotated JPEGs included, become flat-block JPEGs of the
size CVAT records, turned upright, see there). Renditions and
checksums are computed once per frame and kept in the task's
:class:`~cvatfn_fake._state.MediaCache`; a chunk is assembled per request by joining cached
parts, so a frame's bytes are copied once into the chunk and never into a frame response.
"""

from __future__ import annotations

import io
import mimetypes
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cvatfn.http import Headers, HttpResponse

from ._context import Ctx, isodate, render
from ._errors import ApiError, field_error, invalid
from ._fields import Fields, as_list, present
from ._imaging import is_jpeg, render_jpeg, sample_upright, thumbnail_size
from ._jobs import get_job
from ._projects import get_project
from ._state import Frame, Job, MediaCache, Task, TaskData

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

__all__ = ["meta_json", "register"]

DATA_TYPES = ("chunk", "frame", "preview", "context_image")
QUALITIES = ("compressed", "original")
PREVIEW_QUALITY = 75
"""Pillow's default JPEG quality, which CVAT's previews use."""
PLACEHOLDER = "placeholder.jpg"

_SERVER_ERROR_PAGE = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)
_STEP = re.compile(r"step\s*=\s*([1-9]\d*)")


class _Crash(Exception):
    """A request on which CVAT itself fails with an unhandled exception (a 500)."""


def _server_error() -> HttpResponse:
    return HttpResponse(
        500, (("Content-Type", "text/html; charset=utf-8"),), _SERVER_ERROR_PAGE.encode()
    )


def _django_not_found(text: str = "") -> HttpResponse:
    return HttpResponse(404, (("Content-Type", "text/html; charset=utf-8"),), text.encode())


def _binary(content: bytes, mime: str | None, headers: Headers = ()) -> HttpResponse:
    return HttpResponse(
        200, (("Content-Type", mime or "text/html; charset=utf-8"), *headers), content
    )


def _step(data: TaskData) -> int:
    match = _STEP.search(data.frame_filter or "")
    return int(match.group(1)) if match else 1


def _number(value: str | None) -> int | None:
    """``int(value)`` as CVAT computes it; a non-integer crashes CVAT."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _Crash from None


# ---------------------------------------------------------------------------- renditions
def _cache(data: TaskData) -> MediaCache:
    cache = data.media
    if cache.frames is not data.frames or cache.image_quality != data.image_quality:
        cache = data.media = MediaCache(frames=data.frames, image_quality=data.image_quality)
    return cache


def _render(frame: Frame, width: int, height: int, quality: int) -> bytes:
    """A JPEG of ``frame`` scaled to ``width`` x ``height`` (see ``_imaging``)."""
    source = frame.blob

    def colours(xs: list[int], ys: list[int]) -> list[bytes] | None:
        sx = [min(frame.width - 1, (2 * x + 1) * frame.width // (2 * width)) for x in xs]
        sy = [min(frame.height - 1, (2 * y + 1) * frame.height // (2 * height)) for y in ys]
        return sample_upright(source, sx, sy, frame.orientation, (frame.width, frame.height))

    try:
        return render_jpeg(width, height, quality, colours)
    except ValueError:
        raise _Crash from None  # Pillow cannot write such a JPEG either


def _jpeg(data: TaskData, number: int, quality: int | None = None) -> bytes:
    """Frame ``number`` as a JPEG: the compressed frame, or a rendition at ``quality``."""
    frame = data.frames[number]
    if is_jpeg(frame.blob) and frame.orientation not in (2, 3, 4, 5, 6, 7, 8):
        return frame.blob  # already upright
    if quality is not None and quality != data.image_quality:
        return _render(frame, frame.width, frame.height, quality)
    cache = _cache(data)
    blob = cache.compressed.get(number)
    if blob is None:
        blob = cache.compressed[number] = _render(
            frame, frame.width, frame.height, data.image_quality
        )
    return blob


def _preview(data: TaskData, number: int) -> bytes:
    cache = _cache(data)
    blob = cache.previews.get(number)
    if blob is None:
        frame = data.frames[number]
        width, height = thumbnail_size(frame.width, frame.height)
        blob = cache.previews[number] = _render(frame, width, height, PREVIEW_QUALITY)
    return blob


def _checksum(data: TaskData, number: int) -> int:
    cache = _cache(data)
    value = cache.checksums.get(number)
    if value is None:
        value = cache.checksums[number] = zlib.crc32(data.frames[number].blob)
    return value


def _placeholder() -> bytes:
    return render_jpeg(1, 1, PREVIEW_QUALITY, lambda xs, ys: [b"\0\0\0"])


# ------------------------------------------------------------------------------- chunks
def _dos_time(timestamp: float) -> tuple[int, int]:
    moment = datetime.fromtimestamp(max(timestamp, 315532800.0), UTC)
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def build_zip(members: Iterable[tuple[str, bytes, int]], timestamp: float) -> bytes:
    """A stored (uncompressed) zip of ``(name, content, crc32)`` members.

    Examples:
        >>> blob = build_zip([("000000.png", b"abc", zlib.crc32(b"abc"))], 0.0)
        >>> zipfile.ZipFile(io.BytesIO(blob)).read("000000.png")
        b'abc'
    """
    items = list(members)
    if sum(len(content) + 100 for _, content, _ in items) >= 0xFFFFFFFF:
        buffer = io.BytesIO()  # ZIP64 territory: let zipfile write it
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, content, _ in items:
                info = zipfile.ZipInfo(name, datetime.fromtimestamp(timestamp, UTC).timetuple()[:6])
                archive.writestr(info, content)
        return buffer.getvalue()
    time, date = _dos_time(timestamp)
    parts: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for name, content, crc in items:
        encoded = name.encode()
        fields = (20, 0, 0, time, date, crc, len(content), len(content), len(encoded), 0)
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded
        directory.append(
            struct.pack("<IH", 0x02014B50, 0x0314)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0o600 << 16, offset)
            + encoded
        )
        parts += (header, content)
        offset += len(header) + len(content)
    central = b"".join(directory)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(items), len(items), len(central), offset, 0
    )
    return b"".join((*parts, central, end))


def _chunk_response(blob: bytes, data: TaskData) -> HttpResponse:
    size_checksum = zlib.crc32(str(len(blob)).encode())
    checksum = zlib.crc32(blob[:1000], size_checksum)
    headers = (
        ("X-Checksum", str(checksum)),
        ("X-Updated-Date", isodate(data.chunks_updated) or ""),
    )
    return _binary(blob, "application/zip", headers)


def _range_chunk(data: TaskData, numbers: list[int], quality: str) -> HttpResponse:
    """A chunk of whole frames in CVAT's imageset layout."""
    members: list[tuple[str, bytes, int]] = []
    for position, number in enumerate(numbers):
        if quality == "original":
            frame = data.frames[number]
            extension = _extension(frame.name)
            members.append((f"{position:06d}.{extension}", frame.blob, _checksum(data, number)))
        else:
            blob = _jpeg(data, number)
            same = blob is data.frames[number].blob
            crc = _checksum(data, number) if same else zlib.crc32(blob)
            members.append((f"{position:06d}.jpeg", blob, crc))
    return _chunk_response(build_zip(members, data.chunks_updated), data)


def _masked_chunk(data: TaskData, numbers: Iterable[int | None], quality: str) -> HttpResponse:
    """A chunk of JPEG renditions (``None``: a 1x1 placeholder), as for specific-frame jobs."""
    level = 100 if quality == "original" else None
    members: list[tuple[str, bytes, int]] = []
    placeholder = b""
    for position, number in enumerate(numbers):
        if number is None:
            placeholder = placeholder or _placeholder()
            blob = placeholder
        else:
            blob = _jpeg(data, number, level)
        members.append((f"{position:06d}.jpeg", blob, zlib.crc32(blob)))
    return _chunk_response(build_zip(members, data.chunks_updated), data)


def _extension(name: str) -> str:
    """The extension CVAT gives a chunk member: ``os.path.splitext`` without the dot."""
    return posixpath.splitext(name)[1].replace(".", "")


# ------------------------------------------------------------------------- data getters
def _require_data(task: Task) -> TaskData:
    if task.data is None:
        raise _Crash  # CVAT's frame provider dereferences the missing data
    return task.data


def _frame_response(data: TaskData, number: int, quality: str) -> HttpResponse:
    if quality == "original":
        frame = data.frames[number]
        media, _ = mimetypes.guess_type(f"000000.{_extension(frame.name)}")
        return _binary(frame.blob, media)
    return _binary(_jpeg(data, number), "image/jpeg")


def _check_task_frame(data: TaskData, number: int | None) -> int:
    if number is None or not 0 <= number < data.size:
        raise _Invalid(
            f"Invalid frame '{number}'. The frame number should be in the [0, {data.size}] range"
        )
    return number


class _Invalid(Exception):
    """A ValidationError caught by CVAT's data getter: a 400 with a JSON string body."""


def _task_getter(task: Task, kind: str, number: int | None, quality: str) -> HttpResponse:
    data = _require_data(task)
    if kind == "chunk":
        assert number is not None
        if data.chunk_size is None:
            raise _Crash
        last = -(-data.size // data.chunk_size) - 1
        if not 0 <= number <= last:
            raise _Invalid(
                f"Invalid chunk number '{number}'. "
                f"The chunk number should be in the [0, {last}] range"
            )
        first = number * data.chunk_size
        return _range_chunk(
            data, list(range(first, min(first + data.chunk_size, data.size))), quality
        )
    if kind == "preview":
        return _binary(_preview(data, _check_task_frame(data, 0)), "image/jpeg")
    frame = _check_task_frame(data, number)
    if kind == "context_image":
        return _django_not_found()  # image tasks of the fake have no related images
    return _frame_response(data, frame, quality)


def _job_frames(job: Job) -> list[int]:
    """The job's task-relative frame numbers, ascending."""
    if job.frames is not None:
        return sorted(job.frames)
    return list(range(job.start_frame, job.stop_frame + 1))


def _check_job_frame(job: Job, number: int | None) -> int:
    if number is None:
        raise _Crash  # CVAT computes with the missing number
    if number not in _job_frames(job):
        raise _Invalid(f"Incorrect requested frame number: {number}")
    return number


def _job_chunk(
    job: Job, data: TaskData, index: int | None, number: int | None, quality: str
) -> HttpResponse:
    assert data.chunk_size is not None
    size = data.chunk_size
    frames = _job_frames(job)
    specific = job.frames is not None
    if index is not None:
        last = -(-len(frames) // size) - 1
        if not 0 <= index <= last:
            raise _Invalid(
                f"Invalid chunk number '{index}'. "
                f"The chunk number should be in the [0, {last}] range"
            )
        chosen = frames[index * size : (index + 1) * size]
        if specific:
            return _masked_chunk(data, chosen, quality)
        return _range_chunk(data, chosen, quality)
    assert number is not None
    first, last = job.start_frame // size, job.stop_frame // size
    if not first <= number <= last:
        raise _Invalid(
            f"Invalid chunk number '{number}'. "
            f"The chunk number should be in the [{first}, {last}] range"
        )
    task_chunk = list(range(number * size, min((number + 1) * size, data.size)))
    members = set(frames)
    if not specific:
        return _range_chunk(data, [f for f in task_chunk if f in members], quality)
    own_chunks = [frames[i : i + size] for i in range(0, len(frames), size)]
    if task_chunk in own_chunks:
        return _masked_chunk(data, task_chunk, quality)
    return _masked_chunk(data, [f if f in members else None for f in task_chunk], quality)


def _job_getter(
    job: Job, task: Task, kind: str, number: int | None, index: int | None, quality: str
) -> HttpResponse:
    data = _require_data(task)
    if kind == "chunk":
        return _job_chunk(
            job, data, index, number, "compressed" if quality == "compressed" else "original"
        )
    if kind == "preview":
        return _binary(_preview(data, _job_frames(job)[0]), "image/jpeg")
    frame = _check_job_frame(job, number)
    if kind == "context_image":
        return _django_not_found()
    return _frame_response(data, frame, quality)


def _guarded(ctx: Ctx, call: Any) -> HttpResponse:
    try:
        response: HttpResponse = call()
    except _Invalid as exc:
        return render(ctx, 400, str(exc))
    except _Crash:
        return _server_error()
    return response


def _common_checks(kind: str | None, number: str | None, quality: str) -> str:
    if not kind or kind not in DATA_TYPES:
        raise invalid("Data type not specified or has wrong value")
    if kind in ("chunk", "frame", "preview"):
        if number is None and kind != "preview":
            raise invalid("Number is not specified")
        if quality not in QUALITIES:
            raise invalid("Wrong quality value")
    return kind


def task_data(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET /api/tasks/{id}/data``: a frame, a chunk, the preview or a context image."""
    from ._tasks import get_task

    task = get_task(srv, ctx, id, "view:data")
    raw_number, quality = ctx.q("number"), ctx.q("quality")
    quality = "compressed" if quality is None else quality
    kind = _common_checks(ctx.q("type"), raw_number, quality)

    def call() -> HttpResponse:
        return _task_getter(task, kind, _number(raw_number), quality)

    return _guarded(ctx, call)


def job_data(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET /api/jobs/{id}/data``: a frame, a chunk (by ``index`` or ``number``) or more."""
    job = get_job(srv, ctx, id, "view:data")
    task = srv.state.tasks[job.task_id]
    kind, raw_number, raw_index = ctx.q("type"), ctx.q("number"), ctx.q("index")
    quality = ctx.q("quality")
    quality = "compressed" if quality is None else quality
    if not kind or kind not in DATA_TYPES:
        raise invalid("Data type not specified or has wrong value")
    if kind == "chunk":
        if raw_number is None and raw_index is None:
            raise invalid("Number or Index is not specified")
        if raw_number is not None and raw_index is not None:
            raise invalid("Number and Index cannot be used together")
    elif kind in ("frame", "preview"):
        if raw_number is None and kind != "preview":
            raise invalid("Number is not specified")
        if quality not in QUALITIES:
            raise invalid("Wrong quality value")

    def call() -> HttpResponse:
        index, number = _number(raw_index), _number(raw_number)
        return _job_getter(job, task, kind, number, index, quality)

    return _guarded(ctx, call)


# ----------------------------------------------------------------------------- previews
def task_preview(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET /api/tasks/{id}/preview``."""
    from ._tasks import get_task

    task = get_task(srv, ctx, id, "view")
    if task.data is None:
        return _django_not_found("Task image preview not found")
    return _guarded(ctx, lambda: _task_getter(task, "preview", None, "compressed"))


def job_preview(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET /api/jobs/{id}/preview``."""
    job = get_job(srv, ctx, id, "view")
    task = srv.state.tasks[job.task_id]
    return _guarded(ctx, lambda: _job_getter(job, task, "preview", None, None, "compressed"))


def project_preview(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET /api/projects/{id}/preview``: the preview of the project's newest task."""
    project = get_project(srv, ctx, id, "view")
    tasks = [t for t in srv.state.tasks.values() if t.project_id == project.id]
    if not tasks:
        return _django_not_found("Project image preview not found")
    newest = max(tasks, key=lambda t: t.id)
    return _guarded(ctx, lambda: _task_getter(newest, "preview", None, "compressed"))


# -------------------------------------------------------------------------------- meta
def _frame_json(frame: Frame, name: str | None = None) -> dict[str, Any]:
    return {
        "width": frame.width,
        "height": frame.height,
        "name": name or frame.name,
        "related_files": 0,
        "has_related_context": False,
    }


def meta_json(data: TaskData) -> dict[str, Any]:
    """CVAT's ``DataMetaRead`` of a task's data."""
    return {
        "chapters": None,
        "chunks_updated_date": isodate(data.chunks_updated),
        "chunk_size": data.chunk_size,
        "size": data.size,
        "image_quality": data.image_quality,
        "start_frame": data.start_frame,
        "stop_frame": data.stop_frame,
        "frame_filter": data.frame_filter,
        "frames": [_frame_json(f) for f in data.frames],
        "deleted_frames": list(data.deleted_frames),
        "included_frames": None,
        "storage": data.storage,
        "cloud_storage_id": data.cloud_storage_id,
    }


def job_meta_json(job: Job, data: TaskData) -> dict[str, Any]:
    """CVAT's ``DataMetaRead`` of a job: the task's, cut down to the job's frames."""
    step = _step(data)
    frames = _job_frames(job)
    members = set(frames)
    deleted = set(data.deleted_frames)
    if job.type == "ground_truth":
        deleted.update(data.validation_disabled_frames)
    meta = meta_json(data)
    meta.update(
        {
            "size": len(frames),
            "start_frame": data.start_frame + job.start_frame * step,
            "stop_frame": min(data.stop_frame, data.start_frame + job.stop_frame * step),
            "frames": [
                _frame_json(data.frames[n], None if n in members else PLACEHOLDER)
                for n in range(job.start_frame, min(job.stop_frame + 1, len(data.frames)))
            ],
            "deleted_frames": sorted(deleted & members),
            "included_frames": [data.start_frame + n * step for n in frames]
            if job.frames is not None
            else None,
        }
    )
    return meta


def _deleted_frames(body: dict[str, Any], *, required: bool) -> list[int] | None:
    """``deleted_frames`` read like DRF's ``ListField(child=IntegerField(min_value=0))``."""
    if "deleted_frames" not in body:
        if required:
            raise field_error("deleted_frames", "This field is required.")
        return None
    value = body["deleted_frames"]
    if value is None:
        raise field_error("deleted_frames", "This field may not be null.")
    items = as_list(value)
    if items is None:
        message = f'Expected a list of items but got type "{type(value).__name__}".'
        raise field_error("deleted_frames", message)
    frames: list[int] = []
    errors: dict[str, list[str]] = {}
    for position, item in enumerate(items):
        check = Fields({"item": item}, partial=False)
        number = check.integer("item", minimum=0)
        if check.errors:
            errors[str(position)] = check.errors["item"]
        else:
            frames.append(number)
    if errors:
        raise ApiError(400, {"deleted_frames": errors})
    return frames


def _listing(frames: Iterable[int]) -> str:
    """CVAT's ``format_list``: at most 10 items, then how many more."""
    items = [str(f) for f in frames]
    more = len(items) - 10
    return ", ".join(items[:10]) + (f" (and {more} more)" if more > 0 else "")


def task_meta(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET|PATCH /api/tasks/{id}/data/meta``."""
    from ._tasks import get_task

    task = get_task(srv, ctx, id, "update:metadata" if ctx.method == "PATCH" else "view:metadata")
    if task.data is None:
        return _server_error()  # CVAT reads the images of the missing data
    data = task.data
    if ctx.method == "PATCH":
        body = ctx.data()
        errors: dict[str, Any] = {}
        try:
            deleted = _deleted_frames(body, required=False)
        except ApiError as exc:
            errors.update(exc.body)
            deleted = None
        if deleted is not None:
            unknown = sorted(set(deleted).difference(range(data.size)))
            if len(set(deleted)) != len(deleted):
                errors["deleted_frames"] = ["Deleted frames cannot repeat"]
            elif unknown:
                errors["deleted_frames"] = [
                    f"Unknown frames {_listing(unknown)} requested for removal"
                ]
        fields = Fields(body, partial=True)
        cloud = fields.integer("cloud_storage_id", nullable=True)
        if present(cloud) and cloud is not None:
            fields.error("cloud_storage_id", f"The specified cloud storage {cloud} does not exist.")
        errors.update(fields.errors)
        if errors:
            raise ApiError(400, errors)
        if deleted is not None:
            data.deleted_frames = deleted
        task.updated = srv.now()
    return render(ctx, 200, meta_json(data))


def job_meta(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    """``GET|PATCH /api/jobs/{id}/data/meta``."""
    job = get_job(srv, ctx, id, "update:metadata" if ctx.method == "PATCH" else "view:metadata")
    task = srv.state.tasks[job.task_id]
    if task.data is None:
        return _server_error()
    data = task.data
    if ctx.method == "PATCH":
        deleted = _deleted_frames(ctx.data(), required=True)
        assert deleted is not None
        members = set(_job_frames(job))
        unknown = sorted(set(deleted) - members)
        if unknown:
            raise invalid(f"Frames {_listing(unknown)} do not belong to the job")
        if job.type == "ground_truth":
            others = [f for f in data.validation_disabled_frames if f not in members]
            data.validation_disabled_frames = deleted + others
        else:
            data.deleted_frames = deleted + [f for f in data.deleted_frames if f not in members]
        now = srv.now()
        task.updated = now
        if task.project_id is not None and task.project_id in srv.state.projects:
            srv.state.projects[task.project_id].updated = now
    return render(ctx, 200, job_meta_json(job, data))


def register(router: Router) -> None:
    router.add("GET", r"/api/tasks/(?P<id>\d+)/data", task_data)
    router.add("GET", r"/api/tasks/(?P<id>\d+)/data/meta", task_meta)
    router.add("PATCH", r"/api/tasks/(?P<id>\d+)/data/meta", task_meta)
    router.add("GET", r"/api/tasks/(?P<id>\d+)/preview", task_preview)
    router.add("GET", r"/api/jobs/(?P<id>\d+)/data", job_data)
    router.add("GET", r"/api/jobs/(?P<id>\d+)/data/meta", job_meta)
    router.add("PATCH", r"/api/jobs/(?P<id>\d+)/data/meta", job_meta)
    router.add("GET", r"/api/jobs/(?P<id>\d+)/preview", job_preview)
    router.add("GET", r"/api/projects/(?P<id>\d+)/preview", project_preview)
