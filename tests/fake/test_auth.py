from __future__ import annotations

from cvatfn.http import HttpRequest
from cvatfn_fake import FakeServer

from .conftest import BASE, Api


def _cookies(reply_headers: tuple[str, ...]) -> dict[str, str]:
    jar: dict[str, str] = {}
    for value in reply_headers:
        name, _, rest = value.partition("=")
        jar[name] = rest.split(";")[0]
    return jar


def _login(
    api: Api, username: str = "admin", password: str = "admin"
) -> tuple[str, dict[str, str]]:
    reply = api.post("/api/auth/login", {"username": username, "password": password})
    assert reply.status == 200
    return reply.data["key"], _cookies(reply.response.header_values("set-cookie"))


def test_about_needs_no_auth_and_reports_2_80(anon: Api) -> None:
    reply = anon.get("/api/server/about")
    assert reply.status == 200
    assert reply.data["version"] == "2.80.0"
    assert reply.data["logo_url"] and reply.data["subtitle"]
    assert reply.header("content-type") == "application/vnd.cvat+json"


def test_protected_endpoint_without_credentials_is_401(anon: Api) -> None:
    reply = anon.get("/api/tasks")
    assert reply.status == 401
    assert reply.data == {"detail": "Authentication credentials were not provided."}
    assert reply.header("www-authenticate") == "Token"


def test_wrong_password_and_bad_tokens(server: FakeServer, anon: Api) -> None:
    reply = anon.post("/api/auth/login", {"username": "admin", "password": "nope"})
    assert reply.status == 400
    assert reply.data == {"non_field_errors": ["Unable to log in with provided credentials."]}
    for header in ("Token deadbeef", "Bearer deadbeef"):
        bad = anon.get("/api/users/self", headers=(("Authorization", header),))
        assert (bad.status, bad.data) == (401, {"detail": "Invalid token."})
    basic = anon.get("/api/users/self", headers=(("Authorization", "Basic YWRtaW46bm9wZQ=="),))
    assert (basic.status, basic.data) == (401, {"detail": "Invalid username/password."})


def test_login_sets_django_cookies_and_token_key_works(anon: Api) -> None:
    reply = anon.post("/api/auth/login", {"username": "admin", "password": "admin"})
    cookies = reply.response.header_values("set-cookie")
    session = next(c for c in cookies if c.startswith("sessionid="))
    csrf = next(c for c in cookies if c.startswith("csrftoken="))
    assert "HttpOnly" in session and "Path=/" in session and "SameSite=Lax" in session
    assert "Max-Age=1209600" in session
    assert "HttpOnly" not in csrf and "Max-Age=31449600" in csrf
    key = reply.data["key"]
    me = anon.get("/api/users/self", headers=(("Authorization", f"Token {key}"),))
    assert me.status == 200 and me.data["username"] == "admin"


def test_login_by_email(server: FakeServer, anon: Api) -> None:
    server.add_user("eve", "pw", email="eve@example.com")
    reply = anon.post("/api/auth/login", {"email": "eve@example.com", "password": "pw"})
    assert reply.status == 200


def test_session_cookie_needs_csrf_for_unsafe_methods(anon: Api) -> None:
    _, jar = _login(anon)
    cookie = ("Cookie", f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}")
    assert anon.get("/api/users/self", headers=(cookie,)).status == 200
    missing = anon.post("/api/projects", {"name": "p"}, headers=(cookie,))
    assert (missing.status, missing.data) == (403, {"detail": "CSRF Failed: CSRF token missing."})
    wrong = anon.post("/api/projects", {"name": "p"}, headers=(cookie, ("X-CSRFToken", "a" * 32)))
    assert wrong.status == 403
    assert wrong.data == {
        "detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
    }
    no_cookie = anon.post(
        "/api/projects",
        {"name": "p"},
        headers=(("Cookie", f"sessionid={jar['sessionid']}"), ("X-CSRFToken", jar["csrftoken"])),
    )
    assert no_cookie.data == {"detail": "CSRF Failed: CSRF cookie not set."}
    good = anon.post(
        "/api/projects", {"name": "p"}, headers=(cookie, ("X-CSRFToken", jar["csrftoken"]))
    )
    assert good.status == 201


def test_masked_csrf_token_is_accepted(anon: Api) -> None:
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    _, jar = _login(anon)
    secret = jar["csrftoken"]
    mask = "b" * 32
    masked = mask + "".join(
        chars[(chars.index(s) + chars.index(m)) % len(chars)]
        for s, m in zip(secret, mask, strict=True)
    )
    cookie = ("Cookie", f"sessionid={jar['sessionid']}; csrftoken={secret}")
    reply = anon.post("/api/projects", {"name": "p"}, headers=(cookie, ("X-CSRFToken", masked)))
    assert reply.status == 201


def test_logout_ends_session_and_key(anon: Api) -> None:
    key, jar = _login(anon)
    cookie = ("Cookie", f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}")
    out = anon.post("/api/auth/logout", headers=(cookie, ("X-CSRFToken", jar["csrftoken"])))
    assert (out.status, out.data) == (200, {"detail": "Successfully logged out."})
    assert any(c.startswith('sessionid=""') for c in out.response.header_values("set-cookie"))
    assert anon.get("/api/users/self", headers=(cookie,)).status == 401
    assert anon.get("/api/users/self", headers=(("Authorization", f"Token {key}"),)).status == 401


def test_access_tokens(server: FakeServer, admin: Api, anon: Api) -> None:
    created = admin.post("/api/auth/access_tokens", {"name": "ci", "read_only": True})
    assert created.status == 201
    value = created.data["value"]
    token_id = created.data["id"]
    bearer = (("Authorization", f"Bearer {value}"),)
    listed = admin.get("/api/auth/access_tokens")
    assert listed.data["count"] == 1 and "value" not in listed.data["results"][0]
    me = anon.get("/api/auth/access_tokens/self", headers=bearer)
    assert me.status == 200 and me.data["id"] == token_id and me.data["last_used_date"]
    assert admin.get("/api/auth/access_tokens/self").status == 401
    assert anon.get("/api/tasks", headers=bearer).status == 200
    denied = anon.post("/api/projects", {"name": "p"}, headers=bearer)
    assert (denied.status, denied.data["detail"]) == (
        403,
        "You do not have permission to perform this action.",
    )
    writable = admin.post("/api/auth/access_tokens", {"name": "rw"}).data["value"]
    rw = (("Authorization", f"Bearer {writable}"),)
    assert anon.post("/api/projects", {"name": "p"}, headers=rw).status == 201
    assert anon.post("/api/auth/access_tokens", {"name": "x"}, headers=rw).status == 403
    assert (
        admin.patch(f"/api/auth/access_tokens/{token_id}", {"name": "renamed"}).data["name"]
        == "renamed"
    )
    assert admin.delete(f"/api/auth/access_tokens/{token_id}").status == 204
    assert anon.get("/api/tasks", headers=bearer).status == 401


def test_unknown_route_and_method(admin: Api) -> None:
    reply = admin.get("/api/nothing-here")
    assert reply.status == 404 and "text/html" in (reply.header("content-type") or "")
    wrong = admin.call("PUT", "/api/tasks")
    assert (wrong.status, wrong.data) == (405, {"detail": 'Method "PUT" not allowed.'})


def test_internal_errors_become_500(server: FakeServer) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    server.router.add("GET", r"/api/boom", boom, auth="none")
    response = server.handle(HttpRequest("GET", BASE + "/api/boom"))
    assert response.status == 500
    assert response.body == b'{"detail":"A server error occurred."}'
