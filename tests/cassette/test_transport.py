"""RecordingTransport and ReplayTransport: record modes, matching, plays, misses, time, hosts.

Real cvatfn flows run through the transports, over the fake server in-process (its responses
validated against CVAT's contract) or over HTTP with urllib3; the assertions are on the values
cvatfn returns and on the cassette files.
"""

from __future__ import annotations

import contextlib
import doctest
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import CvatError, TransportFailure
from cvatfn.http import HttpRequest, HttpResponse, Transport, TransportError, VirtualClock
from cvatfn_cassette import _matchers, _transport
from cvatfn_cassette._format import Cassette, RecordedRequest, load
from cvatfn_cassette._matchers import DEFAULT_MATCHERS, json_body, method, path
from cvatfn_cassette._transport import (
    CassetteMiss,
    RecordingTransport,
    RecordMode,
    ReplayTransport,
)
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.integration.fake_process import fake_http_server

BASE = "http://localhost"
OTHER = "http://replayed.example:9000"


# ----------------------------------------------------------------------------- helpers
class Spy:
    """Passes requests to ``inner`` and remembers them; a virtual clock when ``inner`` is."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.requests: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return self.inner.handle(request)

    def monotonic(self) -> float:
        assert isinstance(self.inner, VirtualClock)
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        assert isinstance(self.inner, VirtualClock)
        self.inner.sleep(seconds)


class Unreachable:
    """A network that is not there: every request fails to connect (and is counted)."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        raise TransportError("connect", "connection refused", url=request.url)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    paths: list[Path] = []
    for index, size in enumerate([(32, 24), (40, 30)]):
        target = tmp_path / f"img_{index}.png"
        Image.new("RGB", size, (index * 60, 20, 90)).save(target)
        paths.append(target)
    return paths


Outcome = tuple[object, ...]


def task_flow(
    transport: Transport, images: Sequence[Path], base: str = BASE, **config: object
) -> Outcome:
    """Log in, create a task from images (polling its background request), list its jobs."""
    validating = ValidatingTransport(transport)
    session = cvatfn.connect(
        base,
        credentials=("admin", "admin"),
        transport=validating,
        config=cvatfn.Config(**config),  # type: ignore[arg-type]
    ).unwrap()
    task = cvatfn.tasks.create_from_data(
        session, {"name": "recorded", "labels": [{"name": "car"}], "segment_size": 1}, images
    ).unwrap()
    jobs = cvatfn.tasks.get_jobs(session, task).unwrap()
    me = cvatfn.users.retrieve_current_user(session).unwrap()
    assert validating.violations == [], validating.report()
    return (session.server.version, me.username, task, jobs)


def interactions(cassette_path: Path) -> Cassette:
    return load(cassette_path).unwrap()


def requests_in(cassette: Cassette) -> list[tuple[str, str]]:
    return [(i.request.method, i.request.uri) for i in cassette.interactions]


def record(
    cassette_path: Path, images: Sequence[Path], server: FakeServer | None = None
) -> Outcome:
    """Record ``task_flow`` against a fake server into ``cassette_path`` (mode once)."""
    inner = (server or FakeServer()).transport()
    with RecordingTransport(inner, cassette_path) as recorder:
        return task_flow(recorder, images)


def failure_of(outcome: Result[object, CvatError]) -> TransportFailure:
    assert isinstance(outcome, Failure), outcome
    error: CvatError = outcome.failure()
    assert isinstance(error, TransportFailure), error
    return error


# ----------------------------------------------------------------------- record modes
def test_once_records_everything_then_replays_it(tmp_path: Path, images: list[Path]) -> None:
    cassette_path = tmp_path / "cassettes" / "flow.json"
    live = record(cassette_path, images)
    cassette = interactions(cassette_path)
    assert ("POST", "http://cvat.cassette/api/tasks") in requests_in(cassette)
    assert all(uri.startswith("http://cvat.cassette/") for _, uri in requests_in(cassette))

    unreachable = Unreachable()
    written = cassette_path.read_bytes()
    with RecordingTransport(unreachable, cassette_path, mode="once") as replaying:
        replayed = task_flow(replaying, images)
    assert replayed == live
    assert unreachable.requests == []
    assert replaying.all_played and replaying.misses == ()
    assert cassette_path.read_bytes() == written  # once with a file never writes


