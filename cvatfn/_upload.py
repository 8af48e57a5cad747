"""CVAT's file upload protocol, as flows.

Theory of operation
-------------------
CVAT takes task data in one "upload session" on ``/api/tasks/{id}/data/``:

1. ``POST`` with header ``Upload-Start`` opens the session (202).
2. Small files travel in ``multipart/form-data`` batches, each a ``POST`` with header
   ``Upload-Multiple`` and parts named ``client_files[i]`` (200). A batch holds at most
   ``Config.max_request_size`` bytes, so memory stays bounded.
3. A file larger than that goes over TUS 1.0.0: a ``POST`` with ``Tus-Resumable``,
   ``Upload-Length`` and ``Upload-Metadata: filename <base64>`` creates the upload (201 with
   ``Location``), then ``PATCH`` requests carry ``Config.tus_chunk_size`` bytes each at
   ``Upload-Offset``; the server answers with the new offset (204). Chunks are read from disk
   one at a time (:class:`~cvatfn._flow.ReadFile` effects).
4. ``POST`` with header ``Upload-Finish`` and the data parameters as JSON closes the session
   and starts processing: 202 with ``{"rq_id": ...}``, a background request to wait on.

Imports (annotations, datasets, backups) use the same protocol for one file
(:func:`upload_file`): ``Upload-Start`` and ``Upload-Finish`` carry the import's query
parameters (``format``, ``filename``, ...), the file always goes over TUS, and the server may
store it under another name (a backup gets a unique temporary one): the TUS answers say which
in ``Upload-Filename``, and ``Upload-Finish`` names that file in its ``filename`` parameter.

The multipart boundary is derived from the content, so the same upload produces the same
bytes every time (cassettes can match on bodies).

Failures on the way are retried as :mod:`cvatfn.retry` says, with protocol-specific rules.
``Upload-Start`` does nothing on CVAT but answer 202, so it is retried like an idempotent
request. A multipart batch is not: CVAT *appends* each part to the file of that name, so a
batch sent twice would double the files; it is sent again only when the server cannot have
acted on it (429, 503, no connection), and otherwise the upload fails. The TUS creation
follows the same rule (a second one for the same name is a 409). A TUS ``PATCH`` that fails
resumes: ``HEAD`` on the upload reads the server's ``Upload-Offset`` and the next ``PATCH``
starts there, so no byte is sent twice into the file and none is skipped. ``Upload-Finish``
starts the processing and is never sent twice unless the server said it did not act.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._flow import Flow, file_size, progress, read_file
from cvatfn._resilient import wait_to_retry
from cvatfn._session import Session
from cvatfn.errors import (
    Conflict,
    CvatError,
    InvalidInput,
    LocalFileError,
    NotFound,
    RateLimited,
    RequestInfo,
    ServerError,
    TransportFailure,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.retry import RETRYABLE_TRANSPORT_ERRORS

__all__ = ["LocalFile", "multipart_body", "stat_files", "upload_file", "upload_files"]

TUS_VERSION = "1.0.0"


class LocalFile:
    """A local file to upload: its path, the name the server sees, and its size."""

    __slots__ = ("name", "path", "size")

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.name = os.path.basename(path)
        self.size = size


def stat_files(paths: Sequence[str]) -> Flow[Result[list[LocalFile], CvatError]]:
    """Check that every path is a readable file, and learn its size."""
    files: list[LocalFile] = []
    for index, path in enumerate(paths):
        size = yield from file_size(path)
        if isinstance(size, OSError):
            return Failure(
                InvalidInput(
                    message=f"cannot read {path!r}: {size.strerror or size}",
                    field=f"resources[{index}]",
                )
            )
        files.append(LocalFile(path, size))
    return Success(files)


def multipart_body(
    fields: Mapping[str, str], files: Sequence[tuple[str, str, bytes]]
) -> tuple[str, bytes]:
    """Encode a ``multipart/form-data`` body; returns ``(content_type, body)``.

    ``files`` holds ``(field name, file name, content)`` triples.

    Examples:
        >>> ctype, body = multipart_body({"image_quality": "70"},
        ...                              [("client_files[0]", "a.png", b"PNG")])
        >>> ctype.startswith("multipart/form-data; boundary=")
        True
        >>> b'name="client_files[0]"; filename="a.png"' in body
        True
    """
    digest = hashlib.sha256()
    for _, name, content in files:
        digest.update(name.encode())
        digest.update(hashlib.sha256(content).digest())
    boundary = f"cvatfn-{digest.hexdigest()[:40]}"
    marker = f"--{boundary}".encode()
    chunks: list[bytes] = []
    for key, value in fields.items():
        chunks += [
            marker,
            b"\r\n",
            f'Content-Disposition: form-data; name="{key}"\r\n\r\n'.encode(),
            value.encode(),
            b"\r\n",
        ]
    for key, name, content in files:
        safe_name = name.replace('"', "%22").replace("\r", "").replace("\n", "")
        chunks += [
            marker,
            b"\r\n",
            f'Content-Disposition: form-data; name="{key}"; filename="{safe_name}"\r\n'.encode(),
            b"Content-Type: application/octet-stream\r\n\r\n",
            content,
            b"\r\n",
        ]
    chunks += [marker, b"--\r\n"]
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def _batches(
    files: Sequence[LocalFile], limit: int
) -> tuple[list[list[LocalFile]], list[LocalFile]]:
    """Split into multipart batches of at most ``limit`` bytes, and files for TUS."""
    batches: list[list[LocalFile]] = []
    current: list[LocalFile] = []
    current_size = 0
    large: list[LocalFile] = []
    for item in files:
        if item.size > limit:
            large.append(item)
            continue
        if current and current_size + item.size > limit:
            batches.append(current)
            current, current_size = [], 0
        current.append(item)
        current_size += item.size
    if current:
        batches.append(current)
    return batches, large


def _read_failure(item: LocalFile, what: str, request: HttpRequest) -> CvatError:
    """A source file that failed after the upload had started (``request`` was sent)."""
    return LocalFileError(
        message=f"{item.path!r}: {what}", path=item.path, request=RequestInfo.of(request)
    )


def _protocol_error(request: HttpRequest, response: HttpResponse, what: str) -> CvatError:
    return UnexpectedResponse(
        message=what,
        request=RequestInfo.of(request),
        status=response.status,
        body=response.body[:2000].decode("utf-8", errors="replace"),
    )


_RESUMABLE = (TransportFailure, ServerError, Conflict, RateLimited)
"""Failures of a TUS ``PATCH`` after which the upload resumes from the server's offset."""


