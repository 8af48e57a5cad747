"""Fault injection: error statuses, dropped connections, cut TUS chunks, expired sessions and
latency, on demand or at a seeded random rate.

Theory of operation
-------------------
Every :class:`~cvatfn_fake.FakeServer` owns one :class:`FaultInjector`, ``server.faults``.
Faults are decided in one place, the injector, so the in-process transport and the HTTP front
behave the same way. For each request, :meth:`FakeServer.exchange
<cvatfn_fake.FakeServer.exchange>`:

1. waits out the latency (:meth:`FaultInjector.set_latency`): the virtual clock advances, or,
   with a real clock or over the HTTP front, the serving thread sleeps;
2. asks the injector for a fault (:meth:`FaultInjector.decide`). Pending faults
   (:meth:`~FaultInjector.fail_next`, :meth:`~FaultInjector.drop_next`) are tried in the order
   they were added, and the first whose ``method`` and ``path`` match is used up; otherwise
   the plan (:meth:`~FaultInjector.plan`) draws from its own seeded generator. Inside
   :meth:`~FaultInjector.suspended` nothing is decided and nothing is drawn;
3. with a fault in phase ``"before"``, the request never reaches the application: nothing
   changes on the server. Otherwise the request is served, state changes included, and a fault
   in phase ``"after"`` replaces the answer (a gateway that timed out after the work was
   done). A TUS ``PATCH`` asks the injector how much of its chunk to keep
   (:meth:`~FaultInjector.take_tus_cut`); a cut keeps that prefix, advances the upload's
   offset by as much and then fails the answer;
4. the answer is an :class:`~cvatfn.http.HttpResponse` or a :class:`Dropped` connection. The
   in-process transport raises :class:`DroppedConnection` (a
   :class:`cvatfn.http.TransportError` of kind ``"protocol"``) for a drop, after handing over
   the part of the body that got through when the response is streamed; the HTTP front
   writes that part (status line, headers with the full ``Content-Length``, part of the body,
   or nothing at all) and closes the socket.

The answers look like what a CVAT deployment sends. 429 is Django REST framework's
``Throttled``: ``{"detail": "Request was throttled. Expected available in N seconds."}`` with
``Retry-After``. 500 is Django's production error page (HTML). 408, 502, 503 and 504 are the
HTML pages of the nginx reverse proxy in front of CVAT. Any other status gets DRF's
``{"detail": "<reason phrase>"}``. A ``Retry-After`` given to a fault is sent as given, a
number of seconds or an HTTP date.

Each injected fault is counted in :attr:`FaultInjector.injected` under one key:
``"status_<code>"``, ``"drop"``, ``"tus_cut"`` (whatever the cut's answer was) or
``"background"`` (a background request failed by :meth:`~FaultInjector.fail_background`),
and described in :attr:`FaultInjector.events`. The server's ``log`` records what the client
saw: a replaced answer as sent; for a drop, the head and the part of the body that got
through, marked with an ``X-Cvatfn-Fake-Fault`` header, or, when nothing at all was sent, a
response with status ``0`` (:data:`NO_RESPONSE`) that carries only that header.

Sessions (:meth:`FaultInjector.expire_sessions`) expire the way a CVAT session ends when
Django's session store forgets it: the next request with the old ``sessionid`` cookie is
anonymous (no CSRF check applies then), so DRF answers 401
``{"detail": "Authentication credentials were not provided."}`` with
``WWW-Authenticate: Token``, and the answer deletes the stale cookie
(``Set-Cookie: sessionid=""; expires=Thu, 01 Jan 1970 ...; Max-Age=0``), as Django's
``SessionMiddleware`` does. Token, access-token and Basic authentication are not affected.
"""

from __future__ import annotations

import contextvars
import json
import math
import random
import re
from collections import Counter, deque
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, cast
from urllib.parse import urlsplit

from cvatfn.http import HttpRequest, HttpResponse, TransportError

if TYPE_CHECKING:
    from ._server import FakeServer

__all__ = [
    "NO_RESPONSE",
    "Dropped",
    "DroppedConnection",
    "FaultEvent",
    "FaultInjector",
    "FaultPlan",
    "fault_response",
    "logged_answer",
    "wall_clock",
]

Phase = Literal["before", "after"]
"""``"before"``: the request is not processed at all; ``"after"``: it is, then the answer is
replaced."""

