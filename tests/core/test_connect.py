"""connect/login: URL handling, scheme deduction safety, the version check, credentials."""

from __future__ import annotations

import socket
import warnings

import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn.errors import (
    BadRequest,
    InsecureConnection,
    InvalidInput,
    SchemeFallbackWarning,
    TransportFailure,
    UnexpectedResponse,
    UnsupportedServer,
    UnsupportedServerWarning,
)
from cvatfn.http import HttpRequest, HttpResponse
from tests.core.scripted import Scripted, about_server, json_response, refuse


def _logins(transport: Scripted) -> list[HttpRequest]:
    return [r for r in transport.sent if r.url.endswith("/api/auth/login")]


def test_explicit_scheme_is_kept_and_not_deduced() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://cvat.example:8080/", transport=transport).unwrap()
    assert session.server.url == "http://cvat.example:8080"
    assert session.server.scheme_deduced is False
    assert [r.url for r in transport.sent] == ["http://cvat.example:8080/api/server/about"]


def test_no_scheme_tries_https_first() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("cvat.example", port=8443, transport=transport).unwrap()
    assert session.server.url == "https://cvat.example:8443"
    assert session.server.scheme_deduced is True


@pytest.mark.parametrize("kind", ["connect", "tls_handshake"])
def test_falls_back_to_http_with_a_warning(kind: str) -> None:
    transport = Scripted(about_server(https=kind))
    with pytest.warns(SchemeFallbackWarning, match="falling back to http://localhost"):
        session = cvatfn.connect("localhost", transport=transport).unwrap()
    assert session.server.url == "http://localhost"
    assert session.server.scheme_deduced is True


@pytest.mark.parametrize("kind", ["tls_certificate", "timeout", "protocol"])
def test_never_falls_back_after_other_failures(kind: str) -> None:
    transport = Scripted(about_server(https=kind))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cvatfn.connect("localhost", credentials=("u", "p"), transport=transport)
    match result:
        case Failure(TransportFailure() as error):
            assert error.kind == kind
        case _:
            pytest.fail(f"expected a TransportFailure, got {result}")
    assert all(r.url.startswith("https://") for r in transport.sent)


def test_password_is_not_sent_over_deduced_http_to_a_remote_host() -> None:
    transport = Scripted(about_server(https="connect"))
    with pytest.warns(SchemeFallbackWarning):
        result = cvatfn.connect("cvat.example", credentials=("u", "secret"), transport=transport)
    assert isinstance(result.failure(), InsecureConnection)
    assert "http://" in result.failure().message
    assert _logins(transport) == []
    assert not any(b"secret" in r.body for r in transport.sent)


def test_token_is_not_sent_over_deduced_http_to_a_remote_host() -> None:
    transport = Scripted(about_server(https="connect"))
    with pytest.warns(SchemeFallbackWarning):
        result = cvatfn.connect("cvat.example", access_token="tok", transport=transport)
    assert isinstance(result.failure(), InsecureConnection)
    assert not any("tok" in str(r.headers) for r in transport.sent)


def test_password_over_deduced_http_when_the_config_allows_it() -> None:
    transport = Scripted(about_server(https="connect"))
    config = cvatfn.Config(allow_password_over_deduced_http=True)
    with pytest.warns(SchemeFallbackWarning):
        session = cvatfn.connect(
            "cvat.example", credentials=("u", "p"), config=config, transport=transport
        ).unwrap()
    assert isinstance(session.auth, cvatfn.PasswordAuth)


def test_password_over_deduced_http_to_loopback_is_allowed() -> None:
    transport = Scripted(about_server(https="connect"))
    with pytest.warns(SchemeFallbackWarning):
        session = cvatfn.connect(
            "127.0.0.1:8080", credentials=("u", "p"), transport=transport
        ).unwrap()
    assert session.auth.username == "u"  # type: ignore[union-attr]


def test_explicit_http_to_a_remote_host_may_carry_a_password() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://cvat.example", credentials=("u", "p"), transport=transport)
    assert isinstance(session.unwrap().auth, cvatfn.PasswordAuth)


def test_unsupported_version_warns_by_default() -> None:
    with pytest.warns(UnsupportedServerWarning, match="2.20.0"):
        session = cvatfn.connect("http://h", transport=Scripted(about_server("2.20.0")))
    assert session.unwrap().server.version == "2.20.0"


