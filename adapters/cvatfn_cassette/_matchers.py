"""Request matchers: does a live request correspond to a recorded one, and if not, why not.

Theory of operation
-------------------
A :data:`Matcher` is a plain function ``(request, recorded) -> str | None``: ``None`` when the
live :class:`~cvatfn.http.HttpRequest` matches the :class:`~cvatfn_cassette.RecordedRequest`,
otherwise a short reason that a person can act on (``"method GET != POST"``). A replaying
transport answers a request with a recorded interaction only when every matcher in its
``match_on`` returns ``None``; when none qualifies, the reasons of the closest candidates make
up the miss report.

The transports hand matchers the live request *as it would be recorded*: secrets replaced by
their placeholders and the server's base URL by ``CASSETTE_BASE``. So a body matcher compares a
login body whose password was redacted on both sides, and the URL of the request and of the
recording have the same host.

The built-in matchers:

- :func:`method`: the HTTP method, case-insensitively;
- :func:`path`: the URL path (percent-decoded; the scheme, host and port are ignored);
- :func:`query`: the query string as a multiset of ``name=value`` pairs, so the order of the
  parameters does not matter but a repeated parameter counts as often as it appears;
- :func:`json_body`: when both bodies are JSON, the decoded values (key order and whitespace do
  not matter; ``1`` and ``1.0`` and ``true`` stay distinct); otherwise the exact bytes;
- :func:`body`: the exact bytes.

:data:`DEFAULT_MATCHERS` is ``(method, path, query)``, vcrpy's default without the host.

Examples:
    >>> from cvatfn.http import HttpRequest
    >>> from cvatfn_cassette import RecordedRequest
    >>> recorded = RecordedRequest.of(HttpRequest("GET", "http://cvat.cassette/api/tasks?page=2"))
    >>> [m(HttpRequest("GET", "http://h:8080/api/tasks?page=2"), recorded)
    ...  for m in DEFAULT_MATCHERS]
    [None, None, None]
    >>> query(HttpRequest("GET", "http://h/api/tasks?page=3"), recorded)
    'query differs: page=3 vs page=2'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlencode

import msgspec

from cvatfn.http import HttpRequest
from cvatfn_cassette._format import RecordedRequest

__all__ = [
    "DEFAULT_MATCHERS",
    "Matcher",
    "body",
    "json_body",
    "matcher_name",
    "method",
    "path",
    "query",
]

Matcher = Callable[[HttpRequest, RecordedRequest], str | None]
"""``(live request, recorded request) -> None`` when they match, else a short reason."""

_SHOWN = 60
"""Characters of a differing value shown in a reason."""


def matcher_name(matcher: Matcher) -> str:
    """The name a miss report gives ``matcher``: its ``__name__``, else its ``repr``.

    Examples:
        >>> matcher_name(query), matcher_name(lambda request, recorded: None)
        ('query', '<lambda>')
    """
    name = getattr(matcher, "__name__", None)
    return name if isinstance(name, str) else repr(matcher)


def method(request: HttpRequest, recorded: RecordedRequest) -> str | None:
    """Match the HTTP method, case-insensitively.

    Examples:
        >>> recorded = RecordedRequest.of(HttpRequest("POST", "http://cvat.cassette/api/tasks"))
        >>> method(HttpRequest("GET", "http://h/api/tasks"), recorded)
        'method GET != POST'
    """
    if request.method.upper() == recorded.method.upper():
        return None
    return f"method {request.method.upper()} != {recorded.method.upper()}"


_URI = re.compile(r"(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)(?:\?([^#]*))?", re.DOTALL)
"""RFC 3986, appendix B: splits any string (``urlsplit`` raises on some malformed hosts)."""


def _path_and_query(url: str) -> tuple[str, str]:
    match = _URI.match(url)
    assert match is not None  # every part is optional: it matches any string
    return match.group(1), match.group(2) or ""


def _path_of(url: str) -> str:
    return unquote(_path_and_query(url)[0]) or "/"


def path(request: HttpRequest, recorded: RecordedRequest) -> str | None:
    """Match the URL path, percent-decoded; the scheme, host and port do not count.

    Examples:
        >>> recorded = RecordedRequest.of(HttpRequest("GET", "http://cvat.cassette/api/tasks/1"))
        >>> path(HttpRequest("GET", "https://other:8443/api/tasks/1"), recorded) is None
        True
        >>> path(HttpRequest("GET", "http://cvat.cassette/api/tasks/2"), recorded)
        'path /api/tasks/2 != /api/tasks/1'
    """
    live, kept = _path_of(request.url), _path_of(recorded.uri)
    return None if live == kept else f"path {_clip(live)} != {_clip(kept)}"


def _query_of(url: str) -> Counter[tuple[str, str]]:
    return Counter(parse_qsl(_path_and_query(url)[1], keep_blank_values=True))


def _show_pairs(pairs: Counter[tuple[str, str]]) -> str:
    return _clip(urlencode(sorted(pairs.elements()))) if pairs else "(nothing)"


def query(request: HttpRequest, recorded: RecordedRequest) -> str | None:
    """Match the query string as a multiset of pairs: order does not matter, repeats do.

    The reason shows only the pairs that differ, the live request's first.

    Examples:
        >>> recorded = RecordedRequest.of(HttpRequest("GET", "http://c/api/tasks?a=1&b=2&b=3"))
        >>> query(HttpRequest("GET", "http://c/api/tasks?b=3&a=1&b=2"), recorded) is None
        True
        >>> query(HttpRequest("GET", "http://c/api/tasks?a=1&b=2"), recorded)
        'query differs: (nothing) vs b=3'
    """
    live, kept = _query_of(request.url), _query_of(recorded.uri)
    if live == kept:
        return None
    return f"query differs: {_show_pairs(live - kept)} vs {_show_pairs(kept - live)}"


_NOT_JSON = object()


def _json(data: bytes) -> Any:
    if not data:
        return _NOT_JSON
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):  # too deeply nested counts as not JSON
        return _NOT_JSON


def _as_object(value: object) -> dict[str, object] | None:
    return cast("dict[str, object]", value) if isinstance(value, dict) else None


def _as_array(value: object) -> list[object] | None:
    return cast("list[object]", value) if isinstance(value, list) else None


def _same_json(a: object, b: object) -> bool:
    """JSON equality that keeps ``true``, ``1`` and ``1.0`` apart (Python's ``==`` does not)."""
    if type(a) is not type(b):
        return False
    a_map, b_map = _as_object(a), _as_object(b)
    if a_map is not None and b_map is not None:
        return a_map.keys() == b_map.keys() and all(_same_json(a_map[k], b_map[k]) for k in a_map)
    a_list, b_list = _as_array(a), _as_array(b)
    if a_list is not None and b_list is not None:
        return len(a_list) == len(b_list) and all(map(_same_json, a_list, b_list))
    if isinstance(a, float):
        return repr(a) == repr(b)  # 0.0 and -0.0 are different numbers in JSON text
    return bool(a == b)


def _json_difference(a: object, b: object, where: str = "$") -> str:
    """Where two JSON values first differ, as ``"at $.key[2]: <a> vs <b>"``."""
    a_map, b_map = _as_object(a), _as_object(b)
    if a_map is not None and b_map is not None:
        for key in sorted(a_map.keys() | b_map.keys()):
            if key not in b_map:
                return f"at {where}: key {key!r} only in the request"
            if key not in a_map:
                return f"at {where}: key {key!r} only in the recording"
            if not _same_json(a_map[key], b_map[key]):
                return _json_difference(a_map[key], b_map[key], f"{where}.{key}")
    a_list, b_list = _as_array(a), _as_array(b)
    if a_list is not None and b_list is not None:
        for index, (x, y) in enumerate(zip(a_list, b_list, strict=False)):
            if not _same_json(x, y):
                return _json_difference(x, y, f"{where}[{index}]")
        return f"at {where}: {len(a_list)} items vs {len(b_list)}"
    return f"at {where}: {_clip(_dump(a))} vs {_clip(_dump(b))}"


def _dump(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _bytes_difference(a: bytes, b: bytes) -> str:
    offset = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return f"{len(a)} bytes vs {len(b)}, first difference at byte {offset}"


def json_body(request: HttpRequest, recorded: RecordedRequest) -> str | None:
    """Match bodies as JSON values when both are JSON (normalised), else as exact bytes.

    Examples:
        >>> recorded = RecordedRequest.of(
        ...     HttpRequest("POST", "http://c/api/tasks", body=b'{"name": "a", "labels": []}'))
        >>> json_body(HttpRequest("POST", "http://c/api/tasks",
        ...                       body=b'{"labels":[],"name":"a"}'), recorded) is None
        True
        >>> json_body(HttpRequest("POST", "http://c/api/tasks",
        ...                       body=b'{"labels":[],"name":"b"}'), recorded)
        'JSON body differs at $.name: "b" vs "a"'
    """
    kept_body = recorded.to_http().body
    live, kept = _json(request.body), _json(kept_body)
    if live is _NOT_JSON or kept is _NOT_JSON:
        if request.body == kept_body:
            return None
        return f"body differs: {_bytes_difference(request.body, kept_body)}"
    if _same_json(live, kept):
        return None
    return f"JSON body differs {_json_difference(live, kept)}"


def body(request: HttpRequest, recorded: RecordedRequest) -> str | None:
    """Match the exact body bytes.

    Examples:
        >>> recorded = RecordedRequest.of(HttpRequest("PATCH", "http://c/x", body=b"abc"))
        >>> body(HttpRequest("PATCH", "http://c/x", body=b"abd"), recorded)
        'body differs: 3 bytes vs 3, first difference at byte 2'
    """
    kept_body = recorded.to_http().body
    if request.body == kept_body:
        return None
    return f"body differs: {_bytes_difference(request.body, kept_body)}"


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


DEFAULT_MATCHERS: tuple[Matcher, ...] = (method, path, query)
"""Method, path and order-insensitive query: vcrpy's default without the host."""