NO_RESPONSE = 0
"""The status logged for a dropped connection on which nothing at all was sent."""

FAULT_HEADER = "X-Cvatfn-Fake-Fault"
"""Marks a dropped connection in the server's log (never sent to a client)."""

_ON_WALL_CLOCK: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cvatfn_fake_wall_clock", default=False
)


@contextmanager
def wall_clock() -> Generator[None]:
    """Within this block, latency is slept for real even on a virtual clock (the HTTP front
    serves each request inside it: its clients wait on real time).

    Examples:
        >>> with wall_clock():
        ...     pass
    """
    token = _ON_WALL_CLOCK.set(True)
    try:
        yield
    finally:
        _ON_WALL_CLOCK.reset(token)


def on_wall_clock() -> bool:
    """Whether the current request is served inside :func:`wall_clock`."""
    return _ON_WALL_CLOCK.get()


# ------------------------------------------------------------------------------ values
@dataclass(frozen=True)
class FaultPlan:
    """Random faults on a ``rate`` fraction of requests, drawn from ``random.Random(seed)``.

    The plan's generator is its own, independent of the server's other randomness, so the same
    plan and the same requests give the same faults. For each request that matches ``method``
    and ``path`` (a regular expression searched in the URL's path; ``None`` matches all) and
    that no pending fault took, a fault happens with probability ``rate``. Its kind is drawn
    evenly among the ``statuses``, a dropped connection (with ``drops``) and, for a TUS
    ``PATCH`` (with ``partial_tus``), a chunk cut at a random point that then fails with a drop
    (with ``drops``) or one of the ``statuses``. A status or drop fault happens after the
    request was processed with probability ``after_share``, else before; but 429 and 503
    always happen before, because both tell the client that the server did not act on the
    request. ``retry_after`` is sent with 429 and 503 answers.

    ``rate=0.0`` (the default) injects nothing. Nonsense raises :class:`ValueError`.

    Examples:
        >>> FaultPlan(rate=0.2, seed=7, statuses=(503, 429), retry_after="1").statuses
        (503, 429)
        >>> FaultPlan(rate=1.5)
        Traceback (most recent call last):
        ...
        ValueError: rate must be between 0 and 1, not 1.5
    """

    rate: float = 0.0
    seed: int = 0
    statuses: tuple[int, ...] = (500, 502, 503, 504)
    retry_after: str | None = None
    drops: bool = False
    partial_tus: bool = False
    after_share: float = 0.0
    method: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        _check_fraction(self.rate, "rate")
        _check_fraction(self.after_share, "after_share")
        _check_int(self.seed, "seed")
        statuses = _check_statuses(self.statuses)
        object.__setattr__(self, "statuses", statuses)
        _check_retry_after(self.retry_after)
        if self.rate > 0 and not statuses and not self.drops:
            raise ValueError("a plan with a rate needs statuses or drops=True")
        _compile_path(self.path)
        object.__setattr__(self, "method", _check_method(self.method))


@dataclass(frozen=True)
class Dropped:
    """A connection the server closed instead of answering in full.

    ``response`` is the head and the body the server had started to send (``None``: nothing
    at all was sent); ``cut_at`` is how many bytes of its body got through before the close.

    Examples:
        >>> Dropped(HttpResponse(200, body=b"abcdef"), 3).delivered
        b'abc'
        >>> Dropped(None).delivered
        b''
    """

    response: HttpResponse | None = None
    cut_at: int = 0

    @property
    def delivered(self) -> bytes:
        """The part of the body that got through."""
        return b"" if self.response is None else self.response.body[: self.cut_at]

    def error(self, url: str) -> DroppedConnection:
        """What a client transport reports for this drop."""
        return DroppedConnection(self, url=url)


class DroppedConnection(TransportError):
    """The server hung up: a :class:`cvatfn.http.TransportError` of kind ``"protocol"``,
    as ``cvatfn_urllib3`` reports a peer that closed the connection mid-response.

    Examples:
        >>> error = DroppedConnection(Dropped(None), url="http://cvat/api/tasks")
        >>> error.kind, error.message
        ('protocol', 'Connection aborted: the remote end closed the connection without a response')
    """

    def __init__(self, dropped: Dropped, *, url: str = "") -> None:
        if dropped.response is None:
            message = "Connection aborted: the remote end closed the connection without a response"
        else:
            total = len(dropped.response.body)
            message = (
                "Connection broken: the remote end closed the connection mid-body "
                f"(IncompleteRead({dropped.cut_at} bytes read, "
                f"{total - dropped.cut_at} more expected))"
            )
        super().__init__("protocol", message, url=url)
        self.dropped = dropped


