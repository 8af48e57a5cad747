"""The models against the 2.80 contract (``components.schemas`` of ``openapi-2.80.json``).

For each schema a maximal example (every property present, nullable ones non-null) is generated
and must decode (read models) or convert and encode back unchanged (write models). The field
names of each model must be exactly the schema's properties, so a property that 2.80 added and
the model lacks, or a misspelt field, fails here.
"""

import datetime
from typing import Any

import msgspec
import pytest

from cvatfn import models as m
from cvatfn._codec import convert, decode, encode

from ._compare import assert_same

READ_MODELS: dict[str, type[m.CvatModel]] = {
    "TaskRead": m.Task,
    "ProjectRead": m.Project,
    "JobRead": m.Job,
    "User": m.User,
    "BasicUser": m.BasicUser,
    "OrganizationRead": m.Organization,
    "BasicOrganization": m.BasicOrganization,
    "MembershipRead": m.Membership,
    "InvitationRead": m.Invitation,
    "Label": m.Label,
    "Attribute": m.Attribute,
    "Sublabel": m.Sublabel,
    "IssueRead": m.Issue,
    "CommentRead": m.Comment,
    "Request": m.Request,
    "RequestDataOperation": m.RequestOperation,
    "About": m.About,
    "DataMetaRead": m.DataMeta,
    "FrameMeta": m.FrameMeta,
    "Chapter": m.Chapter,
    "ChapterMetadata": m.ChapterMetadata,
    "AccessTokenRead": m.AccessToken,
    "Storage": m.Storage,
    "JobsSummary": m.JobsSummary,
    "TasksSummary": m.CountRef,
    "IssuesSummary": m.CountRef,
    "CommentsSummary": m.CountRef,
    "LabelsSummary": m.UrlRef,
    "RqId": m.RqId,
    "DatasetFormats": m.AnnotationFormats,
    "DatasetFormat": m.AnnotationFormat,
    # annotations, read and request variants share the structs
    "LabeledData": m.LabeledData,
    "LabeledShape": m.LabeledShape,
    "SubLabeledShape": m.SubLabeledShape,
    "LabeledTrack": m.LabeledTrack,
    "SubLabeledTrack": m.SubLabeledTrack,
    "TrackedShape": m.TrackedShape,
    "LabeledImage": m.LabeledImage,
    "LabeledInterval": m.LabeledInterval,
    "AttributeVal": m.AttributeVal,
    "LabeledDataRequest": m.LabeledData,
    "PatchedLabeledDataRequest": m.LabeledData,
    "LabeledShapeRequest": m.LabeledShape,
    "SubLabeledShapeRequest": m.SubLabeledShape,
    "LabeledTrackRequest": m.LabeledTrack,
    "SubLabeledTrackRequest": m.SubLabeledTrack,
    "TrackedShapeRequest": m.TrackedShape,
    "LabeledImageRequest": m.LabeledImage,
    "LabeledIntervalRequest": m.LabeledInterval,
    "AttributeValRequest": m.AttributeVal,
}

PAGES: dict[str, type[m.CvatModel]] = {
    "PaginatedTaskReadList": m.Task,
    "PaginatedProjectReadList": m.Project,
    "PaginatedJobReadList": m.Job,
    "PaginatedMetaUserList": m.User,
    "PaginatedOrganizationReadList": m.Organization,
    "PaginatedMembershipReadList": m.Membership,
    "PaginatedInvitationReadList": m.Invitation,
    "PaginatedLabelList": m.Label,
    "PaginatedIssueReadList": m.Issue,
    "PaginatedCommentReadList": m.Comment,
    "PaginatedRequestList": m.Request,
    "PaginatedAccessTokenReadList": m.AccessToken,
}

WRITE_MODELS: dict[str, type[m.CvatWriteModel]] = {
    "ProjectWriteRequest": m.ProjectSpec,
    "PatchedProjectWriteRequest": m.ProjectPatch,
    "TaskWriteRequest": m.TaskSpec,
    "PatchedTaskWriteRequest": m.TaskPatch,
    "JobWriteRequest": m.JobSpec,
    "PatchedJobWriteRequest": m.JobPatch,
    "DataRequest": m.DataParams,
    "ValidationParamsRequest": m.ValidationParams,
    "PatchedLabelRequest": m.LabelPatch,
    "AttributeRequest": m.AttributeSpec,
    "SublabelRequest": m.SublabelSpec,
    "IssueWriteRequest": m.IssueSpec,
    "PatchedIssueWriteRequest": m.IssuePatch,
    "CommentWriteRequest": m.CommentSpec,
    "PatchedCommentWriteRequest": m.CommentPatch,
    "OrganizationWriteRequest": m.OrganizationSpec,
    "PatchedOrganizationWriteRequest": m.OrganizationPatch,
    "PatchedMembershipWriteRequest": m.MembershipPatch,
    "InvitationWriteRequest": m.InvitationSpec,
    "PatchedUserRequest": m.UserPatch,
    "StorageRequest": m.StorageSpec,
    "AccessTokenWriteRequest": m.AccessTokenSpec,
    "PatchedAccessTokenWriteRequest": m.AccessTokenPatch,
}