def test_unsupported_version_fails_when_asked() -> None:
    config = cvatfn.Config(allow_unsupported_server=False)
    transport = Scripted(about_server("3.1.0"))
    result = cvatfn.connect("http://h", credentials=("u", "p"), config=config, transport=transport)
    match result:
        case Failure(UnsupportedServer(version=version, supported=supported)):
            assert version == "3.1.0"
            assert "2.80" in supported
        case _:
            pytest.fail(f"expected UnsupportedServer, got {result}")
    assert _logins(transport) == []


def test_supported_version_gives_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cvatfn.connect("http://h", transport=Scripted(about_server("2.80.3"))).unwrap()


@pytest.mark.parametrize(
    "body",
    [b"<html>502 Bad Gateway</html>", b'{"version": 280}', b'{"name": "x"', b""],
)
def test_undecodable_about_is_a_failure(body: bytes) -> None:
    transport = Scripted(lambda r: HttpResponse(200, (), body))
    assert isinstance(cvatfn.connect("http://h", transport=transport).failure(), UnexpectedResponse)


def test_not_a_version_is_a_failure() -> None:
    transport = Scripted(about_server("latest"))
    error = cvatfn.connect("http://h", transport=transport).failure()
    assert isinstance(error, UnexpectedResponse)
    assert "latest" in error.message


def test_about_error_status_is_a_failure() -> None:
    transport = Scripted(lambda r: json_response(503, {"detail": "maintenance"}))
    error = cvatfn.connect("http://h", transport=transport).failure()
    assert error.message == "maintenance"
    assert type(error).__name__ == "ServerError"


def test_server_not_listening_is_a_transport_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cvatfn.connect(f"http://127.0.0.1:{port}", credentials=("u", "p"))
    match result:
        case Failure(TransportFailure(kind="connect") as error):
            assert error.request is not None
            assert error.request.url.endswith("/api/server/about")
        case _:
            pytest.fail(f"expected a connect failure, got {result}")


@pytest.mark.parametrize(
    ("host", "port", "field"),
    [
        ("ftp://cvat.example", None, "host"),
        ("cvat.example:8080", 9090, "port"),
        ("cvat.example/path", None, "host"),
        ("", None, "host"),
        ("cvat.example", 70000, "port"),
        ("cvat.example:notaport", None, "host"),
    ],
)
def test_bad_urls_are_invalid_input_and_nothing_is_sent(
    host: str, port: int | None, field: str
) -> None:
    transport = Scripted(refuse())
    result = cvatfn.connect(host, port=port, transport=transport)
    match result:
        case Failure(InvalidInput() as error):
            assert error.field == field
        case _:
            pytest.fail(f"expected InvalidInput, got {result}")
    assert transport.sent == []


def test_credentials_and_token_together_are_rejected() -> None:
    transport = Scripted(refuse())
    result = cvatfn.connect(
        "http://h", credentials=("a", "b"), access_token="t", transport=transport
    )
    assert isinstance(result.failure(), InvalidInput)
    assert transport.sent == []


def test_malformed_credentials_are_rejected() -> None:
    result = cvatfn.connect("http://h", credentials=("only-user",), transport=Scripted(refuse()))  # type: ignore[arg-type]
    assert result.failure().field == "credentials"


def test_login_sends_credentials_and_keeps_cookies() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://h", credentials=("ann", "pw"), transport=transport).unwrap()
    (login,) = _logins(transport)
    assert login.method == "POST"
    assert b'"username":"ann"' in login.body
    auth = session.auth
    assert isinstance(auth, cvatfn.PasswordAuth)
    assert (auth.sessionid, auth.csrftoken) == ("s1", "c1")
    assert "s1" not in repr(session)
    assert "c1" not in repr(auth)


def test_login_without_cookies_is_an_unexpected_response() -> None:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/about"):
            return about_server()(request)
        return json_response(200, {"key": "k"})

    error = cvatfn.connect(
        "http://h", credentials=("a", "b"), transport=Scripted(handler)
    ).failure()
    assert isinstance(error, UnexpectedResponse)
    assert "sessionid" in error.message


