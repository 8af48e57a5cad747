"""A transport that answers like a broken, hostile or merely odd CVAT server, drawn by hypothesis.

``Chaos`` answers ``/api/server/about`` properly (so a session can be built) and every other
request with a response drawn from ``st.data()``:

- statuses: the plausible success for the method, or anything from 100 to 599 (3xx with and
  without ``Location``, 408, 429 and 503 with ``Retry-After`` that is garbage or huge ...);
- headers: ``Content-Type``, ``Retry-After``, ``Location`` (relative, absolute, another origin,
  unparsable), ``Set-Cookie``, ``Upload-Offset`` (right, wrong, garbage), ``Content-Length`` that
  lies, ``Content-Encoding``;
- bodies: truncated JSON, JSON of the wrong type, HTML error pages, empty bodies, numbers too
  big for any float or int64, invalid UTF-8, deeply nested JSON, and plausible CVAT bodies
  (taken from real server responses in ``cvat-api/assets``) with one field broken;
- sometimes a :class:`~cvatfn.http.TransportError` of each kind instead of a response, and for
  streamed bodies a failure in the middle of the body.

Each server draws how often it misbehaves, from every other part of an answer (status, headers,
body, connection) to one part in twelve. When it behaves it answers as CVAT would, including
the upload protocol's ``Location`` and ``Upload-Offset``, so calls also get deep into uploads,
exports and polling before something goes wrong.

It is a :class:`~cvatfn.http.VirtualClock`, so retry back-off and polling sleep no wall time,
and it answers a fixed 404 once ``budget`` responses were drawn, so paging, polling and retry
loops end. A flow that keeps going long after that (or sleeps without end) raises
:class:`Runaway`, which is not an ``Exception``, so nothing in cvatfn can swallow it.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from hypothesis import strategies as st

from cvatfn.http import HttpRequest, HttpResponse, TransportError

__all__ = [
    "ABOUT",
    "ASSETS",
    "Chaos",
    "Runaway",
    "asset",
    "json_like",
    "pick",
]

ABOUT = b'{"name":"CVAT","description":"","version":"2.80.0","logo_url":"","subtitle":""}'
ASSETS = Path(__file__).resolve().parents[2] / "shared" / "cvat-api" / "assets"

_KINDS = ("connect", "timeout", "tls_handshake", "tls_certificate", "protocol")
EXTRA_REQUESTS = 60
"""Requests a flow may still send after the budget is spent (all answered 404)."""
MAX_SLEEPS = 5000
"""Sleeps allowed in one call before the flow is taken to be stuck."""


class Runaway(BaseException):
    """A flow kept sending or sleeping long after the server stopped answering anything useful.

    A ``BaseException`` on purpose: it must reach the test, whatever cvatfn catches.
    """


T = TypeVar("T")


def pick(draw: Callable[[st.SearchStrategy[Any]], Any], values: Sequence[T]) -> T:
    """One of ``values``, drawn by index: cheaper than a new ``sampled_from`` every time
    (``st.integers`` strategies are cached), and it shrinks towards the first value."""
    return values[draw(st.integers(0, len(values) - 1))]


@cache
def asset(name: str) -> Any:
    """A real CVAT response body from ``cvat-api/assets`` (parsed once)."""
    return json.loads((ASSETS / f"{name}.json").read_text())


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


class Raw:
    """A JSON value written out verbatim (``1e999``, ``2**70`` as digits, ``NaN``)."""

    def __init__(self, text: str) -> None:
        self.text = text


_RAW_NUMBERS = ("1e999", "-1e999", str(2**70), str(-(2**64)), "NaN", "1.5e-400", "0.1e1")


def _dump(value: object) -> bytes:
    """JSON text of ``value``, with :class:`Raw` values written verbatim."""
    raws: list[str] = []

    def default(item: object) -> object:
        if isinstance(item, Raw):
            raws.append(item.text)
            return f"@@RAW{len(raws) - 1}@@"
        raise TypeError(type(item).__name__)

    text = json.dumps(value, default=default)
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{index}@@"', raw)
    return text.encode()


_JUNK_VALUES: tuple[object, ...] = (
    None,
    "",
    "x",
    -1,
    0,
    1.5,
    True,
    [],
    {},
    [None],
    {"id": "x"},
    "2024-13-45T99:99:99Z",
    *(Raw(n) for n in _RAW_NUMBERS),
)


def _paths(
    value: object, prefix: tuple[object, ...] = (), depth: int = 0
) -> Iterator[tuple[object, ...]]:
    """Every key/index path into ``value`` (up to a small depth)."""
    if depth > 4:
        return
    if isinstance(value, dict):
        for key, item in cast(dict[str, object], value).items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[object], value)[:3]):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index), depth + 1)


def _mutate(draw: Callable[[st.SearchStrategy[Any]], Any], value: object) -> object:
    """``value`` (a deep copy) with one field deleted or replaced by a value of the wrong kind."""
    paths = list(_paths(value))
    if not paths:
        return value
    path = pick(draw, paths)
    result = copy.deepcopy(value)
    parent: Any = result
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[last]
    else:
        parent[last] = pick(draw, _JUNK_VALUES) if draw(st.booleans()) else draw(json_like)
    return result


def _page(results: list[object], *, more: bool) -> dict[str, object]:
    return {
        "count": len(results) + (100 if more else 0),
        "next": "http://h/api/x?page=2" if more else None,
        "previous": None,
        "results": results,
    }


_RESULT_URLS = (
    None,
    "http://h/api/tasks/1/dataset/download?rq_id=r",
    "http://elsewhere.example/api/x?rq_id=r",
    "relative/path",
    "",
    "http://[::1",
)


def _request_object(draw: Callable[[st.SearchStrategy[Any]], Any], rq_id: str) -> dict[str, object]:
    status = pick(draw, ["queued", "started", "finished", "finished", "failed", "?"])
    return {
        "id": rq_id,
        "status": status,
        "message": pick(draw, ["", "it broke", "Traceback ..."]),
        "progress": pick(draw, [None, 0, 0.5, 1, 150, -3]),
        "operation": {"type": "export:dataset", "target": "task", "format": "CVAT for images 1.1"},
        "result_url": pick(draw, _RESULT_URLS),
        "result_id": pick(draw, [None, 1, 7, -1]),
        "created_date": "2024-03-21T20:50:05.694000Z",
    }


def _meta(draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, object]:
    size = draw(st.integers(0, 6))
    return {
        "chunk_size": 72,
        "size": size,
        "image_quality": 70,
        "start_frame": 0,
        "stop_frame": max(0, size - 1),
        "frame_filter": "",
        "frames": [{"name": f"{i}.png", "width": 4, "height": 3} for i in range(size)],
        "deleted_frames": draw(st.lists(st.integers(0, 6), max_size=3)),
        "included_frames": None,
    }


_RESOURCES = {
    "tasks",
    "projects",
    "jobs",
    "labels",
    "users",
    "comments",
    "issues",
    "memberships",
    "organizations",
    "invitations",
}


def plausible(draw: Callable[[st.SearchStrategy[Any]], Any], request: HttpRequest) -> object:
    """A JSON value like the one CVAT would answer ``request`` with."""
    path = urlsplit(request.url).path
    parts = [p for p in path.split("/") if p]
    resource = parts[1] if len(parts) > 1 else ""
    if request.header("Upload-Finish") is not None or parts[-1:] in (["export"], ["import"]):
        return {"rq_id": pick(draw, ["rq-1", "", "a/b", "x" * 300])}
    if resource == "requests":
        if len(parts) > 2:
            return _request_object(draw, parts[2])
        return _page([_request_object(draw, "rq-1")], more=draw(st.booleans()))
    if resource == "server":
        return {
            "importers": [{"name": "CVAT 1.1", "ext": "XML, ZIP", "version": "1.1"}],
            "exporters": [{"name": "CVAT for images 1.1", "ext": "ZIP", "version": "1.1"}],
        }
    if resource == "auth":
        return {"key": "k"}
    if "annotations" in parts:
        return asset("annotations")[pick(draw, ["job", "task"])]
    if path.rstrip("/").endswith("data/meta"):
        return _meta(draw)
    if resource not in _RESOURCES:
        return {"id": 1}
    page = cast(dict[str, Any], asset(resource))
    items = cast(list[object], page["results"])
    single = len(parts) == 3 or (resource == "users" and parts[2:] == ["self"])
    if single and items and request.method != "DELETE":
        return items[draw(st.integers(0, min(len(items), 4) - 1))]
    take = draw(st.integers(0, min(len(items), 3)))
    return _page(items[:take], more=draw(st.booleans()))


_ANY_STATUS = st.integers(100, 599)
_STATUS_FOR = {"POST": 201, "PATCH": 200, "PUT": 200, "DELETE": 204, "HEAD": 200}
_ODD_STATUSES = (
    100,
    101,
    199,
    202,
    203,
    204,
    206,
    300,
    301,
    302,
    303,
    304,
    307,
    308,
    400,
    401,
    403,
    404,
    405,
    408,
    409,
    410,
    413,
    429,
    499,
    500,
    502,
    503,
    504,
    599,
)


def _locations(request: HttpRequest) -> tuple[str, ...]:
    path = urlsplit(request.url).path
    return (
        "http://[::1",
        f"http://h{path}1",
        f"{path.rstrip('/')}/upload-id",
        "/api/tasks/1",
        "http://elsewhere.example/steal",
        "https://h/api/tasks/1",
        "//elsewhere.example/x",
        "",
        "not a url",
        "http://h:99999/",
        "ftp://h/x",
    )


def _upload_offsets(request: HttpRequest) -> tuple[str, ...]:
    offset = request.header("Upload-Offset")
    right = (
        str(int(offset) + len(request.body)) if offset is not None and offset.isdecimal() else "0"
    )
    return (right, right, "0", "-1", str(2**70), "abc", "²", " 3 ", "")


def _content_lengths(body: bytes) -> tuple[str, ...]:
    n = len(body)
    return (str(n), str(n + 1), str(max(0, n - 1)), "0", "-1", " 12 ", "1,2", str(2**70), "x",
            "²", "١٢")  # fmt: skip


_HEADER_VALUES: dict[str, tuple[str, ...]] = {
    "Content-Type": (
        "application/json",
        "application/vnd.cvat+json",
        "text/html; charset=utf-8",
        "image/png",
        "image/jpeg; charset=binary",
        "application/octet-stream",
        "",
        ";;;",
    ),
    "Retry-After": (
        "0",
        "1",
        "2",
        "120",
        "1e308",
        "1e999",
        str(2**70),
        "-5",
        "nan",
        "inf",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "soon",
        "",
    ),
    "Date": ("Wed, 21 Oct 2015 07:27:00 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "yesterday"),
    "Set-Cookie": ("sessionid=abc; Path=/", "csrftoken=x; Path=/", "garbage", "", "=;=;"),
    "Content-Encoding": ("gzip", "identity", "br", ""),
    "Tus-Resumable": ("1.0.0", "0.2", ""),
    "X-Anything": ("", "x", "\u00e9", "a" * 200),
}
_HEADER_NAMES = (*_HEADER_VALUES, "Location", "Upload-Offset", "Content-Length")


def _header(
    draw: Callable[[st.SearchStrategy[Any]], Any], request: HttpRequest, body: bytes
) -> tuple[str, str]:
    name = pick(draw, _HEADER_NAMES)
    if name == "Location":
        return name, pick(draw, _locations(request))
    if name == "Upload-Offset":
        return name, pick(draw, _upload_offsets(request))
    if name == "Content-Length":
        return name, pick(draw, _content_lengths(body))
    return name, pick(draw, _HEADER_VALUES[name])


def _protocol_headers(
    draw: Callable[[st.SearchStrategy[Any]], Any], request: HttpRequest
) -> tuple[tuple[str, str], ...]:
    """The headers a success of CVAT's upload protocol carries (TUS ``Location`` and
    ``Upload-Offset``), so that fuzzing reaches the later steps of an upload."""
    offset = request.header("Upload-Offset")
    if request.method == "POST" and request.header("Upload-Length") is not None:
        path = urlsplit(request.url).path.rstrip("/")
        location = pick(draw, (f"{path}/0a1b", f"http://h{path}/0a1b", *_locations(request)))
        return (("Location", location), ("Tus-Resumable", "1.0.0"))
    if request.method == "PATCH" and offset is not None and offset.isdecimal():
        sent = len(request.body)
        taken = pick(draw, (sent, sent, sent, max(1, sent // 2), 0, sent + 1))
        return (("Upload-Offset", str(int(offset) + taken)), ("Tus-Resumable", "1.0.0"))
    if request.method == "HEAD":
        return (("Upload-Offset", str(draw(st.integers(0, 70)))),)
    return ()


_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


_BODY_KINDS = (
    "mutated",
    "mutated",
    "mutated",
    "empty",
    "junk",
    "binary",
    "html",
    "truncated",
    "invalid utf-8",
    "huge number",
    "deep",
    "image",
)


def _body(
    draw: Callable[[st.SearchStrategy[Any]], Any], request: HttpRequest, *, odd: bool
) -> bytes:
    """The body of an answer: what CVAT would send, or (``odd``) something broken."""
    kind = pick(draw, _BODY_KINDS) if odd else "plausible"
    if kind == "plausible":
        return _dump(plausible(draw, request))
    if kind == "mutated":
        return _dump(_mutate(draw, plausible(draw, request)))
    if kind == "empty":
        return b""
    if kind == "junk":
        return _dump(draw(json_like))
    if kind == "binary":
        return cast(bytes, draw(st.binary(max_size=48)))
    if kind == "html":
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    if kind == "truncated":
        whole = _dump(plausible(draw, request))
        return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    if kind == "invalid utf-8":
        return pick(draw, [b'{"detail": "\xff\xfe"}', b"\xff\xfe\x00", b'"\xc3"'])
    if kind == "huge number":
        raw = pick(draw, _RAW_NUMBERS)
        return pick(
            draw,
            [
                f'{{"count": {raw}, "next": null, "results": []}}',
                f'{{"id": {raw}}}',
                f'{{"rq_id": {raw}}}',
                raw,
                f'{{"detail": {raw}}}',
            ],
        ).encode()
    if kind == "deep":
        depth = pick(draw, [64, 1500, 100_000])
        opener, closer = pick(draw, [(b"[", b"]"), (b'{"a":', b"}")])
        return opener * depth + b"1" + closer * depth
    return cast(bytes, pick(draw, [_PNG, _JPEG, b"GIF89a", b"BM", b"PK\x03\x04"]))


class Chaos:
    """The hostile server: see the module docstring."""

    def __init__(self, data: st.DataObject, *, budget: int, chaotic_about: bool = False) -> None:
        self.data = data
        self.budget = budget
        self.chaotic_about = chaotic_about
        self.requests: list[HttpRequest] = []
        self.answered = 0
        self.now = 1000.0
        self.sleeps = 0
        self.odds: int = pick(data.draw, (12, 6, 3, 2))
        """One part of an answer in this many goes wrong (status, headers, body, connection):
        some servers are chaotic, others fail once in a while deep into a protocol."""

    # -- VirtualClock

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps > MAX_SLEEPS:
            raise Runaway(f"{self.sleeps} sleeps in one call (last {seconds!r} s)")
        if math.isfinite(seconds) and seconds > 0:
            self.now += seconds

    # -- Transport

    def _draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if len(self.requests) > self.budget + EXTRA_REQUESTS:
            raise Runaway(f"{len(self.requests)} requests in one call; the last: {request!r}")
        if request.url.endswith("/api/server/about") and not self.chaotic_about:
            return HttpResponse(200, (("Content-Type", "application/json"),), ABOUT)
        if self.answered >= self.budget:
            return HttpResponse(
                404, (("Content-Type", "application/json"),), b'{"detail": "Not found."}'
            )
        self.answered += 1
        draw = self._draw
        if self._odd() and draw(st.booleans()):
            raise TransportError(pick(draw, _KINDS), "injected", url=request.url)
        if self._odd():
            status = pick(draw, _ODD_STATUSES) if draw(st.booleans()) else draw(_ANY_STATUS)
        else:
            status = _STATUS_FOR.get(request.method, 200)
        protocol = () if self._odd() else _protocol_headers(draw, request)
        body = _body(draw, request, odd=self._odd())
        extra = draw(st.integers(0, 4)) if self._odd() else 0
        headers = tuple(_header(draw, request, body) for _ in range(extra))
        return HttpResponse(status, protocol + headers, body)

    def _odd(self) -> bool:
        """Whether this part of the answer goes wrong: one time in ``odds``."""
        return bool(self.data.draw(st.integers(0, self.odds - 1)) == self.odds // 2)

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self._answer(request)

    @contextmanager
    def stream(
        self, request: HttpRequest, *, chunk_size: int = 1024
    ) -> Iterator[tuple[HttpResponse, Iterator[bytes]]]:
        """The same answers, streamed in pieces; the body may break off with an error."""
        response = self._answer(request)
        body = response.body
        fail_at = self._draw(st.none() | st.integers(0, 3))
        kind = pick(self._draw, _KINDS)
        size = max(1, min(chunk_size, self._draw(st.integers(1, 64))))

        def pieces() -> Iterator[bytes]:
            for index, start in enumerate(range(0, max(len(body), 1), size)):
                if fail_at is not None and index >= fail_at:
                    raise TransportError(kind, "connection dropped mid-body", url=request.url)
                yield body[start : start + size]
            if fail_at is not None:
                raise TransportError(kind, "connection dropped at the end", url=request.url)

        yield HttpResponse(response.status, response.headers), pieces()
