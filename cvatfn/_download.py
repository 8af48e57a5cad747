"""Streaming a response body into a local file, atomically, as a flow.

Theory of operation
-------------------
:func:`download_flow` writes the body of one ``GET`` to a path the caller names, so that the
path either does not exist or holds the whole, verified body -- never a part of it:

1. Nothing exists at the target (:class:`~cvatfn._flow.PathExists`), else the flow stops with
   ``InvalidInput(field="path")`` and nothing is sent. An existing file is never replaced.
2. A temporary file is created next to the target (:class:`~cvatfn._flow.CreateTemp`; same
   directory, so the final move stays on one file system). If that fails -- no such
   directory, no permission -- the flow stops with ``InvalidInput(field="path")``, again with
   nothing sent.
3. The request is sent and only its head read (:class:`~cvatfn._flow.OpenStream`). A non-2xx
   answer's body is read up to :data:`ERROR_BODY_LIMIT` bytes and mapped to the usual error
   (``NotFound``, ``ServerError``, ...).
4. The body is read piece by piece (:class:`~cvatfn._flow.ReadChunk`) and appended to the
   temporary file (:class:`~cvatfn._flow.WriteTemp`). After the head and after each piece a
   :class:`~cvatfn._flow.Progress` effect reports the bytes so far, of the ``Content-Length``
   when the server sent one (and no ``Content-Encoding``, which changes the length).
5. A body shorter or longer than its ``Content-Length`` is an ``UnexpectedResponse``.
6. The temporary file is moved into place (:class:`~cvatfn._flow.CommitTemp`): a hard link
   then an unlink, or a rename after checking the target is still free where links are not
   supported. If a file appeared at the target meanwhile, it is left alone and the download
   fails.

A body that breaks off (a dropped connection, a timeout, fewer bytes than announced) is
downloaded again from the start into a new temporary file, after a backoff, as long as
``Config.retry`` allows; failures before the body (a 5xx, a refused connection) are retried by
:func:`cvatfn._resilient.reopen`, which also follows redirects.

On every failure after step 2 the temporary file is deleted (:class:`~cvatfn._flow.DiscardTemp`)
and the stream released. If the flow is abandoned halfway (the runner is interrupted, the
generator closed), the runner deletes what is left, because it owns the files and streams it
opened (see :mod:`cvatfn._flow`).

Local file failures after the request was sent (a full disk, the target taken meanwhile) are
:class:`~cvatfn.errors.LocalFileError` values naming the path and the request: the server was
reached, but the path could not take the file. Before anything is sent they are
``InvalidInput(field="path")``.
"""

from __future__ import annotations

