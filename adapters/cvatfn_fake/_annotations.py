"""Annotations: ``/api/jobs/{id}/annotations`` and ``/api/tasks/{id}/annotations``.

Theory of operation
-------------------
*Storage.* Annotations belong to jobs, as in CVAT's tables: ``State.annotations[job_id]``
holds the job's tags, shapes (skeletons with their ``elements``) and tracks (with their
tracked ``shapes`` and element sub-tracks), each in CVAT's wire form. Ids come from four
sequences, like CVAT's four tables: tags, shapes (elements included), tracks (sub-tracks
included) and tracked shapes. ``version`` is always 0, as CVAT 2.80 reports it.

*Writing.* A request body goes through :func:`parse_labeled_data` first, which reproduces
CVAT's ``LabeledDataSerializer`` (DRF field rules, defaults and 400 bodies such as
``{"shapes": [{}, {"type": ["\\"box\\" is not a valid choice."]}]}``). The job-level
operations then follow ``cvat/apps/dataset_manager/task.py`` (``JobAnnotation``):

- ``PUT`` replaces everything; ``PATCH ?action=create`` appends. Both give every object a
  new id from the server's sequences, whatever id the client sent.
- ``PATCH ?action=update`` deletes the job's objects with the given ids and inserts the sent
  ones under the same ids (an object without an id gets a new one). An id that another job
  owns is CVAT's ``IntegrityError``: a 400 whose body is the database message.
- ``PATCH ?action=delete`` deletes the job's objects with the given ids (a skeleton or a
  track with its elements) and echoes the request.
- Before anything is stored, each track's frames are synchronised the way CVAT's
  ``_sync_frames`` does it (a track starts on its first shape, a sub-track never before its
  parent) and tracks without shapes are dropped. Every ``label_id`` must be one of the task's
  labels (its project's, when it has one; sublabels included), and every attribute
  ``spec_id`` one of that label's attributes: any attribute for tags and shapes, immutable
  ones for a track, mutable ones for a tracked shape. A failure is CVAT's 400
  ``["label_id `7` is invalid"]`` or ``["spec_id `3` is invalid"]`` and changes nothing.
  Like CVAT, nothing else is checked: not the number of points for a shape type, not that a
  frame lies inside the job, not that skeleton elements use the skeleton's own sublabels.

*Tasks.* A task has no annotations of its own: ``GET`` merges its annotation jobs and a write
is cut into one job-level write per job, as CVAT's ``TaskAnnotation`` does.

- Cutting (``AnnotationIR.slice``): tags and shapes go to every job whose frame range holds
  their frame, and objects on no job's frames are dropped. A track goes to every job where
  it is visible; in each, it keeps its keyframes inside the job and gains the interpolated
  shape on the job's first frame and, when the track goes on past the job, on its last frame
  (CVAT's interpolation: linear for boxes, ellipses, cuboids, skeletons and 2-coordinate
  points, CVAT's curve matching for polygons and polylines). So a track crossing a job
  boundary becomes one track per job.
- Merging (``AnnotationManager.merge``), job after job: objects from past the overlap with
  the previous job are added as they are. In the overlap, CVAT pairs objects with the
  Hungarian method: tags of the same label, boxes and polygons of the same label by
  intersection over union (at least 0.75), tracks by the agreement of their shapes on the
  overlap frames (at least 0.5); a paired object is kept once. A track of an earlier job that
  is not paired and does not end outside gets an outside shape on the frame where the
  overlap ends, so with no overlap a track ends where the next job starts.
- A task write answers with the merge of the job-level answers; it is atomic.

*Reading.* A job answers its objects in CVAT's order (tags and shapes by frame, tracks by id,
tracked shapes by frame), skeletons with empty ``points``, and each attribute list completed
with the label's default values the way CVAT completes it: every attribute for tags and
shapes, immutable ones for tracks, and for tracked shapes the mutable ones on the first
shape, then the previous shape's values.

Where this differs from CVAT, and why: polygon intersection is exact when one polygon is
convex (two non-convex polygons count as the same object only when identical: CVAT uses
shapely); points are stored and answered as floats (CVAT's ``PUT`` answer echoes them as
sent); a mask track, or a track whose consecutive shapes differ in type or in the number of
points where CVAT interpolates point by point, keeps its shapes as they are between keyframes
(CVAT fails with a server error); ``PUT``, ``PATCH`` and ``DELETE`` on a task without data act
on its zero jobs (CVAT fails); ``intervals`` (CVAT's audio annotations) are accepted and
ignored.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._context import Ctx, render
from ._errors import ApiError, invalid
from ._fields import as_dict, as_list
from ._jobs import get_job, task_jobs
from ._labels import children, labels_of
from ._state import Job, JobAnnotations, JsonDict, Label, Project, Task
from ._tasks import get_task

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

__all__ = [
    "SHAPE_TYPES",
    "append_job_annotations",
    "append_task_annotations",
    "job_annotations",
    "move_to_project",
    "parse_labeled_data",
    "purge_attributes",
    "purge_labels",
    "put_job_annotations",
    "put_task_annotations",
    "register",
    "task_annotations",
]

SHAPE_TYPES = (
    "rectangle",
    "polygon",
    "polyline",
    "points",
    "ellipse",
    "cuboid",
    "mask",
    "skeleton",
)
"""CVAT's ``ShapeType`` choices."""

PATCH_ACTIONS = ("create", "update", "delete")

_TABLES = {
    "tag": "engine_labeledimage",
    "shape": "engine_labeledshape",
    "track": "engine_labeledtrack",
    "tracked": "engine_trackedshape",
}
"""Object kind -> CVAT's table: names the id sequence and IntegrityError messages."""


