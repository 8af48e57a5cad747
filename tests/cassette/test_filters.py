"""Secrets never reach a cassette, and a cassette does not know the host it was recorded from."""

from __future__ import annotations

import base64
import doctest
import json
import random
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import Task
from cvatfn_cassette import (
    CASSETTE_BASE,
    Body,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    RecordingTransport,
    ReplayTransport,
    _filters,
    from_log,
    load,
    localise_host,
    normalise_host,
    redact,
)
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.integration.fake_process import fake_http_server

PASSWORD = "Tr0ub4dor&3-horse"
BASE = "http://127.0.0.1:8123"
JSON = (("Content-Type", "application/json"),)


def exchange(
    method: str,
    uri: str,
    request_headers: tuple[tuple[str, str], ...] = (),
    request_body: bytes = b"",
    status: int = 200,
    response_headers: tuple[tuple[str, str], ...] = (),
    response_body: bytes = b"",
) -> Interaction:
    return Interaction(
        RecordedRequest(method, uri, request_headers, Body(request_body)),
        RecordedResponse(status, response_headers, Body(response_body)),
        "2026-01-01T00:00:00Z",
    )


def interactions(path: Path) -> tuple[Interaction, ...]:
    return load(path).unwrap().interactions


def by_path(cassette: tuple[Interaction, ...], method: str, path: str) -> list[Interaction]:
    return [
        i
        for i in cassette
        if i.request.method == method and i.request.uri.split("?")[0] == CASSETTE_BASE + path
    ]


# ------------------------------------------------------------------------- the secret scan
def _session_headers(session: cvatfn.Session) -> tuple[tuple[str, str], ...]:
    auth = session.auth
    assert isinstance(auth, cvatfn.PasswordAuth)
    return (
        ("Accept", "application/vnd.cvat+json"),
        ("Content-Type", "application/json"),
        ("Cookie", f"sessionid={auth.sessionid}; csrftoken={auth.csrftoken}"),
        ("X-CSRFToken", auth.csrftoken),
        ("Origin", BASE),
    )


def _record_login_session(server: FakeServer, path: Path) -> None:
    """Password login (cookies, CSRF), an access token, a token login, Basic auth, logout."""
    with RecordingTransport(ValidatingTransport(server.transport()), path, mode="all") as recorder:
        session = cvatfn.connect(BASE, credentials=("alice", PASSWORD), transport=recorder).unwrap()
        cvatfn.tasks.create(session, {"name": "t", "labels": [{"name": "car"}]}).unwrap()
        created = recorder.handle(
            HttpRequest(
                "POST",
                f"{BASE}/api/auth/access_tokens",
                _session_headers(session),
                b'{"name":"ci","read_only":false}',
            )
        )
        assert created.status == 201
        token = json.loads(created.body)["value"]
        with_token = cvatfn.connect(BASE, access_token=token, transport=recorder).unwrap()
        assert cvatfn.users.retrieve_current_user(with_token).unwrap().username == "alice"
        key = next(
            json.loads(response.body)["key"]
            for request, response in server.log
            if request.url.endswith("/api/auth/login") and response.status == 200
        )
        for authorization in (
            f"Token {key}",
            "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
        ):
            answer = recorder.handle(
                HttpRequest("GET", f"{BASE}/api/users/self", (("Authorization", authorization),))
            )
            assert answer.status == 200
        cvatfn.logout(session).unwrap()