def _resumable(error: CvatError) -> bool:
    if isinstance(error, TransportFailure):
        return error.kind in RETRYABLE_TRANSPORT_ERRORS
    return isinstance(error, _RESUMABLE)


def _is_number(value: str) -> bool:
    """Whether a header value is a plain non-negative integer (ASCII digits only)."""
    return value.isascii() and value.isdecimal()


def _server_offset(session: Session, location: str, size: int) -> Flow[Result[int, CvatError]]:
    """Ask the server how many bytes of the upload at ``location`` it holds (TUS ``HEAD``)."""
    head = _api.build_request(
        session, "HEAD", location, absolute=True, headers=(("Tus-Resumable", TUS_VERSION),)
    )
    answered = yield from _api.exchange(head, session.config)
    if isinstance(answered, Failure):
        return Failure(answered.failure())
    response = answered.unwrap()
    value = response.header("Upload-Offset")
    if value is None or not _is_number(value) or int(value) > size:
        return Failure(
            _protocol_error(head, response, f"TUS HEAD answered Upload-Offset {value!r}")
        )
    return Success(int(value))


def _gave_up(error: CvatError, item: LocalFile, offset: int, attempts: int) -> CvatError:
    message = (
        f"the upload of {item.name!r} stopped at byte {offset} of {item.size} after "
        f"{attempts} attempts: {error.message}"
    )
    return msgspec.structs.replace(error, message=message, attempts=attempts)


