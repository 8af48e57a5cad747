"""CVAT's own XML format: the ``CVAT for images 1.1`` writer and the ``CVAT 1.1`` reader.

Theory of operation
-------------------
The writer produces ``annotations.xml`` exactly as CVAT's ``dump_as_cvat_annotation`` does,
with the same ``XMLGenerator`` calls: ``<annotations>``, ``<version>1.1</version>``, a
``<meta>`` block (task, job or project description with its labels and attributes), then one
``<image id name [subset task_id] width height>`` per frame holding ``<box>``, ``<polygon>``,
``<polyline>``, ``<points>``, ``<ellipse>``, ``<cuboid>``, ``<mask rle left top width
height>``, ``<skeleton>`` (with ``<points>`` elements) and ``<tag>`` elements. Coordinates are
written with two decimals. Like CVAT, the image format has no tracks: a track becomes the
shape it shows on each frame where it is visible.

The reader follows CVAT's ``load_anno``: ``<image>`` shapes and tags are matched to frames by
name (then by id); ``<track>`` elements (the video format) become tracks made of their
keyframes, with frame numbers converted from the file's (absolute) numbering; a mask track
becomes one mask shape; shapes get ``source: file``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import XMLGenerator

from ._formats import (
    FormatError,
    FrameAnnotations,
    FrameMatcher,
    Imported,
    ImportedShape,
    ImportedTag,
    ImportedTrack,
    JsonDict,
    LabelSet,
)

MetaValue = str | list[tuple[str, Any]]
"""A meta element's text, or its children as ``(tag, value)`` pairs."""
Meta = list[tuple[str, MetaValue]]

_SHAPE_TAGS = {
    "rectangle": "box",
    "ellipse": "ellipse",
    "polygon": "polygon",
    "polyline": "polyline",
    "points": "points",
    "mask": "mask",
    "cuboid": "cuboid",
    "skeleton": "skeleton",
}
_CUBOID_KEYS = (
    "xtl1",
    "ytl1",
    "xbl1",
    "ybl1",
    "xtr1",
    "ytr1",
    "xbr1",
    "ybr1",
    "xtl2",
    "ytl2",
    "xbl2",
    "ybl2",
    "xtr2",
    "ytr2",
    "xbr2",
    "ybr2",
)


def _num(value: float) -> str:
    return f"{float(value):.2f}"


class _Writer:
    def __init__(self, out: io.StringIO) -> None:
        self.gen = XMLGenerator(out, "utf-8")
        self.level = 0

    def indent(self) -> None:
        self.gen.ignorableWhitespace("\n" + "  " * self.level)

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        self.indent()
        self.gen.startElement(tag, attrs)  # type: ignore[arg-type]
        self.level += 1

    def close(self, tag: str) -> None:
        self.level -= 1
        self.indent()
        self.gen.endElement(tag)

    def text(self, tag: str, value: str, attrs: dict[str, str] | None = None) -> None:
        self.indent()
        self.gen.startElement(tag, attrs or {})  # type: ignore[arg-type]
        self.gen.characters(value)
        self.gen.endElement(tag)

    def meta(self, items: Sequence[tuple[str, Any]]) -> None:
        self.level += 1
        for key, value in items:
            if isinstance(value, str):
                self.text(key, value)
            else:
                self.indent()
                self.gen.startElement(key, {})  # type: ignore[arg-type]
                self.meta(value)
                self.indent()
                self.gen.endElement(key)
        self.level -= 1


def _shape_attrs(labels: LabelSet, shape: JsonDict, *, element: bool) -> dict[str, str]:
    kind = shape["type"]
    points = [float(p) for p in shape["points"]]
    data = {"label": labels.name(int(shape["label_id"])), "source": str(shape["source"])}
    if element:
        data["outside"] = str(int(bool(shape["outside"])))
    if kind != "skeleton":
        data["occluded"] = str(int(bool(shape["occluded"])))
    rotation = float(shape.get("rotation") or 0.0)
    if kind == "rectangle":
        data.update(
            xtl=_num(points[0]), ytl=_num(points[1]), xbr=_num(points[2]), ybr=_num(points[3])
        )
        if rotation:
            data["rotation"] = _num(rotation)
    elif kind == "ellipse":
        data.update(
            cx=_num(points[0]),
            cy=_num(points[1]),
            rx=_num(points[2] - points[0]),
            ry=_num(points[1] - points[3]),
        )
        if rotation:
            data["rotation"] = _num(rotation)
    elif kind == "cuboid":
        data.update({key: _num(value) for key, value in zip(_CUBOID_KEYS, points, strict=False)})
    elif kind == "mask":
        data.update(
            rle=", ".join(str(int(v)) for v in points[:-4]),
            left=str(int(points[-4])),
            top=str(int(points[-3])),
            width=str(int(points[-2] - points[-4]) + 1),
            height=str(int(points[-1] - points[-3]) + 1),
        )
    elif kind != "skeleton":
        data["points"] = ";".join(
            f"{_num(x)},{_num(y)}" for x, y in zip(points[0::2], points[1::2], strict=False)
        )
    if not element:
        data["z_order"] = str(int(shape.get("z_order") or 0))
    if shape.get("group"):
        data["group_id"] = str(int(shape["group"]))
    return data


