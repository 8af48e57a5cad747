"""The cassette file format: strict msgspec structs, JSON on disk, atomic writes.

Theory of operation
-------------------
A :class:`Cassette` is a frozen value: a format ``version``, the name of what recorded it
(``recorded_with``) and the recorded ``interactions`` in order. Each :class:`Interaction` is
a :class:`RecordedRequest` (method, uri, headers, body), a :class:`RecordedResponse` (status,
headers, body) and ``recorded_at``, the ISO 8601 UTC time it was recorded. Headers are pairs
in order, repeated names included, exactly as the transport saw them; filtering secrets and
the host is :mod:`cvatfn_cassette._filters`' job.

On disk a cassette is UTF-8 JSON laid out like vcrpy's, pretty-printed with two-space
indentation, keys in field order, and lists of plain values (a header pair) kept on one line,
so that diffs of a re-recorded cassette are readable::

    {
      "version": 1,
      "recorded_with": "cvatfn_cassette 0.1.0",
      "interactions": [
        {
          "request": {
            "method": "GET",
            "uri": "http://cvat.cassette/api/server/about",
            "headers": [
              ["Accept", "application/vnd.cvat+json"]
            ],
            "body": ""
          },
          "response": {"status": 200, "headers": [...], "body": {"json": {"name": "CVAT"}}},
          "recorded_at": "2026-01-01T00:00:00Z"
        }
      ]
    }

A :class:`Body` keeps its exact bytes and is stored in one of three forms:

- a JSON **string** when the bytes are UTF-8 text (the empty body is ``""``);
- ``{"json": <value>}`` when the bytes are a JSON object or array that re-encodes to exactly
  the same bytes in compact form (what CVAT and the fake server send) and nests at most 64
  levels deep, so answers read as JSON;
- ``{"base64": "<standard base64>"}`` for anything else (images, zips, invalid UTF-8).

Reading is strict: :func:`decode` first reads only ``version`` (so a cassette from an unknown
version is reported as such, whatever else it contains), then the whole document with
``forbid_unknown_fields`` structs. Every problem (not JSON, truncated, wrong top-level type,
unknown version, missing or unknown field, wrong type, a body that is neither text, JSON nor
base64, invalid base64) is a :class:`CassetteError` naming the file and the problem, with the
JSON path of the offending value (``$.interactions[0].response.status``).

Writing is atomic: :func:`dump` writes a temporary file in the target's directory, flushes
and fsyncs it, then renames it over the target with :func:`os.replace`. A failure at any
point removes the temporary file and leaves the previous cassette untouched. A cassette that
is replaced keeps its file mode; a new one is ``0644``.

The ``repr`` of a recorded request or response hides the values of ``Authorization``,
``Cookie``, ``Set-Cookie`` and ``X-CSRFToken``, like :class:`~cvatfn.http.HttpRequest`'s, so a
recording that has not been filtered yet cannot leak through a log or an assertion message.

Examples:
    >>> from cvatfn.http import HttpRequest, HttpResponse
    >>> interaction = Interaction(
    ...     RecordedRequest.of(HttpRequest("GET", "http://cvat.cassette/api/server/about")),
    ...     RecordedResponse.of(HttpResponse(200, (), b'{"name":"CVAT"}')),
    ...     "2026-01-01T00:00:00Z",
    ... )
    >>> cassette = Cassette(FORMAT_VERSION, RECORDED_WITH, (interaction,))
    >>> decode(encode(cassette)).unwrap() == cassette
    True
    >>> b'"name": "CVAT"' in encode(cassette)  # stored as JSON, not as an escaped string
    True
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import msgspec
from returns.result import Failure, Result, Success

from cvatfn.http import Headers, HttpRequest, HttpResponse, redact_headers

__all__ = [
    "FORMAT_VERSION",
    "RECORDED_WITH",
    "Body",
    "Cassette",
    "CassetteError",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "decode",
    "dump",
    "encode",
    "iso_timestamp",
    "load",
]

FORMAT_VERSION = 1
"""The cassette format version this module reads and writes."""


def _recorded_with() -> str:
    try:
        version = metadata.version("cvatfn")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "unknown"
    return f"cvatfn_cassette {version}"


RECORDED_WITH = _recorded_with()
"""The default ``recorded_with`` of new cassettes (``"cvatfn_cassette <cvatfn version>"``)."""


class Body:
    """The exact bytes of a request or response body.

    Equal bodies have equal bytes. How a body is stored on disk (text, JSON or base64) is
    decided from the bytes alone, so it never changes what is read back.

    Examples:
        >>> Body(b"\\x89PNG") == Body(b"\\x89PNG")
        True
        >>> Body(b"").data
        b''
    """

    __slots__ = ("_data",)

    def __init__(self, data: bytes = b"") -> None:
        self._data = bytes(data)

    @property
    def data(self) -> bytes:
        """The body's bytes."""
        return self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Body):
            return self._data == other._data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        if len(self._data) <= 40:
            return f"Body({self._data!r})"
        return f"Body(<{len(self._data)} bytes>)"


class RecordedRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A request as it is stored in a cassette.

    Examples:
        >>> from cvatfn.http import HttpRequest
        >>> request = HttpRequest("POST", "http://cvat.cassette/api/tasks", (), b"{}")
        >>> RecordedRequest.of(request).to_http() == request
        True
        >>> RecordedRequest("GET", "http://h/", (("Cookie", "sessionid=s3cret"),), Body())
        RecordedRequest(method='GET', uri='http://h/',
                        headers=(('Cookie', '<redacted>'),), body=Body(b''))
    """

    method: str
    uri: str
    headers: Headers
    body: Body

    def __repr__(self) -> str:
        return (
            f"RecordedRequest(method={self.method!r}, uri={self.uri!r}, "
            f"headers={redact_headers(self.headers)!r}, body={self.body!r})"
        )

    @classmethod
    def of(cls, request: HttpRequest) -> RecordedRequest:
        """The recorded form of ``request`` (headers kept as given).

        Examples:
            >>> from cvatfn.http import HttpRequest
            >>> RecordedRequest.of(HttpRequest("GET", "http://h/api/tasks")).uri
            'http://h/api/tasks'
        """
        return cls(request.method, request.url, tuple(request.headers), Body(request.body))

    def to_http(self) -> HttpRequest:
        """The :class:`~cvatfn.http.HttpRequest` this records.

        Examples:
            >>> RecordedRequest("GET", "http://h/", (), Body()).to_http().method
            'GET'
        """
        return HttpRequest(self.method, self.uri, self.headers, self.body.data)


class RecordedResponse(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A response as it is stored in a cassette.

    Examples:
        >>> from cvatfn.http import HttpResponse
        >>> response = HttpResponse(404, (("Content-Type", "text/html"),), b"<h1>no</h1>")
        >>> RecordedResponse.of(response).to_http() == response
        True
    """

    status: int
    headers: Headers
    body: Body

    def __repr__(self) -> str:
        return (
            f"RecordedResponse(status={self.status!r}, "
            f"headers={redact_headers(self.headers)!r}, body={self.body!r})"
        )

    @classmethod
    def of(cls, response: HttpResponse) -> RecordedResponse:
        """The recorded form of ``response`` (headers kept as given).

        Examples:
            >>> from cvatfn.http import HttpResponse
            >>> RecordedResponse.of(HttpResponse(204)).status
            204
        """
        return cls(response.status, tuple(response.headers), Body(response.body))

    def to_http(self) -> HttpResponse:
        """The :class:`~cvatfn.http.HttpResponse` this records.

        Examples:
            >>> RecordedResponse(200, (), Body(b"ok")).to_http().body
            b'ok'
        """
        return HttpResponse(self.status, self.headers, self.body.data)


class Interaction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One recorded exchange: a request, its response and when it was recorded.

    Examples:
        >>> Interaction(RecordedRequest("GET", "http://h/", (), Body()),
        ...             RecordedResponse(204, (), Body()), "2026-01-01T00:00:00Z").recorded_at
        '2026-01-01T00:00:00Z'
    """

    request: RecordedRequest
    response: RecordedResponse
    recorded_at: str


class Cassette(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A recorded sequence of interactions, as one frozen value.

    Examples:
        >>> Cassette(FORMAT_VERSION, RECORDED_WITH, ()).interactions
        ()
    """

    version: int
    recorded_with: str
    interactions: tuple[Interaction, ...]


class CassetteError(msgspec.Struct, frozen=True):
    """Why a cassette could not be read or written: the file and the problem.

    Examples:
        >>> error = decode(b'{"version": 2}', path="tests/cassettes/t.json").failure()
        >>> print(error)
        tests/cassettes/t.json: unknown cassette version 2 (this cvatfn_cassette reads version 1)
    """

    path: str
    problem: str

    @property
    def message(self) -> str:
        """The file and the problem, in one line."""
        return f"{self.path}: {self.problem}"

    def __str__(self) -> str:
        return self.message