def test_once_with_a_file_reports_a_miss_and_keeps_the_file(
    tmp_path: Path, images: list[Path]
) -> None:
    cassette_path = tmp_path / "flow.json"
    record(cassette_path, images)
    written = cassette_path.read_bytes()
    unreachable = Unreachable()
    with RecordingTransport(unreachable, cassette_path, mode="once") as replaying:
        session = cvatfn.connect(BASE, credentials=("admin", "admin"), transport=replaying)
        extra = cvatfn.projects.list(session.unwrap())
    error = failure_of(extra)
    assert error.kind == "not_recorded"
    assert "GET http://localhost/api/projects" in error.message
    assert unreachable.requests == []
    assert len(replaying.misses) == 1
    assert cassette_path.read_bytes() == written


def test_once_without_anything_recorded_writes_no_file(tmp_path: Path) -> None:
    cassette_path = tmp_path / "empty.json"
    with RecordingTransport(FakeServer().transport(), cassette_path):
        pass
    assert not cassette_path.exists()


def test_new_episodes_replays_what_matches_and_appends_the_rest(
    tmp_path: Path, images: list[Path]
) -> None:
    cassette_path = tmp_path / "flow.json"
    live = record(cassette_path, images)
    before = interactions(cassette_path)

    spy = Spy(FakeServer().transport())
    with RecordingTransport(spy, cassette_path, mode="new_episodes") as recorder:
        replayed = task_flow(recorder, images)
        session = cvatfn.connect(BASE, credentials=("admin", "admin"), transport=recorder)
        projects = cvatfn.projects.list(session.unwrap()).unwrap()
    assert replayed == live
    assert projects == ()
    # the task flow came from the cassette; the second connect (its interactions had played)
    # and the project list went to the server
    sent = [(r.method, r.url.split("?")[0]) for r in spy.requests]
    assert not any("/api/tasks" in url or "/api/requests" in url for _, url in sent)
    assert sent[-1] == ("GET", "http://localhost/api/projects")
    assert sent[:-1] == [
        (m, u.replace("http://cvat.cassette", BASE))
        for m, u in (
            (i.request.method, i.request.uri.split("?")[0])
            for i in before.interactions[: len(sent) - 1]
        )
    ]
    assert recorder.misses == ()
    after = interactions(cassette_path)
    assert after.interactions[: len(before.interactions)] == before.interactions
    appended = requests_in(after)[len(before.interactions) :]
    assert len(appended) == len(spy.requests) > 0
    assert ("GET", "http://cvat.cassette/api/projects") in [
        (m, u.split("?")[0]) for m, u in appended
    ]


def test_new_episodes_without_a_file_records_everything(tmp_path: Path) -> None:
    cassette_path = tmp_path / "new.json"
    spy = Spy(FakeServer().transport())
    with RecordingTransport(spy, cassette_path, mode="new_episodes") as recorder:
        cvatfn.connect(BASE, credentials=("admin", "admin"), transport=recorder).unwrap()
    assert len(interactions(cassette_path).interactions) == len(spy.requests) > 0


def test_none_replays_and_never_writes(tmp_path: Path, images: list[Path]) -> None:
    cassette_path = tmp_path / "flow.json"
    live = record(cassette_path, images)
    written = cassette_path.read_bytes()
    unreachable = Unreachable()
    with RecordingTransport(unreachable, cassette_path, mode="none") as replaying:
        assert task_flow(replaying, images) == live
        session = cvatfn.connect(BASE, credentials=("admin", "admin"), transport=replaying)
        assert isinstance(session, Failure)  # the second login was never recorded
    assert unreachable.requests == []
    assert len(replaying.misses) == 1
    assert cassette_path.read_bytes() == written


def test_none_with_a_missing_cassette_fails_naming_the_file(tmp_path: Path) -> None:
    cassette_path = tmp_path / "missing" / "cassette.json"
    replaying = RecordingTransport(Unreachable(), cassette_path, mode="none")
    error = failure_of(cvatfn.connect(BASE, credentials=("admin", "admin"), transport=replaying))
    assert str(cassette_path) in error.message and "does not exist" in error.message
    assert replaying.load_error is not None
    assert replaying.close() == Success(None)
    assert not cassette_path.exists() and not cassette_path.parent.exists()

    replay = ReplayTransport(cassette_path)
    error = failure_of(cvatfn.connect(BASE, transport=replay))
    assert str(cassette_path) in error.message


