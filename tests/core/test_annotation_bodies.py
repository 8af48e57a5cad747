"""The bodies ``set_annotations`` and ``update_annotations`` send, against a scripted server.

Whichever way the caller holds the annotations (a ``LabeledData`` as decoded or edited, new
objects without ids, a mapping of the same objects), what is sent is the annotations' own
encoding: fields left at their defaults stay out, nothing is added or lost. A bad value deep
inside a large ``LabeledData`` is refused by its path before anything is sent.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from msgspec import UNSET
from msgspec.structs import replace
from returns.result import Failure, Success

import cvatfn
from cvatfn.errors import InvalidInput
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import (
    LabeledData,
    LabeledImage,
    LabeledInterval,
    LabeledShape,
    LabeledTrack,
    ShapeType,
    TrackedShape,
)
from tests.benchmarks.payload import Sizes, payload
from tests.core.scripted import Scripted, about_server, json_response

SIZES = Sizes(shapes=400, tracks=12, keyframes=6, tags=30, frames=60)
DATA = msgspec.json.decode(payload(SIZES), type=LabeledData)
SMALL_ANSWER = {"version": 1, "tags": [], "shapes": [], "tracks": []}


class Server:
    """Answers ``PUT`` and ``PATCH`` with a small body; keeps what was sent after connecting."""

    def __init__(self) -> None:
        self.transport = Scripted(self._handle)
        self.session = cvatfn.connect("http://h", transport=self.transport).unwrap()
        self.transport.sent.clear()

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about_server()(request)
        return json_response(200, SMALL_ANSWER)

    def put(self, data: object) -> bytes | InvalidInput:
        """The body ``set_annotations`` sends, or the ``InvalidInput`` it returns."""
        self.transport.sent.clear()
        match cvatfn.jobs.set_annotations(self.session, 1, data):
            case Success(_):
                (request,) = self.transport.sent
                assert request.method == "PUT"
                return request.body
            case Failure(InvalidInput() as error):
                assert self.transport.sent == []
                return error
            case other:
                raise AssertionError(other)


@pytest.fixture
def server() -> Server:
    return Server()


def without_ids(data: LabeledData) -> LabeledData:
    """``data`` as new objects: every id (shapes, elements, tracks, keyframes, tags) UNSET."""

    def shape(item: Any) -> Any:
        elements = tuple(shape(e) for e in getattr(item, "elements", ()))
        keyframes = tuple(shape(s) for s in getattr(item, "shapes", ()))
        changes: dict[str, object] = {"id": UNSET}
        if elements:
            changes["elements"] = elements
        if keyframes:
            changes["shapes"] = keyframes
        return replace(item, **changes)

    return replace(
        data,
        tags=tuple(shape(t) for t in data.tags),
        shapes=tuple(shape(s) for s in data.shapes),
        tracks=tuple(shape(t) for t in data.tracks),
    )


def test_the_large_payload_has_every_kind_of_object() -> None:
    kinds = {shape.type for shape in DATA.shapes}
    assert kinds == {"rectangle", "polygon", "polyline", "points", "ellipse", "mask", "skeleton"}
    assert any(shape.elements for shape in DATA.shapes)
    assert any(shape.attributes for shape in DATA.shapes)
    assert any(track.elements for track in DATA.tracks) or len(DATA.tracks) < 50
    assert len(DATA.tags) == SIZES.tags


@pytest.mark.parametrize("ids", [True, False], ids=["with ids", "new objects"])
def test_a_labeled_data_is_sent_as_it_encodes(server: Server, ids: bool) -> None:
    data = DATA if ids else without_ids(DATA)
    sent = server.put(data)
    assert sent == msgspec.json.encode(data)
    assert msgspec.json.decode(sent, type=LabeledData) == data


def test_an_edited_labeled_data_is_sent_with_its_edits(server: Server) -> None:
    edited = replace(DATA, shapes=tuple(replace(s, label_id=s.label_id + 100) for s in DATA.shapes))
    sent = json.loads(server.put(edited))  # type: ignore[arg-type]
    assert [s["label_id"] for s in sent["shapes"]] == [s.label_id + 100 for s in DATA.shapes]
    assert len(sent["tracks"]) == len(DATA.tracks)
    assert len(sent["tags"]) == len(DATA.tags)


@pytest.mark.parametrize("ident", [7, UNSET], ids=["with ids", "new objects"])
def test_fields_left_at_their_defaults_are_left_out(server: Server, ident: Any) -> None:
    data = LabeledData(
        tags=(LabeledImage(label_id=1, frame=0, id=ident),),
        shapes=(
            LabeledShape(
                type=ShapeType.RECTANGLE, frame=0, label_id=3, points=(1.0, 2.0, 3.0, 4.0), id=ident
            ),
        ),
        tracks=(
            LabeledTrack(
                label_id=3,
                frame=0,
                id=ident,
                shapes=(
                    TrackedShape(type="rectangle", frame=0, points=(1.0, 2.0, 3.0, 4.0), id=ident),
                ),
            ),
        ),
        intervals=(LabeledInterval(label_id=1, start=0, stop=None, id=ident),),
    )
    id_ = {"id": 7} if ident == 7 else {}
    box = {"points": [1.0, 2.0, 3.0, 4.0], **id_}
    assert json.loads(server.put(data)) == {  # type: ignore[arg-type]
        "tags": [{"label_id": 1, "frame": 0, **id_}],
        "shapes": [{"type": "rectangle", "frame": 0, "label_id": 3, **box}],
        "tracks": [
            {
                "label_id": 3,
                "frame": 0,
                "shapes": [{"type": "rectangle", "frame": 0, **box}],
                **id_,
            }
        ],
        "intervals": [{"label_id": 1, "start": 0, "stop": None, **id_}],
    }


class Frame(enum.IntEnum):
    FIRST = 0


class Colour(enum.Enum):
    RED = "red"


BOX: dict[str, Any] = {
    "type": "rectangle",
    "frame": 0,
    "label_id": 3,
    "points": (1.0, 2.0, 3.0, 4.0),
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"id": 4},
        {"id": None},
        {"points": (1, 2, 3, 4)},
        {"points": [1.5, 2.5]},
        {"points": (Decimal("1.5"),)},
        {"frame": Frame.FIRST},
        {"type": ShapeType.MASK},
        {"rotation": 360},
        {"group": None},
        {"id": True},
        {"id": "4"},
        {"id": Frame.FIRST},
        {"id": 4, "rotation": 361.0},
        {"id": 4, "frame": -1},
        {"id": 4, "type": "box"},
        {"id": 4, "source": ""},
        {"id": 4, "label_id": "3"},
        {"id": 4, "occluded": 1},
        {"id": 4, "points": (1.0, "2")},
        {"id": 4, "points": (object(),)},
        {"source": Colour.RED},
        {"id": 4, "source": Colour.RED},
    ],
    ids=repr,
)
def test_a_labeled_data_and_a_mapping_of_it_are_sent_alike(
    server: Server, changes: dict[str, Any]
) -> None:
    shape = LabeledShape(**{**BOX, **changes})
    as_struct = server.put(LabeledData(shapes=(shape,)))
    as_mapping = server.put({"shapes": [shape]})
    as_plain = server.put({"shapes": [{**BOX, **changes}]})
    assert as_struct == as_mapping
    if isinstance(as_struct, InvalidInput):
        assert isinstance(as_plain, InvalidInput)
        assert as_struct.field == as_plain.field
        assert (as_struct.field or "").startswith("shapes[0]")
    else:
        assert isinstance(as_plain, bytes)
        assert json.loads(as_struct) == json.loads(as_plain)


def _skeleton() -> int:
    return next(i for i, s in enumerate(DATA.shapes) if len(s.elements) > 2)


def _with_attributes() -> int:
    return next(i for i, s in enumerate(DATA.shapes) if s.attributes)


def _shape(index: int, **changes: Any) -> Callable[[LabeledData], LabeledData]:
    def change(data: LabeledData) -> LabeledData:
        shapes = list(data.shapes)
        shapes[index] = replace(shapes[index], **changes)
        return replace(data, shapes=tuple(shapes))

    return change


def _element(index: int, element: int, **changes: Any) -> Callable[[LabeledData], LabeledData]:
    def change(data: LabeledData) -> LabeledData:
        elements = list(data.shapes[index].elements)
        elements[element] = replace(elements[element], **changes)
        return _shape(index, elements=tuple(elements))(data)

    return change


def _keyframe(track: int, shape: int, **changes: Any) -> Callable[[LabeledData], LabeledData]:
    def change(data: LabeledData) -> LabeledData:
        tracks = list(data.tracks)
        keyframes = list(tracks[track].shapes)
        keyframes[shape] = replace(keyframes[shape], **changes)
        tracks[track] = replace(tracks[track], shapes=tuple(keyframes))
        return replace(data, tracks=tuple(tracks))

    return change


def _tag(index: int, **changes: Any) -> Callable[[LabeledData], LabeledData]:
    def change(data: LabeledData) -> LabeledData:
        tags = list(data.tags)
        tags[index] = replace(tags[index], **changes)
        return replace(data, tags=tuple(tags))

    return change


def _attribute(index: int, value: object) -> Callable[[LabeledData], LabeledData]:
    def change(data: LabeledData) -> LabeledData:
        attributes = list(data.shapes[index].attributes)
        attributes[0] = replace(attributes[0], value=value)
        return _shape(index, attributes=tuple(attributes))(data)

    return change


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (_shape(150, rotation=400.0), "shapes[150].rotation"),
        (_shape(20, points=(1.0, "2")), "shapes[20].points[1]"),
        (_shape(399, score=1.5), "shapes[399].score"),
        (_element(_skeleton(), 2, frame=-1), f"shapes[{_skeleton()}].elements[2].frame"),
        (_keyframe(3, 4, type="box"), "tracks[3].shapes[4].type"),
        (_tag(7, label_id="3"), "tags[7].label_id"),
        (_attribute(_with_attributes(), 5), f"shapes[{_with_attributes()}].attributes[0].value"),
    ],
)
def test_a_bad_value_in_a_large_labeled_data_is_refused_by_its_path(
    server: Server, change: Callable[[LabeledData], LabeledData], where: str
) -> None:
    refused = server.put(change(DATA))
    assert isinstance(refused, InvalidInput)
    assert refused.field == where
    assert server.transport.sent == []
    patched = cvatfn.jobs.update_annotations(server.session, 1, change(DATA), action="update")
    match patched:
        case Failure(InvalidInput(field=field)):
            assert field == where
        case other:
            raise AssertionError(other)
    assert server.transport.sent == []
