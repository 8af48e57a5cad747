"""Contract scenarios: the same CVAT conversations, comparable over every transport.

Theory of operation
-------------------
A scenario is a plain function that takes a :class:`Link` (a base URL and a transport, with
:meth:`Link.connect` to log in) and returns a value built only from what the server said:
ids, names, sizes, statuses, error types and messages, and the requests the client sent
(method, path and query, never the host). Nothing in a result depends on the transport (no
URLs, ports, cookies or times), so the results of one scenario run over the in-process fake,
over urllib3 against ``python -m cvatfn_fake`` and over a replayed cassette compare with
``==``.

What the server must hold before the conversation starts is a :class:`Setup`: extra users
and how background requests behave, applied to an in-process :class:`~cvatfn_fake.FakeServer`
directly (:meth:`Setup.apply`) or handed to ``python -m cvatfn_fake`` as command-line arguments
(:meth:`Setup.cli_args`), and data made through the API (:attr:`Setup.prepare`, e.g. 250
tasks), sent to the same server before the scenario starts but not part of the recorded
conversation. A replay needs none of it: the cassette holds the answers.

Each scenario's conversation is deterministic: fixed inputs (the images are built byte for
byte here, without Pillow), the fake's virtual clock and seeded randomness, and a
content-derived multipart boundary, so recording it twice gives the same interactions.

Example:
    >>> from cvatfn_fake import FakeServer
    >>> server = FakeServer()
    >>> SCENARIOS["failed_background_request"].setup.apply(server)
    >>> result = failed_background_request(Link("http://localhost", server.transport()))
    >>> result[0]
    ('BackgroundFailed', 'Not enough disk space on the fake')
"""

from __future__ import annotations

import importlib.util
import struct
import tempfile
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from returns.result import Failure, Result, Success

import cvatfn
from cvatfn import Config
from cvatfn.errors import BackgroundFailed, CvatError
from cvatfn.http import HttpRequest, HttpResponse, Transport, VirtualClock
from cvatfn_fake import FakeServer

__all__ = [
    "SCENARIOS",
    "Link",
    "Scenario",
    "Setup",
    "failed_background_request",
    "organization_context",
    "paging_250_tasks",
    "png",
    "seed_example",
    "upload_over_tus",
]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "task_example.py"
ADMIN = ("admin", "admin")
ALICE = ("alice", "alice-pw")
FAILURE_MESSAGE = "Not enough disk space on the fake"


# --------------------------------------------------------------------------------- plumbing


@dataclass(frozen=True)
class Setup:
    """What the server holds before a scenario starts.

    Example:
        >>> Setup(users=(("bob", "pw"),), polls_before_finish=1).cli_args()
        ('--user', 'bob:pw', '--polls-before-finish', '1')
    """

    users: tuple[tuple[str, str], ...] = ()
    polls_before_finish: int = 0
    fail_next_requests: tuple[str, ...] = ()
    prepare: Callable[[Link], None] | None = None
    """Data to create through the API first (over a link that is not recorded)."""

    def apply(self, server: FakeServer) -> None:
        """Prepare an in-process fake server."""
        for name, password in self.users:
            server.add_user(name, password)
        server.configure_requests(polls_before_finish=self.polls_before_finish)
        for message in self.fail_next_requests:
            server.fail_next_requests(message)

    def cli_args(self) -> tuple[str, ...]:
        """The same preparation as arguments of ``python -m cvatfn_fake``."""
        args: list[str] = []
        for name, password in self.users:
            args += ["--user", f"{name}:{password}"]
        if self.polls_before_finish:
            args += ["--polls-before-finish", str(self.polls_before_finish)]
        for message in self.fail_next_requests:
            args += ["--fail-next-request", message]
        return tuple(args)


