"""Redirects between real HTTP servers on loopback: credentials never follow a redirect to
another origin (scheme, host, port), stay on a same-origin one, an https-to-http redirect is
refused, and only ``GET``/``HEAD`` are redirected at all.

Each test runs the fake CVAT server behind recording fronts; the *first* front answers chosen
requests with a redirect, and every front records the headers it received.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec
import pytest
from PIL import Image
from returns.result import Failure, Success

import cvatfn
from cvatfn import Config, Session
from cvatfn.errors import Unauthorized, UnexpectedResponse
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import User
from cvatfn_fake import FakeServer, ServerHandle, serve
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.security.conftest import Pki, Recorder, create_access_token, redirect

pytestmark = pytest.mark.http

QUICK = Config(connect_timeout=5.0, read_timeout=5.0)
CREDENTIAL_HEADERS = ("authorization", "cookie", "x-csrftoken")
SELF = "/api/users/self"
MOVED = "/api/users/self?moved=1"


@dataclass
class Front:
    handle: ServerHandle
    recorder: Recorder

    @property
    def url(self) -> str:
        return self.handle.url

    def requests_to(self, path: str) -> list[HttpRequest]:
        return [r for r in self.recorder.seen if r.url.split("://", 1)[1].endswith(path)]


@pytest.fixture
def validating(fake: FakeServer) -> Iterator[ValidatingTransport]:
    transport = ValidatingTransport(fake.transport())
    yield transport
    transport.assert_clean()


@pytest.fixture
def first(validating: ValidatingTransport) -> Iterator[Front]:
    recorder = Recorder(validating)
    with serve(recorder) as handle:
        yield Front(handle, recorder)


@pytest.fixture
def second(validating: ValidatingTransport) -> Iterator[Front]:
    """Another origin (another port) in front of the same fake server."""
    recorder = Recorder(validating)
    with serve(recorder) as handle:
        yield Front(handle, recorder)


AuthKind = Literal["password", "token"]


def _session(front: Front, fake: FakeServer, kind: AuthKind) -> Session:
    if kind == "password":
        return cvatfn.connect(front.url, credentials=("admin", "admin"), config=QUICK).unwrap()
    token = create_access_token(fake, "admin", "admin")
    return cvatfn.connect(front.url, access_token=token, config=QUICK).unwrap()


def _secrets(session: Session) -> list[str]:
    auth = session.auth
    if isinstance(auth, cvatfn.PasswordAuth):
        return [auth.sessionid, auth.csrftoken]
    assert isinstance(auth, cvatfn.AccessTokenAuth)
    return [auth.token]


def _credential_headers(request: HttpRequest) -> list[str]:
    return [name for name, _ in request.headers if name.lower() in CREDENTIAL_HEADERS]


def _carries(request: HttpRequest, secrets: list[str]) -> bool:
    text = repr(list(request.headers)) + request.url + request.body.decode("latin-1")
    return any(secret in text for secret in secrets)


# ---------------------------------------------------------------------------- another origin


@pytest.mark.parametrize("kind", ["password", "token"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_credentials_do_not_follow_a_redirect_to_another_port(
    first: Front, second: Front, fake: FakeServer, kind: AuthKind, status: int
) -> None:
    session = _session(first, fake, kind)
    first.recorder.on("GET", SELF, redirect(status, second.url + MOVED))

    result = cvatfn.users.retrieve_current_user(session)

    [arrived] = second.recorder.seen  # the redirect was followed ...
    assert arrived.url == second.url + MOVED
    assert _credential_headers(arrived) == []  # ... without the credentials
    assert not _carries(arrived, _secrets(session))
    match result:  # so the server does not know who asks
        case Failure(Unauthorized() as error):
            assert error.request is not None
            assert error.request.url == second.url + MOVED
        case _:
            pytest.fail(f"expected Unauthorized from the second origin, got {result!r}")


@pytest.mark.parametrize("kind", ["password", "token"])
def test_credentials_do_not_follow_a_redirect_to_another_host_name(
    first: Front, fake: FakeServer, kind: AuthKind
) -> None:
    """``localhost`` reaches the very same server, but it is another origin."""
    session = _session(first, fake, kind)
    target = f"http://localhost:{first.handle.port}{MOVED}"
    first.recorder.on("GET", SELF, redirect(302, target))

    result = cvatfn.users.retrieve_current_user(session)

    [arrived] = first.requests_to(MOVED)
    assert arrived.url == target
    assert _credential_headers(arrived) == []
    assert not _carries(arrived, _secrets(session))
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), Unauthorized)


def test_credentials_do_not_come_back_after_leaving_the_origin(
    first: Front, second: Front, fake: FakeServer
) -> None:
    session = _session(first, fake, "password")
    back = first.url + "/api/users/self?back=1"
    first.recorder.on("GET", SELF, redirect(302, second.url + MOVED))
    second.recorder.on("GET", MOVED, redirect(302, back))

    result = cvatfn.users.retrieve_current_user(session)

    [returned] = first.requests_to("?back=1")
    assert _credential_headers(returned) == []
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), Unauthorized)


# ---------------------------------------------------------------------------- the same origin


@pytest.mark.parametrize("kind", ["password", "token"])
@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_a_same_origin_redirect_keeps_the_credentials(
    first: Front, fake: FakeServer, kind: AuthKind, absolute: bool
) -> None:
    session = _session(first, fake, kind)
    first.recorder.on("GET", SELF, redirect(307, (first.url if absolute else "") + MOVED))

    result = cvatfn.users.retrieve_current_user(session)

    [arrived] = first.requests_to(MOVED)
    expected = ["Cookie", "X-CSRFToken"] if kind == "password" else ["Authorization"]
    assert _credential_headers(arrived) == expected
    match result:
        case Success(User() as user):
            assert user.username == "admin"
        case _:
            pytest.fail(f"expected the user, got {result!r}")


# ---------------------------------------------------------------------------- refused, not followed


def test_a_redirect_from_https_to_http_is_refused(
    validating: ValidatingTransport, second: Front, pki: Pki
) -> None:
    recorder = Recorder(validating)
    with (
        serve(recorder, ssl_context=pki.server_context()) as tls,
        Urllib3Transport(ca_certs=str(pki.ca_pem), connect_timeout=5.0) as transport,
    ):
        session = cvatfn.connect(
            tls.url, credentials=("admin", "admin"), transport=transport
        ).unwrap()
        downgrade = second.url.replace("127.0.0.1", "localhost") + MOVED
        recorder.on("GET", SELF, redirect(302, downgrade))
        result = cvatfn.users.retrieve_current_user(session)

    assert second.recorder.seen == []
    match result:
        case Failure(UnexpectedResponse(status=302) as error):
            assert "https to http" in error.message
        case _:
            pytest.fail(f"expected the redirect to be refused, got {result!r}")


@pytest.mark.parametrize("verb", ["create", "update", "remove"])
def test_other_methods_report_the_redirect_and_send_nothing_more(
    first: Front, second: Front, fake: FakeServer, verb: str
) -> None:
    session = _session(first, fake, "password")
    task = cvatfn.tasks.create(session, {"name": "t"}).unwrap()
    method, path = {
        "create": ("POST", "/api/tasks"),
        "update": ("PATCH", f"/api/tasks/{task.id}"),
        "remove": ("DELETE", f"/api/tasks/{task.id}"),
    }[verb]
    target = second.url + "/elsewhere"
    first.recorder.on(method, path, redirect(307, target))

    if verb == "create":
        result: object = cvatfn.tasks.create(session, {"name": "moved"})
    elif verb == "update":
        result = cvatfn.tasks.update(session, task, {"name": "moved"})
    else:
        result = cvatfn.tasks.remove(session, task)

    assert second.recorder.seen == []
    match result:
        case Failure(UnexpectedResponse(status=307) as error):
            assert target in error.message
            assert error.request is not None
            assert error.request.method == method
        case _:
            pytest.fail(f"expected UnexpectedResponse naming the Location, got {result!r}")
    assert [t.name for t in cvatfn.tasks.list(session).unwrap()] == ["t"]


@pytest.mark.parametrize("limit", [0, 1, 5])
def test_redirects_stop_at_the_limit(first: Front, fake: FakeServer, limit: int) -> None:
    session = _session(first, fake, "password")
    config = Config(max_redirects=limit, connect_timeout=5.0, read_timeout=5.0)
    session = msgspec.structs.replace(session, config=config)
    first.recorder.on("GET", SELF, redirect(302, SELF))  # a loop

    result = cvatfn.users.retrieve_current_user(session)

    assert len(first.requests_to(SELF)) == limit + 1
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), UnexpectedResponse)
    assert result.failure().status == 302  # type: ignore[union-attr]


def test_the_urllib3_transport_itself_never_follows(first: Front, second: Front) -> None:
    first.recorder.on("GET", SELF, redirect(302, second.url + MOVED))
    with Urllib3Transport() as transport:
        response = transport.handle(
            HttpRequest("GET", first.url + SELF, (("Authorization", "Bearer t0ken-SECRET"),))
        )
    assert response.status == 302
    assert response.header("Location") == second.url + MOVED
    assert second.recorder.seen == []


@pytest.mark.parametrize("kind", ["password", "token"])
def test_a_download_redirected_to_another_origin_goes_without_credentials(
    first: Front, second: Front, fake: FakeServer, kind: AuthKind, tmp_path: Path
) -> None:
    """Exports are fetched from ``result_url``; a server may send that to a file store."""
    session = _session(first, fake, kind)
    image = tmp_path / "frame.png"
    Image.new("RGB", (32, 24), (10, 200, 30)).save(image)
    task = cvatfn.tasks.create_from_data(session, {"name": "exported"}, [str(image)]).unwrap()

    def to_second(request: HttpRequest) -> HttpResponse:
        path = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
        return HttpResponse(302, (("Location", second.url + path),))

    first.recorder.on("GET", f"/api/tasks/{task.id}/dataset/download*", to_second)
    result = cvatfn.tasks.export_dataset(
        session, task, "CVAT for images 1.1", tmp_path / "dataset.zip"
    )

    [arrived] = second.recorder.seen
    assert f"/api/tasks/{task.id}/dataset/download?" in arrived.url
    assert _credential_headers(arrived) == []
    assert not _carries(arrived, _secrets(session))
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), Unauthorized)
    assert not (tmp_path / "dataset.zip").exists()