def _write_shape(writer: _Writer, labels: LabelSet, shape: JsonDict, *, element: bool) -> None:
    tag = _SHAPE_TAGS.get(str(shape["type"]))
    if tag is None:
        raise FormatError(f"unknown shape type '{shape['type']}'")
    writer.open(tag, _shape_attrs(labels, shape, element=element))
    if shape["type"] == "skeleton":
        for sub in shape.get("elements", []):
            _write_shape(writer, labels, sub, element=True)
    label_id = int(shape["label_id"])
    for name, value in labels.named_attributes(label_id, shape.get("attributes", [])):
        writer.text("attribute", value, {"name": name})
    writer.close(tag)


def write_xml(
    meta: Meta, frames: Sequence[FrameAnnotations], labels: LabelSet, *, project: bool
) -> bytes:
    """``annotations.xml`` of the ``CVAT for images 1.1`` format.

    Examples:
        >>> from ._formats import SourceFrame
        >>> frame = FrameAnnotations(SourceFrame(0, 0, "a.png", 4, 3))
        >>> xml = write_xml([("task", [("id", "1")])], [frame], LabelSet([]), project=False)
        >>> b'<image id="0" name="a.png" width="4" height="3">' in xml
        True
    """
    out = io.StringIO()
    writer = _Writer(out)
    writer.gen.startDocument()
    writer.gen.startElement("annotations", {})  # type: ignore[arg-type]
    writer.level += 1
    writer.text("version", "1.1")
    writer.indent()
    writer.gen.startElement("meta", {})  # type: ignore[arg-type]
    writer.meta(meta)
    writer.indent()
    writer.gen.endElement("meta")
    for item in frames:
        source = item.source
        image = {"id": str(source.number), "name": source.name}
        if project:
            image["subset"] = source.subset
            image["task_id"] = str(source.task_id)
        image["width"] = str(source.width)
        image["height"] = str(source.height)
        writer.open("image", image)
        for shape in item.shapes:
            _write_shape(writer, labels, shape, element=False)
        for tag in item.tags:
            data = {"label": labels.name(int(tag["label_id"])), "source": str(tag.get("source"))}
            if tag.get("group"):
                data["group_id"] = str(int(tag["group"]))
            writer.open("tag", data)
            for name, value in labels.named_attributes(
                int(tag["label_id"]), tag.get("attributes", [])
            ):
                writer.text("attribute", value, {"name": name})
            writer.close("tag")
        writer.close("image")
    writer.close("annotations")
    writer.indent()
    writer.gen.endDocument()
    return out.getvalue().encode("utf-8")


# ------------------------------------------------------------------------------ reading
_READ_TAGS = {"box", "ellipse", "polygon", "polyline", "points", "cuboid", "skeleton", "mask"}


def _float(attrib: dict[str, str], key: str) -> float:
    try:
        return float(attrib[key])
    except KeyError:
        raise FormatError(f"KeyError: '{key}'") from None
    except ValueError:
        raise FormatError(
            f"ValueError: could not convert string to float: '{attrib[key]}'"
        ) from None


def _points(tag: str, attrib: dict[str, str]) -> list[float]:
    if tag == "box":
        return [_float(attrib, k) for k in ("xtl", "ytl", "xbr", "ybr")]
    if tag == "ellipse":
        cx, cy = _float(attrib, "cx"), _float(attrib, "cy")
        rx, ry = _float(attrib, "rx"), _float(attrib, "ry")
        return [cx, cy, float(f"{cx + rx:.2f}"), float(f"{cy - ry:.2f}")]
    if tag == "cuboid":
        return [_float(attrib, k) for k in _CUBOID_KEYS]
    if tag == "mask":
        try:
            rle = [float(int(v)) for v in attrib["rle"].split(",")]
            left, top = int(attrib["left"]), int(attrib["top"])
            width, height = int(attrib["width"]), int(attrib["height"])
        except (KeyError, ValueError) as exc:
            raise FormatError(f"{type(exc).__name__}: {exc}") from None
        return [*rle, float(left), float(top), float(left + width - 1), float(top + height - 1)]
    if tag == "skeleton":
        return []
    result: list[float] = []
    try:
        for pair in attrib["points"].split(";"):
            result.extend(float(v) for v in pair.split(","))
    except KeyError:
        raise FormatError("KeyError: 'points'") from None
    except ValueError as exc:
        raise FormatError(f"ValueError: {exc}") from None
    return result


