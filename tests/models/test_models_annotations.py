"""Annotations: one set of structs for reading and writing.

Decoding then encoding then decoding gives an equal value; encoding leaves out server ids that
were never set and every field equal to the server-side default, and nothing else.
"""

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from cvatfn._codec import decode, encode
from cvatfn.models import (
    UNSET,
    AttributeVal,
    LabeledData,
    LabeledImage,
    LabeledInterval,
    LabeledShape,
    LabeledTrack,
    ShapeType,
    SubLabeledShape,
    SubLabeledTrack,
    TrackedShape,
)

ANNOTATION_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "LabeledData": LabeledData,
    "LabeledShape": LabeledShape,
    "SubLabeledShape": SubLabeledShape,
    "LabeledTrack": LabeledTrack,
    "SubLabeledTrack": SubLabeledTrack,
    "TrackedShape": TrackedShape,
    "LabeledImage": LabeledImage,
    "LabeledInterval": LabeledInterval,
    "AttributeVal": AttributeVal,
}


def _all_labeled_data(asset: Callable[[str], Any]) -> list[tuple[str, Any]]:
    return [
        (f"{kind}/{id_}", raw)
        for kind, by_id in asset("annotations").items()
        for id_, raw in by_id.items()
    ]


def test_decode_encode_decode_round_trips(asset: Callable[[str], Any]) -> None:
    cases = _all_labeled_data(asset)
    assert len(cases) == 42
    for where, raw in cases:
        first = decode(LabeledData, msgspec.json.encode(raw))
        second = decode(LabeledData, encode(first))
        assert second == first, where
        assert encode(second) == encode(first), where


def _assert_encoded_matches(encoded: Any, raw: Any, defaults: dict[str, Any], path: str) -> None:
    """``encoded`` equals ``raw`` except that keys equal to their default may be missing."""
    if isinstance(raw, dict):
        assert isinstance(encoded, dict), path
        assert set(encoded) <= set(raw), f"{path}: encoded extra keys {set(encoded) - set(raw)}"
        for key, value in raw.items():
            if key in encoded:
                _assert_encoded_matches(encoded[key], value, defaults, f"{path}.{key}")
            else:
                assert key in defaults, f"{path}.{key} was dropped but has no default"
                assert value == defaults[key], f"{path}.{key}={value!r} dropped (not default)"
    elif isinstance(raw, list):
        assert isinstance(encoded, list), path
        assert len(encoded) == len(raw), path
        for index, (item, raw_item) in enumerate(zip(encoded, raw, strict=True)):
            _assert_encoded_matches(item, raw_item, defaults, f"{path}[{index}]")
    else:
        assert encoded == raw, f"{path}: {encoded!r} != {raw!r}"


def test_encoding_drops_only_server_defaults(
    asset: Callable[[str], Any], schemas: dict[str, Any]
) -> None:
    defaults = {
        "group": 0,
        "source": "manual",
        "occluded": False,
        "outside": False,
        "z_order": 0,
        "rotation": 0.0,
        "score": 1.0,
        "attributes": [],
        "elements": [],
        "points": [],
        "version": 0,
        "tags": [],
        "shapes": [],
        "tracks": [],
        "intervals": [],
    }
    # the defaults relied on are the contract's (points/elements have none: empty means none)
    for name in ANNOTATION_SCHEMAS:
        for prop, spec in schemas[name]["properties"].items():
            if "default" in spec:
                assert defaults[prop] == spec["default"], f"{name}.{prop}"
    dropped = 0
    for where, raw in _all_labeled_data(asset):
        encoded = msgspec.json.decode(encode(decode(LabeledData, msgspec.json.encode(raw))))
        _assert_encoded_matches(encoded, raw, defaults, where)
        dropped += len(msgspec.json.encode(raw)) - len(msgspec.json.encode(encoded))
    assert dropped > 0


@pytest.mark.parametrize("schema_name", sorted(ANNOTATION_SCHEMAS))
def test_struct_defaults_are_the_schema_defaults(schema_name: str, schemas: dict[str, Any]) -> None:
    properties = schemas[schema_name]["properties"]
    for field in msgspec.structs.fields(ANNOTATION_SCHEMAS[schema_name]):
        if field.required or field.default is UNSET:
            continue
        spec = properties[field.name]
        if "default" in spec:
            expected = spec["default"]
            default = field.default
            assert (list(default) if isinstance(default, tuple) else default) == expected
        else:  # no server default: only "empty" may be left out
            assert field.default == (), f"{schema_name}.{field.name}"


