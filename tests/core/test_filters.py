"""The JSON-logic filter builder."""

from __future__ import annotations

import json

import pytest

from cvatfn.filters import F, Filter, filter_to_json


def test_comparisons() -> None:
    assert (F.id == 1).to_json_logic() == {"==": [{"var": "id"}, 1]}
    assert (F.id != 1).to_json_logic() == {"!=": [{"var": "id"}, 1]}
    assert (F.id < 1).to_json_logic() == {"<": [{"var": "id"}, 1]}
    assert (F.id <= 1).to_json_logic() == {"<=": [{"var": "id"}, 1]}
    assert (F.id > 1).to_json_logic() == {">": [{"var": "id"}, 1]}
    assert (F.id >= 1).to_json_logic() == {">=": [{"var": "id"}, 1]}
    assert F["task.name"].one_of(["a", "b"]).to_json_logic() == {
        "in": [{"var": "task.name"}, ["a", "b"]]
    }
    assert F.name.contains("ca").to_json_logic() == {"in": ["ca", {"var": "name"}]}
    assert F.id.between(1, 9).to_json_logic() == {"<=": [1, {"var": "id"}, 9]}
    assert F.assignee.is_set().to_json_logic() == {"var": "assignee"}


def test_combinators_flatten_same_operator() -> None:
    expr = (F.a == 1) & (F.b == 2) & (F.c == 3)
    assert list(expr.to_json_logic()) == ["and"]
    assert len(expr.to_json_logic()["and"]) == 3
    mixed = ((F.a == 1) | (F.b == 2)) & ~(F.c == 3)
    assert mixed.to_json_logic() == {
        "and": [
            {"or": [{"==": [{"var": "a"}, 1]}, {"==": [{"var": "b"}, 2]}]},
            {"!": {"==": [{"var": "c"}, 3]}},
        ]
    }


def test_rendering() -> None:
    assert json.loads(filter_to_json(F.id > 2).unwrap()) == {">": [{"var": "id"}, 2]}
    assert filter_to_json({"==": [{"var": "id"}, 1]}).unwrap() == '{"==":[{"var":"id"},1]}'
    raw = '{"==": [{"var": "id"}, 1]}'
    assert filter_to_json(raw).unwrap() is raw
    assert "JSON object" in filter_to_json("[1, 2]").failure().message
    assert filter_to_json("{not json").failure().field == "filter"
    assert filter_to_json({"x": {1, 2}}).failure().field == "filter"  # type: ignore[dict-item]


def test_private_names_are_not_fields() -> None:
    with pytest.raises(AttributeError):
        F._secret  # noqa: B018
    assert isinstance(F.x == 1, Filter)
