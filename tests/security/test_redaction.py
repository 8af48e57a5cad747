"""No secret leaves cvatfn in a value meant to be printed, logged or stored.

A password session and an access-token session (user ``alice``, distinctive secrets) provoke
one failure of every class in the error union, through the public API against the fake server
(a thin wrapper injects the answers the fake would not give: 409, 429, 500, garbage, a
redirect); a real refused port gives the ``TransportFailure``. Every error, every warning and
the repr of every session, auth, client and HTTP value is then rendered every way a user might
(``repr``, ``str``, ``rich``'s pretty-printing protocol, ``msgspec`` JSON and builtins, inside a
``Failure`` and a ``CvatException``) and searched for the password, the session cookie, the
CSRF token, the access token, the legacy token key and the Basic credentials.

The fake server's :attr:`~cvatfn_fake.FakeServer.log` is an inspection tool for tests: its
requests and responses hold the real headers and bodies (that is what it is for), but their
``repr`` is redacted like any :class:`~cvatfn.http.HttpRequest`'s, which is checked here too.
"""

from __future__ import annotations

import base64
import json
import os
import typing
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec
import pytest
from PIL import Image
from returns.result import Failure, Result

import cvatfn
from cvatfn import Config, RetryPolicy, Server, Session
from cvatfn.errors import CvatError, CvatException, Forbidden, NotFound
from cvatfn.http import REDACTED, HttpRequest, HttpResponse
from cvatfn_cassette import RecordingTransport, ReplayTransport
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.core.scripted import Scripted, about_server
from tests.security.conftest import create_access_token, free_port

PASSWORD = "s3cr3t-PASSWORD-xyz"
WRONG_PASSWORD = "wr0ng-PASSWORD-abc"
NO_RETRY = Config(retry=RetryPolicy(max_attempts=1))

AuthKind = Literal["password", "token"]


# ---------------------------------------------------------------- a wrapper that misbehaves


Rule = tuple[Callable[[HttpRequest], bool], Callable[[HttpRequest], HttpResponse | None]]


@dataclass
class Injector:
    """Passes requests to ``inner`` except the one a one-shot rule claims; keeps the inner
    transport's virtual clock, so polling and retry waits cost no time."""

    inner: ValidatingTransport
    rules: list[Rule] = field(default_factory=list[Rule])

    def once(
        self,
        when: Callable[[HttpRequest], bool],
        answer: Callable[[HttpRequest], HttpResponse | None],
    ) -> None:
        """The next request ``when`` accepts is answered by ``answer`` (``None``: by inner)."""
        self.rules.append((when, answer))

    def handle(self, request: HttpRequest) -> HttpResponse:
        for index, (when, answer) in enumerate(self.rules):
            if when(request):
                del self.rules[index]
                response = answer(request)
                if response is not None:
                    return response
                break
        return self.inner.handle(request)

    def monotonic(self) -> float:
        return self.inner.monotonic()  # type: ignore[attr-defined, no-any-return]

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)  # type: ignore[attr-defined]


def _json(
    status: int, body: object, *headers: tuple[str, str]
) -> Callable[[HttpRequest], HttpResponse]:
    def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse(
            status, (("Content-Type", "application/json"), *headers), json.dumps(body).encode()
        )

    return answer


def _is(method: str, suffix: str) -> Callable[[HttpRequest], bool]:
    return lambda r: r.method == method and r.url.split("?")[0].rstrip("/").endswith(suffix)


# ---------------------------------------------------------------------------- the world


@dataclass
class World:
    fake: FakeServer
    validating: ValidatingTransport
    injector: Injector
    images: list[str]
    token: str = ""
    sessions: list[Session] = field(default_factory=list[Session])

    def secrets(self) -> dict[str, str]:
        found = {
            "password": PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "basic": base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
        }
        if self.token:
            found["token"] = self.token
        for session in self.sessions:
            if isinstance(session.auth, cvatfn.PasswordAuth):
                found["sessionid"] = session.auth.sessionid
                found["csrftoken"] = session.auth.csrftoken
        for request, response in self.fake.log:
            if request.url.endswith("/api/auth/login") and response.status == 200:
                found["legacy key"] = json.loads(response.body)["key"]
        assert all(len(value) >= 16 for value in found.values()), found
        return found


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeServer()
    fake.add_user("alice", PASSWORD)
    validating = ValidatingTransport(fake.transport())
    images: list[str] = []
    for index in range(2):
        path = tmp_path / f"image{index}.png"
        Image.new("RGB", (64, 48), (index * 90, 20, 200)).save(path)
        images.append(str(path))
    yield World(fake, validating, Injector(validating), images)
    validating.assert_clean()


