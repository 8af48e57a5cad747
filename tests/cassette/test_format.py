"""The cassette format: exact round trips, readable storage, strict reading, atomic writes."""

from __future__ import annotations

import base64
import doctest
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_cassette import (
    FORMAT_VERSION,
    Body,
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    _format,
    decode,
    dump,
    encode,
    load,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def interaction(
    request_body: bytes = b"", response_body: bytes = b"", status: int = 200
) -> Interaction:
    return Interaction(
        RecordedRequest(
            "POST",
            "http://cvat.cassette/api/tasks?org=lab",
            (("Accept", "application/vnd.cvat+json"), ("X-Thing", "a, b"), ("X-Thing", "ç")),
            Body(request_body),
        ),
        RecordedResponse(status, (("Content-Type", "application/json"),), Body(response_body)),
        "2026-01-01T00:00:00Z",
    )


def cassette(*interactions: Interaction) -> Cassette:
    return Cassette(FORMAT_VERSION, "tests", interactions)


def stored_body(data: bytes, where: str = "response") -> Any:
    document = json.loads(encode(cassette(interaction(response_body=data, request_body=data))))
    return document["interactions"][0][where]["body"]


def valid_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(encode(cassette(interaction(b"{}", b'{"id":1}'))))
    return document


def write_json(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def failure_of(path: Path) -> CassetteError:
    result = load(path)
    error = result.failure()
    assert isinstance(error, CassetteError)
    assert error.path == str(path)
    assert str(error).startswith(f"{path}: ")
    assert error.message == str(error)
    return error


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"plain text \xc3\xa7a va",
        b'{"id":1,"name":"t","labels":[{"name":"car"}],"ratio":0.5,"none":null}',
        b'{ "id": 1 }',  # JSON, but not compact: stored as text, bytes kept
        b'["a",1]',
        b'"just a string"',
        b"{not json",
        PNG,
        b"\xff",
        bytes(range(256)),
        b'{"a":1,"a":2}',  # duplicate keys cannot be re-encoded: text
        b'{"big":123456789012345678901234567890}',
        b"\r\n\t\x00",
    ],
)
def test_every_body_round_trips_exactly(data: bytes, tmp_path: Path) -> None:
    original = cassette(interaction(data, data), interaction())
    assert decode(encode(original)).unwrap() == original
    target = tmp_path / "c.json"
    assert dump(original, target).unwrap() is None
    loaded = load(target).unwrap()
    assert loaded == original
    assert loaded.interactions[0].request.body.data == data
    assert loaded.interactions[0].response.to_http().body == data


def test_http_values_convert_both_ways() -> None:
    request = HttpRequest("PATCH", "http://h/api/jobs/1", (("A", "1"), ("a", "2")), b"\x00")
    response = HttpResponse(201, (("Set-Cookie", "x=1"), ("Set-Cookie", "y=2")), b"ok")
    assert RecordedRequest.of(request).to_http() == request
    assert RecordedResponse.of(response).to_http() == response
    assert RecordedRequest.of(request).headers == (("A", "1"), ("a", "2"))


def test_json_bodies_are_stored_as_json_values() -> None:
    assert stored_body(b'{"count":2,"next":null,"results":[1,2]}') == {
        "json": {"count": 2, "next": None, "results": [1, 2]}
    }
    assert stored_body(b'"text in json"') == '"text in json"'


def test_text_bodies_are_stored_as_strings_and_binary_as_base64() -> None:
    assert stored_body(b"") == ""
    assert stored_body(b"hello\nworld") == "hello\nworld"
    assert stored_body(b'{ "id": 1 }') == '{ "id": 1 }'
    assert stored_body(PNG) == {"base64": base64.b64encode(PNG).decode()}


def test_the_file_is_pretty_stable_and_readable() -> None:
    value = cassette(interaction(b"", b'{"id":1,"points":[1.5,2,3]}'))
    text = encode(value).decode("utf-8")
    assert text == encode(value).decode("utf-8")
    assert text.endswith("}\n")
    lines = text.splitlines()
    assert lines[:4] == [
        "{",
        '  "version": 1,',
        '  "recorded_with": "tests",',
        '  "interactions": [',
    ]
    assert '          ["X-Thing", "a, b"],' in lines  # one header per line, commas kept
    assert '          ["X-Thing", "ç"]' in lines  # non-ASCII written as is
    assert '            "points": [1.5, 2, 3]' in lines
    keys = list(json.loads(text)["interactions"][0])
    assert keys == ["request", "response", "recorded_at"]


