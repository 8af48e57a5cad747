"""cvatfn.masks against hand-worked examples, CVAT's own masks, and cvat_sdk.masks.

In the pictures ``#`` is a set pixel and ``.`` a background one; every expected ``points`` was
worked out by hand from CVAT's rule: runs over the box, row by row, background first, then the
inclusive box ``left, top, right, bottom``.
"""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest
from returns.result import Failure, Success

from cvatfn import masks
from cvatfn.errors import InvalidInput
from cvatfn.masks import Mask
from cvatfn.models import AttributeVal, LabeledData, LabeledShape
from tests.models.conftest import ASSETS_DIR


def field(result: Any) -> str | None:
    """The ``field`` of an ``InvalidInput`` failure (fails the test on anything else)."""
    match result:
        case Failure(InvalidInput(field=name)):
            return name
        case other:
            raise AssertionError(other)


def picture(text: str) -> list[list[int]]:
    return [[1 if c == "#" else 0 for c in line.split()] for line in text.strip().splitlines()]


HAND_CHECKED: list[tuple[str, list[int]]] = [
    # the module's example: box x 1..2, y 1..2 holds "##" then ".#"
    (
        """
        . . . .
        . # # .
        . . # .
        """,
        [0, 2, 1, 1, 1, 1, 2, 2],
    ),
    # all set: a zero-length background run first
    (
        """
        # # #
        # # #
        """,
        [0, 6, 0, 0, 2, 1],
    ),
    # a chequerboard: every run is one pixel, the row break does not end a run
    (
        """
        # . #
        . # .
        """,
        [0, 1, 1, 1, 1, 1, 1, 0, 0, 2, 1],
    ),
    # one pixel at (3, 4): the box is that pixel, inclusive on every side
    (
        """
        . . . . . .
        . . . . . .
        . . . . . .
        . . . . . .
        . . . # . .
        """,
        [0, 1, 3, 4, 3, 4],
    ),
    # a run that wraps from one row of the box into the next
    (
        """
        . . . . .
        . . . # #
        # # . . .
        """,
        [3, 4, 3, 0, 1, 4, 2],
    ),
    # the box is tight: the empty border rows and columns are not in it
    (
        """
        . . . . .
        . # . # .
        . . . . .
        """,
        [0, 1, 1, 1, 1, 1, 3, 1],
    ),
]


@pytest.mark.parametrize(("text", "points"), HAND_CHECKED)
def test_encode_hand_checked(text: str, points: list[int]) -> None:
    assert masks.encode(picture(text)) == Success(tuple(float(p) for p in points))


@pytest.mark.parametrize(("text", "points"), HAND_CHECKED)
def test_decode_hand_checked(text: str, points: list[int]) -> None:
    bitmap = picture(text)
    mask = masks.decode(points).unwrap()
    *_, left, top, right, bottom = points
    assert (mask.left, mask.top, mask.right, mask.bottom) == (left, top, right, bottom)
    assert mask.rows == tuple(
        tuple(bool(v) for v in row[left : right + 1]) for row in bitmap[top : bottom + 1]
    )
    whole = masks.to_bitmap(mask, image_width=len(bitmap[0]), image_height=len(bitmap))
    assert whole == Success(tuple(tuple(bool(v) for v in row) for row in bitmap))


def test_booleans_and_ints_are_the_same_bitmap() -> None:
    as_ints = picture("# .\n. #")
    as_bools = [[bool(v) for v in row] for row in as_ints]
    assert masks.encode(as_bools) == masks.encode(as_ints) == Success((0.0, 1, 2, 1, 0, 0, 1, 1))


def test_an_empty_bitmap_is_one_background_pixel_like_cvat_sdk() -> None:
    assert masks.encode([[0, 0], [0, 0]]) == Success((1.0, 0.0, 0.0, 0.0, 0.0))
    assert masks.decode([1, 0, 0, 0, 0]).unwrap().area == 0


def test_bbox_is_end_exclusive_and_widened_to_whole_pixels() -> None:
    bitmap = picture(". . .\n. # #")
    # [0, 0, 2, 2] keeps x 0..1, y 0..1: ". ." then ". #"
    assert masks.encode(bitmap, bbox=[0, 0, 2, 2]) == Success((3.0, 1.0, 0.0, 0.0, 1.0, 1.0))
    assert masks.encode(bitmap, bbox=[0.5, 0.2, 1.5, 1.9]) == masks.encode(
        bitmap, bbox=[0, 0, 2, 2]
    )
    # a box larger than the set pixels is kept as given (not tightened)
    assert masks.encode(bitmap, bbox=[0, 0, 3, 2]) == Success((4.0, 2.0, 0.0, 0.0, 2.0, 1.0))


