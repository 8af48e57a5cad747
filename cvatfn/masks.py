"""CVAT's mask encoding, in plain Python: bitmaps to ``points`` and back.

Theory of operation
-------------------
A shape of type ``"mask"`` keeps its pixels in ``points`` as run lengths followed by a box::

    [r0, r1, r2, ..., rn, left, top, right, bottom]

* ``left, top, right, bottom`` is the box in image pixels, inclusive on every side: a mask of
  one pixel at (3, 4) has the box ``3, 4, 3, 4``, and the box is
  ``right - left + 1`` pixels wide and ``bottom - top + 1`` pixels high;
* ``r0 ... rn`` are the lengths of the runs of equal pixels inside the box, read row by row
  (row-major, left to right, top to bottom), alternating between background and foreground and
  starting with background: when the top-left pixel of the box is set, ``r0`` is ``0``;
* the runs add up to the number of pixels in the box.

This is what CVAT's server, its web UI and ``cvat_sdk.masks`` write and read (the server reads
the runs as a COCO run-length encoding of the transposed box, which is the same thing). A
mask that is not all background is written with the tightest box around its set pixels; an
all-background bitmap is written, as ``cvat_sdk.masks.encode_mask`` does, as one background
pixel at (0, 0): ``[1, 0, 0, 0, 0]``.

A :class:`Mask` is the decoded value: the box's ``left`` and ``top`` and its ``rows`` of
booleans. A bitmap is any rectangular sequence of rows of ``bool`` (or ``0``/``1``); nothing
here needs numpy (give a numpy array as ``array.tolist()``). Every function returns a
``Result``: a malformed bitmap, box or run-length list is an
:class:`~cvatfn.errors.InvalidInput` failure naming what is wrong, never an exception.

Examples:
    >>> from cvatfn import masks
    >>> bitmap = [
    ...     [0, 0, 0, 0],
    ...     [0, 1, 1, 0],
    ...     [0, 0, 1, 0],
    ... ]
    >>> masks.encode(bitmap).unwrap()  # box x 1..2, y 1..2: set, set, unset, set
    (0.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0)
    >>> mask = masks.decode([0, 2, 1, 1, 1, 1, 2, 2]).unwrap()
    >>> (mask.left, mask.top, mask.width, mask.height, mask.rows)
    (1, 1, 2, 2, ((True, True), (False, True)))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, TypeAlias, cast

import msgspec
from returns.result import Failure, Result, Success

from cvatfn.errors import CvatError, InvalidInput
from cvatfn.models import AttributeVal, LabeledShape, ShapeType

__all__ = [
    "MAX_PIXELS",
    "Bitmap",
    "Mask",
    "decode",
    "encode",
    "from_bitmap",
    "from_shape",
    "to_bitmap",
    "to_points",
    "to_shape",
]

MAX_PIXELS = 2**26
"""The largest box (or image) these helpers expand into booleans, 67 million pixels: more
would take gigabytes as Python objects, so it is refused as ``InvalidInput`` instead."""

Bitmap: TypeAlias = tuple[tuple[bool, ...], ...]
"""A decoded bitmap: rows of booleans, top to bottom."""

_BITS = frozenset({0, 1})  # True == 1 and False == 0, so booleans are members too


class Mask(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A mask: the box's top-left corner in the image and the box's pixels, row by row.

    ``rows`` has one tuple per row of the box, each ``width`` booleans long. ``right`` and
    ``bottom`` are inclusive, as in CVAT's encoding.

    Examples:
        >>> m = Mask(left=3, top=4, rows=((True, False), (True, True)))
        >>> (m.width, m.height, m.right, m.bottom, m.area)
        (2, 2, 4, 5, 3)
    """

    left: int
    top: int
    rows: Bitmap

    @property
    def width(self) -> int:
        """Pixels per row of the box."""
        return len(self.rows[0]) if self.rows else 0

    @property
    def height(self) -> int:
        """Rows in the box."""
        return len(self.rows)

    @property
    def right(self) -> int:
        """The box's last column (inclusive)."""
        return self.left + self.width - 1

    @property
    def bottom(self) -> int:
        """The box's last row (inclusive)."""
        return self.top + self.height - 1

    @property
    def area(self) -> int:
        """How many pixels are set."""
        return sum(sum(row) for row in self.rows)