def test_ids_are_unset_on_new_shapes_and_kept_on_decoded_ones() -> None:
    new = LabeledShape(type=ShapeType.RECTANGLE, frame=2, label_id=5, points=(0, 0, 10, 10))
    assert new.id is UNSET
    assert msgspec.json.decode(encode(new)) == {
        "type": "rectangle",
        "frame": 2,
        "label_id": 5,
        "points": [0, 0, 10, 10],
    }
    decoded = decode(LabeledShape, b'{"type": "polygon", "frame": 0, "label_id": 1, "id": 9}')
    assert decoded.id == 9
    assert msgspec.json.decode(encode(decoded))["id"] == 9
    nulled = decode(LabeledShape, b'{"type": "points", "frame": 0, "label_id": 1, "id": null}')
    assert nulled.id is None
    assert msgspec.json.decode(encode(nulled))["id"] is None


def test_non_default_values_are_encoded() -> None:
    shape = LabeledShape(
        type="ellipse",
        frame=1,
        label_id=2,
        group=None,
        source="auto",
        occluded=True,
        z_order=-1,
        rotation=45.5,
        score=0.25,
        attributes=(AttributeVal(spec_id=1, value="red"),),
    )
    assert msgspec.json.decode(encode(shape)) == {
        "type": "ellipse",
        "frame": 1,
        "label_id": 2,
        "group": None,
        "source": "auto",
        "occluded": True,
        "z_order": -1,
        "rotation": 45.5,
        "score": 0.25,
        "attributes": [{"spec_id": 1, "value": "red"}],
    }


def test_skeleton_track_and_interval_built_by_hand_round_trip() -> None:
    data = LabeledData(
        version=4,
        shapes=(
            LabeledShape(
                type=ShapeType.SKELETON,
                frame=0,
                label_id=10,
                elements=(
                    SubLabeledShape(type="points", frame=0, label_id=11, points=(1.5, 2.5)),
                    SubLabeledShape(
                        type="points", frame=0, label_id=12, points=(3, 4), outside=True
                    ),
                ),
            ),
            LabeledShape(type=ShapeType.MASK, frame=3, label_id=1, points=(0, 5, 5, 0, 0, 4, 4)),
        ),
        tracks=(
            LabeledTrack(
                label_id=10,
                frame=0,
                shapes=(TrackedShape(type="skeleton", frame=0),),
                elements=(
                    SubLabeledTrack(
                        label_id=11,
                        frame=0,
                        shapes=(
                            TrackedShape(type="points", frame=0, points=(1, 1)),
                            TrackedShape(type="points", frame=5, points=(2, 2), outside=True),
                        ),
                    ),
                ),
            ),
        ),
        tags=(LabeledImage(label_id=3, frame=7, attributes=(AttributeVal(spec_id=2, value="x"),)),),
        intervals=(
            LabeledInterval(label_id=4, start=0, stop=None),
            LabeledInterval(label_id=4, start=3, stop=9, score=0.5),
        ),
    )
    body = encode(data)
    assert decode(LabeledData, body) == data
    plain = msgspec.json.decode(body)
    assert plain["intervals"][0] == {"label_id": 4, "start": 0, "stop": None}
    assert plain["tracks"][0]["elements"][0]["shapes"][1]["outside"] is True
    assert "id" not in plain["shapes"][0]["elements"][0]


def test_interval_stop_is_required() -> None:
    with pytest.raises(msgspec.ValidationError, match="missing required field `stop`"):
        decode(LabeledInterval, b'{"label_id": 1, "start": 0}')


def test_annotations_ignore_unknown_fields_and_values_from_newer_servers() -> None:
    body = (
        b'{"version": 1, "shapes": [{"type": "hexagon", "frame": 0, "label_id": 1,'
        b' "source": "consensus-v9", "novel": {"a": 1}}], "future_section": []}'
    )
    data = decode(LabeledData, body)
    assert data.shapes[0].type == "hexagon"
    assert data.shapes[0].source == "consensus-v9"


def test_decoded_shapes_are_immutable_and_hashable(asset: Callable[[str], Any]) -> None:
    raw = asset("annotations")["job"]["2"]
    data = decode(LabeledData, msgspec.json.encode(raw))
    with pytest.raises(AttributeError):
        data.shapes[0].frame = 5  # type: ignore[misc]
    assert isinstance(data.shapes, tuple)
    assert isinstance(data.shapes[0].points, tuple)
    again = decode(LabeledData, msgspec.json.encode(raw))
    assert again == data
    assert hash(again.shapes[0]) == hash(data.shapes[0])
