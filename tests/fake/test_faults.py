"""Fault injection in the fake server, in-process: every fault kind, phases, plans, the log.

Exchanges go through :class:`ValidatingTransport` (``Api``), so the fault answers and the
answers around them are checked against CVAT's 2.80 contract; the contract declares no error
statuses, so a fault answer only has to be a well-formed answer and must not break the
validation of the successes that follow.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from PIL import Image

from cvatfn.http import HttpRequest, HttpResponse, StreamingTransport, TransportError
from cvatfn_fake import (
    NO_RESPONSE,
    Dropped,
    DroppedConnection,
    FakeServer,
    FaultEvent,
    FaultInjector,
    FaultPlan,
)
from tests.fake.conftest import BASE, Api, basic, make_task, request_path

ABOUT = "/api/server/about"
TUS = (("Tus-Resumable", "1.0.0"),)
CHUNK = (*TUS, ("Content-Type", "application/offset+octet-stream"))


def project_names(api: Api) -> list[str]:
    return [p["name"] for p in api.get("/api/projects").data["results"]]


def noise_png(size: tuple[int, int] = (160, 120), seed: int = 1) -> bytes:
    """A PNG that does not compress (random pixels), so its bytes are many and distinct."""
    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, "PNG")
    return buffer.getvalue()


def start_tus(api: Api, task_id: int, blob: bytes, name: str = "noise.png") -> str:
    path = f"/api/tasks/{task_id}/data/"
    assert api.call("POST", path, headers=(("Upload-Start", ""),)).status == 202
    meta = "filename " + base64.b64encode(name.encode()).decode()
    created = api.call(
        "POST",
        path,
        headers=(*TUS, ("Upload-Length", str(len(blob))), ("Upload-Metadata", meta)),
    )
    assert created.status == 201
    return created.header("location") or ""


def patch(api: Api, location: str, blob: bytes, offset: int) -> Any:
    return api.call(
        "PATCH", location, body=blob[offset:], headers=(*CHUNK, ("Upload-Offset", str(offset)))
    )


def head_offset(api: Api, location: str) -> int:
    head = api.call("HEAD", location, headers=TUS)
    assert head.status == 200
    return int(head.header("upload-offset") or "-1")


def finish_and_read_back(api: Api, task_id: int) -> bytes:
    path = f"/api/tasks/{task_id}/data/"
    finish = api.post(path, {"image_quality": 70}, headers=(("Upload-Finish", ""),))
    assert finish.status == 202, finish.data
    frame = api.get(f"/api/tasks/{task_id}/data?type=frame&number=0&quality=original")
    assert frame.status == 200
    return frame.response.body


# ------------------------------------------------------------------------- statuses
def test_fail_next_before_answers_the_status_and_changes_nothing(
    server: FakeServer, admin: Api
) -> None:
    server.faults.fail_next(status=503, count=2, retry_after="1", method="POST")
    for _ in range(2):
        reply = admin.post("/api/projects", {"name": "never"})
        assert reply.status == 503
        assert reply.header("Retry-After") == "1"
        assert reply.header("Content-Type") == "text/html"
        assert b"<title>503 Service Temporarily Unavailable</title>" in reply.response.body
        assert reply.header("Content-Length") == str(len(reply.response.body))
    assert project_names(admin) == []  # the GET is not a POST: not failed either
    assert admin.post("/api/projects", {"name": "third"}).status == 201
    assert project_names(admin) == ["third"]
    assert server.faults.injected["status_503"] == 2
    assert server.faults.pending == 0
    assert admin.transport.violations == []


def test_fail_next_after_processes_the_request_then_replaces_the_answer(
    server: FakeServer, admin: Api
) -> None:
    server.faults.fail_next(status=504, method="POST", path=r"^/api/projects/?$", phase="after")
    reply = admin.post("/api/projects", {"name": "created anyway"})
    assert reply.status == 504
    assert b"504 Gateway Time-out" in reply.response.body
    assert project_names(admin) == ["created anyway"]
    assert [e.phase for e in server.faults.events] == ["after"]


def test_path_is_a_regex_searched_in_the_path_and_method_is_case_insensitive(
    server: FakeServer, admin: Api
) -> None:
    server.faults.fail_next(status=502, method="get", path=r"/users/\d+$")
    assert admin.get("/api/users/self").status == 200
    assert admin.get(ABOUT).status == 200
    assert admin.get("/api/users/1").status == 502
    assert admin.get("/api/users/1").status == 200


def test_429_is_drf_throttled_with_retry_after(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(status=429, retry_after="7")
    reply = anon.get(ABOUT, headers=(("Accept", "application/json"),))
    assert reply.status == 429
    assert reply.header("Retry-After") == "7"
    assert reply.header("Content-Type") == "application/json"
    assert reply.data == {"detail": "Request was throttled. Expected available in 7 seconds."}

    server.faults.fail_next(status=429)
    plain = anon.get(ABOUT)
    assert (plain.status, plain.header("Retry-After")) == (429, None)
    assert plain.header("Content-Type") == "application/vnd.cvat+json"
    assert plain.data == {"detail": "Request was throttled."}


def test_retry_after_as_an_http_date(server: FakeServer, anon: Api) -> None:
    when = datetime.fromtimestamp(server.now() + 90, UTC)
    date = format_datetime(when, usegmt=True)
    server.faults.fail_next(status=429, retry_after=date)
    reply = anon.get(ABOUT)
    assert reply.header("Retry-After") == date
    assert reply.data == {"detail": "Request was throttled. Expected available in 90 seconds."}
    server.faults.fail_next(status=503, retry_after=date)
    assert anon.get(ABOUT).header("Retry-After") == date


def test_other_statuses_look_like_django_and_drf(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(status=500)
    crash = anon.get(ABOUT)
    assert crash.status == 500
    assert crash.header("Content-Type") == "text/html; charset=utf-8"
    assert b"<h1>Server Error (500)</h1>" in crash.response.body
    server.faults.fail_next(status=409)
    conflict = anon.get(ABOUT)
    assert (conflict.status, conflict.data) == (409, {"detail": "Conflict"})


def test_a_head_fault_has_the_length_of_its_page_and_no_body(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(status=502)
    reply = anon.call("HEAD", ABOUT)
    assert reply.status == 502 and reply.response.body == b""
    assert int(reply.header("Content-Length") or "0") > 0


def test_faults_apply_in_the_order_they_were_added(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(status=502)
    server.faults.fail_next(status=429)
    server.faults.fail_next(status=503, count=2)
    assert [anon.get(ABOUT).status for _ in range(5)] == [502, 429, 503, 503, 200]


# ---------------------------------------------------------------------------- drops
def test_drop_before_raises_protocol_and_changes_nothing(server: FakeServer, admin: Api) -> None:
    server.faults.drop_next(method="POST", phase="before")
    with pytest.raises(TransportError) as raised:
        admin.post("/api/projects", {"name": "lost"})
    assert raised.value.kind == "protocol"
    assert isinstance(raised.value, DroppedConnection)
    assert "without a response" in raised.value.message
    assert raised.value.url == f"{BASE}/api/projects"
    assert project_names(admin) == []
    assert server.faults.injected["drop"] == 1


def test_drop_after_changes_state_and_the_log_marks_it(server: FakeServer, admin: Api) -> None:
    server.faults.drop_next(method="POST")
    with pytest.raises(TransportError, match="mid-body"):
        admin.post("/api/projects", {"name": "made"})
    assert project_names(admin) == ["made"]
    request, logged = next((q, a) for q, a in server.log if q.method == "POST")
    assert logged.status == 201
    marker = logged.header("X-Cvatfn-Fake-Fault") or ""
    assert marker.startswith("dropped: the connection closed after ")
    full = int(logged.header("Content-Length") or "0")
    assert 0 < len(logged.body) < full
    assert json.loads(request.body) == {"name": "made"}


def test_a_drop_with_nothing_sent_is_logged_with_status_0(server: FakeServer, admin: Api) -> None:
    server.faults.drop_next(method="DELETE")
    project = admin.post("/api/projects", {"name": "gone"}).data
    with pytest.raises(TransportError, match="without a response"):
        admin.delete(f"/api/projects/{project['id']}")  # 204: no body to cut
    assert project_names(admin) == []  # processed: the project is deleted
    logged = server.log[-2][1]
    assert logged.status == NO_RESPONSE
    assert logged.header("X-Cvatfn-Fake-Fault") == (
        "dropped: the connection closed without a response"
    )


def test_handle_cannot_drop_so_the_drop_stays_pending(server: FakeServer) -> None:
    server.faults.drop_next()
    request = HttpRequest("GET", BASE + ABOUT)
    assert server.handle(request).status == 200
    assert server.faults.pending == 1
    with pytest.raises(DroppedConnection):
        server.transport().handle(request)
    assert server.faults.pending == 0


def test_exchange_reports_a_drop_as_a_value(server: FakeServer) -> None:
    whole = server.handle(HttpRequest("GET", BASE + ABOUT))
    server.faults.drop_next()
    answer = server.exchange(HttpRequest("GET", BASE + ABOUT))
    assert isinstance(answer, Dropped) and answer.response is not None
    assert answer.response.body == whole.body
    assert answer.delivered == whole.body[: len(whole.body) // 2]


def read_stream(
    transport: StreamingTransport,
    request: HttpRequest,
    heads: list[HttpResponse],
    received: bytearray,
) -> None:
    """Stream ``request``, keeping the head and every piece that arrives until it fails."""
    with transport.stream(request, chunk_size=64) as (head, chunks):
        heads.append(head)
        for chunk in chunks:
            assert 0 < len(chunk) <= 64
            received += chunk


def test_a_streamed_answer_is_cut_mid_body(server: FakeServer) -> None:
    transport = server.transport()
    assert isinstance(transport, StreamingTransport)
    request = HttpRequest("GET", BASE + ABOUT)
    whole = transport.handle(request).body
    with transport.stream(request, chunk_size=64) as (head, chunks):
        assert (head.status, head.body) == (200, b"")
        assert b"".join(chunks) == whole
    server.faults.drop_next(path="about")
    received = bytearray()
    heads: list[HttpResponse] = []
    with pytest.raises(TransportError) as raised:
        read_stream(transport, request, heads, received)
    assert raised.value.kind == "protocol"
    assert [(h.status, h.header("Content-Length")) for h in heads] == [(200, str(len(whole)))]
    assert bytes(received) == whole[: len(whole) // 2]


def test_a_stream_dropped_before_the_head_raises_on_entering(server: FakeServer) -> None:
    server.faults.drop_next(phase="before")
    heads: list[HttpResponse] = []
    with pytest.raises(TransportError, match="without a response"):
        read_stream(server.transport(), HttpRequest("GET", BASE + ABOUT), heads, bytearray())
    assert heads == []


# ------------------------------------------------------------------------ TUS cuts
@pytest.mark.parametrize(
    ("accept", "then", "kept"),
    [(0.25, "drop", None), (1000, 500, 1000), (0, 503, 0)],
)
def test_a_cut_tus_patch_resumes_from_head_to_the_exact_file(
    server: FakeServer, admin: Api, accept: float | int, then: int | str, kept: int | None
) -> None:
    blob = noise_png()
    task = make_task(admin, labels=["a"])
    location = start_tus(admin, task["id"], blob)
    server.faults.cut_next_tus_patch(accept=accept, then=then)  # type: ignore[arg-type]
    expected = kept if kept is not None else int(len(blob) * 0.25)
    if then == "drop":
        with pytest.raises(TransportError):
            patch(admin, location, blob, 0)
    else:
        failed = patch(admin, location, blob, 0)
        assert failed.status == then
    offset = head_offset(admin, location)
    assert offset == expected
    rest = patch(admin, location, blob, offset)
    assert (rest.status, rest.header("upload-offset")) == (204, str(len(blob)))
    stored = finish_and_read_back(admin, task["id"])
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(blob).hexdigest()
    assert server.faults.injected["tus_cut"] == 1
    (event,) = server.faults.events
    assert (event.kind, event.method, event.phase, event.kept) == (
        "tus_cut",
        "PATCH",
        "after",
        expected,
    )


def test_a_cut_applies_to_tus_patches_only(server: FakeServer, admin: Api) -> None:
    blob = noise_png((40, 30))
    server.faults.cut_next_tus_patch(accept=10, then=500)
    task = make_task(admin, labels=["a"])
    location = start_tus(admin, task["id"], blob)  # POSTs and a GET: untouched
    assert patch(admin, location, blob, 5).status == 409  # wrong offset: nothing to cut
    assert server.faults.pending == 1
    assert patch(admin, location, blob, 0).status == 500
    assert head_offset(admin, location) == 10


def test_a_cut_of_an_import_file_upload(server: FakeServer, admin: Api) -> None:
    task = make_task(admin, labels=["a"])
    payload = random.Random(3).randbytes(5000)
    created = admin.call(
        "POST",
        f"/api/tasks/{task['id']}/annotations/?format=CVAT%201.1",
        headers=(*TUS, ("Upload-Length", str(len(payload))), ("Upload-Metadata", "filename eA==")),
    )
    assert created.status == 201, created.data
    location = created.header("location") or ""
    server.faults.cut_next_tus_patch(accept=0.5, then=502)
    assert patch(admin, location, payload, 0).status == 502
    assert head_offset(admin, location) == 2500
    assert patch(admin, location, payload, 2500).header("upload-offset") == "5000"


# --------------------------------------------------------------------------- sessions
def login(api: Api) -> tuple[tuple[str, str], ...]:
    reply = api.post("/api/auth/login", {"username": "admin", "password": "admin"})
    cookies = dict(
        c.split(";")[0].split("=", 1) for c in reply.response.header_values("Set-Cookie")
    )
    return (
        ("Cookie", f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"),
        ("X-CSRFToken", cookies["csrftoken"]),
        ("Origin", BASE),
    )


def test_expired_sessions_are_anonymous(server: FakeServer, anon: Api, admin: Api) -> None:
    session = login(anon)
    assert anon.get("/api/users/self", headers=session).status == 200
    assert server.faults.expire_sessions() == 1
    stale = anon.get("/api/users/self", headers=session)
    assert stale.status == 401
    assert stale.data == {"detail": "Authentication credentials were not provided."}
    assert stale.header("WWW-Authenticate") == "Token"
    assert stale.header("Set-Cookie") == (
        'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
    )
    unsafe = anon.post("/api/projects", {"name": "x"}, headers=session)
    assert unsafe.status == 401  # anonymous: no CSRF check, so not a 403
    assert admin.get("/api/users/self").status == 200  # Basic auth is not a session
    assert anon.get("/api/users/self", headers=login(anon)).status == 200  # log in again


# ---------------------------------------------------------------------------- latency
def test_latency_advances_the_virtual_clock(server: FakeServer, anon: Api) -> None:
    server.faults.set_latency(1.5)
    start = server.now()
    anon.get(ABOUT)
    anon.get(ABOUT)
    assert server.now() - start == 3.0
    server.faults.set_latency(0)
    anon.get(ABOUT)
    assert server.now() - start == 3.0


def test_latency_sleeps_with_a_real_clock() -> None:
    server = FakeServer(clock=time.time)
    server.faults.set_latency(0.2)
    started = time.monotonic()
    assert server.transport().handle(HttpRequest("GET", BASE + ABOUT)).status == 200
    assert time.monotonic() - started >= 0.2


# ------------------------------------------------------------------------------ plans
def run_plan(plan: FaultPlan, requests: int = 200) -> tuple[list[int], tuple[FaultEvent, ...]]:
    server = FakeServer(seed=99)
    server.faults.plan(plan)
    transport = server.transport()
    statuses: list[int] = []
    for index in range(requests):
        path = ABOUT if index % 2 else "/api/users/self"
        try:
            answer = transport.handle(HttpRequest("GET", BASE + path, basic("admin", "admin")))
            statuses.append(answer.status)
        except DroppedConnection:
            statuses.append(-1)
    return statuses, server.faults.events


def test_a_seeded_plan_is_reproducible() -> None:
    plan = FaultPlan(rate=0.2, seed=7, statuses=(500, 502, 503, 429), retry_after="1", drops=True)
    first, first_events = run_plan(plan)
    second, second_events = run_plan(plan)
    assert first == second and first_events == second_events
    other, _ = run_plan(FaultPlan(rate=0.2, seed=8, statuses=plan.statuses, drops=True))
    assert other != first
    faulted = [s for s in first if s != 200]
    assert 20 <= len(faulted) <= 60  # about a fifth of 200
    assert set(faulted) <= {500, 502, 503, 429, -1}
    assert len(set(faulted)) == 5  # every kind shows up


def test_the_plan_is_independent_of_the_servers_other_randomness() -> None:
    plan = FaultPlan(rate=0.3, seed=1)
    server_a, server_b = FakeServer(seed=1), FakeServer(seed=2)
    for server in (server_a, server_b):
        server.faults.plan(plan)
    a = [server_a.handle(HttpRequest("GET", BASE + ABOUT)).status for _ in range(60)]
    b = [server_b.handle(HttpRequest("GET", BASE + ABOUT)).status for _ in range(60)]
    assert a == b and set(a) > {200}


def test_setting_a_plan_again_restarts_it(server: FakeServer) -> None:
    plan = FaultPlan(rate=0.5, seed=4)
    server.faults.plan(plan)
    first = [server.handle(HttpRequest("GET", BASE + ABOUT)).status for _ in range(30)]
    server.faults.plan(plan)
    assert [server.handle(HttpRequest("GET", BASE + ABOUT)).status for _ in range(30)] == first


def test_after_share_decides_whether_state_changes(server: FakeServer, admin: Api) -> None:
    server.faults.plan(FaultPlan(rate=1.0, statuses=(502,), after_share=1.0, method="POST"))
    for index in range(3):
        assert admin.post("/api/projects", {"name": f"p{index}"}).status == 502
    server.faults.plan(FaultPlan(rate=1.0, statuses=(502,), after_share=0.0, method="POST"))
    assert admin.post("/api/projects", {"name": "never"}).status == 502
    server.faults.plan(None)
    assert sorted(project_names(admin)) == ["p0", "p1", "p2"]
    assert admin.transport.violations == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_planned_429_or_503_never_happens_after_the_work(
    server: FakeServer, admin: Api, status: int
) -> None:
    # Both say the server did not act on the request, so a client may send it again.
    plan = FaultPlan(rate=1.0, statuses=(status,), after_share=1.0, method="POST")
    server.faults.plan(plan)
    for index in range(3):
        assert admin.post("/api/projects", {"name": f"p{index}"}).status == status
    server.faults.plan(None)
    assert project_names(admin) == []


def test_suspended_serves_without_faults_and_the_plan_resumes(server: FakeServer) -> None:
    def statuses(n: int) -> list[int]:
        return [server.handle(HttpRequest("GET", BASE + ABOUT)).status for _ in range(n)]

    server.faults.plan(FaultPlan(rate=0.5, seed=3, statuses=(500,)))
    expected = statuses(12)
    server.faults.plan(FaultPlan(rate=0.5, seed=3, statuses=(500,)))
    server.faults.fail_next(status=503)
    first = statuses(6)
    with server.faults.suspended():
        assert statuses(5) == [200] * 5
    rest = statuses(7)
    # The pending 503 waited; the plan went on with the draws it had not made yet.
    assert first[0] == 503 and first[1:] + rest[:] == expected[: len(first) - 1 + len(rest)]


def test_retry_after_goes_with_429_and_503_only(server: FakeServer, anon: Api) -> None:
    server.faults.plan(FaultPlan(rate=1.0, seed=5, statuses=(429, 500, 503), retry_after="4"))
    seen: dict[int, str | None] = {}
    for _ in range(40):
        reply = anon.get(ABOUT)
        seen[reply.status] = reply.header("Retry-After")
    assert seen == {429: "4", 500: None, 503: "4"}


def test_handle_never_draws_a_drop_from_the_plan(server: FakeServer) -> None:
    server.faults.plan(FaultPlan(rate=1.0, statuses=(), drops=True))
    assert server.handle(HttpRequest("GET", BASE + ABOUT)).status == 200
    with pytest.raises(DroppedConnection):
        server.transport().handle(HttpRequest("GET", BASE + ABOUT))


def test_a_plan_with_partial_tus_still_lets_a_resuming_client_finish(
    server: FakeServer, admin: Api
) -> None:
    """A client that re-reads the offset with HEAD after every failure ends with the exact
    file, whatever the plan cut or dropped on the way."""
    blob = noise_png((200, 150), seed=5)
    task = make_task(admin, labels=["a"])
    location = start_tus(admin, task["id"], blob)
    server.faults.plan(
        FaultPlan(rate=0.6, seed=11, statuses=(502,), drops=True, partial_tus=True, method="PATCH")
    )
    offset, attempts = 0, 0
    while offset < len(blob):
        attempts += 1
        assert attempts < 100
        piece = blob[: offset + 8192]  # chunks of at most 8 KiB
        try:
            reply = patch(admin, location, piece, offset)
        except TransportError:
            reply = None
        if reply is not None and reply.status == 204:
            offset = int(reply.header("upload-offset") or "0")
        else:
            offset = head_offset(admin, location)
    server.faults.plan(None)
    stored = finish_and_read_back(admin, task["id"])
    assert hashlib.sha256(stored).digest() == hashlib.sha256(blob).digest()
    kinds = {e.kind for e in server.faults.events}
    assert kinds == {"status", "drop", "tus_cut"}


# ----------------------------------------------------------------- housekeeping
def test_clear_removes_pending_faults_plan_and_latency(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(count=3)
    server.faults.drop_next()
    server.faults.cut_next_tus_patch()
    server.faults.plan(FaultPlan(rate=1.0))
    server.faults.set_latency(5)
    server.faults.fail_background("boom")
    assert anon.get(ABOUT).status == 503
    server.faults.clear()
    assert (server.faults.pending, server.faults.current_plan, server.faults.latency) == (
        0,
        None,
        0.0,
    )
    start = server.now()
    assert anon.get(ABOUT).status == 200 and server.now() == start
    assert server.take_failure() is None
    assert server.faults.injected["status_503"] == 1  # the history stays


def test_injected_is_read_only_and_counts_background_failures(
    server: FakeServer, admin: Api
) -> None:
    injected = server.faults.injected
    assert injected["drop"] == 0
    with pytest.raises(TypeError):
        injected["drop"] = 5  # type: ignore[index]
    server.faults.fail_background("disk full", count=1)
    server.add_remote_file("http://files.example/a.png", noise_png((8, 8)))
    task = make_task(admin, labels=["a"])
    reply = admin.post(
        f"/api/tasks/{task['id']}/data/",
        {"image_quality": 70, "remote_files": ["http://files.example/a.png"]},
    )
    assert reply.status == 202
    request = admin.get(request_path(reply.data["rq_id"])).data
    assert (request["status"], request["message"]) == ("failed", "disk full")
    assert injected["background"] == 1  # the same live view


NONSENSE_PLANS: list[tuple[Callable[[], object], str]] = [
    (lambda: FaultPlan(rate=1.5), "rate must be between 0 and 1"),
    (lambda: FaultPlan(rate=-0.1), "rate must be between 0 and 1"),
    (lambda: FaultPlan(after_share=2), "after_share must be between 0 and 1"),
    (lambda: FaultPlan(statuses=(200,)), "from 400 to 599"),
    (lambda: FaultPlan(statuses=503), "statuses must be a tuple"),  # type: ignore[arg-type]
    (lambda: FaultPlan(retry_after="soon"), "retry_after must be"),
    (lambda: FaultPlan(path="("), "not a valid regular expression"),
    (lambda: FaultPlan(rate=0.5, statuses=(), drops=False), "needs statuses or drops"),
    (lambda: FaultPlan(seed="7"), "seed must be an int"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("make", "match"), NONSENSE_PLANS)
def test_nonsense_plans_are_refused(make: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


NONSENSE_FAULTS: list[tuple[Callable[[FaultInjector], object], str]] = [
    (lambda f: f.fail_next(status=200), "from 400 to 599"),
    (lambda f: f.fail_next(count=0), "count must be"),
    (lambda f: f.fail_next(phase="during"), "phase must be"),  # type: ignore[arg-type]
    (lambda f: f.fail_next(retry_after="-3"), "retry_after must be"),
    (lambda f: f.drop_next(path="[", method="GET"), "not a valid regular expression"),
    (lambda f: f.cut_next_tus_patch(accept=1.5), "between 0 and 1"),
    (lambda f: f.cut_next_tus_patch(accept=-1), "accept as bytes"),
    (lambda f: f.cut_next_tus_patch(then=200), "from 400 to 599"),
    (lambda f: f.set_latency(-1), "latency must be"),
    (lambda f: f.set_latency(float("nan")), "latency must be"),
    (lambda f: f.plan("often"), "expected a FaultPlan"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "match"), NONSENSE_FAULTS)
def test_nonsense_faults_are_refused(
    server: FakeServer, call: Callable[[FaultInjector], object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        call(server.faults)
    assert server.faults.pending == 0


def test_every_fault_is_in_the_log_as_the_client_saw_it(server: FakeServer, anon: Api) -> None:
    server.faults.fail_next(status=503, retry_after="2")
    server.faults.drop_next(phase="before")
    anon.get(ABOUT)
    with pytest.raises(TransportError):
        anon.get(ABOUT)
    anon.get(ABOUT)
    answers = [answer for _, answer in server.log]
    assert [a.status for a in answers] == [503, NO_RESPONSE, 200]
    assert answers[0].header("Retry-After") == "2"
    assert answers[0].header("X-Cvatfn-Fake-Fault") is None  # sent as is


def iter_statuses(server: FakeServer, n: int) -> Iterator[int]:
    for _ in range(n):
        yield server.handle(HttpRequest("GET", BASE + ABOUT)).status


def test_server_handle_never_raises_under_a_heavy_plan() -> None:
    server = FakeServer()
    server.faults.plan(
        FaultPlan(rate=1.0, statuses=(429, 500, 502, 503, 504), drops=True, after_share=0.5)
    )
    assert set(iter_statuses(server, 50)) <= {429, 500, 502, 503, 504}
    assert isinstance(server.handle(HttpRequest("BREW", "::not a url::")), HttpResponse)
