"""The real-network :class:`~cvatfn.http.Transport`, over urllib3 2.x.

Theory of operation
-------------------
:class:`Urllib3Transport` owns one :class:`urllib3.PoolManager` (or borrows one the caller
passes in). :meth:`Urllib3Transport.handle` sends an :class:`~cvatfn.http.HttpRequest` exactly as
described -- method, absolute URL, headers, body -- with ``redirect=False`` and ``retries=False``:
following a 3xx and retrying a failure are decisions of cvatfn's core, not of the transport. A
``User-Agent`` is added when the request has none.

A response is read in two phases so that a failure can be told apart by *when* it happened:

1. ``urlopen`` connects, sends the request and reads the status line and headers. A failure
   here is one of:

   - ``connect`` when the request was certainly not sent: the connection was refused, the name
     did not resolve, the network or host is unreachable;
   - ``tls_certificate`` when the peer's certificate cannot be verified, ``tls_handshake`` for
     any other failure of the handshake, including the peer resetting or closing the
     connection during it (the request was not sent either);
   - ``timeout``;
   - ``protocol`` when the connection was reset, aborted or closed once it was established --
     while the request was being sent or its answer awaited -- or the peer answered with
     something that is not HTTP. The request may have reached the server, so it is never
     safe to send a ``POST`` again after this.

   To tell a failure of the TLS handshake from the same failure on the established connection
   (urllib3 reports both alike), the pool this transport builds uses an ``HTTPSConnection``
   that marks failures of its ``connect`` step; an unmarked TLS error is then ``protocol``.
   With a pool passed in, a TLS error is taken for ``tls_handshake`` and a reset for
   ``protocol``: when in doubt, the request may have been sent.
2. The body is read to the end. A failure here is a ``timeout`` or, for anything else (the
   peer closed mid-body, a broken chunked encoding, a bad ``Content-Encoding``), ``protocol``.

Every exception is mapped to a :class:`~cvatfn.http.TransportError`; nothing from urllib3,
``ssl``, ``socket`` or ``http.client`` escapes, and neither does any other ``Exception``.

Any 1xx-5xx status, including a 3xx and a 500, is a *response*, not an error. Response headers
keep repeated names (``Set-Cookie``) as separate pairs. urllib3 undoes a ``Content-Encoding``
(gzip, deflate) the server applied; the headers are passed on as received.

A transport is safe to share between threads: urllib3's pool manager is thread-safe and the
transport holds no other mutable state.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from importlib import metadata
from types import TracebackType
from typing import Final, Self

import urllib3
from urllib3 import exceptions as u3
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.ssl_match_hostname import CertificateError as HostnameMismatch

from cvatfn.http import Headers, HttpRequest, HttpResponse, TransportError, TransportErrorKind

__all__ = ["DEFAULT_USER_AGENT", "Urllib3Transport"]


def _version() -> str:
    try:
        return metadata.version("cvatfn")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


DEFAULT_USER_AGENT: Final[str] = f"cvatfn/{_version()}"
"""The ``User-Agent`` sent when neither the request nor the transport names one."""

_CHUNK_SIZE: Final[int] = 64 * 1024


class _HandshakeFailed(u3.SSLError):
    """The TLS handshake failed (the peer does not speak TLS, reset or closed the connection,
    or its certificate failed verification): the request was not sent. The cause is the
    ``ssl`` or socket error."""


class _HTTPSConnection(HTTPSConnection):
    """An ``HTTPSConnection`` whose handshake failures say that they happened while connecting.

    urllib3 wraps an ``OSError`` from the TCP connect in ``NewConnectionError``, but an error
    from the TLS handshake reaches the caller exactly like the same error on the established
    connection: an ``ssl.SSLError`` as ``SSLError``, a reset as ``ProtocolError``. Here every
    ``OSError`` of the handshake becomes :class:`_HandshakeFailed` (``from`` the original).
    urllib3's own errors, timeouts and host name mismatches pass through unchanged.
    """

    def connect(self) -> None:
        try:
            super().connect()
        except (u3.HTTPError, TimeoutError, HostnameMismatch):
            raise
        except OSError as exc:
            raise _HandshakeFailed(_describe(exc)) from exc


class _HTTPSConnectionPool(HTTPSConnectionPool):
    # urllib3's own HTTPSConnection does not match its BaseHTTPSConnection protocol under
    # pyright either (a Final class attribute); urllib3 assigns it to the same attribute.
    ConnectionCls = _HTTPSConnection  # pyright: ignore[reportAssignmentType]


_POOL_CLASSES: Final[dict[str, type[HTTPConnectionPool]]] = {
    "http": HTTPConnectionPool,
    "https": _HTTPSConnectionPool,
}


class Urllib3Transport:
    """Send :class:`~cvatfn.http.HttpRequest` values over the network with urllib3.

    Args:
        verify_ssl: Verify the server's TLS certificate and host name (the default). Turn it
            off only for a server with a self-signed certificate you cannot install; urllib3
            then warns with ``InsecureRequestWarning`` on every request.
        ca_certs: Path of a PEM bundle of CA certificates to trust instead of the system's
            (e.g. a company CA). Ignored when ``verify_ssl`` is false.
        connect_timeout: Seconds to wait for the TCP connection (and TLS handshake).
        read_timeout: Seconds to wait for any single read from the socket -- the status line,
            or the next piece of the body. It is not a limit on the whole exchange.
        maxsize: Connections kept open per host. More concurrent requests than this still
            work; the extra connections are closed after use.
        pool: Use this pool manager instead of building one. ``verify_ssl``, ``ca_certs`` and
            ``maxsize`` are then ignored (the pool's own settings apply) and :meth:`close`
            leaves the pool open: it belongs to the caller.
        user_agent: ``User-Agent`` for requests that carry none; defaults to
            :data:`DEFAULT_USER_AGENT` (``cvatfn/<version>``).

    Examples:
        >>> from cvatfn.http import HttpRequest
        >>> with Urllib3Transport(connect_timeout=5.0) as transport:  # doctest: +SKIP
        ...     response = transport.handle(HttpRequest("GET", "https://app.cvat.ai/api/server/about"))
        ...     response.status
        200
    """

    def __init__(
        self,
        *,
        verify_ssl: bool = True,
        ca_certs: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        maxsize: int = 10,
        pool: urllib3.PoolManager | None = None,
        user_agent: str | None = None,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._owns_pool = pool is None
        if pool is None:
            if verify_ssl:
                pool = urllib3.PoolManager(
                    maxsize=maxsize, cert_reqs="CERT_REQUIRED", ca_certs=ca_certs
                )
            else:
                pool = urllib3.PoolManager(
                    maxsize=maxsize, cert_reqs="CERT_NONE", assert_hostname=False
                )
            pool.pool_classes_by_scheme = _POOL_CLASSES
        self._pool: urllib3.PoolManager = pool
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self._user_agent = user_agent if user_agent is not None else DEFAULT_USER_AGENT

    # ------------------------------------------------------------------ public API

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and return the whole response, whatever its status.

        Raises:
            TransportError: and nothing else; see the module docstring for the ``kind``s.

        Examples:
            >>> t = Urllib3Transport()
            >>> t.handle(HttpRequest("GET", "http://127.0.0.1:9/"))  # doctest: +SKIP
            Traceback (most recent call last):
            cvatfn.http.TransportError: connect: ... (http://127.0.0.1:9/)
        """
        response = self._open(request)
        try:
            try:
                body = response.read(decode_content=True)
            except Exception as exc:
                raise _reading_error(exc, request.url) from exc
            return HttpResponse(response.status, _headers(response), body)
        finally:
            _release(response)

    @contextmanager
    def stream(
        self, request: HttpRequest, *, chunk_size: int = _CHUNK_SIZE
    ) -> Generator[tuple[HttpResponse, Iterator[bytes]]]:
        """Send ``request`` and yield its head and an iterator over the body, for downloads.

        The yielded :class:`~cvatfn.http.HttpResponse` has the status and headers and an empty
        body; the body arrives from the iterator in pieces of at most ``chunk_size`` bytes.
        Iterating may raise :class:`~cvatfn.http.TransportError` (``timeout`` or
        ``protocol``), as may entering the context. Leaving the context before the body is
        read to the end closes the connection instead of returning it to the pool.

        Examples:
            >>> with Urllib3Transport() as t, t.stream(request) as (head, chunks):  # doctest: +SKIP
            ...     if head.ok:
            ...         with open("dataset.zip", "wb") as out:
            ...             for chunk in chunks:
            ...                 out.write(chunk)
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        response = self._open(request)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(chunk_size, decode_content=True)
            except Exception as exc:
                raise _reading_error(exc, request.url) from exc

        try:
            yield HttpResponse(response.status, _headers(response)), chunks()
        finally:
            _release(response)

    def close(self) -> None:
        """Close the pooled connections, if this transport built its pool. Idempotent."""
        if self._owns_pool:
            self._pool.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Urllib3Transport(timeout={self._timeout}, user_agent={self._user_agent!r})"

    # ------------------------------------------------------------------ internals

    def _open(self, request: HttpRequest) -> urllib3.BaseHTTPResponse:
        """Phase 1: connect, send, and read the status line and headers."""
        try:
            headers = urllib3.HTTPHeaderDict()
            for name, value in request.headers:
                headers.add(name, value)
            if "user-agent" not in headers:
                headers["User-Agent"] = self._user_agent
            return self._pool.request(
                request.method,
                request.url,
                body=request.body or None,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
                timeout=self._timeout,
            )
        except Exception as exc:
            kind, message = _classify(exc, marked=self._owns_pool)
            raise TransportError(kind, message, url=request.url) from exc


def _headers(response: urllib3.BaseHTTPResponse) -> Headers:
    return tuple((str(name), str(value)) for name, value in response.headers.items())


def _release(response: urllib3.BaseHTTPResponse) -> None:
    """Give the connection back to the pool, or close it if the body was not read to the end."""
    try:
        if not response.closed:
            response.close()
        response.release_conn()
    except Exception:  # pragma: no cover - cleanup must never mask the real outcome
        pass


def _reading_error(exc: BaseException, url: str) -> TransportError:
    """Phase 2: the head has arrived, so anything but a timeout is a protocol failure."""
    if _find(exc, u3.ReadTimeoutError, TimeoutError) is not None:
        return TransportError("timeout", f"reading the response body: {_describe(exc)}", url=url)
    return TransportError("protocol", f"reading the response body: {_describe(exc)}", url=url)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what it wraps: urllib3 reasons, ``args``, ``__cause__``, ``__context__``."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, u3.MaxRetryError) and current.reason is not None:
            stack.append(current.reason)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        if current.__cause__ is not None:
            stack.append(current.__cause__)
        if current.__context__ is not None:
            stack.append(current.__context__)


def _find(exc: BaseException, *types: type[BaseException]) -> BaseException | None:
    for candidate in _causes(exc):
        if isinstance(candidate, types):
            return candidate
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _classify(exc: BaseException, *, marked: bool) -> tuple[TransportErrorKind, str]:
    """Map a failure before the response head arrived to a kind and a message.

    ``marked``: the failure comes from a pool of :class:`_HTTPSConnection`\\s, so a TLS error
    without the :class:`_HandshakeFailed` mark happened after the handshake.

    The order matters: urllib3's ``NewConnectionError`` subclasses ``ConnectTimeoutError``, and
    ``http.client.RemoteDisconnected`` subclasses ``ConnectionResetError``.
    """
    # TLS: the certificate first, because a verification failure is also an SSLError.
    cert = _find(exc, ssl.SSLCertVerificationError, HostnameMismatch)
    if cert is not None:
        return "tls_certificate", _describe(cert)
    handshake = _find(exc, _HandshakeFailed)
    if handshake is not None:
        return "tls_handshake", f"the TLS handshake failed: {handshake}"
    tls = _find(exc, u3.SSLError, ssl.SSLError)
    if tls is not None:
        if marked:
            return "protocol", f"TLS failure on the established connection: {_describe(tls)}"
        return "tls_handshake", _describe(tls)

    # Connecting, before anything was sent.
    new_connection = _find(exc, u3.NewConnectionError)  # includes NameResolutionError
    if new_connection is not None:
        return "connect", _describe(new_connection)
    timeout = _find(exc, u3.ConnectTimeoutError, u3.ReadTimeoutError, TimeoutError)
    if timeout is not None:
        return "timeout", _describe(timeout)
    refused = _find(exc, ConnectionRefusedError, socket.gaierror, u3.ProxyError)
    if refused is not None:
        return "connect", _describe(refused)

    # The peer answered with something that is not HTTP, or hung up without answering.
    not_http = _find(exc, http.client.HTTPException)
    if not_http is not None:
        return "protocol", _describe(not_http)
    if isinstance(exc, u3.LocationValueError):
        return "protocol", f"invalid URL: {_describe(exc)}"
    # Reset, aborted or broken once connected: the request may have reached the server.
    if _find(exc, ConnectionError, u3.ProtocolError, u3.HTTPError) is not None:
        return "protocol", _describe(exc)
    unreachable = _find(exc, OSError)
    if isinstance(unreachable, OSError) and unreachable.errno in _NOT_SENT_ERRNOS:
        return "connect", _describe(exc)
    return "protocol", f"unexpected {_describe(exc)}"


_NOT_SENT_ERRNOS: Final[frozenset[int]] = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.EADDRNOTAVAIL,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
    }
)
"""Error numbers of a bare ``OSError`` that only connecting can produce."""
