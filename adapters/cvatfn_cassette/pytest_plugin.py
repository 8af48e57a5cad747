"""The pytest plugin of cvatfn_cassette (registered through the ``pytest11`` entry point).

Theory of operation
-------------------
Installing cvatfn registers this module with pytest, which gives every test suite:

- the ``cvat_cassette`` fixture, a :class:`CvatCassette`: ``cvat_cassette.transport(inner)``
  is a :class:`~cvatfn_cassette.RecordingTransport` around ``inner`` in the run's record mode,
  and ``cvat_cassette.transport()`` (no ``inner``) replays; ``cvat_cassette.replay()`` always
  replays, whatever the mode;
- the ``--cvat-record-mode`` option: ``none`` (the default, and what CI runs), ``once``,
  ``new_episodes`` or ``all``, with vcrpy's meanings (see ``cvatfn_cassette._transport``);
- the ``cvat_cassette`` marker for per-test options:
  ``@pytest.mark.cvat_cassette(path=None, mode=None, match_on=None, allow_repeats=None)``.
  A marker's ``mode`` wins over the command line; ``path`` may be relative to the test
  module's directory.

**Where the cassette is.** As pytest-recording names them: ``<directory of the test
module>/cassettes/<module name>/<test name>.json``, the test name with its parameters
(``test_list[page-2]``), prefixed by ``Class.`` for a test in a class, and with the
characters ``<>?%*:|"'/\\`` replaced by ``-``.

**Failing loudly.** Before a transport that replays is handed out, the cassette is read with
:func:`cvatfn_cassette.load`; a missing file (in mode ``none``) or a malformed one fails the
test at once with the file and the problem. A request nothing in the cassette answers becomes a
``TransportFailure`` value inside cvatfn, which a test might not look at, so the plugin also
checks each test's transports after the test body: a test that passed with a miss fails with
the miss report (the request, the closest recorded candidates and why each did not match),
and a test that failed gets the report as an extra section.

**Writing.** In the recording modes, every transport the fixture handed out is closed at
teardown, which writes the cassette (atomically, filtered of secrets and host, see
``cvatfn_cassette._filters``); a cassette that cannot be written fails the test. Mode ``none``
never writes.

Example (a test module)::

    import cvatfn
    from cvatfn_fake import FakeServer

    def test_about(cvat_cassette):
        # with --cvat-record-mode=once the first run records from the fake server
        transport = cvat_cassette.transport(FakeServer().transport())
        session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
                                 transport=transport).unwrap()
        assert session.server.version == "2.80.0"
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, cast

import pytest
from returns.result import Failure

from cvatfn.http import Transport
from cvatfn_cassette._format import Cassette, load
from cvatfn_cassette._matchers import DEFAULT_MATCHERS, Matcher
from cvatfn_cassette._transport import (
    RECORD_MODES,
    CassetteMiss,
    RecordingTransport,
    RecordMode,
    ReplayTransport,
)

__all__ = ["CvatCassette", "cassette_path", "cvat_cassette"]

MARKER: Final = "cvat_cassette"
_OPTION: Final = "--cvat-record-mode"
_MARKER_ARGS: Final = frozenset({"path", "mode", "match_on", "allow_repeats"})
_UNSAFE: Final = re.compile(r"""[<>?%*:|"'/\\]""")
_KEY: Final = pytest.StashKey["CvatCassette"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--cvat-record-mode``."""
    group = parser.getgroup("cvat_cassette", "CVAT cassettes (cvatfn_cassette)")
    group.addoption(
        _OPTION,
        dest="cvat_record_mode",
        choices=RECORD_MODES,
        default="none",
        help="how the cvat_cassette fixture records: none (replay only, never write; the "
        "default), once (record a cassette that does not exist yet), new_episodes (replay "
        "what matches, record and append the rest), all (record everything, rewrite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``cvat_cassette`` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path=None, mode=None, match_on=None, allow_repeats=None): options of the "
        "cvat_cassette fixture for this test (cassette path, record mode, matchers, whether "
        "an interaction may answer more than once)",
    )


def cassette_path(module_path: str | os.PathLike[str], test_name: str, cls: str | None) -> Path:
    """Where the cassette of a test lives, named as pytest-recording names it.

    Examples:
        >>> cassette_path("tests/test_tasks.py", "test_list[a/b]", None).as_posix()
        'tests/cassettes/test_tasks/test_list[a-b].json'
        >>> cassette_path("tests/test_tasks.py", "test_get", "TestTasks").name
        'TestTasks.test_get.json'
    """
    module = Path(module_path)
    name = test_name if cls is None else f"{cls}.{test_name}"
    return module.parent / "cassettes" / module.stem / f"{_UNSAFE.sub('-', name)}.json"


class CvatCassette:
    """The ``cvat_cassette`` fixture's value: the test's cassette and its transports.

    The fixture builds it from the test id, the command line and the marker; building one by
    hand works the same way.

    Examples:
        >>> import tempfile
        >>> from cvatfn.http import HttpRequest
        >>> from cvatfn_fake import FakeServer
        >>> path = Path(tempfile.mkdtemp()) / "cassettes" / "test_x.json"
        >>> about = HttpRequest("GET", "http://127.0.0.1:8080/api/server/about")
        >>> recording = CvatCassette(path, mode="once")
        >>> recording.transport(FakeServer().transport()).handle(about).status
        200
        >>> recording.close()  # at the end of the test: writes the cassette
        >>> replaying = CvatCassette(path, mode="none")
        >>> replaying.transport().handle(about).status  # no server needed
        200
        >>> len(replaying.load().interactions), replaying.misses
        (1, ())
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: RecordMode,
        match_on: Sequence[Matcher] | None = None,
        allow_repeats: bool = False,
    ) -> None:
        self.path = Path(path)
        """The cassette file."""
        self.mode: RecordMode = mode
        """The record mode in force for this test."""
        self.match_on: tuple[Matcher, ...] | None = None if match_on is None else tuple(match_on)
        """The matchers, or ``None`` for the default (method, path, query)."""
        self.allow_repeats = allow_repeats
        self._transports: list[RecordingTransport | ReplayTransport] = []

    # -- handing out transports

    def transport(self, inner: Transport | None = None) -> RecordingTransport | ReplayTransport:
        """A transport for this test's cassette, in the record mode in force.

        With ``inner`` (the real or fake server), a ``RecordingTransport``: in mode ``none``
        it only replays and never sends to ``inner``. Without ``inner``, a
        ``ReplayTransport`` (recording needs a server: a recording mode that would record
        fails the test). A cassette that must be replayed but is missing or malformed fails
        the test before anything is sent.
        """
        exists = self.path.exists()
        replays = self.mode == "none" or (self.mode == "once" and exists)
        if inner is None:
            if not replays:
                pytest.fail(
                    f"cvat_cassette: mode {self.mode!r} records {self.path}, which needs a "
                    "server: pass it as cvat_cassette.transport(inner)",
                    pytrace=False,
                )
            return self.replay()
        if replays or exists:
            self.load()
        recorder = RecordingTransport(
            inner,
            self.path,
            mode=self.mode,
            match_on=self._matchers(),
            allow_repeats=self.allow_repeats,
        )
        self._transports.append(recorder)
        return recorder

    def replay(self) -> ReplayTransport:
        """A ``ReplayTransport`` of the cassette, whatever the mode (never touches a server).

        In a recording mode, close the transport that recorded first, so that the file exists.
        """
        self.load()
        replay = ReplayTransport(
            self.path, match_on=self._matchers(), allow_repeats=self.allow_repeats
        )
        self._transports.append(replay)
        return replay

    def load(self) -> Cassette:
        """The cassette as it is on disk; fails the test if it is missing or malformed."""
        loaded = load(self.path)
        if isinstance(loaded, Failure):
            hint = ""
            if not self.path.exists():
                hint = f"\nrecord it with {_OPTION}=once (the default, none, only replays)"
            pytest.fail(f"cvat_cassette: {loaded.failure()}{hint}", pytrace=False)
        return loaded.unwrap()

    def _matchers(self) -> tuple[Matcher, ...]:
        return DEFAULT_MATCHERS if self.match_on is None else self.match_on

    # -- after the test

    @property
    def misses(self) -> tuple[CassetteMiss, ...]:
        """Every request that no recorded interaction answered, over all the transports."""
        return tuple(miss for t in self._transports for miss in t.misses)

    def miss_report(self) -> str:
        """The misses as text, one report after the other."""
        return "\n\n".join(miss.message for miss in self.misses)

    def close(self) -> None:
        """Close every transport handed out; in a recording mode this writes the cassette.

        A cassette that cannot be written fails the test.
        """
        problems: list[str] = []
        for transport in self._transports:
            written = transport.close()
            if isinstance(written, Failure):
                problems.append(str(written.failure()))
        if problems:
            pytest.fail("cvat_cassette: cannot write " + "; ".join(problems), pytrace=False)


