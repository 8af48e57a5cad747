"""CVAT's upload protocol for task data: Upload-Start / Upload-Multiple / TUS / Upload-Finish.

Theory of operation
-------------------
``POST /api/tasks/{id}/data/`` is dispatched on its headers, as CVAT's ``UploadMixin`` does:

* ``Upload-Finish`` (alone or with ``Upload-Start``) finishes the upload: the data
  parameters are validated and a background request processes the files (202 ``{rq_id}``);
* ``Upload-Start`` alone opens an upload session (202, empty body);
* ``Upload-Length`` starts a TUS upload (201 with ``Location`` pointing at
  ``/api/tasks/{id}/data/{file_id}`` and ``Upload-Filename``); chunks arrive by ``PATCH`` with
  ``Upload-Offset`` (204 with the new offset; a wrong offset is a 409) and ``HEAD`` reports
  the current offset;
* ``Upload-Multiple`` appends the multipart ``client_files[i]`` parts (200, empty body);
* no upload header at all is a one-request upload, handled like ``Upload-Finish``.

Uploaded bytes are kept per task in ``TaskData.uploaded`` (name -> bytes, in arrival order,
which is the order the ``predefined`` sorting method uses). A TUS upload's buffer grows chunk
by chunk (chunks arrive in order: a ``PATCH`` at any other offset is a 409) and, once complete,
becomes the file's entry without a copy, so a large file is allocated once, not three times.

An injected TUS cut (``server.faults.cut_next_tus_patch``) stores only a prefix of a
``PATCH``'s chunk and advances the offset by as much; the answer then fails, and ``HEAD``
reports the true offset for the client to resume from.
"""

from __future__ import annotations

import base64
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from cvatfn.http import Headers, HttpResponse

from ._context import Ctx, plain, render
from ._state import Task, TaskData, TusUpload

if TYPE_CHECKING:
    from ._server import FakeServer

TUS_MAX_FILE_SIZE = 26843545600
TUS_HEADERS: Headers = (
    ("Tus-Resumable", "1.0.0"),
    ("Tus-Version", "1.0.0"),
    ("Tus-Extension", ""),
    ("Tus-Max-Size", str(TUS_MAX_FILE_SIZE)),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "PATCH,HEAD,GET,POST,OPTIONS"),
    (
        "Access-Control-Expose-Headers",
        "Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset",
    ),
    (
        "Access-Control-Allow-Headers",
        "Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset,content-type",
    ),
    ("Cache-Control", "no-store"),
)


def tus_response(
    ctx: Ctx, status: int, extra: Headers = (), text: str | None = None
) -> HttpResponse:
    if text is not None:
        return render(ctx, status, text, (*TUS_HEADERS, *extra))
    return HttpResponse(status, (*TUS_HEADERS, *extra), b"")


def valid_name(name: str) -> bool:
    """CVAT refuses names that would land outside the upload directory."""
    if not name or name.startswith("/"):
        return False
    normalized = posixpath.normpath(name)
    return not (normalized == ".." or normalized.startswith("../"))


def _metadata(header: str | None) -> dict[str, str]:
    result: dict[str, str] = {}
    if not header:
        return result
    for item in header.split(","):
        parts = item.strip().split(" ")
        if len(parts) == 2:
            try:
                result[parts[0]] = base64.b64decode(parts[1]).decode()
            except (ValueError, UnicodeDecodeError):
                result[parts[0]] = ""
        else:
            result[parts[0]] = ""
    return result


def init_tus(srv: FakeServer, ctx: Ctx, task: Task, data: TaskData) -> HttpResponse:
    metadata = _metadata(ctx.header("upload-metadata"))
    filename = metadata.get("filename", "")
    if not valid_name(filename):
        return tus_response(ctx, 400, text=f"File name {filename} is not allowed")
    if filename in data.uploaded or any(
        u.filename == filename and u.task_id == task.id for u in srv.state.uploads.values()
    ):
        return tus_response(ctx, 409, text="File with same name already exists")
    try:
        length = int(ctx.header("upload-length") or "0")
    except ValueError:
        length = 0
    if length > TUS_MAX_FILE_SIZE:
        return tus_response(
            ctx, 413, text=f"File size exceeds max limit of {TUS_MAX_FILE_SIZE} bytes"
        )
    file_id = srv.random_uuid()
    srv.state.uploads[file_id] = TusUpload(file_id, task.id, filename, length, bytearray())
    location = urljoin(ctx.base + ctx.raw_path, file_id)
    return tus_response(ctx, 201, (("Location", location), ("Upload-Filename", filename)))


def _rename(data: TaskData, filename: str) -> str:
    if filename not in data.uploaded:
        return filename
    root, ext = posixpath.splitext(filename)
    number = 1
    while f"{root}_{number}{ext}" in data.uploaded:
        number += 1
    return f"{root}_{number}{ext}"


