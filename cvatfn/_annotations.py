"""Annotations of tasks and jobs: read, replace, patch and remove (one implementation for both).

Theory of operation
-------------------
CVAT keeps annotations per job; a task's annotations are the union of its jobs'. Each lives
at ``/api/{tasks|jobs}/{id}/annotations/``:

``GET``
    the :class:`~cvatfn.models.LabeledData`: ``version``, ``tags``, ``shapes``, ``tracks`` (and
    ``intervals``). Decoding goes straight through one precompiled msgspec decoder into frozen
    structs, with no per-object Python code.
``PUT``
    replaces everything with the body. CVAT answers with the new annotations, ids assigned; a
    server that answers without a body (the 2.80 contract documents ``201`` with none) is asked
    once more with a ``GET``, so the caller always gets the server's state.
``PATCH ?action=create|update|delete``
    changes only the objects in the body, and CVAT answers with those objects (not the whole
    state): ``create`` adds them and gives them ids; ``update`` deletes the objects with the
    same ids and writes the new versions under those ids, so every object needs its ``id``;
    ``delete`` removes the objects with those ids.
``DELETE``
    removes everything (``204``).

Deleting some objects by id cannot be done with ids alone. CVAT validates a ``delete`` body
with the same serializer as any other write, so each shape needs its ``type``, ``label_id``
and ``frame``, each track its ``label_id``, ``frame`` and ``shapes`` and each tag its
``label_id`` and ``frame``. For a job only the ids are then used, but a task first cuts the
body into its jobs by frame (a track by the frames of its keyframes) and each job deletes
only the ids it owns; an object sent with a made-up frame reaches the wrong job, or none, and
is silently kept. :func:`remove` therefore reads the annotations once and sends the server's
own objects back with ``action=delete``. A caller who already holds the objects sends them with
:func:`patch` and ``action="delete"``, without the read.

What is sent is checked first. The annotation structs of :mod:`cvatfn.models` are lenient, so
that whatever a server sends decodes; the request is instead checked against private strict
copies of CVAT's request schemas (``LabeledDataRequest`` and its parts): an unknown field, a
wrong type, a shape type CVAT does not have, a negative frame or label id, a rotation outside
0-360, a score outside 0-1 or a missing ``id`` for ``update``/``delete`` is an
:class:`~cvatfn.errors.InvalidInput` naming the field (``shapes[2].rotation``), and nothing
is sent.

The check reads the caller's value straight into the strict schema first (msgspec reads
structs by attribute and mappings by key, in one pass and without copying the data into
dicts, so checking a large ``LabeledData`` costs about as much as encoding it). What that
reading accepts, msgspec's conversions included (an ``int`` or a ``Decimal`` for a float, an
``IntEnum`` for an integer, a ``StrEnum`` for a string), is sent with the schema's types.
Only when it fails does the general path run: the value is turned into plain JSON values
(``msgspec.to_builtins``: dates, UUIDs and enums become their JSON form) and converted, and its
failure names the field. The strict schema shares the models' default objects, so a field
left at its default is left out of the body either way (msgspec omits a default by identity).
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, cast

import msgspec
from msgspec import UNSET, Meta, UnsetType
from returns.result import Failure, Result, Success

from cvatfn import _api, _codec
from cvatfn._flow import Flow, run
from cvatfn._repo import IdOrEntity, Resource, entity_id
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput, RequestInfo, UnexpectedResponse
from cvatfn.models import LabeledData, LabeledShape

__all__ = [
    "AnnotationIds",
    "PatchAction",
    "PatchActionValue",
    "check_data",
    "get_flow",
    "patch",
    "remove",
    "replace",
    "retrieve",
]


class PatchAction(enum.StrEnum):
    """What ``update_annotations`` does with the objects it sends (CVAT's ``?action=``)."""

    CREATE = "create"
    """Add the objects; the server gives them ids."""
    UPDATE = "update"
    """Replace the objects that have the same ids."""
    DELETE = "delete"
    """Remove the objects that have these ids."""


_PatchActionLit = Literal["create", "update", "delete"]
if TYPE_CHECKING:
    PatchActionValue: TypeAlias = PatchAction | _PatchActionLit
else:
    PatchActionValue = _PatchActionLit


_ACTIONS = frozenset(action.value for action in PatchAction)


class AnnotationIds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which annotations to remove, by id, one set per kind (CVAT numbers each kind apart, so
    shape 5 and track 5 are different objects).

    Examples:
        >>> from cvatfn.models import LabeledData, LabeledImage
        >>> AnnotationIds(shapes=frozenset({3, 4})).shapes
        frozenset({3, 4})
        >>> AnnotationIds.of(LabeledData(tags=(LabeledImage(id=9, label_id=1, frame=0),))).tags
        frozenset({9})
    """

    shapes: frozenset[int] = frozenset()
    tracks: frozenset[int] = frozenset()
    tags: frozenset[int] = frozenset()
    intervals: frozenset[int] = frozenset()

    @classmethod
    def of(cls, data: LabeledData) -> AnnotationIds:
        """The ids of every object in ``data`` that has one."""
        return cls(
            shapes=_ids(item.id for item in data.shapes),
            tracks=_ids(item.id for item in data.tracks),
            tags=_ids(item.id for item in data.tags),
            intervals=_ids(item.id for item in data.intervals),
        )

    def is_empty(self) -> bool:
        """Whether no id is given at all."""
        return not (self.shapes or self.tracks or self.tags or self.intervals)


def _ids(values: Iterable[object]) -> frozenset[int]:
    return frozenset(v for v in values if isinstance(v, int) and not isinstance(v, bool))


# --------------------------------------------------------------------------------------------
# Strict request schemas (CVAT's *Request components); used only to check what is sent.
# Field order and defaults are those of cvatfn.models, so a checked body encodes to the same
# bytes as the model it came from.
# --------------------------------------------------------------------------------------------

_ShapeTypeLit = Literal[
    "rectangle", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton"
]
_Frame = Annotated[int, Meta(ge=0)]
_LabelId = Annotated[int, Meta(ge=0)]
_Group = Annotated[int, Meta(ge=0)]
_Rotation = Annotated[float, Meta(ge=0.0, le=360.0)]
_Score = Annotated[float, Meta(ge=0.0, le=1.0)]
_Source = Annotated[str, Meta(min_length=1)]
_Id = int | UnsetType | None


def _model_default(name: str) -> Any:
    """The default of ``LabeledShape.<name>``: the very object, not an equal one."""
    return next(f.default for f in msgspec.structs.fields(LabeledShape) if f.name == name)


# msgspec leaves a field out of the JSON when its value *is* the field's default (identity,
# not equality). Sharing the models' default objects keeps a field the caller left at its
# default out of the body, whichever way the body was checked (see check_data).
_NO_ROTATION: float = _model_default("rotation")
_FULL_SCORE: float = _model_default("score")
_MANUAL: str = _model_default("source")


class _Request(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=True,
    gc=False,
):
    pass


class _AttributeValRequest(_Request, frozen=True, kw_only=True):
    spec_id: int
    value: Annotated[str, Meta(max_length=4096)]


class _TrackedShapeRequest(_Request, frozen=True, kw_only=True):
    type: _ShapeTypeLit
    frame: _Frame
    points: tuple[float, ...] = ()
    id: _Id = UNSET
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: _Rotation = _NO_ROTATION
    attributes: tuple[_AttributeValRequest, ...] = ()


class _SubLabeledShapeRequest(_Request, frozen=True, kw_only=True):
    type: _ShapeTypeLit
    frame: _Frame
    label_id: _LabelId
    points: tuple[float, ...] = ()
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: _Rotation = _NO_ROTATION
    score: _Score = _FULL_SCORE
    attributes: tuple[_AttributeValRequest, ...] = ()


class _LabeledShapeRequest(_Request, frozen=True, kw_only=True):
    type: _ShapeTypeLit
    frame: _Frame
    label_id: _LabelId
    points: tuple[float, ...] = ()
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: _Rotation = _NO_ROTATION
    score: _Score = _FULL_SCORE
    attributes: tuple[_AttributeValRequest, ...] = ()
    elements: tuple[_SubLabeledShapeRequest, ...] = ()


class _SubLabeledTrackRequest(_Request, frozen=True, kw_only=True):
    label_id: _LabelId
    frame: _Frame
    shapes: tuple[_TrackedShapeRequest, ...]
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    attributes: tuple[_AttributeValRequest, ...] = ()


class _LabeledTrackRequest(_Request, frozen=True, kw_only=True):
    label_id: _LabelId
    frame: _Frame
    shapes: tuple[_TrackedShapeRequest, ...]
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    attributes: tuple[_AttributeValRequest, ...] = ()
    elements: tuple[_SubLabeledTrackRequest, ...] = ()


class _LabeledImageRequest(_Request, frozen=True, kw_only=True):
    label_id: _LabelId
    frame: _Frame
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    attributes: tuple[_AttributeValRequest, ...] = ()


class _LabeledIntervalRequest(_Request, frozen=True, kw_only=True):
    label_id: _LabelId
    start: _Frame
    stop: _Frame | None
    id: _Id = UNSET
    group: _Group | None = 0
    source: _Source = _MANUAL
    score: _Score = _FULL_SCORE
    attributes: tuple[_AttributeValRequest, ...] = ()


class _LabeledDataRequest(_Request, frozen=True, kw_only=True):
    version: int = 0
    tags: tuple[_LabeledImageRequest, ...] = ()
    shapes: tuple[_LabeledShapeRequest, ...] = ()
    tracks: tuple[_LabeledTrackRequest, ...] = ()
    intervals: tuple[_LabeledIntervalRequest, ...] = ()


# The same schema for reading a caller's new objects directly (see _read_directly), with one
# difference: ``id`` takes any value. msgspec cannot read an ``UNSET`` attribute (a new
# object's id) into ``int | UnsetType | None``, so ids are read as they are and then checked
# all at once by _ids_are_valid.


class _TrackedShapeDirect(_TrackedShapeRequest, frozen=True, kw_only=True):
    id: Any = UNSET


class _SubLabeledShapeDirect(_SubLabeledShapeRequest, frozen=True, kw_only=True):
    id: Any = UNSET


class _LabeledShapeDirect(_LabeledShapeRequest, frozen=True, kw_only=True):
    id: Any = UNSET
    elements: tuple[_SubLabeledShapeDirect, ...] = ()


class _SubLabeledTrackDirect(_SubLabeledTrackRequest, frozen=True, kw_only=True):
    shapes: tuple[_TrackedShapeDirect, ...]
    id: Any = UNSET


class _LabeledTrackDirect(_LabeledTrackRequest, frozen=True, kw_only=True):
    shapes: tuple[_TrackedShapeDirect, ...]
    id: Any = UNSET
    elements: tuple[_SubLabeledTrackDirect, ...] = ()


class _LabeledImageDirect(_LabeledImageRequest, frozen=True, kw_only=True):
    id: Any = UNSET


class _LabeledIntervalDirect(_LabeledIntervalRequest, frozen=True, kw_only=True):
    id: Any = UNSET


class _LabeledDataDirect(_LabeledDataRequest, frozen=True, kw_only=True):
    tags: tuple[_LabeledImageDirect, ...] = ()
    shapes: tuple[_LabeledShapeDirect, ...] = ()
    tracks: tuple[_LabeledTrackDirect, ...] = ()
    intervals: tuple[_LabeledIntervalDirect, ...] = ()


_ID_TYPES = frozenset({int, type(None), UnsetType})
_id_of = operator.attrgetter("id")
_elements_of = operator.attrgetter("elements")
_shapes_of = operator.attrgetter("shapes")


def _ids_are_valid(data: _LabeledDataDirect) -> bool:
    """Whether every id in ``data`` is an ``int`` (not a ``bool``), ``None`` or ``UNSET``.

    One pass over every object, iterated in C (``map``, ``chain``): cheap next to reading.
    """
    sub_tracks = tuple(chain.from_iterable(map(_elements_of, data.tracks)))
    objects = chain(
        data.tags,
        data.shapes,
        chain.from_iterable(map(_elements_of, data.shapes)),
        data.tracks,
        sub_tracks,
        chain.from_iterable(map(_shapes_of, chain(data.tracks, sub_tracks))),
        data.intervals,
    )
    return set(map(type, map(_id_of, objects))) <= _ID_TYPES


_path_of = _api.field_path


def _prefixed(path: str | None, prefix: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def check_data(value: object, *, what: str = "data") -> Result[_LabeledDataRequest, CvatError]:
    """Check annotations the caller wants to send: a ``LabeledData`` or a mapping of the same
    shape (whose values may be annotation structs, enums, tuples or lists)."""
    if not isinstance(value, LabeledData | Mapping):
        return Failure(
            InvalidInput(
                message=f"{what} must be a LabeledData or a mapping, not {type(value).__name__}",
                field=what,
            )
        )
    direct = _read_directly(cast(object, value))
    if direct is not None:
        return Success(direct)
    plain = _plain(cast(object, value), what)
    if isinstance(plain, Failure):
        return Failure(plain.failure())
    try:
        return Success(msgspec.convert(plain.unwrap(), _LabeledDataRequest))
    except msgspec.ValidationError as error:
        text = str(error)
        return Failure(
            InvalidInput(message=f"invalid {what}: {text}", field=_path_of(text) or what)
        )
    except RecursionError:
        return Failure(InvalidInput(message=f"invalid {what}: nested too deeply", field=what))


def _read_directly(value: object) -> _LabeledDataRequest | None:
    """``value`` (a ``LabeledData`` or a mapping) read straight into the request schema, in
    one pass inside msgspec: structs field by field, mappings key by key, with no
    intermediate copy (how a large ``LabeledData`` is checked quickly).

    Objects that all have ids (annotations read from the server, edited) are read into the
    strict schema. A new object's ``UNSET`` id is something msgspec cannot read from an
    attribute into ``int | UnsetType | None``, so when the strict reading fails, the value
    is read once more with ids taken as they are, and they are checked afterwards.

    ``None`` when neither works, whatever the reason (a wrong value, a key that is not a
    string, an id that is not an int, ``None`` or ``UNSET``): the general path of
    :func:`check_data` then decides, and names what is wrong.
    """
    try:
        source = value if isinstance(value, LabeledData) else dict(cast(Mapping[Any, Any], value))
    except Exception:  # a mapping that cannot be copied: the general path will say so
        return None
    for schema in (_LabeledDataRequest, _LabeledDataDirect):
        try:
            read = msgspec.convert(source, schema, from_attributes=True)
        except Exception:  # any failure is for the next reading, or the general path
            continue
        if not isinstance(read, _LabeledDataDirect) or _ids_are_valid(read):
            return read
    return None


def _plain(value: object, what: str, prefix: str = "") -> Result[Any, CvatError]:
    """``value`` as plain JSON-like values; what cannot be sent as JSON is ``InvalidInput``
    naming its path (after ``prefix``)."""
    try:
        return Success(msgspec.to_builtins(value))
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        found = _codec.first_unencodable(value)
        path, reason = found if found is not None else ("", str(error) or type(error).__name__)
        field = _prefixed(path, prefix) if prefix else (path or what)
        return Failure(
            InvalidInput(message=f"invalid {what}: cannot be sent as JSON: {reason}", field=field)
        )


def _require_ids(data: _LabeledDataRequest, action: str) -> Result[None, CvatError]:
    """``update`` and ``delete`` find objects by id: every top-level object needs one."""
    groups: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("tags", data.tags),
        ("shapes", data.shapes),
        ("tracks", data.tracks),
        ("intervals", data.intervals),
    )
    for name, items in groups:
        for index, item in enumerate(items):
            if not isinstance(item.id, int):
                return Failure(
                    InvalidInput(
                        message=f"action={action} finds objects by id, and {name}[{index}] "
                        "has none",
                        field=f"{name}[{index}].id",
                    )
                )
    return Success(None)


def _action(value: object) -> Result[PatchAction, CvatError]:
    if isinstance(value, str) and value in _ACTIONS:
        return Success(PatchAction(value))
    return Failure(
        InvalidInput(
            message=f"action must be one of 'create', 'update', 'delete', not {value!r}",
            field="action",
        )
    )


def _check_ids(value: object) -> Result[AnnotationIds, CvatError]:
    if isinstance(value, AnnotationIds):
        return Success(value)
    if not isinstance(value, Mapping):
        return Failure(
            InvalidInput(
                message="ids must be an AnnotationIds or a mapping such as "
                f"{{'shapes': [1, 2]}}, not {type(value).__name__}",
                field="ids",
            )
        )
    plain = _plain(cast(object, value), "ids", prefix="ids")
    if isinstance(plain, Failure):
        return Failure(plain.failure())
    try:
        return Success(msgspec.convert(plain.unwrap(), AnnotationIds))
    except (TypeError, ValueError, RecursionError) as error:
        text = str(error) if not isinstance(error, RecursionError) else "nested too deeply"
        path = _path_of(text) if isinstance(error, msgspec.ValidationError) else None
        return Failure(InvalidInput(message=f"invalid ids: {text}", field=_prefixed(path, "ids")))


def _path(resource: Resource[Any], ident: int) -> str:
    return f"{resource.item_path(ident)}/annotations/"


# --------------------------------------------------------------------------------------------
# Flows
# --------------------------------------------------------------------------------------------


def get_flow(session: Session, path: str) -> Flow[Result[LabeledData, CvatError]]:
    """GET the annotations at ``path``."""
    request = _api.build_request(session, "GET", path)
    return (yield from _api.call(LabeledData, request, session.config))


def _write_flow(
    session: Session,
    method: str,
    path: str,
    body: object,
    *,
    query: _api.Query | None = None,
    read_back: bool,
) -> Flow[Result[LabeledData, CvatError]]:
    """Send ``body``; decode the answer, or read the state back if it has no body."""
    request = _api.build_request(session, method, path, query=query, json_body=body)
    # PUT replaces, and PATCH ?action=update|delete sets or removes given ids: both may be
    # repeated. PATCH ?action=create adds objects, and must not be.
    action = (query or {}).get("action")
    idempotent = method == "PUT" or action in (PatchAction.UPDATE.value, PatchAction.DELETE.value)
    outcome = yield from _api.exchange(request, session.config, idempotent=idempotent)
    if isinstance(outcome, Failure):
        return Failure(outcome.failure())
    response = outcome.unwrap()
    if response.body.strip():
        return _api.decode_response(LabeledData, request, response)
    if read_back:
        return (yield from get_flow(session, path))
    return Failure(
        UnexpectedResponse(
            message=f"CVAT answers {method} {path} with the annotations it changed, "
            f"but this answer (HTTP {response.status}) has no body",
            request=RequestInfo.of(request),
            status=response.status,
        )
    )


def _remove_flow(
    session: Session, path: str, ids: AnnotationIds, what: str
) -> Flow[Result[None, CvatError]]:
    current = yield from get_flow(session, path)
    if isinstance(current, Failure):
        return Failure(current.failure())
    data = current.unwrap()
    chosen = LabeledData(
        tags=tuple(item for item in data.tags if item.id in ids.tags),
        shapes=tuple(item for item in data.shapes if item.id in ids.shapes),
        tracks=tuple(item for item in data.tracks if item.id in ids.tracks),
        intervals=tuple(item for item in data.intervals if item.id in ids.intervals),
    )
    found = AnnotationIds.of(chosen)
    for kind in ("shapes", "tracks", "tags", "intervals"):
        missing = sorted(getattr(ids, kind) - getattr(found, kind))
        if missing:
            return Failure(
                InvalidInput(
                    message=f"{what} has no {kind} with ids {missing}; nothing was removed",
                    field=f"ids.{kind}",
                )
            )
    request = _api.build_request(
        session, "PATCH", path, query={"action": PatchAction.DELETE.value}, json_body=chosen
    )
    # The answer echoes what was removed. Removing the same ids twice removes them once.
    return (yield from _api.call_no_content(request, session.config, idempotent=True))


# --------------------------------------------------------------------------------------------
# The operations behind tasks.*_annotations and jobs.*_annotations
# --------------------------------------------------------------------------------------------


def retrieve(
    session: Session, resource: Resource[Any], entity: IdOrEntity
) -> Result[LabeledData, CvatError]:
    """Every annotation of a task or job."""
    ident = entity_id(entity, what=resource.name)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    return run(session, get_flow(session, _path(resource, ident.unwrap())))


def replace(
    session: Session, resource: Resource[Any], entity: IdOrEntity, data: object
) -> Result[LabeledData, CvatError]:
    """Replace every annotation of a task or job (``PUT``)."""
    ident = entity_id(entity, what=resource.name)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    body = check_data(data)
    if isinstance(body, Failure):
        return Failure(body.failure())
    path = _path(resource, ident.unwrap())
    return run(session, _write_flow(session, "PUT", path, body.unwrap(), read_back=True))


def patch(
    session: Session, resource: Resource[Any], entity: IdOrEntity, data: object, action: object
) -> Result[LabeledData, CvatError]:
    """Create, update or delete the given objects (``PATCH ?action=``)."""
    ident = entity_id(entity, what=resource.name)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    verb = _action(action)
    if isinstance(verb, Failure):
        return Failure(verb.failure())
    body = check_data(data)
    if isinstance(body, Failure):
        return Failure(body.failure())
    checked = body.unwrap()
    if verb.unwrap() is not PatchAction.CREATE:
        has_ids = _require_ids(checked, verb.unwrap().value)
        if isinstance(has_ids, Failure):
            return Failure(has_ids.failure())
    path = _path(resource, ident.unwrap())
    return run(
        session,
        _write_flow(
            session, "PATCH", path, checked, query={"action": verb.unwrap().value}, read_back=False
        ),
    )


def remove(
    session: Session, resource: Resource[Any], entity: IdOrEntity, ids: object
) -> Result[None, CvatError]:
    """Remove every annotation (``ids is None``) or the objects with the given ids."""
    ident = entity_id(entity, what=resource.name)
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    path = _path(resource, ident.unwrap())
    if ids is None:
        request = _api.build_request(session, "DELETE", path)
        return run(session, _api.call_no_content(request, session.config))
    chosen = _check_ids(ids)
    if isinstance(chosen, Failure):
        return Failure(chosen.failure())
    if chosen.unwrap().is_empty():
        return Success(None)
    what = f"{resource.name} {ident.unwrap()}"
    return run(session, _remove_flow(session, path, chosen.unwrap(), what))