def iso_timestamp(seconds: float | None = None) -> str:
    """``seconds`` since the Unix epoch (default: now) as ISO 8601 UTC text.

    Whole seconds print without a fraction; anything finer prints in microseconds.

    Examples:
        >>> iso_timestamp(0)
        '1970-01-01T00:00:00Z'
        >>> iso_timestamp(1.5)
        '1970-01-01T00:00:01.500000Z'
    """
    moment = datetime.now(UTC) if seconds is None else datetime.fromtimestamp(seconds, UTC)
    spec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# ----------------------------------------------------------------------------- bodies
def _body_to_json(body: Body) -> object:
    data = body.data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
    if data[:1] in (b"{", b"["):
        value: object = None
        try:
            value = msgspec.json.decode(data)
            exact = msgspec.json.encode(value) == data
        except (msgspec.DecodeError, UnicodeEncodeError, RecursionError, OverflowError):
            exact = False
        if exact and _shallow(value, _MAX_JSON_DEPTH):
            return {"json": value}
    return text


_MAX_JSON_DEPTH = 64
"""Deeper JSON bodies are stored as text: pretty-printing them would only add indentation."""


def _shallow(value: object, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` arrays and objects deep (without recursion)."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return False
            children: Iterable[object] = (
                cast("dict[str, object]", item).values()
                if isinstance(item, dict)
                else cast("list[object]", item)
            )
            pending.extend((child, depth + 1) for child in children)
    return True


def _body_from_json(value: object) -> Body:
    if isinstance(value, str):
        return Body(value.encode("utf-8"))
    if isinstance(value, dict):
        fields = cast("dict[str, object]", value)
        if list(fields) == ["base64"]:
            encoded = fields["base64"]
            if not isinstance(encoded, str):
                raise ValueError("a base64 body must be a string")
            try:
                return Body(base64.b64decode(encoded.encode("ascii"), validate=True))
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise ValueError("a base64 body is not valid base64") from None
        if list(fields) == ["json"]:
            try:
                return Body(msgspec.json.encode(fields["json"]))
            except (UnicodeEncodeError, TypeError, ValueError, RecursionError) as exc:
                raise ValueError(f"a json body cannot be encoded: {exc}") from None
        raise _not_a_body(fields)
    raise _not_a_body(value)


def _not_a_body(value: object) -> ValueError:
    return ValueError(
        'a body must be a string (text), {"json": value} or {"base64": "..."}, '
        f"not {_describe(value)}"
    )


def _describe(value: object) -> str:
    if isinstance(value, dict):
        names = ", ".join(repr(key) for key in cast("dict[str, object]", value))
        return f"an object with keys {names}" if names else "an empty object"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else type(value).__name__


def _enc_hook(value: Any) -> Any:
    if isinstance(value, Body):
        return _body_to_json(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def _dec_hook(kind: type, value: Any) -> Any:
    if kind is Body:
        return _body_from_json(value)
    raise NotImplementedError(f"cannot decode {kind!r}")  # pragma: no cover


class _Versioned(msgspec.Struct):
    version: object = msgspec.UNSET


_HEAD = msgspec.json.Decoder(_Versioned)
_DECODER = msgspec.json.Decoder(Cassette, dec_hook=_dec_hook)
_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)


# --------------------------------------------------------------------------- encoding
def _scalar(value: object) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def _pretty(value: object, indent: str, out: list[str]) -> None:
    """Append ``value`` as pretty JSON; lists of plain values stay on one line."""
    inner = indent + "  "
    if isinstance(value, dict):
        items = list(cast("dict[str, object]", value).items())
        if not items:
            out.append("{}")
            return
        out.append("{\n")
        for index, (key, item) in enumerate(items):
            out.append(f"{inner}{_scalar(key)}: ")
            _pretty(item, inner, out)
            out.append(",\n" if index < len(items) - 1 else "\n")
        out.append(indent + "}")
    elif isinstance(value, list):
        elements = cast("list[object]", value)
        if not any(isinstance(item, dict | list) for item in elements):
            out.append("[" + ", ".join(_scalar(item) for item in elements) + "]")
            return
        out.append("[\n")
        for index, item in enumerate(elements):
            out.append(inner)
            _pretty(item, inner, out)
            out.append(",\n" if index < len(elements) - 1 else "\n")
        out.append(indent + "]")
    else:
        out.append(_scalar(value))


def encode(cassette: Cassette) -> bytes:
    """``cassette`` as the pretty-printed UTF-8 JSON of a cassette file.

    Raises ``UnicodeEncodeError`` only for strings that are not valid Unicode (lone
    surrogates), which no transport produces; :func:`dump` reports that as a
    :class:`CassetteError`.

    Examples:
        >>> print(encode(Cassette(1, "me", ())).decode())
        {
          "version": 1,
          "recorded_with": "me",
          "interactions": []
        }
        <BLANKLINE>
    """
    plain = msgspec.json.decode(_ENCODER.encode(cassette))
    out: list[str] = []
    _pretty(plain, "", out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def decode(data: bytes, *, path: str = "<memory>") -> Result[Cassette, CassetteError]:
    """Read a cassette from the bytes of a cassette file; never raises.

    Examples:
        >>> decode(b'{"version": 1, "recorded_with": "x", "interactions": []}').unwrap()
        Cassette(version=1, recorded_with='x', interactions=())
        >>> print(decode(b'{"version": 1', path="c.json").failure())
        c.json: not a valid JSON cassette: Input data was truncated
        >>> print(decode(b'{"version": 1, "recorded_with": 7, "interactions": []}').failure())
        <memory>: Expected `str`, got `int` - at `$.recorded_with`
    """

    def fail(problem: str) -> Result[Cassette, CassetteError]:
        return Failure(CassetteError(path=path, problem=problem))

    try:
        head = _HEAD.decode(data)
    except msgspec.ValidationError as exc:
        return fail(f"not a cassette: {exc}")
    except (msgspec.DecodeError, RecursionError) as exc:
        return fail(f"not a valid JSON cassette: {exc}")
    except UnicodeDecodeError:  # msgspec checks UTF-8 only in the strings it reads
        return fail(f"not a valid JSON cassette: {_utf8_problem(data)}")
    if head.version is msgspec.UNSET:
        return fail("not a cassette: Object missing required field `version`")
    if head.version != FORMAT_VERSION:
        shown = msgspec.json.encode(head.version).decode("utf-8", "replace")
        return fail(
            f"unknown cassette version {shown} "
            f"(this cvatfn_cassette reads version {FORMAT_VERSION})"
        )
    try:
        return Success(_DECODER.decode(data))
    except msgspec.ValidationError as exc:
        return fail(str(exc))
    except (msgspec.DecodeError, RecursionError) as exc:
        return fail(f"not a valid JSON cassette: {exc}")
    except UnicodeDecodeError:  # msgspec checks UTF-8 only in the strings it reads
        return fail(f"not a valid JSON cassette: {_utf8_problem(data)}")


def _utf8_problem(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 (byte {exc.start})"
    return "invalid UTF-8"  # pragma: no cover - msgspec found what Python does not


# ------------------------------------------------------------------------- files
def load(path: str | os.PathLike[str]) -> Result[Cassette, CassetteError]:
    """Read the cassette file at ``path``; never raises.

    Examples:
        >>> print(load("no/such/cassette.json").failure())
        no/such/cassette.json: the cassette does not exist
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        return Failure(CassetteError(path=name, problem="the cassette does not exist"))
    except IsADirectoryError:
        return Failure(CassetteError(path=name, problem="the cassette path is a directory"))
    except OSError as exc:
        return Failure(CassetteError(path=name, problem=f"cannot read: {exc.strerror or exc}"))
    return decode(data, path=name)


def dump(cassette: Cassette, path: str | os.PathLike[str]) -> Result[None, CassetteError]:
    """Write ``cassette`` to ``path`` atomically, creating parent directories; never raises.

    Examples:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "c.json"
        >>> dump(Cassette(1, "me", ()), target)
        <Success: None>
        >>> load(target).map(lambda c: c.recorded_with)
        <Success: me>
    """
    name = os.fspath(path)
    try:
        data = encode(cassette)
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError) as exc:
        return Failure(CassetteError(path=name, problem=f"cannot encode the cassette: {exc}"))
    target = Path(name)
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
        _fsync_directory(target.parent)
    except OSError as exc:
        return Failure(CassetteError(path=name, problem=f"cannot write: {exc.strerror or exc}"))
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return Success(None)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - some filesystems refuse to fsync a directory
        pass
    finally:
        os.close(descriptor)
