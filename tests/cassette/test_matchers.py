"""The built-in matchers: what they accept, what they reject, and the reasons they give."""

from __future__ import annotations

import json
import random
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvatfn.http import HttpRequest
from cvatfn_cassette import (
    DEFAULT_MATCHERS,
    RecordedRequest,
    body,
    json_body,
    method,
    path,
    query,
)
from cvatfn_cassette._matchers import matcher_name

KEPT = "http://cvat.cassette"


def recorded(method_: str, uri: str, data: bytes = b"") -> RecordedRequest:
    return RecordedRequest.of(HttpRequest(method_, uri, (), data))


def live(method_: str, url: str, data: bytes = b"") -> HttpRequest:
    return HttpRequest(method_, url, (), data)


# --------------------------------------------------------------------------------- method
def test_method_is_case_insensitive_and_names_both_sides() -> None:
    assert method(live("get", "http://h/x"), recorded("GET", f"{KEPT}/x")) is None
    assert method(live("PATCH", "http://h/x"), recorded("PUT", f"{KEPT}/x")) == (
        "method PATCH != PUT"
    )


# ----------------------------------------------------------------------------------- path
@pytest.mark.parametrize(
    ("url", "uri", "reason"),
    [
        ("https://other:8443/api/tasks/1", f"{KEPT}/api/tasks/1", None),
        ("http://h/api/tasks/1?page=2", f"{KEPT}/api/tasks/1", None),  # query is not path's job
        ("http://h/api/jobs%2F1", f"{KEPT}/api/jobs/1", None),  # percent-decoded, as Django does
        ("http://h", f"{KEPT}/", None),
        ("http://h/api/tasks/1/", f"{KEPT}/api/tasks/1", "path /api/tasks/1/ != /api/tasks/1"),
        ("http://h/api/tasks/2", f"{KEPT}/api/tasks/1", "path /api/tasks/2 != /api/tasks/1"),
    ],
)
def test_path(url: str, uri: str, reason: str | None) -> None:
    assert path(live("GET", url), recorded("GET", uri)) == reason


def test_a_long_path_is_clipped_in_the_reason() -> None:
    long = "/api/" + "x" * 200
    reason = path(live("GET", f"http://h{long}"), recorded("GET", f"{KEPT}/api/tasks"))
    assert reason is not None and len(reason) < 100 and reason.endswith("... != /api/tasks")


# ---------------------------------------------------------------------------------- query
pairs = st.lists(
    st.tuples(st.text("abcxyz_", min_size=1, max_size=4), st.text("abc 123&=?/é", max_size=6)),
    max_size=6,
)