def _secrets_in(log: tuple[tuple[HttpRequest, HttpResponse], ...]) -> dict[str, set[str]]:
    """Every secret value the live exchanges carried, by kind."""
    found: dict[str, set[str]] = {
        "password": {PASSWORD},
        "basic credentials": {base64.b64encode(f"alice:{PASSWORD}".encode()).decode()},
    }
    for request, response in log:
        for header in (*response.header_values("Set-Cookie"), *request.header_values("Cookie")):
            for name, morsel in SimpleCookie(header).items():
                found.setdefault(f"cookie {name}", set()).add(morsel.value)
        found.setdefault("X-CSRFToken", set()).update(request.header_values("X-CSRFToken"))
        for header in request.header_values("Authorization"):
            scheme, _, credentials = header.partition(" ")
            found.setdefault(f"Authorization {scheme}", set()).add(credentials)
        if request.url.endswith("/api/auth/login") and response.status == 200:
            found.setdefault("login key", set()).add(json.loads(response.body)["key"])
        if request.url.endswith("/api/auth/access_tokens") and response.status == 201:
            found.setdefault("access token", set()).add(json.loads(response.body)["value"])
    return {kind: values - {""} for kind, values in found.items()}


def test_a_recorded_login_session_keeps_no_secret(tmp_path: Path) -> None:
    server = FakeServer()
    server.add_user("alice", PASSWORD)
    path = tmp_path / "login.json"
    _record_login_session(server, path)

    by_kind = _secrets_in(server.log)
    assert sorted(kind for kind, values in by_kind.items() if values) == [
        "Authorization Basic",
        "Authorization Bearer",
        "Authorization Token",
        "X-CSRFToken",
        "access token",
        "basic credentials",
        "cookie csrftoken",
        "cookie sessionid",
        "login key",
        "password",
    ]
    assert by_kind["Authorization Token"] == by_kind["login key"]
    assert by_kind["Authorization Bearer"] == by_kind["access token"]
    secrets = set().union(*by_kind.values())
    text = path.read_text(encoding="utf-8")
    for secret in secrets:
        assert secret not in text, secret
    for recorded in interactions(path):  # bodies stored as base64 are scanned too
        for value in (recorded.request.body.data, recorded.response.body.data):
            assert not any(secret.encode() in value for secret in secrets)
        for _, header in (*recorded.request.headers, *recorded.response.headers):
            assert not any(secret in header for secret in secrets)


