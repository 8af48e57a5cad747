"""A small typed builder for CVAT's JSON-logic list filters.

CVAT list endpoints take ``filter=<JSON logic>``. Build one with ``F``::

    from cvatfn.filters import F
    expr = (F.status == "completed") & F.name.contains("cats") | ~F.assignee.is_set()
    cvatfn.tasks.list(session, filter=expr)

Comparisons produce :class:`Filter` values; ``&``, ``|`` and ``~`` combine them. A filter
can also be given to ``list`` as a JSON string or a mapping.

Examples:
    >>> (F.id > 3).to_json()
    '{">":[{"var":"id"},3]}'
    >>> ((F.status == "new") & F.name.contains("cat")).to_json_logic()
    {'and': [{'==': [{'var': 'status'}, 'new']}, {'in': ['cat', {'var': 'name'}]}]}
    >>> (~F.assignee.is_set()).to_json_logic()
    {'!': {'var': 'assignee'}}
    >>> F.frame.between(2, 5).to_json_logic()
    {'<=': [2, {'var': 'frame'}, 5]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TypeAlias, cast

import msgspec
from returns.result import Failure, Result, Success

from cvatfn.errors import CvatError, InvalidInput

__all__ = ["F", "Field", "Filter", "FilterLike", "JsonLogic", "filter_to_json"]

JsonLogic: TypeAlias = Mapping[str, object]
Value: TypeAlias = str | int | float | bool | None


class Filter(msgspec.Struct, frozen=True):
    """A JSON-logic expression. Combine with ``&`` (and), ``|`` (or) and ``~`` (not)."""

    expression: JsonLogic

    def to_json_logic(self) -> JsonLogic:
        """The expression as a plain mapping."""
        return self.expression

    def to_json(self) -> str:
        """The expression as compact JSON, as CVAT's ``filter`` parameter takes it."""
        return json.dumps(self.expression, separators=(",", ":"))

    def __and__(self, other: Filter) -> Filter:
        return Filter(_merge("and", self.expression, other.expression))

    def __or__(self, other: Filter) -> Filter:
        return Filter(_merge("or", self.expression, other.expression))

    def __invert__(self) -> Filter:
        return Filter({"!": self.expression})


def _merge(op: str, left: JsonLogic, right: JsonLogic) -> JsonLogic:
    operands: list[object] = []
    for node in (left, right):
        nested = node.get(op) if list(node) == [op] else None
        if isinstance(nested, list):
            operands.extend(cast("list[object]", nested))
        else:
            operands.append(node)
    return {op: operands}


class Field(msgspec.Struct, frozen=True):
    """A filterable field of a list endpoint (see CVAT's docs for each endpoint's fields)."""

    name: str

    @property
    def _var(self) -> JsonLogic:
        return {"var": self.name}

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return Filter({"==": [self._var, value]})

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return Filter({"!=": [self._var, value]})

    def __lt__(self, value: Value) -> Filter:
        return Filter({"<": [self._var, value]})

    def __le__(self, value: Value) -> Filter:
        return Filter({"<=": [self._var, value]})

    def __gt__(self, value: Value) -> Filter:
        return Filter({">": [self._var, value]})

    def __ge__(self, value: Value) -> Filter:
        return Filter({">=": [self._var, value]})

    __hash__ = None  # type: ignore[assignment]

    def one_of(self, values: Iterable[Value]) -> Filter:
        """The field equals one of ``values``."""
        return Filter({"in": [self._var, list(values)]})

    def contains(self, substring: str) -> Filter:
        """The (string) field contains ``substring``."""
        return Filter({"in": [substring, self._var]})

    def between(self, low: Value, high: Value) -> Filter:
        """``low <= field <= high``."""
        return Filter({"<=": [low, self._var, high]})

    def is_set(self) -> Filter:
        """The field is set (truthy: not null, not empty)."""
        return Filter(self._var)


class _Fields:
    """``F.name`` and ``F["name"]`` both give ``Field("name")``."""

    def __getattr__(self, name: str) -> Field:
        if name.startswith("_"):
            raise AttributeError(name)
        return Field(name)

    def __getitem__(self, name: str) -> Field:
        return Field(name)


F = _Fields()
"""The field factory: ``F.status == "completed"``."""

FilterLike: TypeAlias = Filter | JsonLogic | str
"""What ``list(..., filter=...)`` accepts: a :class:`Filter`, a mapping, or a JSON string."""


def filter_to_json(value: FilterLike) -> Result[str, CvatError]:
    """Render a filter argument as the JSON string CVAT expects.

    A string is passed through unchanged after checking that it is a JSON object; anything
    that is not JSON logic is an ``InvalidInput`` failure.

    Examples:
        >>> filter_to_json({"==": [{"var": "id"}, 1]}).unwrap()
        '{"==":[{"var":"id"},1]}'
        >>> filter_to_json('{"==": [{"var": "id"}, 1]}').unwrap()
        '{"==": [{"var": "id"}, 1]}'
        >>> filter_to_json("[1, 2]").failure().message
        'a JSON-logic filter must be a JSON object'
    """
    if isinstance(value, Filter):
        return Success(value.to_json())
    try:
        if isinstance(value, str):
            parsed = json.loads(value)
            if not isinstance(parsed, dict):
                return Failure(_invalid("a JSON-logic filter must be a JSON object"))
            return Success(value)
        return Success(json.dumps(dict(value), separators=(",", ":")))
    except (ValueError, TypeError) as error:
        return Failure(_invalid(f"filter is not valid JSON logic: {error}"))


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message=message, field="filter")
