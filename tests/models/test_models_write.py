"""Write models: strict conversion with field paths, UNSET left out, None sent as null."""

import datetime
from typing import Any

import msgspec
import pytest

from cvatfn._codec import convert, encode
from cvatfn.models import (
    UNSET,
    AccessTokenSpec,
    AttributeSpec,
    DataParams,
    IssueSpec,
    JobPatch,
    JobStage,
    JobState,
    LabelPatch,
    LabelSpec,
    LabelType,
    MembershipPatch,
    OrganizationRole,
    OrganizationSpec,
    ProjectPatch,
    ProjectSpec,
    SortingMethod,
    StorageLocation,
    StorageSpec,
    TaskPatch,
    TaskSpec,
    UserPatch,
    ValidationParams,
)


def _error(model: type[Any], value: object) -> str:
    with pytest.raises(msgspec.ValidationError) as info:
        convert(model, value)
    return str(info.value)


@pytest.mark.parametrize(
    ("model", "value", "message"),
    [
        (TaskSpec, {"nmae": "x"}, "Object contains unknown field `nmae`"),
        (TaskPatch, {"name": "x", "lables": []}, "Object contains unknown field `lables`"),
        (
            ProjectSpec,
            {"name": "p", "labels": [{"name": "car", "colour": "#fff"}]},
            "Object contains unknown field `colour` - at `$.labels[0]`",
        ),
        (
            TaskSpec,
            {"name": "t", "source_storage": {"location": "local", "id": 3}},
            "Object contains unknown field `id` - at `$.source_storage`",
        ),
        (TaskSpec, {"name": 5}, "Expected `str`, got `int` - at `$.name`"),
        (TaskPatch, {"project_id": "7"}, "Expected `int | null`, got `str` - at `$.project_id`"),
        (TaskPatch, {"name": None}, "Expected `str`, got `null` - at `$.name`"),
        (TaskSpec, {}, "Object missing required field `name`"),
        (TaskSpec, {"name": ""}, "Expected `str` of length >= 1 - at `$.name`"),
        (TaskSpec, {"name": "x" * 257}, "Expected `str` of length <= 256 - at `$.name`"),
        (TaskSpec, {"name": "t", "overlap": -1}, "Expected `int` >= 0 - at `$.overlap`"),
        (JobPatch, {"stage": "done"}, "Invalid enum value 'done' - at `$.stage`"),
        (MembershipPatch, {"role": "admin"}, "Invalid enum value 'admin' - at `$.role`"),
        (DataParams, {"image_quality": 101}, "Expected `int` <= 100 - at `$.image_quality`"),
        (DataParams, {"image_quality": 0}, "Expected `int` >= 1 - at `$.image_quality`"),
        (DataParams, {"sorting_method": "alphabetical"}, "Invalid enum value 'alphabetical'"),
        (
            DataParams,
            {"validation_params": {"mode": "gt", "frame_count": 0}},
            "Expected `int` >= 1 - at `$.validation_params.frame_count`",
        ),
        (
            DataParams,
            {"validation_params": {"frame_count": 3}},
            "Object missing required field `mode` - at `$.validation_params`",
        ),
        (
            DataParams,
            {"job_file_mapping": [["a.jpg"], [""]]},
            "Expected `str` of length >= 1 - at `$.job_file_mapping[1][0]`",
        ),
        (OrganizationSpec, {"slug": "bad slug"}, "Expected `str` matching regex"),
        (OrganizationSpec, {"slug": "x" * 17}, "Expected `str` of length <= 16 - at `$.slug`"),
        (UserPatch, {"username": "a b"}, "Expected `str` matching regex"),
        (
            UserPatch,
            {"planned_activities": ["annotate_data"] * 7},
            "Expected `array` of length <= 6 - at `$.planned_activities`",
        ),
        (
            AttributeSpec,
            {"name": "color", "mutable": False, "values": []},
            "Object missing required field `input_type`",
        ),
        (IssueSpec, {"job": 1, "frame": 0, "position": ["a"], "message": "m"}, "`$.position[0]`"),
        (AccessTokenSpec, {"name": "t", "expiry_date": "soon"}, "Invalid RFC3339 encoded datetime"),
        (TaskSpec, ["name", "x"], "Expected `object`, got `array`"),
    ],
)
def test_bad_input_names_the_field(model: type[Any], value: object, message: str) -> None:
    assert message in _error(model, value)