FaultKind = Literal["status", "drop", "tus_cut"]


@dataclass(frozen=True)
class FaultEvent:
    """One injected fault: what, to which request, and how it was answered.

    ``status`` is the status answered (``None`` for a drop); ``kept`` is, for a TUS cut, how
    many bytes of the chunk were stored; ``source`` says whether a pending fault
    (``"next"``) or the plan (``"plan"``) caused it.

    Examples:
        >>> FaultEvent("status", "GET", "/api/tasks", "before", 503, None, "next").status
        503
    """

    kind: FaultKind
    method: str
    path: str
    phase: Phase
    status: int | None
    kept: int | None
    source: Literal["next", "plan"]


@dataclass
class _Rule:
    kind: FaultKind
    remaining: int
    method: str | None = None
    path: re.Pattern[str] | None = None
    phase: Phase = "before"
    status: int = 503
    retry_after: str | None = None
    accept: float | int = 0.5
    then: int | Literal["drop"] = "drop"

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or self.path.search(path) is not None


@dataclass(frozen=True)
class Fault:
    """A fault decided for the request being served (see :meth:`FaultInjector.decide`)."""

    kind: Literal["status", "drop"]
    phase: Phase
    status: int = 0
    retry_after: str | None = None
    source: Literal["next", "plan"] = "next"
    mid_body: bool = True
    """For a drop after processing: send the head and half the body (else nothing)."""
    cut: bool = False
    """Whether this is the failure that follows a TUS cut (already counted)."""


@dataclass
class _Current:
    method: str = ""
    path: str = ""
    can_drop: bool = True
    planned_cut: tuple[float | int, int | Literal["drop"]] | None = None
    deferred: Fault | None = None


