"""Session and Config: immutable values that describe how to talk to one CVAT server.

A :class:`Session` holds everything a call needs: the server, the auth state, the
organization context, the :class:`Config` and the transport. Nothing in it changes; variants
are derived with :func:`msgspec.structs.replace` (``login`` returns a new session,
``with_org`` is pure).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from cvatfn.http import REDACTED, Transport
from cvatfn.retry import RetryPolicy

__all__ = [
    "DEFAULT_SUPPORTED_VERSIONS",
    "AccessTokenAuth",
    "Auth",
    "Config",
    "NoAuth",
    "PasswordAuth",
    "Server",
    "Session",
]

DEFAULT_SUPPORTED_VERSIONS = ">=2.80,<2.82"
"""The CVAT server versions this release of cvatfn is built and tested against."""


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """Tunable behaviour of a session. Every field has a sensible default.

    Examples:
        >>> Config().page_size
        100
        >>> Config(page_size=500, status_check_period=0.5).status_check_period
        0.5
    """

    status_check_period: float = 1.0
    """Seconds between polls of a background request."""
    request_deadline: float = 3600.0
    """Give up waiting for a background request after this many seconds."""
    cancel_on_deadline: bool = False
    """When a wait gives up, also ask the server to cancel the background request
    (``POST /api/requests/{id}/cancel``; CVAT cancels only requests that have not started)."""
    allow_unsupported_server: bool = True
    """If False, an unsupported server version is an ``UnsupportedServer`` failure; if True,
    an ``UnsupportedServerWarning``."""
    supported_versions: str = DEFAULT_SUPPORTED_VERSIONS
    """A PEP 440 specifier set of server versions considered supported."""
    verify_ssl: bool = True
    """Verify the server's TLS certificate (used when cvatfn builds the urllib3 transport)."""
    ca_certs: str | None = None
    """A PEM file of CA certificates to trust instead of the system's, for a server with a
    private CA (used when cvatfn builds the urllib3 transport)."""
    connect_timeout: float = 10.0
    """Seconds to wait for a connection (used when cvatfn builds the urllib3 transport)."""
    read_timeout: float = 60.0
    """Seconds to wait for response bytes (used when cvatfn builds the urllib3 transport)."""
    page_size: int = 100
    """Items per page when listing. CVAT's own default is 10."""
    allow_password_over_deduced_http: bool = False
    """Allow sending a password after the scheme was *deduced* to be plain http on a host that
    is not loopback. Writing ``http://`` explicitly is the better way to say you mean it."""
    max_request_size: int = 8 * 2**20
    """Small files are uploaded in multipart batches of up to this many bytes; a larger file
    goes over TUS."""
    tus_chunk_size: int = 8 * 2**20
    """Bytes per TUS ``PATCH``."""
    retry: RetryPolicy = RetryPolicy()
    """When and how long to retry a failed request (see :mod:`cvatfn.retry`);
    :data:`cvatfn.retry.NO_RETRY` sends every request once."""
    max_redirects: int = 5
    """Redirects a ``GET`` or ``HEAD`` follows; ``0`` follows none. Credentials never follow a
    redirect to another origin, and a redirect from https to http is refused."""


class Server(msgspec.Struct, frozen=True, kw_only=True):
    """Where the server is and what it said about itself.

    Examples:
        >>> Server(url="https://cvat.example").origin
        'https://cvat.example'
    """

    url: str
    """Base URL: scheme, host and optional port, without a trailing slash."""
    scheme_deduced: bool = False
    """True when the caller gave no scheme and cvatfn chose it."""
    version: str | None = None
    """The version from ``/api/server/about``, when it was read."""

    @property
    def origin(self) -> str:
        """The ``Origin`` header value for this server."""
        return self.url

    @property
    def scheme(self) -> Literal["http", "https"]:
        """The scheme in use."""
        return "https" if self.url.startswith("https://") else "http"


class NoAuth(msgspec.Struct, frozen=True, tag="none"):
    """Not logged in."""


class PasswordAuth(msgspec.Struct, frozen=True, kw_only=True, tag="password"):
    """A Django session from ``POST /api/auth/login``: cookies plus the CSRF token.

    The repr never shows the secrets.
    """

    username: str
    sessionid: str
    csrftoken: str

    def __repr__(self) -> str:
        return (
            f"PasswordAuth(username={self.username!r}, sessionid=<redacted>, csrftoken=<redacted>)"
        )

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """Fields for rich's pretty printer, with the secrets redacted."""
        return [("username", self.username), ("sessionid", REDACTED), ("csrftoken", REDACTED)]


class AccessTokenAuth(msgspec.Struct, frozen=True, kw_only=True, tag="token"):
    """A personal access token, sent as ``Authorization: Bearer``. The repr hides it."""

    token: str

    def __repr__(self) -> str:
        return "AccessTokenAuth(token=<redacted>)"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """Fields for rich's pretty printer, with the token redacted."""
        return [("token", REDACTED)]


Auth = NoAuth | PasswordAuth | AccessTokenAuth


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a call needs to talk to one server, as an immutable value.

    Build one with :func:`cvatfn.connect`; derive variants with :func:`cvatfn.login`,
    :func:`cvatfn.with_org` or :func:`msgspec.structs.replace`.

    Examples:
        >>> from cvatfn_fake import FakeServer
        >>> import cvatfn
        >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                          transport=FakeServer().transport()).unwrap()
        >>> session.server.url, session.org
        ('http://localhost', None)
        >>> cvatfn.with_org(session, "lab").org
        'lab'
    """

    server: Server
    transport: Transport
    auth: Auth = NoAuth()
    org: str | None = None
    """``X-Organization`` context: a slug, ``""`` for the personal workspace, ``None`` for no
    header at all (CVAT then shows everything the user can see)."""
    config: Config = Config()

    def __repr__(self) -> str:
        return (
            f"Session(server={self.server.url!r}, auth={self.auth!r}, org={self.org!r}, "
            f"transport={type(self.transport).__name__})"
        )

    __str__ = __repr__
