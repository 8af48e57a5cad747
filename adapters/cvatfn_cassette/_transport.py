"""The recording and replaying transports.

Theory of operation
-------------------
A :class:`RecordingTransport` wraps another transport. Each request either is answered from
the cassette (replayed) or goes to the inner transport and is recorded; the record mode decides
which, with vcrpy's meanings:

========================  ==============================  ===========================  ========
mode                      replays from the file           sends to ``inner``           writes
========================  ==============================  ===========================  ========
``once``, file exists     everything; a miss is an error  never                        never
``once``, no file         nothing                         everything                   the file
``new_episodes``          what matches                    what matches nothing         appends
``none``                  everything; a miss is an error  never                        never
``all``                   nothing                         everything                   rewrites
========================  ==============================  ===========================  ========

A :class:`ReplayTransport` is mode ``none`` without an inner transport: it never touches the
network.

**Matching.** A live request is first put in the form it would be recorded in (secrets
replaced by their placeholders, the server's base URL by ``CASSETTE_BASE``; see ``_filters``),
then compared with the cassette's interactions in recorded order. The first interaction that
has not answered yet and that every matcher of ``match_on`` accepts answers it (see
``_matchers``; the default is method, path and order-insensitive query). So identical requests,
such as the polls of ``GET /api/requests/{id}`` that saw ``queued``, ``started`` and then
``finished``, are answered in the order they were recorded. Each interaction answers once;
with ``allow_repeats=True``, a request that only played interactions match is answered again
by the last of them (a poll past the end of a recording sees the final state). Interactions
recorded during this session never answer in the same session: a second poll while recording
reaches the server.

**A miss.** When nothing may answer, ``handle`` raises ``TransportError("not_recorded", ...)``,
the only exception a transport may raise, so cvatfn reports a ``TransportFailure`` value (and
does not retry: a recording does not change). Its
message shows the request, the matchers, and up to three closest recorded requests (ranked by
how many matchers accept them), each with the reason every failing matcher gave, and how to
record the request. The same report is kept as a :class:`CassetteMiss` in ``misses``. A cassette
that cannot be read (missing in a replaying mode, malformed, of an unknown version) does not
make the constructor raise: every ``handle`` raises a ``TransportError`` with the
``CassetteError`` text, and ``load_error`` holds it.

**Time.** Both transports are :class:`~cvatfn.http.VirtualClock`\\s, so cvatfn's runner keeps
time through them. While only replaying, time is virtual: ``sleep`` advances a counter at once,
so a recorded polling flow replays without waiting. While recording, the inner transport's
clock is used when it has one (the fake server's in-process transport does), else the real
clock.

**Writing.** What is recorded is filtered (``redact``, then ``normalise_host``) before it is
kept; the response handed back to the caller is the live one, unfiltered. ``close()`` (also
called on leaving a ``with`` block) writes the cassette atomically with ``dump`` when something
was recorded, and always in mode ``all``. The transports answer through ``handle`` only; the
runner falls back to it for downloads, cutting the body into pieces.

Examples:
    >>> import os, tempfile
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> path = os.path.join(tempfile.mkdtemp(), "connect.json")
    >>> with RecordingTransport(FakeServer().transport(), path) as recorder:
    ...     live = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                           transport=recorder).unwrap()
    >>> replay = ReplayTransport(path)
    >>> again = cvatfn.connect("http://replayed.example:9000", credentials=("admin", "admin"),
    ...                        transport=replay).unwrap()
    >>> (again.server.version == live.server.version, replay.all_played)
    (True, True)
    >>> failure = cvatfn.users.retrieve_current_user(again).failure()
    >>> print(failure.message)  # doctest: +ELLIPSIS
    cassette .../connect.json: no recorded interaction answers
      GET http://replayed.example:9000/api/users/self
    ...
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Literal, get_args

import msgspec
from returns.result import Failure, Result, Success

from cvatfn.http import HttpRequest, HttpResponse, Transport, TransportError, VirtualClock
from cvatfn_cassette._filters import localise_host, normalise_host, redact
from cvatfn_cassette._format import (
    FORMAT_VERSION,
    RECORDED_WITH,
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump,
    iso_timestamp,
    load,
)
from cvatfn_cassette._matchers import DEFAULT_MATCHERS, Matcher, matcher_name

__all__ = [
    "RECORD_MODES",
    "CassetteMiss",
    "MissCandidate",
    "RecordMode",
    "RecordingTransport",
    "ReplayTransport",
]

RecordMode = Literal["once", "new_episodes", "none", "all"]
"""vcrpy's record modes (see the module's table)."""

RECORD_MODES: tuple[RecordMode, ...] = get_args(RecordMode)
"""Every :data:`RecordMode`, for option parsers."""

_CANDIDATES = 3
"""Closest recorded requests shown in a miss report."""

_HINT = (
    "to record it, re-run with --cvat-record-mode=new_episodes "
    '(or RecordingTransport(..., mode="new_episodes"))'
)


class MissCandidate(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded request close to one that nothing answered, and how it differs.

    Examples:
        >>> c = MissCandidate(index=3, method="GET", uri="http://cvat.cassette/api/tasks?page=2",
        ...                   passed=("method", "path"), failed=(("query", "query differs"),))
        >>> c.summary()
        '#3 GET http://cvat.cassette/api/tasks?page=2'
    """

    index: int
    """Position of the interaction in the cassette, from 0."""
    method: str
    uri: str
    passed: tuple[str, ...]
    """Names of the matchers that accept it."""
    failed: tuple[tuple[str, str], ...]
    """``(matcher name, reason)`` for each matcher that rejects it."""
    played: bool = False
    """Whether it has already answered a request (and so cannot answer again)."""

    def summary(self) -> str:
        """One line: position, method and URI."""
        return f"#{self.index} {self.method} {self.uri}"


