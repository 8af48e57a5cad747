"""Background requests: ``/api/requests`` list, retrieve and cancel.

Theory of operation
-------------------
Long operations (task data processing) are modelled as CVAT's RQ jobs. :func:`enqueue`
creates a :class:`~cvatfn_fake._state.BackgroundRequest` whose id is rendered like CVAT's
``RequestId`` (base64 of ``queue=import&action=create&target=task&id=7``). Its progress is
scripted by the server's :class:`~cvatfn_fake.RequestBehaviour`:

* ``polls_before_finish == 0``: the work runs at once, inside the request that enqueued it;
* ``polls_before_finish == N``: the next N ``GET /api/requests/{id}`` answers show the request
  unfinished (``queued`` on the first poll, ``started`` afterwards) and the following poll
  runs the work.

``FakeServer.fail_next_requests(message)`` makes the work fail with ``message`` instead of
running. Work that fails by itself (e.g. no media in the upload) fails with CVAT's message.
Only the owner sees a request; a queued request can be cancelled, which deletes it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, isodate, render
from ._errors import ApiError, detail, permission_denied
from ._listing import ListSpec, paginate
from ._state import BackgroundRequest

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

RESULT_TTL = 500.0
"""RQ's default result TTL in seconds, used for ``expiry_date``."""
FAILURE_TTL = 31536000.0
"""RQ's default failure TTL (one year)."""

REQUEST_LIST = ListSpec(
    filter_fields=(
        "action",
        "format",
        "job_id",
        "org",
        "org_id",
        "project_id",
        "status",
        "subresource",
        "target",
        "task_id",
    ),
    sort_fields=("action", "created_date", "status"),
    simple_filters=(
        "action",
        "format",
        "job_id",
        "org",
        "org_id",
        "project_id",
        "status",
        "subresource",
        "target",
        "task_id",
    ),
    default_sort="-created_date",
    choices={
        "action": ("autoannotate", "create", "import", "export"),
        "status": ("queued", "started", "failed", "finished"),
        "subresource": ("annotations", "dataset", "backup"),
        "target": ("project", "task", "job"),
    },
    allow_not_equal=True,
)


class WorkFailed(Exception):
    """Raised by background work; ``message`` becomes the request's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Work = Callable[["FakeServer", BackgroundRequest], "int | None"]
_WORK: dict[str, Work] = {}


def register_work(kind: str, work: Work) -> None:
    """Register the function that performs requests of type ``kind``: ``create:task``, or
    ``export:task:backup`` for one subresource only (tried before ``export:task``)."""
    _WORK[kind] = work


def render_id(queue: str, action: str, target: str, target_id: int) -> str:
    raw = f"queue={queue}&action={action}&target={target}&id={target_id}"
    return base64.b64encode(raw.encode()).decode()


def enqueue(
    srv: FakeServer,
    *,
    owner_id: int,
    action: str,
    target: str,
    target_id: int,
    org_id: int | None,
    project_id: int | None,
    task_id: int | None,
    params: dict[str, Any],
    rq_id: str | None = None,
    job_id: int | None = None,
    subresource: str | None = None,
    format: str | None = None,
    lightweight: bool | None = None,
) -> BackgroundRequest:
    """Create a background request and, with the default behaviour, run it at once.

    ``rq_id`` defaults to the id of a task creation request."""
    rq_id = rq_id or render_id("import", action, target, target_id)
    request = BackgroundRequest(
        id=rq_id,
        seq=srv.state.next_id("request"),
        owner_id=owner_id,
        action=action,
        target=target,
        target_id=target_id,
        status="queued",
        created=srv.now(),
        org_id=org_id,
        project_id=project_id,
        task_id=task_id,
        job_id=job_id,
        params=params,
        polls_left=srv.request_behaviour.polls_before_finish,
        fail_message=srv.take_failure(),
        subresource=subresource,
        format=format,
        lightweight=lightweight,
    )
    srv.state.requests[rq_id] = request
    if request.polls_left == 0:
        run(srv, request)
    return request


def run(srv: FakeServer, request: BackgroundRequest) -> None:
    """Perform the request's work now and record the outcome."""
    now = srv.now()
    request.started = request.started or now
    try:
        if request.fail_message is not None:
            raise WorkFailed(request.fail_message)
        kind = f"{request.action}:{request.target}"
        work = _WORK.get(f"{kind}:{request.subresource}") or _WORK[kind]
        request.result_id = work(srv, request)
    except WorkFailed as exc:
        request.status = "failed"
        request.message = exc.message
    else:
        request.status = "finished"
        request.message = ""
        request.progress = 1.0
    request.finished = srv.now()


