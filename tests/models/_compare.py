"""Deep comparison of a decoded model with the raw JSON it came from."""

import datetime
from collections.abc import Mapping
from typing import Any

import msgspec


def assert_same(decoded: Any, raw: Any, path: str = "$") -> None:
    """Assert that ``decoded`` carries every key and value of ``raw`` under the same names.

    A key of ``raw`` missing from the model, or a value that changed on the way (a date, a
    number, a nested list), fails with the JSON path. Fields of the model that ``raw`` lacks are
    not checked (they hold defaults).
    """
    if isinstance(raw, dict):
        if isinstance(decoded, msgspec.Struct):
            names = set(decoded.__struct_fields__)
            for key, value in raw.items():
                assert key in names, f"{path}: {type(decoded).__name__} has no field {key!r}"
                assert_same(getattr(decoded, key), value, f"{path}.{key}")
        else:
            assert isinstance(decoded, Mapping), f"{path}: expected a mapping, got {decoded!r}"
            assert dict(decoded) == raw, f"{path}: {decoded!r} != {raw!r}"
    elif isinstance(raw, list):
        assert isinstance(decoded, tuple), f"{path}: lists decode as tuples, got {decoded!r}"
        assert len(decoded) == len(raw), f"{path}: length {len(decoded)} != {len(raw)}"
        for index, (item, raw_item) in enumerate(zip(decoded, raw, strict=True)):
            assert_same(item, raw_item, f"{path}[{index}]")
    elif isinstance(decoded, datetime.datetime):
        assert isinstance(raw, str), f"{path}: {raw!r} is not a date string"
        assert decoded.tzinfo is not None, f"{path}: naive datetime"
        assert decoded == datetime.datetime.fromisoformat(raw), f"{path}: {decoded} != {raw}"
    else:
        assert type(decoded) is not msgspec.UnsetType, f"{path}: UNSET but raw is {raw!r}"
        assert decoded == raw, f"{path}: {decoded!r} != {raw!r}"
        if isinstance(raw, bool) or raw is None:
            assert decoded is raw, f"{path}: {decoded!r} is not {raw!r}"
