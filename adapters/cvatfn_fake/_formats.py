"""Dataset formats: CVAT's format list and what the format readers and writers share.

Theory of operation
-------------------
``GET /api/server/annotation/formats`` lists every exporter and importer CVAT 2.80 registers,
with CVAT's display names, extensions, versions and dimensions. The fake server implements
two of them, and only those are ``enabled``:

* ``CVAT for images 1.1`` (export) and ``CVAT 1.1`` (import), in ``_format_cvat``;
* ``COCO 1.0`` (export and import), in ``_format_coco``.

The others are listed with ``enabled: false``, which is how CVAT describes a format it knows
but will not run: asking for one is answered the way CVAT answers a disabled format (405
``Format is disabled``), and a name CVAT does not know at all is a 400
``Unknown format specified for the request``.

Writers and readers never touch the server state. A writer gets the frames to write
(:class:`SourceFrame`), the labels (:class:`LabelSet`) and per-frame annotations made by
:func:`group_by_frame`, which flattens tracks into the shapes visible on each frame the way
CVAT's ``TrackManager`` does (keyframes are copied, shapes between keyframes interpolated,
nothing is kept while a track is outside). One simplification: CVAT matches the curves of
two polygons or polylines with different numbers of points; here such a pair is held at the
first keyframe's shape, and only equal numbers of points move linearly.

A reader produces an :class:`Imported` value that names labels and attributes;
:func:`resolve` turns it into CVAT's wire ``LabeledData`` for a given label set, or raises
:class:`FormatError` with CVAT's message. Mask helpers convert between
CVAT's mask encoding (a row-major run-length code of the mask's bounding box followed by
``left, top, right, bottom``) and COCO's (a column-major run-length code of the whole
image). ``conv_mask_to_poly`` changes nothing for these two formats: CVAT's COCO and CVAT
importers keep masks as masks whatever the parameter says.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._context import Ctx, render
from ._state import Attribute, Label

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

JsonDict = dict[str, Any]


# ------------------------------------------------------------------------------ formats
@dataclass(frozen=True)
class FormatSpec:
    """One entry of CVAT's format list (``DatasetFormat``).

    Examples:
        >>> find_exporter("COCO 1.0").ext
        'ZIP'
    """

    name: str
    ext: str
    version: str
    dimension: str = "2d"
    enabled: bool = False

    def json(self) -> JsonDict:
        return {
            "name": self.name,
            "ext": self.ext,
            "version": self.version,
            "enabled": self.enabled,
            "dimension": self.dimension,
        }


CVAT_IMAGES = "CVAT for images 1.1"
CVAT_IMPORT = "CVAT 1.1"
COCO = "COCO 1.0"

_SUPPORTED = {CVAT_IMAGES, CVAT_IMPORT, COCO}


def _spec(name: str, version: str, ext: str, dimension: str = "2d") -> FormatSpec:
    display = f"{name} {version}"
    return FormatSpec(display, ext, version, dimension, display in _SUPPORTED)


EXPORTERS: tuple[FormatSpec, ...] = (
    _spec("COCO", "1.0", "ZIP"),
    _spec("COCO Keypoints", "1.0", "ZIP"),
    _spec("CVAT for video", "1.1", "ZIP"),
    _spec("CVAT for images", "1.1", "ZIP"),
    _spec("Datumaro", "1.0", "ZIP"),
    _spec("Datumaro 3D", "1.0", "ZIP", "3d"),
    _spec("LabelMe", "3.0", "ZIP"),
    _spec("Segmentation mask", "1.1", "ZIP"),
    _spec("MOT", "1.1", "ZIP"),
    _spec("MOTS PNG", "1.0", "ZIP"),
    _spec("PASCAL VOC", "1.1", "ZIP"),
    _spec("YOLO", "1.1", "ZIP"),
    _spec("ImageNet", "1.0", "ZIP"),
    _spec("CamVid", "1.0", "ZIP"),
    _spec("WiderFace", "1.0", "ZIP"),
    _spec("VGGFace2", "1.0", "ZIP"),
    _spec("Market-1501", "1.0", "ZIP"),
    _spec("ICDAR Recognition", "1.0", "ZIP"),
    _spec("ICDAR Localization", "1.0", "ZIP"),
    _spec("ICDAR Segmentation", "1.0", "ZIP"),
    _spec("Kitti Raw Format", "1.0", "ZIP", "3d"),
    _spec("Sly Point Cloud Format", "1.0", "ZIP", "3d"),
    _spec("KITTI", "1.0", "ZIP"),
    _spec("LFW", "1.0", "ZIP"),
    _spec("Cityscapes", "1.0", "ZIP"),
    _spec("Open Images V6", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Classification", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Oriented Bounding Boxes", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Detection", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Detection Track", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Segmentation", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Pose", "1.0", "ZIP"),
    _spec("Generic TSV", "1.0", "TSV", "1d"),
)
"""Every exporter CVAT registers, in registration order."""

IMPORTERS: tuple[FormatSpec, ...] = (
    _spec("COCO", "1.0", "JSON, ZIP"),
    _spec("COCO Keypoints", "1.0", "JSON, ZIP"),
    _spec("CVAT", "1.1", "XML, ZIP"),
    _spec("Datumaro", "1.0", "JSON, ZIP"),
    _spec("Datumaro 3D", "1.0", "ZIP", "3d"),
    _spec("LabelMe", "3.0", "ZIP"),
    _spec("Segmentation mask", "1.1", "ZIP"),
    _spec("MOT", "1.1", "ZIP"),
    _spec("MOTS PNG", "1.0", "ZIP"),
    _spec("PASCAL VOC", "1.1", "ZIP"),
    _spec("YOLO", "1.1", "ZIP"),
    _spec("ImageNet", "1.0", "ZIP"),
    _spec("CamVid", "1.0", "ZIP"),
    _spec("WiderFace", "1.0", "ZIP"),
    _spec("VGGFace2", "1.0", "ZIP"),
    _spec("Market-1501", "1.0", "ZIP"),
    _spec("ICDAR Recognition", "1.0", "ZIP"),
    _spec("ICDAR Localization", "1.0", "ZIP"),
    _spec("ICDAR Segmentation", "1.0", "ZIP"),
    _spec("Kitti Raw Format", "1.0", "ZIP", "3d"),
    _spec("Sly Point Cloud Format", "1.0", "ZIP", "3d"),
    _spec("KITTI", "1.0", "ZIP"),
    _spec("LFW", "1.0", "ZIP"),
    _spec("Cityscapes", "1.0", "ZIP"),
    _spec("Open Images V6", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Classification", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Oriented Bounding Boxes", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Detection", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Segmentation", "1.0", "ZIP"),
    _spec("Ultralytics YOLO Pose", "1.0", "ZIP"),
    _spec("Generic TSV", "1.0", "TSV, ZIP", "1d"),
)
"""Every importer CVAT registers, in registration order."""


def find_exporter(name: str) -> FormatSpec | None:
    """The exporter called ``name`` (CVAT's display name), or ``None``.

    Examples:
        >>> find_exporter("CVAT for images 1.1").enabled, find_exporter("YOLO 1.1").enabled
        (True, False)
        >>> find_exporter("CVAT XML 1.1") is None
        True
    """
    return next((f for f in EXPORTERS if f.name == name), None)


def find_importer(name: str) -> FormatSpec | None:
    """The importer called ``name``, or ``None``.

    Examples:
        >>> find_importer("CVAT 1.1").ext
        'XML, ZIP'
    """
    return next((f for f in IMPORTERS if f.name == name), None)


def formats_json() -> JsonDict:
    """The body of ``GET /api/server/annotation/formats``.

    Examples:
        >>> [f["name"] for f in formats_json()["exporters"] if f["enabled"]]
        ['COCO 1.0', 'CVAT for images 1.1']
    """
    return {
        "importers": [f.json() for f in IMPORTERS],
        "exporters": [f.json() for f in EXPORTERS],
    }


def list_formats(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    return render(ctx, 200, formats_json())


def register(router: Router) -> None:
    router.add("GET", r"/api/server/annotation/formats", list_formats)


class FormatError(Exception):
    """A file that cannot be read or written; ``message`` is what the request reports."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------- labels
class LabelSet:
    """The labels (and sublabels) of a task or project, by id and by name.

    Examples:
        >>> car = Label(1, "car", "#ff0000", "any", [], None, 7, None)
        >>> LabelSet([car]).find("car").id
        1
    """

    def __init__(self, labels: Iterable[Label]) -> None:
        self.labels: list[Label] = sorted(labels, key=lambda lb: lb.id)
        self.by_id: dict[int, Label] = {lb.id: lb for lb in self.labels}

    @property
    def roots(self) -> list[Label]:
        return [lb for lb in self.labels if lb.parent_id is None]

    def children(self, label: Label) -> list[Label]:
        return [lb for lb in self.labels if lb.parent_id == label.id]

    def name(self, label_id: int) -> str:
        label = self.by_id.get(label_id)
        return label.name if label is not None else ""

    def parent_name(self, label: Label) -> str | None:
        if label.parent_id is None:
            return None
        parent = self.by_id.get(label.parent_id)
        return parent.name if parent is not None else None

    def find(self, name: str, parent_id: int | None = None) -> Label | None:
        return next(
            (lb for lb in self.labels if lb.name == name and lb.parent_id == parent_id), None
        )

    def attribute(self, label_id: int, spec_id: int) -> Attribute | None:
        label = self.by_id.get(label_id)
        if label is None:
            return None
        return next((a for a in label.attributes if a.id == spec_id), None)

    def attribute_named(self, label_id: int, name: str) -> Attribute | None:
        label = self.by_id.get(label_id)
        if label is None:
            return None
        return next((a for a in label.attributes if a.name == name), None)

    def named_attributes(
        self, label_id: int, attributes: Iterable[JsonDict]
    ) -> list[tuple[str, str]]:
        """``[(name, value)]`` of wire attributes ``[{spec_id, value}]`` of a label."""
        result: list[tuple[str, str]] = []
        for attr in attributes:
            spec = self.attribute(label_id, int(attr["spec_id"]))
            if spec is not None:
                result.append((spec.name, str(attr["value"])))
        return result


def typed_attributes(labels: LabelSet, label_id: int, attributes: Iterable[JsonDict]) -> JsonDict:
    """Every attribute of the label with its value (or default), typed like CVAT's
    ``_convert_attrs``: numbers become floats and checkboxes booleans.

    Examples:
        >>> spec = Attribute(5, "parked", True, "checkbox", "false", ["false"])
        >>> car = Label(1, "car", "#ff0000", "any", [spec], None, 7, None)
        >>> typed_attributes(LabelSet([car]), 1, [{"spec_id": 5, "value": "true"}])
        {'parked': True}
    """
    label = labels.by_id.get(label_id)
    if label is None:
        return {}
    given = {int(a["spec_id"]): str(a["value"]) for a in attributes}
    result: JsonDict = {}
    for spec in label.attributes:
        value: Any = given.get(spec.id, spec.default_value)
        if spec.input_type == "number":
            try:
                value = float(value)
            except ValueError:
                raise FormatError(
                    f"Failed to convert attribute '{label.name}'='{value}': "
                    f"could not convert string to float: '{value}'"
                ) from None
        elif spec.input_type == "checkbox":
            value = str(value).lower() == "true"
        result[spec.name] = value
    return result


# ------------------------------------------------------------------------------- frames
@dataclass(frozen=True)
class SourceFrame:
    """A frame to export: ``frame`` is the number annotations use (task-relative), ``number``
    the id written to the file (task frames keep theirs; a project numbers all its frames).
    """

    frame: int
    number: int
    name: str
    width: int
    height: int
    subset: str = "default"
    task_id: int = 0
    media: bytes | None = None


@dataclass
class FrameAnnotations:
    """The shapes (tracks flattened) and tags visible on one frame."""

    source: SourceFrame
    shapes: list[JsonDict] = field(default_factory=list[JsonDict])
    tags: list[JsonDict] = field(default_factory=list[JsonDict])


_LINEAR_TYPES = {"rectangle", "ellipse", "cuboid", "skeleton", "polygon", "polyline"}


def _angle_step(start: float, stop: float, offset: float) -> float:
    delta = (stop - start + 180.0) % 360.0 - 180.0
    return (start + delta * offset) % 360.0


def _moves(shape: JsonDict, following: JsonDict | None) -> bool:
    """Whether the frames between two keyframes are interpolated (else copied)."""
    if following is None or shape.get("outside", False):
        return False
    kind = shape.get("type")
    if kind != following.get("type"):
        return False
    points, target = shape.get("points", []), following.get("points", [])
    if kind == "points":
        return len(points) == len(target) == 2
    return kind in _LINEAR_TYPES and len(points) == len(target)


def interpolate(shapes: Sequence[JsonDict], end_frame: int) -> list[JsonDict]:
    """Every frame's shape of a track, from its keyframes up to ``end_frame`` (exclusive).

    Between two keyframes, rectangles, ellipses, cuboids, single points, and polylines and
    polygons with the same number of points move linearly (rotation along the shorter way);
    other shapes, and every shape after an ``outside`` keyframe, are copies of the previous
    keyframe. After the last keyframe the shape is copied to the end. A keyframe without a
    value for an attribute keeps the previous keyframe's. Each result has ``keyframe``.

    Examples:
        >>> a = {"frame": 0, "type": "rectangle", "points": [0, 0, 10, 10], "outside": False,
        ...      "rotation": 0.0}
        >>> b = dict(a, frame=2, points=[2, 2, 12, 12])
        >>> [(s["frame"], s["points"][0], s["keyframe"]) for s in interpolate([a, b], 4)]
        [(0, 0, True), (1, 1.0, False), (2, 2, True), (3, 2, False)]
    """
    keyframes = sorted(shapes, key=lambda s: int(s["frame"]))
    result: list[JsonDict] = []
    previous: JsonDict | None = None
    for index, original in enumerate(keyframes):
        shape: JsonDict = {**original, "keyframe": True}
        if previous is not None:
            known = {a["spec_id"] for a in shape.get("attributes", [])}
            carried = [a for a in previous.get("attributes", []) if a["spec_id"] not in known]
            shape["attributes"] = [*shape.get("attributes", []), *carried]
        start = int(shape["frame"])
        following = keyframes[index + 1] if index + 1 < len(keyframes) else None
        result.append(shape)
        stop = int(following["frame"]) if following is not None else end_frame
        moves = _moves(shape, following)
        for frame in range(start + 1, stop):
            copy: JsonDict = {**shape, "frame": frame, "keyframe": False}
            if moves and following is not None:
                offset = (frame - start) / (int(following["frame"]) - start)
                copy["points"] = [
                    float(a) + (float(b) - float(a)) * offset
                    for a, b in zip(shape["points"], following["points"], strict=True)
                ]
                copy["rotation"] = _angle_step(
                    float(shape.get("rotation", 0.0)),
                    float(following.get("rotation", 0.0)),
                    offset,
                )
            result.append(copy)
        previous = shape
    return result


def _track_shapes(track: JsonDict, track_id: int, end_frame: int) -> list[JsonDict]:
    element_frames = [
        (element, {int(s["frame"]): s for s in interpolate(element.get("shapes", []), end_frame)})
        for element in track.get("elements", [])
    ]
    result: list[JsonDict] = []
    for shape in interpolate(track.get("shapes", []), end_frame):
        if shape.get("outside", False):
            continue
        frame = int(shape["frame"])
        elements: list[JsonDict] = []
        for element, by_frame in element_frames:
            element_shape = by_frame.get(frame)
            if element_shape is None:
                continue
            elements.append(
                {
                    "type": element_shape.get("type", "points"),
                    "frame": frame,
                    "points": list(element_shape.get("points", [])),
                    "occluded": bool(element_shape.get("occluded", False)),
                    "outside": bool(element_shape.get("outside", False)),
                    "z_order": int(element_shape.get("z_order", 0)),
                    "rotation": float(element_shape.get("rotation", 0.0)),
                    "label_id": int(element["label_id"]),
                    "group": 0,
                    "source": element.get("source", "manual"),
                    "attributes": [
                        *element_shape.get("attributes", []),
                        *element.get("attributes", []),
                    ],
                    "elements": [],
                    "track_id": track_id,
                    "keyframe": bool(element_shape.get("keyframe", False)),
                }
            )
        result.append(
            {
                "type": shape.get("type", "rectangle"),
                "frame": frame,
                "points": list(shape.get("points", [])),
                "occluded": bool(shape.get("occluded", False)),
                "outside": False,
                "z_order": int(shape.get("z_order", 0)),
                "rotation": float(shape.get("rotation", 0.0)),
                "label_id": int(track["label_id"]),
                "group": int(track.get("group") or 0),
                "source": track.get("source", "manual"),
                "attributes": [*shape.get("attributes", []), *track.get("attributes", [])],
                "elements": elements,
                "track_id": track_id,
                "keyframe": bool(shape.get("keyframe", False)),
            }
        )
    return result


def _plain_shape(shape: JsonDict) -> JsonDict:
    return {
        "type": shape.get("type", "rectangle"),
        "frame": int(shape["frame"]),
        "points": list(shape.get("points", [])),
        "occluded": bool(shape.get("occluded", False)),
        "outside": bool(shape.get("outside", False)),
        "z_order": int(shape.get("z_order", 0)),
        "rotation": float(shape.get("rotation", 0.0)),
        "label_id": int(shape["label_id"]),
        "group": int(shape.get("group") or 0),
        "source": shape.get("source", "manual"),
        "attributes": list(shape.get("attributes", [])),
        "elements": [
            _plain_shape({**e, "frame": shape["frame"]}) for e in shape.get("elements", [])
        ],
        "track_id": None,
        "keyframe": None,
    }


def group_by_frame(
    frames: Sequence[SourceFrame], annotations: JsonDict, end_frame: int
) -> list[FrameAnnotations]:
    """Per-frame annotations of ``frames`` (in their order), like CVAT's ``group_by_frame``.

    Shapes come first, then the visible shapes of each track (``track_id`` is the track's
    index), all ordered by ``z_order``; frames not in ``frames`` (deleted, other jobs) are
    dropped.

    Examples:
        >>> frame = SourceFrame(0, 0, "a.png", 4, 4)
        >>> data = {"tags": [], "shapes": [{"type": "points", "frame": 0, "label_id": 1,
        ...     "points": [1, 1]}], "tracks": []}
        >>> [s["type"] for s in group_by_frame([frame], data, 1)[0].shapes]
        ['points']
    """
    result = {f.frame: FrameAnnotations(f) for f in frames}
    everything = [_plain_shape(s) for s in annotations.get("shapes", [])]
    for index, track in enumerate(annotations.get("tracks", [])):
        everything.extend(_track_shapes(track, index, end_frame))
    for shape in sorted(everything, key=lambda s: int(s["z_order"])):
        target = result.get(int(shape["frame"]))
        if target is not None:
            target.shapes.append(shape)
    for tag in annotations.get("tags", []):
        target = result.get(int(tag["frame"]))
        if target is not None:
            target.tags.append(tag)
    return [result[f.frame] for f in frames]


def strip_extension(name: str) -> str:
    """``a/b.png`` -> ``a/b`` (what CVAT calls an item id).

    Examples:
        >>> strip_extension("dir/frame.1.png")
        'dir/frame.1'
    """
    root, _ = posixpath.splitext(name)
    return root


class FrameMatcher:
    """Finds the target frame of a dataset item, like CVAT's ``match_dm_item``: by path without
    extension, then by a unique path ending with it, then by the frame number the file gives.

    Examples:
        >>> matcher = FrameMatcher([(0, "x/a.png"), (1, "x/b.png")])
        >>> matcher.match("x/a.jpg"), matcher.match("b.png"), matcher.match("zzz", "1")
        (0, 1, 1)
    """

    def __init__(self, frames: Iterable[tuple[int, str]]) -> None:
        self.frames: dict[int, str] = dict(frames)
        self._by_path: dict[str, int] = {}
        for number, name in self.frames.items():
            self._by_path.setdefault(strip_extension(name), number)

    def match(self, name: str, frame_id: str | None = None) -> int:
        key = strip_extension(name.replace("\\", "/"))
        found = self._by_path.get(key)
        if found is None:
            suffix = "/" + key
            candidates = [n for path, n in self._by_path.items() if path.endswith(suffix)]
            if len(candidates) == 1:
                found = candidates[0]
        if found is None and frame_id is not None:
            try:
                number = int(frame_id)
            except ValueError:
                number = -1
            if number in self.frames:
                found = number
        if found is None:
            raise FormatError(f"Could not match item id: '{key}' with any task frame")
        return found


# ---------------------------------------------------------------------------- importing
@dataclass
class ImportedShape:
    """A shape read from a file, naming its label and attributes."""

    type: str
    frame: int
    label: str
    points: list[float]
    occluded: bool = False
    outside: bool = False
    z_order: int = 0
    rotation: float = 0.0
    group: int = 0
    source: str = "file"
    attributes: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    elements: list[ImportedShape] = field(default_factory=list["ImportedShape"])


@dataclass
class ImportedTrack:
    label: str
    group: int = 0
    source: str = "file"
    shapes: list[ImportedShape] = field(default_factory=list[ImportedShape])
    elements: list[ImportedTrack] = field(default_factory=list["ImportedTrack"])


@dataclass
class ImportedTag:
    frame: int
    label: str
    group: int = 0
    source: str = "file"
    attributes: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])