def _connect(world: World, kind: AuthKind, config: Config = NO_RETRY) -> Session:
    if kind == "password":
        result = cvatfn.connect(
            "http://localhost",
            credentials=("alice", PASSWORD),
            transport=world.injector,
            config=config,
        )
    else:
        if not world.token:
            world.token = create_access_token(world.fake, "alice", PASSWORD)
        result = cvatfn.connect(
            "http://localhost", access_token=world.token, transport=world.injector, config=config
        )
    session = result.unwrap()
    world.sessions.append(session)
    return session


def _failure(result: Result[object, CvatError]) -> CvatError:
    assert isinstance(result, Failure), result
    error: CvatError = result.failure()
    return error


def provoke_every_error(world: World, kind: AuthKind) -> list[CvatError]:
    """One failure of each class of the error union, each from a session holding secrets."""
    fake, injector = world.fake, world.injector
    session = _connect(world, kind)
    admin = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=world.validating
    ).unwrap()
    theirs = cvatfn.tasks.create(admin, {"name": "admin's"}).unwrap()
    mine = cvatfn.tasks.create(session, {"name": "mine"}).unwrap()
    errors: list[CvatError] = []

    errors.append(_failure(cvatfn.tasks.create(session, {"nmae": "typo"})))  # InvalidInput
    errors.append(  # InvalidInput: a password inside the URL is not repeated
        _failure(cvatfn.connect(f"http://alice:{PASSWORD}@localhost", transport=injector))
    )
    errors.append(  # BadRequest: the wrong password
        _failure(
            cvatfn.login(
                msgspec.structs.replace(session, auth=cvatfn.NoAuth()), ("alice", WRONG_PASSWORD)
            )
        )
    )
    errors.append(  # BadRequest from the server, for a request with credentials
        _failure(cvatfn.tasks.export_dataset(session, mine, "CVAT for images 1.1", "x.zip"))
    )
    errors.append(_failure(cvatfn.tasks.retrieve(session, theirs.id)))  # Forbidden
    errors.append(_failure(cvatfn.tasks.retrieve(session, 10**6)))  # NotFound

    injector.once(_is("GET", f"/api/tasks/{mine.id}"), _json(409, {"detail": "conflict"}))
    errors.append(_failure(cvatfn.tasks.retrieve(session, mine.id)))  # Conflict
    injector.once(
        _is("GET", "/api/users/self"), _json(429, {"detail": "slow"}, ("Retry-After", "7"))
    )
    errors.append(_failure(cvatfn.users.retrieve_current_user(session)))  # RateLimited
    injector.once(_is("GET", "/api/users/self"), _json(500, {"detail": "boom"}))
    errors.append(_failure(cvatfn.users.retrieve_current_user(session)))  # ServerError
    injector.once(_is("GET", "/api/users/self"), lambda r: HttpResponse(200, body=b"<html>"))
    errors.append(_failure(cvatfn.users.retrieve_current_user(session)))  # UnexpectedResponse
    injector.once(
        _is("POST", "/api/tasks"),
        lambda r: HttpResponse(307, (("Location", "http://elsewhere.example/api/tasks"),)),
    )
    errors.append(_failure(cvatfn.tasks.create(session, {"name": "moved"})))  # UnexpectedResponse

    # LocalFileError: a source file disappears after the upload started.
    vanishing = world.images[1]

    def remove(request: HttpRequest) -> None:
        os.remove(vanishing)

    injector.once(lambda r: r.header("Upload-Start") is not None, remove)
    errors.append(_failure(cvatfn.tasks.create_from_data(session, {"name": "d"}, world.images)))
    Image.new("RGB", (64, 48)).save(vanishing)

    # BackgroundFailed and DeadlineExceeded: the server's background requests.
    fake.fail_next_requests("the worker crashed")
    errors.append(_failure(cvatfn.tasks.create_from_data(session, {"name": "b"}, world.images)))
    with_data = cvatfn.tasks.create_from_data(session, {"name": "ok"}, world.images).unwrap()
    fake.configure_requests(polls_before_finish=10**6)
    impatient = msgspec.structs.replace(
        session, config=Config(retry=NO_RETRY.retry, request_deadline=3.0)
    )
    errors.append(
        _failure(cvatfn.tasks.export_dataset(impatient, with_data, "CVAT for images 1.1", "e.zip"))
    )
    fake.configure_requests(polls_before_finish=0)

    # UnsupportedServer: the version check comes before any credential is sent.
    strict = Config(allow_unsupported_server=False, supported_versions="<1")
    errors.append(
        _failure(
            cvatfn.connect(
                "http://localhost",
                credentials=("alice", PASSWORD) if kind == "password" else None,
                access_token=world.token if kind == "token" else None,
                transport=injector,
                config=strict,
            )
        )
    )
    # InsecureConnection: a remote host whose https does not answer.
    scripted = Scripted(about_server(https="tls_handshake"))
    errors.append(
        _failure(
            cvatfn.connect(
                "cvat.example.com",
                credentials=("alice", PASSWORD) if kind == "password" else None,
                access_token=world.token if kind == "token" else None,
                transport=scripted,
            )
        )
    )
    assert all(PASSWORD not in request.body.decode() for request in scripted.sent)

    # TransportFailure: a real refused port, with the session's credentials on the request.
    with Urllib3Transport(connect_timeout=2.0) as urllib3_transport:
        nowhere = msgspec.structs.replace(
            session,
            server=Server(url=f"http://127.0.0.1:{free_port()}"),
            transport=urllib3_transport,
        )
        errors.append(_failure(cvatfn.tasks.list(nowhere)))

    # Unauthorized: the credentials stop being valid (last: they are gone afterwards).
    if kind == "password":
        cvatfn.logout(session).unwrap()
    else:
        [token_id] = [t.id for t in world.fake.state.access_tokens.values()]
        revoked = world.validating.handle(
            HttpRequest(
                "DELETE",
                f"http://localhost/api/auth/access_tokens/{token_id}",
                (("Authorization", f"Bearer {world.token}"),),
            )
        )
        assert revoked.status in (204, 403), revoked
        if revoked.status == 403:  # a token may not delete itself; the owner's password may
            world.fake.state.access_tokens.clear()
    errors.append(_failure(cvatfn.tasks.list(session)))
    return errors