# ================================================================ request validation (DRF)
class _Invalid(Exception):
    """A DRF validation error detail for one value."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


_MISSING: Any = object()
_Parser = Callable[[Any], Any]


def _field(
    data: JsonDict,
    name: str,
    errors: JsonDict,
    parse: _Parser,
    *,
    default: Any = _MISSING,
    nullable: bool = False,
) -> Any:
    """Run one DRF field over ``data[name]``; errors land in ``errors[name]``."""
    if name not in data:
        if default is _MISSING:
            errors[name] = ["This field is required."]
        return copy.copy(default)
    value = data[name]
    if value is None:
        if not nullable:
            errors[name] = ["This field may not be null."]
            return _MISSING
        return None
    try:
        return parse(value)
    except _Invalid as exc:
        errors[name] = exc.detail
        return _MISSING


def _integer(minimum: int | None = None) -> _Parser:
    def parse(value: Any) -> int:
        try:
            number = int(re.sub(r"\.0*\s*$", "", str(value)))
        except ValueError:
            raise _Invalid(["A valid integer is required."]) from None
        if minimum is not None and number < minimum:
            raise _Invalid([f"Ensure this value is greater than or equal to {minimum}."])
        return number

    return parse


def _number(minimum: int, maximum: int) -> _Parser:
    def parse(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Invalid(["A valid number is required."]) from None
        if not math.isfinite(number):
            raise _Invalid(["A valid number is required."])
        if number < minimum:
            raise _Invalid([f"Ensure this value is greater than or equal to {minimum}."])
        if number > maximum:
            raise _Invalid([f"Ensure this value is less than or equal to {maximum}."])
        return number

    return parse


_TRUE: frozenset[object] = frozenset(
    {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1}
)
_FALSE: frozenset[object] = frozenset(
    {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}
)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise _Invalid(["Must be a valid boolean."])


def _choice(choices: tuple[str, ...]) -> _Parser:
    def parse(value: Any) -> str:
        text = str(value)
        if text not in choices:
            raise _Invalid([f'"{text}" is not a valid choice.'])
        return text

    return parse


def _string(*, blank: bool = False, max_length: int | None = None) -> _Parser:
    def parse(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Invalid(["Not a valid string."])
        text = str(value).strip()
        if not text and not blank:
            raise _Invalid(["This field may not be blank."])
        if max_length is not None and len(text) > max_length:
            raise _Invalid([f"Ensure this field has no more than {max_length} characters."])
        return text

    return parse


def _points(value: Any) -> list[float]:
    items = as_list(value)
    if items is None:
        kind = type(value).__name__
        raise _Invalid([f'Expected a list of items but got type "{kind}".'])
    errors = {
        str(index): ["Value must be a float or an integer"]
        for index, item in enumerate(items)
        if type(item) not in (int, float) or not math.isfinite(item)
    }
    if errors:
        raise _Invalid(errors)
    return [float(item) for item in items]


def _many(item: _Parser, *, allow_empty: bool = True) -> _Parser:
    """DRF's ``ListSerializer``: one error entry per item, ``{}`` for the valid ones."""

    def parse(value: Any) -> list[Any]:
        items = as_list(value)
        if items is None:
            kind = type(value).__name__
            raise _Invalid(
                {"non_field_errors": [f'Expected a list of items but got type "{kind}".']}
            )
        if not items and not allow_empty:
            raise _Invalid({"non_field_errors": ["This list may not be empty."]})
        result: list[Any] = []
        errors: list[Any] = []
        for raw in items:
            if raw is None:
                errors.append(["This field may not be null."])
                continue
            try:
                result.append(item(raw))
                errors.append({})
            except _Invalid as exc:
                errors.append(exc.detail)
        if any(errors):
            raise _Invalid(errors)
        return result

    return parse