def test_placeholders_keep_the_shapes_a_client_needs(tmp_path: Path) -> None:
    server = FakeServer()
    server.add_user("alice", PASSWORD)
    path = tmp_path / "login.json"
    _record_login_session(server, path)
    cassette = interactions(path)

    login = by_path(cassette, "POST", "/api/auth/login")[0]
    assert login.request.body.data == b'{"username":"alice","password":"<SECRET:password>"}'
    cookies: SimpleCookie = SimpleCookie()
    for name, value in login.response.headers:
        if name.lower() == "set-cookie":
            cookies.load(value)
    assert {k: m.value for k, m in cookies.items()} == {
        "csrftoken": "<SECRET:csrftoken>",
        "sessionid": "<SECRET:sessionid>",
    }
    assert cookies["sessionid"]["httponly"] is True  # attributes are kept
    assert json.loads(login.response.body.data) == {"key": "<SECRET:key>"}

    unsafe = by_path(cassette, "POST", "/api/tasks")[0].request
    cookie_header = dict(unsafe.headers)["Cookie"]
    assert cookie_header == "sessionid=<SECRET:sessionid>; csrftoken=<SECRET:csrftoken>"
    assert dict(unsafe.headers)["X-CSRFToken"] == cookies["csrftoken"].value  # consistent

    token = by_path(cassette, "POST", "/api/auth/access_tokens")[0]
    value = json.loads(token.response.body.data)["value"]
    assert isinstance(value, str)
    assert value == "<SECRET:token>"
    content_length = dict(token.response.headers)["Content-Length"]
    assert content_length == str(len(token.response.body.data))
    authorizations = [
        dict(i.request.headers).get("Authorization")
        for i in by_path(cassette, "GET", "/api/users/self")
    ]
    assert "Bearer <SECRET:token>" in authorizations
    assert "Token <SECRET:key>" in authorizations
    assert "Basic <SECRET:Authorization>" in authorizations

    # The same login replays: cvatfn reads the placeholder cookies and authenticates with them.
    replay = ReplayTransport(path)
    again = cvatfn.connect(
        "https://cvat.example.com", credentials=("alice", "any password"), transport=replay
    ).unwrap()
    assert isinstance(again.auth, cvatfn.PasswordAuth)
    assert (again.auth.sessionid, again.auth.csrftoken) == (
        "<SECRET:sessionid>",
        "<SECRET:csrftoken>",
    )
    task = cvatfn.tasks.create(again, {"name": "t", "labels": [{"name": "car"}]}).unwrap()
    assert task.url == "https://cvat.example.com/api/tasks/1"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("authorization", "Token abc", "Token <SECRET:key>"),
        ("AUTHORIZATION", "Bearer abc", "Bearer <SECRET:token>"),
        ("Authorization", "bearer abc", "bearer <SECRET:token>"),
        ("Authorization", "Basic YTpi", "Basic <SECRET:Authorization>"),
        ("Authorization", "Digest x=1, y=2", "Digest <SECRET:Authorization>"),
        ("Authorization", "opaque", "<SECRET:Authorization>"),
        ("proxy-authorization", "Basic YTpi", "<SECRET:Proxy-Authorization>"),
        ("x-csrftoken", "a" * 64, "<SECRET:csrftoken>"),
        ("COOKIE", "a=1;b=2; c=", "a=<SECRET:a>; b=<SECRET:b>; c="),
        ("Cookie", 'flag; s=""', 'flag; s=""'),
        ("Accept", "secret-looking", "secret-looking"),
    ],
)
def test_request_headers_case_insensitively(name: str, value: str, expected: str) -> None:
    clean = redact(exchange("GET", "http://h/api/x", ((name, value),)))
    assert clean.request.headers == ((name, expected),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "sessionid=k; expires=Thu, 01 Jan 2026 00:00:00 GMT; HttpOnly; Max-Age=1209600",
            "sessionid=<SECRET:sessionid>; expires=Thu, 01 Jan 2026 00:00:00 GMT; HttpOnly; "
            "Max-Age=1209600",
        ),
        (
            'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
            'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
        ),
        ("csrftoken=abc", "csrftoken=<SECRET:csrftoken>"),
        ("weird", "weird"),
    ],
)
def test_set_cookie_keeps_names_and_attributes(value: str, expected: str) -> None:
    clean = redact(exchange("GET", "http://h/api/x", response_headers=(("set-COOKIE", value),)))
    assert clean.response.headers == (("set-COOKIE", expected),)


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/api/auth/login",
            {"username": "u", "password": "p"},
            {"username": "u", "password": "<SECRET:password>"},
        ),
        (
            "/api/auth/login/",
            {"email": "e", "password": "p"},
            {"email": "e", "password": "<SECRET:password>"},
        ),
        (
            "/api/auth/register",
            {"username": "u", "password1": "p", "password2": "p"},
            {"username": "u", "password1": "<SECRET:password1>", "password2": "<SECRET:password2>"},
        ),
        (
            "/api/auth/password/change",
            {"old_password": "a", "new_password1": "b", "new_password2": "b"},
            {
                "old_password": "<SECRET:old_password>",
                "new_password1": "<SECRET:new_password1>",
                "new_password2": "<SECRET:new_password2>",
            },
        ),
        (
            "/api/auth/password/reset/confirm",
            {"uid": "1", "token": "t", "new_password1": "b"},
            {"uid": "1", "token": "<SECRET:token>", "new_password1": "<SECRET:new_password1>"},
        ),
        ("/api/auth/login", {"username": "u", "password": ""}, {"username": "u", "password": ""}),
        (
            "/api/tasks",
            {"name": "password", "password": "not a login"},
            {"name": "password", "password": "not a login"},
        ),
    ],
)
def test_passwords_in_json_bodies(path: str, body: object, expected: object) -> None:
    data = json.dumps(body).encode()
    headers = (*JSON, ("Content-Length", str(len(data))))
    clean = redact(exchange("POST", f"http://h{path}", headers, data)).request
    assert json.loads(clean.body.data) == expected
    assert dict(clean.headers)["Content-Length"] == str(len(clean.body.data))