def _record_mode(value: object) -> RecordMode:
    for mode in RECORD_MODES:
        if value == mode:
            return mode
    pytest.fail(
        f"cvat_cassette: unknown record mode {value!r}; expected one of {RECORD_MODES}",
        pytrace=False,
    )


def _marker_options(request: pytest.FixtureRequest) -> dict[str, object]:
    options: dict[str, object] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):  # closest wins
        if marker.args:
            if len(marker.args) > 1:
                pytest.fail(
                    f"@pytest.mark.{MARKER} takes at most one positional argument (path)",
                    pytrace=False,
                )
            options["path"] = marker.args[0]
        unknown = set(marker.kwargs) - _MARKER_ARGS
        if unknown:
            pytest.fail(
                f"@pytest.mark.{MARKER}: unknown option(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(sorted(_MARKER_ARGS))}",
                pytrace=False,
            )
        options.update({k: v for k, v in marker.kwargs.items() if v is not None})
    return options


@pytest.fixture
def cvat_cassette(request: pytest.FixtureRequest) -> Iterator[CvatCassette]:
    """This test's cassette (see :class:`CvatCassette` and the module's theory of operation)."""
    options = _marker_options(request)
    module = Path(str(request.node.path))
    owner = cast("type[object] | None", getattr(request, "cls", None))
    cls = owner.__name__ if owner is not None else None
    path = cassette_path(module, request.node.name, cls)
    if "path" in options:
        given = Path(os.fspath(cast("str | os.PathLike[str]", options["path"])))
        path = given if given.is_absolute() else module.parent / given
    mode = _record_mode(options.get("mode", request.config.getoption("cvat_record_mode")))
    match_on = cast("Sequence[Matcher] | None", options.get("match_on"))
    cassette = CvatCassette(
        path,
        mode=mode,
        match_on=match_on,
        allow_repeats=bool(options.get("allow_repeats", False)),
    )
    request.node.stash[_KEY] = cassette
    yield cassette
    cassette.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that passed although a request missed its cassette."""
    try:
        yield
    except BaseException:
        cassette = item.stash.get(_KEY, None)
        if cassette is not None and cassette.misses:
            item.add_report_section("call", "cvat_cassette misses", cassette.miss_report())
        raise
    cassette = item.stash.get(_KEY, None)
    if cassette is not None and cassette.misses:
        pytest.fail(
            "cvat_cassette: request(s) not in the cassette\n" + cassette.miss_report(),
            pytrace=False,
        )