def _invalid(message: str, field: str) -> Failure[InvalidInput]:
    return Failure(InvalidInput(message=message, field=field))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bitmap(bitmap: object, what: str) -> Result[Sequence[Sequence[object]], CvatError]:
    """A non-empty, rectangular sequence of rows of booleans or 0/1."""
    if isinstance(bitmap, str | bytes) or not isinstance(bitmap, Sequence):
        return _invalid(f"{what} must be a sequence of rows", what)
    rows: Sequence[object] = bitmap  # pyright: ignore[reportUnknownVariableType]
    if not rows:
        return _invalid(f"{what} has no rows", what)
    width: int | None = None
    checked: list[Sequence[object]] = []
    for y, row in enumerate(rows):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence):
            return _invalid(f"{what}[{y}] must be a sequence of pixels", f"{what}[{y}]")
        pixels: Sequence[object] = row  # pyright: ignore[reportUnknownVariableType]
        if width is None:
            width = len(pixels)
            if width == 0:
                return _invalid(f"{what}[0] has no pixels", f"{what}[0]")
        elif len(pixels) != width:
            return _invalid(
                f"{what} is not rectangular: row {y} has {len(pixels)} pixels, row 0 has {width}",
                f"{what}[{y}]",
            )
        try:
            ok = set(pixels) <= _BITS
        except TypeError:
            ok = False
        if not ok:
            x = next(i for i, value in enumerate(pixels) if not _is_bit(value))
            return _invalid(
                f"{what}[{y}][{x}] must be a bool or 0/1, not {pixels[x]!r}", f"{what}[{y}][{x}]"
            )
        checked.append(pixels)
    return Success(checked)


def _is_bit(value: object) -> bool:
    try:
        return value in _BITS
    except TypeError:
        return False


def _first_set(row: Sequence[object]) -> int | None:
    return next((x for x, value in enumerate(row) if value), None)


def _tight_box(rows: Sequence[Sequence[object]]) -> tuple[int, int, int, int] | None:
    """``(x1, y1, x2, y2)``, end exclusive, around the set pixels; ``None`` if there are none."""
    set_rows = [y for y, row in enumerate(rows) if any(row)]
    if not set_rows:
        return None
    width = len(rows[0])
    x1 = width
    x2 = 0
    for y in set_rows:
        row = rows[y]
        first = _first_set(row)
        last = _first_set(row[::-1])
        assert first is not None  # the row has a set pixel
        assert last is not None
        x1 = min(x1, first)
        x2 = max(x2, width - last)
    return x1, set_rows[0], x2, set_rows[-1] + 1


def _check_bbox(
    bbox: object, width: int, height: int
) -> Result[tuple[int, int, int, int], CvatError]:
    if isinstance(bbox, str | bytes) or not isinstance(bbox, Sequence):
        return _invalid("bbox must be a sequence [x1, y1, x2, y2]", "bbox")
    values: Sequence[object] = bbox  # pyright: ignore[reportUnknownVariableType]
    if len(values) != 4:
        return _invalid(f"bbox must have 4 numbers [x1, y1, x2, y2], not {len(values)}", "bbox")
    numbers: list[float] = []
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _invalid(f"bbox[{index}] must be a number, not {value!r}", f"bbox[{index}]")
        if not math.isfinite(value):
            return _invalid(f"bbox[{index}] must be finite, not {value!r}", f"bbox[{index}]")
        numbers.append(value)
    x1, y1 = math.floor(numbers[0]), math.floor(numbers[1])
    x2, y2 = math.ceil(numbers[2]), math.ceil(numbers[3])
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
        return _invalid(
            f"bbox {list(numbers)} must satisfy 0 <= x1 < x2 <= {width} (the bitmap's width) "
            f"and 0 <= y1 < y2 <= {height} (its height)",
            "bbox",
        )
    return Success((x1, y1, x2, y2))


