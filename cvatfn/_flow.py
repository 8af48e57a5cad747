"""Flows: multi-step protocols written as generators of effects, and the one runner.

Theory of operation
-------------------
A flow is a generator that *describes* I/O instead of doing it. It yields effect values
and receives their outcomes:

- :class:`Send` an :class:`~cvatfn.http.HttpRequest`; receive an ``HttpResponse`` or a
  ``TransportError`` (as a value, never raised into the flow);
- :class:`Sleep` for some seconds; receive ``None``;
- :class:`Now`; receive the monotonic time in seconds;
- :class:`Random`; receive a float drawn uniformly from [0, 1) (the jitter of retry delays);
- :class:`ReadFile` a byte range; receive ``bytes`` or an ``OSError`` value;
- :class:`FileSize`; receive an ``int`` or an ``OSError`` value;
- :class:`Progress`; receive ``None``.

Downloads stream, so they take finer effects. Streams and temporary files are named by small
integer handles that the runner hands out:

- :class:`OpenStream` sends a request and reads only its head; receive a
  :class:`StreamOpened` (the handle and an ``HttpResponse`` with status and headers) or a
  ``TransportError``;
- :class:`ReadChunk` reads the next piece of a stream's body; receive non-empty ``bytes``,
  ``b""`` at the end, or a ``TransportError``;
- :class:`CloseStream` releases a stream; receive ``None``;
- :class:`MakeDirs` creates a directory and its parents unless it exists; receive ``None`` or
  an ``OSError``;
- :class:`PathExists` asks whether anything (a file, a directory, a dangling link) has a path;
  receive a ``bool``;
- :class:`CreateTemp` creates an empty temporary file in the directory of a target path;
  receive a :class:`TempFile` or an ``OSError``;
- :class:`WriteTemp` appends bytes to it; receive ``None`` or an ``OSError``;
- :class:`CommitTemp` moves it to its target without ever replacing an existing file; receive
  ``None`` or an ``OSError`` (``FileExistsError`` when the target appeared meanwhile);
- :class:`DiscardTemp` deletes it; receive ``None``.

When the generator returns, its return value is the flow's result. :func:`run` is the only code
in cvatfn that performs these effects: it uses the session's transport, and the transport's own
clock when the transport is a :class:`~cvatfn.http.VirtualClock` (as the fake server's is), else
the real clock; with a virtual clock, :class:`Random` draws from a generator seeded per run, so
that a run against the fake server is reproducible. Bodies stream through the transport's
``stream`` when it is a :class:`~cvatfn.http.StreamingTransport`; otherwise ``handle`` answers
and the runner cuts the body into the same pieces. The runner keeps track of every stream and
temporary file it opened and, however the flow ends (returned, raised, interrupted, closed
early), closes the streams and deletes the temporary files that were not committed. Progress
effects go to the ``progress=`` reporter through a :class:`~cvatfn.progress.ProgressRouter`.

This keeps the protocols pure and testable: a test can drive a flow by hand with
:func:`drive` and assert on the exact sequence of effects.

Examples:
    >>> def two_sleeps() -> Flow[str]:
    ...     yield from sleep(1.0)
    ...     yield from sleep(2.0)
    ...     return "done"
    >>> effects: list[object] = []
    >>> drive(two_sleeps(), lambda e: effects.append(e))
    'done'
    >>> effects
    [Sleep(seconds=1.0), Sleep(seconds=2.0)]
"""

from __future__ import annotations

import contextlib
import errno
import os
import random as _random
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, BinaryIO, TypeAlias, TypeVar, cast

import msgspec