def tus_chunk(srv: FakeServer, ctx: Ctx, task: Task, file_id: str) -> HttpResponse:
    upload = srv.state.uploads.get(file_id)
    if upload is not None and upload.task_id != task.id:
        upload = None
    if ctx.method == "HEAD":
        if upload is None:
            return tus_response(ctx, 404)
        return tus_response(
            ctx, 200, (("Upload-Offset", str(upload.offset)), ("Upload-Length", str(upload.length)))
        )
    if upload is None:
        return tus_response(ctx, 404)
    try:
        offset = int(ctx.header("upload-offset") or "0")
    except ValueError:
        offset = -1
    if offset != upload.offset:
        return tus_response(ctx, 409)
    if offset > upload.length:
        return tus_response(ctx, 413)
    chunk = ctx.request.body
    kept = srv.faults.take_tus_cut(len(chunk))  # an injected cut keeps only a prefix
    if kept is not None:
        chunk = chunk[:kept]
    upload.buffer[offset : offset + len(chunk)] = chunk
    upload.offset += len(chunk)
    filename = upload.filename
    if upload.offset >= upload.length:
        data = task.data
        assert data is not None
        filename = _rename(data, upload.filename)
        del upload.buffer[upload.length :]  # a last chunk may run past the declared length
        data.uploaded[filename] = upload.buffer
        del srv.state.uploads[file_id]
    return tus_response(
        ctx, 204, (("Upload-Offset", str(upload.offset)), ("Upload-Filename", filename))
    )


def append_files(ctx: Ctx, data: TaskData) -> HttpResponse | None:
    """Store the ``client_files`` parts of a multipart body; a response on refusal."""
    if ctx.content_type != "multipart/form-data":
        return None
    _, files = ctx.form()
    for file in files:
        if not file.field.startswith("client_files"):
            continue
        if not valid_name(client_name(file.filename)):
            return plain(ctx, 400, f"File name {file.filename} is not allowed")
    for file in files:
        if not file.field.startswith("client_files"):
            continue
        name = client_name(file.filename)
        stored = data.uploaded.get(name)
        if stored is None:  # kept as it arrived: no copy
            data.uploaded[name] = file.content
            continue
        if not isinstance(stored, bytearray):
            stored = data.uploaded[name] = bytearray(stored)
        stored.extend(file.content)  # CVAT appends a part to the file of the same name
    return None


def client_name(name: str) -> str:
    """Django's ``MultiPartParser.sanitize_file_name``: keep the last path component."""
    name = name.rsplit("/", maxsplit=1)[-1].rsplit("\\", maxsplit=1)[-1]
    return "".join(c for c in name if c.isprintable())


# ------------------------------------------------------------------- import files (TUS)
def init_tus_file(srv: FakeServer, ctx: Ctx, scope: str, owner_id: int) -> HttpResponse:
    """Start a TUS upload of a file to import (annotations, a dataset, a backup).

    Unlike task data, CVAT keeps such a file under its upload id: ``Upload-Filename`` is the
    id, which the client sends back as ``?filename=`` with ``Upload-Finish``.
    """
    try:
        length = int(ctx.header("upload-length") or "0")
    except ValueError:
        length = 0
    if length > TUS_MAX_FILE_SIZE:
        return tus_response(
            ctx, 413, text=f"File size exceeds max limit of {TUS_MAX_FILE_SIZE} bytes"
        )
    filename = _metadata(ctx.header("upload-metadata")).get("filename", "")
    file_id = srv.random_uuid()
    srv.state.uploads[file_id] = TusUpload(
        file_id, 0, filename, length, bytearray(), scope=scope, owner_id=owner_id
    )
    location = ctx.base + ctx.raw_path.rstrip("/") + "/" + file_id
    return tus_response(ctx, 201, (("Location", location), ("Upload-Filename", file_id)))


def tus_file_chunk(
    srv: FakeServer, ctx: Ctx, scope: str, file_id: str, user_id: int
) -> HttpResponse:
    """``HEAD``/``PATCH`` of a TUS upload started by :func:`init_tus_file`."""
    upload = srv.state.uploads.get(file_id)
    if upload is None or upload.scope != scope:
        return tus_response(ctx, 404)
    if upload.owner_id != user_id:
        return tus_response(ctx, 403)
    if ctx.method == "HEAD":
        return tus_response(
            ctx, 200, (("Upload-Offset", str(upload.offset)), ("Upload-Length", str(upload.length)))
        )
    try:
        offset = int(ctx.header("upload-offset") or "0")
    except ValueError:
        offset = -1
    if offset != upload.offset:
        return tus_response(ctx, 409)
    if offset > upload.length:
        return tus_response(ctx, 413)
    chunk = ctx.request.body[: upload.length - offset]
    kept = srv.faults.take_tus_cut(len(chunk))  # an injected cut keeps only a prefix
    if kept is not None:
        chunk = chunk[:kept]
    upload.buffer[offset : offset + len(chunk)] = chunk
    upload.offset += len(chunk)
    return tus_response(ctx, 204, (("Upload-Offset", str(upload.offset)),))


def take_tus_file(srv: FakeServer, scope: str, file_id: str, user_id: int) -> bytes | None:
    """The bytes of a finished TUS upload of ``user_id`` in ``scope`` (removed from the
    uploads); ``None`` when there is no such complete file."""
    upload = srv.state.uploads.get(file_id)
    if (
        upload is None
        or upload.scope != scope
        or upload.owner_id != user_id
        or upload.offset < upload.length
    ):
        return None
    del srv.state.uploads[file_id]
    return bytes(upload.buffer)
