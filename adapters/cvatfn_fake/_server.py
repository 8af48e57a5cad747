"""FakeServer: an in-memory CVAT 2.80 server behind a single ``handle(request)`` method.

Theory of operation
-------------------
A :class:`FakeServer` owns its whole state (users, organizations, projects, tasks, jobs,
labels, issues, background requests, uploads) and a clock. :meth:`FakeServer.handle` takes an
:class:`cvatfn.http.HttpRequest` and always returns an :class:`cvatfn.http.HttpResponse`:

1. the route table (``_router``) picks the handler from the method and path;
2. ``_auth`` authenticates the request (token, access token, session + CSRF, Basic);
3. the handler checks permissions (``_iam``), validates input and mutates the state;
4. errors raised as :class:`~cvatfn_fake._errors.ApiError` become DRF-style bodies, and any
   other exception becomes a 500 with DRF's generic body, so ``handle`` never raises;
5. every response leaves with exactly one ``Content-Length``, the length of its body, as
   Django's ``CommonMiddleware`` sets it; a ``HEAD`` answer is the ``GET`` answer with that
   ``Content-Length`` and no body.

Time comes from ``clock`` (seconds since the epoch). By default it is a virtual clock that
starts at 2026-01-01T00:00:00Z and only moves when someone calls
``server.transport().sleep(seconds)`` (or :meth:`FakeServer.advance`), which keeps every
response deterministic. Random-looking values (session keys, tokens, invitation keys, upload
ids) come from a seeded generator for the same reason.

Background requests (task data processing) follow a configurable script, see
:class:`RequestBehaviour`: finish immediately (the default), stay queued/started for a number
of ``GET /api/requests/{id}`` polls, or fail with a chosen message.

Faults (error statuses, dropped connections, cut TUS chunks, expired sessions, latency) are
injected through ``server.faults``, a :class:`~cvatfn_fake._faults.FaultInjector`.
:meth:`FakeServer.exchange` serves a request with them applied and answers an
:class:`~cvatfn.http.HttpResponse` or a :class:`~cvatfn_fake._faults.Dropped` connection;
:meth:`FakeServer.handle` answers an :class:`~cvatfn.http.HttpResponse` only, so it leaves
drops pending for a transport that can drop a connection.
"""

from __future__ import annotations

import base64
import json
import random
import string
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from cvatfn.http import HttpRequest, HttpResponse

from . import (
    _annotations,
    _auth,
    _backups,
    _exports,
    _formats,
    _issues,
    _jobs,
    _labels,
    _media,
    _organizations,
    _projects,
    _requests,
    _tasks,
    _users,
    _validation,
)
from ._context import Ctx, check_acceptable, plain, render
from ._errors import ApiError
from ._faults import Dropped, Fault, FaultInjector, logged_answer, on_wall_clock
from ._router import NoRoute, Router
from ._state import State, User

__all__ = ["FakeServer", "FakeTransport", "RequestBehaviour"]

_T = TypeVar("_T")

EPOCH_2026 = 1767225600.0
"""2026-01-01T00:00:00Z, where the virtual clock starts."""

_NOT_FOUND_PAGE = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n'
    "<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n"
    "</body>\n</html>\n"
)


@dataclass(frozen=True)
class RequestBehaviour:
    """How new background requests (e.g. task data processing) progress.

    ``polls_before_finish`` is the number of ``GET /api/requests/{id}`` answers that still
    show the request unfinished (first ``queued``, then ``started``); the next poll finishes
    it. ``0`` (the default) finishes the work as soon as the request is created.

    Examples:
        >>> RequestBehaviour(polls_before_finish=2).polls_before_finish
        2
    """

    polls_before_finish: int = 0