class _Tally:
    """Passes every request on and notes its method, path and query."""

    def __init__(self, inner: Transport, sent: list[tuple[str, str]]) -> None:
        self.inner = inner
        self.sent = sent

    def handle(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        self.sent.append((request.method, parts.path + (f"?{parts.query}" if parts.query else "")))
        return self.inner.handle(request)


class _TallyClock(_Tally):
    """A :class:`_Tally` around a transport that keeps time: it keeps the same time."""

    inner: Any

    def monotonic(self) -> float:
        return float(self.inner.monotonic())

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


@dataclass
class Link:
    """Where a scenario talks: the base URL and the transport that carries every request.

    ``sent`` lists ``(method, path?query)`` of every request so far, in order.

    Example:
        >>> link = Link("http://localhost", FakeServer().transport())
        >>> link.connect().unwrap().server.version
        '2.80.0'
        >>> link.sent
        [('GET', '/api/server/about'), ('POST', '/api/auth/login')]
    """

    url: str
    inner: Transport
    sent: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])

    @property
    def transport(self) -> Transport:
        """The transport to hand to cvatfn: ``inner``, noting each request in :attr:`sent`.

        It keeps ``inner``'s clock when ``inner`` has one, so polling stays virtual.
        """
        if isinstance(self.inner, VirtualClock):
            return _TallyClock(self.inner, self.sent)
        return _Tally(self.inner, self.sent)

    def connect(
        self, credentials: tuple[str, str] = ADMIN, config: Config | None = None
    ) -> Result[cvatfn.Session, CvatError]:
        """Log in as ``credentials`` (admin by default)."""
        return cvatfn.connect(
            self.url, credentials=credentials, transport=self.transport, config=config
        )

    def since(self, start: int, *, path_prefix: str = "") -> tuple[tuple[str, str], ...]:
        """The requests sent from index ``start`` on whose path starts with ``path_prefix``."""
        return tuple(s for s in self.sent[start:] if s[1].startswith(path_prefix))


@dataclass(frozen=True)
class Scenario:
    """A named conversation and the server state it starts from."""

    name: str
    run: Callable[[Link], Hashable]
    setup: Setup = Setup()