def test_wrong_password_is_bad_request_with_drf_errors() -> None:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/about"):
            return about_server()(request)
        return json_response(
            400, {"non_field_errors": ["Unable to log in with provided credentials."]}
        )

    result = cvatfn.connect("http://h", credentials=("a", "b"), transport=Scripted(handler))
    match result:
        case Failure(BadRequest(errors=errors) as error):
            assert errors["non_field_errors"] == ("Unable to log in with provided credentials.",)
            assert "Unable to log in" in error.message
        case _:
            pytest.fail(str(result))


def test_token_login_is_checked_and_sent_as_bearer() -> None:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/about"):
            return about_server()(request)
        if request.header("Authorization") == "Bearer good":
            return json_response(200, {"id": 3, "username": "bot"})
        return json_response(401, {"detail": "Invalid token."})

    transport = Scripted(handler)
    session = cvatfn.connect("http://h", access_token="good", transport=transport).unwrap()
    assert isinstance(session.auth, cvatfn.AccessTokenAuth)
    assert "good" not in repr(session)
    bad = cvatfn.connect("http://h", access_token="bad", transport=transport)
    assert type(bad.failure()).__name__ == "Unauthorized"


def test_password_session_sends_cookie_csrf_and_origin() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://h:8080", credentials=("a", "b"), transport=transport).unwrap()
    cvatfn.projects.remove(cvatfn.with_org(session, ""), 5)
    request = transport.sent[-1]
    assert request.method == "DELETE"
    assert request.header("Cookie") == "sessionid=s1; csrftoken=c1"
    assert request.header("X-CSRFToken") == "c1"
    assert request.header("Origin") == "http://h:8080"
    assert request.header("X-Organization") == ""


def test_with_org_none_sends_no_header_and_is_pure() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://h", transport=transport).unwrap()
    lab = cvatfn.with_org(session, "lab")
    assert (session.org, lab.org, cvatfn.with_org(lab, None).org) == (None, "lab", None)
    cvatfn.projects.retrieve(session, 1)
    assert transport.sent[-1].header("X-Organization") is None
    cvatfn.projects.retrieve(lab, 1)
    assert transport.sent[-1].header("X-Organization") == "lab"


def test_errors_never_show_secrets() -> None:
    transport = Scripted(about_server())
    session = cvatfn.connect("http://h", credentials=("a", "b"), transport=transport).unwrap()
    error = cvatfn.projects.retrieve(session, 1).failure()
    assert error.request is not None
    text = repr(error) + str(error)
    assert "s1" not in text and "c1" not in text
    assert "<redacted>" in text


def test_logout_drops_credentials() -> None:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/logout"):
            return json_response(200, {"detail": "Successfully logged out."})
        return about_server()(request)

    transport = Scripted(handler)
    session = cvatfn.connect("http://h", credentials=("a", "b"), transport=transport).unwrap()
    out = cvatfn.logout(session)
    assert isinstance(out, Success)
    assert isinstance(out.unwrap().auth, cvatfn.NoAuth)
    assert transport.sent[-1].url == "http://h/api/auth/logout"
    assert isinstance(session.auth, cvatfn.PasswordAuth)  # the old value is untouched


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (cvatfn.Config(page_size=0), "page_size"),
        (cvatfn.Config(status_check_period=0), "status_check_period"),
        (cvatfn.Config(request_deadline=-1), "request_deadline"),
        (cvatfn.Config(tus_chunk_size=0), "tus_chunk_size"),
        (cvatfn.Config(read_timeout=float("nan")), "read_timeout"),
    ],
)
def test_nonsense_config_is_invalid_input(config: cvatfn.Config, field: str) -> None:
    transport = Scripted(refuse())
    assert cvatfn.connect("http://h", config=config, transport=transport).failure().field == field
    assert transport.sent == []


def test_a_redirect_is_reported_with_its_target_not_followed() -> None:
    transport = Scripted(
        lambda r: HttpResponse(301, (("Location", "https://cvat.example/api/server/about"),))
    )
    error = cvatfn.connect("http://cvat.example", credentials=("u", "p"), transport=transport)
    assert isinstance(error.failure(), UnexpectedResponse)
    assert "https://cvat.example/api/server/about" in error.failure().message
    assert len(transport.sent) == 1