# ---------------------------------------------------------------------------- renderings


def renderings(value: object, *, serialised: bool = True) -> Iterator[tuple[str, str]]:
    """``(how, text)`` for every way a user might print, log or store ``value``.

    ``serialised=False`` leaves out msgspec's JSON and builtins: serialising a session's auth or
    an HTTP message on purpose keeps what it is made of (the fake server and the cassettes
    depend on that); printing one must not show it.
    """
    yield "repr", repr(value)
    yield "str", str(value)
    yield "format", f"{value}"
    rich = getattr(value, "__rich_repr__", None)
    if rich is not None:
        yield "__rich_repr__", repr(list(rich()))
    if serialised and isinstance(value, msgspec.Struct):
        try:
            yield "msgspec.json", msgspec.json.encode(value).decode()
            yield "to_builtins", json.dumps(msgspec.to_builtins(value))
        except TypeError:
            pass  # holds a transport: not serialisable at all


def leaks(value: object, secrets: dict[str, str], *, serialised: bool = True) -> list[str]:
    found: list[str] = []
    for how, text in renderings(value, serialised=serialised):
        for name, secret in secrets.items():
            if secret in text:
                found.append(f"{name} in {how}: {text[:300]}")
    return found


def _error_renderings(error: CvatError) -> list[object]:
    values: list[object] = [error, Failure(error), CvatException(error)]
    if error.request is not None:
        values.append(error.request)
    return values


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", ["password", "token"])
def test_no_error_value_or_warning_shows_a_secret(
    world: World, kind: AuthKind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = provoke_every_error(world, kind)
        cvatfn.connect(  # an UnsupportedServerWarning
            "http://localhost",
            transport=world.injector,
            config=Config(allow_unsupported_server=True, supported_versions="<1"),
        ).unwrap()

    covered = {type(error) for error in errors}
    assert covered == set(typing.get_args(CvatError)), set(typing.get_args(CvatError)) - covered
    secrets = world.secrets()
    assert {"password", "token" if kind == "token" else "sessionid"} <= secrets.keys()
    problems = [
        f"{type(error).__name__}: {problem}"
        for error in errors
        for value in _error_renderings(error)
        for problem in leaks(value, secrets)
    ]
    problems += [p for w in caught for p in leaks(str(w.message), secrets)]
    assert problems == []
    warned = {w.category for w in caught}
    assert {cvatfn.errors.SchemeFallbackWarning, cvatfn.errors.UnsupportedServerWarning} <= warned

    # Not vacuous: the requests behind these errors did carry credentials, shown redacted.
    sent_with_credentials = [
        e for e in errors if isinstance(e, Forbidden | NotFound) and e.request is not None
    ]
    assert sent_with_credentials
    for error in sent_with_credentials:
        assert error.request is not None
        names = {name.lower() for name, value in error.request.headers if value == REDACTED}
        assert names == ({"cookie", "x-csrftoken"} if kind == "password" else {"authorization"})


@pytest.mark.parametrize("kind", ["password", "token"])
def test_sessions_clients_and_http_values_do_not_show_secrets(world: World, kind: AuthKind) -> None:
    session = _connect(world, kind)
    cvatfn.tasks.list(session).unwrap()
    values: list[object] = [
        session,
        session.server,
        cvatfn.Client(session),
        cvatfn.Client(session).tasks,
        cvatfn.make_client("localhost", credentials=("alice", PASSWORD), transport=world.injector),
        cvatfn.make_client(
            "localhost", access_token=world.token or "t" * 20, transport=world.injector
        ),
    ]
    secrets = world.secrets()
    problems = [problem for value in values for problem in leaks(value, secrets)]
    # The real exchanges, credentials and all: printed, never shown.
    if kind == "password":
        assert any(r.header_values("Set-Cookie") for _, r in world.fake.log)
    else:
        assert any(r.header("Authorization") for r, _ in world.fake.log)
    for request, response in world.fake.log:
        problems += leaks(request, secrets, serialised=False)
        problems += leaks(response, secrets, serialised=False)
    assert problems == []
    assert leaks(world.fake.log, secrets) == []  # the log's repr, too


@pytest.mark.parametrize("kind", ["password", "token"])
def test_auth_values_do_not_show_secrets(world: World, kind: AuthKind) -> None:
    session = _connect(world, kind)
    secrets = world.secrets()
    for how, text in renderings(session.auth, serialised=False):
        assert [name for name, secret in secrets.items() if secret in text] == [], how


@pytest.mark.parametrize("kind", ["password", "token"])
def test_rich_pretty_printing_of_auth_values_does_not_show_secrets(
    world: World, kind: AuthKind
) -> None:
    session = _connect(world, kind)
    shown = repr(list(session.auth.__rich_repr__()))
    assert not [name for name, secret in world.secrets().items() if secret in shown]


def test_cassettes_of_a_login_and_token_flow_hold_no_secret(world: World, tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    base = "http://localhost"
    with RecordingTransport(world.validating, path, mode="all") as recorder:
        session = cvatfn.connect(base, credentials=("alice", PASSWORD), transport=recorder).unwrap()
        world.sessions.append(session)
        cvatfn.tasks.create(session, {"name": "recorded"}).unwrap()
        assert isinstance(session.auth, cvatfn.PasswordAuth)
        created = recorder.handle(  # a token made with the password session, as a browser does
            HttpRequest(
                "POST",
                base + "/api/auth/access_tokens",
                (
                    (
                        "Cookie",
                        f"sessionid={session.auth.sessionid}; csrftoken={session.auth.csrftoken}",
                    ),
                    ("X-CSRFToken", session.auth.csrftoken),
                    ("Origin", base),
                    ("Content-Type", "application/json"),
                ),
                b'{"name": "ci"}',
            )
        )
        assert created.status == 201
        world.token = json.loads(created.body)["value"]
        with_token = cvatfn.connect(base, access_token=world.token, transport=recorder).unwrap()
        cvatfn.tasks.list(with_token).unwrap()
        basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        assert (
            recorder.handle(
                HttpRequest("GET", base + "/api/users/self", (("Authorization", f"Basic {basic}"),))
            ).status
            == 200
        )
        cvatfn.login(session, ("alice", WRONG_PASSWORD))
        cvatfn.logout(session).unwrap()

    text = path.read_text()
    secrets = world.secrets()
    assert {"password", "sessionid", "csrftoken", "token", "legacy key", "basic"} <= secrets.keys()
    assert [name for name, secret in secrets.items() if secret in text] == []
    assert "<SECRET:" in text

    # A replay that misses reports the live request; the report holds no secret either.
    replay = ReplayTransport(path)
    replayed = cvatfn.connect(base, credentials=("alice", PASSWORD), transport=replay).unwrap()
    miss = _failure(cvatfn.tasks.retrieve(replayed, 12345))
    assert miss.message.startswith("cassette")
    assert [p for value in _error_renderings(miss) for p in leaks(value, secrets)] == []
    assert os.fspath(path) in miss.message


@pytest.mark.parametrize(
    "host",
    [
        f"http://alice:{PASSWORD}@cvat.example.com",
        f"alice:{PASSWORD}@cvat.example.com:8080",
        f"https://alice:{PASSWORD}@cvat.example.com/a/path",
        f"ftp://alice:{PASSWORD}@cvat.example.com",
    ],
)
def test_a_password_in_the_url_is_refused_before_anything_is_sent(host: str) -> None:
    """The base URL is part of every error message and every ``repr`` of the session."""
    scripted = Scripted(about_server())
    error = _failure(cvatfn.connect(host, transport=scripted))
    assert scripted.sent == []
    assert isinstance(error, cvatfn.errors.InvalidInput)
    assert error.field == "host"
    assert "credentials=" in error.message
    assert all(PASSWORD not in text for _, text in renderings(error))
