"""What a cassette must not keep: secrets, and the address of the server it was recorded from.

Theory of operation
-------------------
**Secrets.** :func:`redact` replaces every secret in an :class:`Interaction` by a stable
placeholder of the form ``<SECRET:name>``. Placeholders depend only on *where* a secret was
found, never on its value, so re-recording the same scenario writes the same cassette, and
they keep the shape a client needs to replay a login along the same code path:

============================  ================================================================
Where                         Becomes
============================  ================================================================
``Cookie`` (request)          every value, names kept: ``csrftoken=<SECRET:csrftoken>; ...``
``Set-Cookie`` (response)     the value, name and attributes kept:
                              ``sessionid=<SECRET:sessionid>; expires=...; HttpOnly; Path=/``
                              (an empty value, which deletes a cookie, stays empty)
``X-CSRFToken``               ``<SECRET:csrftoken>``, the same text as the CSRF cookie's
``Authorization``             the scheme kept: ``Token <SECRET:key>``,
                              ``Bearer <SECRET:token>``, ``Basic <SECRET:Authorization>``
``Proxy-Authorization``       ``<SECRET:Proxy-Authorization>``
passwords in request bodies   ``password``, ``password1``, ``password2``, ``old_password``,
to ``/api/auth/...``          ``new_password1``, ``new_password2`` (and the reset ``token``),
                              JSON or form-encoded: ``"<SECRET:password>"`` and so on
token keys in responses       ``key`` of ``/api/auth/login`` and ``/api/auth/register``
                              answers: ``<SECRET:key>``; ``value`` of
                              ``/api/auth/access_tokens`` answers: ``<SECRET:token>``
============================  ================================================================

Header names match case-insensitively. The legacy key a login returns and the
``Authorization: Token`` that carries it share ``<SECRET:key>``; a created access token and
``Authorization: Bearer`` share ``<SECRET:token>``. A body that is rewritten is re-encoded
compactly and its ``Content-Length`` (when it described the old body) is updated.

**Hosts.** A cassette recorded against ``http://127.0.0.1:8123`` must replay against any
address. :func:`normalise_host` rewrites the recording server's origin (``scheme://host:port``,
compared case-insensitively and only as a whole: ``http://h:80`` is not a prefix of
``http://h:8080``) to :data:`CASSETTE_BASE` in the request URI, in the ``Host``, ``Origin``,
``Referer``, ``Location``, ``Content-Location``, ``Link`` and ``Access-Control-Allow-Origin``
headers and everywhere in text bodies (JSON, ``text/*``, XML): DRF's absolute
``url``/``next``/``previous``, CVAT's ``result_url`` and any other absolute URL. Binary bodies
(uploads, images, zips) are never touched, and neither is a percent-encoded origin inside a
query string. :func:`localise_host` does the reverse on a replayed response, for the base URL
the replaying client uses.

Examples:
    >>> from cvatfn.http import HttpRequest, HttpResponse
    >>> from cvatfn_cassette._format import RecordedRequest, RecordedResponse
    >>> interaction = Interaction(
    ...     RecordedRequest.of(HttpRequest("GET", "http://127.0.0.1:8123/api/tasks",
    ...                                    (("Cookie", "sessionid=abc; csrftoken=xyz"),))),
    ...     RecordedResponse.of(HttpResponse(200, (("Content-Type", "application/json"),),
    ...                                      b'{"next":"http://127.0.0.1:8123/api/tasks?page=2"}')),
    ...     "2026-01-01T00:00:00Z")
    >>> clean = normalise_host(redact(interaction), "http://127.0.0.1:8123")
    >>> clean.request.uri
    'http://cvat.cassette/api/tasks'
    >>> clean.request.headers
    (('Cookie', 'sessionid=<SECRET:sessionid>; csrftoken=<SECRET:csrftoken>'),)
    >>> clean.response.body.data
    b'{"next":"http://cvat.cassette/api/tasks?page=2"}'
    >>> localise_host(clean.response.to_http(), "http://localhost:9000").body
    b'{"next":"http://localhost:9000/api/tasks?page=2"}'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import msgspec

from cvatfn.http import Headers, HttpResponse
from cvatfn_cassette._format import Body, Interaction, RecordedRequest, RecordedResponse

__all__ = [
    "CASSETTE_BASE",
    "PASSWORD_FIELDS",
    "localise_host",
    "normalise_host",
    "placeholder",
    "redact",
    "redact_request",
    "redact_response",
]

CASSETTE_BASE = "http://cvat.cassette"
"""The base URL that stands for the recording server in a cassette."""

PASSWORD_FIELDS: frozenset[str] = frozenset(
    {"password", "password1", "password2", "old_password", "new_password1", "new_password2"}
)
"""Fields of ``/api/auth/...`` request bodies whose values are replaced."""

_RESET_CONFIRM = "/api/auth/password/reset/confirm"
_TOKEN_ANSWERS = ("/api/auth/login", "/api/auth/register")
_ACCESS_TOKENS = "/api/auth/access_tokens"
_AUTH_SCHEMES = {"token": "key", "bearer": "token"}
_URL_HEADERS = frozenset(
    {"origin", "referer", "location", "content-location", "link", "access-control-allow-origin"}
)


def placeholder(name: str) -> str:
    """The stable text that stands for the secret called ``name``.

    Examples:
        >>> placeholder("sessionid")
        '<SECRET:sessionid>'
    """
    return f"<SECRET:{name}>"


# ------------------------------------------------------------------------- secrets
def redact(interaction: Interaction) -> Interaction:
    """``interaction`` with every secret replaced by its placeholder.

    Examples:
        >>> from cvatfn_cassette._format import Body, RecordedRequest, RecordedResponse
        >>> login = Interaction(
        ...     RecordedRequest("POST", "http://h/api/auth/login",
        ...                     (("Content-Type", "application/json"),),
        ...                     Body(b'{"username":"admin","password":"s3cret"}')),
        ...     RecordedResponse(200, (("Set-Cookie", "sessionid=k3y; HttpOnly; Path=/"),),
        ...                      Body(b'{"key":"0123abcd"}')),
        ...     "2026-01-01T00:00:00Z")
        >>> clean = redact(login)
        >>> clean.request.body.data
        b'{"username":"admin","password":"<SECRET:password>"}'
        >>> clean.response.headers
        (('Set-Cookie', 'sessionid=<SECRET:sessionid>; HttpOnly; Path=/'),)
        >>> clean.response.body.data
        b'{"key":"<SECRET:key>"}'
    """
    return msgspec.structs.replace(
        interaction,
        request=redact_request(interaction.request),
        response=redact_response(interaction.response, interaction.request),
    )


def redact_request(request: RecordedRequest) -> RecordedRequest:
    """``request`` with secret headers and ``/api/auth`` passwords replaced.

    A matcher that compares bodies can apply this to a live request, so that a login matches
    its redacted recording.

    Examples:
        >>> from cvatfn_cassette._format import Body
        >>> redact_request(RecordedRequest("GET", "http://h/api/users/self",
        ...     (("authorization", "Token 0123abcd"), ("X-CSRFToken", "m4sk3d")), Body())).headers
        (('authorization', 'Token <SECRET:key>'), ('X-CSRFToken', '<SECRET:csrftoken>'))
    """
    headers = tuple((name, _redact_request_header(name, value)) for name, value in request.headers)
    body = request.body.data
    path = _path(request.uri)
    if path.startswith("/api/auth/") and body:
        names = {field: field for field in PASSWORD_FIELDS}
        if path == _RESET_CONFIRM:
            names["token"] = "token"
        body = _redact_fields(headers, body, names)
    headers = _fix_length(headers, request.body, body)
    return RecordedRequest(request.method, request.uri, headers, Body(body))


def redact_response(response: RecordedResponse, request: RecordedRequest) -> RecordedResponse:
    """``response`` (the answer to ``request``) with cookies and token keys replaced.

    Examples:
        >>> from cvatfn_cassette._format import Body
        >>> create = RecordedRequest("POST", "http://h/api/auth/access_tokens", (), Body())
        >>> answer = RecordedResponse(201, (), Body(b'{"id":1,"value":"tok3n"}'))
        >>> redact_response(answer, create).body.data
        b'{"id":1,"value":"<SECRET:token>"}'
    """
    headers = tuple(
        (name, _redact_set_cookie(value) if name.lower() == "set-cookie" else value)
        for name, value in response.headers
    )
    body = response.body.data
    path = _path(request.uri)
    if body and path in _TOKEN_ANSWERS:
        body = _rewrite_json(body, lambda data: _replace_fields(data, {"key": "key"}))
    elif body and (path == _ACCESS_TOKENS or path.startswith(_ACCESS_TOKENS + "/")):
        body = _rewrite_json(body, _replace_token_values)
    return RecordedResponse(response.status, _fix_length(headers, response.body, body), Body(body))


def _redact_request_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered == "cookie":
        return "; ".join(_redact_cookie_pair(pair.strip()) for pair in value.split(";"))
    if lowered == "x-csrftoken":
        return placeholder("csrftoken")
    if lowered == "authorization":
        scheme, space, _ = value.strip().partition(" ")
        if not space:
            return placeholder("Authorization")
        return f"{scheme} {placeholder(_AUTH_SCHEMES.get(scheme.lower(), 'Authorization'))}"
    if lowered == "proxy-authorization":
        return placeholder("Proxy-Authorization")
    return value


def _redact_cookie_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals:
        return pair
    if value.strip() in ("", '""'):
        return f"{name}={value}"
    return f"{name}={placeholder(name.strip())}"


def _redact_set_cookie(value: str) -> str:
    first, separator, attributes = value.partition(";")
    return _redact_cookie_pair(first) + separator + attributes


def _replace_fields(data: object, fields: Mapping[str, str]) -> object:
    """Replace the non-empty string values of top-level ``fields`` (field -> secret name)."""
    if not isinstance(data, dict):
        return data
    document = cast("dict[str, object]", data)
    return {
        key: placeholder(fields[key]) if key in fields and isinstance(item, str) and item else item
        for key, item in document.items()
    }


def _replace_token_values(data: object) -> object:
    if not isinstance(data, dict):
        return data
    document = cast("dict[str, object]", data)
    results = document.get("results")
    if isinstance(results, list):
        items = cast("list[object]", results)
        document = {**document, "results": [_replace_token_values(item) for item in items]}
    return _replace_fields(document, {"value": "token"})


def _redact_fields(headers: Headers, body: bytes, fields: Mapping[str, str]) -> bytes:
    """Replace ``fields`` in a form-encoded or JSON object body; other bodies are kept."""
    if _content_type(headers) == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return body
        rewritten = [
            (key, placeholder(fields[key]) if key in fields and value else value)
            for key, value in pairs
        ]
        return body if rewritten == pairs else urlencode(rewritten).encode("ascii")
    return _rewrite_json(body, lambda data: _replace_fields(data, fields))


def _rewrite_json(body: bytes, change: Callable[[object], object]) -> bytes:
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return body
    changed = change(data)
    if changed == data:
        return body
    return msgspec.json.encode(changed)


# --------------------------------------------------------------------------- hosts
def normalise_host(interaction: Interaction, base_url: str) -> Interaction:
    """``interaction`` with the recording server's origin replaced by :data:`CASSETTE_BASE`.

    Examples:
        >>> from cvatfn_cassette._format import Body, RecordedRequest, RecordedResponse
        >>> moved = normalise_host(Interaction(
        ...     RecordedRequest("GET", "http://127.0.0.1:8123/api/requests/1", (), Body()),
        ...     RecordedResponse(303, (("Location", "http://127.0.0.1:8123/api/x"),), Body()),
        ...     "2026-01-01T00:00:00Z"), "http://127.0.0.1:8123/")
        >>> moved.request.uri, moved.response.headers
        ('http://cvat.cassette/api/requests/1', (('Location', 'http://cvat.cassette/api/x'),))
    """
    origin = _origin(base_url)
    if not origin:
        return interaction
    pattern = _origin_pattern(origin)
    netloc = urlsplit(origin).netloc.lower()
    target_netloc = urlsplit(CASSETTE_BASE).netloc

    def swap(text: str) -> str:
        return pattern.sub(CASSETTE_BASE, text)

    request = interaction.request
    request_headers = tuple(
        (name, _swap_header(name, value, swap, netloc, target_netloc))
        for name, value in request.headers
    )
    request_body = _swap_body(request.headers, request.body.data, swap)
    response = interaction.response
    response_headers = tuple(
        (name, _swap_header(name, value, swap, netloc, target_netloc))
        for name, value in response.headers
    )
    response_body = _swap_body(response.headers, response.body.data, swap)
    return Interaction(
        RecordedRequest(
            request.method,
            swap(request.uri),
            _fix_length(request_headers, request.body, request_body),
            Body(request_body),
        ),
        RecordedResponse(
            response.status,
            _fix_length(response_headers, response.body, response_body),
            Body(response_body),
        ),
        interaction.recorded_at,
    )


def localise_host(response: HttpResponse, base_url: str) -> HttpResponse:
    """A replayed ``response`` with :data:`CASSETTE_BASE` replaced by ``base_url``'s origin.

    Examples:
        >>> from cvatfn.http import HttpResponse
        >>> answer = HttpResponse(200, (("Content-Type", "application/json"),),
        ...                       b'{"url":"http://cvat.cassette/api/tasks/1"}')
        >>> localise_host(answer, "https://cvat.example.com/").body
        b'{"url":"https://cvat.example.com/api/tasks/1"}'
    """
    origin = _origin(base_url)
    if not origin or origin == CASSETTE_BASE:
        return response
    pattern = _origin_pattern(CASSETTE_BASE)

    def swap(text: str) -> str:
        return pattern.sub(lambda _: origin, text)

    netloc = urlsplit(origin).netloc
    headers = tuple(
        (name, _swap_header(name, value, swap, urlsplit(CASSETTE_BASE).netloc, netloc))
        for name, value in response.headers
    )
    body = _swap_body(response.headers, response.body, swap)
    if headers == response.headers and body == response.body:
        return response
    return HttpResponse(response.status, _fix_length(headers, Body(response.body), body), body)


def _origin(base_url: str) -> str:
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _origin_pattern(origin: str) -> re.Pattern[str]:
    # The origin must end where a URL's authority ends: not followed by more host or port.
    return re.compile(re.escape(origin) + r"(?![A-Za-z0-9.:_\-])", re.IGNORECASE)


def _swap_header(
    name: str, value: str, swap: Callable[[str], str], netloc: str, target_netloc: str
) -> str:
    lowered = name.lower()
    if lowered in _URL_HEADERS:
        return swap(value)
    if lowered == "host" and value.strip().lower() == netloc:
        return target_netloc
    return value


_TEXT_TYPES = re.compile(r"^(text/.*|application/(.*\+)?(json|xml)|application/javascript)$")


def _swap_body(headers: Headers, body: bytes, swap: Callable[[str], str]) -> bytes:
    if not body or not _TEXT_TYPES.match(_content_type(headers)):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    swapped = swap(text)
    return body if swapped == text else swapped.encode("utf-8")


# --------------------------------------------------------------------------- helpers
def _path(uri: str) -> str:
    try:
        path = urlsplit(uri).path
    except ValueError:
        return uri
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _content_type(headers: Headers) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _fix_length(headers: Headers, old: Body, new: bytes) -> Headers:
    """Keep ``Content-Length`` true to the body when it was true before."""
    if len(old) == len(new):
        return headers
    before, after = str(len(old)), str(len(new))
    return tuple(
        (name, after if name.lower() == "content-length" and value.strip() == before else value)
        for name, value in headers
    )
