"""List endpoints: DRF paging, search, sort, CVAT's JSON-logic filter and equality filters.

Theory of operation
-------------------
Every CVAT list endpoint runs the same filter backends over a queryset the permission rules
already narrowed: equality filters (``?name=x``), ``search`` (each whitespace- or
comma-separated term must occur, case-insensitively, in one of the search fields), the
JSON-logic ``filter`` and ``sort``; then DRF's page-number pagination. :func:`paginate` does
all of that for a list of in-memory objects. A :class:`ListSpec` names the fields each
endpoint allows (taken from CVAT's published schema) and ``value(item, field)`` reads a field
of an object the way the Django lookup would.

The JSON-logic dialect is CVAT's: ``and``, ``or``, ``!``, ``!!``, ``var``, ``==``, ``<``,
``<=``, ``>``, ``>=``, ``in`` (membership, or substring when the variable comes second) and
the three-argument ``<=`` (between). Anything else, and any field outside the endpoint's
filter fields, is a 400 with CVAT's message. ``!=`` is only understood by the background
requests endpoint, as in CVAT.

Paging follows CVAT's ``CustomPagination``: ``page_size`` defaults to 10, accepts ``all`` and
falls back to the default for invalid values; an out-of-range ``page`` is a 404
``Invalid page.``. ``next``/``previous`` are absolute URLs that keep the other query
parameters, sorted, as DRF builds them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from cvatfn.http import HttpResponse

from ._context import Ctx, render
from ._errors import ApiError, detail
from ._fields import as_dict, as_list

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 10


@dataclass(frozen=True)
class ListSpec:
    """The filterable, searchable and sortable fields of one list endpoint."""

    filter_fields: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    sort_fields: tuple[str, ...] = ()
    simple_filters: tuple[str, ...] = ()
    default_sort: str = "-id"
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    allow_not_equal: bool = False


def _invalid(message: str) -> ApiError:
    return ApiError(400, [message])


def _to_timestamp(value: object) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


def _coerce(item_value: object, value: object, name: str) -> object:
    """Convert a filter operand to the type of the field, like Django's ``get_prep_value``."""
    if value is None or item_value is None:
        return value
    if isinstance(item_value, bool):
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        return {"true": True, "1": True, "false": False, "0": False}.get(text, value)
    if isinstance(item_value, int):
        try:
            return int(str(value))
        except (TypeError, ValueError):
            raise _invalid(f"Field '{name}' expected a number but got {value!r}.") from None
    if isinstance(item_value, float):
        return _to_timestamp(value)
    return str(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return op == "==" and left is None and right is None
    try:
        if op == "==":
            return bool(left == right)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        return bool(left != right)
    except TypeError:
        return False


class _Filter:
    def __init__(self, spec: ListSpec, value: Callable[[Any, str], Any]) -> None:
        self.spec = spec
        self.value = value

    def field(self, arg: object) -> str:
        var = as_dict(arg)
        if var is None or "var" not in var:
            raise _invalid("filter: Json syntax should be used")
        name = var["var"]
        if not isinstance(name, str) or name not in self.spec.filter_fields:
            raise _invalid(f"filter: {name!r} term is not supported")
        return name

    def check(self, rules: Any, item: Any) -> bool:
        rule = as_dict(rules)
        if not rule:
            raise _invalid("filter: Json syntax should be used")
        op, args = next(iter(rule.items()))
        arg_list = as_list(args)
        if op in ("and", "or"):
            if not arg_list:
                raise _invalid(f"filter: {op} operation with {args!r} arguments is not implemented")
            results = [self.check(arg, item) for arg in arg_list]
            return all(results) if op == "and" else any(results)
        if op in ("!", "!!"):
            inner = arg_list[0] if arg_list is not None and len(arg_list) == 1 else args
            result = self.check(inner, item)
            return not result if op == "!" else result
        if op == "var":
            name = arg_list[0] if arg_list else args
            return self.value(item, self.field({"var": name})) is not None
        ops = ["==", "<", ">", "<=", ">="] + (["!="] if self.spec.allow_not_equal else [])
        if op in ops and arg_list is not None and len(arg_list) == 2:
            name = self.field(arg_list[0])
            item_value = self.value(item, name)
            return _compare(op, item_value, _coerce(item_value, arg_list[1], name))
        if op == "in" and arg_list is not None and len(arg_list) == 2:
            if as_dict(arg_list[0]) is not None:
                name = self.field(arg_list[0])
                item_value = self.value(item, name)
                options = as_list(arg_list[1])
                if options is None:
                    options = [arg_list[1]]
                return any(
                    _compare("==", item_value, _coerce(item_value, option, name))
                    for option in options
                )
            name = self.field(arg_list[1])
            item_value = self.value(item, name)
            if item_value is None:
                return False
            return str(arg_list[0]) in str(item_value)
        if op == "<=" and arg_list is not None and len(arg_list) == 3:
            name = self.field(arg_list[1])
            item_value = self.value(item, name)
            low = _coerce(item_value, arg_list[0], name)
            high = _coerce(item_value, arg_list[2], name)
            return _compare(">=", item_value, low) and _compare("<=", item_value, high)
        raise _invalid(f"filter: {op} operation with {args!r} arguments is not implemented")


def _simple_filter(
    ctx: Ctx, spec: ListSpec, items: list[T], value: Callable[[T, str], Any]
) -> list[T]:
    for name in spec.simple_filters:
        raw = ctx.q(name)
        if raw is None:
            continue
        choices = spec.choices.get(name)
        if choices is not None and raw not in choices:
            raise ApiError(
                400, {name: [f"Select a valid choice. {raw} is not one of the available choices."]}
            )
        kept: list[T] = []
        for item in items:
            item_value = value(item, name)
            if isinstance(item_value, bool):
                wanted: object = {"true": True, "false": False}.get(raw.lower())
                if wanted is None:
                    raise ApiError(400, {name: ["Enter a valid boolean."]})
            elif isinstance(item_value, int):
                try:
                    wanted = int(raw)
                except ValueError:
                    raise ApiError(400, {name: ["Enter a number."]}) from None
            else:
                wanted = raw
            if item_value is not None and item_value == wanted:
                kept.append(item)
        items = kept
    return items


def _search(ctx: Ctx, spec: ListSpec, items: list[T], value: Callable[[T, str], Any]) -> list[T]:
    raw = ctx.q("search")
    if not raw or not spec.search_fields:
        return items
    terms = raw.replace("\x00", "").replace(",", " ").split()
    for term in terms:
        needle = term.lower()
        items = [
            item
            for item in items
            if any(
                (v := value(item, f)) is not None and needle in str(v).lower()
                for f in spec.search_fields
            )
        ]
    return items


def _sort_key(v: Any) -> tuple[int, Any]:
    return (1, 0) if v is None else (0, v)


def _sort(
    ctx: Ctx,
    spec: ListSpec,
    items: list[T],
    value: Callable[[T, str], Any],
    getters: Mapping[str, Callable[[T], Any]],
) -> list[T]:
    raw = ctx.q("sort")
    terms: list[str] = []
    if raw:
        for term in (t.strip() for t in raw.split(",")):
            if term.lstrip("-") in spec.sort_fields:
                terms.append(term)
    if not terms:
        terms = [spec.default_sort]
    result = list(items)
    for term in reversed(terms):
        name, reverse = term.lstrip("-"), term.startswith("-")
        getter = getters.get(name)
        if getter is not None:  # never None: no ``_sort_key``
            result.sort(key=getter, reverse=reverse)
            continue
        keys = [value(item, name) for item in result]
        if None in keys:  # missing values sort last (after the reversal, too)
            keys = [_sort_key(key) for key in keys]
        # A stable sort of the positions by key is the stable sort of the items by key.
        order = sorted(range(len(result)), key=keys.__getitem__, reverse=reverse)
        result = [result[index] for index in order]
    return result


def _page_size(ctx: Ctx) -> int:
    raw = ctx.q("page_size")
    if raw == "all":
        return 2**62
    try:
        size = int(raw) if raw is not None else 0
    except ValueError:
        size = 0
    return size if size > 0 else DEFAULT_PAGE_SIZE


def _with_page(url: str, page: int | None) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if page is None:
        params.pop("page", None)
    else:
        params["page"] = [str(page)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def filter_items(
    ctx: Ctx,
    spec: ListSpec,
    items: Sequence[T],
    value: Callable[[T, str], Any],
    getters: Mapping[str, Callable[[T], Any]] | None = None,
) -> list[T]:
    """Apply the equality filters, ``search``, ``filter`` and ``sort`` to ``items``.

    ``getters`` may give, for fields that are never ``None``, a one-argument function
    returning what ``value(item, field)`` does (an :func:`operator.attrgetter`, say): sorting
    uses it.
    """
    result = _simple_filter(ctx, spec, list(items), value)
    result = _search(ctx, spec, result, value)
    raw = ctx.q("filter")
    if raw:
        try:
            rules = json.loads(raw)
        except ValueError:
            raise _invalid("filter: Json syntax should be used") from None
        try:
            empty = not len(rules)
        except TypeError:
            empty = False
        if empty:
            raise _invalid("filter shouldn't be empty")
        checker = _Filter(spec, value)
        result = [item for item in result if checker.check(rules, item)]
    return _sort(ctx, spec, result, value, getters or {})


def paginate(
    ctx: Ctx,
    spec: ListSpec,
    items: Sequence[T],
    value: Callable[[T, str], Any],
    serialize: Callable[[T], Any],
    getters: Mapping[str, Callable[[T], Any]] | None = None,
) -> HttpResponse:
    """Filter, sort and page ``items``; render DRF's ``{count, next, previous, results}``
    (``getters``: see :func:`filter_items`)."""
    result = filter_items(ctx, spec, items, value, getters)
    size = _page_size(ctx)
    count = len(result)
    pages = max(1, math.ceil(count / size))
    raw_page = ctx.q("page") or "1"
    if raw_page == "last":
        page = pages
    else:
        try:
            page = int(raw_page)
        except ValueError:
            raise detail(404, "Invalid page.") from None
        if page < 1 or page > pages:
            raise detail(404, "Invalid page.")
    start = (page - 1) * size
    url = ctx.base + ctx.raw_path + ("?" + ctx.raw_query if ctx.raw_query else "")
    body = {
        "count": count,
        "next": _with_page(url, page + 1) if page < pages else None,
        "previous": (_with_page(url, None if page == 2 else page - 1) if page > 1 else None),
        "results": [serialize(item) for item in result[start : start + size]],
    }
    return render(ctx, 200, body)