# Schema properties a model deliberately leaves out, with the reason.
OMITTED: dict[str, set[str]] = {
    # files are uploaded as multipart parts, not as a JSON field of the parameters
    "DataRequest": {"client_files"},
}

# Required fields allowed in read models: ``id`` plus truly structural fields.
STRUCTURAL_REQUIRED: dict[type[m.CvatModel], set[str]] = {
    m.Invitation: {"key"},
    m.RqId: {"rq_id"},
    m.About: set(),
    m.AnnotationFormats: set(),
    m.AnnotationFormat: {"name"},
    m.DataMeta: set(),
    m.FrameMeta: set(),
    m.ChapterMetadata: set(),
    m.RequestOperation: set(),
    m.JobsSummary: set(),
    m.CountRef: set(),
    m.UrlRef: set(),
    m.LabeledData: set(),
    m.AttributeVal: {"spec_id", "value"},
    m.LabeledShape: {"type", "frame", "label_id"},
    m.SubLabeledShape: {"type", "frame", "label_id"},
    m.TrackedShape: {"type", "frame"},
    m.LabeledTrack: {"label_id", "frame", "shapes"},
    m.SubLabeledTrack: {"label_id", "frame", "shapes"},
    m.LabeledImage: {"label_id", "frame"},
    m.LabeledInterval: {"label_id", "start", "stop"},
}

DATE = "2025-01-02T03:04:05.123456Z"


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in schema:
            schema = schema["allOf"][0]
        elif "oneOf" in schema or "anyOf" in schema:
            options = schema.get("oneOf") or schema["anyOf"]
            resolved = [_resolve(option, schemas) for option in options]
            # prefer a real value over the NullEnum / BlankEnum alternatives
            schema = next((r for r in resolved if r.get("enum") not in ([None], [""])), resolved[0])
        else:
            return schema


def example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """A value for ``schema`` with every property present and nothing null."""
    schema = _resolve(schema, schemas)
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if "properties" in schema:
            return {
                name: example(prop, schemas)
                for name, prop in schema["properties"].items()
                if prop.get("format") != "binary"
                and prop.get("items", {}).get("format") != "binary"
            }
        return {"email": "org@example.com"}
    if kind == "array":
        return [example(schema["items"], schemas)]
    if kind == "string":
        if schema.get("format") == "date-time":
            return DATE
        length = max(schema.get("minLength", 0), 3)
        return "abc"[: min(length, schema.get("maxLength", length))].ljust(length, "x")
    if kind == "integer":
        return schema.get("minimum", 0) + 1 if schema.get("maximum", 2) >= 1 else 0
    if kind == "number":
        return (schema.get("minimum", 0) + schema.get("maximum", 1)) / 2
    if kind == "boolean":
        return True
    return {"email": "org@example.com"}  # free-form (AnyType) property: CVAT sends an object


def _fields(model: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.name: f for f in msgspec.structs.fields(model)}


def _properties(name: str, schemas: dict[str, Any]) -> set[str]:
    return set(_resolve(schemas[name], schemas)["properties"]) - OMITTED.get(name, set())


@pytest.mark.parametrize("schema_name", sorted(READ_MODELS))
def test_read_model_fields_are_the_schema_properties(
    schema_name: str, schemas: dict[str, Any]
) -> None:
    model = READ_MODELS[schema_name]
    assert set(_fields(model)) == _properties(schema_name, schemas)


def test_request_owner_is_a_subset_of_basic_user(schemas: dict[str, Any]) -> None:
    # Request.owner is UserIdentifiers {id, username}; BasicUser is used for it
    assert _properties("UserIdentifiers", schemas) <= set(_fields(m.BasicUser))
    owner = {"id": 3, "username": "bob"}
    request = decode(m.Request, msgspec.json.encode({"id": "rq", "owner": owner}))
    assert request.owner == m.BasicUser(id=3, username="bob")


@pytest.mark.parametrize("schema_name", sorted(READ_MODELS))
def test_maximal_schema_example_decodes(schema_name: str, schemas: dict[str, Any]) -> None:
    raw = example(schemas[schema_name], schemas)
    decoded = decode(READ_MODELS[schema_name], msgspec.json.encode(raw))
    assert_same(decoded, raw)


