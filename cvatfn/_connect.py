"""Connecting: URL normalisation, scheme deduction, the version check and login.

Theory of operation
-------------------
``connect`` is a flow with four steps, each of which can end it with a failure value:

1. **Normalise** the host: an explicit ``http://`` or ``https://`` is kept, any other scheme
   is ``InvalidInput``; a ``port`` argument is appended unless the host already has one. A
   user name or password in the URL (``user:password@host``) is ``InvalidInput``, and the
   message does not repeat it: the base URL appears in every error and ``repr``.
2. **Deduce the scheme** when none was given: try ``https`` first; fall back to ``http`` only
   when https failed at the connection or TLS-handshake level (nothing listens on 443, or the
   peer does not speak TLS). A certificate that fails verification is never a reason to fall
   back: that is exactly what an attacker who downgrades the connection would cause. A
   fallback produces a :class:`~cvatfn.errors.SchemeFallbackWarning`.
3. **Check the version** from ``GET /api/server/about`` against ``Config.supported_versions``
   (a PEP 440 specifier set). Outside the range it is an ``UnsupportedServerWarning`` or an
   ``UnsupportedServer`` failure, depending on ``Config.allow_unsupported_server``.
4. **Log in**, unless the scheme was deduced to be plain http, the host is not loopback and
   ``Config.allow_password_over_deduced_http`` is off: then credentials are never sent and the
   result is ``InsecureConnection``.

Warnings are returned from the flow as values and emitted by the public wrapper, so the flow
itself stays pure.
"""

from __future__ import annotations

import ipaddress
import warnings
from typing import TypeVar
from urllib.parse import urlsplit

import msgspec
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from returns.result import Failure, Result, Success

from cvatfn import _api
from cvatfn._flow import Flow, run_flow, send
from cvatfn._resilient import resend
from cvatfn._session import (
    AccessTokenAuth,
    Config,
    NoAuth,
    PasswordAuth,
    Server,
    Session,
)
from cvatfn.errors import (
    CvatError,
    CvatWarning,
    InsecureConnection,
    InvalidInput,
    RequestInfo,
    SchemeFallbackWarning,
    UnexpectedResponse,
    UnsupportedServer,
    UnsupportedServerWarning,
)
from cvatfn.http import HttpRequest, HttpResponse, Transport, TransportError
from cvatfn.models import About, User

__all__ = ["connect", "login", "logout", "with_org"]

T = TypeVar("T")
Credentials = tuple[str, str]
_ABOUT = "/api/server/about"


class _Warn(msgspec.Struct, frozen=True):
    category: type[CvatWarning]
    message: str


def _emit(warns: list[_Warn]) -> None:
    for warn in warns:
        warnings.warn(warn.message, warn.category, stacklevel=3)


def _normalise(host: object, port: object) -> Result[tuple[str | None, str], CvatError]:
    """Split ``host`` into (scheme or None, "host[:port]") after validation (of the types
    too: callers are not always type-checked)."""
    if not isinstance(host, str):
        return Failure(
            InvalidInput(message=f"host must be a str, not {type(host).__name__}", field="host")
        )
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        return Failure(
            InvalidInput(message=f"port must be an int, not {type(port).__name__}", field="port")
        )
    text = host.strip().rstrip("/")
    if "@" in text:
        # Checked first, so that no message below repeats a password given in the URL.
        return Failure(
            InvalidInput(
                message="host must not contain a user name or password ('user:password@'): "
                "pass credentials=(username, password) instead",
                field="host",
            )
        )
    scheme: str | None = None
    rest = text
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            return Failure(
                InvalidInput(
                    message=f"unsupported URL scheme {scheme!r}: use http://, https:// or none",
                    field="host",
                )
            )
    if not rest or "/" in rest or "?" in rest or "#" in rest:
        return Failure(
            InvalidInput(
                message=f"host must be a server address such as 'cvat.example.com:8080', "
                f"not {host!r}",
                field="host",
            )
        )
    try:
        parsed = urlsplit(f"//{rest}")
        existing_port = parsed.port
    except ValueError as error:
        return Failure(InvalidInput(message=f"invalid host {host!r}: {error}", field="host"))
    if port is not None:
        if existing_port is not None:
            return Failure(
                InvalidInput(
                    message="the host already has a port; pass either a port in the host "
                    "or the port argument, not both",
                    field="port",
                )
            )
        if not 0 < port < 65536:
            return Failure(InvalidInput(message=f"invalid port {port}", field="port"))
        rest = f"{rest}:{port}"
    return Success((scheme, rest))


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is a loopback address or ``localhost``.

    Examples:
        >>> is_loopback("http://127.0.0.5:8080"), is_loopback("http://cvat.example")
        (True, False)
    """
    hostname = urlsplit(url).hostname or ""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _about_request(base: str) -> HttpRequest:
    return HttpRequest("GET", base + _ABOUT, (("Accept", f"{_api.CVAT_JSON}, application/json"),))


def _read_about(request: HttpRequest, outcome: HttpResponse) -> Result[About, CvatError]:
    if not outcome.ok:
        return Failure(_api.error_from_response(request, outcome))
    return _api.decode_response(About, request, outcome)


def _probe(
    rest: str, scheme: str | None, config: Config
) -> Flow[tuple[Result[tuple[str, About], CvatError], list[_Warn]]]:
    """Find the scheme (if needed) and read ``/api/server/about``.

    The https attempt of a deduction is sent once, without retries or redirects, so that a
    server without TLS is found out quickly; the request that decides (an explicit scheme, or
    the http fallback) is retried as ``config`` says.
    """
    warns: list[_Warn] = []
    candidates = [scheme] if scheme else ["https", "http"]
    for index, candidate in enumerate(candidates):
        base = f"{candidate}://{rest}"
        request = _about_request(base)
        attempts = 1
        if index + 1 < len(candidates):
            outcome = yield from send(request)
        else:
            sent = yield from resend(request, msgspec.structs.replace(config, max_redirects=0))
            outcome, attempts = sent.outcome, sent.attempts
        if isinstance(outcome, TransportError):
            can_fall_back = (
                scheme is None
                and index + 1 < len(candidates)
                and outcome.kind in ("connect", "tls_handshake")
            )
            if can_fall_back:
                warns.append(
                    _Warn(
                        SchemeFallbackWarning,
                        f"https://{rest} failed ({outcome.kind}: {outcome.message}); "
                        f"falling back to http://{rest}. Write the scheme explicitly to "
                        f"silence this warning.",
                    )
                )
                continue
            failure = _api.transport_failure(request, outcome)
            return Failure(msgspec.structs.replace(failure, attempts=attempts)), warns
        about = _read_about(request, outcome)
        if isinstance(about, Failure):
            if attempts > 1:
                return Failure(msgspec.structs.replace(about.failure(), attempts=attempts)), warns
            return Failure(about.failure()), warns
        return Success((base, about.unwrap())), warns
    raise AssertionError("unreachable: the last candidate always returns")  # pragma: no cover


def _check_version(
    about: About, config: Config, request: HttpRequest
) -> Result[list[_Warn], CvatError]:
    try:
        supported = SpecifierSet(config.supported_versions)
    except InvalidSpecifier as error:
        return Failure(
            InvalidInput(
                message=f"Config.supported_versions is not a version specifier: {error}",
                field="supported_versions",
            )
        )
    try:
        version = Version(about.version)
    except InvalidVersion:
        return Failure(
            UnexpectedResponse(
                message=f"the server reported a version that is not PEP 440: {about.version!r}",
                request=RequestInfo.of(request),
            )
        )
    if version in supported:
        return Success([])
    message = (
        f"CVAT server version {version} is outside the supported range {supported} "
        f"of this cvatfn release"
    )
    if config.allow_unsupported_server:
        return Success([_Warn(UnsupportedServerWarning, message)])
    return Failure(
        UnsupportedServer(
            message=message,
            request=RequestInfo.of(request),
            version=str(version),
            supported=str(supported),
        )
    )


def _parse_cookies(response: HttpResponse) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for header in response.header_values("Set-Cookie"):
        first = header.split(";", 1)[0]
        if "=" in first:
            name, value = first.split("=", 1)
            cookies[name.strip()] = value.strip().strip('"')
    return cookies


def _login_password(session: Session, credentials: Credentials) -> Flow[Result[Session, CvatError]]:
    username, password = credentials
    unauthenticated = msgspec.structs.replace(session, auth=NoAuth())
    request = _api.build_request(
        unauthenticated,
        "POST",
        "/api/auth/login",
        json_body={"username": username, "password": password},
        org_header=False,
    )
    # Logging in twice only opens a second session: safe to retry.
    result = yield from _api.exchange(request, session.config, idempotent=True)
    match result:
        case Success(HttpResponse() as response):
            cookies = _parse_cookies(response)
            if "sessionid" not in cookies or "csrftoken" not in cookies:
                return Failure(
                    UnexpectedResponse(
                        message="login succeeded but the server did not set the sessionid "
                        "and csrftoken cookies",
                        request=RequestInfo.of(request),
                        status=response.status,
                    )
                )
            auth = PasswordAuth(
                username=username, sessionid=cookies["sessionid"], csrftoken=cookies["csrftoken"]
            )
            return Success(msgspec.structs.replace(session, auth=auth))
        case Failure(error):
            return Failure(error)
        case _:  # pragma: no cover
            raise AssertionError(result)


def _login_token(session: Session, token: str) -> Flow[Result[Session, CvatError]]:
    candidate = msgspec.structs.replace(session, auth=AccessTokenAuth(token=token))
    request = _api.build_request(candidate, "GET", "/api/users/self", org_header=False)
    checked = yield from _api.call(User, request, session.config)
    return checked.map(lambda _: candidate)


def _check_credentials(credentials: object, access_token: object) -> Result[None, CvatError]:
    """Checked at run time too: callers are not always type-checked."""
    if credentials is not None and access_token is not None:
        return Failure(
            InvalidInput(
                message="pass either credentials or access_token, not both", field="credentials"
            )
        )
    if credentials is not None and (
        not isinstance(credentials, tuple)
        or len(credentials) != 2  # pyright: ignore[reportUnknownArgumentType]
        or not all(isinstance(part, str) for part in credentials)  # pyright: ignore[reportUnknownVariableType]
    ):
        return Failure(
            InvalidInput(
                message="credentials must be a (username, password) tuple of strings",
                field="credentials",
            )
        )
    if access_token is not None and (not isinstance(access_token, str) or not access_token):
        return Failure(
            InvalidInput(message="access_token must be a non-empty string", field="access_token")
        )
    return Success(None)


def _login_flow(
    session: Session, credentials: Credentials | None, access_token: str | None
) -> Flow[Result[Session, CvatError]]:
    checked = _check_credentials(credentials, access_token)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    if credentials is None and access_token is None:
        return Success(session)
    server = session.server
    if (
        server.scheme_deduced
        and server.scheme == "http"
        and not is_loopback(server.url)
        and not session.config.allow_password_over_deduced_http
    ):
        return Failure(
            InsecureConnection(
                message=f"refusing to send credentials over plain http to {server.url}: the "
                f"scheme was deduced after https failed. Write 'http://' explicitly if you "
                f"mean it, or set Config(allow_password_over_deduced_http=True)."
            )
        )
    if access_token is not None:
        return (yield from _login_token(session, access_token))
    assert credentials is not None
    return (yield from _login_password(session, credentials))


_POSITIVE = ("status_check_period", "request_deadline", "connect_timeout", "read_timeout")
_AT_LEAST_ONE = ("page_size", "max_request_size", "tus_chunk_size")


def check_config(config: object) -> Result[None, CvatError]:
    """A ``Config`` whose numbers make sense, or ``InvalidInput`` naming the field.

    Examples:
        >>> check_config(Config(page_size=0)).failure().field
        'page_size'
    """
    if not isinstance(config, Config):
        return Failure(
            InvalidInput(
                message=f"config must be a Config, not {type(config).__name__}", field="config"
            )
        )
    for name in _POSITIVE:
        value = getattr(config, name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            return Failure(InvalidInput(message=f"Config.{name} must be > 0", field=name))
    ca_certs: object = getattr(config, "ca_certs")  # noqa: B009 - a caller may pass anything
    if ca_certs is not None and not isinstance(ca_certs, str):
        return Failure(
            InvalidInput(message="Config.ca_certs must be a path (str) or None", field="ca_certs")
        )
    for name in _AT_LEAST_ONE:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return Failure(InvalidInput(message=f"Config.{name} must be an int >= 1", field=name))
    return Success(None)


def _connect_flow(
    host: str,
    port: int | None,
    credentials: Credentials | None,
    access_token: str | None,
    config: Config,
    transport: Transport,
) -> Flow[tuple[Result[Session, CvatError], list[_Warn]]]:
    normalised = _normalise(host, port)
    if isinstance(normalised, Failure):
        return Failure(normalised.failure()), []
    checked = _check_credentials(credentials, access_token)
    if isinstance(checked, Failure):
        return Failure(checked.failure()), []
    scheme, rest = normalised.unwrap()
    probed, warns = yield from _probe(rest, scheme, config)
    if isinstance(probed, Failure):
        return Failure(probed.failure()), warns
    base, about = probed.unwrap()
    version_check = _check_version(about, config, _about_request(base))
    if isinstance(version_check, Failure):
        return Failure(version_check.failure()), warns
    warns.extend(version_check.unwrap())
    session = Session(
        server=Server(url=base, scheme_deduced=scheme is None, version=about.version),
        transport=transport,
        config=config,
    )
    logged_in = yield from _login_flow(session, credentials, access_token)
    return logged_in, warns


def _default_transport(config: Config) -> Result[Transport, CvatError]:
    try:
        from cvatfn_urllib3 import Urllib3Transport
    except ImportError as error:  # pragma: no cover - shipped in the same wheel
        return Failure(
            InvalidInput(message=f"no transport given and cvatfn_urllib3 is missing: {error}")
        )
    return Success(
        Urllib3Transport(
            verify_ssl=config.verify_ssl,
            ca_certs=config.ca_certs,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        )
    )


def connect(
    host: str,
    *,
    port: int | None = None,
    credentials: Credentials | None = None,
    access_token: str | None = None,
    config: Config | None = None,
    transport: Transport | None = None,
) -> Result[Session, CvatError]:
    """Open a session to a CVAT server: normalise the URL, deduce the scheme if needed, check
    the server version and log in.

    ``host`` may be ``"cvat.example.com"``, ``"cvat.example.com:8080"`` or a full
    ``"https://..."`` base URL. Without a transport, a urllib3 transport is built from
    ``config``.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                          transport=FakeServer().transport()).unwrap()
        >>> session.server.version
        '2.80.0'
        >>> cvatfn.connect("ftp://x").failure().field
        'host'
    """
    config = Config() if config is None else config
    checked = check_config(config)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    if transport is None:
        built = _default_transport(config)
        if isinstance(built, Failure):
            return Failure(built.failure())
        transport = built.unwrap()
    result, warns = run_flow(
        transport, _connect_flow(host, port, credentials, access_token, config, transport)
    )
    _emit(warns)
    return result


def login(
    session: Session,
    credentials: Credentials | None = None,
    *,
    access_token: str | None = None,
) -> Result[Session, CvatError]:
    """Log in with a username and password, or an access token; return the new session.

    A password login keeps CVAT's ``sessionid`` and ``csrftoken`` cookies; an access token is
    checked with ``GET /api/users/self``. The given session is left as it was.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> anonymous = cvatfn.connect("http://localhost",
        ...                            transport=FakeServer().transport()).unwrap()
        >>> type(cvatfn.login(anonymous, ("admin", "admin")).unwrap().auth).__name__
        'PasswordAuth'
        >>> type(cvatfn.login(anonymous, ("admin", "wrong")).failure()).__name__
        'BadRequest'
    """
    return run_flow(session.transport, _login_flow(session, credentials, access_token))


def _logout_flow(session: Session) -> Flow[Result[Session, CvatError]]:
    logged_out = msgspec.structs.replace(session, auth=NoAuth())
    if not isinstance(session.auth, PasswordAuth):
        return Success(logged_out)
    request = _api.build_request(session, "POST", "/api/auth/logout", org_header=False)
    result = yield from _api.call_no_content(request, session.config, idempotent=True)
    return result.map(lambda _: logged_out)


def logout(session: Session) -> Result[Session, CvatError]:
    """End a password session on the server; return the session without credentials.

    For an access token nothing is sent: the token stays valid until revoked.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> s = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                    transport=FakeServer().transport()).unwrap()
        >>> type(cvatfn.logout(s).unwrap().auth).__name__
        'NoAuth'
    """
    return run_flow(session.transport, _logout_flow(session))


def with_org(session: Session, slug: str | None) -> Session:
    """The same session in another organization context (pure; nothing is sent).

    ``slug`` is an organization's short name, ``""`` for the personal workspace, or ``None``
    for no ``X-Organization`` header at all.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> s = cvatfn.connect("http://localhost", transport=FakeServer().transport()).unwrap()
        >>> cvatfn.with_org(s, "lab").org, s.org
        ('lab', None)
    """
    return msgspec.structs.replace(session, org=slug)
