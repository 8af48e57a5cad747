"""Typed, immutable models of CVAT's REST resources.

Every model is a frozen :class:`msgspec.Struct` deriving from :class:`CvatModel`. Field names are
CVAT's own (no renaming). The models come in three families:

Read models (``Task``, ``Project``, ``Job``, ``User`` ...)
    What the server returns. They are lenient on purpose, so that the client survives drift
    between server and SDK versions (the main complaint about the official, generated SDK):

    * unknown fields are ignored, so a newer server still decodes;
    * only ``id`` (and a few truly structural fields) is required; every other field has a
      default (``None``, ``""``, ``0``, ``()`` or an empty nested ref), so an older server that
      omits a field still decodes;
    * enum-valued fields are typed ``str`` (a value added by a newer server still decodes). Compare
      them with the :class:`enum.StrEnum` classes below (``task.status == TaskStatus.COMPLETED``).

    Lists are tuples. Dates are timezone-aware :class:`datetime.datetime`; a date that a server
    may omit is ``datetime | None = None``.

Write models (``TaskSpec``, ``TaskPatch``, ``LabelSpec`` ...)
    What the client sends. They are strict: an unknown field is an error, types and cheap schema
    constraints (ranges, lengths, enum values) are checked when a mapping is converted (see
    :func:`cvatfn._codec.convert`). Optional fields default to :data:`msgspec.UNSET` and are
    left out of the JSON body, so "leave this field alone" differs from "set it to null" (``None``
    is sent as ``null`` where the schema allows it). Required fields have no default. Enum-valued
    fields accept either the plain string or the matching ``StrEnum`` member.

Annotations (``LabeledData``, ``LabeledShape``, ``LabeledTrack`` ...)
    One set of structs serves both directions. Server-assigned ids are ``UNSET`` when absent and
    every field equal to its default is left out when encoding, so a decoded ``LabeledData``
    encodes back to an equivalent body and new shapes can be built without ids. They ignore
    unknown fields (like read models), hold only scalars and tuples of other annotation structs,
    and are therefore created with ``gc=False`` for decoding speed.

``Page[T]`` is a list page ``{count, next, previous, results}``.
"""

import datetime
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Generic, Literal, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    # shared
    "UNSET",
    "UnsetType",
    "CvatModel",
    "CvatWriteModel",
    "Page",
    # enums
    "AnnotationSource",
    "AttributeInputType",
    "ChunkType",
    "DimensionType",
    "FrameSelectionMethod",
    "JobStage",
    "JobState",
    "JobStatus",
    "JobType",
    "LabelType",
    "OrganizationRole",
    "RequestStatus",
    "ShapeType",
    "SortingMethod",
    "StorageLocation",
    "StorageMethod",
    "StorageType",
    "TaskMode",
    "TaskStatus",
    "ValidationMode",
    # write-side value types
    "AttributeInputTypeValue",
    "FrameSelectionMethodValue",
    "JobStageValue",
    "JobStateValue",
    "JobTypeValue",
    "LabelTypeValue",
    "OrganizationRoleValue",
    "SortingMethodValue",
    "StorageLocationValue",
    "StorageMethodValue",
    "ValidationModeValue",
    # nested refs
    "BasicUser",
    "BasicOrganization",
    "CountRef",
    "JobsSummary",
    "UrlRef",
    "Storage",
    # read entities
    "About",
    "AccessToken",
    "AnnotationFormat",
    "AnnotationFormats",
    "Attribute",
    "Chapter",
    "ChapterMetadata",
    "Comment",
    "DataMeta",
    "FrameMeta",
    "Invitation",
    "Issue",
    "Job",
    "Label",
    "Membership",
    "Organization",
    "Project",
    "Request",
    "RequestOperation",
    "RqId",
    "Sublabel",
    "Task",
    "User",
    # annotations
    "AttributeVal",
    "LabeledData",
    "LabeledImage",
    "LabeledInterval",
    "LabeledShape",
    "LabeledTrack",
    "SubLabeledShape",
    "SubLabeledTrack",
    "TrackedShape",
    # write models
    "AccessTokenPatch",
    "AccessTokenSpec",
    "AttributeSpec",
    "CommentPatch",
    "CommentSpec",
    "DataParams",
    "InvitationSpec",
    "IssuePatch",
    "IssueSpec",
    "JobPatch",
    "JobSpec",
    "LabelPatch",
    "LabelSpec",
    "MembershipPatch",
    "OrganizationPatch",
    "OrganizationSpec",
    "ProjectPatch",
    "ProjectSpec",
    "StorageSpec",
    "SublabelSpec",
    "TaskPatch",
    "TaskSpec",
    "UserPatch",
    "ValidationParams",
]

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Bases
# --------------------------------------------------------------------------------------------