@pytest.mark.parametrize("schema_name", sorted(PAGES))
def test_maximal_page_example_decodes(schema_name: str, schemas: dict[str, Any]) -> None:
    schema = schemas[schema_name]
    assert set(schema["properties"]) == {"count", "next", "previous", "results"}
    raw = example(schema, schemas)
    raw["next"] = "http://localhost:8080/api/x?page=2"
    item_type = PAGES[schema_name]
    page = decode(m.Page[item_type], msgspec.json.encode(raw))  # type: ignore[valid-type]
    assert type(page.results[0]) is item_type
    assert_same(page, raw)


@pytest.mark.parametrize("model", sorted(set(READ_MODELS.values()), key=lambda t: t.__name__))
def test_read_models_require_only_id_or_structural_fields(model: type[m.CvatModel]) -> None:
    required = {name for name, field in _fields(model).items() if field.required}
    assert required == STRUCTURAL_REQUIRED.get(model, {"id"})


MINIMAL_VALUES: dict[str, Any] = {
    "shapes": [],
    "key": "k",
    "rq_id": "r",
    "type": "t",
    "value": "v",
    "name": "n",
}


def test_read_models_decode_from_only_their_required_fields() -> None:
    for model in set(READ_MODELS.values()):
        minimal = {
            name: MINIMAL_VALUES.get(name, 1)
            for name, field in _fields(model).items()
            if field.required
        }
        if model is m.Request:
            minimal["id"] = "rq-1"
        decode(model, msgspec.json.encode(minimal))


def _write_example(schema_name: str, schemas: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = example(schemas[schema_name], schemas)
    for name in OMITTED.get(schema_name, set()):
        raw.pop(name, None)
    if schema_name in {"ProjectWriteRequest", "TaskWriteRequest"}:
        # labels of a new project/task are new: no id, nothing to delete
        for label in raw["labels"]:
            del label["id"], label["deleted"]
    return raw


@pytest.mark.parametrize("schema_name", sorted(WRITE_MODELS))
def test_write_model_fields_are_the_schema_properties(
    schema_name: str, schemas: dict[str, Any]
) -> None:
    model = WRITE_MODELS[schema_name]
    fields = _fields(model)
    assert set(fields) == _properties(schema_name, schemas)
    required = {name for name, field in fields.items() if field.required}
    assert required == set(schemas[schema_name].get("required", []))
    for name, field in fields.items():
        if not field.required:
            assert field.default is msgspec.UNSET, f"{model.__name__}.{name} should be UNSET"


def test_label_spec_is_patched_label_request_for_new_labels(schemas: dict[str, Any]) -> None:
    fields = _fields(m.LabelSpec)
    assert set(fields) == _properties("PatchedLabelRequest", schemas) - {"id", "deleted"}
    assert {name for name, field in fields.items() if field.required} == {"name"}


@pytest.mark.parametrize("schema_name", sorted(WRITE_MODELS))
def test_maximal_write_example_converts_and_encodes_unchanged(
    schema_name: str, schemas: dict[str, Any]
) -> None:
    raw = _write_example(schema_name, schemas)
    value = convert(WRITE_MODELS[schema_name], raw)
    assert msgspec.json.decode(encode(value)) == raw


def test_maximal_write_example_has_dates_as_datetimes(schemas: dict[str, Any]) -> None:
    value = convert(m.AccessTokenSpec, _write_example("AccessTokenWriteRequest", schemas))
    assert value.expiry_date == datetime.datetime(2025, 1, 2, 3, 4, 5, 123456, datetime.UTC)


ENUMS: dict[str, type[Any]] = {
    "JobStage": m.JobStage,
    "OperationStatus": m.JobState,
    "JobStatus": m.JobStatus,
    "RequestStatus": m.RequestStatus,
    "ShapeType": m.ShapeType,
    "LabelType": m.LabelType,
    "InputTypeEnum": m.AttributeInputType,
    "RoleEnum": m.OrganizationRole,
    "SortingMethod": m.SortingMethod,
    "LocationEnum": m.StorageLocation,
    "StorageType": m.StorageType,
    "StorageMethod": m.StorageMethod,
    "ChunkType": m.ChunkType,
    "ValidationMode": m.ValidationMode,
    "FrameSelectionMethod": m.FrameSelectionMethod,
}


@pytest.mark.parametrize("schema_name", sorted(ENUMS))
def test_enums_have_the_schema_values(schema_name: str, schemas: dict[str, Any]) -> None:
    assert {member.value for member in ENUMS[schema_name]} == set(schemas[schema_name]["enum"])


def test_job_type_keeps_the_2_2x_replica_name(schemas: dict[str, Any]) -> None:
    values = {member.value for member in m.JobType}
    assert values - set(schemas["JobType"]["enum"]) == {"consensus_replica"}