def test_a_malformed_cassette_fails_every_request_clearly(tmp_path: Path) -> None:
    cassette_path = tmp_path / "broken.json"
    cassette_path.write_text('{"version": 1, "recorded_with": "x", "interactions": [')
    replay = ReplayTransport(cassette_path)  # the constructor does not raise
    error = failure_of(cvatfn.connect(BASE, transport=replay))
    assert error.message.startswith(f"{cassette_path}: ")
    assert replay.load_error is not None and error.message == str(replay.load_error)

    cassette_path.write_text('{"version": 99}')
    modes: tuple[RecordMode, ...] = ("once", "new_episodes", "none")
    for mode in modes:
        spy = Spy(FakeServer().transport())
        recorder = RecordingTransport(spy, cassette_path, mode=mode)
        error = failure_of(cvatfn.connect(BASE, transport=recorder))
        assert "unknown cassette version 99" in error.message
        assert spy.requests == []
        recorder.close()
        assert cassette_path.read_text() == '{"version": 99}'  # never overwritten


def test_all_sends_everything_and_rewrites_the_cassette(tmp_path: Path, images: list[Path]) -> None:
    cassette_path = tmp_path / "flow.json"
    record(cassette_path, images)
    spy = Spy(FakeServer().transport())
    with RecordingTransport(spy, cassette_path, mode="all") as recorder:
        cvatfn.connect(BASE, credentials=("admin", "admin"), transport=recorder).unwrap()
    assert recorder.misses == ()
    rewritten = interactions(cassette_path)
    assert len(rewritten.interactions) == len(spy.requests) > 0  # the cassette matched them all
    assert [(r.method, r.url.replace(BASE, "http://cvat.cassette")) for r in spy.requests] == (
        requests_in(rewritten)
    )

    with RecordingTransport(spy, cassette_path, mode="all"):
        pass  # nothing recorded: mode all still rewrites, with no interactions
    assert interactions(cassette_path).interactions == ()


def test_close_writes_only_what_is_new(tmp_path: Path) -> None:
    cassette_path = tmp_path / "c.json"
    recorder = RecordingTransport(FakeServer().transport(), cassette_path, mode="once")
    recorder.handle(HttpRequest("GET", f"{BASE}/api/server/about"))
    assert recorder.close() == Success(None)
    assert len(interactions(cassette_path).interactions) == 1
    cassette_path.write_text("changed by hand")
    assert recorder.close() == Success(None)  # nothing new: not written again
    assert cassette_path.read_text() == "changed by hand"
    recorder.handle(HttpRequest("GET", f"{BASE}/api/server/about"))
    assert recorder.close() == Success(None)  # something new: written again, all of it
    assert len(interactions(cassette_path).interactions) == 2


def test_a_write_failure_is_a_value_from_close(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    recorder = RecordingTransport(FakeServer().transport(), blocker / "c.json", mode="all")
    written = recorder.close()
    assert isinstance(written, Failure)
    assert str(blocker / "c.json") in str(written.failure())
    with (
        pytest.raises(OSError, match="cannot write"),
        RecordingTransport(FakeServer().transport(), blocker / "c.json", mode="all"),
    ):
        pass  # leaving the block cannot return a Result


# ------------------------------------------------------------------------------ matching
def recorded_cassette(tmp_path: Path, requests: Sequence[HttpRequest]) -> Path:
    """A cassette of ``requests`` answered by a fresh fake server."""
    cassette_path = tmp_path / "requests.json"
    with RecordingTransport(FakeServer().transport(), cassette_path, mode="all") as recorder:
        for request in requests:
            recorder.handle(request)
    return cassette_path


def admin_headers() -> tuple[tuple[str, str], ...]:
    return (("Authorization", "Basic YWRtaW46YWRtaW4="),)


def test_default_matching_ignores_host_query_order_headers_and_body(tmp_path: Path) -> None:
    cassette_path = recorded_cassette(
        tmp_path,
        [HttpRequest("GET", f"{BASE}/api/users?page=1&page_size=5&sort=id", admin_headers())],
    )
    replay = ReplayTransport(cassette_path)
    response = replay.handle(
        HttpRequest(
            "GET",
            "https://elsewhere:8443/api/users?sort=id&page_size=5&page=1",
            (("Accept", "text/plain"),),
            b"a body nobody looks at",
        )
    )
    assert response.status == 200
    assert json.loads(response.body)["results"][0]["username"] == "admin"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"{BASE}/api/users?page=2&page_size=5&sort=id", "query differs: page=2 vs page=1"),
        (f"{BASE}/api/users?page=1&page_size=5", "query differs: (nothing) vs sort=id"),
        (f"{BASE}/api/users?page=1&page=1&page_size=5&sort=id", "query differs: page=1 vs"),
        (f"{BASE}/api/users/1?page=1&page_size=5&sort=id", "path /api/users/1 != /api/users"),
    ],
)
def test_query_and_path_differences_are_misses(tmp_path: Path, url: str, reason: str) -> None:
    cassette_path = recorded_cassette(
        tmp_path, [HttpRequest("GET", f"{BASE}/api/users?page=1&page_size=5&sort=id")]
    )
    replay = ReplayTransport(cassette_path)
    with pytest.raises(TransportError) as raised:
        replay.handle(HttpRequest("GET", url))
    assert raised.value.kind == "not_recorded"
    assert reason in raised.value.message


