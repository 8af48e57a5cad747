"""Authentication: sessions and CSRF, legacy token keys, access tokens, Basic auth.

Theory of operation
-------------------
:func:`authenticate` runs DRF's authenticator chain as CVAT configures it, in order:
``Authorization: Token <key>`` (the key returned by ``POST /api/auth/login``),
``Authorization: Bearer <personal access token>``, the Django session cookie ``sessionid``
and ``Authorization: Basic``. The first authenticator that recognises its credentials wins;
one that recognises its scheme but rejects the credentials ends the chain with a 401 (the
``WWW-Authenticate`` header names the first authenticator, ``Token``, as DRF does).

Session authentication enforces Django's CSRF check on unsafe methods: the ``csrftoken``
cookie holds a 32-character secret and the ``X-CSRFToken`` header must carry that secret,
either as is or masked (64 characters), exactly like Django 4.x. Token, Bearer and Basic
authentication need no CSRF token. ``POST /api/auth/login`` skips session authentication,
so it is CSRF-exempt.

A ``sessionid`` cookie whose session the server does not know (it expired, was logged out,
or ``server.faults.expire_sessions()`` ended it) authenticates nobody: the request is
anonymous, so no CSRF check applies and DRF answers 401 where a user is needed. The answer
deletes the stale cookie, as Django's ``SessionMiddleware`` does for a session it could not
load.

Personal access tokens (CVAT 2.80) are stored with their raw value, which is shown only in
the creation response. A token cannot manage tokens (only list and view them), and a
read-only token cannot perform unsafe methods at all.
"""

from __future__ import annotations

import base64
import binascii
import string
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._context import Ctx, isodate, render, user_ref
from ._errors import NOT_AUTHENTICATED, ApiError, detail, field_error, permission_denied
from ._listing import ListSpec, paginate
from ._state import AccessToken, Session, User

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_AGE = 1209600  # Django's SESSION_COOKIE_AGE (two weeks)
CSRF_AGE = 31449600  # Django's CSRF_COOKIE_AGE (one year)
_CSRF_CHARS = string.ascii_letters + string.digits
_AUTH_HEADER = (("WWW-Authenticate", "Token"),)
DELETE_SESSION_COOKIE = (
    'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
)
"""Django's ``delete_cookie("sessionid")``."""


def _fail(message: str) -> ApiError:
    return ApiError(401, {"detail": message}, _AUTH_HEADER)