class FakeTransport:
    """In-process transport to a :class:`FakeServer`; also a virtual clock, and a
    :class:`cvatfn.http.StreamingTransport`.

    Examples:
        >>> server = FakeServer()
        >>> transport = server.transport()
        >>> transport.handle(HttpRequest("GET", "http://cvat/api/server/about")).status
        200
        >>> before = transport.monotonic(); transport.sleep(5.0); transport.monotonic() - before
        5.0
    """

    def __init__(self, server: FakeServer) -> None:
        self._server = server

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Serve ``request``. Raises only :class:`~cvatfn_fake._faults.DroppedConnection` (a
        :class:`cvatfn.http.TransportError` of kind ``"protocol"``), when a drop was injected.
        """
        answer = self._server.exchange(request)
        if isinstance(answer, Dropped):
            raise answer.error(request.url)
        return answer

    @contextmanager
    def stream(
        self, request: HttpRequest, *, chunk_size: int = 65536
    ) -> Generator[tuple[HttpResponse, Iterator[bytes]]]:
        """Serve ``request``; yield its head (no body) and its body in pieces of at most
        ``chunk_size`` bytes. An injected drop raises
        :class:`~cvatfn_fake._faults.DroppedConnection` on entering (nothing was sent) or
        while iterating, after the part of the body that got through.

        Examples:
            >>> server = FakeServer()
            >>> with server.transport().stream(
            ...     HttpRequest("GET", "http://cvat/api/server/about"), chunk_size=100
            ... ) as (head, chunks):
            ...     head.status, head.body, len(next(chunks))
            (200, b'', 100)
        """
        answer = self._server.exchange(request)
        if isinstance(answer, Dropped):
            if answer.response is None:
                raise answer.error(request.url)
            response = answer.response
        else:
            response = answer
        yield (
            HttpResponse(response.status, response.headers),
            _pieces(request.url, answer, max(1, chunk_size)),
        )

    def monotonic(self) -> float:
        """The server's clock, in seconds."""
        return self._server.now()

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on the server's clock (instantly, on the virtual clock)."""
        self._server.advance(seconds)


def _pieces(url: str, answer: HttpResponse | Dropped, size: int) -> Iterator[bytes]:
    body = answer.delivered if isinstance(answer, Dropped) else answer.body
    for start in range(0, len(body), size):
        yield body[start : start + size]
    if isinstance(answer, Dropped):
        raise answer.error(url)


