"""A realistic, deterministic ``LabeledData`` body, as CVAT 2.80 sends it for
``GET /api/jobs/{id}/annotations/``.

The field sets and their order are those of CVAT's serializers (and of the fake server's
answers): every top-level shape and skeleton element has ``id``, ``label_id``, ``type``,
``frame``, ``group``, ``source``, ``occluded``, ``outside``, ``z_order``, ``rotation``,
``points``, ``score`` and ``attributes`` (``[{spec_id, value}]``), and a top-level shape also
``elements``; a keyframe of a track has ``id``, ``type``, ``frame``, ``occluded``, ``outside``,
``z_order``, ``rotation``, ``points`` and ``attributes``; a track has ``id``, ``label_id``,
``frame``, ``group``, ``source``, ``shapes``, ``attributes`` and ``elements`` (a skeleton
track's elements are tracks of ``points`` keyframes); a tag has ``id``, ``label_id``,
``frame``, ``group``, ``source`` and ``attributes``. Objects are sorted by frame, then id, as
CVAT sorts them, and the JSON is compact, as Django REST framework renders it.

Shapes mix every kind CVAT draws: rectangles and ellipses (four coordinates; an ellipse's
rotation may be non-zero), polygons and polylines (tens of vertices), points, masks (CVAT's
run-length encoding: the counts followed by the box ``left, top, right, bottom``, all as
floats) and skeletons (no points of their own; a ``points`` element per node). Coordinates
have full double precision (``132.19337349397574``), as an annotation drawn in the browser
and scaled to the image does; masks' numbers are integral (``37.0``).

Examples:
    >>> import json
    >>> data = json.loads(payload(Sizes(shapes=40, tracks=3, keyframes=4, tags=5)))
    >>> sorted(data), len(data["shapes"]), len(data["tracks"]), len(data["tags"])
    (['shapes', 'tags', 'tracks', 'version'], 40, 3, 5)
    >>> payload(Sizes.quick()) == payload(Sizes.quick())
    True
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

__all__ = ["Sizes", "labeled_data", "payload"]

JsonDict = dict[str, Any]

WIDTH, HEIGHT = 1920.0, 1080.0
SEED = 2080


@dataclass(frozen=True)
class Sizes:
    """How many objects of each kind (the issue's sizes by default: about 12 MB of JSON)."""

    shapes: int = 20_000
    tracks: int = 500
    keyframes: int = 20
    tags: int = 1_000
    frames: int = 2_000

    @classmethod
    def quick(cls) -> Sizes:
        """A twentieth of the objects, for a smoke run."""
        return cls(shapes=1_000, tracks=25, keyframes=20, tags=50, frames=100)


@dataclass(frozen=True)
class _Label:
    id: int
    kind: str
    """The shape type this label is drawn with (``"any"``: mixed)."""
    attributes: tuple[tuple[int, tuple[str, ...]], ...]
    """Each attribute's ``spec_id`` and the values it takes."""
    nodes: tuple[int, ...] = ()
    """A skeleton's element label ids."""


def _labels() -> tuple[list[_Label], list[_Label]]:
    """A task's labels: plain ones with zero to three attributes, and two skeletons."""
    values = (
        ("white", "black", "red", "silver", "blue"),
        ("true", "false"),
        ("1", "2", "3", "4"),
        ("val1", "val2", "val3"),
        ("parked", "moving", "stopped at a red light"),
    )
    plain: list[_Label] = []
    spec = 1
    for index, kind in enumerate(
        ("rectangle", "rectangle", "polygon", "polygon", "polyline", "points", "ellipse", "mask")
    ):
        attributes: list[tuple[int, tuple[str, ...]]] = []
        for count in range(index % 4):
            attributes.append((spec, values[(index + count) % len(values)]))
            spec += 1
        plain.append(_Label(id=index + 1, kind=kind, attributes=tuple(attributes)))
    skeletons: list[_Label] = []
    next_id = len(plain) + 1
    for size in (5, 17):  # a small skeleton and a COCO-like body of 17 key points
        label_id = next_id
        nodes = tuple(range(label_id + 1, label_id + 1 + size))
        next_id = label_id + 1 + size
        skeletons.append(
            _Label(id=label_id, kind="skeleton", attributes=((spec, values[0]),), nodes=nodes)
        )
        spec += 1
    return plain, skeletons


def _coordinate(rng: random.Random, limit: float) -> float:
    return rng.uniform(0.0, limit)


def _box(rng: random.Random) -> list[float]:
    x1, y1 = _coordinate(rng, WIDTH - 200), _coordinate(rng, HEIGHT - 200)
    return [x1, y1, x1 + rng.uniform(10, 200), y1 + rng.uniform(10, 200)]


def _path(rng: random.Random, count: int) -> list[float]:
    cx, cy = _coordinate(rng, WIDTH), _coordinate(rng, HEIGHT)
    points: list[float] = []
    for _ in range(count):
        points.append(min(WIDTH, max(0.0, cx + rng.uniform(-150, 150))))
        points.append(min(HEIGHT, max(0.0, cy + rng.uniform(-150, 150))))
    return points


def _mask(rng: random.Random) -> list[float]:
    """CVAT's mask ``points``: alternating run lengths over the box, then the box."""
    left, top = rng.randrange(0, int(WIDTH) - 120), rng.randrange(0, int(HEIGHT) - 120)
    width, height = rng.randrange(20, 120), rng.randrange(20, 120)
    total = width * height
    runs: list[float] = []
    covered = 0
    while covered < total and len(runs) < 300:
        run = min(total - covered, rng.randrange(1, 3 * width))
        runs.append(float(run))
        covered += run
    if covered < total:
        runs.append(float(total - covered))
    return [*runs, float(left), float(top), float(left + width - 1), float(top + height - 1)]


def _points_of(rng: random.Random, kind: str) -> list[float]:
    if kind in ("rectangle", "ellipse"):
        return _box(rng)
    if kind == "polygon":
        return _path(rng, rng.randrange(3, 16))
    if kind == "polyline":
        return _path(rng, rng.randrange(2, 12))
    if kind == "points":
        return _path(rng, rng.randrange(1, 6))
    if kind == "mask":
        return _mask(rng)
    return []


def _attributes(rng: random.Random, label: _Label) -> list[JsonDict]:
    return [{"spec_id": spec, "value": rng.choice(choices)} for spec, choices in label.attributes]


class _Ids:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    def next(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value


def _shape(
    rng: random.Random, ids: _Ids, label_id: int, kind: str, frame: int, group: int
) -> JsonDict:
    return {
        "id": ids.next("shape"),
        "label_id": label_id,
        "type": kind,
        "frame": frame,
        "group": group,
        "source": "manual" if rng.random() < 0.8 else rng.choice(("auto", "semi-auto")),
        "occluded": rng.random() < 0.1,
        "outside": False,
        "z_order": rng.randrange(0, 3),
        "rotation": rng.uniform(0, 360)
        if kind in ("rectangle", "ellipse") and rng.random() < 0.2
        else 0.0,
        "points": _points_of(rng, kind),
        "score": 1.0,
    }


def _labeled_shape(
    rng: random.Random, ids: _Ids, plain: list[_Label], skeletons: list[_Label], frame: int
) -> JsonDict:
    group = rng.randrange(1, 50) if rng.random() < 0.1 else 0
    if rng.random() < 0.03:
        skeleton = rng.choice(skeletons)
        shape = _shape(rng, ids, skeleton.id, "skeleton", frame, group)
        shape["attributes"] = _attributes(rng, skeleton)
        elements: list[JsonDict] = []
        for node in skeleton.nodes:
            element = _shape(rng, ids, node, "points", frame, group)
            element["points"] = _path(rng, 1)
            element["outside"] = rng.random() < 0.1
            element["attributes"] = []
            elements.append(element)
        shape["elements"] = elements
        return shape
    label = rng.choice(plain)
    shape = _shape(rng, ids, label.id, label.kind, frame, group)
    shape["attributes"] = _attributes(rng, label)
    shape["elements"] = []
    return shape


def _keyframes(
    rng: random.Random, ids: _Ids, kind: str, label: _Label | None, start: int, count: int
) -> list[JsonDict]:
    shapes: list[JsonDict] = []
    frame = start
    for index in range(count):
        shapes.append(
            {
                "id": ids.next("tracked_shape"),
                "type": kind,
                "frame": frame,
                "occluded": rng.random() < 0.1,
                "outside": index == count - 1,
                "z_order": 0,
                "rotation": 0.0,
                "points": _points_of(rng, kind),
                "attributes": _attributes(rng, label) if label is not None else [],
            }
        )
        frame += rng.randrange(1, 10)
    return shapes


def _track(
    rng: random.Random,
    ids: _Ids,
    plain: list[_Label],
    skeletons: list[_Label],
    frames: int,
    keyframes: int,
) -> JsonDict:
    start = rng.randrange(0, max(1, frames - 10 * keyframes))
    group = rng.randrange(1, 50) if rng.random() < 0.1 else 0
    if rng.random() < 0.02:
        skeleton = rng.choice(skeletons)
        elements: list[JsonDict] = []
        for node in skeleton.nodes:
            elements.append(
                {
                    "id": ids.next("track"),
                    "label_id": node,
                    "frame": start,
                    "group": group,
                    "source": "manual",
                    "shapes": _keyframes(rng, ids, "points", None, start, keyframes),
                    "attributes": [],
                }
            )
        return {
            "id": ids.next("track"),
            "label_id": skeleton.id,
            "frame": start,
            "group": group,
            "source": "manual",
            "shapes": _keyframes(rng, ids, "skeleton", None, start, keyframes),
            "attributes": _attributes(rng, skeleton),
            "elements": elements,
        }
    label = rng.choice([label for label in plain if label.kind != "mask"])
    return {
        "id": ids.next("track"),
        "label_id": label.id,
        "frame": start,
        "group": group,
        "source": "manual" if rng.random() < 0.8 else "semi-auto",
        "shapes": _keyframes(rng, ids, label.kind, label, start, keyframes),
        "attributes": _attributes(rng, label),
        "elements": [],
    }


def labeled_data(sizes: Sizes = Sizes(), seed: int = SEED) -> JsonDict:
    """The annotations of one large job, as plain JSON values."""
    rng = random.Random(seed)
    ids = _Ids()
    plain, skeletons = _labels()
    tags: list[JsonDict] = []
    for _ in range(sizes.tags):
        label = rng.choice(plain)
        tags.append(
            {
                "id": ids.next("tag"),
                "label_id": label.id,
                "frame": rng.randrange(0, sizes.frames),
                "group": 0,
                "source": "manual",
                "attributes": _attributes(rng, label),
            }
        )
    frames = sorted(rng.randrange(0, sizes.frames) for _ in range(sizes.shapes))
    shapes = [_labeled_shape(rng, ids, plain, skeletons, frame) for frame in frames]
    tracks = [
        _track(rng, ids, plain, skeletons, sizes.frames, sizes.keyframes)
        for _ in range(sizes.tracks)
    ]
    tags.sort(key=lambda tag: (tag["frame"], tag["id"]))
    return {"version": 0, "tags": tags, "shapes": shapes, "tracks": tracks}


def payload(sizes: Sizes = Sizes(), seed: int = SEED) -> bytes:
    """:func:`labeled_data` as the compact JSON bytes CVAT sends."""
    return json.dumps(labeled_data(sizes, seed), separators=(",", ":")).encode()
