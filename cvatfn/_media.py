"""Media of tasks and jobs: frames, chunks, previews, ``data/meta`` and deleted frames.

Theory of operation
-------------------
Tasks and jobs serve their media the same way, so one implementation serves both, told apart
by a :class:`MediaOwner` (:data:`TASK`, :data:`JOB`):

- a frame is ``GET {owner}/{id}/data?type=frame&number=N&quality=Q``: an image, small enough
  to hold in memory. Frame numbers are the task's, for a job too;
- a chunk is ``GET {owner}/{id}/data?type=chunk&...``: a zip of images or a video segment,
  possibly large, so it is streamed to a file with :func:`cvatfn._download.download_flow`.
  A task numbers its chunks with ``number``; a job with ``index``, counted from 0 in each job
  (``number`` is deprecated for job chunks);
- a preview is ``GET {owner}/{id}/preview``: a small image (a placeholder when there is no
  media). A project has a preview too (:data:`PROJECT`), and no other media;
- ``GET {owner}/{id}/data/meta`` is the media metadata, and ``PATCH`` with
  ``{"deleted_frames": [...]}`` *replaces* the set of deleted frames (of a job: those inside
  the job; deletions elsewhere in the task are kept). Deleting frames is
  therefore read-modify-write: :func:`remove_frames` reads the set, adds to it and writes the
  union back, so frames deleted earlier stay deleted; :func:`restore_frames` takes ids out
  of it. Two clients editing the same task's set at the same time can still lose one edit:
  CVAT offers no conditional update.

Saving frames (:func:`download_frames`) names each file from a ``str.format`` pattern with
``frame_id`` and ``frame_ext``; the extension comes from the response's ``Content-Type``
(``image/jpeg`` is ``.jpg``), or from the image's first bytes when that says nothing. The
pattern is checked before anything is sent: it must format, yield a plain file name (no
directory parts) and tell the requested frames apart. Files are written like downloads:
through a temporary file, never over an existing file.

Inputs are checked before anything is sent: ids and frame numbers are non-negative ``int``\\ s,
``quality`` is ``"original"`` or ``"compressed"``, paths are strings or path-likes.
"""

from __future__ import annotations

import mimetypes
import os
import re
import string
from collections.abc import Sequence
from typing import Literal, TypeAlias

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._download import download_flow, save_flow
from cvatfn._flow import Flow, make_dirs, run
from cvatfn._flow import progress as report
from cvatfn._repo import IdOrEntity, entity_id
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput
from cvatfn.http import HttpRequest
from cvatfn.models import DataMeta, FrameMeta
from cvatfn.progress import ProgressReporter

__all__ = [
    "DEFAULT_FILENAME_PATTERN",
    "JOB",
    "PROJECT",
    "TASK",
    "MediaOwner",
    "Quality",
    "download_chunk",
    "download_frames",
    "frame_extension",
    "get_frame",
    "get_frames_info",
    "get_meta",
    "get_preview",
    "remove_frames",
    "restore_frames",
]

Quality: TypeAlias = Literal["original", "compressed"]
"""Which copy of the media: the uploaded ``original`` or the ``compressed`` one."""

DEFAULT_FILENAME_PATTERN = "frame_{frame_id:06d}{frame_ext}"


class MediaOwner(msgspec.Struct, frozen=True):
    """What serves the media: its name, its collection and how it numbers chunks."""

    what: str
    collection: str
    data_path: str
    chunk_parameter: str


TASK = MediaOwner("task", "/api/tasks", "/data/", "number")
"""Tasks: ``/api/tasks/{id}/data/``; chunks by task-wide ``number``."""

JOB = MediaOwner("job", "/api/jobs", "/data", "index")
"""Jobs: ``/api/jobs/{id}/data``; chunks by ``index`` within the job."""

PROJECT = MediaOwner("project", "/api/projects", "", "")
"""Projects: only a preview (their newest task's)."""

_QUALITIES = ("original", "compressed")

_MIME_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/x-ms-bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/webp": ".webp",
}
_MAGIC = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tiff"),
    (b"MM\x00*", ".tiff"),
)