def _object(build: Callable[[JsonDict, JsonDict], JsonDict]) -> _Parser:
    """A nested DRF serializer: ``build(data, errors)`` reads the fields."""

    def parse(value: Any) -> JsonDict:
        data = as_dict(value)
        if data is None:
            kind = type(value).__name__
            raise _Invalid(
                {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
            )
        errors: JsonDict = {}
        result = build(data, errors)
        if errors:
            raise _Invalid(errors)
        return result

    return parse


def _attribute(data: JsonDict, errors: JsonDict) -> JsonDict:
    spec_id = _field(data, "spec_id", errors, _integer())
    # AttributeValSerializer.to_internal_value turns any value into its Python str() first
    # (null becomes "None", true "True").
    if "value" in data:
        data = {**data, "value": str(data["value"])}
    value = _field(data, "value", errors, _string(blank=True, max_length=4096))
    return {"spec_id": spec_id, "value": value}


_ATTRIBUTES = _many(_object(_attribute))


def _common(data: JsonDict, errors: JsonDict) -> JsonDict:
    """``AnnotationSerializer``'s fields."""
    return {
        "id": _field(data, "id", errors, _integer(), default=None, nullable=True),
        "label_id": _field(data, "label_id", errors, _integer(0)),
        "frame": _field(data, "frame", errors, _integer(0)),
        "group": _field(data, "group", errors, _integer(0), default=0, nullable=True),
        "source": _field(data, "source", errors, _string(), default="manual"),
    }


def _geometry(data: JsonDict, errors: JsonDict) -> JsonDict:
    """``ShapeSerializer``'s fields."""
    return {
        "type": _field(data, "type", errors, _choice(SHAPE_TYPES)),
        "occluded": _field(data, "occluded", errors, _boolean, default=False),
        "outside": _field(data, "outside", errors, _boolean, default=False),
        "z_order": _field(data, "z_order", errors, _integer(), default=0),
        "rotation": _field(data, "rotation", errors, _number(0, 360), default=0.0),
        "points": _field(data, "points", errors, _points, default=[]),
    }


def _tag(data: JsonDict, errors: JsonDict) -> JsonDict:
    result = _common(data, errors)
    result["attributes"] = _field(data, "attributes", errors, _ATTRIBUTES, default=[])
    return result


def _sub_shape(data: JsonDict, errors: JsonDict) -> JsonDict:
    common = _common(data, errors)
    geometry = _geometry(data, errors)
    return {
        "id": common["id"],
        "label_id": common["label_id"],
        "type": geometry["type"],
        "frame": common["frame"],
        "group": common["group"],
        "source": common["source"],
        "occluded": geometry["occluded"],
        "outside": geometry["outside"],
        "z_order": geometry["z_order"],
        "rotation": geometry["rotation"],
        "points": geometry["points"],
        "score": _field(data, "score", errors, _number(0, 1), default=1.0),
        "attributes": _field(data, "attributes", errors, _ATTRIBUTES, default=[]),
    }


_SUB_SHAPES = _many(_object(_sub_shape))


def _shape(data: JsonDict, errors: JsonDict) -> JsonDict:
    result = _sub_shape(data, errors)
    result["elements"] = _field(data, "elements", errors, _SUB_SHAPES, default=[])
    return result


def _tracked_shape(data: JsonDict, errors: JsonDict) -> JsonDict:
    geometry = _geometry(data, errors)
    return {
        "id": _field(data, "id", errors, _integer(), default=None, nullable=True),
        "type": geometry["type"],
        "frame": _field(data, "frame", errors, _integer(0)),
        "occluded": geometry["occluded"],
        "outside": geometry["outside"],
        "z_order": geometry["z_order"],
        "rotation": geometry["rotation"],
        "points": geometry["points"],
        "attributes": _field(data, "attributes", errors, _ATTRIBUTES, default=[]),
    }


def _sub_track(data: JsonDict, errors: JsonDict) -> JsonDict:
    result = _common(data, errors)
    result["shapes"] = _field(data, "shapes", errors, _many(_object(_tracked_shape)))
    result["attributes"] = _field(data, "attributes", errors, _ATTRIBUTES, default=[])
    return result


_SUB_TRACKS = _many(_object(_sub_track))


def _track(data: JsonDict, errors: JsonDict) -> JsonDict:
    result = _sub_track(data, errors)
    result["elements"] = _field(data, "elements", errors, _SUB_TRACKS, default=[])
    return result


def parse_labeled_data(data: Any) -> JsonDict:
    """Validate a ``LabeledData`` request body like CVAT's serializer; 400 ``ApiError`` if bad.

    Returns ``{"version", "tags", "shapes", "tracks"}`` with every default filled in.

    Examples:
        >>> parse_labeled_data({"tags": [{"frame": 0, "label_id": 1}]})["tags"]
        [{'id': None, 'label_id': 1, 'frame': 0, 'group': 0, 'source': 'manual', 'attributes': []}]
        >>> try:
        ...     parse_labeled_data({"shapes": [{"frame": 0, "label_id": 1, "type": "box"}]})
        ... except ApiError as error:
        ...     print(error.status, error.body)
        400 {'shapes': [{'type': ['"box" is not a valid choice.']}]}
    """
    body = as_dict(data)
    if body is None:
        kind = type(data).__name__
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    errors: JsonDict = {}
    result = {
        "version": _field(body, "version", errors, _integer(), default=0),
        "tags": _field(body, "tags", errors, _many(_object(_tag)), default=[]),
        "shapes": _field(body, "shapes", errors, _many(_object(_shape)), default=[]),
        "tracks": _field(body, "tracks", errors, _many(_object(_track)), default=[]),
    }
    if errors:
        raise ApiError(400, errors)
    return result


# ============================================================== labels a job may refer to
class _Schema:
    """CVAT's ``db_labels`` / ``db_attributes`` of a job: the labels of its task or project."""

    def __init__(self, srv: FakeServer, task: Task) -> None:
        parent = ("project", task.project_id) if task.project_id is not None else ("task", task.id)
        self.labels: dict[int, Label] = {
            label.id: label for label in labels_of(srv, parent, top_level=False)
        }
        self._defaults: dict[tuple[int, str], list[JsonDict]] = {}

    def check_label(self, label_id: int) -> None:
        if label_id not in self.labels:
            raise invalid(f"label_id `{label_id}` is invalid")

    def check_attributes(self, obj: JsonDict, kind: str) -> None:
        """``kind`` is ``all``, ``mutable`` or ``immutable``."""
        allowed = {
            attr.id
            for attr in self.labels[obj["label_id"]].attributes
            if kind == "all" or attr.mutable == (kind == "mutable")
        }
        for value in obj["attributes"]:
            if value["spec_id"] not in allowed:
                raise invalid(f"spec_id `{value['spec_id']}` is invalid")

    def defaults(self, label_id: int, kind: str) -> list[JsonDict]:
        """The default values of the label's ``kind`` attributes (computed once per label and
        kind: the list is shared, and is only read)."""
        found = self._defaults.get((label_id, kind))
        if found is not None:
            return found
        label = self.labels.get(label_id)
        found = (
            []
            if label is None
            else [
                {"spec_id": attr.id, "value": attr.default_value}
                for attr in label.attributes
                if kind == "all" or attr.mutable == (kind == "mutable")
            ]
        )
        self._defaults[(label_id, kind)] = found
        return found


def _validate(schema: _Schema, data: JsonDict) -> None:
    """The label and attribute checks, in the order CVAT's ``JobAnnotation._create`` runs them.

    ``data["tracks"]`` must already have gone through :func:`_prepare_tracks`.
    """
    for tag in data["tags"]:
        schema.check_label(tag["label_id"])
        schema.check_attributes(tag, "all")

    def shapes(items: list[JsonDict]) -> None:
        for shape in items:
            schema.check_label(shape["label_id"])
            schema.check_attributes(shape, "all")
        for shape in items:
            shapes(shape.get("elements", []))

    def tracks(items: list[JsonDict]) -> None:
        for track in items:
            schema.check_label(track["label_id"])
            schema.check_attributes(track, "immutable")
            for shape in track["shapes"]:
                schema.check_attributes({**shape, "label_id": track["label_id"]}, "mutable")
        for track in items:
            tracks(track.get("elements", []))

    shapes(data["shapes"])
    tracks(data["tracks"])


# ======================================================================== track frames
def _correct_first_frame(track: JsonDict) -> None:
    shapes = sorted(track["shapes"], key=lambda s: s["frame"])
    if not shapes:
        return
    first = shapes[0]
    if track["frame"] < first["frame"]:
        if first["type"] == "skeleton":
            first["frame"] = track["frame"]
        else:
            missing = copy.deepcopy(first)
            missing["frame"] = track["frame"]
            missing["outside"] = True
            missing["id"] = None
            track["shapes"].append(missing)
    elif first["frame"] < track["frame"]:
        track["frame"] = first["frame"]


def _prepare_tracks(tracks: list[JsonDict], parent: JsonDict | None = None) -> list[JsonDict]:
    """CVAT's ``_sync_frames``, then drop tracks without shapes; recurses into elements."""
    if tracks:
        min_frame = tracks[0]["frame"]
        for track in tracks:
            if parent is not None and parent["frame"] < track["frame"]:
                track["frame"] = parent["frame"]
            _correct_first_frame(track)
            min_frame = min(min_frame, track["frame"])
        if parent is not None and min_frame < parent["frame"]:
            parent["frame"] = min_frame
            parent["shapes"][0]["frame"] = min_frame
            for track in tracks:
                if parent["frame"] < track["frame"]:
                    track["frame"] = parent["frame"]
                    _correct_first_frame(track)
    kept = [track for track in tracks if track["shapes"]]
    for track in kept:
        if "elements" in track:
            track["elements"] = _prepare_tracks(track["elements"], track)
    return kept


# ============================================================================= ids
class _Ids:
    """Hands out ids for one job-level write.

    Every object gets the next id of its sequence, except with ``keep`` (``action=update``),
    where a sent id is reused if no stored object has it. A reused id moves its sequence past
    it, so later ids never collide with it.
    """

    def __init__(self, srv: FakeServer, *, keep: bool) -> None:
        self.srv = srv
        self.keep = keep
        self._used: dict[str, set[int]] | None = None

    def _taken(self, kind: str) -> set[int]:
        if self._used is None:
            used: dict[str, set[int]] = {kind: set() for kind in _TABLES}
            for store in self.srv.state.annotations.values():
                for obj, obj_kind in _walk(store):
                    used[obj_kind].add(obj["id"])
            self._used = used
        return self._used[kind]

    def assign(self, kind: str, obj: JsonDict) -> None:
        sequence = _TABLES[kind].removeprefix("engine_")
        counters = self.srv.state.counters
        given = obj.get("id")
        if not self.keep:
            obj["id"] = self.srv.state.next_id(sequence)
            return
        taken = self._taken(kind)
        if given is None:
            value = self.srv.state.next_id(sequence)
        elif given in taken:
            raise ApiError(
                400,
                f'duplicate key value violates unique constraint "{_TABLES[kind]}_pkey"\n'
                f"DETAIL:  Key (id)=({given}) already exists.\n",
            )
        else:
            value = int(given)
            counters[sequence] = max(counters.get(sequence, 0), value)
        taken.add(value)
        obj["id"] = value


def _walk(store: JobAnnotations) -> Iterable[tuple[JsonDict, str]]:
    """Every stored object with its id sequence."""
    for tag in store.tags:
        yield tag, "tag"
    for shape in store.shapes:
        yield shape, "shape"
        for element in shape.get("elements", []):
            yield element, "shape"
    for track in store.tracks:
        for sub in (track, *track.get("elements", [])):
            yield sub, "track"
            for tracked in sub["shapes"]:
                yield tracked, "tracked"


# ===================================================================== job-level writes
def _store(srv: FakeServer, job: Job) -> JobAnnotations:
    return srv.state.annotations.setdefault(job.id, JobAnnotations())


def _is_empty(data: JsonDict) -> bool:
    return not (data["tags"] or data["shapes"] or data["tracks"])


def _labeled(tags: list[JsonDict], shapes: list[JsonDict], tracks: list[JsonDict]) -> JsonDict:
    return {"version": 0, "tags": tags, "shapes": shapes, "tracks": tracks}


def _insert(srv: FakeServer, job: Job, data: JsonDict, ids: _Ids) -> JsonDict:
    """Store validated objects, with ids assigned in CVAT's bulk-insert order."""
    store = _store(srv, job)
    for tag in data["tags"]:
        ids.assign("tag", tag)
    for shape in data["shapes"]:
        ids.assign("shape", shape)
    for shape in data["shapes"]:
        for element in shape.get("elements", []):
            ids.assign("shape", element)

    def tracks(items: list[JsonDict]) -> None:
        for track in items:
            ids.assign("track", track)
        for track in items:
            for tracked in track["shapes"]:
                ids.assign("tracked", tracked)
        for track in items:
            tracks(track.get("elements", []))

    tracks(data["tracks"])
    store.tags.extend(copy.deepcopy(data["tags"]))
    store.shapes.extend(copy.deepcopy(data["shapes"]))
    store.tracks.extend(copy.deepcopy(data["tracks"]))
    return _labeled(data["tags"], data["shapes"], data["tracks"])


def _remove(srv: FakeServer, job: Job, data: JsonDict) -> None:
    """Delete the job's objects whose ids ``data`` names (with their elements)."""
    store = _store(srv, job)
    tag_ids = {t["id"] for t in data["tags"] if t["id"] is not None}
    shape_ids = {s["id"] for s in data["shapes"] if s["id"] is not None}
    track_ids = {t["id"] for t in data["tracks"] if t["id"] is not None}
    store.tags = [t for t in store.tags if t["id"] not in tag_ids]
    store.shapes = [s for s in store.shapes if s["id"] not in shape_ids]
    for shape in store.shapes:
        shape["elements"] = [e for e in shape.get("elements", []) if e["id"] not in shape_ids]
    store.tracks = [t for t in store.tracks if t["id"] not in track_ids]
    for track in store.tracks:
        track["elements"] = [e for e in track.get("elements", []) if e["id"] not in track_ids]


def _touch(srv: FakeServer, job: Job) -> None:
    """CVAT's ``_set_updated_date``: the job, its task and the task's project."""
    now = srv.now()
    job.updated = now
    task = srv.state.tasks[job.task_id]
    task.updated = now
    if task.project_id is not None and task.project_id in srv.state.projects:
        srv.state.projects[task.project_id].updated = now


def _job_write(srv: FakeServer, job: Job, data: JsonDict, action: str) -> JsonDict:
    """One job-level write (``put``, ``create``, ``update`` or ``delete``) of parsed data."""
    data = copy.deepcopy(data)
    if action == "delete":
        _remove(srv, job, data)
        if not _is_empty(data):
            _touch(srv, job)
        return _labeled(data["tags"], data["shapes"], data["tracks"])
    data["tracks"] = _prepare_tracks(data["tracks"])
    _validate(_Schema(srv, srv.state.tasks[job.task_id]), data)
    had_any = False
    if action == "put":
        store = _store(srv, job)
        had_any = bool(store.tags or store.shapes or store.tracks)
        srv.state.annotations[job.id] = JobAnnotations()
    elif action == "update":
        _remove(srv, job, data)
    result = _insert(srv, job, data, _Ids(srv, keep=action == "update"))
    if had_any or not _is_empty(result):
        _touch(srv, job)
    return result


def _atomic(srv: FakeServer, jobs: list[Job], write: Callable[[], JsonDict]) -> JsonDict:
    """Run ``write`` like a database transaction: if it raises, the jobs' annotations and the
    updated dates of the jobs, their task and its project are put back as they were."""
    saved = {job.id: copy.deepcopy(srv.state.annotations.get(job.id)) for job in jobs}
    touched: list[Job | Task | Project] = list(jobs)
    for task_id in {job.task_id for job in jobs}:
        task = srv.state.tasks[task_id]
        touched.append(task)
        if task.project_id is not None and task.project_id in srv.state.projects:
            touched.append(srv.state.projects[task.project_id])
    dates = [(obj, obj.updated) for obj in touched]
    try:
        return write()
    except ApiError:
        for job_id, store in saved.items():
            if store is None:
                srv.state.annotations.pop(job_id, None)
            else:
                srv.state.annotations[job_id] = store
        for obj, updated in dates:
            obj.updated = updated
        raise


# ============================================================================ reading
def _attributes(values: list[JsonDict], defaults: list[JsonDict]) -> list[JsonDict]:
    """CVAT's ``_extend_attributes``: the stored values, then defaults for missing specs."""
    if not values and not defaults:
        return []
    result = [{"spec_id": v["spec_id"], "value": v["value"]} for v in values]
    if defaults:
        present = {v["spec_id"] for v in values}
        result.extend(dict(d) for d in defaults if d["spec_id"] not in present)
    return result


def _shape_view(schema: _Schema, shape: JsonDict, *, top: bool) -> JsonDict:
    result: JsonDict = {
        "id": shape["id"],
        "label_id": shape["label_id"],
        "type": shape["type"],
        "frame": shape["frame"],
        "group": shape["group"],
        "source": shape["source"],
        "occluded": shape["occluded"],
        "outside": shape["outside"],
        "z_order": shape["z_order"],
        "rotation": shape["rotation"],
        "points": [] if shape["type"] == "skeleton" else list(shape["points"]),
        "score": shape["score"],
        "attributes": _attributes(shape["attributes"], schema.defaults(shape["label_id"], "all")),
    }
    if top:
        elements = shape.get("elements")
        result["elements"] = (
            [
                _shape_view(schema, e, top=False)
                for e in sorted(elements, key=lambda e: (e["frame"], e["id"]))
            ]
            if elements
            else []
        )
    return result


def _track_view(schema: _Schema, track: JsonDict, *, top: bool) -> JsonDict:
    previous = schema.defaults(track["label_id"], "mutable")
    shapes: list[JsonDict] = []
    for shape in sorted(track["shapes"], key=lambda s: (s["frame"], s["id"])):
        attributes = _attributes(shape["attributes"], previous)
        shapes.append(
            {
                "id": shape["id"],
                "type": shape["type"],
                "frame": shape["frame"],
                "occluded": shape["occluded"],
                "outside": shape["outside"],
                "z_order": shape["z_order"],
                "rotation": shape["rotation"],
                "points": [] if shape["type"] == "skeleton" else list(shape["points"]),
                "attributes": attributes,
            }
        )
        previous = attributes
    result: JsonDict = {
        "id": track["id"],
        "label_id": track["label_id"],
        "frame": track["frame"],
        "group": track["group"],
        "source": track["source"],
        "shapes": shapes,
        "attributes": _attributes(
            track["attributes"], schema.defaults(track["label_id"], "immutable")
        ),
    }
    if top:
        elements = sorted(track.get("elements", []), key=lambda e: e["id"])
        result["elements"] = [_track_view(schema, e, top=False) for e in elements]
    return result


def _job_view(srv: FakeServer, job: Job) -> JsonDict:
    store = srv.state.annotations.get(job.id) or JobAnnotations()
    schema = _Schema(srv, srv.state.tasks[job.task_id])
    tags = [
        {
            "id": tag["id"],
            "label_id": tag["label_id"],
            "frame": tag["frame"],
            "group": tag["group"],
            "source": tag["source"],
            "attributes": _attributes(tag["attributes"], schema.defaults(tag["label_id"], "all")),
        }
        for tag in sorted(store.tags, key=lambda t: (t["frame"], t["id"]))
    ]
    shapes = [
        _shape_view(schema, shape, top=True)
        for shape in sorted(store.shapes, key=lambda s: (s["frame"], s["id"]))
    ]
    tracks = [
        _track_view(schema, track, top=True)
        for track in sorted(store.tracks, key=lambda t: t["id"])
        if track["shapes"]
    ]
    return _labeled(tags, shapes, tracks)


# ================================================================== track interpolation
def _copy_shape(
    source: JsonDict, frame: int, points: list[float] | None = None, rotation: float | None = None
) -> JsonDict:
    result = dict(source)
    result["attributes"] = copy.deepcopy(source["attributes"])
    result["keyframe"] = False
    result["frame"] = frame
    if rotation is not None:
        result["rotation"] = rotation
    result["points"] = list(points if points is not None else source["points"])
    return result


def _angle_diff(right: float, left: float) -> float:
    diff = ((right - left + 180) % 360) - 180
    # CVAT's find_angle_diff: only -180 reaches this branch, and it gives 1.
    return 1.0 if abs(diff) >= 180 else diff


def _linear(shape0: JsonDict, shape1: JsonDict) -> list[JsonDict]:
    distance = shape1["frame"] - shape0["frame"]
    p0: list[float] = shape0["points"]
    p1: list[float] = shape1["points"]
    result: list[JsonDict] = []
    for frame in range(shape0["frame"] + 1, shape1["frame"]):
        offset = (frame - shape0["frame"]) / distance
        rotation = (
            shape0["rotation"] + _angle_diff(shape1["rotation"], shape0["rotation"]) * offset + 360
        ) % 360
        points = (
            [a + (b - a) * offset for a, b in zip(p0, p1, strict=True)]
            if len(p0) == len(p1)
            else None
        )
        result.append(_copy_shape(shape0, frame, points, rotation))
    return result


def _still(shape0: JsonDict, shape1: JsonDict) -> list[JsonDict]:
    return [_copy_shape(shape0, f) for f in range(shape0["frame"] + 1, shape1["frame"])]


Point = tuple[float, float]


def _to_points(flat: list[float]) -> list[Point]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]