@dataclass
class Imported:
    """Everything a reader found, before labels are resolved."""

    shapes: list[ImportedShape] = field(default_factory=list[ImportedShape])
    tracks: list[ImportedTrack] = field(default_factory=list[ImportedTrack])
    tags: list[ImportedTag] = field(default_factory=list[ImportedTag])


def _label_id(labels: LabelSet, name: str, parent: Label | None) -> Label:
    label = labels.find(name, parent.id if parent is not None else None)
    if label is None:
        raise FormatError(f"Label '{name}' is not registered for this task")
    return label


def _attribute_value(label: Label, spec: Attribute, value: str) -> str:
    if spec.input_type == "checkbox":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise FormatError(
                f"Failed to convert attribute '{label.name}'='{value}': Unexpected attribute value"
            )
        return lowered
    return value


def _attributes(
    label: Label, attributes: Iterable[tuple[str, str]], *, mutable: bool | None = None
) -> list[JsonDict]:
    result: list[JsonDict] = []
    seen: set[int] = set()
    for name, value in attributes:
        spec = next((a for a in label.attributes if a.name == name), None)
        if spec is None or spec.id in seen:
            continue
        if mutable is not None and spec.mutable != mutable:
            continue
        seen.add(spec.id)
        result.append({"spec_id": spec.id, "value": _attribute_value(label, spec, value)})
    return result