def from_bitmap(
    bitmap: Sequence[Sequence[bool | int]], /, *, bbox: Sequence[float] | None = None
) -> Result[Mask, CvatError]:
    """The :class:`Mask` of a whole-image bitmap (one row per image row).

    Without ``bbox`` the box is the tightest one around the set pixels (one background pixel
    at (0, 0) if none is set). ``bbox`` is ``[x1, y1, x2, y2]`` with the end exclusive
    (``x1 <= x < x2``), as in ``cvat_sdk.masks.encode_mask``; fractional values are widened to
    whole pixels.

    Examples:
        >>> from_bitmap([[0, 0, 0], [0, 1, 1]]).unwrap()
        Mask(left=1, top=1, rows=((True, True),))
        >>> from_bitmap([[0, 0, 0], [0, 1, 1]], bbox=[0, 0, 2, 2]).unwrap().rows
        ((False, False), (False, True))
        >>> from_bitmap([[0, 1], [1]]).failure().field
        'bitmap[1]'
    """
    checked = _check_bitmap(bitmap, "bitmap")
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    rows = checked.unwrap()
    width, height = len(rows[0]), len(rows)
    if bbox is None:
        box = _tight_box(rows) or (0, 0, 1, 1)
    else:
        fitted = _check_bbox(bbox, width, height)
        if isinstance(fitted, Failure):
            return Failure(fitted.failure())
        box = fitted.unwrap()
    x1, y1, x2, y2 = box
    cropped = tuple(tuple(bool(value) for value in rows[y][x1:x2]) for y in range(y1, y2))
    return Success(Mask(left=x1, top=y1, rows=cropped))


def _check_mask(mask: object) -> Result[Mask, CvatError]:
    if not isinstance(mask, Mask):
        return _invalid(f"mask must be a Mask, not {type(mask).__name__}", "mask")
    if not (_is_int(mask.left) and _is_int(mask.top)) or mask.left < 0 or mask.top < 0:
        return _invalid(
            f"a mask's left and top must be non-negative ints, not {mask.left!r}, {mask.top!r}",
            "mask.left" if not (_is_int(mask.left) and mask.left >= 0) else "mask.top",
        )
    checked = _check_bitmap(mask.rows, "mask.rows")
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    return Success(mask)


def to_points(mask: Mask, /) -> Result[tuple[float, ...], CvatError]:
    """CVAT's ``points`` for ``mask``: its runs, then ``left, top, right, bottom``.

    The box is the mask's own (it is not tightened).

    Examples:
        >>> to_points(Mask(left=5, top=0, rows=((True, False, True),))).unwrap()
        (0.0, 1.0, 1.0, 1.0, 5.0, 0.0, 7.0, 0.0)
        >>> to_points(Mask(left=0, top=0, rows=())).failure().field
        'mask.rows'
    """
    checked = _check_mask(mask)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    runs: list[float] = []
    expected = False  # the first run is background
    for value, group in itertools.groupby(itertools.chain.from_iterable(mask.rows), key=bool):
        if value != expected:
            runs.append(0.0)
        runs.append(float(sum(1 for _ in group)))
        expected = not value
    return Success(
        (*runs, float(mask.left), float(mask.top), float(mask.right), float(mask.bottom))
    )


