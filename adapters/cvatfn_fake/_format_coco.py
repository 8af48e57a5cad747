"""COCO 1.0: the instances writer and reader, as CVAT runs them through Datumaro.

Theory of operation
-------------------
*Writing.* CVAT exports each subset (a task's ``subset``, ``default`` when empty) as
``annotations/instances_<subset>.json`` with Datumaro's ``coco_instances`` exporter:

* ``categories``: every label and sublabel, ordered by id, ids from 1, with the parent's name
  as ``supercategory``;
* ``images``: one per frame, ids from 1 across the whole export, ``file_name`` the frame's
  name;
* ``annotations`` (ids from 1 in each file): rectangles become ``bbox`` with an empty
  ``segmentation``; polygons a polygon ``segmentation``; masks, and ellipses (which CVAT turns
  into masks), an uncompressed column-major RLE with ``iscrowd: 1``. Shapes sharing a
  non-zero ``group`` are one instance (largest member leads; its label and attributes win).
  ``attributes`` holds every label attribute (numbers as floats, checkboxes as booleans,
  missing ones at their default) plus ``occluded``, ``rotation`` for rectangles and ellipses,
  and ``track_id``/``keyframe`` for shapes of tracks. Tags, polylines, points, cuboids and
  skeletons have no COCO instance form and are left out.

*Reading.* Like Datumaro's COCO importer followed by CVAT's ``import_dm_annotations``: a
non-empty polygon ``segmentation`` gives one polygon per part, an RLE (compressed or not) a
mask, and no segmentation a rectangle; ``rotation``, ``occluded`` and ``track_id`` come back
from ``attributes``; shapes carrying ``track_id`` and ``keyframe`` are regrouped into tracks
(one shape per frame they appear on); parts of one annotation share a group, single shapes
get none; shapes get ``source: manual``.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ._formats import (
    FormatError,
    FrameAnnotations,
    FrameMatcher,
    Imported,
    ImportedShape,
    ImportedTrack,
    JsonDict,
    LabelSet,
    Mask,
    coco_rle_decode,
    coco_rle_encode,
    coco_rle_string_decode,
    cvat_mask_decode,
    cvat_mask_encode,
    ellipse_mask,
    points_bbox,
    polygon_area,
    remap_groups,
    typed_attributes,
)

_LICENSES = [{"name": "", "id": 0, "url": ""}]
_INFO = {
    "contributor": "",
    "date_created": "",
    "description": "",
    "url": "",
    "version": "",
    "year": "",
}
_SOURCES = {"auto", "semi-auto", "manual", "file"}


# ------------------------------------------------------------------------------ writing
@dataclass
class _Part:
    kind: str  # "bbox", "polygon" or "mask"
    shape: JsonDict
    points: list[float] = field(default_factory=list[float])
    mask: Mask | None = None

    def area(self) -> float:
        if self.kind == "mask" and self.mask is not None:
            return float(self.mask.area())
        if self.kind == "polygon":
            return polygon_area(self.points)
        _, _, w, h = self.box()
        return w * h

    def box(self) -> list[float]:
        if self.kind == "mask" and self.mask is not None:
            return _mask_box(self.mask)
        if self.kind == "bbox":
            x0, y0, x1, y1 = self.points[:4]
            return [x0, y0, x1 - x0, y1 - y0]
        return points_bbox(self.points)


def _mask_box(mask: Mask) -> list[float]:
    ys = [y for y, row in enumerate(mask.rows) if any(row)]
    xs = [x for row in mask.rows for x, v in enumerate(row) if v]
    if not ys:
        return [0.0, 0.0, 0.0, 0.0]
    return [
        float(mask.left + min(xs)),
        float(mask.top + ys[0]),
        float(max(xs) - min(xs) + 1),
        float(ys[-1] - ys[0] + 1),
    ]


def _union(masks: Sequence[Mask]) -> Mask:
    left = min(m.left for m in masks)
    top = min(m.top for m in masks)
    right = max(m.left + m.width for m in masks)
    bottom = max(m.top + m.height for m in masks)
    rows = [bytearray(right - left) for _ in range(bottom - top)]
    for m in masks:
        for y, row in enumerate(m.rows):
            target = rows[m.top - top + y]
            for x, v in enumerate(row):
                if v:
                    target[m.left - left + x] = 1
    return Mask(left, top, rows)


def _clip(mask: Mask, height: int, width: int) -> Mask:
    rows: list[bytearray] = []
    for y, row in enumerate(mask.rows):
        absolute_y = mask.top + y
        line = bytearray(len(row))
        if 0 <= absolute_y < height:
            for x, v in enumerate(row):
                if v and 0 <= mask.left + x < width:
                    line[x] = 1
        rows.append(line)
    return Mask(mask.left, mask.top, rows)


def _part(shape: JsonDict, height: int, width: int) -> _Part | None:
    kind = shape["type"]
    points = [float(p) for p in shape["points"]]
    if kind == "rectangle":
        return _Part("bbox", shape, points)
    if kind == "polygon":
        return _Part("polygon", shape, points)
    if kind == "mask":
        mask = _clip(cvat_mask_decode(points), height, width)
        return _Part("mask", shape, mask=mask) if mask.area() else None
    if kind == "ellipse":
        ellipse = ellipse_mask(points, float(shape.get("rotation") or 0.0), height, width)
        return _Part("mask", shape, mask=ellipse) if ellipse is not None else None
    return None


def _instances(parts: list[_Part]) -> list[list[_Part]]:
    result: list[list[_Part]] = []
    grouped: dict[int, list[_Part]] = {}
    for part in sorted(parts, key=lambda p: int(p.shape.get("group") or 0)):
        group = int(part.shape.get("group") or 0)
        if group == 0:
            result.append([part])
        else:
            if group not in grouped:
                grouped[group] = []
                result.append(grouped[group])
            grouped[group].append(part)
    return result


def _attributes(labels: LabelSet, shape: JsonDict) -> JsonDict:
    result = typed_attributes(labels, int(shape["label_id"]), shape.get("attributes", []))
    result["occluded"] = bool(shape.get("occluded", False))
    if shape["type"] in ("rectangle", "ellipse"):
        result["rotation"] = float(shape.get("rotation") or 0.0)
    if shape.get("track_id") is not None:
        result["track_id"] = int(shape["track_id"])
        result["keyframe"] = bool(shape.get("keyframe"))
    return result


def _annotation(
    instance: list[_Part],
    image_id: int,
    height: int,
    width: int,
    labels: LabelSet,
    category: dict[int, int],
) -> JsonDict:
    leader = max(instance, key=lambda p: p.area())
    boxes = [p for p in instance if p.kind == "bbox"]
    masks = [p.mask for p in instance if p.kind == "mask" and p.mask is not None]
    polygons = [p.points for p in instance if p.kind == "polygon"]
    boxed = [p.box() for p in (boxes or instance)]
    x0 = min(b[0] for b in boxed)
    y0 = min(b[1] for b in boxed)
    x1 = max(b[0] + b[2] for b in boxed)
    y1 = max(b[1] + b[3] for b in boxed)
    bbox = [x0, y0, x1 - x0, y1 - y0]
    segmentation: Any
    if masks:
        merged = _union(masks) if len(masks) > 1 else masks[0]
        counts = coco_rle_encode(merged, height, width)
        segmentation = {"counts": counts, "size": [height, width]}
        area = float(sum(counts[1::2]))
        crowd = 1
    elif polygons:
        segmentation = polygons
        area = sum(polygon_area(p) for p in polygons)
        crowd = 0
    else:
        segmentation = []
        area = bbox[2] * bbox[3]
        crowd = 0
    return {
        "id": 0,
        "image_id": image_id,
        "category_id": category[int(leader.shape["label_id"])],
        "segmentation": segmentation,
        "area": float(area),
        "bbox": [round(float(v), 2) for v in bbox],
        "iscrowd": crowd,
        "attributes": _attributes(labels, leader.shape),
    }


def write_coco(
    subsets: Sequence[tuple[str, Sequence[FrameAnnotations]]], labels: LabelSet
) -> list[tuple[str, bytes]]:
    """``[(member name, JSON bytes)]``: ``annotations/instances_<subset>.json`` per subset.

    Examples:
        >>> from ._formats import SourceFrame
        >>> frame = FrameAnnotations(SourceFrame(0, 0, "a.png", 4, 3))
        >>> name, body = write_coco([("default", [frame])], LabelSet([]))[0]
        >>> name, json.loads(body)["images"][0]["file_name"]
        ('annotations/instances_default.json', 'a.png')
    """
    category = {label.id: index + 1 for index, label in enumerate(labels.labels)}
    categories = [
        {
            "id": category[label.id],
            "name": label.name,
            "supercategory": labels.parent_name(label) or "",
        }
        for label in labels.labels
    ]
    image_id = 0
    result: list[tuple[str, bytes]] = []
    for subset, frames in subsets:
        images: list[JsonDict] = []
        annotations: list[JsonDict] = []
        for item in frames:
            image_id += 1
            source = item.source
            images.append(
                {
                    "id": image_id,
                    "width": source.width,
                    "height": source.height,
                    "file_name": source.name,
                    "license": 0,
                    "flickr_url": "",
                    "coco_url": "",
                    "date_captured": 0,
                }
            )
            parts = [
                p
                for p in (_part(s, source.height, source.width) for s in item.shapes)
                if p is not None
            ]
            for instance in _instances(parts):
                annotations.append(
                    _annotation(instance, image_id, source.height, source.width, labels, category)
                )
        for number, annotation in enumerate(annotations, start=1):
            annotation["id"] = number
        document = {
            "licenses": _LICENSES,
            "info": _INFO,
            "categories": categories,
            "images": images,
            "annotations": annotations,
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        result.append((f"annotations/instances_{subset}.json", body))
    return result


# ------------------------------------------------------------------------------ reading
@dataclass
class CocoAnnotation:
    """One Datumaro annotation read from COCO: ``kind`` is ``bbox``, ``polygon`` or ``mask``;
    ``points`` are CVAT points (a box as ``x0, y0, x1, y1``, a mask in CVAT's encoding)."""

    kind: str
    label: str
    points: list[float]
    attributes: JsonDict
    group: int


@dataclass
class CocoItem:
    subset: str
    file_name: str
    width: int
    height: int
    annotations: list[CocoAnnotation] = field(default_factory=list[CocoAnnotation])


def annotation_files(names: Iterable[str]) -> list[tuple[str, str]]:
    """``[(subset, member)]`` of the instances files among the archive members.

    Examples:
        >>> annotation_files(["images/a.png", "annotations/instances_train.json"])
        [('train', 'annotations/instances_train.json')]
    """
    result: list[tuple[str, str]] = []
    for name in sorted(names):
        base = posixpath.basename(name)
        if base.startswith("instances_") and base.endswith(".json"):
            result.append((base[len("instances_") : -len(".json")], name))
    return result


def _dict(value: Any, what: str) -> JsonDict:
    if not isinstance(value, dict):
        raise FormatError(f"Invalid COCO file: {what} must be an object")
    return cast(JsonDict, value)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(f"Invalid COCO file: '{what}' must be a list")
    return cast(list[Any], cast(object, value))


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"Invalid COCO file: '{what}' must be a number")
    return int(value)


