"""Building CVAT requests and reading CVAT responses, as pure functions and flows.

Theory of operation
-------------------
:func:`build_request` turns a session plus a method, a path, query parameters and a body
into an :class:`~cvatfn.http.HttpRequest` that carries the session's credentials
(``Cookie`` + ``X-CSRFToken`` + ``Origin`` for a password session, ``Authorization: Bearer``
for an access token) and organization context (``X-Organization``).

:func:`error_from_response` maps a non-2xx response to one member of the error union
(status table in :data:`STATUS_ERRORS`), keeping DRF's field errors and ``detail``.

:func:`call` is the flow that sends one request and decodes the answer; :func:`list_all`
follows DRF pages until ``next`` is empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlencode

import msgspec
from returns.result import Failure, Result, Success

from cvatfn import _codec
from cvatfn._flow import Flow
from cvatfn._resilient import Sent, resend
from cvatfn._session import AccessTokenAuth, Config, PasswordAuth, Session
from cvatfn.errors import (
    BadRequest,
    Conflict,
    CvatError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RequestInfo,
    ServerError,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.models import Page
from cvatfn.retry import parse_retry_after

__all__ = [
    "CVAT_JSON",
    "Query",
    "build_request",
    "call",
    "call_json",
    "call_no_content",
    "convert_input",
    "decode_response",
    "error_from_response",
    "exchange",
    "failure_of",
    "first_page",
    "list_all",
    "list_page",
    "next_page",
    "transport_failure",
]

T = TypeVar("T")
Scalar: TypeAlias = str | int | float | bool | None
Query: TypeAlias = Mapping[str, Scalar | Iterable[str | int]]

CVAT_JSON = "application/vnd.cvat+json"
_BODY_PREVIEW = 2000


def _query_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(query: Query | None) -> str:
    """Encode query parameters; ``None`` values are left out, booleans are ``true``/``false``.

    Examples:
        >>> encode_query({"page": 2, "search": "cat dog", "x": None, "flag": True})
        'page=2&search=cat+dog&flag=true'
    """
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, str | int | float | bool):
            pairs.append((key, _query_value(value)))
        else:
            pairs.extend((key, _query_value(item)) for item in value)
    return urlencode(pairs)


def auth_headers(session: Session) -> list[tuple[str, str]]:
    """The credential and context headers ``session`` adds to a request."""
    headers: list[tuple[str, str]] = []
    auth = session.auth
    if isinstance(auth, PasswordAuth):
        headers.append(("Cookie", f"sessionid={auth.sessionid}; csrftoken={auth.csrftoken}"))
        headers.append(("X-CSRFToken", auth.csrftoken))
        headers.append(("Origin", session.server.origin))
    elif isinstance(auth, AccessTokenAuth):
        headers.append(("Authorization", f"Bearer {auth.token}"))
    return headers


def build_request(
    session: Session,
    method: str,
    path: str,
    *,
    query: Query | None = None,
    json_body: object = None,
    body: bytes | None = None,
    headers: Iterable[tuple[str, str]] = (),
    org_header: bool = True,
    absolute: bool = False,
) -> HttpRequest:
    """Build a request to ``path`` (``/api/...``) on the session's server.

    ``json_body`` is encoded with msgspec (structs, dicts, lists). ``org_header=False`` leaves
    ``X-Organization`` out (for child listings that pass ``org``/``org_id`` instead).
    ``absolute=True`` takes ``path`` as a full URL (for ``Location`` headers).
    """
    url = path if absolute else session.server.url + path
    encoded = encode_query(query)
    if encoded:
        url += ("&" if "?" in url else "?") + encoded
    all_headers: list[tuple[str, str]] = [("Accept", f"{CVAT_JSON}, application/json")]
    payload = b""
    if json_body is not None:
        payload = _codec.encode(json_body)
        all_headers.append(("Content-Type", "application/json"))
    elif body is not None:
        payload = body
    all_headers.extend(auth_headers(session))
    if org_header and session.org is not None:
        all_headers.append(("X-Organization", session.org))
    all_headers.extend(headers)
    return HttpRequest(method, url, tuple(all_headers), payload)


def _text(body: bytes) -> str:
    return body[:_BODY_PREVIEW].decode("utf-8", errors="replace")


def _drf_message(body: bytes) -> tuple[str | None, dict[str, tuple[str, ...]]]:
    """Extract DRF's ``detail`` and field errors from an error body, if it is JSON."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, {}
    if isinstance(data, list):
        items = [str(item) for item in data]  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        return ("; ".join(items) or None), {}
    if isinstance(data, str):  # CVAT's media endpoints answer a bare JSON string
        return (data or None), {}
    if not isinstance(data, dict):
        return None, {}
    detail: str | None = None
    errors: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():  # pyright: ignore[reportUnknownVariableType]
        name = str(key)  # pyright: ignore[reportUnknownArgumentType]
        if name == "detail" and isinstance(value, str):
            detail = value
            continue
        if isinstance(value, list):
            errors[name] = tuple(str(v) for v in value)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        else:
            errors[name] = (str(value),)  # pyright: ignore[reportUnknownArgumentType]
    if detail is None and errors:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    return detail, errors