def encode(
    bitmap: Sequence[Sequence[bool | int]], /, *, bbox: Sequence[float] | None = None
) -> Result[tuple[float, ...], CvatError]:
    """CVAT's ``points`` for a whole-image bitmap: :func:`from_bitmap` then :func:`to_points`.

    The pure-Python counterpart of ``cvat_sdk.masks.encode_mask(bitmap, bbox)``.

    Examples:
        >>> encode([[1, 1], [1, 0]]).unwrap()
        (0.0, 3.0, 1.0, 0.0, 0.0, 1.0, 1.0)
        >>> encode([[0, 0], [0, 0]]).unwrap()  # nothing set: one background pixel
        (1.0, 0.0, 0.0, 0.0, 0.0)
        >>> encode([[0, 2]]).failure().field
        'bitmap[0][1]'
    """
    mask = from_bitmap(bitmap, bbox=bbox)
    if isinstance(mask, Failure):
        return Failure(mask.failure())
    return to_points(mask.unwrap())


def _whole(value: object, index: int) -> Result[int, CvatError]:
    if _is_int(value):
        whole = value
    elif isinstance(value, float) and value.is_integer():
        whole = int(value)
    else:
        return _invalid(
            f"points[{index}] must be a whole number, not {value!r}", f"points[{index}]"
        )
    assert isinstance(whole, int)
    if whole < 0:
        return _invalid(f"points[{index}] must not be negative, not {value!r}", f"points[{index}]")
    return Success(whole)


def decode(points: Sequence[float], /) -> Result[Mask, CvatError]:
    """The :class:`Mask` that CVAT's ``points`` describe.

    Fails with ``InvalidInput`` when there are fewer than five numbers, a number is negative or
    not whole, the box is inverted, or the runs do not add up to the box's pixel count.

    Examples:
        >>> decode([0, 1, 1, 1, 5, 0, 7, 0]).unwrap()
        Mask(left=5, top=0, rows=((True, False, True),))
        >>> decode([2, 1, 0, 0, 1, 1]).failure().message
        'the runs cover 3 pixels but the box 0, 0, 1, 1 has 4'
        >>> decode([1, 2]).failure().field
        'points'
    """
    given = cast(object, points)  # callers are not always type-checked
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        return _invalid("points must be a sequence of numbers", "points")
    values: Sequence[object] = given  # pyright: ignore[reportUnknownVariableType]
    if len(values) < 5:
        return _invalid(
            f"a mask needs at least one run and a box (5 numbers), not {len(values)}", "points"
        )
    numbers: list[int] = []
    for index, value in enumerate(values):
        whole = _whole(value, index)
        if isinstance(whole, Failure):
            return Failure(whole.failure())
        numbers.append(whole.unwrap())
    *runs, left, top, right, bottom = numbers
    if right < left or bottom < top:
        return _invalid(
            f"the box {left}, {top}, {right}, {bottom} is inverted: right < left or bottom < top",
            "points",
        )
    width, height = right - left + 1, bottom - top + 1
    if width * height > MAX_PIXELS:
        return _invalid(
            f"the box {left}, {top}, {right}, {bottom} has {width * height} pixels, more than "
            f"MAX_PIXELS ({MAX_PIXELS})",
            "points",
        )
    if sum(runs) != width * height:
        return _invalid(
            f"the runs cover {sum(runs)} pixels but the box {left}, {top}, {right}, {bottom} "
            f"has {width * height}",
            "points",
        )
    flat: list[bool] = []
    value = False
    for run in runs:
        flat.extend(itertools.repeat(value, run))
        value = not value
    rows = tuple(tuple(flat[y * width : (y + 1) * width]) for y in range(height))
    return Success(Mask(left=left, top=top, rows=rows))