import os

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._flow import (
    DEFAULT_CHUNK_SIZE,
    Flow,
    TempFile,
    close_stream,
    commit_temp,
    create_temp,
    discard_temp,
    path_exists,
    progress,
    read_chunk,
    write_temp,
)
from cvatfn._resilient import Sent, reopen, wait_to_retry
from cvatfn._session import Session
from cvatfn.errors import (
    CvatError,
    InvalidInput,
    LocalFileError,
    RequestInfo,
    TransportFailure,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.retry import RETRYABLE_TRANSPORT_ERRORS

__all__ = [
    "ERROR_BODY_LIMIT",
    "download_flow",
    "expected_length",
    "read_error_body",
    "save_flow",
]

ERROR_BODY_LIMIT = 64 * 1024
"""At most this many bytes of an error response's body are read (for its DRF message)."""


def expected_length(head: HttpResponse) -> int | None:
    """The body length the head announces, when it can be checked against the bytes received.

    ``None`` without a valid ``Content-Length``, or with a ``Content-Encoding`` other than
    ``identity`` (the transport hands over decoded bytes, whose length differs).

    Examples:
        >>> expected_length(HttpResponse(200, (("Content-Length", "12"),)))
        12
        >>> expected_length(HttpResponse(200, (("Content-Length", "12"),
        ...                                    ("Content-Encoding", "gzip")))) is None
        True
    """
    encoding = (head.header("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("", "identity"):
        return None
    value = (head.header("Content-Length") or "").strip()
    return int(value) if value.isascii() and value.isdecimal() else None


def read_error_body(stream: int, head: HttpResponse) -> Flow[HttpResponse]:
    """Read up to :data:`ERROR_BODY_LIMIT` bytes of a stream's body; the head with that body.

    A transport failure while reading an error body keeps what arrived: the status decides.
    """
    pieces: list[bytes] = []
    size = 0
    while size < ERROR_BODY_LIMIT:
        chunk = yield from read_chunk(stream)
        if isinstance(chunk, TransportError) or not chunk:
            break
        pieces.append(chunk)
        size += len(chunk)
    return HttpResponse(head.status, head.headers, b"".join(pieces)[:ERROR_BODY_LIMIT])


def _path_error(target: str, message: str, request: HttpRequest | None = None) -> CvatError:
    """``InvalidInput`` before anything was sent; ``LocalFileError`` once ``request`` was."""
    if request is None:
        return InvalidInput(message=f"{target!r}: {message}", field="path")
    return LocalFileError(
        message=f"{target!r}: {message}", path=target, request=RequestInfo.of(request)
    )


def _os_message(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def download_flow(
    session: Session, request: HttpRequest, target: str, *, stage: str = "download"
) -> Flow[Result[str, CvatError]]:
    """Stream the body of ``request`` into a new file at ``target``; the result is ``target``.

    See the module docstring for the steps and guarantees. ``stage`` names the progress
    stage. ``session`` is not consulted for the request (``request`` already carries the
    credentials) but keeps the signature of every other flow.

    Examples:
        >>> import os, tempfile
        >>> import cvatfn
        >>> from cvatfn._flow import run_flow
        >>> from cvatfn_fake import FakeServer
        >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                          transport=FakeServer().transport()).unwrap()
        >>> class Hello:  # a transport that answers every request with five bytes
        ...     def handle(self, request):
        ...         return HttpResponse(200, (("Content-Length", "5"),), b"hello")
        >>> folder = tempfile.mkdtemp()
        >>> target = os.path.join(folder, "hello.txt")
        >>> get = HttpRequest("GET", "http://localhost/hello.txt")
        >>> run_flow(Hello(), download_flow(session, get, target)).unwrap() == target
        True
        >>> open(target, "rb").read(), os.listdir(folder)
        (b'hello', ['hello.txt'])
        >>> run_flow(Hello(), download_flow(session, get, target)).failure().field  # exists
        'path'
    """
    if not target or "\0" in target:
        return Failure(_path_error(target, "the path is empty or holds a NUL character"))
    if (yield from path_exists(target)):
        return Failure(_path_error(target, "a file or directory already exists there"))
    policy = session.config.retry
    made = 0
    slept = 0.0
    while True:
        temp = yield from create_temp(target)
        if isinstance(temp, OSError):
            where = os.path.dirname(target) or "."
            message = f"cannot create a file in {where!r}: {_os_message(temp)}"
            return Failure(_path_error(target, message, request if made else None))
        result, attempts, restartable = yield from _stream_into(
            session, request, temp, target, stage
        )
        made += attempts
        if isinstance(result, Success):
            return result
        yield from discard_temp(temp.temp)
        error = result.failure()
        if made > 1:
            error = msgspec.structs.replace(error, attempts=made)
        if not restartable or made >= policy.max_attempts:
            return Failure(error)
        waited = yield from wait_to_retry(policy, made, slept)
        if waited is None:
            return Failure(error)
        slept += waited


def _restartable(error: CvatError) -> bool:
    """Whether a body that broke off is worth downloading again from the start."""
    if isinstance(error, TransportFailure):
        return error.kind in RETRYABLE_TRANSPORT_ERRORS
    return isinstance(error, UnexpectedResponse) and error.message.endswith("(truncated)")


def _stream_into(
    session: Session, request: HttpRequest, temp: TempFile, target: str, stage: str
) -> Flow[tuple[Result[str, CvatError], int, bool]]:
    """One attempt: the result, the requests it took, and whether a new attempt may help."""
    reopened = yield from reopen(request, session.config, DEFAULT_CHUNK_SIZE)
    attempts, opened = reopened.attempts, reopened.outcome
    sent = reopened.request
    if isinstance(opened, TransportError):
        error = _api.failure_of(Sent(sent, opened, attempts))
        assert error is not None
        return Failure(error), attempts, False
    stream, head = opened.stream, opened.head
    if not head.ok:
        response = yield from read_error_body(stream, head)
        yield from close_stream(stream)
        error = _api.failure_of(Sent(sent, response, attempts, reopened.refused))
        assert error is not None
        return Failure(error), attempts, False
    copied = yield from _copy(sent, stream, head, temp, target, stage)
    yield from close_stream(stream)
    if isinstance(copied, Failure):
        return Failure(copied.failure()), attempts, _restartable(copied.failure())
    committed = yield from commit_temp(temp.temp, target)
    if committed is not None:
        if isinstance(committed, FileExistsError):
            message = "a file appeared there during the download; it was left untouched"
        else:
            message = f"cannot move the downloaded file into place: {_os_message(committed)}"
        return Failure(_path_error(target, message, sent)), attempts, False
    return Success(target), attempts, False


def _copy(
    request: HttpRequest,
    stream: int,
    head: HttpResponse,
    temp: TempFile,
    target: str,
    stage: str,
) -> Flow[Result[None, CvatError]]:
    total = expected_length(head)
    done = 0
    yield from progress(stage, done, total)
    while True:
        chunk = yield from read_chunk(stream)
        if isinstance(chunk, TransportError):
            return Failure(_api.transport_failure(request, chunk))
        if not chunk:
            break
        written = yield from write_temp(temp.temp, chunk)
        if written is not None:
            return Failure(_path_error(target, f"cannot write: {_os_message(written)}", request))
        done += len(chunk)
        yield from progress(stage, done, total)
    if total is not None and done != total:
        return Failure(
            UnexpectedResponse(
                message=f"the body has {done} bytes but Content-Length announced {total}"
                + (" (truncated)" if done < total else ""),
                request=RequestInfo.of(request),
                status=head.status,
            )
        )
    return Success(None)


def save_flow(
    target: str, data: bytes, *, request: HttpRequest | None = None
) -> Flow[Result[str, CvatError]]:
    """Write ``data`` (already in memory) to a new file at ``target``, with the guarantees of
    :func:`download_flow`: an existing file is never replaced and no partial file remains.

    ``request`` is the request ``data`` came from; it is named in a failure.

    Examples:
        >>> import os, tempfile
        >>> from cvatfn._flow import run_flow
        >>> target = os.path.join(tempfile.mkdtemp(), "frame.png")
        >>> run_flow(Hello(), save_flow(target, b"png")).unwrap() == target
        True
        >>> run_flow(Hello(), save_flow(target, b"png")).failure().field
        'path'
    """
    if not target or "\0" in target:
        message = "the path is empty or holds a NUL character"
        return Failure(_path_error(target, message, request))
    if (yield from path_exists(target)):
        return Failure(_path_error(target, "a file or directory already exists there", request))
    temp = yield from create_temp(target)
    if isinstance(temp, OSError):
        where = os.path.dirname(target) or "."
        return Failure(
            _path_error(target, f"cannot create a file in {where!r}: {_os_message(temp)}", request)
        )
    failure: str | None = None
    written = yield from write_temp(temp.temp, data)
    if written is not None:
        failure = f"cannot write: {_os_message(written)}"
    else:
        committed = yield from commit_temp(temp.temp, target)
        if isinstance(committed, FileExistsError):
            failure = "a file appeared there meanwhile; it was left untouched"
        elif committed is not None:
            failure = f"cannot move the file into place: {_os_message(committed)}"
    if failure is not None:
        yield from discard_temp(temp.temp)
        return Failure(_path_error(target, failure, request))
    return Success(target)
