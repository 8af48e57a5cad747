"""Flows: multi-step protocols written as generators of effects, and the one runner.

Theory of operation
-------------------
A flow is a generator that *describes* I/O instead of doing it. It yields effect values
and receives their outcomes:

- :class:`Send` an :class:`~cvatfn.http.HttpRequest`; receive an ``HttpResponse`` or a
  ``TransportError`` (as a value, never raised into the flow);
- :class:`Sleep` for some seconds; receive ``None``;
- :class:`Now`; receive the monotonic time in seconds;
- :class:`ReadFile` a byte range; receive ``bytes`` or an ``OSError`` value;
- :class:`FileSize`; receive an ``int`` or an ``OSError`` value;
- :class:`Progress`; receive ``None``.

When the generator returns, its return value is the flow's result. :func:`run` is the only
code in cvatfn that performs these effects: it uses the session's transport, and the
transport's own clock when the transport is a :class:`~cvatfn.http.VirtualClock` (as the fake
server's is), else the real clock. This keeps the protocols pure and testable: a test can
drive a flow by hand with :func:`drive` and assert on the exact sequence of effects.

Example:
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

import os
import time
from collections.abc import Callable, Generator
from typing import Any, TypeAlias, TypeVar, cast

import msgspec

from cvatfn._session import Session
from cvatfn.http import HttpRequest, HttpResponse, Transport, TransportError, VirtualClock

__all__ = [
    "Effect",
    "FileSize",
    "Flow",
    "Now",
    "Progress",
    "ReadFile",
    "Send",
    "Sleep",
    "drive",
    "file_size",
    "now",
    "progress",
    "read_file",
    "run",
    "run_flow",
    "send",
    "sleep",
]

T = TypeVar("T")


class Send(msgspec.Struct, frozen=True):
    """Send one request through the transport."""

    request: HttpRequest


class Sleep(msgspec.Struct, frozen=True):
    """Wait ``seconds``."""

    seconds: float


class Now(msgspec.Struct, frozen=True):
    """Read the monotonic clock."""


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


Effect: TypeAlias = Send | Sleep | Now | ReadFile | FileSize | Progress
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


def drive(flow: Flow[T], perform: Callable[[Effect], object]) -> T:
    """Run ``flow`` to completion, answering each effect with ``perform(effect)``."""
    try:
        effect = next(flow)
        while True:
            effect = flow.send(perform(effect))
    except StopIteration as stop:
        return cast(T, stop.value)


ProgressCallback = Callable[[Progress], None]


def _read_range(path: str, offset: int, size: int) -> bytes | OSError:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(size)
    except OSError as error:
        return error


def _stat_size(path: str) -> int | OSError:
    try:
        return os.stat(path).st_size
    except OSError as error:
        return error


def run(session: Session, flow: Flow[T], *, on_progress: ProgressCallback | None = None) -> T:
    """Run ``flow`` with ``session``'s transport (what every repository function does)."""
    return run_flow(session.transport, flow, on_progress=on_progress)


def run_flow(
    transport: Transport, flow: Flow[T], *, on_progress: ProgressCallback | None = None
) -> T:
    """Perform the effects of ``flow`` for real, with ``transport``; return its result.

    This is the imperative shell of cvatfn: the only place that sends requests, sleeps,
    reads the clock or reads files.
    """
    clock: Callable[[], float]
    pause: Callable[[float], None]
    if isinstance(transport, VirtualClock):
        clock, pause = transport.monotonic, transport.sleep
    else:
        clock, pause = time.monotonic, time.sleep

    def perform(effect: Effect) -> object:
        match effect:
            case Send(request):
                try:
                    return transport.handle(request)
                except TransportError as error:
                    return error
                except Exception as error:  # a transport broke its contract: still a value
                    return TransportError(
                        "protocol", f"transport raised {type(error).__name__}: {error}"
                    )
            case Sleep(seconds):
                if seconds > 0:
                    pause(seconds)
                return None
            case Now():
                return clock()
            case ReadFile(path, offset, size):
                return _read_range(path, offset, size)
            case FileSize(path):
                return _stat_size(path)
            case Progress():
                if on_progress is not None:
                    on_progress(effect)
                return None

    return drive(flow, perform)
