"""The fake server's in-memory resources: plain mutable dataclasses, one per CVAT model.

Theory of operation
-------------------
Every resource the fake CVAT server knows lives in one :class:`State` object owned by a
:class:`~cvatfn_fake.FakeServer` instance; there are no module-level globals. Ids are handed
out by :meth:`State.next_id`, one sequence per resource type, so two servers fed the same
requests produce byte-identical responses. Serialisation to CVAT's JSON lives in the resource
modules (``_tasks.py`` and friends), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]

OrgRole = Literal["owner", "maintainer", "supervisor", "worker"]
ORG_ROLES: tuple[str, ...] = ("worker", "supervisor", "maintainer", "owner")
"""Organization roles, lowest rank first."""

PRIVILEGES: tuple[str, ...] = ("worker", "user", "admin")
"""Global privilege groups, lowest rank first (CVAT's ``IAM_ROLES``; ``business`` is folded
into ``user``)."""


@dataclass
class User:
    id: int
    username: str
    password: str
    email: str
    first_name: str
    last_name: str
    is_superuser: bool
    is_staff: bool
    is_active: bool
    group: str
    date_joined: float
    last_login: float | None = None


@dataclass
class Session:
    key: str
    user_id: int


@dataclass
class AccessToken:
    id: int
    name: str
    owner_id: int
    value: str
    read_only: bool
    created: float
    updated: float
    expiry: float | None
    last_used: float | None = None


@dataclass
class Organization:
    id: int
    slug: str
    name: str
    description: str
    contact: JsonDict
    owner_id: int
    created: float
    updated: float


@dataclass
class Membership:
    id: int
    org_id: int
    user_id: int
    role: str
    is_active: bool
    joined: float | None
    invitation: str | None


@dataclass
class Invitation:
    key: str
    org_id: int
    owner_id: int
    user_id: int
    role: str
    created: float
    accepted: bool = False
    sent: float | None = None


@dataclass
class Attribute:
    id: int
    name: str
    mutable: bool
    input_type: str
    default_value: str
    values: list[str]


@dataclass
class Label:
    id: int
    name: str
    color: str
    type: str
    attributes: list[Attribute]
    project_id: int | None
    task_id: int | None
    parent_id: int | None
    svg: str = ""


@dataclass
class Storage:
    id: int
    location: str
    cloud_storage_id: int | None


@dataclass
class Project:
    id: int
    name: str
    owner_id: int | None
    assignee_id: int | None
    assignee_updated: float | None
    bug_tracker: str
    org_id: int | None
    status: str
    created: float
    updated: float
    source_storage: Storage | None
    target_storage: Storage | None


@dataclass
class Frame:
    name: str
    width: int
    height: int
    """``width`` x ``height``: the size CVAT records (EXIF orientations 5-8 swap the sides)."""
    blob: bytes
    orientation: int = 1
    """The EXIF orientation of ``blob``; derived images are shown upright, as CVAT's
    ``ImageOps.exif_transpose`` shows them."""


@dataclass
class MediaCache:
    """Images derived from a task's frames (see ``_media``), built once and reused.

    The entries are valid while ``frames`` is the very list the task's data holds (and
    ``image_quality`` unchanged); ``_media`` starts afresh otherwise.
    """

    frames: list[Frame] | None = None
    image_quality: int = -1
    compressed: dict[int, bytes] = field(default_factory=dict[int, bytes])
    """JPEG renditions at the task's ``image_quality``, by frame number."""
    previews: dict[int, bytes] = field(default_factory=dict[int, bytes])
    """Preview JPEGs, by frame number."""
    checksums: dict[int, int] = field(default_factory=dict[int, int])
    """CRC-32 of each original frame, for zip chunks."""


@dataclass
class TaskData:
    id: int
    image_quality: int = 70
    chunk_size: int | None = None
    size: int = 0
    start_frame: int = 0
    stop_frame: int = 0
    frame_filter: str = ""
    sorting_method: str = "lexicographical"
    storage: str = "local"
    storage_method: str = "file_system"
    compressed_chunk_type: str = "imageset"
    original_chunk_type: str = "imageset"
    frames: list[Frame] = field(default_factory=list[Frame])
    deleted_frames: list[int] = field(default_factory=list[int])
    uploaded: dict[str, bytes | bytearray] = field(default_factory=dict[str, bytes | bytearray])
    """Files received by Upload-Multiple or TUS, by name, in arrival order (a part as it
    arrived, a ``bytearray`` once more parts of the same name are appended to it)."""
    chunks_updated: float = 0.0
    validation_mode: str | None = None
    cloud_storage_id: int | None = None
    validation_disabled_frames: list[int] = field(default_factory=list[int])
    """Frames excluded from validation (deleted through the ground truth job's meta)."""
    media: MediaCache = field(default_factory=MediaCache, repr=False, compare=False)


