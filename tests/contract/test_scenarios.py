"""Every contract scenario over every transport, with equal results.

Each scenario (``tests/contract/scenarios.py``) runs three times:

1. in-process, over a new :class:`~cvatfn_fake.FakeServer` prepared with its ``Setup``;
2. with urllib3, against a fresh ``python -m cvatfn_fake`` HTTP front given the same
   ``Setup`` as command-line arguments;
3. by replaying its committed cassette (``cassettes/test_scenarios/...``) through the
   ``cvat_cassette`` fixture, with no server running and under another base URL.

Every response of every run is validated against CVAT's 2.80 contract, and the three results
must be equal values. In the default record mode (``none``) run 2 is also recorded into a
temporary file and compared with the committed cassette: the interactions must be equal apart
from when they were recorded, so the committed cassettes are exactly what the fake answers
today. To re-record them (after a deliberate change of the fake or of a scenario)::

    .venv/bin/python -m pytest tests/contract/test_scenarios.py --cvat-record-mode=all

In a recording mode, run 2 goes through ``cvat_cassette.transport(urllib3)``, which writes the
cassette, and run 3 replays what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from returns.result import Failure, Success

from cvatfn.http import Transport
from cvatfn_cassette import Cassette, Interaction, RecordingTransport, load
from cvatfn_cassette.pytest_plugin import CvatCassette
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract import scenarios
from tests.contract.openapi import ValidatingTransport
from tests.contract.scenarios import FAILURE_MESSAGE, SCENARIOS, Link, Scenario
from tests.integration.fake_process import fake_http_server

pytestmark = pytest.mark.http

REPLAY_BASE = "http://cvat.replay.example:9000"
"""Where the replayed client thinks the server is: neither the recording host nor the
cassette's placeholder."""

CASSETTES = Path(__file__).parent / "cassettes" / "test_scenarios"


def _run(scenario: Scenario, url: str, transport: Transport) -> Hashable:
    """``scenario`` over ``transport``, every response checked against the contract."""
    checked = ValidatingTransport(transport)
    result = scenario.run(Link(url, checked))
    assert checked.violations == [], checked.report()
    return result


def _in_process(scenario: Scenario) -> Hashable:
    server = FakeServer()
    scenario.setup.apply(server)
    if scenario.setup.prepare is not None:
        scenario.setup.prepare(Link("http://localhost", server.transport()))
    return _run(scenario, "http://localhost", server.transport())


def _comparable(cassette: Cassette) -> tuple[Interaction, ...]:
    return tuple(msgspec.structs.replace(i, recorded_at="") for i in cassette.interactions)


def _differences(committed: Cassette, again: Cassette, limit: int = 5) -> list[str]:
    """Readable differences between two cassettes' interactions (recorded times aside)."""
    ours, theirs = _comparable(committed), _comparable(again)
    problems: list[str] = []
    if len(ours) != len(theirs):
        problems.append(f"{len(ours)} interactions committed, {len(theirs)} recorded now")
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a == b:
            continue
        where = f"#{index} {a.request.method} {a.request.uri}"
        for part in ("request", "response"):
            left, right = getattr(a, part), getattr(b, part)
            for name in left.__struct_fields__:
                x, y = getattr(left, name), getattr(right, name)
                if x != y:
                    problems.append(f"{where}: {part}.{name}: committed {x!r}, now {y!r}")
        if len(problems) >= limit:
            break
    return problems[:limit]


# Each scenario's own facts, so that three equal results cannot be three equal mistakes.
EXPECTED: dict[str, Callable[[Any], None]] = {}