def test_iso_timestamps_are_utc() -> None:
    assert _format.iso_timestamp(86400 * 365) == "1971-01-01T00:00:00Z"
    now = _format.iso_timestamp()
    assert now.endswith("Z")
    assert now[:2] == "20"


# ------------------------------------------------------------------------ malformed files
def test_a_missing_file() -> None:
    error = failure_of(Path("/nonexistent/dir/cassette.json"))
    assert error.problem == "the cassette does not exist"


def test_a_directory(tmp_path: Path) -> None:
    assert "directory" in failure_of(tmp_path).problem


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b"interactions: []\n")
    problem = failure_of(path).problem
    assert problem.startswith("not a valid JSON cassette: JSON is malformed")
    assert "(byte 0)" in problem


def test_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(encode(cassette(interaction()))[:-40])
    assert failure_of(path).problem == "not a valid JSON cassette: Input data was truncated"


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b"")
    assert "truncated" in failure_of(path).problem


@pytest.mark.parametrize(("document", "kind"), [([], "array"), ("x", "str"), (1, "int")])
def test_wrong_top_level_type(tmp_path: Path, document: object, kind: str) -> None:
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == f"not a cassette: Expected `object`, got `{kind}`"


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_unknown_version(tmp_path: Path, version: object) -> None:
    document = {**valid_document(), "version": version}
    problem = failure_of(write_json(tmp_path, document)).problem
    shown = json.dumps(version)
    assert problem == f"unknown cassette version {shown} (this cvatfn_cassette reads version 1)"


def test_unknown_version_wins_over_other_problems(tmp_path: Path) -> None:
    path = write_json(tmp_path, {"version": 2, "tapes": "a future layout"})
    assert failure_of(path).problem.startswith("unknown cassette version 2")


def test_missing_version(tmp_path: Path) -> None:
    document = valid_document()
    del document["version"]
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == "not a cassette: Object missing required field `version`"


def test_missing_field(tmp_path: Path) -> None:
    document = valid_document()
    del document["interactions"][0]["request"]["method"]
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == "Object missing required field `method` - at `$.interactions[0].request`"


def test_unknown_field(tmp_path: Path) -> None:
    document = valid_document()
    document["interactions"][0]["response"]["reason"] = "OK"
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == "Object contains unknown field `reason` - at `$.interactions[0].response`"


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (("response", "status"), "200", "Expected `int`, got `str` - at `$I.response.status`"),
        (("recorded_at",), 5, "Expected `str`, got `int` - at `$I.recorded_at`"),
        (
            ("request", "headers"),
            [["A"]],
            "Expected `array` of length 2 - at `$I.request.headers[0]`",
        ),
        (
            ("request", "headers"),
            {"A": "1"},
            "Expected `array`, got `object` - at `$I.request.headers`",
        ),
    ],
)
def test_wrong_field_type_names_its_path(
    tmp_path: Path, where: tuple[str, ...], value: object, expected: str
) -> None:
    document = valid_document()
    target = document["interactions"][0]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == expected.replace("$H", "$I.request.headers").replace(
        "$I", "$.interactions[0]"
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (5, "not a number"),
        (None, "not null"),
        ([1], "not an array"),
        ({"hex": "00"}, "not an object with keys 'hex'"),
        ({"base64": "AA==", "text": "x"}, "not an object with keys 'base64', 'text'"),
        ({}, "not an empty object"),
    ],
)
def test_a_body_that_is_neither_text_json_nor_base64(
    tmp_path: Path, body: object, detail: str
) -> None:
    document = valid_document()
    document["interactions"][0]["request"]["body"] = body
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == (
        'a body must be a string (text), {"json": value} or {"base64": "..."}, '
        f"{detail} - at `$.interactions[0].request.body`"
    )


@pytest.mark.parametrize("encoded", ["not base64!", "AAA", "AA==AA", "ä"])
def test_invalid_base64(tmp_path: Path, encoded: str) -> None:
    document = valid_document()
    document["interactions"][0]["response"]["body"] = {"base64": encoded}
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem == "a base64 body is not valid base64 - at `$.interactions[0].response.body`"


def test_base64_that_is_not_a_string(tmp_path: Path) -> None:
    document = valid_document()
    document["interactions"][0]["response"]["body"] = {"base64": 12}
    problem = failure_of(write_json(tmp_path, document)).problem
    assert problem.startswith("a base64 body must be a string - at `$.interactions[0]")