def test_json_body_matching_is_an_option(tmp_path: Path) -> None:
    body = b'{"name": "p", "labels": [{"name": "car", "attributes": []}]}'
    create = HttpRequest(
        "POST",
        f"{BASE}/api/projects",
        (*admin_headers(), ("Content-Type", "application/json")),
        body,
    )
    cassette_path = recorded_cassette(tmp_path, [create])
    reordered = msgspec.structs.replace(
        create, body=b'{\n  "labels":[{"attributes":[],"name":"car"}],\n  "name":"p"}'
    )
    changed = msgspec.structs.replace(
        create, body=b'{"labels":[{"attributes":[],"name":"bus"}],"name":"p"}'
    )

    by_default = ReplayTransport(cassette_path)
    assert by_default.handle(changed).status == 201  # bodies are not compared by default

    by_json = ReplayTransport(cassette_path, match_on=(*DEFAULT_MATCHERS, json_body))
    with pytest.raises(TransportError) as raised:
        by_json.handle(changed)
    assert 'json_body: JSON body differs at $.labels[0].name: "bus" vs "car"' in (
        raised.value.message
    )
    assert by_json.handle(reordered).status == 201


def test_custom_matchers_are_plain_functions(tmp_path: Path) -> None:
    def organization(request: HttpRequest, recorded: RecordedRequest) -> str | None:
        live = request.header("X-Organization")
        kept = recorded.to_http().header("X-Organization")
        return None if live == kept else f"organization {live} != {kept}"

    about = f"{BASE}/api/server/about"
    cassette_path = recorded_cassette(
        tmp_path,
        [
            HttpRequest("GET", about, (("X-Organization", "lab"),)),
            HttpRequest("GET", about, (("X-Organization", "org"),)),
        ],
    )
    replay = ReplayTransport(cassette_path, match_on=(method, path, organization))
    assert replay.handle(HttpRequest("GET", about, (("X-Organization", "org"),))).status == 200
    assert replay.handle(HttpRequest("GET", about, (("X-Organization", "lab"),))).status == 200
    assert replay.all_played
    with pytest.raises(TransportError) as raised:
        replay.handle(HttpRequest("GET", about, (("X-Organization", "zoo"),)))
    assert "organization: organization zoo != lab" in raised.value.message
    assert "organization: organization zoo != org" in raised.value.message

    def broken(request: HttpRequest, recorded: RecordedRequest) -> str | None:
        raise KeyError("a bug in a matcher")

    replay = ReplayTransport(cassette_path, match_on=(broken,))
    error = failure_of(cvatfn.connect(BASE, transport=replay))  # a value, never an exception
    assert f"cassette {cassette_path}: cannot replay GET {about}" in error.message
    assert "a bug in a matcher" in error.message


def test_matching_sees_the_request_as_recorded(tmp_path: Path) -> None:
    """A login body matches on JSON although its password is redacted in the cassette."""
    server = FakeServer()
    server.add_user("alice", "s3cret-pw")
    cassette_path = tmp_path / "login.json"
    with RecordingTransport(server.transport(), cassette_path, mode="all") as recorder:
        assert recorder.handle(LOGIN).status == 200
    assert b"s3cret-pw" not in cassette_path.read_bytes()
    replay = ReplayTransport(cassette_path, match_on=(*DEFAULT_MATCHERS, json_body))
    assert replay.handle(LOGIN).status == 200
    other_user = msgspec.structs.replace(
        LOGIN, body=b'{"username": "bob", "password": "s3cret-pw"}'
    )
    replay = ReplayTransport(cassette_path, match_on=(*DEFAULT_MATCHERS, json_body))
    with pytest.raises(TransportError, match=r"JSON body differs at \$.username"):
        replay.handle(other_user)