def _curve_length(points: list[Point]) -> float:
    return sum(math.dist(points[i - 1], points[i]) for i in range(1, len(points)))


def _curve_offsets(points: list[Point]) -> list[float]:
    """Each point's position along the curve, as a share of its length (0 to 1)."""
    total = _curve_length(points)
    offsets = [0.0]
    walked = 0.0
    for i in range(1, len(points)):
        walked += math.dist(points[i - 1], points[i])
        offsets.append(walked / total if total else math.nan)
    return offsets


def _nearest(value: float, curve: list[float]) -> int:
    best, best_distance = 0, abs(value - curve[0])
    for index in range(1, len(curve)):
        distance = abs(value - curve[index])
        if distance < best_distance:
            best, best_distance = index, distance
    return best


def _curve_position(left: list[Point], right: list[Point], offset: float) -> list[float]:
    """A polyline between ``left`` and ``right`` at ``offset`` (CVAT's curve matching).

    Each left point is paired with the right point nearest to it along the curve, and every
    right point left over with its nearest left point; each pair is moved ``offset`` of the
    way; then runs of points are thinned out (a run of left points paired with one right
    point, and the right points paired with one left point, keep only points at least
    ``length / (2 * count)`` apart, and collapse to their average when closer).
    """
    left_offsets, right_offsets = _curve_offsets(left), _curve_offsets(right)
    matching = {i: [_nearest(v, right_offsets)] for i, v in enumerate(left_offsets)}
    matched = {j for pair in matching.values() for j in pair}
    for j in range(len(right)):
        if j not in matched:
            matching[_nearest(right_offsets[j], left_offsets)].append(j)
    for pairs in matching.values():
        pairs.sort()

    moved: list[Point] = []
    for i, (lx, ly) in enumerate(left):
        for j in matching[i]:
            rx, ry = right[j]
            moved.append((lx + (rx - lx) * offset, ly + (ry - ly) * offset))

    positions: dict[int, list[int]] = {}
    counter = 0
    for i in range(len(left)):
        positions[i] = list(range(counter, counter + len(matching[i])))
        counter += len(matching[i])

    reduced: list[Point] = []

    def thin(base_length: float, count: int, first: int, last: int) -> list[Point]:
        threshold = base_length / (2 * count)
        kept = [moved[first]]
        latest = first
        for index in range(first + 1, last):
            if math.dist(moved[latest], moved[index]) >= threshold:
                kept.append(moved[index])
                latest = index
        kept.append(moved[last])
        if len(kept) == 2 and math.dist(moved[first], moved[last]) < threshold:
            return [((kept[0][0] + kept[1][0]) / 2, (kept[0][1] + kept[1][1]) / 2)]
        return kept

    def left_run(start: int, stop: int) -> None:
        first, last = positions[start][0], positions[stop][0]
        if first == last:
            reduced.append(moved[first])
            return
        reduced.extend(thin(_curve_length(left[start : stop + 1]), stop - start + 1, first, last))

    def right_run(i: int) -> None:
        start, stop = matching[i][0], matching[i][-1]
        first, last = positions[i][0], positions[i][-1]
        reduced.extend(thin(_curve_length(right[start : stop + 1]), stop - start + 1, first, last))

    opened: int | None = None
    for i in range(len(left)):
        if len(matching[i]) == 1:
            if opened is None:
                opened = i
            elif matching[i][0] != matching[opened][0]:
                left_run(opened, i - 1)
                opened = i
        else:
            if opened is not None:
                left_run(opened, i - 1)
                opened = None
            right_run(i)
    if opened is not None:
        left_run(opened, len(left) - 1)
    return [coordinate for point in reduced for coordinate in point]