def test_decode_names_memory_by_default() -> None:
    assert str(decode(b"[").failure()).startswith("<memory>: ")


# --------------------------------------------------------------------------- writing
def test_dump_creates_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.json"
    assert dump(cassette(), target).unwrap() is None
    assert load(target).unwrap() == cassette()
    assert sorted(p.name for p in target.parent.iterdir()) == ["c.json"]


def test_dump_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    target.write_text("old")
    target.chmod(0o640)
    assert dump(cassette(interaction()), target).unwrap() is None
    assert load(target).unwrap() == cassette(interaction())
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_new_cassette_is_readable_by_everyone(tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    dump(cassette(), target).unwrap()
    assert target.stat().st_mode & 0o777 == 0o644


def _old_cassette(tmp_path: Path) -> tuple[Path, bytes]:
    target = tmp_path / "c.json"
    dump(cassette(interaction(b"old")), target).unwrap()
    return target, target.read_bytes()


def test_a_failure_while_writing_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, before = _old_cassette(tmp_path)
    written: list[str] = []

    def broken_fsync(descriptor: int) -> None:
        written.extend(p.name for p in tmp_path.iterdir() if p.name != "c.json")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    error = dump(cassette(interaction(b"new" * 1000)), target).failure()
    assert error == CassetteError(path=str(target), problem="cannot write: No space left on device")
    assert len(written) == 1  # the temporary file existed when the failure happened
    assert written[0].startswith(".c.json.")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_a_failed_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, before = _old_cassette(tmp_path)

    def broken_replace(source: object, destination: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken_replace)
    error = dump(cassette(), target).failure()
    assert isinstance(error, CassetteError)
    assert error.problem == "cannot write: Permission denied"
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_a_failure_in_the_middle_of_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, before = _old_cassette(tmp_path)
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, descriptor: int, mode: str) -> None:
            self.inner = real_fdopen(descriptor, mode)

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def write(self, data: bytes) -> int:
            self.inner.write(data[: len(data) // 2])
            self.inner.flush()
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdopen", HalfWriter)
    error = dump(cassette(interaction(b"x" * 10_000)), target).failure()
    assert isinstance(error, CassetteError)
    assert error.problem == "cannot write: Input/output error"
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_a_parent_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    error = dump(cassette(), tmp_path / "file" / "c.json").failure()
    assert isinstance(error, CassetteError)
    assert error.problem.startswith("cannot write: ")


def test_text_that_is_not_unicode_is_an_error_not_a_crash(tmp_path: Path) -> None:
    target, before = _old_cassette(tmp_path)
    bad = Interaction(
        RecordedRequest("GET", "http://h/\ud800", (), Body()),
        RecordedResponse(200, (), Body()),
        "2026-01-01T00:00:00Z",
    )
    error = dump(cassette(bad), target).failure()
    assert isinstance(error, CassetteError)
    assert error.problem.startswith("cannot encode the cassette: ")
    assert target.read_bytes() == before


# --------------------------------------------------------------------------- examples
def test_docstring_examples_run() -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = sorted(
        (t for t in finder.find(_format) if t.examples), key=lambda t: (t.lineno or 0, t.name)
    )
    assert tests
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    shared: dict[str, object] = {**vars(_format)}
    for test in tests:
        test.globs = shared
        runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0


def test_invalid_utf8_inside_a_string(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b'{"version": 1, "recorded_with": "\x80", "interactions": []}')
    assert failure_of(path).problem == "not a valid JSON cassette: invalid UTF-8 (byte 33)"


@pytest.mark.parametrize("depth", [1, 64, 65, 5000])
def test_deeply_nested_json_round_trips(depth: int, tmp_path: Path) -> None:
    data = b"[" * depth + b"]" * depth
    stored = stored_body(data)
    assert isinstance(stored, dict) == (depth <= 64)  # deeper JSON is kept as text
    target = tmp_path / "c.json"
    original = cassette(interaction(data, data))
    dump(original, target).unwrap()
    assert load(target).unwrap() == original


def test_reprs_hide_secret_header_values() -> None:
    request = RecordedRequest(
        "GET", "http://h/", (("authorization", "Token s3cret"), ("Accept", "*/*")), Body(b"x")
    )
    response = RecordedResponse(200, (("Set-Cookie", "sessionid=s3cret"),), Body(PNG * 10))
    shown = repr(Interaction(request, response, "t"))
    assert "s3cret" not in shown
    assert "'*/*'" in shown
    assert f"Body(<{len(PNG) * 10} bytes>)" in shown