# ------------------------------------------------------------------------- plays and order
def test_each_interaction_plays_once_unless_repeats_are_allowed(tmp_path: Path) -> None:
    about = HttpRequest("GET", f"{BASE}/api/server/about")
    cassette_path = recorded_cassette(tmp_path, [about, about])
    replay = ReplayTransport(cassette_path)
    assert replay.handle(about).status == replay.handle(about).status == 200
    with pytest.raises(TransportError) as raised:
        replay.handle(about)
    assert "already played" in raised.value.message
    [miss] = replay.misses
    assert [c.played for c in miss.candidates] == [True, True]
    assert all(c.failed == () for c in miss.candidates)

    repeating = ReplayTransport(cassette_path, allow_repeats=True)
    for _ in range(5):
        assert repeating.handle(about).status == 200
    assert repeating.misses == ()


def test_polls_replay_in_recorded_order_and_instantly(tmp_path: Path, images: list[Path]) -> None:
    server = FakeServer()
    server.configure_requests(polls_before_finish=2)
    cassette_path = tmp_path / "polling.json"
    inner = server.transport()
    with RecordingTransport(inner, cassette_path) as recorder:
        live = task_flow(recorder, images, status_check_period=30.0)
    assert inner.monotonic() >= 60.0  # recording slept on the fake server's virtual clock

    cassette = interactions(cassette_path)
    polls = [
        json.loads(i.response.to_http().body)["status"]
        for i in cassette.interactions
        if i.request.method == "GET" and "/api/requests/" in i.request.uri
    ]
    assert polls == ["queued", "started", "finished"]

    replay = ReplayTransport(cassette_path)
    started = time.monotonic()
    replayed = task_flow(replay, images, status_check_period=30.0)
    assert time.monotonic() - started < 10.0  # two 30-second sleeps took no wall time
    assert replay.monotonic() >= 60.0  # ... but they did pass on the replay's clock
    assert replayed == live
    assert replay.all_played


def test_recording_never_answers_from_this_session(tmp_path: Path) -> None:
    """While recording, a repeated request reaches the server again."""
    spy = Spy(FakeServer().transport())
    about = HttpRequest("GET", f"{BASE}/api/server/about")
    with RecordingTransport(spy, tmp_path / "c.json", mode="new_episodes") as recorder:
        recorder.handle(about)
        recorder.handle(about)
    assert len(spy.requests) == 2
    assert len(recorder.recorded) == 2


# --------------------------------------------------------------------------------- misses
def test_a_miss_shows_the_request_and_the_closest_candidates(tmp_path: Path) -> None:
    cassette_path = recorded_cassette(
        tmp_path,
        [
            HttpRequest("GET", f"{BASE}/api/server/about"),
            HttpRequest("GET", f"{BASE}/api/users?page=1", admin_headers()),
            HttpRequest("POST", f"{BASE}/api/users?page=2", admin_headers()),
            HttpRequest("GET", f"{BASE}/api/users?page=2&x=1", admin_headers()),
            HttpRequest("DELETE", f"{BASE}/api/tasks/1", admin_headers()),
        ],
    )
    replay = ReplayTransport(cassette_path)
    with pytest.raises(TransportError) as raised:
        replay.handle(HttpRequest("GET", f"{OTHER}/api/users?page=2"))
    message = raised.value.message
    lines = message.splitlines()
    assert lines[0] == f"cassette {cassette_path}: no recorded interaction answers"
    assert lines[1] == f"  GET {OTHER}/api/users?page=2"
    assert lines[2] == "matching on method, path, query; closest of 5 recorded interaction(s):"
    assert lines[3:10] == [
        "  #1 GET http://cvat.cassette/api/users?page=1",
        "     query: query differs: page=2 vs page=1",
        "  #2 POST http://cvat.cassette/api/users?page=2",
        "     method: method GET != POST",
        "  #3 GET http://cvat.cassette/api/users?page=2&x=1",
        "     query: query differs: (nothing) vs x=1",
        "to record it, re-run with --cvat-record-mode=new_episodes "
        '(or RecordingTransport(..., mode="new_episodes"))',
    ]

    [miss] = replay.misses
    assert isinstance(miss, CassetteMiss)
    assert miss.message == message
    assert [c.index for c in miss.candidates] == [1, 2, 3]
    assert miss.candidates[0].passed == ("method", "path")
    assert miss.candidates[0].failed == (("query", "query differs: page=2 vs page=1"),)