def _polyshape(shape0: JsonDict, shape1: JsonDict) -> list[JsonDict]:
    left, right = _to_points(shape0["points"]), _to_points(shape1["points"])
    if not left or not right:
        return _still(shape0, shape1)
    closed = shape0["type"] == "polygon"
    if closed:
        left, right = [*left, left[0]], [*right, right[0]]
    distance = shape1["frame"] - shape0["frame"]
    result: list[JsonDict] = []
    for frame in range(shape0["frame"] + 1, shape1["frame"]):
        points = _curve_position(left, right, (frame - shape0["frame"]) / distance)
        result.append(_copy_shape(shape0, frame, points[:-2] if closed else points))
    return result


def _interpolate(shape0: JsonDict, shape1: JsonDict) -> list[JsonDict]:
    kind = shape0["type"]
    if kind != shape1["type"]:
        return []
    if kind in ("rectangle", "cuboid", "ellipse", "skeleton"):
        return _linear(shape0, shape1)
    if kind == "points":
        if len(shape0["points"]) == 2 and len(shape1["points"]) == 2:
            return _linear(shape0, shape1)
        return _still(shape0, shape1)
    if kind in ("polygon", "polyline"):
        return _polyshape(shape0, shape1)
    return _still(shape0, shape1)


def _interpolated_shapes(track: JsonDict, end_frame: int) -> list[JsonDict]:
    """CVAT's ``TrackManager.get_interpolated_shapes`` for frames before ``end_frame``.

    Like CVAT, this marks the track's own shapes as keyframes and carries attribute values
    forward from one keyframe to the next.
    """
    shapes: list[JsonDict] = []
    previous: JsonDict | None = None
    for shape in sorted(track["shapes"], key=lambda s: s["frame"]):
        if previous is not None and end_frame <= shape["frame"]:
            between = [*_interpolate(previous, shape), shape]
            for item in sorted(between, key=lambda s: s["frame"]):
                if item["frame"] >= end_frame:
                    break
                shapes.append(item)
            shape["keyframe"] = True
            previous = shape
            break
        if previous is not None:
            known = {a["spec_id"] for a in shape["attributes"]}
            for attr in previous["attributes"]:
                if attr["spec_id"] not in known:
                    shape["attributes"].append(dict(attr))
            if not previous["outside"]:
                shapes.extend(_interpolate(previous, shape))
        shape["keyframe"] = True
        shapes.append(shape)
        previous = shape
    if previous is not None and not previous["outside"]:
        shapes.extend(_copy_shape(previous, f) for f in range(previous["frame"] + 1, end_frame))
    return [
        s
        for s in shapes
        if track["frame"] <= s["frame"] < end_frame and (s["keyframe"] or not s["outside"])
    ]