def outcome(result: Result[Any, CvatError]) -> tuple[str, str]:
    """``("ok", "")`` or the error's type name and message: comparable over any transport.

    Example:
        >>> from cvatfn.errors import InvalidInput
        >>> outcome(Failure(InvalidInput(message="no", field="x")))
        ('InvalidInput', 'no')
    """
    match result:
        case Success(_):
            return ("ok", "")
        case Failure(error):
            return (type(error).__name__, str(getattr(error, "message", "")))
        case _:  # pragma: no cover
            raise AssertionError(result)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour RGB PNG, byte for byte the same on every machine (stored deflate).

    Example:
        >>> data = png(2, 1, (255, 0, 0))
        >>> data[:8], len(data)
        (b'\\x89PNG\\r\\n\\x1a\\n', 75)
    """

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def _write_images(folder: Path, specs: tuple[tuple[str, int, int], ...]) -> list[Path]:
    paths: list[Path] = []
    for index, (name, width, height) in enumerate(specs):
        path = folder / name
        path.write_bytes(png(width, height, (40 * index % 256, 90, 200)))
        paths.append(path)
    return paths


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("task_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -------------------------------------------------------------------------------- scenarios


def seed_example(link: Link) -> Hashable:
    """The guide's task example (``docs/examples/task_example.py``) with two fixed images.

    Returns every line it reports but the first (which names the server's URL) and the
    removed task's id, name and size.
    """
    example = _load_example()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        images = _write_images(Path(tmp), (("image1.png", 64, 48), ("image2.png", 32, 24)))
        with cvatfn.make_client(link.url, credentials=ADMIN, transport=link.transport) as client:
            task = example.run_example(client, images, lines.append)
    return (tuple(lines[1:]), task.id, task.name, task.size)


def create_250_tasks(link: Link) -> None:
    """The paging scenario's data: 250 tasks without data, ``paged-000`` to ``paged-249``."""
    session = link.connect().unwrap()
    for index in range(250):
        cvatfn.tasks.create(session, {"name": f"paged-{index:03d}"}).unwrap()


def paging_250_tasks(link: Link) -> Hashable:
    """List 250 tasks (made by :func:`create_250_tasks`) 100 a page: three pages.

    Returns the listed ids and names (in CVAT's default order, newest first) and the list
    requests sent (their ``page``/``page_size`` queries).
    """
    session = link.connect(config=Config(page_size=100)).unwrap()
    start = len(link.sent)
    listed = cvatfn.tasks.list(session).unwrap()
    pages = link.since(start, path_prefix="/api/tasks")
    return (tuple((task.id, task.name) for task in listed), pages)


def organization_context(link: Link) -> Hashable:
    """An organization with an invited member, tasks inside and outside it.

    Admin creates the organization ``lab``, gives alice an e-mail address and invites her
    as a worker, then creates one task in the personal workspace and two in ``lab``; alice
    creates one of her own. Returns what each context lists and what alice may see.
    """
    admin = link.connect().unwrap()
    lab = cvatfn.organizations.create(admin, {"slug": "lab", "name": "The Lab"}).unwrap()
    (alice_user,) = cvatfn.users.list(admin, username="alice").unwrap()
    cvatfn.users.update(admin, alice_user, {"email": "alice@example.com"}).unwrap()
    invitation = cvatfn.organizations.invite(
        admin, lab, {"role": "worker", "email": "alice@example.com"}
    ).unwrap()
    in_lab = cvatfn.with_org(admin, "lab")
    personal = cvatfn.with_org(admin, "")
    outside = cvatfn.tasks.create(personal, {"name": "outside"}).unwrap()
    inside = tuple(cvatfn.tasks.create(in_lab, {"name": f"inside-{n}"}).unwrap() for n in (1, 2))
    alice = link.connect(ALICE).unwrap()
    own = cvatfn.tasks.create(alice, {"name": "alice-own"}).unwrap()

    def names(session: cvatfn.Session) -> tuple[str, ...]:
        return tuple(sorted(task.name for task in cvatfn.tasks.list(session).unwrap()))

    members = cvatfn.organizations.get_memberships(admin, lab).unwrap()
    return (
        (lab.slug, lab.name, invitation.role),
        tuple(sorted((m.user.username if m.user else None, m.role, m.is_active) for m in members)),
        (outside.organization, tuple(task.organization == lab.id for task in inside)),
        names(in_lab),
        names(personal),
        names(admin),
        names(alice),
        outcome(cvatfn.tasks.list(cvatfn.with_org(alice, "lab"))),
        outcome(cvatfn.tasks.retrieve(alice, inside[0].id)),
        outcome(cvatfn.tasks.retrieve(in_lab, own.id)),
    )


def upload_over_tus(link: Link) -> Hashable:
    """Create a task from a small image (multipart) and one above ``max_request_size`` (TUS).

    ``Config(max_request_size=1024, tus_chunk_size=1000)`` sends the 2.4 KB image over TUS in
    three ``PATCH`` requests. Returns the task's size and frames and the data requests sent.
    """
    config = Config(max_request_size=1024, tus_chunk_size=1000)
    session = link.connect(config=config).unwrap()
    with tempfile.TemporaryDirectory() as tmp:
        images = _write_images(Path(tmp), (("small.png", 8, 6), ("large.png", 32, 24)))
        sizes = tuple(path.stat().st_size for path in images)
        start = len(link.sent)
        task = cvatfn.tasks.create_from_data(
            session, {"name": "over TUS", "labels": [{"name": "cat"}]}, images
        ).unwrap()
    meta = cvatfn.tasks.get_meta(session, task).unwrap()
    return (
        sizes,
        (task.name, task.size, task.status),
        tuple((frame.name, frame.width, frame.height) for frame in meta.frames or ()),
        link.since(start, path_prefix=f"/api/tasks/{task.id}/data"),
    )


def failed_background_request(link: Link) -> Hashable:
    """Task data processing fails on the server: ``BackgroundFailed`` with its message.

    The server keeps the request unfinished for two polls, then fails it. Returns the error,
    the polls sent, and the task left behind (with no data).
    """
    session = link.connect(config=Config(status_check_period=0.01)).unwrap()
    with tempfile.TemporaryDirectory() as tmp:
        images = _write_images(Path(tmp), (("doomed.png", 8, 6),))
        start = len(link.sent)
        result = cvatfn.tasks.create_from_data(
            session, {"name": "doomed", "labels": [{"name": "x"}]}, images
        )
    request_id: str | None = None
    match result:
        case Failure(BackgroundFailed() as error):
            request_id = error.request_id
        case _:
            pass
    polls = link.since(start, path_prefix="/api/requests/")
    tasks = cvatfn.tasks.list(session).unwrap()
    return (
        outcome(result),
        request_id,
        polls,
        tuple((task.name, task.size, task.jobs.count) for task in tasks),
    )


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("seed_example", seed_example),
        Scenario("paging_250_tasks", paging_250_tasks, Setup(prepare=create_250_tasks)),
        Scenario("organization_context", organization_context, Setup(users=(ALICE,))),
        Scenario("upload_over_tus", upload_over_tus),
        Scenario(
            "failed_background_request",
            failed_background_request,
            Setup(polls_before_finish=2, fail_next_requests=(FAILURE_MESSAGE,)),
        ),
    )
}
"""Every scenario, by name."""
