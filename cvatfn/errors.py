"""Every way a cvatfn call can fail, as plain values.

Public functions never raise for anything the server, the network or the caller's data
can do. They return ``Failure(error)`` where ``error`` is one member of the closed union
:data:`CvatError`, so a ``match`` statement can handle each case::

    match cvatfn.tasks.retrieve(session, 42):
        case Success(Task() as task):
            print(task.name)
        case Failure(NotFound()):
            print("no such task")
        case Failure(Unauthorized() | Forbidden() as err):
            print("not allowed:", err.message)
        case Failure(err):
            print("failed:", err.message)

Every error that came from an HTTP exchange carries a :class:`RequestInfo` with the method
and URL and the request headers, with ``Authorization``, ``Cookie``, ``Set-Cookie`` and
``X-CSRFToken`` already redacted, so printing or serialising an error never leaks a secret.

Examples:
    >>> err = NotFound(message="Not found.", status=404)
    >>> err.message
    'Not found.'
    >>> isinstance(err, CvatErrorBase)
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeAlias

import msgspec

from cvatfn.http import Headers, HttpRequest, TransportErrorKind, redact_headers

__all__ = [
    "BackgroundFailed",
    "BadRequest",
    "Conflict",
    "CvatError",
    "CvatErrorBase",
    "CvatException",
    "CvatWarning",
    "DeadlineExceeded",
    "Forbidden",
    "InsecureConnection",
    "InvalidInput",
    "LocalFileError",
    "NotFound",
    "RateLimited",
    "RequestInfo",
    "SchemeFallbackWarning",
    "ServerError",
    "TransportFailure",
    "Unauthorized",
    "UnexpectedResponse",
    "UnsupportedServer",
    "UnsupportedServerWarning",
]


class RequestInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The request an error came from, with secrets redacted.

    Examples:
        >>> info = RequestInfo.of(HttpRequest("GET", "http://h/api/tasks", (("Cookie", "x"),)))
        >>> info.headers
        (('Cookie', '<redacted>'),)
    """

    method: str
    url: str
    headers: Headers = ()

    @classmethod
    def of(cls, request: HttpRequest) -> RequestInfo:
        """Describe ``request`` without its body and with sensitive headers redacted."""
        return cls(method=request.method, url=request.url, headers=redact_headers(request.headers))


class CvatErrorBase(msgspec.Struct, frozen=True, kw_only=True):
    """Fields every error has: a human-readable ``message`` and the ``request`` (if any)."""

    message: str
    request: RequestInfo | None = None
    attempts: int = 1
    """How many times the request was sent before cvatfn gave up (see :mod:`cvatfn.retry`)."""

    def __str__(self) -> str:
        where = f" [{self.request.method} {self.request.url}]" if self.request else ""
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{type(self).__name__}: {self.message}{where}{tries}"


class InvalidInput(CvatErrorBase, frozen=True, kw_only=True):
    """The caller's input was rejected before anything was sent.

    (One call checks its input against the server first: ``remove_annotations`` with ``ids``
    reads the annotations, and ids that are not there are ``InvalidInput`` with nothing
    changed.)

    ``field`` names the offending field as a path (``"labels[0].name"``) when there is one.
    """

    field: str | None = None


class LocalFileError(CvatErrorBase, frozen=True, kw_only=True):
    """A local file failed once the operation had started, after requests were sent.

    A source file became unreadable or shrank during an upload; a download's target could not
    be written (a full disk, lost permissions) or another file appeared at it meanwhile.
    Whatever cvatfn was writing has been removed, and an existing file is never touched.
    ``path`` is the local file; ``request`` is the request the operation was serving.
    (Problems found before anything is sent are :class:`InvalidInput`.)
    """

    path: str


