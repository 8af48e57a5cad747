"""The pytest plugin, driven through pytester: inner test files run in a pytest of their own.

The plugin is installed through cvatfn's ``pytest11`` entry point, so the inner runs load it
exactly as a user's suite does; they run with ``--strict-markers``, which also shows that the
``cvat_cassette`` marker is registered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cvatfn.http import HttpRequest
from cvatfn_cassette import load
from cvatfn_cassette.pytest_plugin import CvatCassette, cassette_path
from cvatfn_fake import FakeServer

pytest_plugins = ["pytester"]

HEADER = """
import pytest
import cvatfn
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn_fake import FakeServer


class Unreachable:
    '''A server that is not there: replaying must never touch it.'''

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise TransportError("connect", "nobody is listening")


def connect(transport, host="http://localhost"):
    return cvatfn.connect(host, credentials=("admin", "admin"), transport=transport)
"""

RECORD_AND_USE = (
    HEADER
    + """
def test_tasks(cvat_cassette):
    server = FakeServer()
    transport = cvat_cassette.transport(server.transport())
    session = connect(transport).unwrap()
    cvatfn.tasks.create(session, {"name": "recorded"}).unwrap()
    assert [t.name for t in cvatfn.tasks.list(session).unwrap()] == ["recorded"]
"""
)

REPLAY_ONLY = (
    HEADER
    + """
def test_tasks(cvat_cassette):
    transport = cvat_cassette.transport(Unreachable())
    session = connect(transport, "http://elsewhere.example:8443").unwrap()
    cvatfn.tasks.create(session, {"name": "recorded"}).unwrap()
    assert [t.name for t in cvatfn.tasks.list(session).unwrap()] == ["recorded"]
"""
)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # Without hypothesis's plugin, which an in-process run would import and assertion-rewrite
    # afresh each time (seconds per run); the inner tests do not use it.
    return pytester.runpytest_inprocess(
        "--strict-markers", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args
    )


def _cassette(pytester: pytest.Pytester, module: str, test: str) -> Path:
    return pytester.path / "cassettes" / module / f"{test}.json"


def test_path_is_derived_from_the_test_id_like_pytest_recording() -> None:
    assert cassette_path("/t/test_a.py", "test_b", None) == Path("/t/cassettes/test_a/test_b.json")
    assert cassette_path("/t/test_a.py", "test_b[x]", "TestC") == Path(
        "/t/cassettes/test_a/TestC.test_b[x].json"
    )
    assert cassette_path("/t/test_a.py", 'test_b[a/b:c*d?"e"<f>|g%h\\i]', None).name == (
        "test_b[a-b-c-d--e--f--g-h-i].json"
    )


def test_the_fixture_value_records_on_close_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "about.json"
    recording = CvatCassette(path, mode="all")
    about = HttpRequest("GET", "http://127.0.0.1:8080/api/server/about")
    assert recording.transport(FakeServer().transport()).handle(about).status == 200
    assert not path.exists()  # written when the test ends
    recording.close()
    assert [i.request.uri for i in load(path).unwrap().interactions] == [
        "http://cvat.cassette/api/server/about"
    ]
    replaying = CvatCassette(path, mode="none")
    assert replaying.transport().handle(about).status == 200
    assert replaying.misses == () and replaying.load().version == 1


def test_record_once_then_replay_without_a_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flow=RECORD_AND_USE)
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(passed=1)
    path = _cassette(pytester, "test_flow", "test_tasks")
    recorded = load(path).unwrap()
    assert [i.request.method for i in recorded.interactions] == ["GET", "POST", "POST", "GET"]
    login = json.loads(path.read_text())["interactions"][1]["request"]
    assert login["body"]["json"]["password"] != "admin"  # filtered before it was written
    before = path.read_bytes()

    pytester.makepyfile(test_flow=REPLAY_ONLY)
    _run(pytester).assert_outcomes(passed=1)  # mode none: the default
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(passed=1)  # exists: replays
    assert path.read_bytes() == before  # replaying never writes


def test_parametrized_and_class_tests_get_their_own_cassettes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_names=HEADER
        + """
@pytest.mark.parametrize("name", ["a/b", "c"])
def test_p(cvat_cassette, name):
    connect(cvat_cassette.transport(FakeServer().transport())).unwrap()

class TestGroup:
    def test_m(self, cvat_cassette):
        connect(cvat_cassette.transport(FakeServer().transport())).unwrap()
"""
    )
    _run(pytester, "--cvat-record-mode=all").assert_outcomes(passed=3)
    folder = pytester.path / "cassettes" / "test_names"
    assert sorted(p.name for p in folder.iterdir()) == [
        "TestGroup.test_m.json",
        "test_p[a-b].json",
        "test_p[c].json",
    ]


def test_a_missing_cassette_fails_the_test_in_mode_none(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flow=REPLAY_ONLY)
    result = _run(pytester)
    result.assert_outcomes(failed=1)
    path = _cassette(pytester, "test_flow", "test_tasks")
    result.stdout.fnmatch_lines(
        [
            f"*cvat_cassette: {path}: the cassette does not exist",
            "*record it with --cvat-record-mode=once*",
        ]
    )
    assert not path.exists()


def test_a_malformed_cassette_fails_the_test_naming_file_and_problem(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_flow=REPLAY_ONLY)
    path = _cassette(pytester, "test_flow", "test_tasks")
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "recorded_with": "x", "interactions": [}')
    result = _run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*cvat_cassette: {path}: not a valid JSON cassette*"])

    path.write_text('{"version": 7, "recorded_with": "x", "interactions": []}')
    result = _run(pytester, "--cvat-record-mode=once")  # exists, so once replays it too
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{path}: unknown cassette version 7*"])


def test_a_miss_fails_a_test_that_ignored_it_and_shows_the_candidates(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_flow=RECORD_AND_USE)
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_flow=HEADER
        + """