def read_coco(subset: str, data: bytes) -> list[CocoItem]:
    """The items (images with their annotations) of one COCO instances file.

    Examples:
        >>> doc = {"categories": [{"id": 1, "name": "car"}], "images": [{"id": 1,
        ...     "file_name": "a.png", "width": 4, "height": 3}], "annotations": [{"id": 1,
        ...     "image_id": 1, "category_id": 1, "segmentation": [], "bbox": [0, 0, 2, 2],
        ...     "iscrowd": 0}]}
        >>> item = read_coco("default", json.dumps(doc).encode())[0]
        >>> item.annotations[0].kind, item.annotations[0].points
        ('bbox', [0.0, 0.0, 2.0, 2.0])
    """
    try:
        document = _dict(json.loads(data.decode("utf-8")), "the document")
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"Invalid COCO file: {exc}") from None
    labels: dict[int, str] = {}
    for raw in _list(document.get("categories", []), "categories"):
        category = _dict(raw, "a category")
        labels[_int(category.get("id"), "categories.id")] = str(category.get("name", ""))
    items: dict[int, CocoItem] = {}
    for raw in _list(document.get("images", []), "images"):
        image = _dict(raw, "an image")
        image_id = _int(image.get("id"), "images.id")
        items[image_id] = CocoItem(
            subset,
            str(image.get("file_name", "")),
            _int(image.get("width", 0), "images.width"),
            _int(image.get("height", 0), "images.height"),
        )
    for raw in _list(document.get("annotations", []), "annotations"):
        ann = _dict(raw, "an annotation")
        item = items.get(_int(ann.get("image_id"), "annotations.image_id"))
        if item is None:
            continue
        category_id = _int(ann.get("category_id"), "annotations.category_id")
        if category_id not in labels:
            raise FormatError(f"Unknown category id {category_id}")
        attributes: JsonDict = dict(_dict(ann.get("attributes", {}), "attributes"))
        if "score" in ann:
            attributes["score"] = ann["score"]
        attributes["is_crowd"] = bool(ann.get("iscrowd", 0))
        group = _int(ann.get("id", 0), "annotations.id")
        label = labels[category_id]
        segmentation = ann.get("segmentation")
        if isinstance(segmentation, list) and segmentation and segmentation != [[]]:
            for polygon in _list(segmentation, "segmentation"):
                points = [float(v) for v in _list(polygon, "segmentation")]
                if len(points) % 2:
                    raise FormatError("Invalid COCO file: a polygon has an odd number of values")
                if len(points) >= 6:
                    item.annotations.append(
                        CocoAnnotation("polygon", label, points, dict(attributes), group)
                    )
        elif isinstance(segmentation, dict):
            rle = cast(JsonDict, segmentation)
            size = _list(rle.get("size", [item.height, item.width]), "segmentation.size")
            height = _int(size[0], "segmentation.size")
            counts_raw = rle.get("counts")
            if isinstance(counts_raw, str):
                counts = coco_rle_string_decode(counts_raw)
            else:
                counts = [_int(c, "segmentation.counts") for c in _list(counts_raw, "counts")]
            mask = coco_rle_decode(counts, height)
            item.annotations.append(
                CocoAnnotation("mask", label, cvat_mask_encode(mask), attributes, group)
            )
        else:
            box = [float(v) for v in _list(ann.get("bbox", []), "bbox")]
            if len(box) != 4:
                raise FormatError("Invalid COCO file: 'bbox' must have 4 values")
            x, y, w, h = box
            item.annotations.append(
                CocoAnnotation("bbox", label, [x, y, x + w, y + h], attributes, group)
            )
    return list(items.values())


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