@settings(deadline=None)
@given(pairs, st.randoms(use_true_random=False))
def test_query_ignores_the_order_of_parameters(
    items: list[tuple[str, str]], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    kept = recorded("GET", f"{KEPT}/api/tasks?{urlencode(items)}")
    assert query(live("GET", f"http://h:1/api/tasks?{urlencode(shuffled)}"), kept) is None


@settings(deadline=None)
@given(pairs, st.tuples(st.text("pq", min_size=1, max_size=3), st.text("0123", max_size=3)))
def test_query_counts_every_pair(items: list[tuple[str, str]], extra: tuple[str, str]) -> None:
    kept = recorded("GET", f"{KEPT}/api/tasks?{urlencode(items)}")
    request = live("GET", f"http://h/api/tasks?{urlencode([*items, extra])}")
    assert query(request, kept) == f"query differs: {urlencode([extra])} vs (nothing)"


def test_query_reasons_show_only_what_differs() -> None:
    kept = recorded("GET", f"{KEPT}/api/tasks?page=2&page_size=100&sort=id")
    assert query(live("GET", "http://h/api/tasks?page_size=100&page=3&sort=id"), kept) == (
        "query differs: page=3 vs page=2"
    )
    assert query(live("GET", "http://h/api/tasks"), kept) == (
        "query differs: (nothing) vs page=2&page_size=100&sort=id"
    )
    repeated = recorded("GET", f"{KEPT}/api/tasks?id=1&id=1")
    assert query(live("GET", "http://h/api/tasks?id=1"), repeated) == (
        "query differs: (nothing) vs id=1"
    )
    blank = recorded("GET", f"{KEPT}/api/tasks?search=")
    assert query(live("GET", "http://h/api/tasks?search="), blank) is None
    assert query(live("GET", "http://h/api/tasks"), blank) == "query differs: (nothing) vs search="


# ------------------------------------------------------------------------------ json_body
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


def _reordered(value: object, rnd: random.Random) -> object:
    if isinstance(value, dict):
        items = list(cast("dict[str, object]", value).items())
        rnd.shuffle(items)
        return {key: _reordered(item, rnd) for key, item in items}
    if isinstance(value, list):
        return [_reordered(item, rnd) for item in cast("list[object]", value)]
    return value


@settings(deadline=None)
@given(json_values, st.randoms(use_true_random=False), st.sampled_from([None, 0, 2]))
def test_json_body_ignores_key_order_and_whitespace(
    value: Any, rnd: random.Random, indent: int | None
) -> None:
    kept = recorded("POST", f"{KEPT}/api/tasks", json.dumps(value).encode())
    other = json.dumps(_reordered(value, rnd), indent=indent, ensure_ascii=rnd.random() < 0.5)
    assert json_body(live("POST", "http://h/api/tasks", other.encode()), kept) is None


@settings(deadline=None)
@given(json_values, json_values)
def test_json_body_tells_different_values_apart(a: Any, b: Any) -> None:
    kept = recorded("POST", f"{KEPT}/x", json.dumps(b).encode())
    same = json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    reason = json_body(live("POST", "http://h/x", json.dumps(a).encode()), kept)
    assert (reason is None) == same
    if reason is not None:
        assert reason.startswith("JSON body differs at $")


@pytest.mark.parametrize(
    ("mine", "theirs", "reason"),
    [
        (b"true", b"1", "JSON body differs at $: true vs 1"),
        (b"1", b"1.0", "JSON body differs at $: 1 vs 1.0"),
        (b'{"a": [1, 2]}', b'{"a": [1]}', "JSON body differs at $.a: 2 items vs 1"),
        (b'{"a": 1}', b'{"a": 1, "b": 2}', "JSON body differs at $: key 'b' only in the recording"),
        (b'{"a": 1, "c": 2}', b'{"a": 1}', "JSON body differs at $: key 'c' only in the request"),
        (b'{"a": {"b": [0, {"c": "x"}]}}', b'{"a": {"b": [0, {"c": "y"}]}}', None),
    ],
)
def test_json_body_reasons_point_at_the_difference(
    mine: bytes, theirs: bytes, reason: str | None
) -> None:
    got = json_body(live("POST", "http://h/x", mine), recorded("POST", f"{KEPT}/x", theirs))
    if reason is None:
        assert got == 'JSON body differs at $.a.b[1].c: "x" vs "y"'
    else:
        assert got == reason


def test_json_body_compares_other_bodies_as_bytes() -> None:
    form = b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--\r\n"
    kept = recorded("POST", f"{KEPT}/api/tasks/1/data", form)
    assert json_body(live("POST", "http://h/api/tasks/1/data", form), kept) is None
    assert json_body(live("POST", "http://h/api/tasks/1/data", form[:-3]), kept) == (
        f"body differs: {len(form) - 3} bytes vs {len(form)}, "
        f"first difference at byte {len(form) - 3}"
    )
    empty = recorded("GET", f"{KEPT}/api/tasks")
    assert json_body(live("GET", "http://h/api/tasks"), empty) is None
    assert json_body(live("GET", "http://h/api/tasks", b"{}"), empty) is not None
    binary = recorded("PATCH", f"{KEPT}/x", b"\x89PNG\x00")
    assert json_body(live("PATCH", "http://h/x", b"\x89PNG\x00"), binary) is None


# ----------------------------------------------------------------------------------- body
def test_body_is_exact() -> None:
    kept = recorded("POST", f"{KEPT}/x", b'{"a": 1}')
    assert body(live("POST", "http://h/x", b'{"a": 1}'), kept) is None
    assert body(live("POST", "http://h/x", b'{"a":1}'), kept) == (
        "body differs: 7 bytes vs 8, first difference at byte 5"
    )


# ------------------------------------------------------------------------------- the rest
def test_default_matchers_and_names() -> None:
    assert (method, path, query) == DEFAULT_MATCHERS
    assert [matcher_name(m) for m in (*DEFAULT_MATCHERS, json_body, body)] == [
        "method",
        "path",
        "query",
        "json_body",
        "body",
    ]

    class Callable_:
        def __call__(self, request: HttpRequest, kept: RecordedRequest) -> str | None:
            return None

        def __repr__(self) -> str:
            return "by-header"

    assert matcher_name(Callable_()) == "by-header"