def test_passwords_in_form_bodies() -> None:
    form = (("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),)
    data = b"username=alice&password=p%40ss+word&next=%2F"
    clean = redact(exchange("POST", "http://h/api/auth/login?x=1", form, data)).request
    assert clean.body.data == b"username=alice&password=%3CSECRET%3Apassword%3E&next=%2F"


@pytest.mark.parametrize("body", [b"[1,2]", b"not json", b"\xff\xfe", b'"password"'])
def test_other_login_bodies_are_kept(body: bytes) -> None:
    clean = redact(exchange("POST", "http://h/api/auth/login", JSON, body))
    assert clean.request.body.data == body


@pytest.mark.parametrize(
    ("method", "path", "answer", "expected"),
    [
        ("POST", "/api/auth/login", {"key": "k"}, {"key": "<SECRET:key>"}),
        (
            "POST",
            "/api/auth/register",
            {"username": "u", "key": "k"},
            {"username": "u", "key": "<SECRET:key>"},
        ),
        (
            "POST",
            "/api/auth/access_tokens",
            {"id": 1, "value": "v"},
            {"id": 1, "value": "<SECRET:token>"},
        ),
        (
            "GET",
            "/api/auth/access_tokens",
            {"count": 1, "results": [{"id": 1, "value": "v"}]},
            {"count": 1, "results": [{"id": 1, "value": "<SECRET:token>"}]},
        ),
        ("GET", "/api/tasks/1", {"key": "k", "value": "v"}, {"key": "k", "value": "v"}),
    ],
)
def test_token_keys_in_answers(method: str, path: str, answer: object, expected: object) -> None:
    clean = redact(exchange(method, f"http://h{path}", response_body=json.dumps(answer).encode()))
    assert json.loads(clean.response.body.data) == expected


def test_redaction_is_stable_and_idempotent() -> None:
    first = exchange(
        "POST",
        "http://h/api/auth/login",
        (("Cookie", "csrftoken=one"), *JSON),
        b'{"password":"one"}',
        response_headers=(("Set-Cookie", "sessionid=one"),),
        response_body=b'{"key":"one"}',
    )
    second = exchange(
        "POST",
        "http://h/api/auth/login",
        (("Cookie", "csrftoken=two"), *JSON),
        b'{"password":"two"}',
        response_headers=(("Set-Cookie", "sessionid=two"),),
        response_body=b'{"key":"two"}',
    )
    assert redact(first) == redact(second)
    assert redact(redact(first)) == redact(first)


# ------------------------------------------------------- every cassette in the repository
REPO = Path(__file__).resolve().parents[2]
COMMITTED = sorted(REPO.glob("tests/**/cassettes/**/*.json"))
PLACEHOLDER = re.compile(r"<SECRET:[^<>]+>")


def leaks(cassette: Cassette) -> list[str]:
    """Every place of ``cassette`` where a secret or the recording host is not filtered."""
    found: list[str] = []

    def check(where: str, value: str) -> None:
        if value not in ("", '""') and not PLACEHOLDER.fullmatch(value):
            found.append(f"{where}: {value[:20]!r}")

    for index, recorded in enumerate(cassette.interactions):
        request, response = recorded.request, recorded.response
        path = urlsplit(request.uri).path.rstrip("/")
        if not request.uri.startswith(CASSETTE_BASE + "/"):
            found.append(f"[{index}] uri: {request.uri!r}")
        for name, value in request.headers:
            lowered = f"[{index}] {name.lower()}"
            if name.lower() in ("authorization", "proxy-authorization", "x-csrftoken"):
                check(lowered, value.split(" ", 1)[-1])
            elif name.lower() == "cookie":
                for pair in value.split(";"):
                    check(lowered, pair.partition("=")[2].strip())
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                check(f"[{index}] set-cookie", value.split(";")[0].partition("=")[2])
        if path.startswith("/api/auth/") and request.body.data.startswith(b"{"):
            sent = json.loads(request.body.data)
            for field in _filters.PASSWORD_FIELDS & set(sent):
                check(f"[{index}] request {field}", str(sent[field]))
        answer = response.body.data
        if answer.startswith(b"{") and path.startswith("/api/auth/"):
            document = json.loads(answer)
            items = [document, *document.get("results", [])]
            for item, field in ((i, f) for i in items for f in ("key", "value") if f in i):
                check(f"[{index}] response {field}", str(item[field]))
    return found


def test_the_scan_finds_what_is_not_filtered(tmp_path: Path) -> None:
    server = FakeServer()
    server.add_user("alice", PASSWORD)
    _record_login_session(server, tmp_path / "clean.json")
    bridged = from_log(server.log)  # filtered: nothing to find
    assert leaks(bridged) == []
    unfiltered = Cassette(
        1,
        "raw",
        tuple(
            Interaction(RecordedRequest.of(q), RecordedResponse.of(a), "t") for q, a in server.log
        ),
    )
    where = {entry.split(":")[0] for entry in leaks(unfiltered)}
    assert {"[0] uri", "[1] request password", "[1] set-cookie", "[1] response key"} <= where
    assert any(w.endswith(("x-csrftoken", "cookie")) for w in where)
    assert any(w.endswith("response value") for w in where)
    assert any(w.endswith("authorization") for w in where)


@pytest.mark.skipif(not COMMITTED, reason="no cassette is committed yet")
@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_committed_cassette_keeps_no_secret_and_no_host(path: Path) -> None:
    cassette = load(path).unwrap()
    assert leaks(cassette) == []
    text = path.read_text(encoding="utf-8")
    assert "127.0.0.1" not in text
    assert "localhost:" not in text


# ------------------------------------------------------------------------------- hosts
def test_the_origin_is_replaced_only_as_a_whole() -> None:
    body = json.dumps(
        {
            "url": "http://127.0.0.1:8123/api/tasks/1",
            "other_port": "http://127.0.0.1:81234/api/tasks/1",
            "other_host": "http://127.0.0.1:8123.evil.example/x",
            "upper": "HTTP://127.0.0.1:8123/api",
            "bare": "http://127.0.0.1:8123",
            "text": "see http://127.0.0.1:8123/api/docs, then http://127.0.0.1:8123?x=1",
            "nested": [{"next": "http://127.0.0.1:8123/api/tasks?page=2"}],
        }
    ).encode()
    moved = normalise_host(
        exchange("GET", BASE + "/api/x", response_headers=JSON, response_body=body), BASE
    )
    assert json.loads(moved.response.body.data) == {
        "url": "http://cvat.cassette/api/tasks/1",
        "other_port": "http://127.0.0.1:81234/api/tasks/1",
        "other_host": "http://127.0.0.1:8123.evil.example/x",
        "upper": "http://cvat.cassette/api",
        "bare": "http://cvat.cassette",
        "text": "see http://cvat.cassette/api/docs, then http://cvat.cassette?x=1",
        "nested": [{"next": "http://cvat.cassette/api/tasks?page=2"}],
    }


def test_headers_uri_and_lengths() -> None:
    request_headers = (
        ("Host", "127.0.0.1:8123"),
        ("Origin", BASE),
        ("referer", BASE + "/tasks"),
        ("X-Other", BASE),
    )
    body = b'{"url":"http://127.0.0.1:8123/api/tasks/1"}'
    response_headers = (
        ("Location", BASE + "/api/tasks/1/data/abc"),
        ("Content-Type", "application/vnd.cvat+json"),
        ("Content-Length", str(len(body))),
    )
    moved = normalise_host(
        exchange("POST", BASE + "/api/tasks?next=" + BASE, request_headers, b"",
                 201, response_headers, body),
        "HTTP://127.0.0.1:8123/some/path",
    )  # fmt: skip
    assert moved.request.uri == "http://cvat.cassette/api/tasks?next=http://cvat.cassette"
    assert moved.request.headers == (
        ("Host", "cvat.cassette"),
        ("Origin", "http://cvat.cassette"),
        ("referer", "http://cvat.cassette/tasks"),
        ("X-Other", BASE),  # not a header that carries the server's URL
    )
    assert moved.response.headers == (
        ("Location", "http://cvat.cassette/api/tasks/1/data/abc"),
        ("Content-Type", "application/vnd.cvat+json"),
        ("Content-Length", str(len(moved.response.body.data))),
    )
    back = localise_host(moved.response.to_http(), BASE)
    assert back == HttpResponse(201, response_headers, body)


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "image/png", "application/zip", ""]
)
def test_binary_bodies_are_never_touched(content_type: str) -> None:
    body = b"\x00PK http://127.0.0.1:8123/api/tasks/1"
    headers = (("Content-Type", content_type),) if content_type else ()
    moved = normalise_host(
        exchange("POST", BASE + "/api/x", headers, body, 200, headers, body), BASE
    )
    assert moved.request.body.data == body
    assert moved.response.body.data == body