def to_bitmap(mask: Mask, /, *, image_width: int, image_height: int) -> Result[Bitmap, CvatError]:
    """The whole-image bitmap of ``mask``, ``image_height`` rows of ``image_width`` booleans.

    The counterpart of ``cvat_sdk.masks.decode_mask``. A mask that does not fit in the image is
    ``InvalidInput``.

    Examples:
        >>> to_bitmap(Mask(left=1, top=0, rows=((True,),)), image_width=3, image_height=2).unwrap()
        ((False, True, False), (False, False, False))
        >>> to_bitmap(Mask(left=3, top=0, rows=((True,),)), image_width=3, image_height=2
        ...           ).failure().field
        'image_width'
    """
    checked = _check_mask(mask)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    for name, size in (("image_width", image_width), ("image_height", image_height)):
        if not _is_int(size) or size <= 0:
            return _invalid(f"{name} must be a positive int, not {size!r}", name)
    if image_width * image_height > MAX_PIXELS:
        return _invalid(
            f"an image of {image_width} x {image_height} pixels is more than MAX_PIXELS "
            f"({MAX_PIXELS})",
            "image_width",
        )
    if mask.right >= image_width:
        return _invalid(
            f"the mask reaches column {mask.right}, outside an image {image_width} wide",
            "image_width",
        )
    if mask.bottom >= image_height:
        return _invalid(
            f"the mask reaches row {mask.bottom}, outside an image {image_height} high",
            "image_height",
        )
    blank = (False,) * image_width
    before = (False,) * mask.left
    after = (False,) * (image_width - mask.right - 1)
    rows: list[tuple[bool, ...]] = [blank] * image_height
    for offset, row in enumerate(mask.rows):
        rows[mask.top + offset] = before + tuple(row) + after
    return Success(tuple(rows))


_SHAPE_DEFAULTS: dict[str, Any] = {
    field.name: field.default for field in msgspec.structs.fields(LabeledShape)
}


def to_shape(
    mask: Mask,
    /,
    *,
    frame: int,
    label_id: int,
    group: int | None = 0,
    source: str = "manual",
    occluded: bool = False,
    z_order: int = 0,
    score: float = 1.0,
    attributes: Sequence[AttributeVal] = (),
) -> Result[LabeledShape, CvatError]:
    """A new ``LabeledShape`` of type ``mask`` (no id yet) holding ``mask``.

    Examples:
        >>> shape = to_shape(Mask(left=0, top=0, rows=((True,),)), frame=2, label_id=7).unwrap()
        >>> (shape.type, shape.frame, shape.label_id, shape.points)
        ('mask', 2, 7, (0.0, 1.0, 0.0, 0.0, 0.0, 0.0))
    """
    points = to_points(mask)
    if isinstance(points, Failure):
        return Failure(points.failure())
    # Only values that differ from the model's defaults are passed, so that encoding leaves
    # the defaults out (msgspec recognises a default by identity, not by equality).
    given: dict[str, Any] = {
        "group": group,
        "source": source,
        "occluded": occluded,
        "z_order": z_order,
        "score": score,
        "attributes": tuple(attributes),
    }
    defaults = _SHAPE_DEFAULTS
    fields = {name: value for name, value in given.items() if value != defaults[name]}
    return Success(
        LabeledShape(
            type=ShapeType.MASK.value,
            frame=frame,
            label_id=label_id,
            points=points.unwrap(),
            **fields,
        )
    )


def from_shape(shape: LabeledShape, /) -> Result[Mask, CvatError]:
    """The :class:`Mask` of a shape of type ``mask``; any other shape is ``InvalidInput``.

    Examples:
        >>> box = LabeledShape(type="rectangle", frame=0, label_id=1, points=(0, 0, 2, 2))
        >>> from_shape(box).failure().field
        'type'
        >>> from_shape(to_shape(Mask(left=4, top=4, rows=((False, True),)), frame=0,
        ...                     label_id=1).unwrap()).unwrap()
        Mask(left=4, top=4, rows=((False, True),))
    """
    given = cast(object, shape)  # callers are not always type-checked
    if not isinstance(given, LabeledShape):
        return _invalid(f"shape must be a LabeledShape, not {type(given).__name__}", "shape")
    if shape.type != ShapeType.MASK:
        return _invalid(f"the shape is a {shape.type}, not a mask", "type")
    return decode(shape.points)