def test_to_points_keeps_the_mask_box() -> None:
    mask = Mask(left=10, top=20, rows=((False, False), (False, True)))
    assert masks.to_points(mask) == Success((3.0, 1.0, 10.0, 20.0, 11.0, 21.0))
    assert (mask.width, mask.height, mask.right, mask.bottom, mask.area) == (2, 2, 11, 21, 1)


def test_cvat_masks_round_trip_exactly() -> None:
    """Masks drawn in CVAT's UI and read back from a real server."""
    found = 0
    for by_id in json.loads((ASSETS_DIR / "annotations.json").read_bytes()).values():
        for raw in by_id.values():
            data = msgspec.json.decode(msgspec.json.encode(raw), type=LabeledData)
            for shape in data.shapes:
                if shape.type != "mask":
                    continue
                found += 1
                mask = masks.from_shape(shape).unwrap()
                assert mask.area > 0
                assert masks.to_points(mask) == Success(shape.points)
                right, bottom = mask.right, mask.bottom
                whole = masks.to_bitmap(mask, image_width=right + 3, image_height=bottom + 2)
                # CVAT's UI writes the tightest box, as encode does
                assert masks.encode(whole.unwrap()) == Success(shape.points)
    assert found == 4


@pytest.mark.parametrize(
    ("points", "where", "message"),
    [
        ([1, 0, 0, 0], "points", "at least one run"),
        ([], "points", "at least one run"),
        ([1.5, 0, 0, 0, 0], "points[0]", "whole number"),
        ([1, 0, 0, float("nan"), 0], "points[3]", "whole number"),
        ([-1, 2, 0, 0, 0, 0], "points[0]", "negative"),
        ([1, 0, 0, -1, 0], "points[3]", "negative"),
        ([1, 2, 0, 1, 0], "points", "inverted"),
        ([1, 0, 2, 0, 1], "points", "inverted"),
        ([2, 1, 0, 0, 1, 1], "points", "the runs cover 3 pixels but the box 0, 0, 1, 1 has 4"),
        ([1, 1, 0, 0, 0, 0], "points", "cover 2 pixels"),
        ([True, 0, 0, 0, 0], "points[0]", "whole number"),
        (["1", 0, 0, 0, 0], "points[0]", "whole number"),
        ("1 0 0 0 0", "points", "sequence"),
        (None, "points", "sequence"),
    ],
)
def test_invalid_rle_is_a_failure_value(points: Any, where: str, message: str) -> None:
    match masks.decode(points):
        case Failure(InvalidInput(field=got_field, message=got_message)):
            assert got_field == where
            assert message in got_message
        case other:
            raise AssertionError(other)


@pytest.mark.parametrize(
    ("bitmap", "bbox", "expected"),
    [
        ([], None, "bitmap"),
        ([[]], None, "bitmap[0]"),
        ([[0, 1], [1]], None, "bitmap[1]"),
        ([[0, 2]], None, "bitmap[0][1]"),
        ([[0, "1"]], None, "bitmap[0][1]"),
        ([[0, None]], None, "bitmap[0][1]"),
        ([[0, [1]]], None, "bitmap[0][1]"),
        (["01"], None, "bitmap[0]"),
        ("01", None, "bitmap"),
        ([[0, 1]], [0, 0, 3, 1], "bbox"),
        ([[0, 1]], [1, 0, 1, 1], "bbox"),
        ([[0, 1]], [0, 0, 1], "bbox"),
        ([[0, 1]], [0, 0, float("inf"), 1], "bbox[2]"),
        ([[0, 1]], [0, "0", 1, 1], "bbox[1]"),
        ([[0, 1]], "0011", "bbox"),
    ],
)
def test_invalid_bitmaps_and_boxes_are_failure_values(
    bitmap: Any, bbox: Any, expected: str
) -> None:
    assert field(masks.encode(bitmap, bbox=bbox)) == expected
    assert field(masks.from_bitmap(bitmap, bbox=bbox)) == expected