class TransportFailure(CvatErrorBase, frozen=True, kw_only=True):
    """The request did not complete: connection refused, timeout, TLS failure or a broken reply.

    ``kind`` is one of ``connect``, ``timeout``, ``tls_handshake``, ``tls_certificate``,
    ``protocol`` and ``not_recorded`` (see :data:`cvatfn.http.TransportErrorKind`).
    """

    kind: TransportErrorKind


class _HttpErrorBase(CvatErrorBase, frozen=True, kw_only=True):
    status: int
    body: str = ""
    """The response body as text (truncated to 2,000 characters)."""


class BadRequest(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 400 (or another 4xx without its own type). ``errors`` holds DRF's field errors.

    Examples:
        >>> BadRequest(message="bad", status=400, errors={"name": ("required",)}).errors["name"]
        ('required',)
    """

    errors: Mapping[str, tuple[str, ...]] = msgspec.field(
        default_factory=dict[str, tuple[str, ...]]
    )


class Unauthorized(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 401: no credentials, wrong credentials, or an expired session."""


class Forbidden(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 403: authenticated, but not allowed (or a missing CSRF token)."""


class NotFound(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 404: the object does not exist, or is not visible to this user."""


class Conflict(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 409: the request conflicts with the server's state (e.g. a TUS offset mismatch)."""


class RateLimited(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 429. ``Retry-After`` is kept as the server gave it: ``retry_after`` in seconds, or
    ``retry_at`` for an HTTP date (converting a date needs the clock, which the core never
    reads)."""

    retry_after: float | None = None
    retry_at: datetime | None = None


class ServerError(_HttpErrorBase, frozen=True, kw_only=True):
    """HTTP 5xx."""


class UnexpectedResponse(CvatErrorBase, frozen=True, kw_only=True):
    """The server answered, but not as CVAT's protocol says: an undecodable body, a missing
    header, or a status that makes no sense for the call."""

    status: int | None = None
    body: str = ""


class UnsupportedServer(CvatErrorBase, frozen=True, kw_only=True):
    """The server's version is outside the supported range and ``allow_unsupported_server``
    is off."""

    version: str
    supported: str


class BackgroundFailed(CvatErrorBase, frozen=True, kw_only=True):
    """A server-side background request (``/api/requests/{id}``) ended in ``failed``.

    ``message`` is the server's own message.
    """

    request_id: str


class DeadlineExceeded(CvatErrorBase, frozen=True, kw_only=True):
    """A wait (for a background request, or a retry loop) ran past its deadline.

    ``cancelled`` says whether cvatfn then cancelled the background request on the server
    (see ``Config.cancel_on_deadline``).
    """

    seconds: float
    request_id: str | None = None
    cancelled: bool = False


class InsecureConnection(CvatErrorBase, frozen=True, kw_only=True):
    """cvatfn refused to send credentials over a connection it considers unsafe."""


CvatError: TypeAlias = (
    InvalidInput
    | LocalFileError
    | TransportFailure
    | BadRequest
    | Unauthorized
    | Forbidden
    | NotFound
    | Conflict
    | RateLimited
    | ServerError
    | UnexpectedResponse
    | UnsupportedServer
    | BackgroundFailed
    | DeadlineExceeded
    | InsecureConnection
)
"""The closed union of every failure value."""


class CvatException(Exception):
    """Raised only by ``make_client(...)`` on entering its ``with`` block, which cannot return a
    ``Result``. ``.error`` is the :data:`CvatError` value.

    Examples:
        >>> exc = CvatException(NotFound(message="gone", status=404))
        >>> exc.error.message
        'gone'
    """

    def __init__(self, error: CvatError) -> None:
        super().__init__(str(error))
        self.error: CvatError = error


class CvatWarning(UserWarning):
    """Base class of every warning cvatfn emits."""


class SchemeFallbackWarning(CvatWarning):
    """https failed at the connection level and cvatfn fell back to plain http."""


class UnsupportedServerWarning(CvatWarning):
    """The server's version is outside the supported range (``allow_unsupported_server=True``)."""