class CvatModel(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every cvatfn model: an immutable, keyword-only msgspec struct.

    Decoding ignores unknown fields, and models compare by value.

    Examples:
        >>> import msgspec
        >>> user = msgspec.json.decode(
        ...     b'{"id": 1, "username": "admin", "is_new_in_3_0": true}', type=BasicUser
        ... )
        >>> user
        BasicUser(id=1, username='admin', first_name='', last_name='', url='')
        >>> user == BasicUser(id=1, username="admin")
        True
    """


class CvatWriteModel(
    CvatModel, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Base of the request bodies the client sends.

    Unknown fields are rejected and fields left at their default (normally ``UNSET``) are not
    encoded.

    Examples:
        >>> import msgspec
        >>> msgspec.json.encode(TaskPatch(name="renamed", assignee_id=None))
        b'{"name":"renamed","assignee_id":null}'
    """


class _Annotation(CvatModel, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """Base of the annotation structs (both directions; see the module docstring)."""


# --------------------------------------------------------------------------------------------
# Enumerations (well-known values; read models keep plain ``str`` so unknown values decode)
# --------------------------------------------------------------------------------------------


class JobStage(enum.StrEnum):
    """Stage of a job (``Job.stage``)."""

    ANNOTATION = "annotation"
    VALIDATION = "validation"
    ACCEPTANCE = "acceptance"


class JobState(enum.StrEnum):
    """State of a job within its stage (``Job.state``; CVAT's ``OperationStatus``)."""

    NEW = "new"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    REJECTED = "rejected"


class JobStatus(enum.StrEnum):
    """Overall status of a job, task or project (``Job.status``, ``Task.status``)."""

    ANNOTATION = "annotation"
    VALIDATION = "validation"
    COMPLETED = "completed"


TaskStatus = JobStatus
"""Status of a task or project: the same values as :class:`JobStatus`."""


class JobType(enum.StrEnum):
    """Kind of job (``Job.type``).

    2.80 calls consensus replicas ``replica``; 2.2x servers said ``consensus_replica``.
    """

    ANNOTATION = "annotation"
    GROUND_TRUTH = "ground_truth"
    REPLICA = "replica"
    CONSENSUS_REPLICA = "consensus_replica"


class RequestStatus(enum.StrEnum):
    """Status of a background request (``Request.status``)."""

    QUEUED = "queued"
    STARTED = "started"
    FAILED = "failed"
    FINISHED = "finished"


class ShapeType(enum.StrEnum):
    """Geometry of a shape (``LabeledShape.type``)."""

    RECTANGLE = "rectangle"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINTS = "points"
    ELLIPSE = "ellipse"
    CUBOID = "cuboid"
    MASK = "mask"
    SKELETON = "skeleton"


class LabelType(enum.StrEnum):
    """Which annotations a label may be used for (``Label.type``)."""

    ANY = "any"
    CUBOID = "cuboid"
    ELLIPSE = "ellipse"
    MASK = "mask"
    POINTS = "points"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    RECTANGLE = "rectangle"
    SKELETON = "skeleton"
    INTERVAL = "interval"
    TAG = "tag"


class AttributeInputType(enum.StrEnum):
    """Widget of a label attribute (``Attribute.input_type``)."""

    CHECKBOX = "checkbox"
    RADIO = "radio"
    NUMBER = "number"
    TEXT = "text"
    SELECT = "select"


class OrganizationRole(enum.StrEnum):
    """Role of a member in an organization (``Membership.role``)."""

    WORKER = "worker"
    SUPERVISOR = "supervisor"
    MAINTAINER = "maintainer"
    OWNER = "owner"


class SortingMethod(enum.StrEnum):
    """Order of the frames of a task (``DataParams.sorting_method``)."""

    LEXICOGRAPHICAL = "lexicographical"
    NATURAL = "natural"
    PREDEFINED = "predefined"
    RANDOM = "random"


class StorageLocation(enum.StrEnum):
    """Where imports and exports go (``Storage.location``)."""

    CLOUD_STORAGE = "cloud_storage"
    LOCAL = "local"


class StorageType(enum.StrEnum):
    """Where the media of a task live (``DataMeta.storage``)."""

    CLOUD_STORAGE = "cloud_storage"
    LOCAL = "local"
    SHARE = "share"


class StorageMethod(enum.StrEnum):
    """How chunks are kept (``DataParams.storage_method``)."""

    CACHE = "cache"
    FILE_SYSTEM = "file_system"


class ChunkType(enum.StrEnum):
    """Format of data chunks (``Task.data_compressed_chunk_type``)."""

    VIDEO = "video"
    IMAGESET = "imageset"
    AUDIO_MP3 = "audio_mp3"


class ValidationMode(enum.StrEnum):
    """Validation layout of a task (``Task.validation_mode``)."""

    GT = "gt"
    GT_POOL = "gt_pool"


class FrameSelectionMethod(enum.StrEnum):
    """How validation frames are picked (``ValidationParams.frame_selection_method``)."""

    RANDOM_UNIFORM = "random_uniform"
    RANDOM_PER_JOB = "random_per_job"
    MANUAL = "manual"


class AnnotationSource(enum.StrEnum):
    """Origin of an annotation (``LabeledShape.source``)."""

    MANUAL = "manual"
    SEMI_AUTO = "semi-auto"
    AUTO = "auto"
    FILE = "file"
    CONSENSUS = "consensus"


class TaskMode(enum.StrEnum):
    """Media mode of a task or job (``Task.mode``): images or video."""

    ANNOTATION = "annotation"
    INTERPOLATION = "interpolation"


class DimensionType(enum.StrEnum):
    """Dimension of a task's media (``Task.dimension``)."""

    D2 = "2d"
    D3 = "3d"


# Write models accept the plain string or the StrEnum member. msgspec cannot hold both in one
# union (two str-like types), so type checkers see the union and msgspec sees the Literal; an
# enum member encodes as its value.
_JobStageLit = Literal["annotation", "validation", "acceptance"]
_JobStateLit = Literal["new", "in progress", "completed", "rejected"]
# What 2.80 accepts in a request (JobWriteRequest): "consensus_replica" is only ever read,
# from 2.2x servers (JobType.CONSENSUS_REPLICA).
_JobTypeLit = Literal["annotation", "ground_truth", "replica"]
_LabelTypeLit = Literal[
    "any",
    "cuboid",
    "ellipse",
    "mask",
    "points",
    "polygon",
    "polyline",
    "rectangle",
    "skeleton",
    "interval",
    "tag",
]
_AttributeInputTypeLit = Literal["checkbox", "radio", "number", "text", "select"]
_OrganizationRoleLit = Literal["worker", "supervisor", "maintainer", "owner"]
_SortingMethodLit = Literal["lexicographical", "natural", "predefined", "random"]
_StorageLocationLit = Literal["cloud_storage", "local"]
_StorageMethodLit = Literal["cache", "file_system"]
_ValidationModeLit = Literal["gt", "gt_pool"]
_FrameSelectionMethodLit = Literal["random_uniform", "random_per_job", "manual"]

if TYPE_CHECKING:
    JobStageValue: TypeAlias = JobStage | _JobStageLit
    JobStateValue: TypeAlias = JobState | _JobStateLit
    JobTypeValue: TypeAlias = JobType | _JobTypeLit
    LabelTypeValue: TypeAlias = LabelType | _LabelTypeLit
    AttributeInputTypeValue: TypeAlias = AttributeInputType | _AttributeInputTypeLit
    OrganizationRoleValue: TypeAlias = OrganizationRole | _OrganizationRoleLit
    SortingMethodValue: TypeAlias = SortingMethod | _SortingMethodLit
    StorageLocationValue: TypeAlias = StorageLocation | _StorageLocationLit
    StorageMethodValue: TypeAlias = StorageMethod | _StorageMethodLit
    ValidationModeValue: TypeAlias = ValidationMode | _ValidationModeLit
    FrameSelectionMethodValue: TypeAlias = FrameSelectionMethod | _FrameSelectionMethodLit
else:
    JobStageValue = _JobStageLit
    JobStateValue = _JobStateLit
    JobTypeValue = _JobTypeLit
    LabelTypeValue = _LabelTypeLit
    AttributeInputTypeValue = _AttributeInputTypeLit
    OrganizationRoleValue = _OrganizationRoleLit
    SortingMethodValue = _SortingMethodLit
    StorageLocationValue = _StorageLocationLit
    StorageMethodValue = _StorageMethodLit
    ValidationModeValue = _ValidationModeLit
    FrameSelectionMethodValue = _FrameSelectionMethodLit


def _empty_mapping() -> Mapping[str, object]:
    return {}


# Constrained scalars for write models.
_INT32_MAX = 2_147_483_647
_NonNegInt = Annotated[int, msgspec.Meta(ge=0)]
_PosInt = Annotated[int, msgspec.Meta(ge=1)]
_UInt31 = Annotated[int, msgspec.Meta(ge=0, le=_INT32_MAX)]
_Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
_Name256 = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
_LabelName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_BugTracker = Annotated[str, msgspec.Meta(max_length=2000)]
_NonEmptyStr = Annotated[str, msgspec.Meta(min_length=1)]
_Path = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
_OrgSlug = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[-a-zA-Z0-9_]+$")]
_Username = Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]
_Str150 = Annotated[str, msgspec.Meta(max_length=150)]
_Str255 = Annotated[str, msgspec.Meta(max_length=255)]

# --------------------------------------------------------------------------------------------
# Nested refs and small shared shapes
# --------------------------------------------------------------------------------------------


class BasicUser(CvatModel, frozen=True, kw_only=True):
    """A user as nested in other resources (owner, assignee, member).

    Request owners (``{id, username}`` only) decode into it too.
    """

    id: int
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    url: str = ""


class BasicOrganization(CvatModel, frozen=True, kw_only=True):
    """An organization as nested in an invitation (``{id, slug}``)."""

    id: int
    slug: str = ""


class UrlRef(CvatModel, frozen=True, kw_only=True):
    """A link to a sub-collection, e.g. ``Task.labels`` (``{url}``)."""

    url: str = ""


class CountRef(CvatModel, frozen=True, kw_only=True):
    """A link to a sub-collection with its size, e.g. ``Job.issues`` (``{count, url}``)."""

    count: int = 0
    url: str = ""


class JobsSummary(CvatModel, frozen=True, kw_only=True):
    """``Task.jobs``: the number of jobs, how many are completed and in validation."""

    count: int = 0
    completed: int | None = None
    validation: int | None = None
    url: str = ""


class Storage(CvatModel, frozen=True, kw_only=True):
    """An import/export location (``Task.source_storage``, ``Task.target_storage``)."""

    id: int
    location: str = ""
    cloud_storage_id: int | None = None


class RqId(CvatModel, frozen=True, kw_only=True):
    """The ``{rq_id}`` body of a 202 response that started a background request."""

    rq_id: str


# --------------------------------------------------------------------------------------------
# Read entities
# --------------------------------------------------------------------------------------------


class User(CvatModel, frozen=True, kw_only=True):
    """A user account (``GET /api/users``).

    Non-admin users listing other users get only the :class:`BasicUser` fields; those decode
    too, with the other fields at their defaults.
    """

    id: int
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    url: str = ""
    groups: tuple[str, ...] = ()
    is_active: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    date_joined: datetime.datetime | None = None
    last_login: datetime.datetime | None = None
    email_verified: bool | None = None
    has_analytics_access: bool | None = None
    created_via: str | None = None
    cvat_usage_reason: str = ""
    data_types: tuple[str, ...] = ()
    discovery_source: str = ""
    planned_activities: tuple[str, ...] = ()
    primary_role: str = ""


class Organization(CvatModel, frozen=True, kw_only=True):
    """An organization (``GET /api/organizations``)."""

    id: int
    slug: str = ""
    name: str = ""
    description: str = ""
    contact: Mapping[str, object] = msgspec.field(default_factory=_empty_mapping)
    owner: BasicUser | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class Membership(CvatModel, frozen=True, kw_only=True):
    """A user's membership of an organization; ``role`` is an :class:`OrganizationRole`."""

    id: int
    user: BasicUser | None = None
    organization: int | None = None
    role: str = ""
    is_active: bool = False
    joined_date: datetime.datetime | None = None
    invitation: str | None = None


class Invitation(CvatModel, frozen=True, kw_only=True):
    """An invitation to an organization. It has no ``id``: ``key`` identifies it."""

    key: str
    role: str = ""
    user: BasicUser | None = None
    owner: BasicUser | None = None
    organization: int | None = None
    organization_info: BasicOrganization | None = None
    accepted: bool = False
    expired: bool | None = None
    created_date: datetime.datetime | None = None


class Attribute(CvatModel, frozen=True, kw_only=True):
    """An attribute of a label; ``input_type`` is an :class:`AttributeInputType`."""

    id: int
    name: str = ""
    mutable: bool = False
    input_type: str = ""
    default_value: str = ""
    values: tuple[str, ...] = ()


class Sublabel(CvatModel, frozen=True, kw_only=True):
    """A part of a skeleton label (``Label.sublabels``)."""

    id: int
    name: str = ""
    color: str = ""
    type: str = ""
    has_parent: bool = False
    attributes: tuple[Attribute, ...] = ()


class Label(CvatModel, frozen=True, kw_only=True):
    """A label of a project or task; ``type`` is a :class:`LabelType`.

    Skeletons have ``type == "skeleton"``, their points in ``sublabels`` and their drawing in
    ``svg``.
    """

    id: int
    name: str = ""
    color: str = ""
    type: str = ""
    svg: str = ""
    attributes: tuple[Attribute, ...] = ()
    sublabels: tuple[Sublabel, ...] = ()
    has_parent: bool = False
    parent_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None


class Project(CvatModel, frozen=True, kw_only=True):
    """A project (``GET /api/projects``); ``status`` is a :class:`TaskStatus`."""

    id: int
    name: str = ""
    url: str = ""
    owner: BasicUser | None = None
    assignee: BasicUser | None = None
    assignee_updated_date: datetime.datetime | None = None
    bug_tracker: str = ""
    status: str = ""
    dimension: str | None = None
    guide_id: int | None = None
    organization: int | None = None
    organization_id: int | None = None
    labels: UrlRef = msgspec.field(default_factory=UrlRef)
    tasks: CountRef = msgspec.field(default_factory=CountRef)
    task_subsets: tuple[str, ...] = ()
    source_storage: Storage | None = None
    target_storage: Storage | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class Task(CvatModel, frozen=True, kw_only=True):
    """A task (``GET /api/tasks``).

    Examples:
        >>> import msgspec
        >>> task = msgspec.json.decode(
        ...     b'{"id": 7, "name": "cars", "status": "annotation", "size": 10,'
        ...     b' "jobs": {"count": 2, "completed": 0, "validation": 0, "url": ""}}',
        ...     type=Task,
        ... )
        >>> task.status == TaskStatus.ANNOTATION, task.jobs.count, task.labels.url
        (True, 2, '')
    """

    id: int
    name: str = ""
    url: str = ""
    project_id: int | None = None
    project_name: str | None = None
    mode: str = ""
    status: str = ""
    subset: str = ""
    size: int = 0
    segment_size: int = 0
    overlap: int | None = None
    owner: BasicUser | None = None
    assignee: BasicUser | None = None
    assignee_updated_date: datetime.datetime | None = None
    bug_tracker: str = ""
    dimension: str = ""
    media_type: str = ""
    image_quality: int = 0
    data: int | None = None
    data_chunk_size: int | None = None
    data_compressed_chunk_type: str = ""
    data_original_chunk_type: str = ""
    data_cloud_storage_id: int | None = None
    guide_id: int | None = None
    organization: int | None = None
    organization_id: int | None = None
    initial_replicas: int = 0
    validation_mode: str | None = None
    jobs: JobsSummary = msgspec.field(default_factory=JobsSummary)
    labels: UrlRef = msgspec.field(default_factory=UrlRef)
    source_storage: Storage | None = None
    target_storage: Storage | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class Job(CvatModel, frozen=True, kw_only=True):
    """A job: a frame range of a task (``GET /api/jobs``).

    ``stage``, ``state``, ``status`` and ``type`` are :class:`JobStage`, :class:`JobState`,
    :class:`JobStatus` and :class:`JobType` values.
    """

    id: int
    url: str = ""
    task_id: int = 0
    task_name: str | None = None
    project_id: int | None = None
    project_name: str | None = None
    type: str = ""
    stage: str = ""
    state: str = ""
    status: str = ""
    mode: str = ""
    dimension: str = ""
    media_type: str = ""
    start_frame: int = 0
    stop_frame: int = 0
    frame_count: int = 0
    assignee: BasicUser | None = None
    assignee_updated_date: datetime.datetime | None = None
    bug_tracker: str | None = None
    guide_id: int | None = None
    organization: int | None = None
    parent_job_id: int | None = None
    replicas_count: int = 0
    data_chunk_size: int | None = None
    data_compressed_chunk_type: str = ""
    data_original_chunk_type: str = ""
    issues: CountRef = msgspec.field(default_factory=CountRef)
    labels: UrlRef = msgspec.field(default_factory=UrlRef)
    source_storage: Storage | None = None
    target_storage: Storage | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class Issue(CvatModel, frozen=True, kw_only=True):
    """An issue raised on a job frame; ``position`` is a flat list of coordinates."""

    id: int
    job: int = 0
    frame: int = 0
    position: tuple[float, ...] = ()
    owner: BasicUser | None = None
    assignee: BasicUser | None = None
    resolved: bool = False
    comments: CountRef = msgspec.field(default_factory=CountRef)
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class Comment(CvatModel, frozen=True, kw_only=True):
    """A comment on an issue."""

    id: int
    issue: int = 0
    message: str = ""
    owner: BasicUser | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None


class RequestOperation(CvatModel, frozen=True, kw_only=True):
    """What a background request does (``Request.operation``), e.g. ``type="export:dataset"``."""

    type: str = ""
    target: str = ""
    format: str | None = None
    function_id: str | None = None
    job_id: int | None = None
    task_id: int | None = None
    project_id: int | None = None
    org_id: int | None = None
    lightweight: bool | None = None


class Request(CvatModel, frozen=True, kw_only=True):
    """A background request (``GET /api/requests/{id}``); ``status`` is a :class:`RequestStatus`.

    Its ``id`` is a string. ``owner`` carries only ``id`` and ``username``.
    """

    id: str
    status: str = ""
    message: str = ""
    progress: float | None = None
    operation: RequestOperation = msgspec.field(default_factory=RequestOperation)
    owner: BasicUser | None = None
    result_url: str | None = None
    result_id: int | None = None
    created_date: datetime.datetime | None = None
    started_date: datetime.datetime | None = None
    finished_date: datetime.datetime | None = None
    expiry_date: datetime.datetime | None = None


class AnnotationFormat(CvatModel, frozen=True, kw_only=True):
    """One annotation format the server can import or export (CVAT's ``DatasetFormat``).

    ``name`` is what the export and import calls take (``"CVAT for images 1.1"``,
    ``"COCO 1.0"``); ``ext`` the file types it reads or writes (``"ZIP, XML"``); ``dimension``
    ``"2d"`` or ``"3d"``; a format that is not ``enabled`` is refused by the server.
    """

    name: str
    ext: str = ""
    version: str = ""
    enabled: bool = True
    dimension: str = ""


class AnnotationFormats(CvatModel, frozen=True, kw_only=True):
    """The server's annotation formats (``GET /api/server/annotation/formats``, CVAT's
    ``DatasetFormats``).

    Examples:
        >>> formats = AnnotationFormats(
        ...     importers=(AnnotationFormat(name="CVAT 1.1"),),
        ...     exporters=(AnnotationFormat(name="CVAT for images 1.1"),))
        >>> formats.importer("CVAT 1.1").name, formats.exporter("CVAT 1.1")
        ('CVAT 1.1', None)
    """

    importers: tuple[AnnotationFormat, ...] = ()
    exporters: tuple[AnnotationFormat, ...] = ()

    def importer(self, name: str) -> AnnotationFormat | None:
        """The importer called ``name`` (exactly, as the server compares), or ``None``."""
        return next((item for item in self.importers if item.name == name), None)

    def exporter(self, name: str) -> AnnotationFormat | None:
        """The exporter called ``name`` (exactly, as the server compares), or ``None``."""
        return next((item for item in self.exporters if item.name == name), None)


class About(CvatModel, frozen=True, kw_only=True):
    """Server information (``GET /api/server/about``)."""

    name: str = ""
    description: str = ""
    version: str = ""
    logo_url: str = ""
    subtitle: str = ""


class FrameMeta(CvatModel, frozen=True, kw_only=True):
    """Size and name of one frame. ``width``/``height`` may be absent (e.g. audio)."""

    name: str = ""
    width: int | None = None
    height: int | None = None
    related_files: int = 0
    has_related_context: bool = False


class ChapterMetadata(CvatModel, frozen=True, kw_only=True):
    """Metadata of a video chapter."""

    title: str = ""


class Chapter(CvatModel, frozen=True, kw_only=True):
    """A video chapter: a frame range with a title."""

    id: int
    start: int = 0
    stop: int = 0
    metadata: ChapterMetadata = msgspec.field(default_factory=ChapterMetadata)


class DataMeta(CvatModel, frozen=True, kw_only=True):
    """Media metadata of a task or job (``GET /api/tasks/{id}/data/meta``).

    ``frames`` is ``None`` when the server did not send it (or sent ``null``).
    """

    chunk_size: int | None = None
    chunks_updated_date: datetime.datetime | None = None
    image_quality: int | None = None
    size: int = 0
    start_frame: int = 0
    stop_frame: int = 0
    frame_filter: str = ""
    frames: tuple[FrameMeta, ...] | None = None
    deleted_frames: tuple[int, ...] = ()
    included_frames: tuple[int, ...] | None = None
    chapters: tuple[Chapter, ...] | None = None
    storage: str = ""
    cloud_storage_id: int | None = None


class AccessToken(CvatModel, frozen=True, kw_only=True):
    """A personal access token. ``value`` is only present in the response that created it."""

    id: int
    name: str = ""
    owner: BasicUser | None = None
    read_only: bool = False
    value: str | None = None
    created_date: datetime.datetime | None = None
    updated_date: datetime.datetime | None = None
    expiry_date: datetime.datetime | None = None
    last_used_date: datetime.datetime | None = None


class Page(CvatModel, Generic[T], frozen=True, kw_only=True):
    """One page of a list endpoint.

    Examples:
        >>> import msgspec
        >>> page = msgspec.json.decode(
        ...     b'{"count": 1, "next": null, "previous": null, "results": [{"id": 3}]}',
        ...     type=Page[Comment],
        ... )
        >>> page.count, page.results[0].id
        (1, 3)
    """

    count: int
    next: str | None = None
    previous: str | None = None
    results: tuple[T, ...]


# --------------------------------------------------------------------------------------------
# Annotations (both directions)
# --------------------------------------------------------------------------------------------


class AttributeVal(_Annotation, frozen=True, kw_only=True):
    """The value of a label attribute on an annotation (``spec_id`` is the attribute id)."""

    spec_id: int
    value: str


class TrackedShape(_Annotation, frozen=True, kw_only=True):
    """A keyframe of a track."""

    type: str
    frame: int
    points: tuple[float, ...] = ()
    id: int | UnsetType | None = UNSET
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: float = 0.0
    attributes: tuple[AttributeVal, ...] = ()


class SubLabeledShape(_Annotation, frozen=True, kw_only=True):
    """An element (a skeleton point) of a skeleton shape."""

    type: str
    frame: int
    label_id: int
    points: tuple[float, ...] = ()
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: float = 0.0
    score: float = 1.0
    attributes: tuple[AttributeVal, ...] = ()


class LabeledShape(_Annotation, frozen=True, kw_only=True):
    """A shape on one frame; ``type`` is a :class:`ShapeType`.

    ``points`` is flat (``[x1, y1, x2, y2, ...]``; run-length encoded for masks). Skeletons have
    ``type="skeleton"``, no points and one ``elements`` entry per skeleton point.

    Examples:
        >>> import msgspec
        >>> box = LabeledShape(type=ShapeType.RECTANGLE, frame=0, label_id=3, points=(1, 2, 3, 4))
        >>> msgspec.json.encode(box)
        b'{"type":"rectangle","frame":0,"label_id":3,"points":[1,2,3,4]}'
    """

    type: str
    frame: int
    label_id: int
    points: tuple[float, ...] = ()
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: float = 0.0
    score: float = 1.0
    attributes: tuple[AttributeVal, ...] = ()
    elements: tuple[SubLabeledShape, ...] = ()


class SubLabeledTrack(_Annotation, frozen=True, kw_only=True):
    """An element (a skeleton point) of a skeleton track."""

    label_id: int
    frame: int
    shapes: tuple[TrackedShape, ...]
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    attributes: tuple[AttributeVal, ...] = ()


class LabeledTrack(_Annotation, frozen=True, kw_only=True):
    """An object tracked across frames through its keyframes (``shapes``)."""

    label_id: int
    frame: int
    shapes: tuple[TrackedShape, ...]
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    attributes: tuple[AttributeVal, ...] = ()
    elements: tuple[SubLabeledTrack, ...] = ()


class LabeledImage(_Annotation, frozen=True, kw_only=True):
    """A tag: a label on a whole frame."""

    label_id: int
    frame: int
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    attributes: tuple[AttributeVal, ...] = ()


class LabeledInterval(_Annotation, frozen=True, kw_only=True):
    """A label on a frame range (``stop`` is ``None`` for an open interval)."""

    label_id: int
    start: int
    stop: int | None
    id: int | UnsetType | None = UNSET
    group: int | None = 0
    source: str = "manual"
    score: float = 1.0
    attributes: tuple[AttributeVal, ...] = ()


class LabeledData(_Annotation, frozen=True, kw_only=True):
    """All annotations of a job or task (``GET/PUT/PATCH .../annotations``).

    Examples:
        >>> import msgspec
        >>> data = LabeledData(tags=(LabeledImage(label_id=1, frame=0),))
        >>> msgspec.json.encode(data)
        b'{"tags":[{"label_id":1,"frame":0}]}'
    """

    version: int = 0
    tags: tuple[LabeledImage, ...] = ()
    shapes: tuple[LabeledShape, ...] = ()
    tracks: tuple[LabeledTrack, ...] = ()
    intervals: tuple[LabeledInterval, ...] = ()


# --------------------------------------------------------------------------------------------
# Write models
# --------------------------------------------------------------------------------------------


class StorageSpec(CvatWriteModel, frozen=True, kw_only=True):
    """Where a project or task imports from or exports to (``StorageRequest``)."""

    location: StorageLocationValue | UnsetType = UNSET
    cloud_storage_id: int | UnsetType | None = UNSET


class AttributeSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A label attribute to create or update (``AttributeRequest``)."""

    name: _LabelName
    mutable: bool
    input_type: AttributeInputTypeValue
    values: tuple[str, ...]
    default_value: Annotated[str, msgspec.Meta(max_length=128)] | UnsetType = UNSET
    id: int | UnsetType = UNSET
    deleted: bool | UnsetType = UNSET


class SublabelSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A skeleton point label to create or update (``SublabelRequest``)."""

    name: _LabelName
    id: int | UnsetType = UNSET
    color: str | UnsetType = UNSET
    type: LabelTypeValue | UnsetType = UNSET
    has_parent: bool | UnsetType = UNSET
    attributes: tuple[AttributeSpec, ...] | UnsetType = UNSET


class LabelSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new label, in ``ProjectSpec.labels`` or ``TaskSpec.labels`` (``PatchedLabelRequest``).

    Examples:
        >>> import msgspec
        >>> msgspec.json.encode(LabelSpec(name="car", type=LabelType.RECTANGLE))
        b'{"name":"car","type":"rectangle"}'
    """

    name: _LabelName
    color: str | UnsetType = UNSET
    type: LabelTypeValue | UnsetType = UNSET
    svg: str | UnsetType = UNSET
    attributes: tuple[AttributeSpec, ...] | UnsetType = UNSET
    sublabels: tuple[SublabelSpec, ...] | UnsetType = UNSET


class LabelPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a label (``PATCH /api/labels/{id}``), or an entry of ``ProjectPatch.labels``.

    In a project or task patch, an entry with an ``id`` updates that label (``deleted=True``
    removes it) and an entry without one adds a label.
    """

    id: int | UnsetType = UNSET
    name: _LabelName | UnsetType = UNSET
    color: str | UnsetType = UNSET
    type: LabelTypeValue | UnsetType = UNSET
    svg: str | UnsetType = UNSET
    deleted: bool | UnsetType = UNSET
    attributes: tuple[AttributeSpec, ...] | UnsetType = UNSET
    sublabels: tuple[SublabelSpec, ...] | UnsetType = UNSET


class ProjectSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new project (``POST /api/projects``, ``ProjectWriteRequest``)."""

    name: _Name256
    labels: tuple[LabelSpec, ...] | UnsetType = UNSET
    owner_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    bug_tracker: _BugTracker | UnsetType = UNSET
    source_storage: StorageSpec | UnsetType = UNSET
    target_storage: StorageSpec | UnsetType = UNSET


class ProjectPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a project (``PATCH /api/projects/{id}``)."""

    name: _Name256 | UnsetType = UNSET
    labels: tuple[LabelPatch, ...] | UnsetType = UNSET
    owner_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    bug_tracker: _BugTracker | UnsetType = UNSET
    organization_id: int | UnsetType | None = UNSET
    source_storage: StorageSpec | UnsetType = UNSET
    target_storage: StorageSpec | UnsetType = UNSET


class TaskSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new task (``POST /api/tasks``, ``TaskWriteRequest``); its media go in :class:`DataParams`.

    Examples:
        >>> import msgspec
        >>> msgspec.json.encode(TaskSpec(name="cars", labels=(LabelSpec(name="car"),)))
        b'{"name":"cars","labels":[{"name":"car"}]}'
    """

    name: _Name256
    labels: tuple[LabelSpec, ...] | UnsetType = UNSET
    project_id: int | UnsetType | None = UNSET
    owner_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    bug_tracker: _BugTracker | UnsetType = UNSET
    overlap: _UInt31 | UnsetType | None = UNSET
    segment_size: _UInt31 | UnsetType = UNSET
    subset: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType = UNSET
    initial_replicas: _UInt31 | UnsetType = UNSET
    consensus_replicas: _NonNegInt | UnsetType = UNSET
    source_storage: StorageSpec | UnsetType = UNSET
    target_storage: StorageSpec | UnsetType = UNSET


class TaskPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a task (``PATCH /api/tasks/{id}``, ``PatchedTaskWriteRequest``)."""

    name: _Name256 | UnsetType = UNSET
    labels: tuple[LabelPatch, ...] | UnsetType = UNSET
    project_id: int | UnsetType | None = UNSET
    owner_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    bug_tracker: _BugTracker | UnsetType = UNSET
    subset: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType = UNSET
    organization_id: int | UnsetType | None = UNSET
    source_storage: StorageSpec | UnsetType = UNSET
    target_storage: StorageSpec | UnsetType = UNSET


class ValidationParams(CvatWriteModel, frozen=True, kw_only=True):
    """Validation (ground truth) set-up of a new task (``ValidationParamsRequest``)."""

    mode: ValidationModeValue
    frame_selection_method: FrameSelectionMethodValue | UnsetType = UNSET
    random_seed: _NonNegInt | UnsetType = UNSET
    frames: tuple[_Path, ...] | UnsetType = UNSET
    frame_count: _PosInt | UnsetType = UNSET
    frame_share: _Share | UnsetType = UNSET
    frames_per_job_count: _PosInt | UnsetType = UNSET
    frames_per_job_share: _Share | UnsetType = UNSET


class DataParams(CvatWriteModel, frozen=True, kw_only=True):
    """Media parameters of a task (``POST /api/tasks/{id}/data/``, ``DataRequest``).

    Uploaded files (``client_files``) are not part of it: they travel separately.
    """

    image_quality: Annotated[int, msgspec.Meta(ge=1, le=100)] | UnsetType = UNSET
    use_zip_chunks: bool | UnsetType = UNSET
    use_cache: bool | UnsetType = UNSET
    copy_data: bool | UnsetType = UNSET
    storage_method: StorageMethodValue | UnsetType = UNSET
    sorting_method: SortingMethodValue | UnsetType = UNSET
    start_frame: _UInt31 | UnsetType = UNSET
    stop_frame: _UInt31 | UnsetType = UNSET
    frame_filter: Annotated[str, msgspec.Meta(max_length=256)] | UnsetType = UNSET
    chunk_size: _UInt31 | UnsetType | None = UNSET
    server_files: tuple[_Path, ...] | UnsetType = UNSET
    remote_files: tuple[_Path, ...] | UnsetType = UNSET
    server_files_exclude: tuple[_Path, ...] | UnsetType = UNSET
    cloud_storage_id: int | UnsetType | None = UNSET
    filename_pattern: _NonEmptyStr | UnsetType | None = UNSET
    job_file_mapping: tuple[tuple[_Path, ...], ...] | UnsetType = UNSET
    upload_file_order: tuple[_Path, ...] | UnsetType = UNSET
    validation_params: ValidationParams | UnsetType | None = UNSET


class JobSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new job (``POST /api/jobs``, ``JobWriteRequest``): a ground truth job of a task."""

    type: JobTypeValue
    task_id: int
    frame_selection_method: FrameSelectionMethodValue | UnsetType = UNSET
    frame_count: _PosInt | UnsetType = UNSET
    frame_share: _Share | UnsetType = UNSET
    frames: tuple[_NonNegInt, ...] | UnsetType = UNSET
    frames_per_job_count: _PosInt | UnsetType = UNSET
    frames_per_job_share: _Share | UnsetType = UNSET
    random_seed: _NonNegInt | UnsetType = UNSET
    assignee: int | UnsetType | None = UNSET
    stage: JobStageValue | UnsetType = UNSET
    state: JobStateValue | UnsetType = UNSET


class JobPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a job (``PATCH /api/jobs/{id}``).

    Examples:
        >>> import msgspec
        >>> msgspec.json.encode(JobPatch(stage=JobStage.VALIDATION, assignee=None))
        b'{"assignee":null,"stage":"validation"}'
    """

    assignee: int | UnsetType | None = UNSET
    stage: JobStageValue | UnsetType = UNSET
    state: JobStateValue | UnsetType = UNSET


class IssueSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new issue (``POST /api/issues``) with its first comment (``message``)."""

    job: int
    frame: _UInt31
    position: tuple[float, ...]
    message: _NonEmptyStr
    assignee: int | UnsetType | None = UNSET
    resolved: bool | UnsetType = UNSET


class IssuePatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to an issue (``PATCH /api/issues/{id}``)."""

    assignee: int | UnsetType | None = UNSET
    position: tuple[float, ...] | UnsetType = UNSET
    resolved: bool | UnsetType = UNSET


class CommentSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new comment on an issue (``POST /api/comments``)."""

    issue: int
    message: _NonEmptyStr | UnsetType = UNSET


class CommentPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a comment (``PATCH /api/comments/{id}``)."""

    message: _NonEmptyStr | UnsetType = UNSET


class OrganizationSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new organization (``POST /api/organizations``)."""

    slug: _OrgSlug
    name: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType = UNSET
    description: str | UnsetType = UNSET
    contact: Mapping[str, object] | UnsetType = UNSET


class OrganizationPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to an organization (``PATCH /api/organizations/{id}``)."""

    slug: _OrgSlug | UnsetType = UNSET
    name: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType = UNSET
    description: str | UnsetType = UNSET
    contact: Mapping[str, object] | UnsetType = UNSET


class MembershipPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a membership's role (``PATCH /api/memberships/{id}``)."""

    role: OrganizationRoleValue | UnsetType = UNSET


class InvitationSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new invitation to the current organization (``POST /api/invitations``)."""

    role: OrganizationRoleValue
    email: _NonEmptyStr


class UserPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a user (``PATCH /api/users/{id}``, ``PatchedUserRequest``)."""

    username: _Username | UnsetType = UNSET
    first_name: _Str150 | UnsetType = UNSET
    last_name: _Str150 | UnsetType = UNSET
    email: Annotated[str, msgspec.Meta(max_length=254)] | UnsetType = UNSET
    groups: tuple[str, ...] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    is_staff: bool | UnsetType = UNSET
    is_superuser: bool | UnsetType = UNSET
    cvat_usage_reason: (
        Literal[
            "", "work_project", "academic_research", "teaching_or_coursework", "personal_project"
        ]
        | UnsetType
    ) = UNSET
    data_types: Annotated[tuple[str, ...], msgspec.Meta(max_length=6)] | UnsetType = UNSET
    discovery_source: _Str255 | UnsetType = UNSET
    planned_activities: (
        Annotated[
            tuple[
                Literal[
                    "set_up_projects",
                    "annotate_data",
                    "review_quality",
                    "manage_annotators",
                    "connect_models",
                    "evaluate_for_organization",
                ],
                ...,
            ],
            msgspec.Meta(max_length=6),
        ]
        | UnsetType
    ) = UNSET
    primary_role: _Str255 | UnsetType = UNSET


class AccessTokenSpec(CvatWriteModel, frozen=True, kw_only=True):
    """A new personal access token (``POST /api/auth/access_tokens``)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    expiry_date: datetime.datetime | UnsetType | None = UNSET
    read_only: bool | UnsetType = UNSET


class AccessTokenPatch(CvatWriteModel, frozen=True, kw_only=True):
    """A change to a personal access token (``PATCH /api/auth/access_tokens/{id}``)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | UnsetType = UNSET
    expiry_date: datetime.datetime | UnsetType | None = UNSET
    read_only: bool | UnsetType = UNSET