from cvatfn._session import Session
from cvatfn.http import (
    HttpRequest,
    HttpResponse,
    StreamingTransport,
    Transport,
    TransportError,
    VirtualClock,
)
from cvatfn.progress import ProgressReporter, ProgressRouter

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CloseStream",
    "CommitTemp",
    "CreateTemp",
    "DiscardTemp",
    "Effect",
    "FileSize",
    "Flow",
    "MakeDirs",
    "Now",
    "OpenStream",
    "PathExists",
    "Progress",
    "Random",
    "ReadChunk",
    "ReadFile",
    "Send",
    "Sleep",
    "StreamOpened",
    "TempFile",
    "WriteTemp",
    "close_stream",
    "commit_temp",
    "create_temp",
    "discard_temp",
    "drive",
    "file_size",
    "make_dirs",
    "now",
    "open_stream",
    "path_exists",
    "progress",
    "random",
    "read_chunk",
    "read_file",
    "run",
    "run_flow",
    "send",
    "sleep",
    "write_temp",
]

T = TypeVar("T")

DEFAULT_CHUNK_SIZE = 1024 * 1024
"""Bytes per :class:`ReadChunk` of a download, unless the flow asks for another size."""


class Send(msgspec.Struct, frozen=True):
    """Send one request through the transport."""

    request: HttpRequest


class Sleep(msgspec.Struct, frozen=True):
    """Wait ``seconds``."""

    seconds: float


class Now(msgspec.Struct, frozen=True):
    """Read the monotonic clock."""


class Random(msgspec.Struct, frozen=True):
    """Draw a float uniformly from [0, 1)."""


class ReadFile(msgspec.Struct, frozen=True):
    """Read up to ``size`` bytes of ``path`` from ``offset``."""

    path: str
    offset: int
    size: int


class FileSize(msgspec.Struct, frozen=True):
    """Stat ``path`` for its size in bytes."""

    path: str


class Progress(msgspec.Struct, frozen=True):
    """Report progress of a long operation: ``done`` of ``total`` units (bytes or steps)."""

    stage: str
    done: int
    total: int | None = None


class OpenStream(msgspec.Struct, frozen=True):
    """Send ``request`` and read the response head; the body is read with :class:`ReadChunk`."""

    request: HttpRequest
    chunk_size: int = DEFAULT_CHUNK_SIZE


class StreamOpened(msgspec.Struct, frozen=True):
    """The outcome of :class:`OpenStream`: a stream handle and the head (empty body)."""

    stream: int
    head: HttpResponse


class ReadChunk(msgspec.Struct, frozen=True):
    """Read the next piece of a stream's body (``b""`` at the end)."""

    stream: int


class CloseStream(msgspec.Struct, frozen=True):
    """Release a stream (its connection is closed if the body was not read to the end)."""

    stream: int


class PathExists(msgspec.Struct, frozen=True):
    """Whether anything exists at ``path`` (a dangling symbolic link counts)."""

    path: str


class MakeDirs(msgspec.Struct, frozen=True):
    """Create directory ``path`` and its missing parents; an existing directory is fine."""

    path: str


class CreateTemp(msgspec.Struct, frozen=True):
    """Create an empty temporary file in the directory of ``target``, for writing."""

    target: str


class TempFile(msgspec.Struct, frozen=True):
    """The outcome of :class:`CreateTemp`: a handle and the temporary file's path."""

    temp: int
    path: str


class WriteTemp(msgspec.Struct, frozen=True):
    """Append ``data`` to a temporary file."""

    temp: int
    data: bytes

    def __repr__(self) -> str:
        return f"WriteTemp(temp={self.temp}, data=<{len(self.data)} bytes>)"


class CommitTemp(msgspec.Struct, frozen=True):
    """Move a temporary file to ``target``; an existing ``target`` is never replaced."""

    temp: int
    target: str


class DiscardTemp(msgspec.Struct, frozen=True):
    """Delete a temporary file that will not be committed."""

    temp: int


Effect: TypeAlias = (
    Send
    | Sleep
    | Now
    | Random
    | ReadFile
    | FileSize
    | Progress
    | OpenStream
    | ReadChunk
    | CloseStream
    | PathExists
    | MakeDirs
    | CreateTemp
    | WriteTemp
    | CommitTemp
    | DiscardTemp
)
Flow: TypeAlias = Generator[Effect, Any, T]
"""A generator of effects returning ``T``."""