class CassetteMiss(msgspec.Struct, frozen=True, kw_only=True):
    """A request that no recorded interaction could answer, with the closest candidates.

    Examples:
        >>> miss = CassetteMiss(cassette="c.json", method="GET", url="http://h/api/tasks?page=3",
        ...                     match_on=("method", "path", "query"), recorded=1,
        ...                     candidates=(MissCandidate(index=0, method="GET",
        ...                         uri="http://cvat.cassette/api/tasks?page=2",
        ...                         passed=("method", "path"),
        ...                         failed=(("query", "query differs: page=3 vs page=2"),)),))
        >>> print(miss.message)  # doctest: +ELLIPSIS
        cassette c.json: no recorded interaction answers
          GET http://h/api/tasks?page=3
        matching on method, path, query; closest of 1 recorded interaction(s):
          #0 GET http://cvat.cassette/api/tasks?page=2
             query: query differs: page=3 vs page=2
        to record it, re-run with --cvat-record-mode=new_episodes ...
    """

    cassette: str
    """The cassette's path."""
    method: str
    url: str
    """The live request's URL."""
    match_on: tuple[str, ...]
    """Names of the matchers in use."""
    recorded: int
    """How many interactions the cassette holds."""
    candidates: tuple[MissCandidate, ...]
    """The closest recorded requests, closest first."""

    @property
    def message(self) -> str:
        """The report, several lines of text."""
        lines = [
            f"cassette {self.cassette}: no recorded interaction answers",
            f"  {self.method} {self.url}",
        ]
        matchers = ", ".join(self.match_on) or "nothing"
        if not self.candidates:
            lines.append(f"matching on {matchers}; the cassette has no interactions")
        else:
            lines.append(
                f"matching on {matchers}; closest of {self.recorded} recorded interaction(s):"
            )
        for candidate in self.candidates:
            lines.append(f"  {candidate.summary()}")
            lines.extend(f"     {name}: {reason}" for name, reason in candidate.failed)
            if candidate.played:
                lines.append(
                    "     already played: each interaction answers once (allow_repeats=False)"
                    if not candidate.failed
                    else "     (already played)"
                )
        lines.append(_HINT)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message


class _Tape:
    """The interactions of a cassette file, what has answered, and the matching."""

    def __init__(
        self,
        path: str,
        interactions: Sequence[Interaction],
        match_on: Sequence[Matcher],
        allow_repeats: bool,
    ) -> None:
        self.path = path
        self.interactions = tuple(interactions)
        self.plays = [0] * len(self.interactions)
        self.match_on = tuple(match_on)
        self.allow_repeats = allow_repeats

    def _accepts(self, request: HttpRequest, index: int) -> bool:
        recorded = self.interactions[index].request
        return all(matcher(request, recorded) is None for matcher in self.match_on)

    def take(self, request: HttpRequest) -> Interaction | None:
        """The interaction that answers ``request`` (in recorded form), marked as played."""
        for index, plays in enumerate(self.plays):
            if plays == 0 and self._accepts(request, index):
                self.plays[index] += 1
                return self.interactions[index]
        if self.allow_repeats:
            for index in reversed(range(len(self.interactions))):
                if self._accepts(request, index):
                    self.plays[index] += 1
                    return self.interactions[index]
        return None

    def miss(self, live: HttpRequest, request: HttpRequest) -> CassetteMiss:
        """The report for ``live`` (whose recorded form ``request`` nothing answers)."""
        candidates: list[MissCandidate] = []
        for index, interaction in enumerate(self.interactions):
            recorded = interaction.request
            passed: list[str] = []
            failed: list[tuple[str, str]] = []
            for matcher in self.match_on:
                reason = matcher(request, recorded)
                if reason is None:
                    passed.append(matcher_name(matcher))
                else:
                    failed.append((matcher_name(matcher), reason))
            candidates.append(
                MissCandidate(
                    index=index,
                    method=recorded.method,
                    uri=recorded.uri,
                    passed=tuple(passed),
                    failed=tuple(failed),
                    played=self.plays[index] > 0,
                )
            )
        candidates.sort(key=lambda c: (-len(c.passed), c.index))
        return CassetteMiss(
            cassette=self.path,
            method=live.method,
            url=live.url,
            match_on=tuple(matcher_name(m) for m in self.match_on),
            recorded=len(self.interactions),
            candidates=tuple(candidates[:_CANDIDATES]),
        )

    @property
    def all_played(self) -> bool:
        return all(self.plays)