def error_from_response(request: HttpRequest, response: HttpResponse) -> CvatError:
    """Map a non-2xx response to a :data:`~cvatfn.errors.CvatError`.

    Examples:
        >>> req = HttpRequest("GET", "http://h/api/tasks/9")
        >>> err = error_from_response(req, HttpResponse(404, body=b'{"detail": "Not found."}'))
        >>> type(err).__name__, err.message
        ('NotFound', 'Not found.')
    """
    info = RequestInfo.of(request)
    status = response.status
    detail, errors = _drf_message(response.body)
    message = detail or f"HTTP {status}"
    text = _text(response.body)
    if status == 400:
        return BadRequest(message=message, request=info, status=status, body=text, errors=errors)
    if status == 401:
        return Unauthorized(message=message, request=info, status=status, body=text)
    if status == 403:
        return Forbidden(message=message, request=info, status=status, body=text)
    if status == 404:
        return NotFound(message=message, request=info, status=status, body=text)
    if status == 409:
        return Conflict(message=message, request=info, status=status, body=text)
    if status == 429:
        retry_after, retry_at = parse_retry_after(response.header("Retry-After"))
        return RateLimited(
            message=message,
            request=info,
            status=status,
            body=text,
            retry_after=retry_after,
            retry_at=retry_at,
        )
    if 500 <= status < 600:
        return ServerError(message=message, request=info, status=status, body=text)
    if 400 <= status < 500:
        return BadRequest(message=message, request=info, status=status, body=text, errors=errors)
    location = response.header("Location")
    if 300 <= status < 400 and location:
        return UnexpectedResponse(
            message=f"the server redirected (HTTP {status}) to {location}; cvatfn follows "
            "redirects only for GET and HEAD, because sending a body again to another address "
            "is the caller's decision: connect to that address instead",
            request=info,
            status=status,
            body=text,
        )
    return UnexpectedResponse(
        message=f"unexpected HTTP {status}", request=info, status=status, body=text
    )


def transport_failure(request: HttpRequest, error: TransportError) -> TransportFailure:
    """Turn a transport exception value into a failure value."""
    return TransportFailure(message=error.message, kind=error.kind, request=RequestInfo.of(request))


def decode_response(
    type_: type[T], request: HttpRequest, response: HttpResponse
) -> Result[T, CvatError]:
    """Decode a 2xx JSON body as ``type_``; an undecodable body is ``UnexpectedResponse``."""
    try:
        return Success(_codec.decode(type_, response.body))
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        return Failure(
            UnexpectedResponse(
                message=f"cannot decode the response as {type_.__name__}: {error}",
                request=RequestInfo.of(request),
                status=response.status,
                body=_text(response.body),
            )
        )


def failure_of(sent: Sent) -> CvatError | None:
    """The error value for what :func:`~cvatfn._resilient.resend` ended with, or ``None`` for
    a 2xx answer. The error names the last request sent and the attempts made."""
    outcome = sent.outcome
    error: CvatError
    if isinstance(outcome, TransportError):
        error = transport_failure(sent.request, outcome)
    elif outcome.ok:
        return None
    elif sent.refused is not None:
        error = UnexpectedResponse(
            message=f"the server redirected (HTTP {outcome.status}) and cvatfn {sent.refused}",
            request=RequestInfo.of(sent.request),
            status=outcome.status,
            body=_text(outcome.body),
        )
    else:
        error = error_from_response(sent.request, outcome)
    if sent.attempts > 1:
        error = msgspec.structs.replace(error, attempts=sent.attempts)
    return error


def exchange(
    request: HttpRequest, config: Config, *, idempotent: bool | None = None
) -> Flow[Result[HttpResponse, CvatError]]:
    """Send ``request`` with ``config``'s retries and redirects; a 2xx response is a success,
    anything else a failure value. ``idempotent`` overrides the method's retry rule."""
    sent = yield from resend(request, config, idempotent=idempotent)
    error = failure_of(sent)
    if error is not None:
        return Failure(error)
    assert isinstance(sent.outcome, HttpResponse)
    return Success(sent.outcome)


def call(
    type_: type[T], request: HttpRequest, config: Config, *, idempotent: bool | None = None
) -> Flow[Result[T, CvatError]]:
    """Send ``request`` and decode a 2xx body as ``type_``."""
    result = yield from exchange(request, config, idempotent=idempotent)
    match result:
        case Success(HttpResponse() as response):
            return decode_response(type_, request, response)
        case Failure(error):
            return Failure(error)
        case _:  # pragma: no cover - Result has no other case
            raise AssertionError(result)


def call_json(request: HttpRequest, config: Config) -> Flow[Result[Any, CvatError]]:
    """Send ``request`` and parse a 2xx body as untyped JSON."""
    result = yield from exchange(request, config)
    match result:
        case Success(HttpResponse() as response):
            return decode_response(object, request, response)
        case Failure(error):
            return Failure(error)
        case _:  # pragma: no cover
            raise AssertionError(result)


