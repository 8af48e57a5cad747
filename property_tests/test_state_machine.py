"""cvatfn against the fake server, step by step, beside a plain-dict model of CVAT.

Theory of operation
-------------------
A hypothesis :class:`~hypothesis.stateful.RuleBasedStateMachine` drives random sequences of
calls through cvatfn's public functions: create, update and remove projects, tasks (empty, or
with a few real images cut into jobs by ``segment_size`` and ``overlap``), jobs, labels,
issues and comments; move tasks between projects; annotation edits on tasks and on jobs
(``PUT``, ``PATCH ?action=create|update|delete`` and removal); and list calls with filters,
search, sort and small pages, eagerly or through ``iterate``. Each example gets a fresh
:class:`~cvatfn_fake.FakeServer` whose every response passes through
:class:`~tests.contract.openapi.ValidatingTransport` (CVAT's 2.80 contract), an admin session
and a session of ``bob``, a regular user.

Beside the server the machine keeps a model made of plain dicts keyed by id. Before each
call a rule decides from the model alone what must happen: success, or the specific typed
failure (``NotFound`` for something removed, ``Forbidden`` for what bob may not touch,
``BadRequest`` for a duplicate label name, an annotation with a foreign label or a move to a
project without the task's label names, ``InvalidInput`` for what cvatfn refuses before
sending). On success the model is changed the way CVAT changes its database: cascades on
removal, jobs cut from the task size, annotations routed by frame to the job that holds them,
objects of a deleted label deleted with it, objects of a moved task relabelled by name.

After every step the invariants compare the whole server with the model: the admin's lists of
projects, tasks, jobs and labels (every field the model knows, across pages of three), bob's
lists (exactly what CVAT's sandbox rules let him see), every job's annotations, each task's
annotations as the union of its jobs' (tasks whose jobs overlap excepted: CVAT merges their
shared frames, which the model does not reproduce), the retrieve of every entity the step
touched with what cvatfn lists under it, and that no id was ever handed out twice (each new
id is larger than every earlier one of its kind). At the end of each example every entity,
live or removed, is retrieved by both users.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PIL import Image
from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import BadRequest, CvatErrorBase, Forbidden, InvalidInput, NotFound
from cvatfn.filters import F, Filter
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import Comment, Issue, Job, Label, LabeledData, Project, Task
from cvatfn_fake import FakeServer
from tests.contract.openapi import Contract, Operation, ValidatingTransport

T = TypeVar("T")

ADMIN, BOB = "admin", "bob"
USERS = {ADMIN: "admin", BOB: "bob-pw"}
NAMES = ("alpha", "beta", "gamma", "delta")
LABEL_NAMES = ("car", "person", "tree", "sign")
SUBSETS = ("", "train", "test")
STAGES = ("annotation", "validation", "acceptance")
STATES = ("new", "in progress", "completed", "rejected")
TRACKERS = ("", "https://bugs.example/1", "https://bugs.example/2")
MAX_IMAGES = 5
PAGE_SIZE = 3

STEPS: Counter[str] = Counter()
"""Steps run by every example of this module's machine, by rule, plus ``examples``."""

actors = st.sampled_from((ADMIN, ADMIN, BOB))
names = st.sampled_from(NAMES)
points = st.lists(st.integers(0, 60), min_size=4, max_size=4).map(
    lambda values: tuple(float(v) for v in values)
)


# ------------------------------------------------------------------------------ the contract
class RememberingContract(Contract):
    """CVAT's contract, remembering its verdict on each distinct exchange.

    The invariants list the same unchanged pages again and again; an exchange whose request
    and whole response (status, headers, body) are byte for byte one already judged gets the
    same verdict without running the schema validator again. Every distinct response is still
    validated.
    """

    def __init__(self, base: Contract) -> None:
        self.__dict__.update(base.__dict__)
        self.verdicts: dict[bytes, tuple[Operation | None, list[str]]] = {}

    def check(
        self, request: HttpRequest, response: HttpResponse
    ) -> tuple[Operation | None, list[str]]:
        exchange = (request.method, request.url, request.headers, response.status)
        digest = hashlib.blake2b(repr((exchange, response.headers)).encode(), digest_size=20)
        digest.update(response.body)
        key = digest.digest()
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self.verdicts[key] = super().check(request, response)
        return verdict[0], list(verdict[1])


CONTRACT = RememberingContract(Contract.load())


# ------------------------------------------------------------------------------- the model
@dataclass
class MProject:
    name: str
    owner: str
    assignee: str | None = None
    bug_tracker: str = ""


@dataclass
class MTask:
    name: str
    project_id: int | None
    owner: str
    assignee: str | None = None
    subset: str = ""
    bug_tracker: str = ""
    size: int = 0
    segment_size: int = 0
    overlap: int | None = None
    status: str = "annotation"


@dataclass
class MJob:
    task_id: int
    start: int
    stop: int
    stage: str = "annotation"
    state: str = "new"
    status: str = "annotation"
    assignee: str | None = None


@dataclass
class MIssue:
    job_id: int
    frame: int
    position: tuple[float, ...]
    owner: str
    assignee: str | None = None
    resolved: bool = False


@dataclass
class MComment:
    issue_id: int
    owner: str
    message: str


@dataclass
class MLabel:
    name: str
    project_id: int | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class Tag:
    frame: int
    label_id: int

    def wire(self, ident: int | None = None) -> dict[str, Any]:
        return _with_id({"frame": self.frame, "label_id": self.label_id}, ident)


@dataclass(frozen=True)
class Shape:
    frame: int
    label_id: int
    points: tuple[float, ...]

    def wire(self, ident: int | None = None) -> dict[str, Any]:
        body = {
            "type": "rectangle",
            "frame": self.frame,
            "label_id": self.label_id,
            "points": list(self.points),
        }
        return _with_id(body, ident)


@dataclass(frozen=True)
class Track:
    """A rectangle track: ``(frame, points, outside)`` keyframes, the last one outside."""

    label_id: int
    shapes: tuple[tuple[int, tuple[float, ...], bool], ...]

    @property
    def frame(self) -> int:
        return self.shapes[0][0]

    def wire(self, ident: int | None = None) -> dict[str, Any]:
        shapes = [
            {"type": "rectangle", "frame": f, "points": list(p), "outside": o}
            for f, p, o in self.shapes
        ]
        body = {"label_id": self.label_id, "frame": self.frame, "shapes": shapes}
        return _with_id(body, ident)


Obj = Tag | Shape | Track
KINDS = ("tags", "shapes", "tracks")


def _with_id(body: dict[str, Any], ident: int | None) -> dict[str, Any]:
    if ident is not None:
        body["id"] = ident
    return body


@dataclass
class Annots:
    """One job's annotations (or a task's, merged): objects by id, per kind."""

    tags: dict[int, Tag] = field(default_factory=dict[int, Tag])
    shapes: dict[int, Shape] = field(default_factory=dict[int, Shape])
    tracks: dict[int, Track] = field(default_factory=dict[int, Track])

    def kind(self, kind: str) -> dict[int, Any]:
        return {"tags": self.tags, "shapes": self.shapes, "tracks": self.tracks}[kind]

    def items(self) -> Iterable[tuple[str, int, Obj]]:
        for kind in KINDS:
            for ident, obj in self.kind(kind).items():
                yield kind, ident, obj

    def empty(self) -> bool:
        return not (self.tags or self.shapes or self.tracks)


def read_annotations(data: LabeledData) -> Annots:
    """The model's view of a server answer: every object keyed by its id."""
    result = Annots()
    for tag in data.tags:
        assert isinstance(tag.id, int), tag
        assert tag.id not in result.tags, f"tag id {tag.id} twice"
        result.tags[tag.id] = Tag(tag.frame, tag.label_id)
    for shape in data.shapes:
        assert isinstance(shape.id, int), shape
        assert shape.type == "rectangle", shape
        assert shape.id not in result.shapes, f"shape id {shape.id} twice"
        result.shapes[shape.id] = Shape(shape.frame, shape.label_id, tuple(shape.points))
    for track in data.tracks:
        assert isinstance(track.id, int), track
        assert track.id not in result.tracks, f"track id {track.id} twice"
        keyframes = tuple(
            (s.frame, tuple(s.points), s.outside) for s in sorted(track.shapes, key=_frame_of)
        )
        assert track.frame == keyframes[0][0], track
        result.tracks[track.id] = Track(track.label_id, keyframes)
    return result


def _frame_of(shape: Any) -> int:
    return int(shape.frame)


def _wire(objects: Iterable[tuple[str, Obj, int | None]]) -> dict[str, list[dict[str, Any]]]:
    body: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for kind, obj, ident in objects:
        body[kind].append(obj.wire(ident))
    return body


def same(got: Sequence[Any], wanted: Sequence[Any], what: str) -> None:
    """``got`` and ``wanted`` hold the same items; if not, say which differ."""
    if sorted(got) != sorted(wanted):
        server_only = [item for item in got if item not in wanted]
        model_only = [item for item in wanted if item not in got]
        raise AssertionError(f"{what}: the server has {server_only}, the model {model_only}")


def same_annotations(got: Annots, wanted: Annots, what: str) -> None:
    for kind in KINDS:
        same(
            sorted(got.kind(kind).items()),
            sorted(wanted.kind(kind).items()),
            f"{what} {kind} (id, object)",
        )


