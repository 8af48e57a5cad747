"""Fixtures for the security tests: a private certificate authority, real servers on loopback
(TLS, plain, and one port that speaks both), and recording wrappers around the fake server."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cvatfn.http import HttpRequest, HttpResponse, Transport
from cvatfn_fake import FakeServer

# ---------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class Pki:
    """A private CA and a server certificate it signed, for ``127.0.0.1`` and ``localhost``."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_pem, self.key_pem)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory: Path, addresses: list[str]) -> Pki:
    """A CA (``cvatfn test CA``) and a server certificate for ``addresses`` and localhost."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("cvatfn test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("cvatfn test server"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pki(ca_pem, cert_pem, key_pem)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), ["127.0.0.1"])


# ---------------------------------------------------------------------------- addresses


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback and that a server can bind, if any.

    Connecting a UDP socket sends nothing; it only asks the kernel which local address would
    be used to reach a (documentation-range) destination.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.254", 9))
            address = str(probe.getsockname()[0])
        if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
            return None
        with socket.socket() as bind_test:
            bind_test.bind((address, 0))
    except OSError:
        return None
    return address


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------------- recording apps


@dataclass
class Recorder:
    """A :class:`Transport` that records every request it is handed, then answers it.

    ``rules`` are tried first: ``(method, path with query) -> answer``, an exact match (or a
    prefix, for a target ending in ``*``); the first that matches answers, else ``inner`` does
    (or a 404 when there is no inner).
    """

    inner: Transport | None = None
    rules: list[tuple[str, str, Callable[[HttpRequest], HttpResponse]]] = field(
        default_factory=list[tuple[str, str, Callable[[HttpRequest], HttpResponse]]]
    )
    seen: list[HttpRequest] = field(default_factory=list[HttpRequest])

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        path = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
        for method, target, answer in self.rules:
            matches = path.startswith(target[:-1]) if target.endswith("*") else path == target
            if request.method == method and matches:
                return answer(request)
        if self.inner is None:
            return HttpResponse(404, (("Content-Type", "application/json"),), b"{}")
        return self.inner.handle(request)

    def on(self, method: str, target: str, answer: Callable[[HttpRequest], HttpResponse]) -> None:
        self.rules.append((method, target, answer))


def redirect(status: int, location: str) -> Callable[[HttpRequest], HttpResponse]:
    def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status, (("Location", location),))

    return answer


# ---------------------------------------------------------------- a port that speaks both


class _Forward(BaseHTTPRequestHandler):
    """Hands each request to ``server.app`` (a :class:`Transport`) and writes its answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        request = HttpRequest(
            self.command,
            f"{scheme}://{self.headers.get('Host')}{self.path}",
            tuple(self.headers.items()),
            body,
        )
        dual = cast(DualServer, self.server)
        (dual.tls_seen if scheme == "https" else dual.plain_seen).append(request)
        response = dual.app.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class DualServer(ThreadingHTTPServer):
    """One TCP port that answers TLS and plain HTTP alike: the first byte of a connection
    (``0x16``, a TLS handshake record, or anything else) decides. Both serve ``app``; the
    requests are recorded separately in ``tls_seen`` and ``plain_seen``.

    A client that falls back from https to http on this port would *succeed*, so an empty
    ``plain_seen`` proves that it did not try.
    """

    daemon_threads = True

    def __init__(self, app: Transport, context: ssl.SSLContext, *, reset_tls: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.app = app
        self.context = context
        self.reset_tls = reset_tls
        """Answer a TLS handshake by resetting the connection (a port whose TLS is broken)."""
        self.tls_seen: list[HttpRequest] = []
        self.plain_seen: list[HttpRequest] = []
        self.connections = {"tls": 0, "plain": 0}

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock: socket.socket = request
        sock.settimeout(5)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first != b"\x16":
            self.connections["plain"] += 1
            super().finish_request(sock, client_address)
            return
        self.connections["tls"] += 1
        if self.reset_tls:
            sock.recv(65536)  # the ClientHello, never answered
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except OSError:
            return  # e.g. the client rejected the certificate
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_port}"


@pytest.fixture
def dual_server(pki: Pki) -> Iterator[Callable[..., DualServer]]:
    """``start(app, reset_tls=False)``: a :class:`DualServer` serving ``app``, running."""
    started: list[DualServer] = []

    def start(app: Transport, *, reset_tls: bool = False) -> DualServer:
        httpd = DualServer(app, pki.server_context(), reset_tls=reset_tls)
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append(httpd)
        return httpd

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


def create_access_token(server: FakeServer, username: str, password: str) -> str:
    """A new personal access token of ``username``, made through the server's own API."""
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    response = server.transport().handle(
        HttpRequest(
            "POST",
            "http://localhost/api/auth/access_tokens",
            (("Authorization", f"Basic {basic}"), ("Content-Type", "application/json")),
            json.dumps({"name": "security test"}).encode(),
        )
    )
    assert response.status == 201, response.body
    token: str = json.loads(response.body)["value"]
    return token