def send(request: HttpRequest) -> Flow[HttpResponse | TransportError]:
    """Effect helper: send ``request``; the outcome is a response or a transport error value."""
    outcome = yield Send(request)
    return cast(HttpResponse | TransportError, outcome)


def sleep(seconds: float) -> Flow[None]:
    """Effect helper: wait ``seconds``."""
    yield Sleep(seconds)


def now() -> Flow[float]:
    """Effect helper: the monotonic time in seconds."""
    value = yield Now()
    return cast(float, value)


def random() -> Flow[float]:
    """Effect helper: a float drawn uniformly from [0, 1)."""
    value = yield Random()
    return cast(float, value)


def read_file(path: str, offset: int, size: int) -> Flow[bytes | OSError]:
    """Effect helper: read a byte range of a local file."""
    value = yield ReadFile(path, offset, size)
    return cast(bytes | OSError, value)


def file_size(path: str) -> Flow[int | OSError]:
    """Effect helper: the size of a local file."""
    value = yield FileSize(path)
    return cast(int | OSError, value)


def progress(stage: str, done: int, total: int | None = None) -> Flow[None]:
    """Effect helper: report progress."""
    yield Progress(stage, done, total)


def open_stream(
    request: HttpRequest, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Flow[StreamOpened | TransportError]:
    """Effect helper: send ``request`` and read its head."""
    value = yield OpenStream(request, chunk_size)
    return cast(StreamOpened | TransportError, value)


def read_chunk(stream: int) -> Flow[bytes | TransportError]:
    """Effect helper: the next piece of a stream's body, ``b""`` at the end."""
    value = yield ReadChunk(stream)
    return cast(bytes | TransportError, value)


def close_stream(stream: int) -> Flow[None]:
    """Effect helper: release a stream."""
    yield CloseStream(stream)


def path_exists(path: str) -> Flow[bool]:
    """Effect helper: whether anything exists at ``path``."""
    value = yield PathExists(path)
    return bool(value)


def make_dirs(path: str) -> Flow[OSError | None]:
    """Effect helper: create a directory (and its parents) unless it exists."""
    value = yield MakeDirs(path)
    return cast(OSError | None, value)


def create_temp(target: str) -> Flow[TempFile | OSError]:
    """Effect helper: a new temporary file next to ``target``."""
    value = yield CreateTemp(target)
    return cast(TempFile | OSError, value)


def write_temp(temp: int, data: bytes) -> Flow[OSError | None]:
    """Effect helper: append ``data`` to a temporary file."""
    value = yield WriteTemp(temp, data)
    return cast(OSError | None, value)


def commit_temp(temp: int, target: str) -> Flow[OSError | None]:
    """Effect helper: move a temporary file into place, never replacing ``target``."""
    value = yield CommitTemp(temp, target)
    return cast(OSError | None, value)


def discard_temp(temp: int) -> Flow[None]:
    """Effect helper: delete a temporary file."""
    yield DiscardTemp(temp)


def drive(flow: Flow[T], perform: Callable[[Effect], object]) -> T:
    """Run ``flow`` to completion, answering each effect with ``perform(effect)``.

    If ``perform`` raises, the flow is closed before the exception propagates.
    """
    try:
        effect = next(flow)
        while True:
            effect = flow.send(perform(effect))
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        flow.close()


ProgressCallback = Callable[[Progress], None]


def _os_error(error: OSError | ValueError) -> OSError:
    """File operations raise ``ValueError`` for some bad paths (an embedded NUL): an OSError."""
    return error if isinstance(error, OSError) else OSError(errno.EINVAL, str(error))


def _read_range(path: str, offset: int, size: int) -> bytes | OSError:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(size)
    except (OSError, ValueError) as error:
        return _os_error(error)


def _stat_size(path: str) -> int | OSError:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError) as error:
        return _os_error(error)


