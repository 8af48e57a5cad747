"""Regression examples found by the spec-fuzzing property (property_tests/test_spec_fuzz.py)."""

from __future__ import annotations

import msgspec
import pytest
from returns.result import Success

import cvatfn
from cvatfn import _codec
from cvatfn.errors import InvalidInput
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import JobSpec, JobType, OrganizationSpec
from tests.core.scripted import Scripted


def _session() -> tuple[cvatfn.Session, Scripted]:
    def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse(404, body=b'{"detail": "Not found."}')

    transport = Scripted(answer)
    server = cvatfn.Server(url="http://h", version="2.80.0")
    return cvatfn.Session(server=server, transport=transport), transport


def _deep(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


def test_a_job_is_not_created_with_the_2_2x_type_name() -> None:
    """2.80's JobWriteRequest takes annotation, ground_truth or replica; consensus_replica is
    only read (from 2.2x servers)."""
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.type`"):
        _codec.convert(JobSpec, {"type": "consensus_replica", "task_id": 1})
    session, transport = _session()
    result = cvatfn.jobs.create(session, {"type": "consensus_replica", "task_id": 1})
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert error.field == "type"
    assert transport.sent == []
    assert msgspec.json.decode(b'{"id": 1, "type": "consensus_replica"}', type=cvatfn.models.Job)
    assert JobType.CONSENSUS_REPLICA == "consensus_replica"


@pytest.mark.parametrize(
    ("contact", "path"),
    [
        ({"email": object()}, "contact.email"),
        ({"phones": [1, {"home": 1j}]}, "contact.phones[1].home"),
        ({"deep": _deep(100_000)}, "contact.deep[0]"),
    ],
)
def test_converting_a_spec_that_json_cannot_carry_names_the_path(
    contact: dict[str, object], path: str
) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        _codec.convert(OrganizationSpec, {"slug": "lab", "contact": contact})
    assert str(raised.value).endswith(f" - at `$.{path}`")


def test_first_unencodable_finds_nothing_in_what_encodes() -> None:
    spec = _codec.convert(OrganizationSpec, {"slug": "lab", "contact": {"n": 2**70, "s": {1}}})
    assert _codec.first_unencodable(spec) is None
    assert msgspec.json.decode(_codec.encode(spec))["contact"]["n"] == 2**70


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"shapes": [{"type": "rectangle", "frame": 0, "label_id": 1, "points": [1j]}]},
         "shapes[0].points[0]"),
        ({"tags": [{"frame": 0, "label_id": 1, "attributes": object()}]}, "tags[0].attributes"),
        ({"tags": _deep(100_000)}, "tags[0]"),
        ({"tags": [{"frame": 0, "label_id": 1, "a`b": 1}]}, "tags[0].a`b"),
        ({"x`": 1}, "x`"),
        ({"shapes": [{1: "a key that is not a str"}]}, "shapes[0]"),
        ({1: 2}, "data"),
    ],
)  # fmt: skip
def test_annotations_that_cannot_be_sent_are_invalid_input_naming_the_path(
    data: dict[str, object], field: str
) -> None:
    session, transport = _session()
    for result in (
        cvatfn.jobs.set_annotations(session, 1, data),
        cvatfn.tasks.update_annotations(session, 1, data, action="create"),
    ):
        error = result.failure()
        assert isinstance(error, InvalidInput), result
        assert error.field == field
    assert transport.sent == []


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ({"shapes": [object()]}, "ids.shapes[0]"),
        ({"shapes": _deep(100_000)}, "ids.shapes[0]"),
        ({"shapes": ["1"]}, "ids.shapes[0]"),
    ],
)
def test_annotation_ids_that_cannot_be_sent_are_invalid_input_naming_the_path(
    ids: dict[str, object], field: str
) -> None:
    session, transport = _session()
    result = cvatfn.tasks.remove_annotations(session, 1, ids=ids)  # type: ignore[arg-type]
    error = result.failure()
    assert isinstance(error, InvalidInput), result
    assert error.field == field
    assert transport.sent == []


def test_valid_annotations_still_go_out() -> None:
    session, transport = _session()
    data = {"tags": [{"frame": 0, "label_id": 1}]}
    result = cvatfn.jobs.set_annotations(session, 1, data)
    assert not isinstance(result, Success)  # the scripted server answers 404
    assert [request.method for request in transport.sent] == ["PUT"]