def _wire_shape(labels: LabelSet, shape: ImportedShape, parent: Label | None) -> JsonDict:
    label = _label_id(labels, shape.label, parent)
    return {
        "type": shape.type,
        "frame": shape.frame,
        "label_id": label.id,
        "group": shape.group,
        "source": shape.source,
        "occluded": shape.occluded,
        "outside": shape.outside,
        "z_order": shape.z_order,
        "rotation": shape.rotation,
        "points": [float(p) for p in shape.points],
        "attributes": _attributes(label, shape.attributes),
        "elements": [_wire_shape(labels, e, label) for e in shape.elements],
    }


def _wire_track(labels: LabelSet, track: ImportedTrack, parent: Label | None) -> JsonDict:
    label = _label_id(labels, track.label, parent)
    track_attributes: list[JsonDict] = []
    shapes: list[JsonDict] = []
    for shape in sorted(track.shapes, key=lambda s: s.frame):
        immutable = _attributes(label, shape.attributes, mutable=False)
        if immutable:
            track_attributes = immutable
        shapes.append(
            {
                "type": shape.type,
                "frame": shape.frame,
                "occluded": shape.occluded,
                "outside": shape.outside,
                "z_order": shape.z_order,
                "rotation": shape.rotation,
                "points": [float(p) for p in shape.points],
                "attributes": _attributes(label, shape.attributes, mutable=True),
            }
        )
    return {
        "frame": shapes[0]["frame"] if shapes else 0,
        "label_id": label.id,
        "group": track.group,
        "source": track.source,
        "attributes": track_attributes,
        "shapes": shapes,
        "elements": [_wire_track(labels, e, label) for e in track.elements],
    }


