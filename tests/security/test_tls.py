"""TLS and scheme deduction against real servers on this machine, through ``cvatfn.connect``
with the urllib3 transport cvatfn builds itself (``transport=None``) unless a test says
otherwise.

The certificates come from a private CA made for the test run (``conftest.make_pki``): a
server certificate is untrusted until that CA is trusted.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import msgspec
import pytest
from returns.result import Failure, Success
from urllib3.exceptions import InsecureRequestWarning

import cvatfn
from cvatfn import Config, RetryPolicy
from cvatfn.errors import (
    InsecureConnection,
    SchemeFallbackWarning,
    TransportFailure,
)
from cvatfn.http import HttpRequest
from cvatfn_fake import FakeServer, ServerHandle, serve
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.security.conftest import (
    DualServer,
    Pki,
    Recorder,
    free_port,
    make_pki,
    non_loopback_address,
)

pytestmark = pytest.mark.http

QUICK = Config(connect_timeout=5.0, read_timeout=5.0)
PASSWORD = "s3cr3t-PASSWORD-xyz"


@pytest.fixture
def validating(fake: FakeServer) -> Iterator[ValidatingTransport]:
    transport = ValidatingTransport(fake.transport())
    yield transport
    transport.assert_clean()


@pytest.fixture
def tls_front(validating: ValidatingTransport, pki: Pki) -> Iterator[ServerHandle]:
    """The fake CVAT server over HTTPS on 127.0.0.1, with a certificate from the test CA."""
    with serve(validating, ssl_context=pki.server_context()) as handle:
        yield handle


@pytest.fixture
def plain_front(validating: ValidatingTransport) -> Iterator[ServerHandle]:
    with serve(validating) as handle:
        yield handle


def _login_requests(server: FakeServer) -> list[HttpRequest]:
    return [request for request, _ in server.log if request.url.endswith("/api/auth/login")]


def _fallbacks(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, SchemeFallbackWarning)]


# ---------------------------------------------------------------------------- untrusted certificate


def test_untrusted_certificate_fails_and_never_falls_back_to_http(
    dual_server: Callable[..., DualServer], validating: ValidatingTransport
) -> None:
    dual = dual_server(validating)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cvatfn.connect(dual.address, credentials=("admin", "admin"), config=QUICK)

    match result:
        case Failure(TransportFailure(kind="tls_certificate") as error):
            assert error.request is not None
            assert error.request.url == f"https://{dual.address}/api/server/about"
        case _:
            pytest.fail(f"expected a tls_certificate failure, got {result!r}")
    assert _fallbacks(caught) == []
    assert dual.connections["tls"] >= 1
    assert dual.tls_seen == []  # the handshake never completed
    assert dual.connections["plain"] == 0
    assert dual.plain_seen == []

    # The same port answers plain http: a fallback would have succeeded.
    explicit = cvatfn.connect(f"http://{dual.address}", config=QUICK)
    assert isinstance(explicit, Success)
    assert [r.url for r in dual.plain_seen] == [f"http://{dual.address}/api/server/about"]


def test_untrusted_certificate_with_an_explicit_https_scheme(tls_front: ServerHandle) -> None:
    result = cvatfn.connect(tls_front.url, credentials=("admin", "admin"), config=QUICK)
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), TransportFailure)
    assert result.failure().kind == "tls_certificate"  # type: ignore[union-attr]


def test_certificate_for_another_name_is_tls_certificate_even_with_the_ca_trusted(
    validating: ValidatingTransport, tmp_path_factory: pytest.TempPathFactory
) -> None:
    only_localhost = make_pki(tmp_path_factory.mktemp("pki-localhost"), [])
    with (
        serve(validating, ssl_context=only_localhost.server_context()) as handle,
        Urllib3Transport(ca_certs=str(only_localhost.ca_pem), connect_timeout=5.0) as transport,
    ):
        by_address = cvatfn.connect(f"127.0.0.1:{handle.port}", transport=transport)
        by_name = cvatfn.connect(f"localhost:{handle.port}", transport=transport)
    assert isinstance(by_address, Failure)
    assert by_address.failure().kind == "tls_certificate"  # type: ignore[union-attr]
    assert "127.0.0.1" in by_address.failure().message
    assert isinstance(by_name, Success)
    assert by_name.unwrap().server.url == f"https://localhost:{handle.port}"


# ---------------------------------------------------------------- opting out, trusting a CA


def test_verify_ssl_false_connects_over_https_only_when_asked(
    tls_front: ServerHandle, fake: FakeServer
) -> None:
    host = f"127.0.0.1:{tls_front.port}"
    refused = cvatfn.connect(host, credentials=("admin", "admin"), config=QUICK)
    assert isinstance(refused, Failure)
    assert refused.failure().kind == "tls_certificate"  # type: ignore[union-attr]
    assert _login_requests(fake) == []

    insecure = Config(verify_ssl=False, connect_timeout=5.0, read_timeout=5.0)
    with pytest.warns(InsecureRequestWarning):
        session = cvatfn.connect(host, credentials=("admin", "admin"), config=insecure).unwrap()
    with pytest.warns(InsecureRequestWarning):
        user = cvatfn.users.retrieve_current_user(session).unwrap()
    assert session.server.url == f"https://{host}"
    assert session.server.scheme_deduced
    assert user.username == "admin"
    # The front serves https, so the absolute URLs in CVAT's answers say so.
    assert user.url == f"https://{host}/api/users/{user.id}"


def test_a_trusted_ca_bundle_verifies_the_server(tls_front: ServerHandle, pki: Pki) -> None:
    with (
        warnings.catch_warnings(),
        Urllib3Transport(ca_certs=str(pki.ca_pem), connect_timeout=5.0) as transport,
    ):
        warnings.simplefilter("error")  # no fallback, no InsecureRequestWarning
        session = cvatfn.connect(
            f"127.0.0.1:{tls_front.port}", credentials=("admin", "admin"), transport=transport
        ).unwrap()
        assert cvatfn.users.retrieve_current_user(session).unwrap().username == "admin"
    assert session.server.url == tls_front.url


def test_config_ca_certs_trusts_a_private_ca(tls_front: ServerHandle, pki: Pki) -> None:
    config = msgspec.structs.replace(QUICK, ca_certs=str(pki.ca_pem))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = cvatfn.connect(
            f"localhost:{tls_front.port}", credentials=("admin", "admin"), config=config
        ).unwrap()
    assert session.server.url == f"https://localhost:{tls_front.port}"
    assert cvatfn.users.retrieve_current_user(session).unwrap().username == "admin"
    # Without it the same server is untrusted, and there is no fallback to http.
    untrusted = cvatfn.connect(f"localhost:{tls_front.port}", config=QUICK).failure()
    assert isinstance(untrusted, TransportFailure) and untrusted.kind == "tls_certificate"


def test_the_default_transport_trusts_a_ca_named_by_ssl_cert_file(
    tls_front: ServerHandle, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``Config.ca_certs``, the transport cvatfn builds uses the system's trust
    store, which OpenSSL lets ``SSL_CERT_FILE`` replace."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_pem))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = cvatfn.connect(
            f"localhost:{tls_front.port}", credentials=("admin", "admin"), config=QUICK
        ).unwrap()
    assert session.server.url == f"https://localhost:{tls_front.port}"
    assert cvatfn.users.retrieve_current_user(session).unwrap().username == "admin"


# ---------------------------------------------------------------------------- falling back to http


def test_a_plain_http_server_gets_a_fallback_with_a_warning(
    plain_front: ServerHandle, fake: FakeServer
) -> None:
    host = f"127.0.0.1:{plain_front.port}"
    with pytest.warns(SchemeFallbackWarning) as caught:
        session = cvatfn.connect(host, credentials=("admin", "admin"), config=QUICK).unwrap()
    message = str(caught[0].message)
    assert f"https://{host} failed (tls_handshake" in message
    assert f"falling back to http://{host}" in message
    assert session.server.url == f"http://{host}"
    assert session.server.scheme_deduced
    # Loopback: the password may travel over the deduced http.
    assert len(_login_requests(fake)) == 1
    assert cvatfn.users.retrieve_current_user(session).unwrap().username == "admin"


def test_a_reset_during_the_tls_handshake_falls_back_with_a_warning(
    dual_server: Callable[..., DualServer], validating: ValidatingTransport
) -> None:
    """A port whose TLS is broken (the handshake is reset) is a handshake-level failure."""
    dual = dual_server(validating, reset_tls=True)
    with pytest.warns(SchemeFallbackWarning, match=r"failed \(tls_handshake: .*[Rr]eset"):
        session = cvatfn.connect(dual.address, credentials=("admin", "admin"), config=QUICK)
    assert session.unwrap().server.url == f"http://{dual.address}"
    assert dual.connections["tls"] == 1
    assert [r.url for r in dual.plain_seen][:2] == [
        f"http://{dual.address}/api/server/about",
        f"http://{dual.address}/api/auth/login",
    ]


def test_nothing_listening_falls_back_and_fails_with_connect() -> None:
    host = f"127.0.0.1:{free_port()}"
    once = Config(connect_timeout=5.0, retry=RetryPolicy(max_attempts=1))
    with pytest.warns(SchemeFallbackWarning, match=f"falling back to http://{host}"):
        result = cvatfn.connect(host, config=once)
    match result:
        case Failure(TransportFailure(kind="connect") as error):
            assert error.request is not None
            assert error.request.url == f"http://{host}/api/server/about"
        case _:
            pytest.fail(f"expected a connect failure, got {result!r}")


# ---------------------------------------------------------------------------- non-loopback host


@pytest.fixture(scope="module")
def public_address() -> str:
    address = non_loopback_address()
    if address is None:
        pytest.skip(
            "this machine has no non-loopback address to serve on; the same rule is checked "
            "with a scripted transport in tests/core/test_connect.py"
        )
    return address


@pytest.fixture
def public_front(public_address: str, fake: FakeServer) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(ValidatingTransport(fake.transport()))
    with serve(recorder, host=public_address) as handle:
        yield f"{public_address}:{handle.port}", recorder


def test_no_password_over_deduced_http_to_a_non_loopback_host(
    public_front: tuple[str, Recorder], fake: FakeServer
) -> None:
    host, recorder = public_front
    with pytest.warns(SchemeFallbackWarning, match=f"falling back to http://{host}"):
        result = cvatfn.connect(host, credentials=("admin", PASSWORD), config=QUICK)
    match result:
        case Failure(InsecureConnection() as error):
            assert "http://" in error.message
            assert PASSWORD not in repr(error)
        case _:
            pytest.fail(f"expected InsecureConnection, got {result!r}")
    assert [(r.method, r.url) for r in recorder.seen] == [
        ("GET", f"http://{host}/api/server/about")
    ]
    assert _login_requests(fake) == []
    assert not any(PASSWORD.encode() in request.body for request, _ in fake.log)


def test_no_token_over_deduced_http_to_a_non_loopback_host(
    public_front: tuple[str, Recorder],
) -> None:
    host, recorder = public_front
    with pytest.warns(SchemeFallbackWarning):
        result = cvatfn.connect(host, access_token="t0ken-SECRET-abc", config=QUICK)
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), InsecureConnection)
    assert all(request.header("Authorization") is None for request in recorder.seen)
    assert [r.url for r in recorder.seen] == [f"http://{host}/api/server/about"]


def test_explicit_http_to_a_non_loopback_host_logs_in(
    public_front: tuple[str, Recorder], fake: FakeServer
) -> None:
    host, _ = public_front
    fake.add_user("alice", PASSWORD)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = cvatfn.connect(
            f"http://{host}", credentials=("alice", PASSWORD), config=QUICK
        ).unwrap()
    assert not session.server.scheme_deduced
    assert len(_login_requests(fake)) == 1
    assert cvatfn.users.retrieve_current_user(session).unwrap().username == "alice"


def test_the_config_may_allow_a_password_over_deduced_http(
    public_front: tuple[str, Recorder], fake: FakeServer
) -> None:
    host, _ = public_front
    allowing = Config(allow_password_over_deduced_http=True, connect_timeout=5.0)
    with pytest.warns(SchemeFallbackWarning):
        session = cvatfn.connect(host, credentials=("admin", "admin"), config=allowing).unwrap()
    assert session.server.url == f"http://{host}"
    assert len(_login_requests(fake)) == 1