def _tus_upload(
    session: Session,
    url_path: str,
    item: LocalFile,
    *,
    done: int,
    total: int,
) -> Flow[Result[str, CvatError]]:
    """Upload one file over TUS; progress counts ``done`` bytes before it, of ``total``.

    The result is the name the server stored the file under (its ``Upload-Filename``, else the
    name that was sent). A source that fails to read meanwhile is a ``LocalFileError``.

    A ``PATCH`` that fails on the way (a dropped connection, a timeout, a 5xx, a 409 offset
    conflict, a 429) is not simply sent again: after a backoff, a ``HEAD`` asks the server
    how much it holds, and the upload goes on from there. A server that accepts only part of
    a chunk is fine too: the next chunk starts at the offset it reports. After
    ``Config.retry.max_attempts`` attempts in a row without progress, the upload fails with the
    last error, its message saying where it stopped. CVAT forgets an upload as soon as its last
    byte arrives, so when the ``PATCH`` that carried the last chunk failed and ``HEAD`` then
    finds nothing (404), the chunk arrived; had it not, ``Upload-Finish`` would not find the
    file and the processing would fail with the server's message.
    """
    policy = session.config.retry
    metadata = f"filename {base64.b64encode(item.name.encode()).decode()}"
    create = _api.build_request(
        session,
        "POST",
        url_path,
        headers=(
            ("Tus-Resumable", TUS_VERSION),
            ("Upload-Length", str(item.size)),
            ("Upload-Metadata", metadata),
        ),
    )
    # Not safe to repeat: a second creation for the same file name is a 409 on CVAT.
    created = yield from _api.exchange(create, session.config)
    if isinstance(created, Failure):
        return Failure(created.failure())
    response = created.unwrap()
    location = response.header("Location")
    if not location:
        return Failure(_protocol_error(create, response, "TUS upload created without Location"))
    if location.startswith("/"):
        location = session.server.url + location
    stored_name = response.header("Upload-Filename") or item.name
    offset = 0
    stalled = 0  # failed attempts in a row, since the last byte the server took
    slept = 0.0
    while offset < item.size:
        chunk = yield from read_file(item.path, offset, session.config.tus_chunk_size)
        if isinstance(chunk, OSError):
            return Failure(_read_failure(item, f"cannot read it: {chunk}", create))
        if not chunk:
            return Failure(_read_failure(item, "it shrank while it was being uploaded", create))
        patch = _api.build_request(
            session,
            "PATCH",
            location,
            body=chunk,
            absolute=True,
            headers=(
                ("Tus-Resumable", TUS_VERSION),
                ("Upload-Offset", str(offset)),
                ("Content-Type", "application/offset+octet-stream"),
            ),
        )
        sent = yield from _api.exchange(patch, session.config)
        if isinstance(sent, Success):
            answer = sent.unwrap()
            new_offset = answer.header("Upload-Offset")
            if new_offset is None or not _is_number(new_offset):
                return Failure(
                    _protocol_error(patch, answer, "TUS chunk accepted without Upload-Offset")
                )
            if not offset < int(new_offset) <= offset + len(chunk):
                return Failure(
                    _protocol_error(
                        patch,
                        answer,
                        f"TUS server reported offset {new_offset} after a chunk of "
                        f"{len(chunk)} bytes at offset {offset}",
                    )
                )
            offset, stalled, slept = int(new_offset), 0, 0.0
            stored_name = answer.header("Upload-Filename") or stored_name
            yield from progress("upload", done + offset, total)
            continue
        error = sent.failure()
        stalled += error.attempts
        if not _resumable(error) or stalled >= policy.max_attempts:
            return Failure(_gave_up(error, item, offset, stalled) if stalled > 1 else error)
        asked = error.retry_after if isinstance(error, RateLimited) else None
        waited = yield from wait_to_retry(policy, stalled, slept, at_least=asked or 0.0)
        if waited is None:
            return Failure(_gave_up(error, item, offset, stalled))
        slept += waited
        resumed = yield from _server_offset(session, location, item.size)
        if isinstance(resumed, Failure):
            if isinstance(resumed.failure(), NotFound) and offset + len(chunk) == item.size:
                # CVAT forgets an upload once its last byte arrives (it moves the file into
                # place), so nothing at the location after the last chunk means it arrived.
                return Success(stored_name)
            return Failure(resumed.failure())
        if resumed.unwrap() > offset:
            stalled, slept = 0, 0.0
            yield from progress("upload", done + resumed.unwrap(), total)
        offset = resumed.unwrap()
    return Success(stored_name)