def resolve(labels: LabelSet, imported: Imported) -> JsonDict:
    """Wire ``LabeledData`` for ``imported``: labels and attributes by name become ids.

    Unknown attribute names are dropped and checkbox values lower-cased, as CVAT does; an
    unknown label is a :class:`FormatError`.

    Examples:
        >>> car = Label(1, "car", "#ff0000", "any", [], None, 7, None)
        >>> data = resolve(LabelSet([car]), Imported(tags=[ImportedTag(0, "car")]))
        >>> data["tags"][0]["label_id"]
        1
    """
    return {
        "version": 0,
        "tags": [
            {
                "frame": tag.frame,
                "label_id": (label := _label_id(labels, tag.label, None)).id,
                "group": tag.group,
                "source": tag.source,
                "attributes": _attributes(label, tag.attributes),
            }
            for tag in imported.tags
        ],
        "shapes": [_wire_shape(labels, s, None) for s in imported.shapes],
        "tracks": [_wire_track(labels, t, None) for t in imported.tracks if t.shapes],
    }


def remap_groups(groups: Sequence[int]) -> list[int]:
    """CVAT's import grouping: groups with a single member are dropped (0), the others are
    numbered 1, 2, ... in increasing order of their original id.

    Examples:
        >>> remap_groups([7, 7, 3, 9, 0])
        [1, 1, 0, 0, 0]
    """
    sizes: dict[int, int] = {}
    for group in groups:
        sizes[group] = sizes.get(group, 0) + 1
    kept = sorted(g for g, n in sizes.items() if g and n > 1)
    numbers = {g: i + 1 for i, g in enumerate(kept)}
    return [numbers.get(g, 0) for g in groups]