def _sort_key(value: object) -> tuple[int, Any]:
    """Postgres order: NULLs last ascending (and so first descending)."""
    return (1, 0) if value is None else (0, value)


def _segments(size: int, segment_size: int, overlap: int) -> list[tuple[int, int]]:
    """CVAT's jobs: ``segment_size`` frames each, a new one every ``segment_size - overlap``."""
    step = segment_size - overlap
    return [
        (start, min(start + segment_size - 1, size - 1)) for start in range(0, size - overlap, step)
    ]


# ----------------------------------------------------------------------------- the machine
class CvatMachine(RuleBasedStateMachine):
    """The fake CVAT and the model, compared after every step."""

    images: Sequence[Path] = ()

    projects = Bundle("projects")
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        STEPS["examples"] += 1
        self.server = FakeServer()
        self.bob_id = self.server.add_user(BOB, USERS[BOB])
        self.user_ids = {ADMIN: 1, BOB: self.bob_id}
        self.transport = ValidatingTransport(self.server.transport(), CONTRACT)
        self.sessions = {
            user: cvatfn.connect(
                "http://localhost",
                credentials=(user, password),
                transport=self.transport,
                config=cvatfn.Config(page_size=PAGE_SIZE),
            ).unwrap()
            for user, password in USERS.items()
        }
        self.admin = self.sessions[ADMIN]
        self.project_model: dict[int, MProject] = {}
        self.task_model: dict[int, MTask] = {}
        self.job_model: dict[int, MJob] = {}
        self.label_model: dict[int, MLabel] = {}
        self.annotations: dict[int, Annots] = {}
        self.issue_model: dict[int, MIssue] = {}
        self.comment_model: dict[int, MComment] = {}
        kinds = ("project", "task", "job", "label", "issue", "comment")
        self.dead: dict[str, set[int]] = {k: set() for k in kinds}
        self.max_id: dict[str, int] = {}
        self.dirty: set[tuple[str, int]] = set()
        self.counting = False

    # ------------------------------------------------------------------------- helpers
    def step(self, name: str) -> None:
        STEPS["steps"] += 1
        STEPS[name] += 1
        self.counting = True

    def expect(self, result: Result[T, Any], error: type[CvatErrorBase] | None) -> T | None:
        """``result`` must be a success (``error`` None) or a failure of type ``error``."""
        if self.counting:  # the step's own call, not the reads that check it
            STEPS[f"outcome {error.__name__ if error else 'success'}"] += 1
            self.counting = False
        if error is None:
            assert isinstance(result, Success), f"expected success, got {result}"
            return result.unwrap()
        assert isinstance(result, Failure), f"expected {error.__name__}, got {result}"
        failure = result.failure()
        assert type(failure) is error, f"expected {error.__name__}, got {failure!r}"
        return None

    def fresh(self, kind: str, ident: int) -> None:
        """A new id: larger than every id of its kind seen before (so never reused)."""
        last = self.max_id.get(kind, 0)
        assert ident > last, f"{kind} id {ident} handed out after {last}"
        self.max_id[kind] = ident

    def pick(self, data: st.DataObject, kind: str, live: Iterable[int]) -> int | None:
        """A live id, or now and then a removed one; None if there is neither."""
        alive = sorted(live)
        dead = sorted(self.dead[kind])
        if dead and (not alive or data.draw(st.integers(0, 5), label="dead?") == 0):
            return data.draw(st.sampled_from(dead), label=f"removed {kind}")
        if not alive:
            return None
        return data.draw(st.sampled_from(alive), label=kind)

    @staticmethod
    def may_name(user: str, named: str) -> bool:
        """Naming a user (owner, assignee) asks to view them: in the sandbox a regular user
        sees only themself."""
        return user == ADMIN or named in (user, "keep", "nobody")

    def sees_project(self, user: str, project_id: int) -> bool:
        p = self.project_model[project_id]
        return user == ADMIN or user in (p.owner, p.assignee)

    def owns_project(self, user: str, project_id: int) -> bool:
        return user == ADMIN or self.project_model[project_id].owner == user

    def task_staff(self, user: str, task_id: int) -> bool:
        t = self.task_model[task_id]
        project = t.project_id is not None and self.sees_project(user, t.project_id)
        return user == ADMIN or user in (t.owner, t.assignee) or project

    def owns_task(self, user: str, task_id: int) -> bool:
        """CVAT's delete, update:assignee and update:project on a task."""
        t = self.task_model[task_id]
        project = t.project_id is not None and self.sees_project(user, t.project_id)
        return user == ADMIN or t.owner == user or project

    def sees_job(self, user: str, job_id: int) -> bool:
        job = self.job_model[job_id]
        return self.task_staff(user, job.task_id) or job.assignee == user

    def task_labels(self, task_id: int) -> list[int]:
        t = self.task_model[task_id]
        if t.project_id is not None:
            return sorted(i for i, lb in self.label_model.items() if lb.project_id == t.project_id)
        return sorted(i for i, lb in self.label_model.items() if lb.task_id == task_id)

    def jobs_of(self, task_id: int) -> list[int]:
        return sorted(i for i, job in self.job_model.items() if job.task_id == task_id)

    def job_at(self, task_id: int, frame: int) -> int | None:
        for job_id in self.jobs_of(task_id):
            job = self.job_model[job_id]
            if job.start <= frame <= job.stop:
                return job_id
        return None

    def kill_task(self, task_id: int) -> None:
        del self.task_model[task_id]
        self.dead["task"].add(task_id)
        for job_id in self.jobs_of(task_id):
            del self.job_model[job_id]
            self.annotations.pop(job_id, None)
            self.dead["job"].add(job_id)
            for issue_id in [i for i, x in self.issue_model.items() if x.job_id == job_id]:
                self.kill_issue(issue_id)
        for label_id in [i for i, lb in self.label_model.items() if lb.task_id == task_id]:
            del self.label_model[label_id]
            self.dead["label"].add(label_id)

    def kill_issue(self, issue_id: int) -> None:
        """An issue goes with its comments."""
        del self.issue_model[issue_id]
        self.dead["issue"].add(issue_id)
        for comment_id in [i for i, c in self.comment_model.items() if c.issue_id == issue_id]:
            del self.comment_model[comment_id]
            self.dead["comment"].add(comment_id)

    def issue_staff(self, user: str, issue_id: int) -> bool:
        """issues.rego ``is_issue_staff``: the job's staff, the issue's owner or assignee."""
        issue = self.issue_model[issue_id]
        return self.sees_job(user, issue.job_id) or user in (issue.owner, issue.assignee)

    def issue_admin(self, user: str, issue_id: int) -> bool:
        """issues.rego ``is_issue_admin``: the task's staff or the issue's owner."""
        issue = self.issue_model[issue_id]
        task_id = self.job_model[issue.job_id].task_id
        return self.task_staff(user, task_id) or issue.owner == user

    def comment_staff(self, user: str, comment_id: int) -> bool:
        comment = self.comment_model[comment_id]
        return comment.owner == user or self.issue_staff(user, comment.issue_id)

    def kill_label(self, label_id: int) -> None:
        """A label goes with every object that uses it (CVAT's ``CASCADE``)."""
        del self.label_model[label_id]
        self.dead["label"].add(label_id)
        for store in self.annotations.values():
            for kind in KINDS:
                objects = store.kind(kind)
                for ident in [i for i, obj in objects.items() if obj.label_id == label_id]:
                    del objects[ident]

    def recompute_status(self, task_id: int) -> None:
        jobs = [self.job_model[j] for j in self.jobs_of(task_id)]
        if any(j.status == "annotation" for j in jobs):
            status = "annotation"
        elif any(j.status == "validation" for j in jobs):
            status = "validation"
        else:
            status = "completed"
        self.task_model[task_id].status = status

    def learn_labels(self, labels: Sequence[Label], owner: dict[str, int]) -> None:
        """Record labels the server just created (in the order they were sent)."""
        for label in sorted(labels, key=lambda lb: lb.id):
            if label.id in self.label_model:
                continue
            self.fresh("label", label.id)
            self.label_model[label.id] = MLabel(label.name, **owner)
            self.dirty.add(("label", label.id))

    # --------------------------------------------------------------------- comparisons
    def project_fields(self, project_id: int) -> tuple[object, ...]:
        p = self.project_model[project_id]
        count = sum(1 for t in self.task_model.values() if t.project_id == project_id)
        return (project_id, p.name, p.owner, p.assignee, p.bug_tracker, "annotation", count)

    def task_fields(self, task_id: int) -> tuple[object, ...]:
        t = self.task_model[task_id]
        jobs = [self.job_model[j] for j in self.jobs_of(task_id)]
        project = self.project_model[t.project_id].name if t.project_id is not None else None
        return (
            task_id,
            t.name,
            t.project_id,
            project,
            t.owner,
            t.assignee,
            t.subset,
            t.bug_tracker,
            t.size,
            t.segment_size,
            t.overlap,
            "annotation" if t.size else "",
            t.status,
            len(jobs),
            sum(1 for j in jobs if j.stage == "acceptance" and j.state == "completed"),
            sum(1 for j in jobs if j.stage == "validation"),
        )

    def job_fields(self, job_id: int) -> tuple[object, ...]:
        j = self.job_model[job_id]
        t = self.task_model[j.task_id]
        p = self.project_model[t.project_id] if t.project_id is not None else None
        project = p.name if p is not None else None
        # CVAT's Job.get_bug_tracker: the task's, else the project's ("" if none), else null
        tracker = t.bug_tracker or (p.bug_tracker if p is not None else None)
        issues = sum(1 for x in self.issue_model.values() if x.job_id == job_id)
        return (
            job_id,
            j.task_id,
            t.name,
            t.project_id,
            project,
            "annotation",
            j.start,
            j.stop,
            j.stop - j.start + 1,
            j.stage,
            j.state,
            j.status,
            j.assignee,
            tracker,
            issues,
        )

    def issue_fields(self, issue_id: int) -> tuple[object, ...]:
        x = self.issue_model[issue_id]
        comments = sum(1 for c in self.comment_model.values() if c.issue_id == issue_id)
        return (issue_id, x.job_id, x.frame, x.position, x.owner, x.assignee, x.resolved, comments)

    def comment_fields(self, comment_id: int) -> tuple[object, ...]:
        c = self.comment_model[comment_id]
        return (comment_id, c.issue_id, c.owner, c.message)

    @staticmethod
    def server_issue(x: Issue) -> tuple[object, ...]:
        return (
            x.id,
            x.job,
            x.frame,
            x.position,
            x.owner.username if x.owner else None,
            x.assignee.username if x.assignee else None,
            x.resolved,
            x.comments.count,
        )

    @staticmethod
    def server_comment(c: Comment) -> tuple[object, ...]:
        return (c.id, c.issue, c.owner.username if c.owner else None, c.message)

    def label_fields(self, label_id: int) -> tuple[object, ...]:
        lb = self.label_model[label_id]
        return (label_id, lb.name, lb.project_id, lb.task_id)

    @staticmethod
    def server_project(p: Project) -> tuple[object, ...]:
        owner = p.owner.username if p.owner else None
        assignee = p.assignee.username if p.assignee else None
        return (p.id, p.name, owner, assignee, p.bug_tracker, p.status, p.tasks.count)

    @staticmethod
    def server_task(t: Task) -> tuple[object, ...]:
        return (
            t.id,
            t.name,
            t.project_id,
            t.project_name,
            t.owner.username if t.owner else None,
            t.assignee.username if t.assignee else None,
            t.subset,
            t.bug_tracker,
            t.size,
            t.segment_size,
            t.overlap,
            t.mode,
            t.status,
            t.jobs.count,
            t.jobs.completed,
            t.jobs.validation,
        )

    @staticmethod
    def server_job(j: Job) -> tuple[object, ...]:
        return (
            j.id,
            j.task_id,
            j.task_name,
            j.project_id,
            j.project_name,
            j.type,
            j.start_frame,
            j.stop_frame,
            j.frame_count,
            j.stage,
            j.state,
            j.status,
            j.assignee.username if j.assignee else None,
            j.bug_tracker,
            j.issues.count,
        )

    @staticmethod
    def server_label(lb: Label) -> tuple[object, ...]:
        return (lb.id, lb.name, lb.project_id, lb.task_id)

    def task_annotations(self, task_id: int) -> Annots:
        merged = Annots()
        for job_id in self.jobs_of(task_id):
            store = self.annotations.get(job_id, Annots())
            for kind in KINDS:
                merged.kind(kind).update(store.kind(kind))
        return merged

    # ------------------------------------------------------------ projects and tasks
    @rule(
        target=projects,
        actor=actors,
        name=names,
        labels=st.lists(st.sampled_from(LABEL_NAMES), unique=True, max_size=3),
        assign_bob=st.booleans(),
    )
    def create_project(self, actor: str, name: str, labels: list[str], assign_bob: bool) -> Any:
        self.step("create_project")
        spec: dict[str, object] = {"name": name, "labels": [{"name": n} for n in labels]}
        if assign_bob:
            spec["assignee_id"] = self.bob_id  # bob may name himself
        created = self.expect(cvatfn.projects.create(self.sessions[actor], spec), None)
        assert created is not None
        self.fresh("project", created.id)
        self.project_model[created.id] = MProject(name, actor, BOB if assign_bob else None)
        assert self.server_project(created) == self.project_fields(created.id)
        got = self.expect(cvatfn.projects.get_labels(self.admin, created.id), None)
        assert got is not None
        assert [lb.name for lb in sorted(got, key=lambda lb: lb.id)] == labels
        self.learn_labels(got, {"project_id": created.id})
        return created.id

    @rule(
        target=tasks,
        actor=actors,
        name=names,
        project=st.none() | projects,
        labels=st.lists(st.sampled_from(LABEL_NAMES), unique=True, max_size=3),
        images=st.integers(0, MAX_IMAGES),
        segment_size=st.integers(0, 3),
        overlap=st.none() | st.none() | st.integers(0, 2),
        subset=st.sampled_from(SUBSETS),
    )
    def create_task(
        self,
        actor: str,
        name: str,
        project: int | None,
        labels: list[str],
        images: int,
        segment_size: int,
        overlap: int | None,
        subset: str,
    ) -> Any:
        self.step("create_task")
        created = self.new_task(
            actor, name, project, labels, images, segment_size, subset, overlap=overlap
        )
        if created is None:
            nothing: MultipleResults[int] = multiple()
            return nothing
        return created

    @initialize(
        target=tasks,
        labels=st.lists(st.sampled_from(LABEL_NAMES), unique=True, min_size=1, max_size=3),
        images=st.integers(2, MAX_IMAGES),
        segment_size=st.integers(1, 3),
    )
    def seed_task(self, labels: list[str], images: int, segment_size: int) -> Any:
        """Every example starts with a task that has labels and jobs to annotate."""
        self.step("seed_task")
        return self.new_task(ADMIN, "seed", None, labels, images, segment_size, "")

    def new_task(
        self,
        actor: str,
        name: str,
        project: int | None,
        labels: list[str],
        images: int,
        segment_size: int,
        subset: str,
        *,
        overlap: int | None = None,
    ) -> int | None:
        if project is not None and project in self.project_model and labels:
            labels = labels[:1] if images % 2 else []  # now and then both: refused locally
        spec: dict[str, object] = {"name": name, "subset": subset}
        if labels:
            spec["labels"] = [{"name": n} for n in labels]
        if project is not None:
            spec["project_id"] = project
        if segment_size:
            spec["segment_size"] = segment_size
        if overlap is not None:
            spec["overlap"] = overlap
        error: type[CvatErrorBase] | None = None
        if project is not None and labels:
            error = InvalidInput
        elif project is not None and project not in self.project_model:
            error = BadRequest
        elif project is not None and not self.sees_project(actor, project):
            error = Forbidden
        session = self.sessions[actor]
        if images:
            paths = list(self.images[:images])
            result = cvatfn.tasks.create_from_data(session, spec, paths)
        else:
            result = cvatfn.tasks.create(session, spec)
        created = self.expect(result, error)
        if created is None:
            if error is InvalidInput:
                assert result.failure().field == "labels"  # type: ignore[union-attr]
            return None
        self.fresh("task", created.id)
        size = images
        chosen = segment_size
        if size and (chosen == 0 or chosen > size):
            chosen = size
        if size:  # the overlap CVAT uses is written back: 0 for images, at most half a job
            overlap = min(overlap or 0, chosen // 2)
        self.task_model[created.id] = MTask(
            name, project, actor, subset=subset, size=size, segment_size=chosen, overlap=overlap
        )
        if project is not None:
            self.dirty.add(("project", project))
        jobs = self.expect(cvatfn.tasks.get_jobs(self.admin, created.id), None)
        assert jobs is not None
        expected = _segments(size, chosen, overlap or 0) if size else []
        assert [(j.start_frame, j.stop_frame) for j in jobs] == expected
        if size and not overlap:
            assert len(jobs) == math.ceil(size / chosen)
        for job, (start, stop) in zip(jobs, expected, strict=True):
            self.fresh("job", job.id)
            self.job_model[job.id] = MJob(created.id, start, stop)
            self.annotations[job.id] = Annots()
            self.dirty.add(("job", job.id))
        if project is None:
            got = self.expect(cvatfn.tasks.get_labels(self.admin, created.id), None)
            assert got is not None
            assert [lb.name for lb in sorted(got, key=lambda lb: lb.id)] == labels
            self.learn_labels(got, {"task_id": created.id})
        self.dirty.add(("task", created.id))
        return created.id

    @rule(
        actor=actors,
        task=tasks,
        name=st.none() | names,
        subset=st.none() | st.sampled_from(SUBSETS),
        tracker=st.none() | st.sampled_from(TRACKERS),
        assignee=st.sampled_from(("keep", "keep", BOB, ADMIN, "nobody")),
    )
    def update_task(
        self,
        actor: str,
        task: int,
        name: str | None,
        subset: str | None,
        tracker: str | None,
        assignee: str,
    ) -> None:
        self.step("update_task")
        patch: dict[str, object] = {}
        if name is not None:
            patch["name"] = name
        if subset is not None:
            patch["subset"] = subset
        if tracker is not None:
            patch["bug_tracker"] = tracker
        if assignee != "keep":
            patch["assignee_id"] = self.user_ids.get(assignee)
        if not patch:
            patch["name"] = "renamed"
        error: type[CvatErrorBase] | None = None
        if task not in self.task_model:
            error = NotFound
        elif (
            not self.task_staff(actor, task)
            or ("assignee_id" in patch and not self.owns_task(actor, task))
            or not self.may_name(actor, assignee)
        ):
            error = Forbidden
        updated = self.expect(cvatfn.tasks.update(self.sessions[actor], task, patch), error)
        if updated is None:
            return
        t = self.task_model[task]
        t.name = str(patch.get("name", t.name))
        t.subset = str(patch.get("subset", t.subset))
        t.bug_tracker = str(patch.get("bug_tracker", t.bug_tracker))
        if "assignee_id" in patch:
            t.assignee = None if assignee == "nobody" else assignee
        assert self.server_task(updated) == self.task_fields(task)
        self.dirty.add(("task", task))

    @precondition(lambda self: bool(self.project_model))
    @rule(data=st.data(), actor=actors, task=tasks)
    def move_task(self, data: st.DataObject, actor: str, task: int) -> None:
        """``tasks.update(task, {"project_id": p})``: objects follow their labels by name."""
        self.step("move_task")
        target = self.pick(data, "project", self.project_model)
        assert target is not None
        error: type[CvatErrorBase] | None = None
        names_now: dict[int, str] = {}
        target_labels = {
            lb.name: i for i, lb in self.label_model.items() if lb.project_id == target
        }
        if task not in self.task_model:
            error = NotFound
        elif target not in self.project_model:
            error = BadRequest  # CVAT cannot build the target's view permission
        elif not (
            self.task_staff(actor, task)
            and self.owns_task(actor, task)
            and self.sees_project(actor, target)
        ):
            error = Forbidden
        else:
            names_now = {i: self.label_model[i].name for i in self.task_labels(task)}
            if not set(names_now.values()) <= set(target_labels):
                error = BadRequest
        result = cvatfn.tasks.update(self.sessions[actor], task, {"project_id": target})
        updated = self.expect(result, error)
        if updated is None:
            return
        t = self.task_model[task]
        if t.project_id != target:
            relabel = {old: target_labels[name] for old, name in names_now.items()}
            for job in self.jobs_of(task):
                store = self.annotations[job]
                for kind in KINDS:
                    objects = store.kind(kind)
                    for ident, obj in list(objects.items()):
                        objects[ident] = dataclasses.replace(obj, label_id=relabel[obj.label_id])
                self.dirty.add(("job", job))
            if t.project_id is None:
                for label in names_now:  # a task's own labels go; its objects moved on
                    del self.label_model[label]
                    self.dead["label"].add(label)
                    self.dirty.add(("label", label))
            else:
                self.dirty.add(("project", t.project_id))
            t.project_id = target
        assert self.server_task(updated) == self.task_fields(task)
        self.dirty.update({("task", task), ("project", target)})

    @rule(
        actor=actors,
        project=projects,
        name=st.none() | names,
        tracker=st.none() | st.sampled_from(TRACKERS),
        assignee=st.sampled_from(("keep", BOB, ADMIN, "nobody")),
    )
    def update_project(
        self, actor: str, project: int, name: str | None, tracker: str | None, assignee: str
    ) -> None:
        self.step("update_project")
        patch: dict[str, object] = {"name": name or "renamed"}
        if tracker is not None:
            patch["bug_tracker"] = tracker
        if assignee != "keep":
            patch["assignee_id"] = self.user_ids.get(assignee)
        error: type[CvatErrorBase] | None = None
        if project not in self.project_model:
            error = NotFound
        elif (
            not self.sees_project(actor, project)
            or ("assignee_id" in patch and not self.owns_project(actor, project))
            or not self.may_name(actor, assignee)
        ):
            error = Forbidden
        updated = self.expect(cvatfn.projects.update(self.sessions[actor], project, patch), error)
        if updated is None:
            return
        p = self.project_model[project]
        p.name = str(patch["name"])
        p.bug_tracker = str(patch.get("bug_tracker", p.bug_tracker))
        if "assignee_id" in patch:
            p.assignee = None if assignee == "nobody" else assignee
        assert self.server_project(updated) == self.project_fields(project)
        self.dirty.add(("project", project))

    @precondition(lambda self: len(self.task_model) > 2)
    @rule(actor=actors, task=tasks)
    def remove_task(self, actor: str, task: int) -> None:
        self.step("remove_task")
        error: type[CvatErrorBase] | None = None
        if task not in self.task_model:
            error = NotFound
        elif not self.owns_task(actor, task):
            error = Forbidden
        self.expect(cvatfn.tasks.remove(self.sessions[actor], task), error)
        if error:
            return
        self.kill_task(task)
        self.dirty.add(("task", task))

    @precondition(lambda self: len(self.project_model) > 1)
    @rule(actor=actors, project=projects)
    def remove_project(self, actor: str, project: int) -> None:
        self.step("remove_project")
        error: type[CvatErrorBase] | None = None
        if project not in self.project_model:
            error = NotFound
        elif not self.sees_project(actor, project) or not self.owns_project(actor, project):
            error = Forbidden
        self.expect(cvatfn.projects.remove(self.sessions[actor], project), error)
        if error:
            return
        for task_id in [i for i, t in self.task_model.items() if t.project_id == project]:
            self.kill_task(task_id)
            self.dirty.add(("task", task_id))
        for label_id in [i for i, lb in self.label_model.items() if lb.project_id == project]:
            self.kill_label(label_id)
        del self.project_model[project]
        self.dead["project"].add(project)
        self.dirty.add(("project", project))

    # ------------------------------------------------------------------------------ jobs
    @precondition(lambda self: bool(self.job_model))
    @rule(
        data=st.data(),
        actor=actors,
        stage=st.none() | st.sampled_from(STAGES),
        state=st.none() | st.sampled_from(STATES),
        assignee=st.sampled_from(("keep", "keep", BOB, ADMIN, "nobody")),
    )
    def update_job(
        self,
        data: st.DataObject,
        actor: str,
        stage: str | None,
        state: str | None,
        assignee: str,
    ) -> None:
        self.step("update_job")
        job = self.pick(data, "job", self.job_model)
        assert job is not None
        patch: dict[str, object] = {}
        if stage is not None:
            patch["stage"] = stage
        if state is not None:
            patch["state"] = state
        if assignee != "keep":
            patch["assignee"] = self.user_ids.get(assignee)
        if not patch:
            patch["state"] = "in progress"
        error: type[CvatErrorBase] | None = None
        if job not in self.job_model:
            error = NotFound
        elif (
            not self.sees_job(actor, job)
            or (
                ("stage" in patch or "assignee" in patch)
                and not self.task_staff(actor, self.job_model[job].task_id)
            )
            or not self.may_name(actor, assignee)
        ):
            error = Forbidden
        updated = self.expect(cvatfn.jobs.update(self.sessions[actor], job, patch), error)
        if updated is None:
            return
        j = self.job_model[job]
        new_stage = str(patch.get("stage", j.stage))
        default_state = "new" if new_stage != j.stage else j.state
        new_state = str(patch.get("state", default_state))
        if "stage" in patch or "state" in patch:
            if new_stage == "annotation":
                j.status = "annotation"
            elif new_stage == "acceptance" and new_state == "completed":
                j.status = "completed"
            else:
                j.status = "validation"
        j.stage, j.state = new_stage, new_state
        if "assignee" in patch:
            j.assignee = None if assignee == "nobody" else assignee
        self.recompute_status(j.task_id)
        assert self.server_job(updated) == self.job_fields(job)
        self.dirty.update({("job", job), ("task", j.task_id)})

    # ---------------------------------------------------------------------------- labels
    def label_parent_staff(self, actor: str, label_id: int) -> bool:
        lb = self.label_model[label_id]
        if lb.project_id is not None:
            return self.sees_project(actor, lb.project_id)
        assert lb.task_id is not None
        return self.task_staff(actor, lb.task_id)

    def sibling_names(self, label_id: int) -> set[str]:
        lb = self.label_model[label_id]
        return {
            other.name
            for i, other in self.label_model.items()
            if i != label_id and (other.project_id, other.task_id) == (lb.project_id, lb.task_id)
        }

    @rule(data=st.data(), actor=actors, name=st.sampled_from(LABEL_NAMES))
    def add_label(self, data: st.DataObject, actor: str, name: str) -> None:
        """A label added by patching a project or a task without a project."""
        self.step("add_label")
        standalone = [i for i, t in self.task_model.items() if t.project_id is None]
        on_project = data.draw(st.booleans(), label="on project")
        kind = "project" if on_project else "task"
        live = self.project_model if on_project else standalone
        parent = self.pick(data, kind, live)
        if parent is None:
            return
        patch = {"labels": [{"name": name}]}
        owner = {"project_id": parent} if on_project else {"task_id": parent}
        error: type[CvatErrorBase] | None = None
        if parent not in (self.project_model if on_project else self.task_model):
            error = NotFound
        elif not (
            self.sees_project(actor, parent) if on_project else self.task_staff(actor, parent)
        ):
            error = Forbidden
        elif any(
            lb.name == name
            and (lb.project_id, lb.task_id) == (owner.get("project_id"), owner.get("task_id"))
            for lb in self.label_model.values()
        ):
            error = BadRequest
        session = self.sessions[actor]
        if on_project:
            result: Result[Any, Any] = cvatfn.projects.update(session, parent, patch)
        else:
            result = cvatfn.tasks.update(session, parent, patch)
        if self.expect(result, error) is None:
            return
        if on_project:
            got = cvatfn.projects.get_labels(self.admin, parent)
        else:
            got = cvatfn.tasks.get_labels(self.admin, parent)
        labels = self.expect(got, None)
        assert labels is not None
        new = [lb for lb in labels if lb.id not in self.label_model]
        assert [lb.name for lb in new] == [name]
        self.learn_labels(new, owner)

    @precondition(lambda self: bool(self.label_model))
    @rule(data=st.data(), actor=actors, name=st.sampled_from(LABEL_NAMES))
    def rename_label(self, data: st.DataObject, actor: str, name: str) -> None:
        self.step("rename_label")
        label = self.pick(data, "label", self.label_model)
        assert label is not None
        error: type[CvatErrorBase] | None = None
        if label not in self.label_model:
            error = NotFound
        elif not self.label_parent_staff(actor, label):
            error = Forbidden
        elif name in self.sibling_names(label):
            error = BadRequest
        updated = self.expect(
            cvatfn.labels.update(self.sessions[actor], label, {"name": name}), error
        )
        if updated is None:
            return
        self.label_model[label].name = name
        assert self.server_label(updated) == self.label_fields(label)
        self.dirty.add(("label", label))

    @precondition(lambda self: bool(self.label_model))
    @rule(data=st.data(), actor=actors, by_patch=st.booleans())
    def delete_label(self, data: st.DataObject, actor: str, by_patch: bool) -> None:
        """``labels.remove``, or ``deleted: true`` in a patch of the label's project or task."""
        self.step("delete_label")
        used = {obj.label_id for a in self.annotations.values() for _, _, obj in a.items()}
        in_use = bool(used) and data.draw(st.booleans(), label="a label in use?")
        label = self.pick(data, "label", used if in_use else self.label_model)
        assert label is not None
        error: type[CvatErrorBase] | None = None
        session = self.sessions[actor]
        if label not in self.label_model:
            error = NotFound
            result: Result[Any, Any] = cvatfn.labels.remove(session, label)
        else:
            if not self.label_parent_staff(actor, label):
                error = Forbidden
            lb = self.label_model[label]
            patch = {"labels": [{"id": label, "deleted": True}]}
            if not by_patch:
                result = cvatfn.labels.remove(session, label)
            elif lb.project_id is not None:
                result = cvatfn.projects.update(session, lb.project_id, patch)
            else:
                assert lb.task_id is not None
                result = cvatfn.tasks.update(session, lb.task_id, patch)
        self.expect(result, error)
        if error:
            return
        owner = self.label_model[label]
        for task_id, t in self.task_model.items():
            if task_id == owner.task_id or (
                owner.project_id is not None and t.project_id == owner.project_id
            ):
                self.dirty.add(("task", task_id))
        self.kill_label(label)
        self.dirty.add(("label", label))

    # ------------------------------------------------------------------ issues, comments
    @precondition(lambda self: bool(self.job_model))
    @rule(
        data=st.data(),
        actor=actors,
        message=st.sampled_from(("look", "wrong box")),
        assignee=st.sampled_from(("keep", "keep", BOB, ADMIN)),
    )
    def create_issue(self, data: st.DataObject, actor: str, message: str, assignee: str) -> None:
        """An issue on a frame of a job, with ``message`` as its first comment."""
        self.step("create_issue")
        job = self.pick(data, "job", self.job_model)
        assert job is not None
        live = self.job_model.get(job)
        inside = live is None or data.draw(st.integers(0, 6), label="outside?") > 0
        if live is None:
            frame = 0
        elif inside:
            frame = data.draw(st.integers(live.start, live.stop), label="frame")
        else:
            frame = live.stop + 1
        position = data.draw(points, label="position")
        spec: dict[str, object] = {
            "job": job,
            "frame": frame,
            "position": list(position),
            "message": message,
        }
        if assignee != "keep":
            spec["assignee"] = self.user_ids[assignee]
        error: type[CvatErrorBase] | None = None
        if live is None:
            error = BadRequest  # the job is looked up as a field: "does not exist"
        elif not self.sees_job(actor, job) or not self.may_name(actor, assignee):
            error = Forbidden
        elif not inside:
            error = BadRequest  # the frame must be one of the job's
        created = self.expect(cvatfn.issues.create(self.sessions[actor], spec), error)
        if created is None:
            return
        self.fresh("issue", created.id)
        named = None if assignee == "keep" else assignee
        self.issue_model[created.id] = MIssue(job, frame, position, actor, named)
        comments = self.expect(cvatfn.issues.get_comments(self.admin, created.id), None)
        assert comments is not None
        assert [(c.owner.username if c.owner else None, c.message) for c in comments] == [
            (actor, message)
        ]
        self.fresh("comment", comments[0].id)
        self.comment_model[comments[0].id] = MComment(created.id, actor, message)
        same([self.server_issue(created)], [self.issue_fields(created.id)], "new issue")
        self.dirty.update({("job", job), ("issue", created.id)})

    @precondition(lambda self: bool(self.issue_model))
    @rule(
        data=st.data(),
        actor=actors,
        resolved=st.none() | st.booleans(),
        assignee=st.sampled_from(("keep", BOB, ADMIN, "nobody")),
    )
    def update_issue(
        self, data: st.DataObject, actor: str, resolved: bool | None, assignee: str
    ) -> None:
        self.step("update_issue")
        issue = self.pick(data, "issue", self.issue_model)
        assert issue is not None
        patch: dict[str, object] = {"resolved": bool(resolved)}
        if assignee != "keep":
            patch["assignee"] = self.user_ids.get(assignee)
        error: type[CvatErrorBase] | None = None
        if issue not in self.issue_model:
            error = NotFound
        elif not self.issue_staff(actor, issue) or not self.may_name(actor, assignee):
            error = Forbidden
        updated = self.expect(cvatfn.issues.update(self.sessions[actor], issue, patch), error)
        if updated is None:
            return
        x = self.issue_model[issue]
        x.resolved = bool(resolved)
        if assignee != "keep":
            x.assignee = None if assignee == "nobody" else assignee
        same([self.server_issue(updated)], [self.issue_fields(issue)], f"issue {issue}")
        self.dirty.add(("issue", issue))

    @precondition(lambda self: bool(self.issue_model))
    @rule(data=st.data(), actor=actors)
    def remove_issue(self, data: st.DataObject, actor: str) -> None:
        self.step("remove_issue")
        issue = self.pick(data, "issue", self.issue_model)
        assert issue is not None
        error: type[CvatErrorBase] | None = None
        if issue not in self.issue_model:
            error = NotFound
        elif not self.issue_admin(actor, issue):
            error = Forbidden
        self.expect(cvatfn.issues.remove(self.sessions[actor], issue), error)
        if error:
            return
        self.dirty.update({("job", self.issue_model[issue].job_id), ("issue", issue)})
        self.kill_issue(issue)

    @precondition(lambda self: bool(self.issue_model))
    @rule(data=st.data(), actor=actors, message=st.sampled_from(("agreed", "fixed")))
    def create_comment(self, data: st.DataObject, actor: str, message: str) -> None:
        self.step("create_comment")
        issue = self.pick(data, "issue", self.issue_model)
        assert issue is not None
        error: type[CvatErrorBase] | None = None
        if issue not in self.issue_model:
            error = BadRequest  # the issue is a field of the comment: "object does not exist"
        elif not self.issue_staff(actor, issue):
            error = Forbidden
        spec = {"issue": issue, "message": message}
        created = self.expect(cvatfn.comments.create(self.sessions[actor], spec), error)
        if created is None:
            return
        self.fresh("comment", created.id)
        self.comment_model[created.id] = MComment(issue, actor, message)
        same([self.server_comment(created)], [self.comment_fields(created.id)], "new comment")
        self.dirty.update({("issue", issue), ("comment", created.id)})

    @precondition(lambda self: bool(self.comment_model))
    @rule(data=st.data(), actor=actors, message=st.none() | st.sampled_from(("edited",)))
    def change_comment(self, data: st.DataObject, actor: str, message: str | None) -> None:
        """``comments.update`` with a new message, or ``comments.remove``."""
        self.step("update_comment" if message else "remove_comment")
        comment = self.pick(data, "comment", self.comment_model)
        assert comment is not None
        error: type[CvatErrorBase] | None = None
        if comment not in self.comment_model:
            error = NotFound
        elif not self.comment_staff(actor, comment):
            error = Forbidden
        session = self.sessions[actor]
        if message:
            result: Result[Any, Any] = cvatfn.comments.update(
                session, comment, {"message": message}
            )
        else:
            result = cvatfn.comments.remove(session, comment)
        answer = self.expect(result, error)
        if error:
            return
        c = self.comment_model[comment]
        self.dirty.update({("issue", c.issue_id), ("comment", comment)})
        if message:
            c.message = message
            assert isinstance(answer, Comment), answer
            same([self.server_comment(answer)], [self.comment_fields(comment)], "comment")
        else:
            del self.comment_model[comment]
            self.dead["comment"].add(comment)

    # ----------------------------------------------------------------------- annotations
    def pick_target(self, data: st.DataObject) -> tuple[str, int] | None:
        """A task with data or a job (live, or now and then removed)."""
        on_job = data.draw(st.booleans(), label="on job")
        if on_job:
            job = self.pick(data, "job", self.job_model)
            return None if job is None else ("job", job)
        # jobs of a task with overlap share frames: CVAT merges them (not modelled here)
        with_data = [i for i, t in self.task_model.items() if t.size and not t.overlap]
        dead = self.dead["task"]
        if not with_data and not dead:
            return None
        task = self.pick(data, "task", with_data)
        return None if task is None else ("task", task)

    def target_error(self, actor: str, target: tuple[str, int]) -> type[CvatErrorBase] | None:
        kind, ident = target
        if kind == "job":
            if ident not in self.job_model:
                return NotFound
            return None if self.sees_job(actor, ident) else Forbidden
        if ident not in self.task_model:
            return NotFound
        return None if self.task_staff(actor, ident) else Forbidden

    def target_task(self, target: tuple[str, int]) -> int:
        kind, ident = target
        return self.job_model[ident].task_id if kind == "job" else ident

    def target_jobs(self, target: tuple[str, int]) -> list[int]:
        kind, ident = target
        return [ident] if kind == "job" else self.jobs_of(ident)

    def target_store(self, target: tuple[str, int]) -> Annots:
        kind, ident = target
        if kind == "job":
            return self.annotations[ident]
        return self.task_annotations(ident)

    def route(self, target: tuple[str, int], obj: Obj) -> int | None:
        """The job an object lands in (None: on no job's frames, dropped)."""
        kind, ident = target
        if kind == "job":
            return ident
        return self.job_at(ident, obj.frame)

    def draw_objects(self, data: st.DataObject, target: tuple[str, int]) -> list[tuple[str, Obj]]:
        """New objects for ``target``; now and then the first uses a label of another task."""
        if self.target_error(ADMIN, target) is not None:
            labels, spans, extra = [1], [(0, 0)], []
        else:
            task = self.target_task(target)
            labels = self.task_labels(task)
            spans = [
                (self.job_model[j].start, self.job_model[j].stop) for j in self.target_jobs(target)
            ]
            extra = [self.task_model[task].size] if target[0] == "task" else []
        foreign = [i for i in self.label_model if i not in labels] + [10**6]
        invalid = not labels or data.draw(st.integers(0, 7), label="foreign label?") == 0
        frames = sorted({f for a, b in spans for f in range(a, b + 1)} | set(extra))
        long_spans = [(a, b) for a, b in spans if b > a]
        count = data.draw(st.integers(0 if labels else 1, 4), label="objects")
        objects: list[tuple[str, Obj]] = []
        for index in range(count):
            use_foreign = (invalid and index == 0) or not labels
            label = data.draw(st.sampled_from(foreign if use_foreign else labels), label="label")
            kinds = ["tags", "shapes"] + (["tracks"] if long_spans else [])
            kind = data.draw(st.sampled_from(kinds), label="kind")
            if kind == "tracks":
                start, stop = data.draw(st.sampled_from(long_spans), label="span")
                first = data.draw(st.integers(start, stop - 1), label="first")
                last = data.draw(st.integers(first + 1, stop), label="last")
                box = data.draw(points, label="points")
                moved = data.draw(points, label="points")
                objects.append((kind, Track(label, ((first, box, False), (last, moved, True)))))
                continue
            frame = data.draw(st.sampled_from(frames), label="frame")
            if kind == "tags":
                objects.append((kind, Tag(frame, label)))
            else:
                objects.append((kind, Shape(frame, label, data.draw(points, label="points"))))
        return objects

    def check_created(
        self,
        target: tuple[str, int],
        sent: list[tuple[str, Obj]],
        answer: LabeledData,
    ) -> None:
        """The answer holds the routed objects, under new ids; the model gets them."""
        got = read_annotations(answer)
        routed = [(kind, obj) for kind, obj in sent if self.route(target, obj) is not None]
        assert Counter((kind, obj) for kind, _, obj in got.items()) == Counter(routed)
        for kind in KINDS:
            for ident in sorted(got.kind(kind)):
                self.fresh(kind, ident)
        for kind, ident, obj in got.items():
            job = self.route(target, obj)
            assert job is not None
            self.annotations[job].kind(kind)[ident] = obj

    def annotation_step(self, actor: str, target: tuple[str, int]) -> None:
        self.dirty.add(("task", self.target_task(target)))
        if target[0] == "job":
            self.dirty.add(target)

    @precondition(lambda self: bool(self.job_model))
    @rule(data=st.data(), actor=actors)
    def set_annotations(self, data: st.DataObject, actor: str) -> None:
        """``set_annotations``: a ``PUT``, everything replaced."""
        self.step("set_annotations")
        self.write_annotations(data, actor, replace=True)

    @precondition(lambda self: bool(self.job_model))
    @rule(data=st.data(), actor=actors)
    def create_annotations(self, data: st.DataObject, actor: str) -> None:
        """``update_annotations(action="create")``: appended under new ids."""
        self.step("create_annotations")
        self.write_annotations(data, actor, replace=False)

    def write_annotations(self, data: st.DataObject, actor: str, *, replace: bool) -> None:
        target = self.pick_target(data)
        if target is None:
            return
        objects = self.draw_objects(data, target)
        body = _wire((kind, obj, None) for kind, obj in objects)
        error = self.target_error(actor, target)
        if error is None:
            # CVAT checks labels job by job: an object on no job's frames is never looked at
            allowed = set(self.task_labels(self.target_task(target)))
            routed = [obj for _, obj in objects if self.route(target, obj) is not None]
            if any(obj.label_id not in allowed for obj in routed):
                error = BadRequest
        module: Any = cvatfn.jobs if target[0] == "job" else cvatfn.tasks
        session = self.sessions[actor]
        if replace:
            result = module.set_annotations(session, target[1], body)
        else:
            result = module.update_annotations(session, target[1], body, action="create")
        answer = self.expect(result, error)
        if answer is None:
            return
        if replace:
            for job in self.target_jobs(target):
                self.annotations[job] = Annots()
        self.check_created(target, objects, answer)
        self.annotation_step(actor, target)

    @precondition(lambda self: any(not a.empty() for a in self.annotations.values()))
    @rule(data=st.data(), actor=actors)
    def change_annotations(self, data: st.DataObject, actor: str) -> None:
        """``action="update"``: existing objects sent back changed, under their ids."""
        self.step("update_annotations")
        target = self.pick_target(data)
        if target is None or self.target_error(ADMIN, target) is not None:
            return
        store = self.target_store(target)
        existing = sorted((kind, ident) for kind, ident, _ in store.items())
        if not existing:
            return
        chosen = data.draw(
            st.lists(st.sampled_from(existing), min_size=1, max_size=3, unique=True),
            label="changed",
        )
        labels = self.task_labels(self.target_task(target))
        changes: list[tuple[str, Obj, int]] = []
        for kind, ident in chosen:
            old = store.kind(kind)[ident]
            label = data.draw(st.sampled_from(labels), label="label")
            new: Obj
            if isinstance(old, Tag):
                new = Tag(old.frame, label)
            elif isinstance(old, Shape):
                new = Shape(old.frame, label, data.draw(points, label="points"))
            else:
                first = (old.shapes[0][0], data.draw(points, label="points"), False)
                new = Track(label, (first, *old.shapes[1:]))
            changes.append((kind, new, ident))
        error = self.target_error(actor, target)
        module: Any = cvatfn.jobs if target[0] == "job" else cvatfn.tasks
        result = module.update_annotations(
            self.sessions[actor], target[1], _wire(changes), action="update"
        )
        answer = self.expect(result, error)
        if answer is None:
            return
        got = read_annotations(answer)
        assert sorted(got.items(), key=repr) == sorted(
            ((kind, ident, obj) for kind, obj, ident in changes), key=repr
        )
        for kind, new, ident in changes:
            job = self.route(target, new)
            assert job is not None
            self.annotations[job].kind(kind)[ident] = new
        self.annotation_step(actor, target)

    @precondition(lambda self: any(not a.empty() for a in self.annotations.values()))
    @rule(data=st.data(), actor=actors)
    def delete_annotations(self, data: st.DataObject, actor: str) -> None:
        """``update_annotations(action="delete")`` with objects as the server gave them."""
        self.step("delete_annotations")
        self.drop_annotations(data, actor, through_remove=False)

    @precondition(lambda self: any(not a.empty() for a in self.annotations.values()))
    @rule(data=st.data(), actor=actors)
    def remove_annotations(self, data: st.DataObject, actor: str) -> None:
        """``remove_annotations(ids=...)``."""
        self.step("remove_annotations")
        self.drop_annotations(data, actor, through_remove=True)

    def drop_annotations(self, data: st.DataObject, actor: str, *, through_remove: bool) -> None:
        target = self.pick_target(data)
        if target is None or self.target_error(ADMIN, target) is not None:
            return
        store = self.target_store(target)
        existing = sorted((kind, ident) for kind, ident, _ in store.items())
        chosen: list[tuple[str, int]] = (
            data.draw(st.lists(st.sampled_from(existing), max_size=3, unique=True), label="gone")
            if existing
            else []
        )
        error = self.target_error(actor, target)
        module: Any = cvatfn.jobs if target[0] == "job" else cvatfn.tasks
        session = self.sessions[actor]
        if through_remove:
            ids: dict[str, list[int]] = {kind: [] for kind in KINDS}
            for kind, ident in chosen:
                ids[kind].append(ident)
            missing = data.draw(st.booleans(), label="missing id?") and error is None
            if missing:
                ids["tags"].append(self.max_id.get("tags", 0) + 1000)
                error = InvalidInput
            if not chosen and not missing:
                error = None  # nothing to remove: nothing is sent
            result: Result[Any, Any] = module.remove_annotations(session, target[1], ids=ids)
            self.expect(result, error)
            if error is InvalidInput:
                assert result.failure().field == "ids.tags"
        else:
            body = _wire((kind, store.kind(kind)[ident], ident) for kind, ident in chosen)
            result = module.update_annotations(session, target[1], body, action="delete")
            self.expect(result, error)
        if error:
            return
        for kind, ident in chosen:
            for job in self.target_jobs(target):
                self.annotations[job].kind(kind).pop(ident, None)
        self.annotation_step(actor, target)

    @precondition(lambda self: any(not a.empty() for a in self.annotations.values()))
    @rule(data=st.data(), actor=actors)
    def clear_annotations(self, data: st.DataObject, actor: str) -> None:
        """``remove_annotations()``: everything of the task or job."""
        self.step("clear_annotations")
        target = self.pick_target(data)
        if target is None:
            return
        error = self.target_error(actor, target)
        module: Any = cvatfn.jobs if target[0] == "job" else cvatfn.tasks
        self.expect(module.remove_annotations(self.sessions[actor], target[1]), error)
        if error:
            return
        for job in self.target_jobs(target):
            self.annotations[job] = Annots()
        self.annotation_step(actor, target)

    # ----------------------------------------------------------------------------- lists
    @rule(
        actor=actors,
        name=st.none() | names,
        search=st.none() | st.sampled_from(("a", "et", "bob", "adm", "zz")),
        sort=st.sampled_from(("id", "-id", "name", "-name")),
        assigned=st.none() | st.sampled_from((BOB, ADMIN)),
        lazily=st.booleans(),
    )
    def list_projects(
        self,
        actor: str,
        name: str | None,
        search: str | None,
        sort: str,
        assigned: str | None,
        lazily: bool,
    ) -> None:
        """``projects.list`` (every page), or ``iterate`` collected, against the model."""
        self.step("list_projects")
        filters: dict[str, Any] = {}
        if name is not None:
            filters["name"] = name
        if assigned is not None:
            filters["assignee"] = assigned
        session = self.sessions[actor]
        got = self.expect(
            cvatfn.collect(cvatfn.projects.iterate(session, search=search, sort=sort, **filters))
            if lazily
            else cvatfn.projects.list(session, search=search, sort=sort, **filters),
            None,
        )
        assert got is not None
        wanted: list[int] = []
        for ident, p in self.project_model.items():
            if not self.sees_project(actor, ident):
                continue
            if name is not None and p.name != name:
                continue
            if assigned is not None and p.assignee != assigned:
                continue
            if search is not None and not any(
                v is not None and search in v for v in (p.assignee, p.name, p.owner)
            ):
                continue
            wanted.append(ident)
        self.compare_order(
            [p.id for p in got],
            wanted,
            sort,
            lambda i: {"id": i, "name": self.project_model[i].name}[sort.lstrip("-")],
        )

    @rule(
        actor=actors,
        data=st.data(),
        search=st.none() | st.sampled_from(("a", "et", "bob", "train", "bugs", "zz")),
        sort=st.sampled_from(("id", "-id", "name", "-name", "project_id", "-subset")),
        how=st.sampled_from(("project_id", "owner", "status", "subset", "filter", "none")),
        lazily=st.booleans(),
    )
    def list_tasks(
        self,
        actor: str,
        data: st.DataObject,
        search: str | None,
        sort: str,
        how: str,
        lazily: bool,
    ) -> None:
        self.step("list_tasks")
        filters: dict[str, Any] = {}
        expression: Filter | None = None
        keep: Callable[[int, MTask], bool] = lambda i, t: True  # noqa: E731
        if how == "project_id":
            pid = data.draw(st.sampled_from(sorted(self.project_model) or [1]), label="project")
            filters["project_id"] = pid
            keep = lambda i, t: t.project_id == pid  # noqa: E731
        elif how == "owner":
            owner = data.draw(st.sampled_from((ADMIN, BOB)), label="owner")
            filters["owner"] = owner
            keep = lambda i, t: t.owner == owner  # noqa: E731
        elif how == "status":
            status = data.draw(st.sampled_from(("annotation", "validation", "completed")))
            filters["status"] = status
            keep = lambda i, t: t.status == status  # noqa: E731
        elif how == "subset":
            subset = data.draw(st.sampled_from(SUBSETS[1:]), label="subset")
            filters["subset"] = subset
            keep = lambda i, t: t.subset == subset  # noqa: E731
        elif how == "filter":
            low = data.draw(st.integers(0, 8), label="id above")
            part = data.draw(st.sampled_from(("mm", "ta", "al")), label="name part")
            expression = (F.id > low) & (F.name.contains(part) | ~F.assignee.is_set())
            keep = lambda i, t: i > low and (part in t.name or t.assignee is None)  # noqa: E731
        session = self.sessions[actor]
        got = self.expect(
            cvatfn.collect(
                cvatfn.tasks.iterate(
                    session, search=search, sort=sort, filter=expression, **filters
                )
            )
            if lazily
            else cvatfn.tasks.list(session, search=search, sort=sort, filter=expression, **filters),
            None,
        )
        assert got is not None

        def searched(t: MTask) -> bool:
            project = self.project_model[t.project_id].name if t.project_id else None
            fields = (t.assignee, t.name, t.owner, project, t.subset, t.bug_tracker)
            return search is None or any(v is not None and search in v for v in fields)

        wanted = [
            i
            for i, t in self.task_model.items()
            if (actor == ADMIN or self.task_staff(actor, i)) and keep(i, t) and searched(t)
        ]
        key = sort.lstrip("-")
        self.compare_order(
            [t.id for t in got],
            wanted,
            sort,
            lambda i: i if key == "id" else getattr(self.task_model[i], key),
        )

    @rule(
        actor=actors,
        data=st.data(),
        sort=st.sampled_from(("id", "-id", "task_id", "-stage", "state")),
        how=st.sampled_from(("task_id", "stage", "state", "assignee", "filter", "none")),
        lazily=st.booleans(),
    )
    def list_jobs(self, actor: str, data: st.DataObject, sort: str, how: str, lazily: bool) -> None:
        self.step("list_jobs")
        filters: dict[str, Any] = {}
        expression: Filter | None = None
        keep: Callable[[MJob], bool] = lambda j: True  # noqa: E731
        if how == "task_id":
            tid = data.draw(st.sampled_from(sorted(self.task_model) or [1]), label="task")
            filters["task_id"] = tid
            keep = lambda j: j.task_id == tid  # noqa: E731
        elif how == "stage":
            stage = data.draw(st.sampled_from(STAGES), label="stage")
            filters["stage"] = stage
            keep = lambda j: j.stage == stage  # noqa: E731
        elif how == "state":
            state = data.draw(st.sampled_from(STATES), label="state")
            filters["state"] = state
            keep = lambda j: j.state == state  # noqa: E731
        elif how == "assignee":
            user = data.draw(st.sampled_from((ADMIN, BOB)), label="assignee")
            filters["assignee"] = user
            keep = lambda j: j.assignee == user  # noqa: E731
        elif how == "filter":
            stage = data.draw(st.sampled_from(STAGES), label="stage")
            expression = (F.stage == stage) | F.assignee.is_set()
            keep = lambda j: j.stage == stage or j.assignee is not None  # noqa: E731
        session = self.sessions[actor]
        got = self.expect(
            cvatfn.collect(cvatfn.jobs.iterate(session, sort=sort, filter=expression, **filters))
            if lazily
            else cvatfn.jobs.list(session, sort=sort, filter=expression, **filters),
            None,
        )
        assert got is not None
        wanted = [i for i, j in self.job_model.items() if keep(j) and self.sees_job(actor, i)]
        key = sort.lstrip("-")
        self.compare_order(
            [j.id for j in got],
            wanted,
            sort,
            lambda i: i if key == "id" else getattr(self.job_model[i], key),
        )

    def compare_order(
        self, got: list[int], wanted: list[int], sort: str, key: Callable[[int], object]
    ) -> None:
        """Same ids; sort keys in order (ties may come in any order)."""
        assert sorted(got) == sorted(wanted), (sort, got, wanted)
        keys = [_sort_key(key(i)) for i in got]
        assert keys == sorted(keys, reverse=sort.startswith("-")), (sort, got)

    # -------------------------------------------------------------------------- invariants
    @invariant()
    def server_agrees_with_model(self) -> None:
        assert self.transport.violations == [], self.transport.report()
        self.check_lists()
        self.check_annotations()
        for kind, ident in sorted(self.dirty):
            self.check_retrieve(ADMIN, kind, ident)
            self.check_children(kind, ident)
        self.dirty.clear()

    def check_children(self, kind: str, ident: int) -> None:
        """What cvatfn lists under a live entity: a project's tasks and labels, a task's jobs
        and labels, a job's labels and issues, an issue's comments."""
        admin = self.admin
        got: Result[Sequence[Any], Any]
        if kind == "project" and ident in self.project_model:
            got = cvatfn.projects.get_tasks(admin, ident)
            wanted = [i for i, t in self.task_model.items() if t.project_id == ident]
            same([t.id for t in self.expect(got, None) or ()], wanted, f"project {ident} tasks")
            got = cvatfn.projects.get_labels(admin, ident)
            wanted = [i for i, lb in self.label_model.items() if lb.project_id == ident]
            same([lb.id for lb in self.expect(got, None) or ()], wanted, f"project {ident} labels")
        elif kind == "task" and ident in self.task_model:
            jobs = self.expect(cvatfn.tasks.get_jobs(admin, ident), None) or ()
            assert [j.id for j in jobs] == self.jobs_of(ident), f"task {ident} jobs"
            got = cvatfn.tasks.get_labels(admin, ident)
            wanted = self.task_labels(ident)
            same([lb.id for lb in self.expect(got, None) or ()], wanted, f"task {ident} labels")
        elif kind == "job" and ident in self.job_model:
            got = cvatfn.jobs.get_labels(admin, ident)
            wanted = self.task_labels(self.job_model[ident].task_id)
            same([lb.id for lb in self.expect(got, None) or ()], wanted, f"job {ident} labels")
            got = cvatfn.jobs.get_issues(admin, ident)
            wanted = [i for i, x in self.issue_model.items() if x.job_id == ident]
            same([x.id for x in self.expect(got, None) or ()], wanted, f"job {ident} issues")
        elif kind == "issue" and ident in self.issue_model:
            got = cvatfn.issues.get_comments(admin, ident)
            wanted = [i for i, c in self.comment_model.items() if c.issue_id == ident]
            same([c.id for c in self.expect(got, None) or ()], wanted, f"issue {ident} comments")

    def check_lists(self) -> None:
        admin, bob = self.admin, self.sessions[BOB]
        projects = self.expect(cvatfn.projects.list(admin), None)
        tasks = self.expect(cvatfn.tasks.list(admin), None)
        jobs = self.expect(cvatfn.jobs.list(admin), None)
        labels = self.expect(cvatfn.labels.list(admin), None)
        assert projects is not None and tasks is not None
        assert jobs is not None and labels is not None
        same(
            [self.server_project(p) for p in projects],
            [self.project_fields(i) for i in self.project_model],
            "admin's projects (id, name, owner, assignee, tracker, status, tasks)",
        )
        same(
            [self.server_task(t) for t in tasks],
            [self.task_fields(i) for i in self.task_model],
            "admin's tasks (id, name, project, its name, owner, assignee, subset, tracker, "
            "size, segment size, overlap, mode, status, jobs, completed, validation)",
        )
        same(
            [self.server_job(j) for j in jobs],
            [self.job_fields(i) for i in self.job_model],
            "admin's jobs (id, task, its name, project, its name, type, start, stop, frames, "
            "stage, state, status, assignee, tracker)",
        )
        same(
            [self.server_label(lb) for lb in labels],
            [self.label_fields(i) for i in self.label_model],
            "admin's labels (id, name, project, task)",
        )
        issues = self.expect(cvatfn.issues.list(admin), None)
        comments = self.expect(cvatfn.comments.list(admin), None)
        assert issues is not None and comments is not None
        same(
            [self.server_issue(x) for x in issues],
            [self.issue_fields(i) for i in self.issue_model],
            "admin's issues (id, job, frame, position, owner, assignee, resolved, comments)",
        )
        same(
            [self.server_comment(c) for c in comments],
            [self.comment_fields(i) for i in self.comment_model],
            "admin's comments (id, issue, owner, message)",
        )
        seen = self.expect(cvatfn.projects.list(bob), None)
        seen_tasks = self.expect(cvatfn.tasks.list(bob), None)
        seen_jobs = self.expect(cvatfn.jobs.list(bob), None)
        seen_issues = self.expect(cvatfn.issues.list(bob), None)
        seen_comments = self.expect(cvatfn.comments.list(bob), None)
        seen_labels = self.expect(cvatfn.labels.list(bob), None)
        assert seen_labels is not None
        same(
            [lb.id for lb in seen_labels],
            [i for i in self.label_model if self.label_parent_staff(BOB, i)],
            "bob's labels",
        )
        assert seen is not None and seen_tasks is not None and seen_jobs is not None
        assert seen_issues is not None and seen_comments is not None
        same(
            [x.id for x in seen_issues],
            [i for i in self.issue_model if self.issue_staff(BOB, i)],
            "bob's issues",
        )
        same(
            [c.id for c in seen_comments],
            [i for i in self.comment_model if self.comment_staff(BOB, i)],
            "bob's comments",
        )
        same(
            [p.id for p in seen],
            [i for i in self.project_model if self.sees_project(BOB, i)],
            "bob's projects",
        )
        same(
            [t.id for t in seen_tasks],
            [i for i in self.task_model if self.task_staff(BOB, i)],
            "bob's tasks",
        )
        same(
            [j.id for j in seen_jobs],
            [i for i in self.job_model if self.sees_job(BOB, i)],
            "bob's jobs",
        )

    def check_annotations(self) -> None:
        for job_id in sorted(self.job_model):
            got = self.expect(cvatfn.jobs.get_annotations(self.admin, job_id), None)
            assert got is not None
            same_annotations(read_annotations(got), self.annotations[job_id], f"job {job_id}")
        for task_id, t in sorted(self.task_model.items()):
            if not t.size or t.overlap:
                continue
            got = self.expect(cvatfn.tasks.get_annotations(self.admin, task_id), None)
            assert got is not None
            merged = self.task_annotations(task_id)
            same_annotations(read_annotations(got), merged, f"task {task_id}")

    def check_retrieve(self, user: str, kind: str, ident: int) -> None:
        session = self.sessions[user]
        calls: dict[str, Callable[[], Result[Any, Any]]] = {
            "project": lambda: cvatfn.projects.retrieve(session, ident),
            "task": lambda: cvatfn.tasks.retrieve(session, ident),
            "job": lambda: cvatfn.jobs.retrieve(session, ident),
            "label": lambda: cvatfn.labels.retrieve(session, ident),
            "issue": lambda: cvatfn.issues.retrieve(session, ident),
            "comment": lambda: cvatfn.comments.retrieve(session, ident),
        }
        alive = {
            "project": self.project_model,
            "task": self.task_model,
            "job": self.job_model,
            "label": self.label_model,
            "issue": self.issue_model,
            "comment": self.comment_model,
        }[kind]
        if ident not in alive:
            self.expect(calls[kind](), NotFound)
            return
        visible = {
            "project": lambda: self.sees_project(user, ident),
            "task": lambda: self.task_staff(user, ident),
            "job": lambda: self.sees_job(user, ident),
            "label": lambda: self.label_parent_staff(user, ident),
            "issue": lambda: self.issue_staff(user, ident),
            "comment": lambda: self.comment_staff(user, ident),
        }[kind]()
        got = self.expect(calls[kind](), None if visible else Forbidden)
        if got is None:
            return
        if kind == "project":
            same([self.server_project(got)], [self.project_fields(ident)], f"project {ident}")
        elif kind == "task":
            same([self.server_task(got)], [self.task_fields(ident)], f"task {ident}")
        elif kind == "job":
            same([self.server_job(got)], [self.job_fields(ident)], f"job {ident}")
        elif kind == "issue":
            same([self.server_issue(got)], [self.issue_fields(ident)], f"issue {ident}")
        elif kind == "comment":
            same([self.server_comment(got)], [self.comment_fields(ident)], f"comment {ident}")
        else:
            same([self.server_label(got)], [self.label_fields(ident)], f"label {ident}")

    def teardown(self) -> None:
        """Every entity, live or removed, retrieved by both users."""
        kinds = {
            "project": self.project_model,
            "task": self.task_model,
            "job": self.job_model,
            "label": self.label_model,
            "issue": self.issue_model,
            "comment": self.comment_model,
        }
        for kind, live in kinds.items():
            for ident in sorted(set(live) | self.dead[kind]):
                for user in (ADMIN, BOB):
                    self.check_retrieve(user, kind, ident)
        assert self.transport.violations == [], self.transport.report()


MACHINE_SETTINGS = settings(
    # about 30 steps in each of 30 examples keep the run near ten seconds; the ``thorough``
    # profile (a long run before a release) tries ten times as many
    max_examples=300 if settings.get_current_profile_name() == "thorough" else 30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_cvatfn_agrees_with_a_model_of_cvat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths: list[Path] = []
    for index in range(MAX_IMAGES):
        path = tmp_path / f"frame_{index}.png"
        Image.new("RGB", (8 + index, 6), (40 * index, 90, 160)).save(path)
        paths.append(path)
    CvatMachine.images = tuple(paths)
    before = STEPS.copy()
    run_state_machine_as_test(CvatMachine, settings=MACHINE_SETTINGS)
    run = STEPS - before
    steps, examples = run["steps"], run["examples"]
    outcomes = ", ".join(
        f"{key.removeprefix('outcome ')} {count}"
        for key, count in run.most_common()
        if key.startswith("outcome ")
    )
    rules = ", ".join(
        f"{key} {count}"
        for key, count in run.most_common()
        if key not in ("steps", "examples") and not key.startswith("outcome ")
    )
    with capsys.disabled():
        print(f"\nstate machine: {steps} steps in {examples} examples, all agreeing with the model")
        print(f"  outcomes of the steps' calls: {outcomes}")
        print(f"  steps by rule: {rules}")
    assert examples >= 1
    assert steps >= examples
