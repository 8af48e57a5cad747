"""CVAT's background requests (``/api/requests``): retrieve, list, cancel and wait.

This module is about CVAT's server-side jobs queue (data processing, exports, imports,
backups), not about HTTP.

Theory of operation
-------------------
Long operations answer 202 with an ``rq_id``. :func:`wait` polls ``GET /api/requests/{id}``
every ``Config.status_check_period`` seconds until the status is ``finished`` (success, with
the final :class:`~cvatfn.models.Request`) or ``failed`` (a ``BackgroundFailed`` value with the
server's message), or until ``Config.request_deadline`` has passed (``DeadlineExceeded``).
Sleeping and the clock are effects, so against the fake server a wait costs no wall time.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.requests.list(session).unwrap()
    ()
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._flow import Flow, now, progress, run, sleep
from cvatfn._repo import ListFilter, Resource
from cvatfn._session import Session
from cvatfn.errors import BackgroundFailed, CvatError, DeadlineExceeded, RequestInfo
from cvatfn.filters import FilterLike
from cvatfn.http import HttpRequest
from cvatfn.models import Request
from cvatfn.progress import ProgressReporter

__all__ = ["cancel", "iterate", "list", "retrieve", "wait"]

RESOURCE = Resource(
    "/api/requests",
    Request,
    name="request",
    filters=frozenset(
        {"action", "format", "job_id", "project_id", "status", "subresource", "target", "task_id"}
    ),
)

_FINISHED = "finished"
_FAILED = "failed"


def _path(rq_id: str) -> str:
    return f"/api/requests/{quote(rq_id, safe='')}"


def _retrieve_request(session: Session, rq_id: str) -> HttpRequest:
    return _api.build_request(session, "GET", _path(rq_id))


def _retrieve_flow(session: Session, rq_id: str) -> Flow[Result[Request, CvatError]]:
    return (yield from _api.call(Request, _retrieve_request(session, rq_id), session.config))


def retrieve(session: Session, rq_id: str) -> Result[Request, CvatError]:
    """The current state of one background request.

    Examples:
        >>> cvatfn.requests.retrieve(session, "no-such-request").failure().status
        404
    """
    return run(session, _retrieve_flow(session, rq_id))


def list(
    session: Session,
    /,
    *,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Request, ...], CvatError]:
    """The user's background requests.

    Equality filters: ``action``, ``format``, ``job_id``, ``project_id``, ``status``,
    ``subresource``, ``target``, ``task_id``, ``org``, ``org_id``.

    Examples:
        >>> cvatfn.requests.list(session, status="failed").unwrap()
        ()
    """
    return RESOURCE.list(session, search=None, sort=sort, filter=filter, filters=filters)


def iterate(
    session: Session,
    /,
    *,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Iterator[Result[Request, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> next(cvatfn.requests.iterate(session), None) is None
        True
    """
    return RESOURCE.iterate(session, search=None, sort=sort, filter=filter, filters=filters)


def cancel(session: Session, rq_id: str) -> Result[None, CvatError]:
    """Ask the server to cancel a queued or running background request.

    Examples:
        >>> cvatfn.requests.cancel(session, "no-such-request").failure().status
        404
    """
    request = _api.build_request(session, "POST", f"{_path(rq_id)}/cancel")
    return run(session, _api.call_no_content(request, session.config))


def wait_flow(
    session: Session, rq_id: str, *, deadline: float | None = None, cancel: bool | None = None
) -> Flow[Result[Request, CvatError]]:
    """Poll until the request finishes, fails, or the deadline passes (a flow).

    When the deadline passes and ``cancel`` (default ``Config.cancel_on_deadline``) is set, the
    request is cancelled on the server before the ``DeadlineExceeded`` failure is returned.
    """
    limit = session.config.request_deadline if deadline is None else deadline
    should_cancel = session.config.cancel_on_deadline if cancel is None else cancel
    period = max(0.0, session.config.status_check_period)
    started = yield from now()
    info = RequestInfo.of(_retrieve_request(session, rq_id))
    while True:
        polled = yield from _retrieve_flow(session, rq_id)
        match polled:
            case Success(Request() as state):
                if state.status == _FINISHED:
                    return Success(state)
                if state.status == _FAILED:
                    return Failure(
                        BackgroundFailed(
                            message=state.message or "the background request failed",
                            request_id=rq_id,
                            request=info,
                        )
                    )
                yield from progress_of(state)
            case Failure(error):
                return Failure(error)
            case _:  # pragma: no cover
                raise AssertionError(polled)
        elapsed = (yield from now()) - started
        if elapsed + period > limit:
            message = (
                f"background request {rq_id} did not finish within {limit:g} s "
                f"(last status: {state.status})"
            )
            cancelled = False
            if should_cancel:
                request = _api.build_request(session, "POST", f"{_path(rq_id)}/cancel")
                outcome = yield from _api.call_no_content(request, session.config)
                cancelled = isinstance(outcome, Success)
                message += (
                    "; it was cancelled"
                    if cancelled
                    else f"; cancelling it failed: {outcome.failure().message}"
                )
            return Failure(
                DeadlineExceeded(
                    message=message,
                    seconds=limit,
                    request_id=rq_id,
                    request=info,
                    cancelled=cancelled,
                )
            )
        yield from sleep(period)


def progress_of(state: Request) -> Flow[None]:
    """Report a polled request's progress (0-100) as a progress effect."""
    value = state.progress
    if isinstance(value, int | float):
        yield from progress("background", round(float(value) * 100), 100)


def wait(
    session: Session,
    rq_id: str,
    *,
    deadline: float | None = None,
    cancel: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[Request, CvatError]:
    """Wait for a background request to finish; ``deadline`` (seconds) overrides the config.

    When the deadline passes, the result is ``DeadlineExceeded``; with ``cancel=True`` (default
    ``Config.cancel_on_deadline``) the request is also cancelled on the server, and the
    failure's ``cancelled`` says whether that worked.

    ``progress`` sees the ``"background"`` stage: the server's percentage, of 100, at each
    poll that reports one.

    Examples:
        >>> cvatfn.requests.wait(session, "no-such-request").failure().status
        404
    """
    flow = wait_flow(session, rq_id, deadline=deadline, cancel=cancel)
    return run(session, flow, progress=progress)