def test_invalid_masks_are_failure_values() -> None:
    assert field(masks.to_points(Mask(left=0, top=0, rows=()))) == "mask.rows"
    ragged = Mask(left=0, top=0, rows=((True,), (True, False)))
    assert field(masks.to_points(ragged)) == "mask.rows[1]"
    assert field(masks.to_points(Mask(left=-1, top=0, rows=((True,),)))) == "mask.left"
    assert field(masks.to_points(Mask(left=0, top=-2, rows=((True,),)))) == "mask.top"
    not_a_mask: Any = [[1]]
    assert field(masks.to_points(not_a_mask)) == "mask"
    assert field(masks.to_bitmap(ragged, image_width=5, image_height=5)) == "mask.rows[1]"


def test_to_bitmap_checks_the_image_size() -> None:
    mask = Mask(left=2, top=1, rows=((True, True),))
    assert masks.to_bitmap(mask, image_width=4, image_height=2) == Success(
        ((False,) * 4, (False, False, True, True))
    )
    for width, height, where in [
        (3, 2, "image_width"),
        (4, 1, "image_height"),
        (0, 2, "image_width"),
    ]:
        assert field(masks.to_bitmap(mask, image_width=width, image_height=height)) == where


def test_shapes() -> None:
    mask = Mask(left=1, top=1, rows=((True, False), (True, True)))
    shape = masks.to_shape(
        mask,
        frame=4,
        label_id=2,
        z_order=3,
        occluded=True,
        attributes=[AttributeVal(spec_id=5, value="x")],
    ).unwrap()
    assert isinstance(shape, LabeledShape)
    assert msgspec.json.decode(msgspec.json.encode(shape)) == {
        "type": "mask",
        "frame": 4,
        "label_id": 2,
        "points": [0.0, 1.0, 1.0, 2.0, 1.0, 1.0, 2.0, 2.0],
        "occluded": True,
        "z_order": 3,
        "attributes": [{"spec_id": 5, "value": "x"}],
    }
    assert masks.from_shape(shape) == Success(mask)
    polygon = LabeledShape(type="polygon", frame=0, label_id=1, points=(0, 0, 1, 1, 0, 1))
    assert field(masks.from_shape(polygon)) == "type"
    assert field(masks.to_shape(Mask(left=0, top=0, rows=()), frame=0, label_id=1)) == "mask.rows"
    not_a_shape: Any = {"type": "mask", "points": [1, 0, 0, 0, 0]}
    assert field(masks.from_shape(not_a_shape)) == "shape"


def _random_bitmap(rng: random.Random) -> list[list[bool]]:
    height, width = rng.randint(1, 9), rng.randint(1, 9)
    density = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0])
    return [[rng.random() < density for _ in range(width)] for _ in range(height)]


def test_agrees_with_cvat_sdk_masks() -> None:
    """The official SDK's numpy implementation (numpy and cvat-sdk are dev dependencies)."""
    import numpy as np
    from cvat_sdk import masks as sdk

    rng = random.Random(7)
    for _ in range(300):
        bitmap = _random_bitmap(rng)
        height, width = len(bitmap), len(bitmap[0])
        array = np.array(bitmap, dtype=bool)
        assert list(masks.encode(bitmap).unwrap()) == sdk.encode_mask(array)
        x1, y1 = rng.randrange(width), rng.randrange(height)
        box = [x1, y1, rng.randint(x1 + 1, width), rng.randint(y1 + 1, height)]
        points = sdk.encode_mask(array, bbox=box)
        assert list(masks.encode(bitmap, bbox=box).unwrap()) == points
        decoded = masks.to_bitmap(
            masks.decode(points).unwrap(), image_width=width, image_height=height
        ).unwrap()
        expected = sdk.decode_mask(points, image_width=width, image_height=height)
        assert decoded == tuple(tuple(bool(v) for v in row) for row in expected.tolist())


def test_boxes_and_images_beyond_max_pixels_are_refused_not_expanded() -> None:
    from cvatfn import masks

    huge = masks.decode([masks.MAX_PIXELS + 1, 0, 0, masks.MAX_PIXELS, 0])
    assert huge.failure().field == "points" and "MAX_PIXELS" in huge.failure().message
    mask = masks.decode([0, 1, 0, 0, 0, 0]).unwrap()  # no unset pixel, then one set
    wide = masks.to_bitmap(mask, image_width=2**20, image_height=2**20)
    assert wide.failure().field == "image_width"
    assert masks.to_bitmap(mask, image_width=1, image_height=1).unwrap() == ((True,),)