# ------------------------------------------------------------------------ the injector
class FaultInjector:
    """The faults a :class:`~cvatfn_fake.FakeServer` injects (``server.faults``).

    Examples:
        >>> from cvatfn_fake import FakeServer
        >>> from cvatfn.http import HttpRequest
        >>> server = FakeServer()
        >>> server.faults.fail_next(status=503, retry_after="2")
        >>> answer = server.handle(HttpRequest("GET", "http://cvat/api/server/about"))
        >>> answer.status, answer.header("Retry-After")
        (503, '2')
        >>> server.faults.injected["status_503"]
        1
    """

    def __init__(self, server: FakeServer) -> None:
        self._server = server
        self._rules: list[_Rule] = []
        self._plan: FaultPlan | None = None
        self._plan_path: re.Pattern[str] | None = None
        self._rng = random.Random(0)
        self._latency = 0.0
        self._counts: Counter[str] = Counter()
        self._events: deque[FaultEvent] = deque(maxlen=10000)
        self._current = _Current()
        self._suspended = 0
        self._background: deque[str] = deque()

    # ---------------------------------------------------------------- configuring
    def fail_next(
        self,
        status: int = 503,
        count: int = 1,
        retry_after: str | int | None = None,
        method: str | None = None,
        path: str | None = None,
        phase: Phase = "before",
    ) -> None:
        """Answer the next ``count`` matching requests with ``status``.

        ``method`` (e.g. ``"GET"``) and ``path`` (a regular expression searched in the URL's
        path) narrow which requests match; ``None`` matches any. ``retry_after`` (seconds, or
        an HTTP date) is sent as ``Retry-After``. With ``phase="before"`` the server does not
        process the request; with ``phase="after"`` it does (state changes happen) and the
        answer is replaced by the fault.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> from cvatfn.http import HttpRequest
            >>> server = FakeServer()
            >>> server.faults.fail_next(429, retry_after="3", path=r"^/api/server/")
            >>> answer = server.handle(HttpRequest("GET", "http://cvat/api/server/about"))
            >>> answer.status, answer.header("Retry-After"), answer.body
            (429, '3', b'{"detail":"Request was throttled. Expected available in 3 seconds."}')
        """
        _check_status(status)
        rule = _Rule(
            "status",
            _check_count(count),
            _check_method(method),
            _compile_path(path),
            _check_phase(phase),
            status=status,
            retry_after=_check_retry_after(retry_after),
        )
        with self._server.lock:
            self._rules.append(rule)

    def drop_next(
        self,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
        phase: Phase = "after",
    ) -> None:
        """Drop the connection of the next ``count`` matching requests.

        With ``phase="after"`` (the default) the request is processed, then the connection
        closes after the status line, the headers and half of the body (with an empty body,
        before anything is sent); with ``phase="before"`` nothing is processed or sent. The
        in-process transport raises :class:`DroppedConnection`; :meth:`FakeServer.handle
        <cvatfn_fake.FakeServer.handle>`, which cannot drop a connection, leaves the fault
        pending for a transport.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> from cvatfn.http import HttpRequest, TransportError
            >>> server = FakeServer()
            >>> server.faults.drop_next(method="GET")
            >>> try:
            ...     server.transport().handle(HttpRequest("GET", "http://cvat/api/server/about"))
            ... except TransportError as error:
            ...     print(error.kind)
            protocol
        """
        rule = _Rule(
            "drop",
            _check_count(count),
            _check_method(method),
            _compile_path(path),
            _check_phase(phase),
        )
        with self._server.lock:
            self._rules.append(rule)

    def cut_next_tus_patch(
        self, count: int = 1, accept: float | int = 0.5, then: int | Literal["drop"] = "drop"
    ) -> None:
        """Cut the chunk of the next ``count`` TUS ``PATCH`` requests (task data or a file to
        import), then fail them.

        The upload stores only the first ``accept`` fraction (a float between 0 and 1) or the
        first ``accept`` bytes (an int) of the chunk and its offset advances by as much; then
        the connection is dropped (``then="drop"``) or answered with the status ``then``. A
        ``HEAD`` of the upload reports the true offset, from which the client continues. When
        what is kept completes the file, the upload is complete all the same (a ``HEAD`` then
        answers 404, as CVAT's does once it has assembled the file). A ``PATCH`` refused before
        it stores anything (a wrong offset, an unknown upload) does not use the cut up.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> server = FakeServer()
            >>> server.faults.cut_next_tus_patch(accept=1024, then=500)
        """
        rule = _Rule(
            "tus_cut",
            _check_count(count),
            accept=_check_accept(accept),
            then="drop" if then == "drop" else _check_status(then),
        )
        with self._server.lock:
            self._rules.append(rule)

    def fail_background(self, message: str = "Unknown error", count: int = 1) -> None:
        """Make the next ``count`` background requests fail with ``message`` (the same as
        ``server.fail_next_requests``).

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> server = FakeServer()
            >>> server.faults.fail_background("disk full")
            >>> server.faults.take_background(), server.faults.take_background()
            ('disk full', None)
        """
        messages = [_check_str(message, "message")] * _check_count(count)
        with self._server.lock:
            self._background.extend(messages)

    def take_background(self) -> str | None:
        """Called when a background request is created: the message it fails with, if one is
        pending (it is used up and counted as ``"background"``), else ``None``."""
        with self._server.lock:
            if not self._background:
                return None
            self._counts["background"] += 1
            return self._background.popleft()

    def expire_sessions(self) -> int:
        """End every existing Django session (password logins); returns how many.

        The next request with an old ``sessionid`` cookie is anonymous: 401
        ``{"detail": "Authentication credentials were not provided."}`` where a user is
        needed, and the answer deletes the stale cookie. Tokens are not affected.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> FakeServer().faults.expire_sessions()
            0
        """
        with self._server.lock:
            sessions = self._server.state.sessions
            expired = len(sessions)
            sessions.clear()
            return expired

    def set_latency(self, seconds: float) -> None:
        """Make every answer take ``seconds``: on the virtual clock, in-process, the clock
        advances; with a real clock (``FakeServer(clock=time.time)``) or over the HTTP front,
        the serving thread sleeps. ``0`` turns it off.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> from cvatfn.http import HttpRequest
            >>> server = FakeServer(); server.faults.set_latency(2.5)
            >>> before = server.now()
            >>> _ = server.handle(HttpRequest("GET", "http://cvat/api/server/about"))
            >>> server.now() - before
            2.5
        """
        latency = _check_seconds(seconds)
        with self._server.lock:
            self._latency = latency

    def plan(self, plan: FaultPlan | None) -> None:
        """Inject random faults as ``plan`` says (``None`` removes the plan). Setting a plan
        restarts its generator from its seed.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> server = FakeServer()
            >>> server.faults.plan(FaultPlan(rate=0.5, seed=7))
            >>> server.faults.current_plan.rate
            0.5
        """
        _check_plan(plan)
        with self._server.lock:
            self._plan = plan if plan is not None and plan.rate > 0 else None
            self._plan_path = _compile_path(plan.path) if plan is not None else None
            self._rng = random.Random(plan.seed if plan is not None else 0)

    @contextmanager
    def suspended(self) -> Generator[None]:
        """Serve without faults inside the ``with`` block: pending faults stay pending and the
        plan draws nothing, so it goes on where it was afterwards. Latency still applies.

        Useful to read the true state of the server in the middle of a faulty run.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> from cvatfn.http import HttpRequest
            >>> server = FakeServer(); server.faults.fail_next(status=503)
            >>> about = HttpRequest("GET", "http://cvat/api/server/about")
            >>> with server.faults.suspended():
            ...     server.handle(about).status
            200
            >>> server.handle(about).status
            503
        """
        with self._server.lock:
            self._suspended += 1
        try:
            yield
        finally:
            with self._server.lock:
                self._suspended -= 1

    def clear(self) -> None:
        """Remove every pending fault, the plan, the latency and pending background failures.
        The counts in :attr:`injected` and the :attr:`events` stay.

        Examples:
            >>> from cvatfn_fake import FakeServer
            >>> server = FakeServer(); server.faults.fail_next(count=3)
            >>> server.faults.clear(); server.faults.pending
            0
        """
        with self._server.lock:
            self._rules.clear()
            self._plan = None
            self._plan_path = None
            self._latency = 0.0
            self._background.clear()

    # ------------------------------------------------------------------- reading
    @property
    def latency(self) -> float:
        """Seconds every answer takes (see :meth:`set_latency`)."""
        return self._latency

    @property
    def current_plan(self) -> FaultPlan | None:
        """The plan in force, if any."""
        return self._plan

    @property
    def pending(self) -> int:
        """How many faults are still to be injected by ``fail_next``, ``drop_next`` and
        ``cut_next_tus_patch``."""
        return sum(rule.remaining for rule in self._rules)

    @property
    def injected(self) -> Mapping[str, int]:
        """A read-only, live count of the faults injected so far, by kind (``"status_503"``,
        ``"drop"``, ``"tus_cut"``, ``"background"``); a missing kind reads as 0."""
        return MappingProxyType(self._counts)

    @property
    def events(self) -> tuple[FaultEvent, ...]:
        """The faults injected so far (the last 10000), oldest first."""
        return tuple(self._events)

    # ------------------------------------------------- hooks for the serving server
    def decide(self, request: HttpRequest, *, can_drop: bool = True) -> Fault | None:
        """Called by the server, under its lock, once per request before serving it: the
        status or drop fault for this request, if any. ``can_drop=False`` (``handle``, which
        cannot drop a connection) skips drop faults, which stay pending."""
        method = request.method.upper()
        path = _path(request.url)
        self._current = _Current(method, path, can_drop)
        if self._suspended:
            return None
        for index, rule in enumerate(self._rules):
            if rule.kind == "tus_cut" or (rule.kind == "drop" and not can_drop):
                continue
            if not rule.matches(method, path):
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                del self._rules[index]
            if rule.kind == "drop":
                return Fault("drop", rule.phase)
            return Fault("status", rule.phase, rule.status, rule.retry_after)
        return self._draw(request, method, path, can_drop)

    def _draw(self, request: HttpRequest, method: str, path: str, can_drop: bool) -> Fault | None:
        plan = self._plan
        if plan is None:
            return None
        if plan.method is not None and plan.method != method:
            return None
        if self._plan_path is not None and self._plan_path.search(path) is None:
            return None
        rng = self._rng
        if rng.random() >= plan.rate:
            return None
        drops = plan.drops and can_drop
        tus_patch = (
            method == "PATCH"
            and request.header("Tus-Resumable") is not None
            and request.header("Upload-Offset") is not None
        )
        kinds: list[int | Literal["drop", "tus_cut"]] = list(plan.statuses)
        if drops:
            kinds.append("drop")
        if tus_patch and plan.partial_tus and (drops or plan.statuses):
            kinds.append("tus_cut")
        if not kinds:
            return None
        kind = kinds[rng.randrange(len(kinds))]
        if kind == "tus_cut":
            accept = rng.random()
            then: int | Literal["drop"] = (
                "drop" if drops else plan.statuses[rng.randrange(len(plan.statuses))]
            )
            self._current.planned_cut = (accept, then)
            return None
        phase: Phase = "after" if rng.random() < plan.after_share else "before"
        if kind in (429, 503):
            # These answers say the server did not act on the request: never after the work.
            phase = "before"
        if kind == "drop":
            return Fault("drop", phase, source="plan")
        retry_after = plan.retry_after if kind in (429, 503) else None
        return Fault("status", phase, kind, retry_after, source="plan")

    def take_tus_cut(self, length: int) -> int | None:
        """Called by a TUS ``PATCH`` handler about to store a chunk of ``length`` bytes: how
        many bytes to keep (``None``: all of them, no fault). A cut makes the answer fail
        after processing (see :meth:`take_deferred`)."""
        current = self._current
        if self._suspended:
            return None
        source: Literal["next", "plan"] = "plan"
        planned = current.planned_cut
        current.planned_cut = None
        if planned is None:
            source = "next"
            for index, rule in enumerate(self._rules):
                if rule.kind != "tus_cut" or (rule.then == "drop" and not current.can_drop):
                    continue
                rule.remaining -= 1
                if rule.remaining <= 0:
                    del self._rules[index]
                planned = (rule.accept, rule.then)
                break
        if planned is None:
            return None
        accept, then = planned
        if isinstance(accept, float):
            kept = min(length, int(length * accept))
        else:
            kept = min(length, accept)
        self._counts["tus_cut"] += 1
        status = None if then == "drop" else then
        self._events.append(
            FaultEvent("tus_cut", current.method, current.path, "after", status, kept, source)
        )
        if then == "drop":
            current.deferred = Fault("drop", "after", source=source, mid_body=False, cut=True)
        else:
            current.deferred = Fault("status", "after", then, source=source, cut=True)
        return kept

    def take_deferred(self) -> Fault | None:
        """Called by the server after serving a request: the failure a TUS cut left for its
        answer, if any."""
        deferred = self._current.deferred
        self._current.deferred = None
        return deferred

    def respond(
        self, fault: Fault, request: HttpRequest, response: HttpResponse | None
    ) -> HttpResponse | Dropped:
        """Called by the server: the answer for ``fault``. ``response`` is the server's own
        (framed) answer when the request was processed, ``None`` in phase ``"before"``. A
        status answer is returned unframed."""
        if not fault.cut:
            key = "drop" if fault.kind == "drop" else f"status_{fault.status}"
            self._counts[key] += 1
            self._events.append(
                FaultEvent(
                    fault.kind,
                    self._current.method,
                    self._current.path,
                    fault.phase,
                    fault.status if fault.kind == "status" else None,
                    None,
                    fault.source,
                )
            )
        if fault.kind == "status":
            return fault_response(
                fault.status, request, retry_after=fault.retry_after, now=self._server.now()
            )
        if response is None or not fault.mid_body or not response.body:
            return Dropped(None)
        return Dropped(response, len(response.body) // 2)


# ---------------------------------------------------------------------------- answers
_NGINX_TITLES: Mapping[int, str] = {
    408: "408 Request Time-out",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}

_DJANGO_500 = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)


