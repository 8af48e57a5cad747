"""cvatfn._codec: cached decoders, one encoder, convert and to_builtins."""

import datetime
import types

import msgspec
import pytest

from cvatfn import _codec
from cvatfn._codec import convert, decode, encode, to_builtins
from cvatfn.models import UNSET, BasicUser, Job, LabeledData, Page, Request, Task, TaskPatch


def test_decoder_is_built_once_per_type() -> None:
    decode(Page[Task], b'{"count": 0, "results": []}')
    cached = _codec._DECODERS[Page[Task]]
    decode(Page[Task], b'{"count": 0, "results": []}')
    assert _codec._DECODERS[Page[Task]] is cached
    decode(Page[Job], b'{"count": 0, "results": []}')
    assert _codec._DECODERS[Page[Job]] is not cached


def test_decode_errors_are_msgspec_errors_with_paths() -> None:
    with pytest.raises(msgspec.DecodeError):
        decode(Task, b"{not json")
    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.results\[1\]\.id`"):
        decode(Page[Task], b'{"count": 2, "results": [{"id": 1}, {"id": "two"}]}')
    with pytest.raises(msgspec.ValidationError, match="missing required field `id`"):
        decode(Task, b'{"name": "no id"}')
    with pytest.raises(msgspec.ValidationError, match=r"Expected `int`, got `str`"):
        decode(Page[Task], b'{"count": "1", "results": []}')


def test_read_models_are_lenient_about_new_and_missing_fields() -> None:
    job = decode(
        Job,
        b'{"id": 5, "stage": "triage", "type": "consensus_replica", "state": "paused",'
        b' "new_in_3_0": {"nested": [1, 2]}, "labels": {"url": "u", "count": 2}}',
    )
    assert (job.stage, job.type, job.state) == ("triage", "consensus_replica", "paused")
    assert job.labels.url == "u"
    assert job.issues.count == 0
    task = decode(Task, b'{"id": 1}')
    assert task.name == ""
    assert task.owner is None
    assert task.created_date is None
    assert task.labels.url == ""


def test_dates_decode_timezone_aware() -> None:
    task = decode(Task, b'{"id": 1, "created_date": "2024-03-21T20:50:05.838000Z"}')
    assert task.created_date == datetime.datetime(
        2024, 3, 21, 20, 50, 5, 838000, tzinfo=datetime.UTC
    )
    with pytest.raises(msgspec.ValidationError, match="created_date"):
        decode(Task, b'{"id": 1, "created_date": "yesterday"}')


def test_request_id_is_a_string() -> None:
    request = decode(Request, b'{"id": "action=export&target=task&id=1", "status": "queued"}')
    assert request.id.startswith("action=export")
    assert request.operation.type == ""


def test_encode_uses_cvat_names() -> None:
    user = BasicUser(id=1, username="u")
    assert msgspec.json.decode(encode(user)) == {
        "id": 1,
        "username": "u",
        "first_name": "",
        "last_name": "",
        "url": "",
    }
    assert encode(LabeledData()) == b"{}"


def test_convert_returns_instances_unchanged() -> None:
    patch = TaskPatch(name="x")
    assert convert(TaskPatch, patch) is patch
    page = Page[Task](count=0, results=())
    assert convert(Page[Task], page) is page


def test_convert_accepts_any_mapping() -> None:
    value = convert(TaskPatch, types.MappingProxyType({"name": "x", "project_id": None}))
    assert value == TaskPatch(name="x", project_id=None)
    page = convert(Page[Task], {"count": 1, "results": [{"id": 4}]})
    assert page.results == (Task(id=4),)


def test_convert_rejects_other_values() -> None:
    with pytest.raises(msgspec.ValidationError, match="Expected `object`, got `str`"):
        convert(TaskPatch, "name=x")
    with pytest.raises(msgspec.ValidationError):
        convert(TaskPatch, BasicUser(id=1))


def test_to_builtins_drops_unset_and_formats_dates() -> None:
    assert to_builtins(TaskPatch(name="x", project_id=None)) == {"name": "x", "project_id": None}
    task = decode(Task, b'{"id": 1, "created_date": "2024-03-21T20:50:05Z"}')
    built = to_builtins(task)
    assert built["created_date"] == "2024-03-21T20:50:05Z"
    assert built["jobs"] == {"count": 0, "completed": None, "validation": None, "url": ""}
    assert TaskPatch().name is UNSET