def test_a_miss_through_cvatfn_is_a_transport_failure_value(tmp_path: Path) -> None:
    cassette_path = recorded_cassette(tmp_path, [HttpRequest("GET", f"{BASE}/api/server/about")])
    replay = ReplayTransport(cassette_path)
    session = cvatfn.connect(OTHER, transport=replay).unwrap()
    error = failure_of(cvatfn.tasks.retrieve(session, 7))
    assert error.kind == "not_recorded"
    assert f"GET {OTHER}/api/tasks/7" in error.message
    assert "#0 GET http://cvat.cassette/api/server/about" in error.message
    assert "path: path /api/tasks/7 != /api/server/about" in error.message
    assert "--cvat-record-mode=new_episodes" in error.message


def test_an_empty_cassette_misses_with_no_candidates(tmp_path: Path) -> None:
    cassette_path = recorded_cassette(tmp_path, [])
    replay = ReplayTransport(cassette_path)
    error = failure_of(cvatfn.connect(BASE, transport=replay))
    assert "the cassette has no interactions" in error.message
    assert replay.misses[0].candidates == ()


# ------------------------------------------------------------------------ hosts and servers
def test_replay_is_host_independent(tmp_path: Path, images: list[Path]) -> None:
    cassette_path = tmp_path / "flow.json"
    live = record(cassette_path, images)
    assert b"localhost" not in cassette_path.read_bytes()
    replayed = task_flow(ReplayTransport(cassette_path), images, base=OTHER)
    version, username, task, jobs = replayed
    assert (version, username) == live[:2]
    assert isinstance(task, cvatfn.models.Task)
    assert task.url == f"{OTHER}/api/tasks/{task.id}"
    live_task = live[2]
    assert isinstance(live_task, cvatfn.models.Task)
    assert msgspec.to_builtins(task) == json.loads(
        json.dumps(msgspec.to_builtins(live_task)).replace(BASE, OTHER)
    )
    assert isinstance(jobs, tuple) and len(jobs) == len(live[3]) == 2  # type: ignore[arg-type]


@pytest.mark.http
def test_replay_with_the_server_gone(tmp_path: Path, images: list[Path]) -> None:
    cassette_path = tmp_path / "http.json"
    with (
        fake_http_server("--polls-before-finish", "2") as url,
        Urllib3Transport() as network,
        RecordingTransport(network, cassette_path) as recorder,
    ):
        live = task_flow(recorder, images, base=url, status_check_period=0.05)
    with Urllib3Transport() as network:
        gone = cvatfn.connect(url, transport=network)
    assert failure_of(gone).kind == "connect"

    polls = [
        i for i in interactions(cassette_path).interactions if "/api/requests/" in i.request.uri
    ]
    assert len(polls) >= 3
    replayed = task_flow(ReplayTransport(cassette_path), images, base=url)
    assert replayed == live
    elsewhere = task_flow(ReplayTransport(cassette_path), images, base=OTHER)
    assert elsewhere[:2] == live[:2]