# -------------------------------------------------------------------------------- masks
Bitmap = list[bytearray]
"""Rows of a mask's bounding box: ``bitmap[y][x]`` is 1 inside the mask."""


@dataclass(frozen=True)
class Mask:
    """A mask as a bitmap of its bounding box placed at ``left, top``."""

    left: int
    top: int
    rows: Bitmap

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    @property
    def height(self) -> int:
        return len(self.rows)

    def area(self) -> int:
        return sum(sum(row) for row in self.rows)


def cvat_mask_decode(points: Sequence[float]) -> Mask:
    """A CVAT mask (``[rle..., left, top, right, bottom]``) as a :class:`Mask`.

    Examples:
        >>> mask = cvat_mask_decode([1, 2, 1, 5, 5, 6, 6])
        >>> mask.left, mask.top, [list(r) for r in mask.rows]
        (5, 5, [[0, 1], [1, 0]])
    """
    if len(points) < 4:
        raise FormatError("A mask needs its bounding box")
    left, top, right, bottom = (int(v) for v in points[-4:])
    width, height = right - left + 1, bottom - top + 1
    if width <= 0 or height <= 0:
        raise FormatError("A mask has an empty bounding box")
    flat = bytearray(width * height)
    position, value = 0, 0
    for count in points[:-4]:
        run = int(count)
        if value:
            flat[position : position + run] = b"\x01" * run
        position += run
        value ^= 1
    rows = [flat[y * width : (y + 1) * width] for y in range(height)]
    return Mask(left, top, rows)


