"""Exports, imports and backups: moving whole files between CVAT and this machine.

Theory of operation
-------------------
CVAT prepares and consumes these files in background requests, so every transfer is a short
protocol around one :func:`~cvatfn.requests.wait_flow`.

Export (a dataset of a task, job or project; a backup of a task or project):

1. The target path is checked first: nothing may exist there and its directory must take a new
   file (a temporary file is created there and deleted at once). Otherwise the result is
   ``InvalidInput(field="path")`` and nothing is sent.
2. ``POST /api/{tasks|jobs|projects}/{id}/dataset/export?format=&save_images=&location=local``
   (or ``.../backup/export?lightweight=&location=local``) answers 202 ``{"rq_id": ...}``.
   ``location=local`` asks for a file to download even when the resource's target storage is a
   cloud storage.
3. ``GET /api/requests/{rq_id}`` is polled every ``Config.status_check_period`` seconds until
   the request is ``finished`` (it then names a ``result_url``), ``failed``
   (``BackgroundFailed`` with the server's message) or ``Config.request_deadline`` has passed
   (``DeadlineExceeded``).
4. The ``result_url`` is downloaded by :func:`~cvatfn._download.download_flow`: streamed into a
   temporary file next to the target and moved into place only when complete, so the target
   either does not exist or holds the whole file. Only the path and query of ``result_url``
   are used, on the session's own server: credentials never travel to a host the server names
   (and a server behind a proxy that reports its internal host name still works).

Import (annotations into a task or job, a dataset into a project, a backup as a new task or
project):

1. The source is checked first: a readable, non-empty file (``InvalidInput(field="path")``
   otherwise, with nothing sent).
2. :func:`~cvatfn._upload.upload_file` runs CVAT's upload protocol for one file:
   ``Upload-Start``, TUS create and ``PATCH`` chunks, then ``Upload-Finish``, with the query
   parameters the official client sends (``format``, ``filename``, and ``import_mode`` and
   ``conv_mask_to_poly`` when given); 202 ``{"rq_id": ...}``.
3. The request is polled as above. A finished backup import names the new task or project in
   ``result_id``, which is then retrieved.

Format names are passed to the server as they are: its own list
(:func:`cvatfn.formats.retrieve`) is the authority, and a name it does not know comes back as
its own error (a ``BadRequest``).

Progress goes to the caller's reporter in stages: ``"upload"`` (bytes), ``"background"``
(percent, when the server reports it) and ``"download"`` (bytes).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from returns.result import Failure, Result, Success

from cvatfn import _api, _flow, _upload
from cvatfn._download import download_flow
from cvatfn._flow import Flow, run
from cvatfn._repo import IdOrEntity, entity_id
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput, RequestInfo, UnexpectedResponse
from cvatfn.models import Request
from cvatfn.progress import ProgressReporter
from cvatfn.requests import wait_flow

__all__ = [
    "ImportMode",
    "Kind",
    "PathLike",
    "check_source",
    "check_target",
    "download_backup",
    "export_dataset",
    "export_flow",
    "import_annotations",
    "import_dataset",
    "import_flow",
    "restore_backup",
]

T = TypeVar("T")

Kind = Literal["task", "job", "project"]
"""The resource a transfer is about."""

ImportMode = Literal["append", "replace"]
"""How imported annotations meet the existing ones (CVAT's default is ``replace``)."""

PathLike = str | os.PathLike[str]

_COLLECTIONS: dict[Kind, str] = {"task": "tasks", "job": "jobs", "project": "projects"}
_IMPORT_MODES: frozenset[str] = frozenset({"append", "replace"})


# -------------------------------------------------------------------------------- inputs


def _path(value: object) -> Result[str, CvatError]:
    """A caller's path as a string; anything else is ``InvalidInput(field="path")``."""
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        path = os.fspath(value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        if isinstance(path, str) and path:
            return Success(path)
    return Failure(
        InvalidInput(message=f"path must be a non-empty path string, not {value!r}", field="path")
    )


def _format(value: object, field: str = "format_name") -> Result[str, CvatError]:
    if isinstance(value, str) and value.strip():
        return Success(value)
    return Failure(
        InvalidInput(
            message=f"{field} must be a format name such as 'CVAT for images 1.1' "
            f"(see cvatfn.formats.retrieve), not {value!r}",
            field=field,
        )
    )


def _flag(value: object, field: str) -> Result[bool, CvatError]:
    if isinstance(value, bool):
        return Success(value)
    return Failure(InvalidInput(message=f"{field} must be True or False", field=field))


def _optional_flag(value: object, field: str) -> Result[bool | None, CvatError]:
    return Success(None) if value is None else _flag(value, field)


def _import_mode(value: object) -> Result[str | None, CvatError]:
    if value is None or (isinstance(value, str) and value in _IMPORT_MODES):
        return Success(value)
    return Failure(
        InvalidInput(
            message=f"import_mode must be 'append' or 'replace', not {value!r}",
            field="import_mode",
        )
    )


def _item_path(kind: Kind, entity: IdOrEntity) -> Result[str, CvatError]:
    ident = entity_id(entity, what=kind)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    if ident.unwrap() < 1:
        return Failure(InvalidInput(message=f"{kind} id must be positive", field=kind))
    return Success(f"/api/{_COLLECTIONS[kind]}/{ident.unwrap()}")


def check_target(target: str) -> Flow[Result[None, CvatError]]:
    """Check, without sending anything, that a download can later create ``target``."""
    if (yield from _flow.path_exists(target)):
        return Failure(
            InvalidInput(
                message=f"{target!r}: a file or directory already exists there; "
                "cvatfn never replaces it",
                field="path",
            )
        )
    temp = yield from _flow.create_temp(target)
    if isinstance(temp, OSError):
        where = os.path.dirname(target) or "."
        return Failure(
            InvalidInput(
                message=f"{target!r}: cannot create a file in {where!r}: {temp.strerror or temp}",
                field="path",
            )
        )
    yield from _flow.discard_temp(temp.temp)
    return Success(None)


def check_source(source: str) -> Flow[Result[_upload.LocalFile, CvatError]]:
    """Check that ``source`` is a readable, non-empty file, and learn its size."""
    size = yield from _flow.file_size(source)
    if isinstance(size, OSError):
        reason = "no such file" if size.errno == errno.ENOENT else (size.strerror or str(size))
        return Failure(InvalidInput(message=f"cannot read {source!r}: {reason}", field="path"))
    probe = yield from _flow.read_file(source, 0, 1)
    if isinstance(probe, OSError):
        return Failure(
            InvalidInput(message=f"cannot read {source!r}: {probe.strerror or probe}", field="path")
        )
    if size == 0 or not probe:
        return Failure(InvalidInput(message=f"{source!r} is empty", field="path"))
    return Success(_upload.LocalFile(source, size))


# ---------------------------------------------------------------------------------- flows


def _download_path(export: Request, started: RequestInfo) -> Result[str, CvatError]:
    """The path and query of a finished export's ``result_url``, to GET on our server."""
    url = export.result_url
    if not url:
        return Failure(
            UnexpectedResponse(
                message=f"background request {export.id} finished without a result_url to "
                "download (was the file stored in a cloud storage?)",
                request=started,
            )
        )
    try:
        parts = urlsplit(url)
    except ValueError as error:  # e.g. "http://[::1": an unclosed IPv6 address
        return Failure(
            UnexpectedResponse(
                message=f"background request {export.id} finished with a result_url that is "
                f"not a URL ({url!r}: {error})",
                request=started,
            )
        )
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return Success(path + (f"?{parts.query}" if parts.query else ""))


def export_flow(
    session: Session, url_path: str, query: _api.Query, target: str
) -> Flow[Result[str, CvatError]]:
    """Check ``target``, start an export, wait for it and download the result to ``target``."""
    checked = yield from check_target(target)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    start = _api.build_request(session, "POST", url_path, query=query)
    answer = yield from _api.call_json(start, session.config)
    if isinstance(answer, Failure):
        return Failure(answer.failure())
    rq_id = _upload.rq_id_of(start, answer.unwrap())
    if isinstance(rq_id, Failure):
        return Failure(rq_id.failure())
    waited = yield from wait_flow(session, rq_id.unwrap())
    if isinstance(waited, Failure):
        return Failure(waited.failure())
    location = _download_path(waited.unwrap(), RequestInfo.of(start))
    if isinstance(location, Failure):
        return Failure(location.failure())
    get = _api.build_request(session, "GET", location.unwrap())
    return (yield from download_flow(session, get, target))


def import_flow(
    session: Session, url_path: str, source: str, query: _api.Query
) -> Flow[Result[Request, CvatError]]:
    """Check ``source``, upload it to an import endpoint and wait; the finished request."""
    checked = yield from check_source(source)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    item = checked.unwrap()
    uploaded = yield from _upload.upload_file(
        session, url_path, item, query={**query, "filename": item.name}
    )
    if isinstance(uploaded, Failure):
        return Failure(uploaded.failure())
    return (yield from wait_flow(session, uploaded.unwrap()))


def _restore_flow(
    session: Session, collection: str, source: str, type_: type[T]
) -> Flow[Result[T, CvatError]]:
    url_path = f"/api/{collection}/backup/"
    finished = yield from import_flow(session, url_path, source, {})
    if isinstance(finished, Failure):
        return Failure(finished.failure())
    done = finished.unwrap()
    if done.result_id is None:
        return Failure(
            UnexpectedResponse(
                message=f"background request {done.id} finished without a result_id "
                "naming the restored resource",
                request=RequestInfo.of(_api.build_request(session, "POST", url_path)),
            )
        )
    get = _api.build_request(session, "GET", f"/api/{collection}/{done.result_id}")
    return (yield from _api.call(type_, get, session.config))


# ----------------------------------------------------------------------- public operations


def export_dataset(
    session: Session,
    kind: Kind,
    entity: IdOrEntity,
    format_name: str,
    path: PathLike,
    *,
    include_images: bool,
    progress: ProgressReporter | None,
) -> Result[Path, CvatError]:
    """Export a task's, job's or project's dataset and download it to ``path``."""
    base = _item_path(kind, entity)
    if isinstance(base, Failure):
        return Failure(base.failure())
    name = _format(format_name)
    if isinstance(name, Failure):
        return Failure(name.failure())
    target = _path(path)
    if isinstance(target, Failure):
        return Failure(target.failure())
    images = _flag(include_images, "include_images")
    if isinstance(images, Failure):
        return Failure(images.failure())
    query: _api.Query = {
        "format": name.unwrap(),
        "save_images": images.unwrap(),
        "location": "local",
    }
    flow = export_flow(session, f"{base.unwrap()}/dataset/export", query, target.unwrap())
    return run(session, flow, progress=progress).map(Path)


def download_backup(
    session: Session,
    kind: Kind,
    entity: IdOrEntity,
    path: PathLike,
    *,
    lightweight: bool,
    progress: ProgressReporter | None,
) -> Result[Path, CvatError]:
    """Back up a task or project and download the backup to ``path``."""
    base = _item_path(kind, entity)
    if isinstance(base, Failure):
        return Failure(base.failure())
    target = _path(path)
    if isinstance(target, Failure):
        return Failure(target.failure())
    lean = _flag(lightweight, "lightweight")
    if isinstance(lean, Failure):
        return Failure(lean.failure())
    query: _api.Query = {"lightweight": lean.unwrap(), "location": "local"}
    flow = export_flow(session, f"{base.unwrap()}/backup/export", query, target.unwrap())
    return run(session, flow, progress=progress).map(Path)


def import_annotations(
    session: Session,
    kind: Kind,
    entity: IdOrEntity,
    format_name: str,
    path: PathLike,
    *,
    import_mode: ImportMode | None,
    conv_mask_to_poly: bool | None,
    progress: ProgressReporter | None,
) -> Result[None, CvatError]:
    """Upload an annotation file into a task or job and wait until the server imported it."""
    base = _item_path(kind, entity)
    if isinstance(base, Failure):
        return Failure(base.failure())
    query = _import_query(format_name, conv_mask_to_poly)
    if isinstance(query, Failure):
        return Failure(query.failure())
    mode = _import_mode(import_mode)
    if isinstance(mode, Failure):
        return Failure(mode.failure())
    source = _path(path)
    if isinstance(source, Failure):
        return Failure(source.failure())
    full: _api.Query = {**query.unwrap(), "import_mode": mode.unwrap()}
    flow = import_flow(session, f"{base.unwrap()}/annotations/", source.unwrap(), full)
    return run(session, flow, progress=progress).map(_nothing)


def import_dataset(
    session: Session,
    project: IdOrEntity,
    format_name: str,
    path: PathLike,
    *,
    conv_mask_to_poly: bool | None,
    progress: ProgressReporter | None,
) -> Result[None, CvatError]:
    """Upload a dataset into a project and wait until the server imported it."""
    base = _item_path("project", project)
    if isinstance(base, Failure):
        return Failure(base.failure())
    checked = check_dataset_import(format_name, path, conv_mask_to_poly)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    query, source = checked.unwrap()
    flow = import_flow(session, f"{base.unwrap()}/dataset/", source, query)
    return run(session, flow, progress=progress).map(_nothing)


def check_dataset_import(
    format_name: object,
    path: object,
    conv_mask_to_poly: object,
    *,
    format_field: str = "format_name",
) -> Result[tuple[dict[str, str | bool | None], str], CvatError]:
    """Validate a dataset import's arguments: its query parameters and its source path."""
    query = _import_query(format_name, conv_mask_to_poly, format_field)
    if isinstance(query, Failure):
        return Failure(query.failure())
    source = _path(path)
    if isinstance(source, Failure):
        return Failure(source.failure())
    return Success((query.unwrap(), source.unwrap()))


def restore_backup(
    session: Session,
    kind: Literal["task", "project"],
    type_: type[T],
    path: PathLike,
    *,
    progress: ProgressReporter | None,
) -> Result[T, CvatError]:
    """Upload a backup, wait until the server restored it, and return the new resource."""
    source = _path(path)
    if isinstance(source, Failure):
        return Failure(source.failure())
    flow = _restore_flow(session, _COLLECTIONS[kind], source.unwrap(), type_)
    return run(session, flow, progress=progress)


def _import_query(
    format_name: object, conv_mask_to_poly: object, format_field: str = "format_name"
) -> Result[dict[str, str | bool | None], CvatError]:
    name = _format(format_name, format_field)
    if isinstance(name, Failure):
        return Failure(name.failure())
    masks = _optional_flag(conv_mask_to_poly, "conv_mask_to_poly")
    if isinstance(masks, Failure):
        return Failure(masks.failure())
    return Success({"format": name.unwrap(), "conv_mask_to_poly": masks.unwrap()})


def _nothing(_: object) -> None:
    return None