_KINDS = {"bbox": "rectangle", "polygon": "polygon", "mask": "mask"}


def to_imported(items: Sequence[CocoItem], matcher: FrameMatcher, into: Imported) -> None:
    """Add the annotations of ``items`` to ``into``, matching each image to a frame.

    Examples:
        >>> item = CocoItem("default", "a.jpg", 4, 3,
        ...     [CocoAnnotation("bbox", "car", [0, 0, 2, 2], {"occluded": True}, 1)])
        >>> result = Imported()
        >>> to_imported([item], FrameMatcher([(0, "a.png")]), result)
        >>> result.shapes[0].type, result.shapes[0].occluded, result.shapes[0].group
        ('rectangle', True, 0)
    """
    tracks: dict[Any, ImportedTrack] = {}
    for item in items:
        frame = matcher.match(item.file_name)
        groups = remap_groups([a.group for a in item.annotations])
        for ann, group in zip(item.annotations, groups, strict=True):
            attributes = dict(ann.attributes)
            named = [(name, str(value)) for name, value in attributes.items()]
            rotation = float(attributes.pop("rotation", 0.0) or 0.0)
            occluded = _to_bool(attributes.pop("occluded", False))
            outside = _to_bool(attributes.pop("outside", False))
            track_id = attributes.pop("track_id", None)
            source = str(attributes.get("source", "")).lower()
            source = source if source in _SOURCES else "manual"
            shape = ImportedShape(
                type=_KINDS[ann.kind],
                frame=frame,
                label=ann.label,
                points=list(ann.points),
                occluded=occluded,
                outside=outside,
                rotation=rotation,
                group=group,
                source=source,
                attributes=named,
            )
            if track_id is None or "keyframe" not in attributes:
                shape.outside = False
                into.shapes.append(shape)
                continue
            track = tracks.get(track_id)
            if track is None:
                track = ImportedTrack(label=ann.label, group=group, source=source)
                tracks[track_id] = track
                into.tracks.append(track)
            track.shapes.append(shape)