def _expect(name: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(check: Callable[[Any], None]) -> Callable[[Any], None]:
        EXPECTED[name] = check
        return check

    return register


@_expect("seed_example")
def _seed(result: Any) -> None:
    lines, task_id, name, size = result
    assert (name, size) == ("my task", 2)
    assert lines[0] == f"created task {task_id} 'example task' from 2 local images: size=2"
    assert "frames: image1.png 64x48, image2.png 32x24" in lines
    assert lines[-1] == f"removed task {task_id}: retrieving it now gives NotFound"


@_expect("paging_250_tasks")
def _paging(result: Any) -> None:
    listed, pages = result
    assert listed == tuple((n + 1, f"paged-{n:03d}") for n in reversed(range(250)))
    assert [query.split("?")[1].split("&") for _, query in pages] == [
        ["page_size=100", f"page={n}"] for n in (1, 2, 3)
    ]


@_expect("organization_context")
def _organization(result: Any) -> None:
    header, members, placement, in_lab, personal, everything, alice, *denied = result
    assert header == ("lab", "The Lab", "worker")
    assert members == (("admin", "owner", True), ("alice", "worker", False))
    assert placement == (None, (True, True))
    assert (in_lab, personal) == (("inside-1", "inside-2"), ("alice-own", "outside"))
    assert everything == ("alice-own", "inside-1", "inside-2", "outside")
    assert alice == ("alice-own",)
    assert [kind for kind, _ in denied] == ["Forbidden", "Forbidden", "ok"]


@_expect("upload_over_tus")
def _tus(result: Any) -> None:
    sizes, task, frames, sent = result
    assert sizes[0] < 1024 < sizes[1] and task == ("over TUS", 2, "annotation")
    assert sorted(frames) == [("large.png", 32, 24), ("small.png", 8, 6)]
    patches = [path for method, path in sent if method == "PATCH"]
    assert len(patches) == 3 and len(set(patches)) == 1  # ceil(2396 / 1000) chunks, one upload


@_expect("failed_background_request")
def _failed(result: Any) -> None:
    error, request_id, polls, tasks = result
    assert error == ("BackgroundFailed", FAILURE_MESSAGE) and request_id
    assert len(polls) == 3 and len(set(polls)) == 1  # queued, started, failed
    assert tasks == (("doomed", 0, 0),)


def test_every_scenario_has_its_own_checks() -> None:
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str, cvat_cassette: CvatCassette, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    replaying = cvat_cassette.mode == "none"
    # In mode none the committed cassette must be readable before anything runs.
    replay = cvat_cassette.transport() if replaying else None

    in_process = _in_process(scenario)
    EXPECTED[name](in_process)

    rerecorded = tmp_path / "rerecorded.json"
    with fake_http_server(*scenario.setup.cli_args()) as url, Urllib3Transport() as live:
        if scenario.setup.prepare is not None:
            scenario.setup.prepare(Link(url, live))
        recorder = (
            RecordingTransport(live, rerecorded, mode="all")
            if replaying
            else cvat_cassette.transport(live)
        )
        over_http = _run(scenario, url, recorder)
        assert recorder.misses == ()
        assert isinstance(recorder.close(), Success)
    # The server is gone: what follows cannot reach it.

    replay = cvat_cassette.replay() if replay is None else replay
    replayed = _run(scenario, REPLAY_BASE, replay)
    assert replay.all_played, "the replay left recorded interactions unused"

    assert in_process == over_http
    assert over_http == replayed

    if replaying:
        committed = cvat_cassette.load()
        match load(rerecorded):
            case Success(Cassette() as again):
                problems = _differences(committed, again)
            case Failure(error):
                problems = [str(error)]
            case _:  # pragma: no cover
                problems = ["unreachable"]
        assert problems == [], (
            f"re-recording {name} differs from {cvat_cassette.path}:\n" + "\n".join(problems)
        )


def test_committed_cassettes_are_small_and_complete() -> None:
    """One cassette per scenario, kilobytes each, holding no secret of the recording."""
    files = sorted(CASSETTES.glob("*.json"))
    assert [f.name for f in files] == sorted(f"test_scenario[{name}].json" for name in SCENARIOS)
    for file in files:
        assert file.stat().st_size < 500_000, file
        text = file.read_text()
        for secret in ("alice-pw", '"password": "admin"', '"password":"admin"'):
            assert secret not in text, (file, secret)


def test_scenario_examples() -> None:
    import doctest

    assert doctest.testmod(scenarios, optionflags=doctest.ELLIPSIS).failed == 0


def test_the_http_front_dates_its_answers_by_the_fakes_clock() -> None:
    """What makes re-recording reproducible: no wall-clock time in the HTTP front's headers."""
    import doctest
    import importlib
    import urllib.request

    from cvatfn_fake import serve

    def headers(url: str) -> tuple[str, str]:
        with urllib.request.urlopen(url + "/api/server/about") as answer:
            return answer.headers["Date"], answer.headers["Server"]

    server = FakeServer()
    server.advance(90)
    with serve(server) as handle:
        assert headers(handle.url) == ("Thu, 01 Jan 2026 00:01:30 GMT", "cvatfn_fake")
    with serve(server.transport(), clock=lambda: 0.0) as handle:
        assert headers(handle.url)[0] == "Thu, 01 Jan 1970 00:00:00 GMT"
    front = importlib.import_module("cvatfn_fake._http_front")
    assert doctest.testmod(front).failed == 0