class _VirtualTime:
    """A clock that ``sleep`` advances at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.now += seconds


class _RealTime:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


_NO_RESPONSE = RecordedResponse.of(HttpResponse(0))


def _as_recorded(request: HttpRequest) -> HttpRequest:
    """``request`` as a cassette would hold it: secrets and base URL replaced."""
    probe = Interaction(request=RecordedRequest.of(request), response=_NO_RESPONSE, recorded_at="")
    return normalise_host(redact(probe), request.url).request.to_http()


def _broken(inner: Transport, error: Exception) -> TransportError:
    return TransportError(
        "protocol", f"{type(inner).__name__} broke the transport contract: {error!r}"
    )


class _CassetteTransport:
    """What both transports share: the tape, the misses, the clock and the lock."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: RecordMode,
        inner: Transport | None,
        match_on: Sequence[Matcher],
        allow_repeats: bool,
    ) -> None:
        if mode not in RECORD_MODES:
            raise ValueError(f"unknown record mode {mode!r}; expected one of {RECORD_MODES}")
        self.path = os.fspath(path)
        self.mode: RecordMode = mode
        self.match_on: tuple[Matcher, ...] = tuple(match_on)
        self.allow_repeats = allow_repeats
        self._inner = inner
        self._lock = threading.Lock()
        self._misses: list[CassetteMiss] = []
        self._recorded: list[Interaction] = []
        self._load_error: CassetteError | None = None
        self._dirty = mode == "all"
        exists = os.path.exists(self.path)
        self._replays = mode in ("none", "new_episodes") or (mode == "once" and exists)
        self._records = mode in ("new_episodes", "all") or (mode == "once" and not exists)
        interactions: tuple[Interaction, ...] = ()
        if self._replays and (exists or mode != "new_episodes"):
            match load(self.path):
                case Success(Cassette() as cassette):
                    interactions = cassette.interactions
                case Failure(CassetteError() as error):
                    self._load_error = error
                case _:  # pragma: no cover - load returns one of the above
                    pass
        self._tape = _Tape(self.path, interactions, self.match_on, allow_repeats)
        self._clock: VirtualClock
        if self._records and inner is not None:
            self._clock = inner if isinstance(inner, VirtualClock) else _RealTime()
        else:
            self._clock = _VirtualTime()

    # -- the Transport protocol

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer ``request`` from the cassette or through the inner transport (and record it).

        Raises :class:`~cvatfn.http.TransportError` (and nothing else) on a miss, when the
        cassette cannot be read, and when a matcher or the inner transport fails.
        """
        if self._load_error is not None:
            raise TransportError("not_recorded", str(self._load_error), url=request.url)
        if self._replays:
            replayed = self._replay(request)
            if replayed is not None:
                return replayed
        return self._record(request)

    def _replay(self, request: HttpRequest) -> HttpResponse | None:
        """The recorded answer to ``request``; ``None`` when it is to be recorded instead."""
        miss: CassetteMiss | None = None
        try:
            as_recorded = _as_recorded(request)
            with self._lock:
                found = self._tape.take(as_recorded)
                if found is None and not self._records:
                    miss = self._tape.miss(request, as_recorded)
                    self._misses.append(miss)
            if found is not None:
                return localise_host(found.response.to_http(), request.url)
        except Exception as error:  # a custom matcher failed, say: still only a TransportError
            raise TransportError(
                "protocol",
                f"cassette {self.path}: cannot replay {request.method} {request.url}: {error!r}",
                url=request.url,
            ) from error
        if miss is not None:
            raise TransportError("not_recorded", miss.message, url=request.url)
        return None

    def _record(self, request: HttpRequest) -> HttpResponse:
        inner = self._inner
        if inner is None:  # pragma: no cover - only replaying transports have no inner one
            raise TransportError("protocol", "no transport to record with", url=request.url)
        try:
            response = inner.handle(request)
        except TransportError:
            raise
        except Exception as error:  # the inner transport broke its contract: still a value
            raise _broken(inner, error) from error
        try:
            interaction = Interaction(
                request=RecordedRequest.of(request),
                response=RecordedResponse.of(response),
                recorded_at=iso_timestamp(),
            )
            kept = normalise_host(redact(interaction), request.url)
        except Exception as error:  # never keep what could not be filtered
            raise TransportError(
                "protocol",
                f"cassette {self.path}: cannot record {request.method} {request.url}: {error!r}",
                url=request.url,
            ) from error
        with self._lock:
            self._recorded.append(kept)
            self._dirty = True
        return response

    # -- the VirtualClock protocol

    def monotonic(self) -> float:
        """Seconds on this transport's clock (virtual while only replaying)."""
        return self._clock.monotonic()

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass: at once while only replaying, else on the inner/real clock."""
        self._clock.sleep(seconds)

    # -- inspection

    @property
    def misses(self) -> tuple[CassetteMiss, ...]:
        """Every request nothing could answer, in order."""
        with self._lock:
            return tuple(self._misses)

    @property
    def load_error(self) -> CassetteError | None:
        """Why the cassette could not be read, if it could not."""
        return self._load_error

    @property
    def all_played(self) -> bool:
        """Whether every interaction read from the cassette has answered a request."""
        with self._lock:
            return self._tape.all_played

    @property
    def recorded(self) -> tuple[Interaction, ...]:
        """The interactions recorded by this transport so far (filtered, as they are written)."""
        with self._lock:
            return tuple(self._recorded)

    # -- writing

    def close(self) -> Result[None, CassetteError]:
        """Write the cassette if anything was recorded (always in mode ``all``).

        The file is the cassette's interactions followed by the new ones in mode
        ``new_episodes``, and only the new ones otherwise. Closing again writes only what was
        recorded since.
        """
        with self._lock:
            if not self._dirty:
                return Success(None)
            kept = self._tape.interactions if self.mode == "new_episodes" else ()
            cassette = Cassette(
                version=FORMAT_VERSION,
                recorded_with=RECORDED_WITH,
                interactions=(*kept, *self._recorded),
            )
            written = dump(cassette, self.path)
            if isinstance(written, Success):
                self._dirty = False
            return written

    def __enter__(self) -> _CassetteTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        written = self.close()
        if isinstance(written, Failure) and exc is None:
            raise OSError(str(written.failure()))


class RecordingTransport(_CassetteTransport):
    """A transport that records the exchanges with ``inner`` into a cassette, or replays them.

    ``mode`` is a :data:`RecordMode` (see the module's table); ``match_on`` the matchers a
    recorded request must pass to answer; ``allow_repeats`` lets an interaction answer more
    than once. Call :meth:`close` (or use ``with``) to write the cassette; it returns a
    ``Result`` and leaving the ``with`` block raises ``OSError`` if the file cannot be written.

    Examples:
        >>> import os, tempfile
        >>> from cvatfn.http import HttpRequest
        >>> from cvatfn_fake import FakeServer
        >>> path = os.path.join(tempfile.mkdtemp(), "about.json")
        >>> recorder = RecordingTransport(FakeServer().transport(), path, mode="all")
        >>> recorder.handle(HttpRequest("GET", "http://localhost/api/server/about")).status
        200
        >>> recorder.close(), len(load(path).unwrap().interactions)
        (<Success: None>, 1)
    """

    def __init__(
        self,
        inner: Transport,
        path: str | os.PathLike[str],
        *,
        mode: RecordMode = "once",
        match_on: Sequence[Matcher] = DEFAULT_MATCHERS,
        allow_repeats: bool = False,
    ) -> None:
        super().__init__(
            path, mode=mode, inner=inner, match_on=match_on, allow_repeats=allow_repeats
        )

    def __enter__(self) -> RecordingTransport:
        return self


class ReplayTransport(_CassetteTransport):
    """A transport that only replays a cassette (mode ``none``); it never touches the network.

    Examples:
        >>> import os, tempfile
        >>> from cvatfn.http import HttpRequest
        >>> replay = ReplayTransport(os.path.join(tempfile.mkdtemp(), "absent.json"))
        >>> try:
        ...     replay.handle(HttpRequest("GET", "http://localhost/api/server/about"))
        ... except TransportError as error:
        ...     print(error.kind, "absent.json" in error.message)
        not_recorded True
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        match_on: Sequence[Matcher] = DEFAULT_MATCHERS,
        allow_repeats: bool = False,
    ) -> None:
        super().__init__(
            path, mode="none", inner=None, match_on=match_on, allow_repeats=allow_repeats
        )

    def __enter__(self) -> ReplayTransport:
        return self