def authenticate(ctx: Ctx, *, use_session: bool = True) -> None:
    """Fill ``ctx.user``/``ctx.auth_kind``/``ctx.token`` or raise a 401/403."""
    srv = ctx.server
    state = srv.state
    header = ctx.header("authorization") or ""
    scheme, _, rest = header.partition(" ")
    scheme_l = scheme.lower()
    if scheme_l in ("token", "bearer"):
        parts = header.split()
        if len(parts) == 1:
            raise _fail("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise _fail("Invalid token header. Token string should not contain spaces.")
        key = parts[1]
        if scheme_l == "token":
            user_id = state.legacy_tokens.get(key)
            user = state.users.get(user_id) if user_id is not None else None
            if user is None:
                raise _fail("Invalid token.")
            if not user.is_active:
                raise _fail("User inactive or deleted.")
            ctx.user, ctx.auth_kind = user, "token"
            return
        token = _find_access_token(srv, key)
        if token is None:
            raise _fail("Invalid token.")
        user = state.users.get(token.owner_id)
        if user is None or not user.is_active:
            raise _fail("User inactive or deleted.")
        token.last_used = srv.now()
        ctx.user, ctx.auth_kind, ctx.token = user, "bearer", token
        return
    if use_session:
        session = state.sessions.get(ctx.cookies.get("sessionid", ""))
        if session is not None:
            user = state.users.get(session.user_id)
            if user is not None and user.is_active:
                if ctx.method not in SAFE_METHODS:
                    _enforce_csrf(ctx)
                ctx.user, ctx.auth_kind = user, "session"
                return
        elif "sessionid" in ctx.cookies:
            ctx.set_cookies.append(DELETE_SESSION_COOKIE)
    if scheme_l == "basic":
        parts = header.split()
        if len(parts) == 1:
            raise _fail("Invalid basic header. No credentials provided.")
        if len(parts) > 2:
            raise _fail("Invalid basic header. Credentials string should not contain spaces.")
        try:
            decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _fail("Invalid basic header. Credentials not correctly base64 encoded.") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise _fail("Invalid basic header. Credentials not correctly base64 encoded.")
        user = state.user_by_name(username)
        if user is None or user.password != password:
            raise _fail("Invalid username/password.")
        if not user.is_active:
            raise _fail("User inactive or deleted.")
        ctx.user, ctx.auth_kind = user, "basic"
    del rest


def require_user(ctx: Ctx) -> User:
    """The authenticated user, or DRF's 401."""
    if ctx.user is None:
        raise ApiError(401, {"detail": NOT_AUTHENTICATED}, _AUTH_HEADER)
    return ctx.user


def check_token_scope(ctx: Ctx) -> None:
    """Access-token plugin rules that apply to every endpoint (read-only tokens)."""
    if ctx.token is not None and ctx.token.read_only and ctx.method not in SAFE_METHODS:
        raise permission_denied()


def _find_access_token(srv: FakeServer, key: str) -> AccessToken | None:
    now = srv.now()
    for token in srv.state.access_tokens.values():
        if token.value == key and (token.expiry is None or token.expiry > now):
            return token
    return None


# ----------------------------------------------------------------------------------- CSRF
def _unmask(token: str) -> str:
    mask, cipher = token[:32], token[32:]
    pairs = zip(
        (_CSRF_CHARS.index(c) for c in cipher), (_CSRF_CHARS.index(c) for c in mask), strict=True
    )
    return "".join(_CSRF_CHARS[x - y] for x, y in pairs)


def _enforce_csrf(ctx: Ctx) -> None:
    origin = ctx.header("origin")
    if origin is not None and origin != ctx.base:
        raise detail(
            403,
            f"CSRF Failed: Origin checking failed - {origin} does not match any trusted origins.",
        )
    secret = ctx.cookies.get("csrftoken")
    if secret is None:
        raise detail(403, "CSRF Failed: CSRF cookie not set.")
    if len(secret) != 32:
        raise detail(403, "CSRF Failed: CSRF cookie has incorrect length.")
    token = ctx.header("x-csrftoken")
    if token is None:
        raise detail(403, "CSRF Failed: CSRF token missing.")
    source = "CSRF token from the 'X-Csrftoken' HTTP header"
    if len(token) not in (32, 64):
        raise detail(403, f"CSRF Failed: {source} has incorrect length.")
    if any(c not in _CSRF_CHARS for c in token):
        raise detail(403, f"CSRF Failed: {source} has invalid characters.")
    if (token if len(token) == 32 else _unmask(token)) != secret:
        raise detail(403, f"CSRF Failed: {source} incorrect.")


def _cookie(srv: FakeServer, name: str, value: str, max_age: int, *, http_only: bool) -> str:
    expires = datetime.fromtimestamp(srv.now() + max_age, UTC)
    parts = [f"{name}={value}", f"expires={format_datetime(expires, usegmt=True)}"]
    if http_only:
        parts.append("HttpOnly")
    parts += [f"Max-Age={max_age}", "Path=/", "SameSite=Lax"]
    return "; ".join(parts)


# ----------------------------------------------------------------------- auth endpoints
def login(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    data = ctx.data()
    username = data.get("username") or ""
    email = data.get("email") or ""
    password = data.get("password")
    if password in (None, ""):
        raise field_error(
            "password",
            "This field is required." if password is None else "This field may not be blank.",
        )
    user = None
    if username:
        user = srv.state.user_by_name(str(username))
    elif email:
        user = next((u for u in srv.state.users.values() if u.email == email), None)
    else:
        raise field_error(
            "non_field_errors", 'Must include either "username" or "email" and "password".'
        )
    if user is None or user.password != password or not user.is_active:
        raise field_error("non_field_errors", "Unable to log in with provided credentials.")
    user.last_login = srv.now()
    session_key = srv.random_string(32, string.ascii_lowercase + string.digits)
    srv.state.sessions[session_key] = Session(session_key, user.id)
    secret = ctx.cookies.get("csrftoken")
    if secret is None or len(secret) != 32 or any(c not in _CSRF_CHARS for c in secret):
        secret = srv.random_string(32, _CSRF_CHARS)
    key = next((k for k, uid in srv.state.legacy_tokens.items() if uid == user.id), None)
    if key is None:
        key = srv.random_string(40, "0123456789abcdef")
        srv.state.legacy_tokens[key] = user.id
    ctx.set_cookies.append(_cookie(srv, "csrftoken", secret, CSRF_AGE, http_only=False))
    ctx.set_cookies.append(_cookie(srv, "sessionid", session_key, SESSION_AGE, http_only=True))
    return render(ctx, 200, {"key": key})


def logout(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    session_key = ctx.cookies.get("sessionid")
    if session_key is not None and session_key in srv.state.sessions:
        del srv.state.sessions[session_key]
        ctx.set_cookies.append(DELETE_SESSION_COOKIE)
    if ctx.user is not None:
        for key in [k for k, uid in srv.state.legacy_tokens.items() if uid == ctx.user.id]:
            del srv.state.legacy_tokens[key]
    return render(ctx, 200, {"detail": "Successfully logged out."})


# ----------------------------------------------------------------------- access tokens
def token_json(ctx: Ctx, token: AccessToken, *, with_value: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "created_date": isodate(token.created),
        "updated_date": isodate(token.updated),
        "expiry_date": isodate(token.expiry),
        "last_used_date": isodate(token.last_used),
        "read_only": token.read_only,
        "owner": user_ref(ctx, ctx.server.state.users.get(token.owner_id)),
    }
    if with_value:
        result["value"] = token.value
    return result


TOKEN_LIST = ListSpec(
    filter_fields=(
        "created_date",
        "expiry_date",
        "id",
        "last_used_date",
        "name",
        "read_only",
        "updated_date",
    ),
    search_fields=("name",),
    sort_fields=(
        "created_date",
        "expiry_date",
        "id",
        "last_used_date",
        "name",
        "read_only",
        "updated_date",
    ),
    simple_filters=("name", "read_only"),
    default_sort="-id",
)


def _token_value(token: AccessToken, name: str) -> Any:
    return {
        "id": token.id,
        "name": token.name,
        "read_only": token.read_only,
        "created_date": token.created,
        "updated_date": token.updated,
        "expiry_date": token.expiry,
        "last_used_date": token.last_used,
    }[name]


def _parse_write(srv: FakeServer, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = data.get("name")
        if name is None:
            raise field_error(
                "name",
                "This field is required." if "name" not in data else "This field may not be null.",
            )
        if not isinstance(name, str) or not name.strip():
            raise field_error(
                "name",
                "This field may not be blank." if isinstance(name, str) else "Not a valid string.",
            )
        out["name"] = name
    if "read_only" in data:
        value = data["read_only"]
        if not isinstance(value, bool):
            raise field_error("read_only", "Must be a valid boolean.")
        out["read_only"] = value
    if "expiry_date" in data:
        value = data["expiry_date"]
        out["expiry_date"] = None if value is None else _parse_datetime("expiry_date", value)
        if out["expiry_date"] is not None and out["expiry_date"] <= srv.now():
            raise field_error("expiry_date", "Expiry date must be in the future.")
    return out


def _parse_datetime(field: str, value: object) -> float:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
    raise field_error(
        field,
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
    )


def _get_token(srv: FakeServer, ctx: Ctx, token_id: int, scope: str) -> AccessToken:
    user = require_user(ctx)
    token = srv.state.access_tokens.get(token_id)
    if token is None or (token.expiry is not None and token.expiry <= srv.now()):
        raise detail(404, "No AccessToken matches the given query.")
    if not user.is_superuser and token.owner_id != user.id:
        raise permission_denied()
    if ctx.token is not None and scope not in ("view",):
        raise permission_denied()
    return token


def list_tokens(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    now = srv.now()
    items = [
        t
        for t in srv.state.access_tokens.values()
        if t.owner_id == user.id and (t.expiry is None or t.expiry > now)
    ]
    return paginate(ctx, TOKEN_LIST, items, _token_value, lambda t: token_json(ctx, t))


def create_token(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    if ctx.token is not None:
        raise permission_denied()
    fields = _parse_write(srv, ctx.data(), partial=False)
    now = srv.now()
    token = AccessToken(
        id=srv.state.next_id("access_token"),
        name=fields["name"],
        owner_id=user.id,
        value=srv.random_string(40, _CSRF_CHARS),
        read_only=fields.get("read_only", False),
        created=now,
        updated=now,
        expiry=fields.get("expiry_date"),
    )
    srv.state.access_tokens[token.id] = token
    return render(ctx, 201, token_json(ctx, token, with_value=True))


def retrieve_token(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, token_json(ctx, _get_token(srv, ctx, int(id), "view")))


def update_token(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    token = _get_token(srv, ctx, int(id), "update")
    fields = _parse_write(srv, ctx.data(), partial=True)
    if "name" in fields:
        token.name = fields["name"]
    if "read_only" in fields:
        token.read_only = fields["read_only"]
    if "expiry_date" in fields:
        token.expiry = fields["expiry_date"]
    token.updated = srv.now()
    return render(ctx, 200, token_json(ctx, token))


def delete_token(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    token = _get_token(srv, ctx, int(id), "delete")
    del srv.state.access_tokens[token.id]
    return render(ctx, 204, None)


def token_self(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    """Only access-token authentication is considered by this endpoint (session is not)."""
    if ctx.token is None:
        raise ApiError(401, {"detail": NOT_AUTHENTICATED}, (("WWW-Authenticate", "Bearer"),))
    return render(ctx, 200, token_json(ctx, ctx.token))


# ----------------------------------------------------------------------------- server
def about(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    return render(
        ctx,
        200,
        {
            "name": "Computer Vision Annotation Tool",
            "description": (
                "CVAT is completely re-designed and re-implemented version of Video Annotation "
                "Tool from Irvine, California tool. It is free, online, interactive video and "
                "image annotation tool for computer vision. It is being used by our team to "
                "annotate million of objects with different properties. Many UI and UX decisions "
                "are based on feedbacks from professional data annotation team."
            ),
            "version": srv.version,
            "logo_url": ctx.base + "/assets/logo.svg",
            "subtitle": "Open Data Annotation Platform",
        },
    )


def register(router: Router) -> None:
    """Add the auth and server routes to ``router``."""
    router.add("POST", r"/api/auth/login", login, auth="none")
    router.add("POST", r"/api/auth/logout", logout, auth="optional")
    router.add("GET", r"/api/auth/access_tokens", list_tokens)
    router.add("POST", r"/api/auth/access_tokens", create_token)
    router.add("GET", r"/api/auth/access_tokens/self", token_self, auth="optional")
    router.add("GET", r"/api/auth/access_tokens/(?P<id>\d+)", retrieve_token)
    router.add("PATCH", r"/api/auth/access_tokens/(?P<id>\d+)", update_token)
    router.add("DELETE", r"/api/auth/access_tokens/(?P<id>\d+)", delete_token)
    router.add("GET", r"/api/server/about", about, auth="optional")