@pytest.mark.parametrize(
    "content_type",
    ["text/html; charset=utf-8", "text/plain", "application/xml", "application/problem+json"],
)
def test_text_bodies_are_normalised(content_type: str) -> None:
    body = b"<a href='http://127.0.0.1:8123/api/x'>x</a>"
    headers = (("Content-Type", content_type),)
    moved = normalise_host(exchange("GET", BASE + "/x", (), b"", 404, headers, body), BASE)
    assert moved.response.body.data == b"<a href='http://cvat.cassette/api/x'>x</a>"


def test_localise_leaves_other_answers_alone() -> None:
    response = HttpResponse(200, JSON, b'{"url":"http://cvat.cassette.example/x"}')
    assert localise_host(response, "http://localhost:1") == response
    moved = HttpResponse(200, JSON, b'{"url":"http://cvat.cassette/x"}')
    assert localise_host(moved, CASSETTE_BASE) == moved
    assert localise_host(moved, "not a url") == moved
    assert localise_host(moved, "http://[::1").body == moved.body


@pytest.mark.parametrize("base", ["", "relative/path", "http://[::1", "http:///nohost"])
def test_unusable_bases_change_nothing(base: str) -> None:
    original = exchange("GET", BASE + "/api/x", response_headers=JSON, response_body=b'{"a":1}')
    assert normalise_host(original, base) == original


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    """Noise images, so that they are larger than the upload limit of the scenario."""
    noise = random.Random(0)
    paths = []
    for index in range(2):
        path = tmp_path / f"img_{index}.png"
        Image.frombytes("RGB", (48, 40), noise.randbytes(48 * 40 * 3)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def http_front() -> Iterator[str]:
    with fake_http_server() as base:
        yield base


@pytest.mark.http
def test_a_cassette_recorded_over_http_knows_no_host(
    http_front: str, images: list[Path], tmp_path: Path
) -> None:
    port = http_front.rsplit(":", 1)[1]
    assert http_front == f"http://127.0.0.1:{port}"
    path = tmp_path / "cassettes" / "host.json"
    config = cvatfn.Config(page_size=2, max_request_size=4096, tus_chunk_size=4096)
    with Urllib3Transport() as inner, RecordingTransport(inner, path, mode="all") as recorder:
        session = cvatfn.connect(
            http_front, credentials=("admin", "admin"), transport=recorder, config=config
        ).unwrap()
        for name in ("a", "b"):
            cvatfn.tasks.create(session, {"name": name, "labels": [{"name": "car"}]}).unwrap()
        task = cvatfn.tasks.create_from_data(
            session,
            spec={"name": "tus", "labels": [{"name": "car"}]},
            resources=images,
            resource_type=cvatfn.ResourceType.LOCAL,
        ).unwrap()
        live = cvatfn.tasks.list(session).unwrap()
        cvatfn.tasks.export_dataset(
            session, task, "CVAT for images 1.1", tmp_path / "t.zip"
        ).unwrap()

    text = path.read_text(encoding="utf-8")
    assert "127.0.0.1" not in text
    assert f":{port}" not in text
    document = json.loads(text)
    for recorded in document["interactions"]:
        for part in ("request", "response"):
            body = recorded[part]["body"]
            binary = isinstance(body, dict) and "base64" in body
            readable = json.dumps([recorded[part]["headers"], "" if binary else body])
            assert port not in readable
        assert port not in recorded["request"]["uri"]
    cassette = load(path).unwrap()
    assert by_path(cassette.interactions, "GET", "/api/tasks")
    locations = [dict(i.response.headers).get("Location", "") for i in cassette.interactions]
    assert any(url.startswith(CASSETTE_BASE + "/api/tasks/") for url in locations)
    assert f'"next": "{CASSETTE_BASE}/api/tasks?page=2' in text
    assert f'"result_url": "{CASSETTE_BASE}/api/' in text

    elsewhere = "https://cvat.example.com:8443"
    urls = _absolute_urls(cassette, elsewhere)
    assert {"url", "next", "previous", "result_url", "Location"} <= {kind for kind, _ in urls}
    assert all(url.startswith(elsewhere + "/") for _, url in urls), urls

    replay = ReplayTransport(path)
    again = cvatfn.connect(
        elsewhere, credentials=("admin", "admin"), transport=replay, config=config
    )
    replayed = again.map(lambda s: _replay_scenario(s, images, tmp_path))
    tasks = replayed.unwrap()
    assert [t.name for t in tasks] == [t.name for t in live]
    assert [t.url.replace(elsewhere, http_front) for t in tasks] == [t.url for t in live]
    assert all(isinstance(t, Task) and t.url.startswith(elsewhere + "/api/tasks/") for t in tasks)
    assert replay.all_played


def _replay_scenario(session: cvatfn.Session, images: list[Path], tmp_path: Path) -> list[Task]:
    for name in ("a", "b"):
        cvatfn.tasks.create(session, {"name": name, "labels": [{"name": "car"}]}).unwrap()
    task = cvatfn.tasks.create_from_data(
        session,
        spec={"name": "tus", "labels": [{"name": "car"}]},
        resources=images,
        resource_type=cvatfn.ResourceType.LOCAL,
    ).unwrap()
    tasks = cvatfn.tasks.list(session).unwrap()
    cvatfn.tasks.export_dataset(session, task, "CVAT for images 1.1", tmp_path / "r.zip").unwrap()
    return tasks


def _absolute_urls(cassette: Cassette, base: str) -> list[tuple[str, str]]:
    """(field or header name, URL) of every absolute URL in the answers, localised to ``base``."""
    found: list[tuple[str, str]] = []

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            found.append((key, value))

    for recorded in cassette.interactions:
        response = localise_host(recorded.response.to_http(), base)
        found.extend((n, v) for n, v in response.headers if n.lower() == "location")
        if response.header("Content-Type") in ("application/vnd.cvat+json", "application/json"):
            walk(json.loads(response.body), "")
    return found


# ---------------------------------------------------------------------------- examples
def test_docstring_examples_run() -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = sorted(
        (t for t in finder.find(_filters) if t.examples), key=lambda t: (t.lineno or 0, t.name)
    )
    assert tests
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    shared: dict[str, object] = {**vars(_filters)}
    for test in tests:
        test.globs = shared
        runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0