def _make_dirs(path: str) -> OSError | None:
    try:
        os.makedirs(path, exist_ok=True)
    except (OSError, ValueError) as error:
        return _os_error(error)
    return None


def _broken(error: Exception) -> TransportError:
    """A transport that raised something else than ``TransportError`` broke its contract."""
    return TransportError("protocol", f"transport raised {type(error).__name__}: {error}")


class _Stream:
    """An open response body: its pieces and how to release it."""

    __slots__ = ("chunks", "release")

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], object]) -> None:
        self.chunks = chunks
        self.release = release


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


class _Temp:
    __slots__ = ("file", "path")

    def __init__(self, path: str, file: BinaryIO) -> None:
        self.path = path
        self.file = file


_TEMP_SUFFIX = ".part"
_MAX_TEMP_STEM = 100


def _move_without_replacing(source: str, target: str) -> None:
    """Give ``source`` the name ``target``, failing with ``FileExistsError`` if it exists.

    A hard link is atomic and never replaces; where links are not supported (some file
    systems), a rename after checking that nothing is at ``target``.
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except (OSError, NotImplementedError, AttributeError):
        if os.path.lexists(target):
            raise FileExistsError(17, "File exists", target) from None
        os.rename(source, target)
        return
    with contextlib.suppress(OSError):
        os.unlink(source)


class _Shell:
    """Performs effects for :func:`run_flow` and owns what they open."""

    def __init__(
        self,
        transport: Transport,
        router: ProgressRouter,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.transport = transport
        self.router = router
        self.on_progress = on_progress
        self.clock: Callable[[], float]
        self.pause: Callable[[float], None]
        if isinstance(transport, VirtualClock):
            self.clock, self.pause = transport.monotonic, transport.sleep
            # A virtual clock means a deterministic run: the jitter is seeded too.
            self.random = _random.Random(0)
        else:
            self.clock, self.pause = time.monotonic, time.sleep
            self.random = _random.Random()
        self.streams: dict[int, _Stream] = {}
        self.temps: dict[int, _Temp] = {}
        self.next_handle = 1

    def _handle(self) -> int:
        handle, self.next_handle = self.next_handle, self.next_handle + 1
        return handle

    def perform(self, effect: Effect) -> object:
        match effect:
            case Send(request):
                try:
                    return self.transport.handle(request)
                except TransportError as error:
                    return error
                except Exception as error:  # a transport broke its contract: still a value
                    return _broken(error)
            case Sleep(seconds):
                if seconds > 0:
                    self.pause(seconds)
                return None
            case Now():
                return self.clock()
            case Random():
                return self.random.random()
            case ReadFile(path, offset, size):
                return _read_range(path, offset, size)
            case FileSize(path):
                return _stat_size(path)
            case Progress(stage, done, total):
                self.router.report(stage, done, total)
                if self.on_progress is not None:
                    self.on_progress(effect)
                return None
            case OpenStream(request, chunk_size):
                return self.open_stream(request, chunk_size)
            case ReadChunk(stream):
                return self.read_chunk(stream)
            case CloseStream(stream):
                self.close_stream(stream)
                return None
            case PathExists(path):
                return os.path.lexists(path)
            case MakeDirs(path):
                return _make_dirs(path)
            case CreateTemp(target):
                return self.create_temp(target)
            case WriteTemp(temp, data):
                return self.write_temp(temp, data)
            case CommitTemp(temp, target):
                return self.commit_temp(temp, target)
            case DiscardTemp(temp):
                self.discard_temp(temp)
                return None

    # -- streams

    def open_stream(self, request: HttpRequest, chunk_size: int) -> StreamOpened | TransportError:
        size = max(1, chunk_size)
        transport = self.transport
        try:
            if isinstance(transport, StreamingTransport):
                context = transport.stream(request, chunk_size=size)
                head, chunks = context.__enter__()
                stream = _Stream(chunks, lambda: context.__exit__(None, None, None))
            else:
                response = transport.handle(request)
                head = HttpResponse(response.status, response.headers)
                stream = _Stream(_pieces(response.body, size), lambda: None)
        except TransportError as error:
            return error
        except Exception as error:
            return _broken(error)
        handle = self._handle()
        self.streams[handle] = stream
        return StreamOpened(handle, head)

    def read_chunk(self, handle: int) -> bytes | TransportError:
        stream = self.streams.get(handle)
        if stream is None:
            return TransportError("protocol", f"stream {handle} is not open")
        try:
            for chunk in stream.chunks:
                if chunk:
                    return bytes(chunk)
            return b""
        except TransportError as error:
            return error
        except Exception as error:
            return _broken(error)

    def close_stream(self, handle: int) -> None:
        stream = self.streams.pop(handle, None)
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.release()

    # -- temporary files

    def create_temp(self, target: str) -> TempFile | OSError:
        try:
            directory, name = os.path.split(os.path.abspath(target))
            descriptor, path = tempfile.mkstemp(
                prefix=f".{name[:_MAX_TEMP_STEM]}.", suffix=_TEMP_SUFFIX, dir=directory
            )
        except (OSError, ValueError) as error:
            return _os_error(error)
        try:
            file = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        handle = self._handle()
        self.temps[handle] = _Temp(path, file)
        return TempFile(handle, path)

    def write_temp(self, handle: int, data: bytes) -> OSError | None:
        temp = self.temps.get(handle)
        if temp is None:
            return OSError(f"temporary file {handle} is not open")
        try:
            temp.file.write(data)
        except (OSError, ValueError) as error:
            return _os_error(error)
        return None

    def commit_temp(self, handle: int, target: str) -> OSError | None:
        temp = self.temps.get(handle)
        if temp is None:
            return OSError(f"temporary file {handle} is not open")
        try:
            temp.file.flush()
            os.fsync(temp.file.fileno())
            temp.file.close()
            _move_without_replacing(temp.path, target)
        except (OSError, ValueError) as error:
            return _os_error(error)
        del self.temps[handle]
        return None

    def discard_temp(self, handle: int) -> None:
        temp = self.temps.pop(handle, None)
        if temp is not None:
            with contextlib.suppress(Exception):
                temp.file.close()
            with contextlib.suppress(OSError):
                os.unlink(temp.path)

    def close(self) -> None:
        """Release every stream and delete every temporary file still open; finish progress."""
        for handle in list(self.streams):
            self.close_stream(handle)
        for handle in list(self.temps):
            self.discard_temp(handle)
        self.router.close()


def run(
    session: Session,
    flow: Flow[T],
    *,
    progress: ProgressReporter | None = None,
    on_progress: ProgressCallback | None = None,
) -> T:
    """Run ``flow`` with ``session``'s transport (what every repository function does).

    ``progress`` receives the flow's progress (see :mod:`cvatfn.progress`); ``on_progress``
    receives the raw :class:`Progress` effects.
    """
    return run_flow(session.transport, flow, progress=progress, on_progress=on_progress)


def run_flow(
    transport: Transport,
    flow: Flow[T],
    *,
    progress: ProgressReporter | None = None,
    on_progress: ProgressCallback | None = None,
) -> T:
    """Perform the effects of ``flow`` for real, with ``transport``; return its result.

    This is the imperative shell of cvatfn: the only place that sends requests, sleeps,
    reads the clock or touches files. Whatever happens -- even an exception or a
    ``KeyboardInterrupt`` in the middle -- the streams it opened are released and the
    temporary files it created and did not commit are deleted before it returns or raises.
    """
    shell = _Shell(transport, ProgressRouter(progress), on_progress)
    try:
        return drive(flow, shell.perform)
    finally:
        shell.close()