# ========================================================================== task cutting
def _track_visible(track: JsonDict, start: int, stop: int) -> bool:
    """CVAT's ``_is_track_inside``: is the track visible on some frame of ``[start, stop]``."""
    previous: JsonDict | None = None
    for shape in track["shapes"]:
        if (
            previous is not None
            and not previous["outside"]
            and min(shape["frame"], stop) - max(previous["frame"], start) >= 0
        ):
            return True
        previous = shape
    return previous is not None and not previous["outside"] and previous["frame"] <= stop


def _cut_track(original: JsonDict, start: int, stop: int) -> JsonDict:
    """CVAT's ``_slice_track``: the part of a track on frames ``[start, stop]``."""

    def inside(shapes: list[JsonDict]) -> list[JsonDict]:
        kept = [s for s in shapes if start <= s["frame"] <= stop]
        leading = 0
        while leading < len(kept) and kept[leading]["outside"]:
            leading += 1
        return kept[leading:]

    track = copy.deepcopy(original)
    segment = inside(copy.deepcopy(track["shapes"]))
    if "elements" in track:
        track["elements"] = [_cut_track(e, start, stop) for e in track["elements"]]
    if len(segment) < len(track["shapes"]):
        interpolated = _interpolated_shapes(track, stop + 1)
        scoped = inside(interpolated)
        if scoped:
            last_key = max(s["frame"] for s in track["shapes"])
            if not scoped[0]["keyframe"]:
                segment.insert(0, scoped[0])
            last = scoped[-1]
            moved_on = last_key >= stop and (not segment or last["points"] != segment[-1]["points"])
            if moved_on or (last["keyframe"] and last["outside"]):
                segment.append(last)
            elif stop + 1 < len(interpolated) and interpolated[stop + 1]["outside"]:
                segment.append(interpolated[stop + 1])
        for shape in segment:
            shape.pop("keyframe", None)
    track["shapes"] = segment
    if segment:
        track["frame"] = segment[0]["frame"]
    return track


def _cut(data: JsonDict, start: int, stop: int) -> JsonDict:
    """CVAT's ``AnnotationIR.slice``: the objects of frames ``[start, stop]``."""
    tracks: list[JsonDict] = []
    for track in data["tracks"]:
        if _track_visible(track, start, stop):
            part = _cut_track(track, start, stop)
            if part["shapes"]:
                tracks.append(part)
    return _labeled(
        [copy.deepcopy(t) for t in data["tags"] if start <= t["frame"] <= stop],
        [copy.deepcopy(s) for s in data["shapes"] if start <= s["frame"] <= stop],
        tracks,
    )


# ========================================================================== task merging
def _assignment(cost: list[list[float]]) -> list[tuple[int, int]]:
    """Minimum-cost pairing of rows with columns (the Hungarian method), sorted by row."""
    rows = len(cost)
    cols = len(cost[0]) if rows else 0
    if not rows or not cols:
        return []
    transposed = rows > cols
    if transposed:
        cost = [list(column) for column in zip(*cost, strict=True)]
        rows, cols = cols, rows
    inf = math.inf
    u = [0.0] * (rows + 1)
    v = [0.0] * (cols + 1)
    owner = [0] * (cols + 1)
    way = [0] * (cols + 1)
    for row in range(1, rows + 1):
        owner[0] = row
        col0 = 0
        best = [inf] * (cols + 1)
        used = [False] * (cols + 1)
        while True:
            used[col0] = True
            row0, delta, col1 = owner[col0], inf, 0
            for col in range(1, cols + 1):
                if not used[col]:
                    current = cost[row0 - 1][col - 1] - u[row0] - v[col]
                    if current < best[col]:
                        best[col], way[col] = current, col0
                    if best[col] < delta:
                        delta, col1 = best[col], col
            for col in range(cols + 1):
                if used[col]:
                    u[owner[col]] += delta
                    v[col] -= delta
                else:
                    best[col] -= delta
            col0 = col1
            if owner[col0] == 0:
                break
        while col0:
            col1 = way[col0]
            owner[col0] = owner[col1]
            col0 = col1
    pairs = [(owner[col] - 1, col - 1) for col in range(1, cols + 1) if owner[col]]
    if transposed:
        pairs = [(col, row) for row, col in pairs]
    return sorted(pairs)


def _signed_area(polygon: list[Point]) -> float:
    return (
        sum(
            x0 * y1 - x1 * y0
            for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True)
        )
        / 2
    )


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _convex(polygon: list[Point]) -> bool:
    signs = {
        _cross(polygon[i - 2], polygon[i - 1], polygon[i]) > 0
        for i in range(len(polygon))
        if _cross(polygon[i - 2], polygon[i - 1], polygon[i]) != 0
    }
    return len(signs) <= 1


def _simple(polygon: list[Point]) -> bool:
    """No two non-adjacent edges cross, and the area is not zero (shapely's ``is_valid``)."""
    if len(polygon) < 3 or _signed_area(polygon) == 0:
        return False
    edges = list(zip(polygon, polygon[1:] + polygon[:1], strict=True))
    for i, (a, b) in enumerate(edges):
        for j in range(i + 2, len(edges)):
            if i == 0 and j == len(edges) - 1:
                continue
            c, d = edges[j]
            d1, d2 = _cross(a, b, c), _cross(a, b, d)
            d3, d4 = _cross(c, d, a), _cross(c, d, b)
            if d1 * d2 < 0 and d3 * d4 < 0:
                return False
    return True


