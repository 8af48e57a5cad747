"""Per-request context: parsed URL, query, body parsers, content negotiation and responses.

Theory of operation
-------------------
:class:`Ctx` wraps one :class:`cvatfn.http.HttpRequest`. It parses the URL once (the path
decoded as Django decodes it, see :func:`django_path`), remembers who authenticated (filled
in by ``_auth``) and offers the body parsers DRF would apply (JSON, multipart/form-data and
urlencoded forms). Responses are rendered with
:func:`json_response`, which writes compact JSON like CVAT's renderer and picks the media type
from the ``Accept`` header the way DRF's content negotiation does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlsplit

from cvatfn.http import Headers, HttpRequest, HttpResponse

from ._errors import ApiError, detail
from ._state import AccessToken, User

if TYPE_CHECKING:
    from ._server import FakeServer

CVAT_MEDIA_TYPE = "application/vnd.cvat+json"


def isodate(timestamp: float | None) -> str | None:
    """Format a POSIX timestamp like DRF's ``DateTimeField`` (``...Z``).

    Examples:
        >>> isodate(1767225600.0), isodate(1767225600.25), isodate(None)
        ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.250000Z', None)
    """
    return None if timestamp is None else _isodate(timestamp)


@lru_cache(maxsize=4096)
def _isodate(timestamp: float) -> str:
    # A list shows the same few dates many times (a virtual clock stands still).
    text = datetime.fromtimestamp(timestamp, UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class UploadedFile:
    """One file part of a multipart body."""

    def __init__(self, field: str, filename: str, content: bytes) -> None:
        self.field = field
        self.filename = filename
        self.content = content


class Ctx:
    """Everything a handler needs to know about the request being served."""

    def __init__(self, server: FakeServer, request: HttpRequest) -> None:
        self.server = server
        self.request = request
        self.method = request.method.upper()
        parts = urlsplit(request.url)
        scheme = parts.scheme or "http"
        host = request.header("host") or parts.netloc or "localhost"
        self.base = f"{scheme}://{host}"
        self.raw_path = parts.path or "/"
        self.path = django_path(self.raw_path)
        self.raw_query = parts.query
        self.query: dict[str, list[str]] = parse_qs(parts.query, keep_blank_values=True)
        self.user: User | None = None
        self.auth_kind: str | None = None
        self.token: AccessToken | None = None
        self.cookies = _parse_cookies(request.header_values("cookie"))
        self.set_cookies: list[str] = []
        self._form: tuple[dict[str, list[str]], list[UploadedFile]] | None = None

    # ----------------------------------------------------------------- query
    def q(self, name: str) -> str | None:
        """The last value of query parameter ``name`` (Django's ``QueryDict.get``)."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        return self.request.header(name)

    @property
    def url(self) -> str:
        return self.base + self.path + (("?" + self.raw_query) if self.raw_query else "")

    # ------------------------------------------------------------------ body
    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def data(self) -> dict[str, Any]:
        """``request.data`` for JSON and form bodies (empty body -> ``{}``)."""
        body = self.request.body
        ctype = self.content_type
        if ctype == "multipart/form-data":
            fields, files = self.form()
            merged: dict[str, Any] = {k: v[-1] for k, v in fields.items()}
            for file in files:
                merged.setdefault(file.field, file)
            return merged
        if not body.strip():
            return {}
        if ctype in ("", "application/json") or ctype.endswith("+json"):
            try:
                value = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise detail(400, f"JSON parse error - {exc}") from None
            if not isinstance(value, dict):
                non_field = "Invalid data. Expected a dictionary, but got {}."
                raise ApiError(400, {"non_field_errors": [non_field.format(_type_name(value))]})
            return cast(dict[str, Any], value)
        if ctype == "application/x-www-form-urlencoded":
            parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            return {k: v[-1] for k, v in parsed.items()}
        raise detail(415, f'Unsupported media type "{self.header("content-type")}" in request.')

    def form(self) -> tuple[dict[str, list[str]], list[UploadedFile]]:
        """Fields (every value) and files of a multipart body."""
        if self._form is None:
            self._form = _parse_multipart(self.header("content-type") or "", self.request.body)
        return self._form

    def form_lists(self) -> dict[str, list[Any]]:
        """Form fields with every value, for list fields such as ``server_files[0]``."""
        if self.content_type == "multipart/form-data":
            return dict(self.form()[0])
        if self.content_type == "application/x-www-form-urlencoded":
            return parse_qs(self.request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {}


def django_path(raw_path: str) -> str:
    """The path Django routes: percent escapes decoded (by the WSGI server, ``%2F`` included),
    the bytes read as UTF-8, and bytes that are not UTF-8 escaped again, as Django's
    ``repercent_broken_unicode`` does.

    Examples:
        >>> django_path("/api/requests/cXVldWU9aW1wb3J0%3D"), django_path("/caf%C3%A9/%FF")
        ('/api/requests/cXVldWU9aW1wb3J0=', '/café/%FF')
    """
    data = unquote_to_bytes(raw_path)
    parts: list[str] = []
    while True:
        try:
            return "".join(parts) + data.decode("utf-8")
        except UnicodeDecodeError as exc:
            parts.append(data[: exc.start].decode("utf-8"))
            parts.append(quote(data[exc.start : exc.end], safe="/#%[]=:;$&()+,!?*@'~"))
            data = data[exc.end :]


def _type_name(value: object) -> str:
    return type(value).__name__


def _parse_cookies(values: tuple[str, ...]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for value in values:
        for item in value.split(";"):
            if "=" in item:
                key, _, val = item.strip().partition("=")
                cookies[key.strip()] = val.strip().strip('"')
    return cookies


_DISPOSITION = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)')


def _parts(body: bytes, boundary: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The head and content of each part between ``boundary`` lines, up to the closing one.

    The parts are found by position, and only their heads and contents are copied out of the
    body (a large upload is not copied several times over).
    """
    found = body.find(boundary)
    while found >= 0:
        start = found + len(boundary)
        found = body.find(boundary, start)
        end = len(body) if found < 0 else found
        if body.startswith(b"--", start, end):  # the closing boundary
            return
        if body.startswith(b"\r\n", start, end):
            start += 2
        blank = body.find(b"\r\n\r\n", start, end)
        if blank < 0:  # no head: not a part
            continue
        content_end = end - 2 if body.endswith(b"\r\n", blank + 4, end) else end
        yield body[start:blank], body[blank + 4 : content_end]


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, list[str]], list[UploadedFile]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise detail(400, "Multipart form parse error - Invalid boundary in multipart: None")
    boundary = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, list[str]] = {}
    files: list[UploadedFile] = []
    for head, content in _parts(body, boundary):
        params: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                for m in _DISPOSITION.finditer(value):
                    key = m.group(1) or m.group(3)
                    params[key.lower()] = m.group(2) if m.group(1) else m.group(4)
        field_name = params.get("name", "")
        if "filename" in params:
            files.append(UploadedFile(field_name, params["filename"], content))
        else:
            fields.setdefault(field_name, []).append(content.decode("utf-8", "replace"))
    return fields, files


def _accepts(accept: str | None) -> str | None:
    """The media type DRF would render for ``accept``; ``None`` means 406."""
    if not accept:
        return CVAT_MEDIA_TYPE
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", CVAT_MEDIA_TYPE, ""):
            return CVAT_MEDIA_TYPE
        if media == "application/json":
            return "application/json"
        if media == "text/html":
            # The browsable API would answer; the fake has none, so it renders JSON.
            return CVAT_MEDIA_TYPE
    return None


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``, built once."""


def render(ctx: Ctx, status: int, data: Any, headers: Headers = ()) -> HttpResponse:
    """Render ``data`` as CVAT's compact JSON (``None`` -> empty body)."""
    media = _accepts(ctx.header("accept")) or CVAT_MEDIA_TYPE
    extra = tuple(("Set-Cookie", c) for c in ctx.set_cookies)
    if data is None:
        return HttpResponse(status, (*headers, *extra), b"")
    body = _JSON.encode(data).encode("utf-8")
    return HttpResponse(
        status,
        (("Content-Type", media), ("Vary", "Accept, Origin"), *headers, *extra),
        body,
    )


def check_acceptable(ctx: Ctx) -> None:
    """Raise DRF's 406 when no renderer matches ``Accept``."""
    if _accepts(ctx.header("accept")) is None:
        raise detail(406, "Could not satisfy the request Accept header.")


def plain(ctx: Ctx, status: int, text: str, headers: Headers = ()) -> HttpResponse:
    """A Django plain-text response (used by CVAT for a few upload errors)."""
    extra = tuple(("Set-Cookie", c) for c in ctx.set_cookies)
    return HttpResponse(
        status,
        (("Content-Type", "text/plain"), *headers, *extra),
        text.encode("utf-8"),
    )


def absolute(ctx: Ctx, path: str, params: Mapping[str, object] | None = None) -> str:
    """Absolute URL for ``path`` on the server the client talks to."""
    url = ctx.base + path
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def user_ref(ctx: Ctx, user: User | None) -> dict[str, Any] | None:
    """CVAT's ``BasicUser`` for ``user`` (``None`` stays ``None``)."""
    if user is None:
        return None
    return {
        "url": absolute(ctx, f"/api/users/{user.id}"),
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }
