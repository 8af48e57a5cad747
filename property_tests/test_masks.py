"""cvatfn.masks: encoding round-trips, is canonical, and never raises on any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from cvatfn import masks
from cvatfn.errors import InvalidInput


@st.composite
def bitmaps(draw: st.DrawFn) -> list[list[bool]]:
    height = draw(st.integers(1, 12))
    width = draw(st.integers(1, 12))
    row = st.lists(st.booleans(), min_size=width, max_size=width)
    return draw(st.lists(row, min_size=height, max_size=height))


@given(bitmaps())
def test_encode_then_decode_gives_the_bitmap_back(bitmap: list[list[bool]]) -> None:
    points = masks.encode(bitmap).unwrap()
    mask = masks.decode(points).unwrap()
    whole = masks.to_bitmap(mask, image_width=len(bitmap[0]), image_height=len(bitmap))
    assert whole == Success(tuple(tuple(row) for row in bitmap))


@given(bitmaps())
def test_encoding_is_canonical_and_tight(bitmap: list[list[bool]]) -> None:
    *runs, left, top, right, bottom = masks.encode(bitmap).unwrap()
    assert all(run > 0 for run in runs[1:])  # only the first run may be empty
    assert sum(runs) == (right - left + 1) * (bottom - top + 1)
    if any(any(row) for row in bitmap):
        box = [row[int(left) : int(right) + 1] for row in bitmap[int(top) : int(bottom) + 1]]
        assert any(box[0]) and any(box[-1])  # the box's edges touch set pixels
        assert any(row[0] for row in box) and any(row[-1] for row in box)
        assert sum(map(sum, box)) == sum(map(sum, bitmap))  # nothing set outside it
    else:
        assert (runs, left, top, right, bottom) == ([1], 0, 0, 0, 0)


@given(bitmaps(), st.integers(0, 50), st.integers(0, 50))
def test_a_mask_round_trips_through_its_points(rows: list[list[bool]], left: int, top: int) -> None:
    mask = masks.Mask(left=left, top=top, rows=tuple(tuple(row) for row in rows))
    assert masks.decode(masks.to_points(mask).unwrap()) == Success(mask)


numbers = st.one_of(
    st.integers(-3, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 2.0, True, None, "1"]),
)


@given(st.lists(numbers, max_size=12))
def test_decode_never_raises(points: list[object]) -> None:
    result: Result[masks.Mask, object] = masks.decode(points)  # type: ignore[arg-type]
    match result:
        case Success(masks.Mask() as mask):
            assert masks.to_points(mask).unwrap()[-4:] == tuple(float(p) for p in points[-4:])  # type: ignore[arg-type]
        case Failure(InvalidInput()):
            pass
        case _:
            raise AssertionError(result)


@given(
    st.lists(st.lists(st.sampled_from([0, 1, 2, True, None, "x"]), max_size=4), max_size=4),
    st.none() | st.lists(st.floats(-2, 6) | st.integers(-2, 6), max_size=5),
)
def test_encode_never_raises(bitmap: list[list[object]], bbox: list[float] | None) -> None:
    result = masks.encode(bitmap, bbox=bbox)  # type: ignore[arg-type]
    assert isinstance(result, Success | Failure)
    if isinstance(result, Failure):
        assert isinstance(result.failure(), InvalidInput)