def _clip(subject: list[Point], convex: list[Point]) -> list[Point]:
    """Sutherland-Hodgman: ``subject`` clipped by the convex polygon ``convex``."""
    if _signed_area(convex) < 0:
        convex = convex[::-1]
    output: list[Point] = subject
    for a, b in zip(convex, convex[1:] + convex[:1], strict=True):
        if not output:
            break
        source = output
        output = list[Point]()
        for p, q in zip(source, source[1:] + source[:1], strict=True):
            p_in, q_in = _cross(a, b, p) >= 0, _cross(a, b, q) >= 0
            if p_in:
                output.append(p)
            if p_in != q_in:
                dp, dq = _cross(a, b, p), _cross(a, b, q)
                t = dp / (dp - dq)
                output.append((p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t))
    return output


def _iou(p0: list[Point], p1: list[Point]) -> float:
    if not (_simple(p0) and _simple(p1)):
        return 0.0
    a0, a1 = abs(_signed_area(p0)), abs(_signed_area(p1))
    if p0 == p1:
        overlap = a0
    elif _convex(p1):
        overlap = abs(_signed_area(_clip(p0, p1)))
    elif _convex(p0):
        overlap = abs(_signed_area(_clip(p1, p0)))
    else:
        return 0.0
    return overlap / (a0 + a1 - overlap)


def _box(points: list[float]) -> list[Point]:
    x0, y0, x1, y1 = points
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _shape_similarity(obj0: JsonDict, obj1: JsonDict) -> float:
    if obj0["type"] != obj1["type"] or obj0.get("label_id") != obj1.get("label_id"):
        return 0.0
    if obj0["type"] == "rectangle":
        if len(obj0["points"]) != 4 or len(obj1["points"]) != 4:
            return 0.0
        return _iou(_box(obj0["points"]), _box(obj1["points"]))
    if obj0["type"] == "polygon":
        return _iou(_to_points(obj0["points"]), _to_points(obj1["points"]))
    return 0.0


def _track_similarity(obj0: JsonDict, obj1: JsonDict, start: int, overlap: int) -> float:
    if obj0["label_id"] != obj1["label_id"]:
        return 0.0
    end = start + overlap
    shapes0 = _interpolated_shapes(copy.deepcopy(obj0), end)
    shapes1 = _interpolated_shapes(copy.deepcopy(obj1), end)
    if not shapes0 or not shapes1:
        return 0.0
    by_frame0 = {s["frame"]: s for s in shapes0}
    by_frame1 = {s["frame"]: s for s in shapes1}
    count, error = 0, 0.0
    for frame in range(start, end):
        s0, s1 = by_frame0.get(frame), by_frame1.get(frame)
        if s0 is not None and s1 is not None:
            error += 1 if s0["outside"] != s1["outside"] else 1 - _shape_similarity(s0, s1)
            count += 1
        elif s0 is not None or s1 is not None:
            error += 1
            count += 1
    return 1 - error / (count or 1)


def _unite_tracks(obj0: JsonDict, obj1: JsonDict) -> JsonDict:
    track = obj0 if obj0["frame"] < obj1["frame"] else obj1
    shapes = {s["frame"]: s for s in obj0["shapes"]}
    for shape in obj1["shapes"]:
        shapes[shape["frame"]] = shape  # on a shared frame, obj1's shape wins
    track["frame"] = min(obj0["frame"], obj1["frame"])
    track["shapes"] = sorted(shapes.values(), key=lambda s: s["frame"])
    return track


def _close_track(track: JsonDict, end_frame: int) -> None:
    """CVAT's ``_modify_unmatched_object``: end an open track with an outside shape."""
    last = track["shapes"][-1]
    if not last["outside"]:
        closing = copy.deepcopy(last)
        closing["frame"] = end_frame
        closing["outside"] = True
        track["shapes"].append(closing)
        for element in track.get("elements", []):
            _close_track(element, end_frame)


def _merge(
    objects: list[JsonDict], incoming: list[JsonDict], kind: str, start: int, overlap: int
) -> None:
    """CVAT's ``ObjectManager.merge`` of one job's objects into the task's ``objects``."""
    boundary = start + overlap

    def by_frame(items: list[JsonDict]) -> dict[int, list[JsonDict]]:
        if kind == "track":
            alive = [
                t
                for t in items
                if t["shapes"]
                and (t["shapes"][-1]["frame"] >= start or not t["shapes"][-1]["outside"])
            ]
            return {0: alive} if alive else {}
        groups: dict[int, list[JsonDict]] = {}
        for item in items:
            if item["frame"] >= start:
                groups.setdefault(item["frame"], []).append(item)
        return groups

    new_objects = [o for o in incoming if o["frame"] >= boundary]
    overlapping = [o for o in incoming if o["frame"] < boundary]
    incoming_by_frame = by_frame(overlapping)
    old_by_frame = by_frame(objects)
    objects.extend(new_objects)
    if not old_by_frame or not incoming_by_frame:
        if kind == "track":
            for old in old_by_frame.get(0, []):
                _close_track(old, boundary)
        objects.extend(overlapping)
        return
    threshold = 0.5 if kind == "track" else 0.25
    for frame, news in incoming_by_frame.items():
        olds = old_by_frame.get(frame)
        if olds is None:
            objects.extend(news)
            continue
        if kind == "tag":
            cost = [[0.0 if n["label_id"] == o["label_id"] else 1.0 for o in olds] for n in news]
        elif kind == "shape":
            cost = [[1 - _shape_similarity(n, o) for o in olds] for n in news]
        else:
            cost = [[1 - _track_similarity(n, o, start, overlap) for o in olds] for n in news]
        paired_new: set[int] = set()
        paired_old: set[int] = set()
        for i, j in _assignment(cost):
            if cost[i][j] <= threshold:
                if kind == "track":
                    olds[j] = _unite_tracks(news[i], olds[j])
                paired_new.add(i)
                paired_old.add(j)
        objects.extend(n for i, n in enumerate(news) if i not in paired_new)
        if kind == "track":
            for j, old in enumerate(olds):
                if j not in paired_old:
                    _close_track(old, boundary)


def _merge_job(result: JsonDict, data: JsonDict, start: int, overlap: int) -> None:
    _merge(result["tags"], data["tags"], "tag", start, overlap)
    _merge(result["shapes"], data["shapes"], "shape", start, overlap)
    _merge(result["tracks"], data["tracks"], "track", start, overlap)


def _task_jobs(srv: FakeServer, task: Task) -> list[Job]:
    """The jobs that make up a task's annotations (CVAT's annotation jobs, by id)."""
    return [job for job in task_jobs(srv, task.id) if job.type == "annotation"]


def _task_write(srv: FakeServer, task: Task, data: JsonDict, action: str) -> JsonDict:
    jobs = _task_jobs(srv, task)
    overlap = task.overlap or 0

    def write() -> JsonDict:
        result = _labeled([], [], [])
        for job in jobs:
            part = _job_write(srv, job, _cut(data, job.start_frame, job.stop_frame), action)
            _merge_job(result, copy.deepcopy(part), job.start_frame, overlap)
        return result

    return _atomic(srv, jobs, write)


