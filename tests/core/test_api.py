"""Request building, error mapping and input conversion."""

from __future__ import annotations

import pytest
from returns.result import Failure

from cvatfn import _api
from cvatfn.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import Project, TaskSpec

REQ = HttpRequest("GET", "http://h/api/tasks/1", (("Cookie", "sessionid=zz"),))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, BadRequest),
        (409, Conflict),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (302, UnexpectedResponse),
    ],
)
def test_status_table(status: int, kind: type) -> None:
    error = _api.error_from_response(REQ, HttpResponse(status, body=b'{"detail": "nope"}'))
    assert type(error) is kind
    assert "zz" not in repr(error)


def test_drf_field_errors_are_kept() -> None:
    body = b'{"name": ["This field is required."], "labels": {"0": "bad"}}'
    error = _api.error_from_response(REQ, HttpResponse(400, body=body))
    assert isinstance(error, BadRequest)
    assert error.errors["name"] == ("This field is required.",)
    assert "name: This field is required." in error.message


def test_non_json_error_body_is_kept_as_text() -> None:
    error = _api.error_from_response(REQ, HttpResponse(502, body=b"<html>Bad gateway</html>"))
    assert error.message == "HTTP 502"
    assert "Bad gateway" in error.body  # type: ignore[union-attr]


def test_retry_after_seconds_and_date() -> None:
    error = _api.error_from_response(REQ, HttpResponse(429, (("Retry-After", "7"),)))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    dated = _api.error_from_response(
        REQ, HttpResponse(429, (("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),))
    )
    assert dated.retry_after is None  # type: ignore[union-attr]
    assert dated.retry_at.year == 2015  # type: ignore[union-attr]
    garbage = _api.error_from_response(REQ, HttpResponse(429, (("Retry-After", "soon"),)))
    assert garbage.retry_after is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'{"id": "seven"}', b"\xff\xfe", b'{"id": 1e400}']
)
def test_undecodable_success_body(body: bytes) -> None:
    result = _api.decode_response(Project, REQ, HttpResponse(200, body=body))
    match result:
        case Failure(UnexpectedResponse(status=200) as error):
            assert "Project" in error.message
        case _:
            pytest.fail(str(result))


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"nmae": "x"}, "nmae"),
        ({"name": 5}, "name"),
        ({}, "name"),
        ({"name": "x", "labels": [{"name": 1}]}, "labels[0].name"),
        ({"name": "x", "segment_size": -1}, "segment_size"),
    ],
)
def test_convert_input_names_the_field(value: dict[str, object], field: str) -> None:
    error = _api.convert_input(TaskSpec, value, what="task spec").failure()
    assert isinstance(error, InvalidInput)
    assert error.field == field


def test_convert_input_accepts_structs_and_rejects_other_things() -> None:
    spec = TaskSpec(name="x")
    assert _api.convert_input(TaskSpec, spec, what="spec").unwrap() is spec
    error = _api.convert_input(TaskSpec, ["name"], what="task spec").failure()
    assert isinstance(error, InvalidInput)
    assert "mapping" in error.message


def test_query_encoding() -> None:
    assert _api.encode_query({"a": True, "b": None, "c": [1, 2]}) == "a=true&c=1&c=2"