def is_active(request: BackgroundRequest) -> bool:
    return request.status in ("queued", "started")


def _poll(srv: FakeServer, request: BackgroundRequest) -> None:
    if not is_active(request):
        return
    if request.polls_left <= 0:
        run(srv, request)
        return
    total = srv.request_behaviour.polls_before_finish or 1
    if request.status == "queued" and request.polled:
        request.status = "started"
    request.polled = True
    if request.status == "started":
        request.started = request.started or srv.now()
        request.message = "Media files are being extracted..." if request.action == "create" else ""
        request.progress = round(1 - request.polls_left / (total + 1), 4)
    request.polls_left -= 1


def request_json(ctx: Ctx, request: BackgroundRequest) -> dict[str, Any]:
    srv = ctx.server
    owner = srv.state.users.get(request.owner_id)
    expiry = None
    if request.finished is not None:
        expiry = request.finished + (RESULT_TTL if request.status == "finished" else FAILURE_TTL)
    return {
        "status": request.status,
        "message": request.message,
        "id": request.id,
        "operation": {
            "type": f"{request.action}:{request.subresource or request.target}",
            "target": request.target,
            "project_id": request.project_id,
            "task_id": request.task_id,
            "job_id": request.job_id,
            "format": request.format,
            "lightweight": request.lightweight,
            "org_id": request.org_id,
        },
        "progress": request.progress,
        "created_date": isodate(request.created),
        "started_date": isodate(request.started),
        "finished_date": isodate(request.finished),
        "expiry_date": isodate(expiry),
        "owner": {"id": owner.id, "username": owner.username} if owner is not None else None,
        "result_url": request.result_url if request.status == "finished" else None,
        "result_id": request.result_id if request.status == "finished" else None,
    }


def _value(srv: FakeServer, request: BackgroundRequest, name: str) -> Any:
    if name == "created_date":
        return request.created + request.seq * 1e-9
    if name == "org":
        org = srv.state.organizations.get(request.org_id) if request.org_id is not None else None
        return org.slug if org is not None else None
    if name == "subresource":
        return request.subresource
    if name == "format":
        return request.format
    return getattr(request, name)


def list_requests(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    items = [r for r in srv.state.requests.values() if r.owner_id == user.id]
    return paginate(
        ctx, REQUEST_LIST, items, lambda r, n: _value(srv, r, n), lambda r: request_json(ctx, r)
    )


def _get(srv: FakeServer, ctx: Ctx, rq_id: str) -> BackgroundRequest:
    user = require_user(ctx)
    request = srv.state.requests.get(rq_id)
    if request is None:
        raise ApiError(404, f"There is no request with specified id: {rq_id}", raw=True)
    if request.owner_id != user.id and not user.is_superuser:
        raise permission_denied()
    return request


def retrieve_request(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    request = _get(srv, ctx, id)
    _poll(srv, request)
    return render(ctx, 200, request_json(ctx, request))


def cancel_request(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    request = _get(srv, ctx, id)
    if request.status != "queued":
        raise detail(400, "Only requests that have not yet been started can be cancelled")
    del srv.state.requests[request.id]
    return render(ctx, 200, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/requests", list_requests)
    router.add("GET", r"/api/requests/(?P<id>[^/]+)", retrieve_request)
    router.add("POST", r"/api/requests/(?P<id>[^/]+)/cancel", cancel_request)