def _kind(tag: str) -> str:
    return "rectangle" if tag == "box" else tag


def read_xml(
    data: bytes, matcher: FrameMatcher, track_frame: Callable[[int], int | None]
) -> Imported:
    """Annotations of a CVAT XML file (images or video layout).

    ``track_frame`` maps a ``<track>`` shape's frame number to the target's frame (``None``
    drops the shape: it lies outside the task or job).

    Examples:
        >>> xml = (b'<annotations><image id="0" name="a.png"><tag label="car" source="manual">'
        ...        b'</tag></image></annotations>')
        >>> read_xml(xml, FrameMatcher([(0, "a.png")]), lambda f: f).tags[0].label
        'car'
    """
    result = Imported()
    frame: int | None = None
    shape: ImportedShape | None = None
    element: ImportedShape | None = None
    tag: ImportedTag | None = None
    track: ImportedTrack | None = None
    track_elements: dict[str, ImportedTrack] = {}
    track_shape_frame: int | None = None
    keep_shape = True
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            attrib = el.attrib
            if event == "start":
                if el.tag == "track":
                    track = ImportedTrack(
                        label=attrib.get("label", ""),
                        group=int(attrib.get("group_id", 0)),
                        source="file",
                    )
                    track_elements = {}
                elif el.tag == "image":
                    frame = matcher.match(attrib.get("name", ""), attrib.get("id"))
                elif el.tag in _READ_TAGS and (track is not None or frame is not None):
                    if shape is not None and shape.type == "skeleton":
                        element = ImportedShape(
                            type=_kind(el.tag), frame=shape.frame, label="", points=[]
                        )
                    else:
                        shape = ImportedShape(
                            type=_kind(el.tag), frame=frame or 0, label="", points=[]
                        )
                        if track is not None:
                            absolute = int(attrib["frame"])
                            mapped = track_frame(absolute)
                            keep_shape = mapped is not None
                            track_shape_frame = mapped
                            shape.frame = mapped if mapped is not None else 0
                elif el.tag == "tag" and frame is not None:
                    tag = ImportedTag(
                        frame=frame,
                        label=attrib.get("label", ""),
                        group=int(attrib.get("group_id", 0)),
                        source="file",
                    )
                continue
            # end events
            if el.tag == "attribute":
                target = element or shape or tag
                if target is not None:
                    target.attributes.append((attrib.get("name", ""), el.text or ""))
            elif (
                el.tag in _READ_TAGS
                and shape is not None
                and shape.type == "skeleton"
                and (element is not None and el.tag != "skeleton")
            ):
                element.label = attrib.get("label", "")
                element.occluded = attrib.get("occluded") == "1"
                element.outside = attrib.get("outside") == "1"
                element.points = _points(el.tag, attrib)
                if track is None:
                    element.source = "file"
                    shape.elements.append(element)
                elif attrib.get("keyframe") == "1" and keep_shape:
                    sub = track_elements.setdefault(
                        element.label, ImportedTrack(label=element.label, source="file")
                    )
                    element.frame = track_shape_frame or 0
                    sub.shapes.append(element)
                element = None
            elif el.tag in _READ_TAGS and shape is not None:
                shape.occluded = attrib.get("occluded", "0") == "1"
                shape.z_order = int(attrib.get("z_order", 0))
                shape.rotation = float(attrib.get("rotation", 0))
                shape.points = _points(el.tag, attrib)
                if track is not None:
                    shape.outside = attrib.get("outside", "0") == "1"
                    if attrib.get("keyframe") == "1" and keep_shape:
                        track.shapes.append(shape)
                else:
                    shape.label = attrib.get("label", "")
                    shape.group = int(attrib.get("group_id", 0))
                    result.shapes.append(shape)
                shape = None
            elif el.tag == "track" and track is not None:
                if track.shapes and track.shapes[0].type == "mask":
                    first = track.shapes[0]
                    first.label, first.group, first.outside = track.label, track.group, False
                    result.shapes.append(first)
                else:
                    track.elements = list(track_elements.values())
                    result.tracks.append(track)
                track = None
            elif el.tag == "image":
                frame = None
            elif el.tag == "tag" and tag is not None:
                result.tags.append(tag)
                tag = None
            el.clear()
    except ElementTree.ParseError as exc:
        raise FormatError(f"ParseError: {exc}") from None
    except (KeyError, ValueError) as exc:
        raise FormatError(f"{type(exc).__name__}: {exc}") from None
    return result
