"""Cassettes (hypothesis): any interaction written and read back is equal; reading never raises;
JSON bodies stay readable; the host filters undo each other."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st
from returns.result import Failure, Success

from cvatfn.http import HttpResponse
from cvatfn_cassette import (
    CASSETTE_BASE,
    FORMAT_VERSION,
    Body,
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    decode,
    dump,
    encode,
    load,
    localise_host,
    normalise_host,
)

NAMES = st.sampled_from(
    ["Content-Type", "content-type", "Set-Cookie", "Accept", "X-Organization", "Location"]
)
headers = st.lists(st.tuples(NAMES | st.text(max_size=20), st.text(max_size=40)), max_size=6)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
json_bytes = json_values.map(msgspec.json.encode) | json_values.map(
    lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
)
bodies = st.binary(max_size=200) | st.text(max_size=80).map(str.encode) | json_bytes
methods = st.sampled_from(["GET", "POST", "PATCH", "HEAD", "OPTIONS"]) | st.text(max_size=10)


@st.composite
def interactions(draw: st.DrawFn) -> Interaction:
    return Interaction(
        RecordedRequest(
            draw(methods),
            draw(st.text(max_size=60)),
            tuple(draw(headers)),
            Body(draw(bodies)),
        ),
        RecordedResponse(draw(st.integers(100, 599)), tuple(draw(headers)), Body(draw(bodies))),
        draw(st.text(max_size=30)),
    )


cassettes = st.builds(
    Cassette,
    st.just(FORMAT_VERSION),
    st.text(max_size=20),
    st.lists(interactions(), max_size=4).map(tuple),
)


@given(cassettes)
@example(Cassette(FORMAT_VERSION, "", ()))
def test_any_cassette_round_trips_in_memory(cassette: Cassette) -> None:
    data = encode(cassette)
    assert decode(data).unwrap() == cassette
    assert encode(decode(data).unwrap()) == data  # the written form is stable


@given(cassettes)
def test_any_cassette_round_trips_through_a_file(cassette: Cassette) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nested" / "c.json"
        assert dump(cassette, path).unwrap() is None
        loaded = load(path).unwrap()
        assert loaded == cassette
        for before, after in zip(cassette.interactions, loaded.interactions, strict=True):
            assert after.request.to_http() == before.request.to_http()
            assert after.response.to_http() == before.response.to_http()
        assert [p.name for p in path.parent.iterdir()] == ["c.json"]


def _stored_body(body: bytes) -> Any:
    cassette = Cassette(
        FORMAT_VERSION,
        "p",
        (
            Interaction(
                RecordedRequest("POST", "u", (), Body(body)),
                RecordedResponse(200, (), Body(body)),
                "t",
            ),
        ),
    )
    text = encode(cassette).decode("utf-8")  # a cassette file is always UTF-8 text
    return json.loads(text)["interactions"][0]["response"]["body"]


@given(json_bytes)
def test_json_bodies_are_stored_as_readable_text(body: bytes) -> None:
    stored = _stored_body(body)
    assert not (isinstance(stored, dict) and "base64" in stored)
    compact = body == msgspec.json.encode(msgspec.json.decode(body))
    if compact and body[:1] in (b"{", b"["):  # objects and arrays read as JSON
        assert stored == {"json": json.loads(body)}
    else:
        assert stored == body.decode("utf-8")


@given(st.binary(max_size=100))
def test_only_bytes_that_are_not_utf8_are_base64(body: bytes) -> None:
    stored = _stored_body(body)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        assert set(stored) == {"base64"}
    else:
        assert isinstance(stored, str) or set(stored) == {"json"}


@given(st.binary(max_size=300))
def test_decoding_arbitrary_bytes_never_raises(data: bytes) -> None:
    match decode(data, path="fuzz.json"):
        case Success(Cassette()):
            pass
        case Failure(CassetteError(path="fuzz.json", problem=str(problem))):
            assert problem
        case other:
            raise AssertionError(other)


@given(cassettes, st.data())
def test_damaged_cassettes_fail_cleanly(cassette: Cassette, data: st.DataObject) -> None:
    original = encode(cassette)
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, min(len(original), start + 20)))
    damaged = original[:start] + data.draw(st.binary(max_size=20)) + original[end:]
    match decode(damaged):
        case Success(Cassette()) | Failure(CassetteError()):
            pass
        case other:
            raise AssertionError(other)


@given(json_values, st.integers(1, 65535), st.sampled_from(["127.0.0.1", "localhost", "[::1]"]))
def test_normalise_then_localise_restores_every_url(value: Any, port: int, host: str) -> None:
    base = f"http://{host}:{port}"
    document = {"url": f"{base}/api/tasks/1", "next": f"{base}/api/tasks?page=2", "data": value}
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if CASSETTE_BASE.encode() in body:
        return
    response = HttpResponse(
        200,
        (("Content-Type", "application/json"), ("Content-Length", str(len(body)))),
        body,
    )
    recorded = Interaction(
        RecordedRequest("GET", f"{base}/api/tasks", (), Body()),
        RecordedResponse.of(response),
        "t",
    )
    moved = normalise_host(recorded, base)
    assert base.encode() not in moved.response.body.data
    assert json.loads(moved.response.body.data)["next"] == CASSETTE_BASE + "/api/tasks?page=2"
    assert localise_host(moved.response.to_http(), base) == response
    elsewhere = localise_host(moved.response.to_http(), "https://cvat.example.com")
    assert json.loads(elsewhere.body)["url"] == "https://cvat.example.com/api/tasks/1"
    assert elsewhere.header("Content-Length") == str(len(elsewhere.body))