def upload_files(
    session: Session,
    url_path: str,
    files: Sequence[LocalFile],
    *,
    fields: Mapping[str, Any],
    multipart_fields: Mapping[str, str],
) -> Flow[Result[str, CvatError]]:
    """Run the whole upload session; the result is the background request id."""
    start = _api.build_request(session, "POST", url_path, headers=(("Upload-Start", ""),))
    started = yield from _api.call_no_content(start, session.config, idempotent=True)
    if isinstance(started, Failure):
        return Failure(started.failure())
    total = sum(item.size for item in files)
    done = 0
    batches, large = _batches(files, session.config.max_request_size)
    for batch in batches:
        parts: list[tuple[str, str, bytes]] = []
        for index, item in enumerate(batch):
            # One byte more than expected, so that a file that grew is noticed too.
            content = yield from read_file(item.path, 0, item.size + 1)
            if isinstance(content, OSError):
                return Failure(_read_failure(item, f"cannot read it: {content}", start))
            if len(content) != item.size:
                what = f"its size changed from {item.size} bytes while it was being uploaded"
                return Failure(_read_failure(item, what, start))
            parts.append((f"client_files[{index}]", item.name, content))
        content_type, body = multipart_body(multipart_fields, parts)
        request = _api.build_request(
            session,
            "POST",
            url_path,
            body=body,
            headers=(("Content-Type", content_type), ("Upload-Multiple", "")),
        )
        # Not safe to repeat: CVAT appends each part to the file of that name.
        sent = yield from _api.call_no_content(request, session.config)
        if isinstance(sent, Failure):
            return Failure(sent.failure())
        done += sum(item.size for item in batch)
        yield from progress("upload", done, total)
    for item in large:
        uploaded = yield from _tus_upload(session, url_path, item, done=done, total=total)
        if isinstance(uploaded, Failure):
            return Failure(uploaded.failure())
        done += item.size
    finish = _api.build_request(
        session, "POST", url_path, json_body=dict(fields), headers=(("Upload-Finish", ""),)
    )
    finished = yield from _api.call_json(finish, session.config)
    if isinstance(finished, Failure):
        return Failure(finished.failure())
    return rq_id_of(finish, finished.unwrap())


def upload_file(
    session: Session, url_path: str, item: LocalFile, *, query: _api.Query
) -> Flow[Result[str, CvatError]]:
    """Upload one file to an import endpoint; the result is the background request id.

    ``Upload-Start`` carries ``query``; the file goes over TUS to ``url_path`` (which ends in
    ``/``, as CVAT builds the chunk URLs from it); ``Upload-Finish`` carries ``query`` with
    ``filename`` set to the name the server stored the file under.
    """
    start = _api.build_request(
        session, "POST", url_path, query=query, headers=(("Upload-Start", ""),)
    )
    started = yield from _api.call_no_content(start, session.config, idempotent=True)
    if isinstance(started, Failure):
        return Failure(started.failure())
    yield from progress("upload", 0, item.size)
    stored = yield from _tus_upload(session, url_path, item, done=0, total=item.size)
    if isinstance(stored, Failure):
        return Failure(stored.failure())
    finish = _api.build_request(
        session,
        "POST",
        url_path,
        query={**query, "filename": stored.unwrap()},
        headers=(("Upload-Finish", ""),),
    )
    finished = yield from _api.call_json(finish, session.config)
    if isinstance(finished, Failure):
        return Failure(finished.failure())
    return rq_id_of(finish, finished.unwrap())


def rq_id_of(request: HttpRequest, body: object) -> Result[str, CvatError]:
    """The ``rq_id`` of a 202 answer that started a background request."""
    if isinstance(body, dict):
        rq_id: object = body.get("rq_id")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(rq_id, str) and rq_id:
            return Success(rq_id)
    return Failure(
        UnexpectedResponse(
            message=f"expected a background request id (rq_id), got {json.dumps(body)[:200]}",
            request=RequestInfo.of(request),
        )
    )