def cvat_mask_encode(mask: Mask) -> list[float]:
    """The CVAT encoding of ``mask`` (its bitmap trimmed to the set pixels).

    Examples:
        >>> cvat_mask_encode(Mask(5, 5, [bytearray([0, 1]), bytearray([1, 0])]))
        [1.0, 2.0, 1.0, 5.0, 5.0, 6.0, 6.0]
    """
    ys = [y for y, row in enumerate(mask.rows) if any(row)]
    if not ys:
        raise FormatError("A mask has no pixels")
    xs = [x for row in mask.rows for x, v in enumerate(row) if v]
    x0, x1, y0, y1 = min(xs), max(xs), ys[0], ys[-1]
    runs: list[float] = [0.0]
    current = 0
    for y in range(y0, y1 + 1):
        for v in mask.rows[y][x0 : x1 + 1]:
            bit = 1 if v else 0
            if bit == current:
                runs[-1] += 1
            else:
                current = bit
                runs.append(1.0)
    left, top = mask.left + x0, mask.top + y0
    return [
        *runs,
        float(left),
        float(top),
        float(left + x1 - x0),
        float(top + y1 - y0),
    ]


def coco_rle_encode(mask: Mask, height: int, width: int) -> list[int]:
    """COCO's uncompressed RLE counts of ``mask`` on a ``height`` x ``width`` image
    (column-major, starting with a run of zeros).

    Examples:
        >>> coco_rle_encode(Mask(1, 0, [bytearray([1]), bytearray([1])]), 2, 2)
        [2, 2]
    """
    counts: list[int] = [0]
    current = 0

    def push(bit: int, run: int) -> None:
        nonlocal current
        if run <= 0:
            return
        if bit == current:
            counts[-1] += run
        else:
            counts.append(run)
            current = bit

    for x in range(width):
        mx = x - mask.left
        if mx < 0 or mx >= mask.width:
            push(0, height)
            continue
        top = max(0, min(height, mask.top))
        push(0, top)
        for y in range(top, min(height, mask.top + mask.height)):
            push(1 if mask.rows[y - mask.top][mx] else 0, 1)
        push(0, height - max(top, min(height, mask.top + mask.height)))
    return counts