@dataclass
class Task:
    id: int
    name: str
    project_id: int | None
    owner_id: int | None
    assignee_id: int | None
    assignee_updated: float | None
    bug_tracker: str
    org_id: int | None
    overlap: int | None
    segment_size: int
    subset: str
    mode: str
    status: str
    dimension: str
    created: float
    updated: float
    source_storage: Storage | None
    target_storage: Storage | None
    data: TaskData | None = None
    guide_id: int | None = None


@dataclass
class Job:
    id: int
    task_id: int
    start_frame: int
    stop_frame: int
    type: str
    stage: str
    state: str
    status: str
    assignee_id: int | None
    assignee_updated: float | None
    created: float
    updated: float
    frames: list[int] | None = None
    """The chosen frames (relative numbers) of a ground truth job; None for a range job."""


@dataclass
class Issue:
    id: int
    job_id: int
    frame: int
    position: list[float]
    owner_id: int | None
    assignee_id: int | None
    resolved: bool
    created: float
    updated: float


@dataclass
class Comment:
    id: int
    issue_id: int
    owner_id: int | None
    message: str
    created: float
    updated: float


@dataclass
class JobAnnotations:
    """One job's annotations, each object in CVAT's wire form with its server-assigned ids.

    ``shapes`` hold their skeleton ``elements``, ``tracks`` their tracked ``shapes`` and
    ``elements`` (sub-tracks); attribute values are ``{"spec_id", "value"}`` pairs.
    """

    tags: list[JsonDict] = field(default_factory=list[JsonDict])
    shapes: list[JsonDict] = field(default_factory=list[JsonDict])
    tracks: list[JsonDict] = field(default_factory=list[JsonDict])


@dataclass
class BackgroundRequest:
    id: str
    seq: int
    owner_id: int
    action: str
    target: str
    target_id: int
    status: str
    created: float
    org_id: int | None
    project_id: int | None
    task_id: int | None
    job_id: int | None
    params: JsonDict
    polls_left: int
    fail_message: str | None
    message: str = ""
    progress: float = 0.0
    started: float | None = None
    finished: float | None = None
    result_id: int | None = None
    result_url: str | None = None
    format: str | None = None
    polled: bool = False
    subresource: str | None = None
    """``dataset``, ``annotations`` or ``backup`` for exports and imports."""
    lightweight: bool | None = None
    result_file: bytes | None = field(default=None, repr=False)
    """The file an export produced, served at ``result_url``."""
    result_filename: str | None = None


@dataclass
class TusUpload:
    file_id: str
    task_id: int
    filename: str
    length: int
    buffer: bytearray
    offset: int = 0
    scope: str = "data"
    """``data`` for task media; otherwise the import it belongs to (``task:7:annotations``)."""
    owner_id: int | None = None


@dataclass
class State:
    """Everything the server stores. Owned by one :class:`FakeServer`."""

    users: dict[int, User] = field(default_factory=dict[int, User])
    sessions: dict[str, Session] = field(default_factory=dict[str, Session])
    legacy_tokens: dict[str, int] = field(default_factory=dict[str, int])
    access_tokens: dict[int, AccessToken] = field(default_factory=dict[int, AccessToken])
    organizations: dict[int, Organization] = field(default_factory=dict[int, Organization])
    memberships: dict[int, Membership] = field(default_factory=dict[int, Membership])
    invitations: dict[str, Invitation] = field(default_factory=dict[str, Invitation])
    projects: dict[int, Project] = field(default_factory=dict[int, Project])
    tasks: dict[int, Task] = field(default_factory=dict[int, Task])
    jobs: dict[int, Job] = field(default_factory=dict[int, Job])
    labels: dict[int, Label] = field(default_factory=dict[int, Label])
    issues: dict[int, Issue] = field(default_factory=dict[int, Issue])
    comments: dict[int, Comment] = field(default_factory=dict[int, Comment])
    annotations: dict[int, JobAnnotations] = field(default_factory=dict[int, JobAnnotations])
    """By job id; a job without annotations may have no entry."""
    requests: dict[str, BackgroundRequest] = field(default_factory=dict[str, BackgroundRequest])
    uploads: dict[str, TusUpload] = field(default_factory=dict[str, TusUpload])
    remote_files: dict[str, bytes] = field(default_factory=dict[str, bytes])
    counters: dict[str, int] = field(default_factory=dict[str, int])

    def next_id(self, kind: str) -> int:
        """The next id of resource type ``kind`` (1, 2, 3, ...)."""
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    def user_by_name(self, username: str) -> User | None:
        for user in self.users.values():
            if user.username == username:
                return user
        return None

    def org_by_slug(self, slug: str) -> Organization | None:
        for org in self.organizations.values():
            if org.slug == slug:
                return org
        return None

    def membership(self, org_id: int, user_id: int) -> Membership | None:
        for membership in self.memberships.values():
            if membership.org_id == org_id and membership.user_id == user_id:
                return membership
        return None