def call_no_content(
    request: HttpRequest, config: Config, *, idempotent: bool | None = None
) -> Flow[Result[None, CvatError]]:
    """Send ``request`` and ignore a 2xx body."""
    result = yield from exchange(request, config, idempotent=idempotent)
    return result.map(lambda _: None)


def convert_input(
    type_: type[T], value: object, *, what: str, field: str | None = None
) -> Result[T, CvatError]:
    """Convert a caller's struct or mapping into ``type_``; a bad field is ``InvalidInput``.

    ``field`` is the name of the caller's parameter, named when the value as a whole is wrong.

    Examples:
        >>> from cvatfn.models import TaskSpec
        >>> convert_input(TaskSpec, {"nmae": "x"}, what="task spec").failure().field
        'nmae'
        >>> convert_input(TaskSpec, 5, what="task spec", field="spec").failure().field
        'spec'
    """
    if isinstance(value, type_):
        return Success(value)
    if not isinstance(value, Mapping):
        return Failure(
            InvalidInput(
                message=f"{what} must be a {type_.__name__} or a mapping, "
                f"not {type(value).__name__}",
                field=field,
            )
        )
    try:
        return Success(_codec.convert(type_, value))  # pyright: ignore[reportUnknownArgumentType]
    except msgspec.ValidationError as error:
        text = str(error)
        return Failure(
            InvalidInput(message=f"invalid {what}: {text}", field=field_path(text) or field)
        )
    except RecursionError:
        return Failure(InvalidInput(message=f"invalid {what}: nested too deeply", field=field))


def field_path(message: str) -> str | None:
    """The full path of the field a msgspec validation message is about (``labels[0].name``).

    Examples:
        >>> field_path("Object contains unknown field `nmae`")
        'nmae'
        >>> field_path("Expected `int`, got `str` - at `$.shapes[0].frame`")
        'shapes[0].frame'
        >>> field_path("Object missing required field `name` - at `$.labels[0]`")
        'labels[0].name'
        >>> field_path("Object contains unknown field `a`b` - at `$.shapes[0]`")
        'shapes[0].a`b'
        >>> field_path("Expected `str` - at `key` in `$.source_storage`")
        'source_storage'
        >>> field_path("Expected `int`, got `str` - at `$[2]`")
        '[2]'
    """
    text, where = message, ""
    if " - at `key` in `$" in message:  # a key that is not a str: name its mapping
        text, where = message.rsplit(" - at `key` in `$", 1)
        return where.removesuffix("`").lstrip(".") or None
    if " - at `$" in message:
        text, where = message.rsplit(" - at `$", 1)
        where = where.removesuffix("`").lstrip(".")
    for marker in ("unknown field `", "missing required field `"):
        if marker in text:
            name = text.split(marker, 1)[1].removesuffix("`")
            return f"{where}.{name}" if where else name
    return where or None


def list_page(
    type_: type[T], session: Session, path: str, query: Query, *, org_header: bool = True
) -> Flow[Result[Page[T], CvatError]]:
    """Fetch one DRF page of ``path`` as ``Page[type_]``."""
    request = build_request(session, "GET", path, query=query, org_header=org_header)
    return (yield from call(Page[type_], request, session.config))  # type: ignore[valid-type]


def list_all(
    type_: type[T], session: Session, path: str, query: Query, *, org_header: bool = True
) -> Flow[Result[tuple[T, ...], CvatError]]:
    """Follow every page of a DRF list, ``Config.page_size`` items at a time.

    Pages are requested by number (``page=1, 2, ...``) rather than by following the absolute
    ``next`` URL, so a server behind a proxy that rewrites its host still lists correctly;
    ``next`` only says whether there is more.
    """
    items: list[T] = []
    page_query: dict[str, Any] | None = first_page(session, query)
    while page_query is not None:
        result = yield from list_page(type_, session, path, page_query, org_header=org_header)
        match result:
            case Success(Page() as page):
                items.extend(page.results)
                page_query = next_page(page, page_query)
            case Failure(error):
                return Failure(error)
            case _:  # pragma: no cover
                raise AssertionError(result)
    return Success(tuple(items))


def first_page(session: Session, query: Query) -> dict[str, Any]:
    """The query of page 1: ``query`` plus ``page_size`` from the config unless given."""
    return {"page_size": session.config.page_size, **query, "page": 1}


def next_page(page: Page[Any], query: Mapping[str, Any]) -> dict[str, Any] | None:
    """The query of the page after ``page``, or ``None`` when it was the last one.

    Examples:
        >>> next_page(Page(count=3, next="http://h/?page=2", previous=None, results=(1,)),
        ...           {"page": 1})
        {'page': 2}
        >>> next_page(Page(count=1, next=None, previous=None, results=(1,)), {"page": 1}) is None
        True
    """
    if not page.next or not page.results:
        return None
    return {**query, "page": int(query["page"]) + 1}