def _nginx_page(status: int) -> bytes:
    title = _NGINX_TITLES.get(status) or f"{status} {_phrase(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _media_type(accept: str | None) -> str:
    """DRF's choice between CVAT's JSON media types for an error body."""
    for item in (accept or "").split(","):
        media = item.split(";")[0].strip().lower()
        if media == "application/json":
            return "application/json"
        if media in ("*/*", "application/*", "application/vnd.cvat+json", "text/html"):
            break
    return "application/vnd.cvat+json"


def _wait_seconds(retry_after: str, now: float) -> int:
    if retry_after.strip().isdigit():
        return int(retry_after)
    return max(0, math.ceil(parsedate_to_datetime(retry_after).timestamp() - now))


def fault_response(
    status: int, request: HttpRequest, *, retry_after: str | None = None, now: float = 0.0
) -> HttpResponse:
    """The answer a CVAT deployment gives with ``status`` (see the module docstring for which
    body goes with which status).

    Examples:
        >>> request = HttpRequest("GET", "http://cvat/api/tasks")
        >>> fault_response(429, request, retry_after="1").body
        b'{"detail":"Request was throttled. Expected available in 1 second."}'
        >>> fault_response(502, request).header("Content-Type")
        'text/html'
        >>> fault_response(404, request).body
        b'{"detail":"Not Found"}'
    """
    extra = () if retry_after is None else (("Retry-After", retry_after),)
    if status == 500:
        return HttpResponse(
            500, (("Content-Type", "text/html; charset=utf-8"), *extra), _DJANGO_500.encode()
        )
    if status in _NGINX_TITLES or status >= 500:
        return HttpResponse(status, (("Content-Type", "text/html"), *extra), _nginx_page(status))
    if status == 429:
        detail = "Request was throttled."
        if retry_after is not None:
            wait = _wait_seconds(retry_after, now)
            detail += f" Expected available in {wait} second{'' if wait == 1 else 's'}."
    else:
        detail = _phrase(status)
    body = json.dumps({"detail": detail}, separators=(",", ":")).encode()
    headers = (
        ("Content-Type", _media_type(request.header("accept"))),
        ("Vary", "Accept, Origin"),
        *extra,
    )
    return HttpResponse(status, headers, body)