def test_unset_fields_are_left_out() -> None:
    assert encode(TaskPatch()) == b"{}"
    assert encode(DataParams()) == b"{}"
    assert encode(TaskSpec(name="t")) == b'{"name":"t"}'
    assert encode(JobPatch(state="completed")) == b'{"state":"completed"}'
    assert encode(convert(ProjectPatch, {"name": "p"})) == b'{"name":"p"}'


def test_none_is_sent_as_null_where_nullable() -> None:
    patch = TaskPatch(project_id=None, assignee_id=None)
    assert msgspec.json.decode(encode(patch)) == {"project_id": None, "assignee_id": None}
    converted = convert(JobPatch, {"assignee": None})
    assert converted.assignee is None
    assert encode(converted) == b'{"assignee":null}'
    params = convert(DataParams, {"chunk_size": None, "validation_params": None})
    assert encode(params) == b'{"chunk_size":null,"validation_params":null}'


def test_false_zero_and_empty_are_sent() -> None:
    params = DataParams(use_cache=False, start_frame=0, server_files=(), filename_pattern=None)
    assert msgspec.json.decode(encode(params)) == {
        "use_cache": False,
        "start_frame": 0,
        "server_files": [],
        "filename_pattern": None,
    }


def test_enum_members_and_plain_strings_encode_alike() -> None:
    by_enum = JobPatch(stage=JobStage.ACCEPTANCE, state=JobState.IN_PROGRESS)
    by_str = JobPatch(stage="acceptance", state="in progress")
    assert encode(by_enum) == encode(by_str) == b'{"stage":"acceptance","state":"in progress"}'
    assert encode(MembershipPatch(role=OrganizationRole.SUPERVISOR)) == b'{"role":"supervisor"}'
    assert encode(DataParams(sorting_method=SortingMethod.NATURAL)) == (
        b'{"sorting_method":"natural"}'
    )


def test_nested_specs_encode_in_full() -> None:
    spec = ProjectSpec(
        name="cars",
        labels=(
            LabelSpec(
                name="car",
                type=LabelType.RECTANGLE,
                color="#ff0000",
                attributes=(
                    AttributeSpec(
                        name="model",
                        mutable=False,
                        input_type="select",
                        values=("a", "b"),
                        default_value="a",
                    ),
                ),
            ),
        ),
        target_storage=StorageSpec(location=StorageLocation.CLOUD_STORAGE, cloud_storage_id=4),
    )
    assert msgspec.json.decode(encode(spec)) == {
        "name": "cars",
        "labels": [
            {
                "name": "car",
                "color": "#ff0000",
                "type": "rectangle",
                "attributes": [
                    {
                        "name": "model",
                        "mutable": False,
                        "input_type": "select",
                        "values": ["a", "b"],
                        "default_value": "a",
                    }
                ],
            }
        ],
        "target_storage": {"location": "cloud_storage", "cloud_storage_id": 4},
    }


def test_label_patch_deletes_and_adds_labels() -> None:
    patch = ProjectPatch(labels=(LabelPatch(id=3, deleted=True), LabelPatch(name="bus")))
    assert msgspec.json.decode(encode(patch)) == {
        "labels": [{"id": 3, "deleted": True}, {"name": "bus"}]
    }


def test_convert_builds_nested_structs_and_dates() -> None:
    params = convert(
        DataParams,
        {
            "image_quality": 70,
            "server_files": ["images/"],
            "job_file_mapping": [["1.jpg", "2.jpg"], ["3.jpg"]],
            "validation_params": {"mode": "gt_pool", "frame_share": 0.1},
        },
    )
    assert params.server_files == ("images/",)
    assert params.job_file_mapping == (("1.jpg", "2.jpg"), ("3.jpg",))
    assert params.validation_params == ValidationParams(mode="gt_pool", frame_share=0.1)
    assert params.copy_data is UNSET
    token = convert(AccessTokenSpec, {"name": "ci", "expiry_date": "2030-01-01T00:00:00Z"})
    assert token.expiry_date == datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    assert encode(token) == b'{"name":"ci","expiry_date":"2030-01-01T00:00:00Z"}'


def test_organization_contact_is_free_form() -> None:
    spec = convert(OrganizationSpec, {"slug": "org-1", "contact": {"email": "a@b.c"}})
    assert encode(spec) == b'{"slug":"org-1","contact":{"email":"a@b.c"}}'


def test_write_models_are_frozen() -> None:
    patch = TaskPatch(name="a")
    with pytest.raises(AttributeError):
        patch.name = "b"  # type: ignore[misc]