# ============================================================ the internal API (exports)
def job_annotations(srv: FakeServer, job: Job) -> dict[str, Any]:
    """A job's annotations as ``GET /api/jobs/{id}/annotations`` answers them."""
    return _job_view(srv, job)


def task_annotations(srv: FakeServer, task: Task) -> dict[str, Any]:
    """A task's annotations (its jobs merged) as ``GET /api/tasks/{id}/annotations`` does."""
    result = _labeled([], [], [])
    for job in _task_jobs(srv, task):
        _merge_job(result, _job_view(srv, job), job.start_frame, task.overlap or 0)
    return result


def put_job_annotations(srv: FakeServer, job: Job, data: dict[str, Any]) -> None:
    """Replace a job's annotations with ``data`` (wire JSON); ``ApiError(400)`` if invalid."""
    parsed = parse_labeled_data(data)
    _atomic(srv, [job], lambda: _job_write(srv, job, parsed, "put"))


def append_job_annotations(srv: FakeServer, job: Job, data: dict[str, Any]) -> None:
    """Add ``data`` to a job's annotations, like ``PATCH ?action=create``."""
    parsed = parse_labeled_data(data)
    _atomic(srv, [job], lambda: _job_write(srv, job, parsed, "create"))


def put_task_annotations(srv: FakeServer, task: Task, data: dict[str, Any]) -> None:
    """Replace a task's annotations, cut by jobs; ``ApiError(400)`` if invalid."""
    _task_write(srv, task, parse_labeled_data(data), "put")


def append_task_annotations(srv: FakeServer, task: Task, data: dict[str, Any]) -> None:
    """Add ``data`` to a task's annotations, like ``PATCH ?action=create``."""
    _task_write(srv, task, parse_labeled_data(data), "create")


# ============================================================================== cascades
def purge_labels(srv: FakeServer, label_ids: set[int]) -> None:
    """Delete every object of deleted labels (elements too), as CVAT's ``CASCADE`` does."""
    if not label_ids:
        return
    for store in srv.state.annotations.values():
        store.tags = [t for t in store.tags if t["label_id"] not in label_ids]
        store.shapes = [s for s in store.shapes if s["label_id"] not in label_ids]
        store.tracks = [t for t in store.tracks if t["label_id"] not in label_ids]
        for obj in (*store.shapes, *store.tracks):
            if "elements" in obj:
                obj["elements"] = [e for e in obj["elements"] if e["label_id"] not in label_ids]


def purge_attributes(srv: FakeServer, spec_ids: set[int]) -> None:
    """Delete the values of deleted attribute specs."""
    if not spec_ids:
        return
    for store in srv.state.annotations.values():
        for obj, _ in _walk(store):
            obj["attributes"] = [a for a in obj["attributes"] if a["spec_id"] not in spec_ids]


def move_to_project(
    srv: FakeServer, task: Task, old_labels: list[Label], renamed: dict[int, str], project_id: int
) -> None:
    """Point a task's objects at the labels of the project it moves to, as CVAT does.

    A label maps to the project's label of the same name (``renamed`` gives new names by old
    label id), a sublabel to the same-named sublabel of the mapped skeleton, an attribute to
    the mapped label's attribute with the same name, input type and values. Values of an
    attribute with no counterpart are dropped; objects of an unmapped label keep it.
    """
    target = labels_of(srv, ("project", project_id), top_level=False)
    labels: dict[int, int] = {}
    specs: dict[int, int | None] = {}

    def match(old: Label, parent_id: int | None) -> None:
        name = renamed.get(old.id, old.name)
        new = next((lb for lb in target if lb.name == name and lb.parent_id == parent_id), None)
        for attr in old.attributes:
            specs[attr.id] = None
        if new is None:
            return
        labels[old.id] = new.id
        for attr in old.attributes:
            specs[attr.id] = next(
                (
                    a.id
                    for a in new.attributes
                    if (a.name, a.input_type, a.values) == (attr.name, attr.input_type, attr.values)
                ),
                None,
            )
        for sub in children(srv, old):
            match(sub, new.id)

    for label in old_labels:
        match(label, None)
    for job in task_jobs(srv, task.id):
        store = srv.state.annotations.get(job.id)
        if store is None:
            continue
        for obj, _ in _walk(store):
            if "label_id" in obj:
                obj["label_id"] = labels.get(obj["label_id"], obj["label_id"])
            obj["attributes"] = [
                {**value, "spec_id": specs.get(value["spec_id"], value["spec_id"])}
                for value in obj["attributes"]
                if value["spec_id"] not in specs or specs[value["spec_id"]] is not None
            ]


# ============================================================================= endpoints
def _action(ctx: Ctx) -> str:
    action = ctx.q("action")
    if action not in PATCH_ACTIONS:
        raise invalid("Please specify a correct 'action' for the request")
    return action


def retrieve_job_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    job = get_job(srv, ctx, id, "view:annotations")
    return render(ctx, 200, _job_view(srv, job))


def replace_job_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    job = get_job(srv, ctx, id, "update:annotations")
    parsed = parse_labeled_data(ctx.data())
    return render(ctx, 200, _atomic(srv, [job], lambda: _job_write(srv, job, parsed, "put")))


def patch_job_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    job = get_job(srv, ctx, id, "update:annotations")
    action = _action(ctx)
    parsed = parse_labeled_data(ctx.data())
    return render(ctx, 200, _atomic(srv, [job], lambda: _job_write(srv, job, parsed, action)))


def destroy_job_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    job = get_job(srv, ctx, id, "delete:annotations")
    store = srv.state.annotations.pop(job.id, None)
    if store is not None and (store.tags or store.shapes or store.tracks):
        _touch(srv, job)
    return render(ctx, 204, None)


def retrieve_task_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "view:annotations")
    if task.data is None:
        raise ApiError(
            400, "Exporting annotations from a task without data is not allowed", raw=True
        )
    return render(ctx, 200, task_annotations(srv, task))


def replace_task_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "update:annotations")
    parsed = parse_labeled_data(ctx.data())
    return render(ctx, 200, _task_write(srv, task, parsed, "put"))


def patch_task_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "update:annotations")
    action = _action(ctx)
    parsed = parse_labeled_data(ctx.data())
    return render(ctx, 200, _task_write(srv, task, parsed, action))


def destroy_task_annotations(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    task = get_task(srv, ctx, id, "delete:annotations")
    for job in _task_jobs(srv, task):
        store = srv.state.annotations.pop(job.id, None)
        if store is not None and (store.tags or store.shapes or store.tracks):
            _touch(srv, job)
    return render(ctx, 204, None)


def register(router: Router) -> None:
    for kind, prefix in (("job", r"/api/jobs"), ("task", r"/api/tasks")):
        path = prefix + r"/(?P<id>\d+)/annotations"
        handlers = (
            (retrieve_job_annotations, replace_job_annotations, patch_job_annotations)
            if kind == "job"
            else (retrieve_task_annotations, replace_task_annotations, patch_task_annotations)
        )
        router.add("GET", path, handlers[0])
        router.add("PUT", path, handlers[1])
        router.add("PATCH", path, handlers[2])
        router.add(
            "DELETE",
            path,
            destroy_job_annotations if kind == "job" else destroy_task_annotations,
        )