class FakeServer:
    """A faithful in-memory CVAT 2.80 server.

    A new server has one superuser, ``admin`` with password ``admin``.

    Examples:
        >>> server = FakeServer()
        >>> server.add_user("alice", "secret")
        2
        >>> request = HttpRequest("GET", "http://cvat/api/users/self",
        ...     (("Authorization", "Basic YWxpY2U6c2VjcmV0"),))
        >>> server.handle(request).status
        200
    """

    version = "2.80.0"

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        share_root: Path | None = None,
        log_limit: int = 1000,
        seed: int = 0,
    ) -> None:
        self.state = State()
        self._virtual_now = EPOCH_2026
        self._clock = clock
        self.share_root = share_root
        self._random = random.Random(seed)
        self._log: deque[tuple[HttpRequest, HttpResponse]] = deque(maxlen=max(0, log_limit))
        self.request_behaviour = RequestBehaviour()
        self.lock = threading.RLock()
        self.faults = FaultInjector(self)
        """Fault injection: error statuses, drops, cut TUS chunks, sessions, latency."""
        self.router = Router()
        for module in (
            _auth,
            _users,
            _organizations,
            _projects,
            _tasks,
            _media,
            _jobs,
            _labels,
            _issues,
            _requests,
            _validation,
            _annotations,
            _formats,
            _exports,
            _backups,
        ):
            module.register(self.router)
        self.add_user("admin", "admin", superuser=True, first_name="", last_name="")

    # ------------------------------------------------------------------ time & randomness
    def now(self) -> float:
        """The server's current time, in seconds since the epoch."""
        return self._clock() if self._clock is not None else self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward (no effect with an injected clock)."""
        if seconds > 0:
            self._virtual_now += seconds

    def random_string(
        self, length: int, alphabet: str = string.ascii_letters + string.digits
    ) -> str:
        """``length`` characters of ``alphabet`` from the server's seeded generator (session
        keys, tokens, invitation keys): the same seed and requests give the same values.

        Examples:
            >>> FakeServer(seed=1).random_string(8) == FakeServer(seed=1).random_string(8)
            True
        """
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def shuffle(self, items: list[_T]) -> None:
        """Shuffle ``items`` in place with the server's seeded generator."""
        self._random.shuffle(items)

    def random_uuid(self) -> str:
        """A version-4 UUID from the server's seeded generator (TUS upload ids).

        Examples:
            >>> len(FakeServer().random_uuid())
            36
        """
        value = f"{self._random.getrandbits(128):032x}"
        return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"

    # ------------------------------------------------------------------------ public API
    def transport(self) -> FakeTransport:
        """An in-process transport (with a virtual clock) bound to this server."""
        return FakeTransport(self)

    def add_user(
        self,
        username: str,
        password: str,
        *,
        superuser: bool = False,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        group: Literal["admin", "user", "worker"] = "user",
    ) -> int:
        """Create a user and return its id. ``group`` is CVAT's global privilege.

        Examples:
            >>> FakeServer().add_user("bob", "pw", email="bob@example.com")
            2
        """
        with self.lock:
            if self.state.user_by_name(username) is not None:
                raise ValueError(f"user {username!r} already exists")
            user_id = self.state.next_id("user")
            self.state.users[user_id] = User(
                id=user_id,
                username=username,
                password=password,
                email=email if email is not None else "",
                first_name=first_name,
                last_name=last_name,
                is_superuser=superuser,
                is_staff=superuser,
                is_active=True,
                group="admin" if superuser else group,
                date_joined=self.now(),
            )
            return user_id

    def add_membership(self, org_slug: str, username: str, role: str) -> int:
        """Make ``username`` an active member of organization ``org_slug``; returns its id.

        Examples:
            >>> server = FakeServer(); _ = server.add_user("bob", "pw")
            >>> _ = server.add_organization("lab", owner="admin")
            >>> server.add_membership("lab", "bob", "worker")
            2
        """
        with self.lock:
            return _organizations.add_membership(self, org_slug, username, role)

    def add_organization(self, slug: str, *, owner: str, name: str | None = None) -> int:
        """Create an organization owned by ``owner`` (who becomes its ``owner`` member)."""
        with self.lock:
            return _organizations.add_organization(self, slug, owner=owner, name=name)

    def seed_tasks(self, count: int, *, owner: str = "admin", name: str = "task {n}") -> range:
        """Create ``count`` tasks without data, as ``POST /api/tasks`` with
        ``{"name": name.format(n=n)}`` (``n`` = 1, 2, ...) from ``owner`` creates them, in the
        personal workspace; returns their ids. The requests are served by the same handler,
        without faults and without entries in :attr:`log`: a quick way to fill a server for
        large listings (``python -m cvatfn_fake --seed-tasks N``).

        Examples:
            >>> server = FakeServer()
            >>> server.seed_tasks(3)
            range(1, 4)
            >>> server.state.tasks[3].name, server.state.tasks[3].owner_id
            ('task 3', 1)
        """
        if count < 0:
            raise ValueError("count must be >= 0")
        with self.lock:
            user = self.state.user_by_name(owner)
            if user is None:
                raise ValueError(f"no user {owner!r}")
            token = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
            headers = (("Authorization", f"Basic {token}"), ("Content-Type", "application/json"))
            ids: list[int] = []
            for n in range(1, count + 1):
                body = json.dumps({"name": name.format(n=n)}).encode()
                response = self._serve(
                    HttpRequest("POST", "http://localhost/api/tasks", headers, body)
                )
                if response.status != 201:
                    raise ValueError(f"task {n} was refused: {response.body.decode()}")
                ids.append(int(json.loads(response.body)["id"]))
            return range(ids[0], ids[-1] + 1) if ids else range(0)

    def add_remote_file(self, url: str, data: bytes) -> None:
        """Serve ``data`` for ``url`` when a task is created with ``remote_files``."""
        with self.lock:
            self.state.remote_files[url] = bytes(data)

    def configure_requests(self, *, polls_before_finish: int = 0) -> None:
        """Set how new background requests progress (see :class:`RequestBehaviour`).

        Examples:
            >>> server = FakeServer(); server.configure_requests(polls_before_finish=3)
            >>> server.request_behaviour.polls_before_finish
            3
        """
        if polls_before_finish < 0:
            raise ValueError("polls_before_finish must be >= 0")
        self.request_behaviour = RequestBehaviour(polls_before_finish=polls_before_finish)

    def fail_next_requests(self, message: str = "Unknown error", *, count: int = 1) -> None:
        """Make the next ``count`` background requests fail with ``message`` (the same as
        ``server.faults.fail_background``).

        Examples:
            >>> server = FakeServer(); server.fail_next_requests("disk full", count=2)
        """
        self.faults.fail_background(message, count)

    def take_failure(self) -> str | None:
        """The message for the next background request, if one was queued by
        :meth:`fail_next_requests` (it is consumed); ``None`` lets the request succeed.

        Examples:
            >>> server = FakeServer(); server.fail_next_requests("disk full")
            >>> server.take_failure(), server.take_failure()
            ('disk full', None)
        """
        return self.faults.take_background()

    @property
    def log(self) -> tuple[tuple[HttpRequest, HttpResponse], ...]:
        """The most recent exchanges (at most ``log_limit``), oldest first."""
        return tuple(self._log)

    # --------------------------------------------------------------------------- serving
    def handle(self, request: HttpRequest) -> HttpResponse:
        """Serve one request, with the injected faults that have an HTTP answer. Never
        raises: internal errors become a 500. Drops stay pending (see :meth:`exchange`).
        """
        answer = self.exchange(request, can_drop=False)
        # Without can_drop no drop is decided; were one, the log's form of it is returned.
        return logged_answer(answer)

    def exchange(self, request: HttpRequest, *, can_drop: bool = True) -> HttpResponse | Dropped:
        """Serve one request with the injected faults applied (see ``server.faults``):
        an :class:`~cvatfn.http.HttpResponse`, or a :class:`~cvatfn_fake._faults.Dropped`
        connection. Never raises.

        Examples:
            >>> server = FakeServer(); server.faults.drop_next(phase="before")
            >>> server.exchange(HttpRequest("GET", "http://cvat/api/server/about"))
            Dropped(response=None, cut_at=0)
        """
        latency = self.faults.latency
        real_time = self._clock is not None or on_wall_clock()
        if latency > 0 and real_time:
            time.sleep(latency)  # outside the lock: other requests are served meanwhile
        with self.lock:
            if latency > 0 and not real_time:
                self.advance(latency)
            fault: Fault | None = None
            try:
                fault = self.faults.decide(request, can_drop=can_drop)
            except Exception:  # a bug in the injector must not stop the request
                traceback.print_exc()
            answer: HttpResponse | Dropped
            if fault is not None and fault.phase == "before":
                answer = self._fault_answer(fault, request, None)
            else:
                response = self._serve(request)
                late = fault if fault is not None else self.faults.take_deferred()
                answer = response if late is None else self._fault_answer(late, request, response)
            if self._log.maxlen:
                self._log.append((request, logged_answer(answer)))
            return answer

    def _fault_answer(
        self, fault: Fault, request: HttpRequest, response: HttpResponse | None
    ) -> HttpResponse | Dropped:
        try:
            answer = self.faults.respond(fault, request, response)
        except Exception:  # a bug in the injector must not stop the request
            traceback.print_exc()
            return response if response is not None else self._serve(request)
        if isinstance(answer, HttpResponse):
            return framed(request.method.upper(), answer)
        return answer

    def _serve(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self._dispatch(request)
        except Exception:  # an internal bug must still produce an HTTP answer
            traceback.print_exc()
            response = HttpResponse(
                500,
                (("Content-Type", "application/vnd.cvat+json"),),
                b'{"detail":"A server error occurred."}',
            )
        return framed(request.method.upper(), response)

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        ctx = Ctx(self, request)
        try:
            try:
                route, params = self.router.resolve(ctx.method, ctx.path)
            except NoRoute as exc:
                if not exc.allowed:
                    return HttpResponse(
                        404,
                        (("Content-Type", "text/html; charset=utf-8"),),
                        _NOT_FOUND_PAGE.encode(),
                    )
                if route_auth_needed(ctx):
                    _auth.authenticate(ctx)
                    _auth.require_user(ctx)
                raise ApiError(
                    405,
                    {"detail": f'Method "{ctx.method}" not allowed.'},
                    (("Allow", ", ".join(exc.allowed)),),
                ) from None
            if route.auth != "none":
                _auth.authenticate(ctx, use_session=route.handler is not _auth.token_self)
                if route.auth == "required":
                    _auth.require_user(ctx)
                    _auth.check_token_scope(ctx)
            check_acceptable(ctx)
            return route.handler(self, ctx, **params)
        except ApiError as exc:
            if exc.raw:
                return plain(ctx, exc.status, str(exc.body), exc.headers)
            return render(ctx, exc.status, exc.body, exc.headers)


def framed(method: str, response: HttpResponse) -> HttpResponse:
    """``response`` with exactly one ``Content-Length`` (its body's length); for ``HEAD``, the
    length of the body a ``GET`` returns, and no body.

    Examples:
        >>> answer = HttpResponse(200, (("Content-Length", "99"),), b"hello")
        >>> framed("HEAD", answer)
        HttpResponse(status=200, headers=(('Content-Length', '5'),), body=<0 bytes>)
    """
    headers = tuple((k, v) for k, v in response.headers if k.lower() != "content-length")
    length = ("Content-Length", str(len(response.body)))
    body = b"" if method == "HEAD" else response.body
    return HttpResponse(response.status, (*headers, length), body)


def route_auth_needed(ctx: Ctx) -> bool:
    """Whether a 405 should be preceded by authentication (DRF authenticates first)."""
    return ctx.path.startswith("/api/")