def logged_answer(answer: HttpResponse | Dropped) -> HttpResponse:
    """How an answer is kept in the server's log: a drop as what got through, marked.

    Examples:
        >>> logged_answer(Dropped(None)).status
        0
        >>> logged = logged_answer(Dropped(HttpResponse(200, body=b"abcd"), 2))
        >>> logged.status, logged.body, logged.header("X-Cvatfn-Fake-Fault")
        (200, b'ab', 'dropped: the connection closed after 2 of 4 body bytes')
    """
    if isinstance(answer, HttpResponse):
        return answer
    if answer.response is None:
        note = "dropped: the connection closed without a response"
        return HttpResponse(NO_RESPONSE, ((FAULT_HEADER, note),))
    total = len(answer.response.body)
    note = f"dropped: the connection closed after {answer.cut_at} of {total} body bytes"
    return HttpResponse(
        answer.response.status,
        (*answer.response.headers, (FAULT_HEADER, note)),
        answer.delivered,
    )


# ------------------------------------------------------------------------- validation
def _check_status(status: object) -> int:
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"a fault status must be an int from 400 to 599, not {status!r}")
    return status


def _check_fraction(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
    return float(value)


def _check_seconds(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"latency must be a finite number of seconds >= 0, not {value!r}")
    return float(value)


def _check_statuses(value: object) -> tuple[int, ...]:
    if not isinstance(value, tuple | list):
        raise ValueError(f"statuses must be a tuple of status codes, not {value!r}")
    return tuple(_check_status(status) for status in cast(Sequence[object], value))


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, not {value!r}")
    return value


def _check_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, not {value!r}")
    return value


def _check_plan(plan: object) -> None:
    if plan is not None and not isinstance(plan, FaultPlan):
        raise ValueError(f"expected a FaultPlan or None, not {plan!r}")


def _check_accept(accept: object) -> float | int:
    if isinstance(accept, float):
        if not 0.0 <= accept <= 1.0:
            raise ValueError(f"accept as a fraction must be between 0 and 1, not {accept!r}")
        return accept
    if isinstance(accept, bool) or not isinstance(accept, int):
        raise ValueError(f"accept must be a fraction (float) or bytes (int), not {accept!r}")
    if accept < 0:
        raise ValueError(f"accept as bytes must be >= 0, not {accept!r}")
    return accept


def _check_count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an int >= 1, not {count!r}")
    return count


def _check_phase(phase: object) -> Phase:
    if phase == "before":
        return "before"
    if phase == "after":
        return "after"
    raise ValueError(f"phase must be 'before' or 'after', not {phase!r}")


def _check_method(method: object) -> str | None:
    if method is None:
        return None
    if not isinstance(method, str) or not method.strip():
        raise ValueError(f"method must be an HTTP method name or None, not {method!r}")
    return method.strip().upper()


def _compile_path(path: object) -> re.Pattern[str] | None:
    if path is None:
        return None
    if not isinstance(path, str):
        raise ValueError(f"path must be a regular expression (str) or None, not {path!r}")
    try:
        return re.compile(path)
    except re.error as error:
        raise ValueError(f"path is not a valid regular expression: {error}") from None


def _check_retry_after(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return text
        try:
            parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
        else:
            return text
    raise ValueError(f"retry_after must be None, seconds (e.g. '3') or an HTTP date, not {value!r}")


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"