def test_tasks(cvat_cassette):
    session = connect(cvat_cassette.transport()).unwrap()
    # a request that was never recorded; the test looks away from the failure value
    assert cvatfn.tasks.list(session, name="other").failure() is not None
"""
    )
    result = _run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cvat_cassette: request(s) not in the cassette",
            "*no recorded interaction answers",
            "*GET http://localhost/api/tasks?*name=other*",
            "*closest of 4 recorded interaction(s):",
            "*#3 GET http://cvat.cassette/api/tasks?*",
            "*query:*name*",
            "*--cvat-record-mode=new_episodes*",
        ]
    )


def test_a_failing_test_gets_the_miss_report_as_a_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flow=RECORD_AND_USE)
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_flow=HEADER
        + """
def test_tasks(cvat_cassette):
    session = connect(cvat_cassette.transport()).unwrap()
    cvatfn.tasks.retrieve(session, 99).unwrap()
"""
    )
    result = _run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*UnwrapFailedError*", "*cvat_cassette misses*", "*GET http://localhost/api/tasks/99"]
    )


ABOUT = (
    HEADER
    + """
def test_about(cvat_cassette):
    transport = cvat_cassette.transport(FakeServer().transport())
    for query in QUERIES:
        request = HttpRequest("GET", "http://localhost/api/server/about" + query)
        assert transport.handle(request).status == 200
"""
)


def test_new_episodes_appends_and_all_rewrites(pytester: pytest.Pytester) -> None:
    path = _cassette(pytester, "test_flow", "test_about")

    def uris() -> list[str]:
        return [
            i.request.uri.removeprefix("http://cvat.cassette")
            for i in load(path).unwrap().interactions
        ]

    pytester.makepyfile(test_flow="QUERIES = ['']\n" + ABOUT)
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(test_flow="QUERIES = ['', '?v=2']\n" + ABOUT)
    _run(pytester, "--cvat-record-mode=once").assert_outcomes(failed=1)  # once: a miss
    assert uris() == ["/api/server/about"]
    _run(pytester, "--cvat-record-mode=new_episodes").assert_outcomes(passed=1)
    assert uris() == ["/api/server/about", "/api/server/about?v=2"]  # appended
    _run(pytester).assert_outcomes(passed=1)

    pytester.makepyfile(test_flow="QUERIES = ['?v=3']\n" + ABOUT)
    _run(pytester, "--cvat-record-mode=all").assert_outcomes(passed=1)
    assert uris() == ["/api/server/about?v=3"]  # rewritten


def test_recording_without_a_server_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_flow=HEADER
        + """
def test_tasks(cvat_cassette):
    cvat_cassette.transport()
"""
    )
    result = _run(pytester, "--cvat-record-mode=all")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mode 'all' records * which needs a server*"])


def test_the_marker_sets_path_mode_matchers_and_repeats(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked=HEADER
        + """
from cvatfn_cassette import method, path

@pytest.mark.cvat_cassette(path="shared/about.json", mode="once")
def test_record(cvat_cassette):
    connect(cvat_cassette.transport(FakeServer().transport())).unwrap()

@pytest.mark.cvat_cassette("shared/about.json", match_on=[method, path], allow_repeats=True)
def test_replay_twice(cvat_cassette):
    transport = cvat_cassette.transport()
    for _ in range(2):  # the login is answered twice; the path matcher ignores ?org=
        connect(transport, "http://other:1").unwrap()
    about = HttpRequest("GET", "http://other:1/api/server/about?org=x")
    assert transport.handle(about).status == 200
    assert cvat_cassette.allow_repeats and cvat_cassette.mode == "none"
"""
    )
    # mode none on the command line: the first test's marker says once, so it records
    _run(pytester, "--cvat-record-mode=none").assert_outcomes(passed=2)
    assert (pytester.path / "shared" / "about.json").exists()
    assert not (pytester.path / "cassettes").exists()


def test_markers_are_registered_and_checked(pytester: pytest.Pytester) -> None:
    _run(pytester, "--markers").stdout.fnmatch_lines(["@pytest.mark.cvat_cassette(path=None*"])
    pytester.makepyfile(
        test_bad=HEADER
        + """
@pytest.mark.cvat_cassette(modes="all")
def test_typo(cvat_cassette):
    pass

@pytest.mark.cvat_cassette(mode="sometimes")
def test_bad_mode(cvat_cassette):
    pass
"""
    )
    result = _run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*unknown option(s) modes; expected allow_repeats, match_on, mode, path*",
            "*unknown record mode 'sometimes'*",
        ]
    )


def test_an_unknown_record_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--cvat-record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cvat-record-mode: invalid choice: 'sometimes'*"])


def test_a_cassette_that_cannot_be_written_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flow=RECORD_AND_USE)
    blocker = pytester.path / "cassettes"
    blocker.write_text("a file where the cassettes folder should be")
    result = _run(pytester, "--cvat-record-mode=all")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*cvat_cassette: cannot write*test_tasks.json*"])


def test_module_examples() -> None:
    import doctest

    from cvatfn_cassette import pytest_plugin

    assert doctest.testmod(pytest_plugin, optionflags=doctest.ELLIPSIS).failed == 0