def frame_extension(content_type: str | None, data: bytes) -> str:
    """The file extension for a frame served with ``content_type``.

    The ``Content-Type`` decides when it names an image type; otherwise the image's first
    bytes do; ``.jpg`` when neither tells (the official SDK's choice too).

    Examples:
        >>> frame_extension("image/png", b"")
        '.png'
        >>> frame_extension("image/jpeg; charset=binary", b"")
        '.jpg'
        >>> frame_extension("application/octet-stream", b"\\x89PNG\\r\\n\\x1a\\n...")
        '.png'
        >>> frame_extension(None, b"")
        '.jpg'
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    known = _MIME_EXTENSIONS.get(mime)
    if known is not None:
        return known
    if mime.startswith("image/"):
        guessed = mimetypes.guess_extension(mime, strict=False)
        if guessed and guessed not in (".jpe", ".jpeg"):
            return guessed
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ".jpg"


# ---------------------------------------------------------------------------- input checks


def _number(value: object, field: str) -> Result[int, CvatError]:
    if isinstance(value, bool) or not isinstance(value, int):
        return Failure(
            InvalidInput(message=f"{field} must be an int, not {type(value).__name__}", field=field)
        )
    if value < 0:
        return Failure(InvalidInput(message=f"{field} must not be negative", field=field))
    return Success(value)


def _numbers(values: object, field: str) -> Result[list[int], CvatError]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        return Failure(InvalidInput(message=f"{field} must be a sequence of ints", field=field))
    out: list[int] = []
    items: Sequence[object] = values  # pyright: ignore[reportUnknownVariableType]
    for index, value in enumerate(items):
        checked = _number(value, f"{field}[{index}]")
        if isinstance(checked, Failure):
            return Failure(checked.failure())
        out.append(checked.unwrap())
    return Success(out)


def _quality(value: object) -> Result[Quality, CvatError]:
    if value == "original":
        return Success("original")
    if value == "compressed":
        return Success("compressed")
    return Failure(
        InvalidInput(
            message=f"quality must be 'original' or 'compressed', not {value!r}", field="quality"
        )
    )


def _path(value: object, field: str) -> Result[str, CvatError]:
    if isinstance(value, str) and value:
        return Success(value)
    if isinstance(value, os.PathLike):
        path: object = os.fspath(value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        if isinstance(path, str) and path:
            return Success(path)
    kind = type(value).__name__  # pyright: ignore[reportUnknownArgumentType]
    return Failure(
        InvalidInput(
            message=f"{field} must be a non-empty path (str or os.PathLike), not {kind}",
            field=field,
        )
    )


_MAX_NAME = 255
"""Bytes in a file name on common file systems (``NAME_MAX``)."""
_NUMBER = re.compile(r"\d+")


def _spec_problem(pattern: str) -> str | None:
    """What is wrong with the format specs of ``pattern``, if anything.

    Formatting ``{frame_id:>99999999999}`` would build a string of that size before its
    length could be checked, so widths and precisions above :data:`_MAX_NAME` are refused, and
    so are specs made from other fields (``{frame_id:{frame_id}}``), whose width is not known
    in advance.
    """
    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError:
        return None  # malformed: formatting it fails, and says why
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            return f"a format spec made from another field ({spec!r}) is not supported"
        for number in _NUMBER.findall(spec or ""):
            if len(number) > 9 or int(number) > _MAX_NAME:
                return (
                    f"it asks for a field {number} characters wide; a file name has at most "
                    f"{_MAX_NAME} bytes"
                )
    return None


def _pattern_names(pattern: object, frame_ids: Sequence[int]) -> Result[None, CvatError]:
    """Check that ``pattern`` formats every frame to a distinct plain file name."""
    field = "filename_pattern"
    if not isinstance(pattern, str):
        return Failure(InvalidInput(message="filename_pattern must be a str", field=field))
    problem = _spec_problem(pattern)
    if problem is not None:
        return Failure(
            InvalidInput(message=f"filename_pattern {pattern!r}: {problem}", field=field)
        )
    names: set[str] = set()
    samples = frame_ids if frame_ids else [0]
    for frame_id in samples:
        try:
            name = pattern.format(frame_id=frame_id, frame_ext=".jpg")
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as error:
            return Failure(
                InvalidInput(
                    message=f"filename_pattern {pattern!r} cannot be formatted with frame_id "
                    f"and frame_ext: {type(error).__name__}: {error}",
                    field=field,
                )
            )
        separators = {"/", os.sep, os.altsep or "/"}
        if len(name.encode(errors="surrogatepass")) > _MAX_NAME:
            return Failure(
                InvalidInput(
                    message=f"filename_pattern {pattern!r} gives a name longer than "
                    f"{_MAX_NAME} bytes for frame {frame_id}",
                    field=field,
                )
            )
        if name in ("", ".", "..") or "\0" in name or any(s in name for s in separators):
            return Failure(
                InvalidInput(
                    message=f"filename_pattern {pattern!r} must give a plain file name, "
                    f"got {name!r} for frame {frame_id}",
                    field=field,
                )
            )
        if name in names:
            return Failure(
                InvalidInput(
                    message=f"filename_pattern {pattern!r} gives the same name {name!r} to "
                    "different frames: use {frame_id} in it",
                    field=field,
                )
            )
        names.add(name)
    return Success(None)


# ---------------------------------------------------------------------------- requests


def _data_request(
    session: Session, owner: MediaOwner, ident: int, query: dict[str, str | int]
) -> HttpRequest:
    path = f"{owner.collection}/{ident}{owner.data_path}"
    return _api.build_request(session, "GET", path, query=query)


def _frame_request(
    session: Session, owner: MediaOwner, ident: int, frame_id: int, quality: Quality
) -> HttpRequest:
    query: dict[str, str | int] = {"type": "frame", "number": frame_id, "quality": quality}
    return _data_request(session, owner, ident, query)


def _meta_path(owner: MediaOwner, ident: int) -> str:
    return f"{owner.collection}/{ident}/data/meta"


def _body(session: Session, request: HttpRequest) -> Flow[Result[bytes, CvatError]]:
    result = yield from _api.exchange(request, session.config)
    return result.map(lambda response: response.body)


# ---------------------------------------------------------------------------- operations


def get_frame(
    session: Session, owner: MediaOwner, entity: IdOrEntity, frame_id: int, quality: Quality
) -> Result[bytes, CvatError]:
    """The bytes of one frame."""
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    number = _number(frame_id, "frame_id")
    if isinstance(number, Failure):
        return Failure(number.failure())
    checked = _quality(quality)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    request = _frame_request(session, owner, ident.unwrap(), number.unwrap(), checked.unwrap())
    return run(session, _body(session, request))


def get_preview(
    session: Session, owner: MediaOwner, entity: IdOrEntity
) -> Result[bytes, CvatError]:
    """The bytes of the preview image."""
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    request = _api.build_request(session, "GET", f"{owner.collection}/{ident.unwrap()}/preview")
    return run(session, _body(session, request))


def download_chunk(
    session: Session,
    owner: MediaOwner,
    entity: IdOrEntity,
    chunk_id: int,
    path: str | os.PathLike[str],
    *,
    quality: Quality,
    progress: ProgressReporter | None,
) -> Result[str, CvatError]:
    """Stream one chunk into a new file at ``path``; the result is the path."""
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    number = _number(chunk_id, "chunk_id")
    if isinstance(number, Failure):
        return Failure(number.failure())
    checked = _quality(quality)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    target = _path(path, "path")
    if isinstance(target, Failure):
        return Failure(target.failure())
    query: dict[str, str | int] = {
        "type": "chunk",
        owner.chunk_parameter: number.unwrap(),
        "quality": checked.unwrap(),
    }
    request = _data_request(session, owner, ident.unwrap(), query)
    return run(session, download_flow(session, request, target.unwrap()), progress=progress)


def _download_frames_flow(
    session: Session,
    owner: MediaOwner,
    ident: int,
    frame_ids: Sequence[int],
    outdir: str,
    quality: Quality,
    pattern: str,
) -> Flow[Result[tuple[str, ...], CvatError]]:
    made = yield from make_dirs(outdir)
    if made is not None:
        return Failure(
            InvalidInput(
                message=f"cannot create the directory {outdir!r}: {made.strerror or made}",
                field="outdir",
            )
        )
    saved: list[str] = []
    total = len(frame_ids)
    yield from report("frames", 0, total)
    for frame_id in frame_ids:
        request = _frame_request(session, owner, ident, frame_id, quality)
        fetched = yield from _api.exchange(request, session.config)
        if isinstance(fetched, Failure):
            return Failure(fetched.failure())
        response = fetched.unwrap()
        extension = frame_extension(response.header("Content-Type"), response.body)
        try:
            name = pattern.format(frame_id=frame_id, frame_ext=extension)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as error:
            return Failure(
                InvalidInput(
                    message=f"filename_pattern cannot take the extension {extension!r}: {error}",
                    field="filename_pattern",
                )
            )
        written = yield from save_flow(os.path.join(outdir, name), response.body, request=request)
        if isinstance(written, Failure):
            return Failure(written.failure())
        saved.append(written.unwrap())
        yield from report("frames", len(saved), total)
    return Success(tuple(saved))


def download_frames(
    session: Session,
    owner: MediaOwner,
    entity: IdOrEntity,
    frame_ids: Sequence[int],
    *,
    outdir: str | os.PathLike[str],
    quality: Quality,
    filename_pattern: str,
    progress: ProgressReporter | None,
) -> Result[tuple[str, ...], CvatError]:
    """Save frames as files in ``outdir``; the result is their paths, in order."""
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    numbers = _numbers(frame_ids, "frame_ids")
    if isinstance(numbers, Failure):
        return Failure(numbers.failure())
    frames = numbers.unwrap()
    if len(set(frames)) != len(frames):
        return Failure(InvalidInput(message="frame_ids has repeats", field="frame_ids"))
    checked = _quality(quality)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    directory = _path(outdir, "outdir")
    if isinstance(directory, Failure):
        return Failure(directory.failure())
    names = _pattern_names(filename_pattern, frames)
    if isinstance(names, Failure):
        return Failure(names.failure())
    flow = _download_frames_flow(
        session,
        owner,
        ident.unwrap(),
        frames,
        directory.unwrap(),
        checked.unwrap(),
        filename_pattern,
    )
    return run(session, flow, progress=progress)


def _meta_flow(
    session: Session, owner: MediaOwner, ident: int
) -> Flow[Result[DataMeta, CvatError]]:
    request = _api.build_request(session, "GET", _meta_path(owner, ident))
    return (yield from _api.call(DataMeta, request, session.config))


def get_meta(
    session: Session, owner: MediaOwner, entity: IdOrEntity
) -> Result[DataMeta, CvatError]:
    """The media metadata."""
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    return run(session, _meta_flow(session, owner, ident.unwrap()))


def get_frames_info(
    session: Session, owner: MediaOwner, entity: IdOrEntity
) -> Result[tuple[FrameMeta, ...], CvatError]:
    """The per-frame metadata (name, width, height), in frame order."""
    return get_meta(session, owner, entity).map(lambda meta: meta.frames or ())


def _edit_deleted_flow(
    session: Session, owner: MediaOwner, ident: int, ids: Sequence[int], *, delete: bool
) -> Flow[Result[DataMeta, CvatError]]:
    read = yield from _meta_flow(session, owner, ident)
    if isinstance(read, Failure):
        return read
    meta = read.unwrap()
    # A task's frames are numbered 0..size-1. A job's are the task's numbers of its segment
    # (or its chosen frames, for a ground truth job); the server checks those.
    for index, frame in enumerate(ids if owner.what == "task" else ()):
        if frame >= meta.size:
            return Failure(
                InvalidInput(
                    message=f"frame {frame} is not in {owner.what} {ident}, which has "
                    f"{meta.size} frame(s)",
                    field=f"ids[{index}]",
                )
            )
    current = set(meta.deleted_frames)
    wanted = current | set(ids) if delete else current - set(ids)
    if wanted == current:
        return Success(meta)
    request = _api.build_request(
        session,
        "PATCH",
        _meta_path(owner, ident),
        json_body={"deleted_frames": sorted(wanted)},
    )
    return (yield from _api.call(DataMeta, request, session.config))


def _edit_deleted(
    session: Session, owner: MediaOwner, entity: IdOrEntity, ids: Sequence[int], *, delete: bool
) -> Result[DataMeta, CvatError]:
    ident = entity_id(entity, what=owner.what)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    numbers = _numbers(ids, "ids")
    if isinstance(numbers, Failure):
        return Failure(numbers.failure())
    flow = _edit_deleted_flow(session, owner, ident.unwrap(), numbers.unwrap(), delete=delete)
    return run(session, flow)


def remove_frames(
    session: Session, owner: MediaOwner, entity: IdOrEntity, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Add ``ids`` to the deleted frames; the result is the new metadata."""
    return _edit_deleted(session, owner, entity, ids, delete=True)


def restore_frames(
    session: Session, owner: MediaOwner, entity: IdOrEntity, ids: Sequence[int]
) -> Result[DataMeta, CvatError]:
    """Take ``ids`` out of the deleted frames; the result is the new metadata."""
    return _edit_deleted(session, owner, entity, ids, delete=False)
