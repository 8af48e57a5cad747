"""Whatever the server sends back, public functions return a Result and never raise."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import CvatErrorBase, InvalidInput
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import TaskSpec

ABOUT = b'{"name":"CVAT","description":"","version":"2.80.0","logo_url":"","subtitle":""}'

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_like.map(msgspec.json.encode),
    st.sampled_from([b"", b"{", b"<html>oops</html>", b"\xff\xfe\x00", b'{"count": 1e999}']),
)
statuses = st.sampled_from([200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502])
headers = st.lists(
    st.tuples(
        st.sampled_from(["Content-Type", "Retry-After", "Set-Cookie", "Location", "X-Any"]),
        st.text(max_size=16),
    ),
    max_size=3,
).map(tuple)


class Arbitrary:
    """Answers ``about`` properly (so a session can be built) and everything else at random."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return HttpResponse(200, (), ABOUT)
        return HttpResponse(
            self.data.draw(statuses), self.data.draw(headers), self.data.draw(bodies)
        )


def _is_result(value: object) -> bool:
    if isinstance(value, Success):
        return True
    return isinstance(value, Failure) and isinstance(value.failure(), CvatErrorBase)


@given(st.data())
def test_repository_calls_return_results(data: st.DataObject) -> None:
    session = cvatfn.connect("http://h", transport=Arbitrary(data)).unwrap()
    calls: list[Result[object, object]] = [
        cvatfn.tasks.retrieve(session, 1),
        cvatfn.tasks.list(session),
        cvatfn.projects.create(session, {"name": "p"}),
        cvatfn.jobs.update(session, 3, {"stage": "validation"}),
        cvatfn.users.retrieve_current_user(session),
        cvatfn.issues.get_comments(session, 2),
        cvatfn.requests.wait(session, "rq"),
        cvatfn.login(session, ("a", "b")),
        cvatfn.logout(session),
        cvatfn.tasks.get_annotations(session, 1),
        cvatfn.jobs.set_annotations(session, 2, {"tags": []}),
        cvatfn.tasks.update_annotations(session, 1, {"tags": []}, action="create"),
        cvatfn.jobs.remove_annotations(session, 2, ids={"shapes": [1]}),
        cvatfn.tasks.remove_annotations(session, 1),
    ]
    for result in calls:
        assert _is_result(result), result


@given(st.data(), st.integers(min_value=0, max_value=5))
def test_iterate_yields_results(data: st.DataObject, take: int) -> None:
    session = cvatfn.connect("http://h", transport=Arbitrary(data)).unwrap()
    for index, item in enumerate(cvatfn.tasks.iterate(session)):
        assert _is_result(item)
        if index >= take:
            break


@given(st.dictionaries(st.text(max_size=12), json_like, max_size=5))
def test_specs_are_converted_or_rejected_with_a_field(spec: dict[str, object]) -> None:
    result = cvatfn._api.convert_input(TaskSpec, spec, what="task spec")  # type: ignore[attr-defined]
    match result:
        case Success(TaskSpec()):
            pass
        case Failure(InvalidInput() as error):
            assert error.message
        case _:
            raise AssertionError(result)


@given(
    st.data(),
    st.dictionaries(
        st.sampled_from(["version", "tags", "shapes", "tracks", "intervals", "other"]),
        json_like,
        max_size=4,
    ),
)
def test_annotations_to_send_are_checked_or_rejected_with_a_field(
    answers: st.DataObject, data: dict[str, object]
) -> None:
    session = cvatfn.connect("http://h", transport=Arbitrary(answers)).unwrap()
    result = cvatfn.jobs.update_annotations(session, 1, data, action="update")
    match result:
        case Failure(InvalidInput(field=field)):
            assert field
        case _:
            assert _is_result(result)


@given(st.binary(max_size=64), statuses)
def test_connect_never_raises_on_a_broken_about(body: bytes, status: int) -> None:
    class Broken:
        def handle(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(status, (), body)

    assert _is_result(cvatfn.connect("http://h", credentials=("a", "b"), transport=Broken()))