# ----------------------------------------------------------------------- the contract
def test_the_clock_follows_the_inner_transport_while_recording(tmp_path: Path) -> None:
    server = FakeServer()
    recorder = RecordingTransport(server.transport(), tmp_path / "c.json")
    assert isinstance(recorder, VirtualClock)
    start = recorder.monotonic()
    recorder.sleep(12.5)
    assert server.transport().monotonic() - start == pytest.approx(12.5)

    class NoClock:
        def handle(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(204)

    real = RecordingTransport(NoClock(), tmp_path / "d.json", mode="all")
    before = time.monotonic()
    assert before <= real.monotonic() <= time.monotonic()

    replay = ReplayTransport(tmp_path / "none.json")
    replay.sleep(3600.0)
    assert replay.monotonic() == 3600.0


def test_inner_failures_pass_through_and_are_not_recorded(tmp_path: Path) -> None:
    class Broken:
        def handle(self, request: HttpRequest) -> HttpResponse:
            raise RuntimeError("boom")

    cassette_path = tmp_path / "c.json"
    recorder = RecordingTransport(Unreachable(), cassette_path, mode="all")
    error = failure_of(cvatfn.connect(BASE, transport=recorder))
    assert error.kind == "connect"
    broken = RecordingTransport(Broken(), cassette_path, mode="all")
    with pytest.raises(TransportError) as raised:
        broken.handle(HttpRequest("GET", f"{BASE}/api/server/about"))
    assert raised.value.kind == "protocol" and "boom" in raised.value.message
    assert recorder.recorded == broken.recorded == ()


class Capture(Spy):
    """A :class:`Spy` that also remembers the responses."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.responses: list[HttpResponse] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        response = super().handle(request)
        self.responses.append(response)
        return response


def test_secrets_are_filtered_before_keeping_but_the_caller_gets_the_live_response(
    tmp_path: Path,
) -> None:
    server = FakeServer()
    server.add_user("alice", "s3cret-pw")
    capture = Capture(server.transport())
    cassette_path = tmp_path / "login.json"
    recorder = RecordingTransport(capture, cassette_path, mode="all")
    response = recorder.handle(LOGIN)
    assert response == capture.responses[0]  # unfiltered, byte for byte
    [cookie] = [v for v in response.header_values("Set-Cookie") if v.startswith("sessionid=")]
    live_session = cookie.split(";")[0].split("=", 1)[1]
    key = json.loads(response.body)["key"]
    kept = repr(recorder.recorded).encode() + b"".join(
        i.response.body.data + i.request.body.data for i in recorder.recorded
    )
    for secret in (b"s3cret-pw", live_session.encode(), key.encode()):
        assert secret not in kept
    recorder.close()
    written = cassette_path.read_bytes()
    for secret in (b"s3cret-pw", live_session.encode(), key.encode()):
        assert secret not in written


LOGIN = HttpRequest(
    "POST",
    f"{BASE}/api/auth/login",
    (("Content-Type", "application/json"),),
    b'{"username": "alice", "password": "s3cret-pw"}',
)


def test_unknown_record_modes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="record mode"):
        RecordingTransport(FakeServer().transport(), tmp_path / "c", mode="sometimes")  # type: ignore[arg-type]


@pytest.mark.parametrize("module", [_transport, _matchers], ids=lambda m: m.__name__)
def test_docstring_examples(module: object, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = sorted(finder.find(module), key=lambda t: t.lineno or 0)
    assert tests
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# ---------------------------------------------------------------------- never raises
def _url(host: str, path: str, query: str) -> str:
    return f"http://{host}/{path}?{query}"


urls = st.one_of(
    st.text(max_size=40),
    st.builds(
        _url,
        st.text("abc.:[]@%", max_size=12),
        st.text("api/tsk%?#é ", max_size=20),
        st.text("a=b&%;+", max_size=12),
    ),
)
requests = st.builds(
    HttpRequest,
    st.sampled_from(["GET", "POST", "PATCH", "get", "", "BREW"]),
    urls,
    st.lists(
        st.tuples(
            st.sampled_from(["Cookie", "Authorization", "X-CSRFToken", "Content-Type", "X"]),
            st.text(max_size=20),
        ),
        max_size=3,
    ).map(tuple),
    st.one_of(
        st.binary(max_size=40),
        st.just(b'{"username": "alice", "password": "s3cret-pw"}'),
        st.just(b"[" * 5000 + b"]" * 5000),
        st.text(max_size=30).map(str.encode),
    ),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=requests)
def test_handle_never_raises_anything_but_transport_errors(
    tmp_path: Path, sent: HttpRequest
) -> None:
    cassette_path = tmp_path / "any.json"
    if not cassette_path.exists():
        with RecordingTransport(FakeServer().transport(), cassette_path, mode="all") as recorder:
            recorder.handle(LOGIN)
            recorder.handle(HttpRequest("GET", f"{BASE}/api/server/about"))
    transports: list[Transport] = [
        ReplayTransport(cassette_path, match_on=(*DEFAULT_MATCHERS, json_body, _matchers.body)),
        RecordingTransport(FakeServer().transport(), cassette_path, mode="new_episodes"),
        RecordingTransport(FakeServer().transport(), tmp_path / "rec.json", mode="all"),
    ]
    for transport in transports:
        with contextlib.suppress(TransportError):
            transport.handle(sent)