def coco_rle_string_decode(text: str) -> list[int]:
    """Counts of COCO's compressed RLE string (pycocotools ``rleFrString``).

    Examples:
        >>> coco_rle_string_decode("52203")
        [5, 2, 2, 2, 5]
    """
    counts: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            char = ord(text[position]) - 48
            value |= (char & 0x1F) << (5 * shift)
            more = bool(char & 0x20)
            position += 1
            shift += 1
            if not more and char & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def coco_rle_decode(counts: Sequence[int], height: int) -> Mask:
    """A :class:`Mask` (cropped to its pixels) from COCO RLE counts.

    Examples:
        >>> mask = coco_rle_decode([2, 2], 2)
        >>> mask.left, mask.top, [list(r) for r in mask.rows]
        (1, 0, [[1], [1]])
    """
    runs: list[tuple[int, int]] = []
    position, value = 0, 0
    for count in counts:
        if value and count > 0:
            runs.append((position, int(count)))
        position += int(count)
        value ^= 1
    if not runs or height <= 0:
        raise FormatError("A mask has no pixels")
    pixels: list[tuple[int, int]] = []
    for start, run in runs:
        for p in range(start, start + run):
            pixels.append((p // height, p % height))
    x0 = min(x for x, _ in pixels)
    x1 = max(x for x, _ in pixels)
    y0 = min(y for _, y in pixels)
    y1 = max(y for _, y in pixels)
    rows = [bytearray(x1 - x0 + 1) for _ in range(y1 - y0 + 1)]
    for x, y in pixels:
        rows[y - y0][x - x0] = 1
    return Mask(x0, y0, rows)


def ellipse_mask(points: Sequence[float], rotation: float, height: int, width: int) -> Mask | None:
    """Rasterise a CVAT ellipse (``cx, cy, right x, top y``) on the image, like the filled
    ellipse CVAT draws for COCO (pixel centres inside the rotated ellipse).

    Examples:
        >>> ellipse_mask([2, 2, 3, 1], 0.0, 5, 5).area()
        5
    """
    cx, cy = float(points[0]), float(points[1])
    rx, ry = abs(float(points[2]) - cx), abs(cy - float(points[3]))
    cx, cy, rx, ry = round(cx), round(cy), max(round(rx), 0), max(round(ry), 0)
    if rx == 0 or ry == 0:
        return None
    angle = math.radians(rotation)
    cos, sin = math.cos(angle), math.sin(angle)
    reach = max(rx, ry)
    x0, x1 = max(0, cx - reach), min(width - 1, cx + reach)
    y0, y1 = max(0, cy - reach), min(height - 1, cy + reach)
    if x0 > x1 or y0 > y1:
        return None
    rows: Bitmap = []
    for y in range(y0, y1 + 1):
        row = bytearray(x1 - x0 + 1)
        for x in range(x0, x1 + 1):
            dx, dy = x - cx, y - cy
            u = (dx * cos + dy * sin) / rx
            v = (-dx * sin + dy * cos) / ry
            if u * u + v * v <= 1.0:
                row[x - x0] = 1
        rows.append(row)
    mask = Mask(x0, y0, rows)
    return mask if mask.area() else None


def polygon_area(points: Sequence[float]) -> float:
    """Area of a polygon ``[x1, y1, x2, y2, ...]`` (shoelace).

    Examples:
        >>> polygon_area([0, 0, 4, 0, 4, 3])
        6.0
    """
    xs, ys = points[0::2], points[1::2]
    n = len(xs)
    total = 0.0
    for i in range(n):
        total += float(xs[i]) * float(ys[(i + 1) % n]) - float(xs[(i + 1) % n]) * float(ys[i])
    return abs(total) / 2.0


def points_bbox(points: Sequence[float]) -> list[float]:
    """``[x, y, w, h]`` of the points ``[x1, y1, ...]``.

    Examples:
        >>> points_bbox([1, 2, 4, 8, 3, 3])
        [1.0, 2.0, 3.0, 6.0]
    """
    xs = [float(v) for v in points[0::2]]
    ys = [float(v) for v in points[1::2]]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
