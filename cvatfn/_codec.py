"""JSON decoding, encoding and conversion of cvatfn models, in one place.

The repository layer never calls :mod:`msgspec` directly. It goes through these functions, which
keep one :class:`msgspec.json.Decoder` per top-level type (building a decoder walks the type
once; reusing it makes every later decode cheap) and one module-level encoder.

Errors are msgspec's own: :class:`msgspec.DecodeError` for malformed JSON (or JSON nested too
deeply to decode) and :class:`msgspec.ValidationError` (a subclass) for JSON of the wrong shape.
Both name the offending path, e.g. ``Expected `int`, got `str` - at `$.results[0].id```.
:func:`convert` also rejects, with a ``ValidationError`` naming the field, a value that could
not be encoded later (an ``object()`` or a structure nested too deeply in a free-form field such
as an organization's ``contact``), so that what it returns always encodes.

Examples:
    >>> from cvatfn.models import Comment, Page, TaskPatch
    >>> decode(Page[Comment], b'{"count": 1, "results": [{"id": 2}]}').results[0].id
    2
    >>> encode(convert(TaskPatch, {"name": "renamed"}))
    b'{"name":"renamed"}'
"""

import threading
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import msgspec

__all__ = ["convert", "decode", "encode", "first_unencodable", "to_builtins"]

T = TypeVar("T")

_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[object, msgspec.json.Decoder[Any]] = {}
_LOCK = threading.Lock()


def _decoder(type_: object) -> msgspec.json.Decoder[Any]:
    decoder = _DECODERS.get(type_)
    if decoder is None:
        with _LOCK:
            decoder = _DECODERS.get(type_)
            if decoder is None:
                decoder = msgspec.json.Decoder(type_)
                _DECODERS[type_] = decoder
    return decoder


def decode(type_: type[T], data: bytes) -> T:
    """Decode a JSON body into ``type_`` (a model, ``Page[Model]``, ``tuple[Model, ...]`` ...).

    Raises:
        msgspec.DecodeError: ``data`` is not JSON (malformed, not UTF-8, or nested too deeply
            to decode).
        msgspec.ValidationError: the JSON does not fit ``type_``; the message names the path.

    Examples:
        >>> decode(object, b"[" * 100_000 + b"]" * 100_000)
        Traceback (most recent call last):
        ...
        msgspec.DecodeError: JSON nested too deeply to decode
        >>> decode(object, b'"\\xff"')
        Traceback (most recent call last):
        ...
        msgspec.DecodeError: invalid UTF-8 in a JSON string: invalid start byte
    """
    try:
        return cast(T, _decoder(type_).decode(data))
    except RecursionError:
        raise msgspec.DecodeError("JSON nested too deeply to decode") from None
    except UnicodeDecodeError as error:  # msgspec's own error for invalid UTF-8 in a string
        raise msgspec.DecodeError(f"invalid UTF-8 in a JSON string: {error.reason}") from None


def encode(value: object) -> bytes:
    """Encode a model (or any msgspec-encodable value) as compact JSON.

    ``UNSET`` fields of write models and default-valued annotation fields are left out.
    """
    return _ENCODER.encode(value)


def convert(type_: type[T], value: object) -> T:
    """Return ``value`` as a ``type_``.

    An instance of ``type_`` is returned as is (for a parametrized generic such as
    ``Page[Task]`` only the origin class is checked). A :class:`~collections.abc.Mapping` is
    validated and converted with :func:`msgspec.convert`, so a misspelled key of a write model or
    a value of the wrong type raises :class:`msgspec.ValidationError` naming the field, e.g.
    ``Object contains unknown field `nmae``` or ``Expected `str`, got `int` - at `$.name```.
    Anything else is also handed to msgspec, which rejects it with a ``ValidationError``.
    So does a converted value that :func:`encode` could not encode, naming the field (a
    free-form field such as ``contact`` takes any value, and not every value is JSON).

    Examples:
        >>> from cvatfn.models import OrganizationSpec
        >>> convert(OrganizationSpec, {"slug": "lab", "contact": {"email": object()}})
        Traceback (most recent call last):
        ...
        msgspec.ValidationError: cannot be sent as JSON: Encoding objects of type object is \
unsupported - at `$.contact.email`
    """
    origin = typing.get_origin(type_) or type_
    if isinstance(origin, type) and isinstance(value, origin):
        return cast(T, value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        value = dict(cast(Mapping[object, object], value))
    try:
        result = msgspec.convert(value, type_)
    except RecursionError:
        raise msgspec.ValidationError("nested too deeply") from None
    problem = first_unencodable(result)
    if problem is not None:
        path, reason = problem
        where = f" - at `$.{path}`" if path else ""
        raise msgspec.ValidationError(f"cannot be sent as JSON: {reason}{where}")
    return result


_MAX_PATH_DEPTH = 16


def first_unencodable(
    value: object, depth: int = 0, *, in_array: bool = False
) -> tuple[str, str] | None:
    """``(path, reason)`` of the first part of ``value`` that does not encode, or ``None``.

    ``path`` is relative to ``value`` (``contact.email``, ``labels[0]``; empty for ``value``).
    A structure nested too deeply is named where its chain of arrays begins.

    Examples:
        >>> first_unencodable({"shapes": [{"frame": 0}, {"frame": 1j}]})
        ('shapes[1].frame', 'Encoding objects of type complex is unsupported')
        >>> first_unencodable({"frame": 0}) is None
        True
        >>> deep: list[object] = []
        >>> for _ in range(100_000):
        ...     deep = [deep]
        >>> first_unencodable({"tags": [1, deep]})
        ('tags[1]', 'nested too deeply')
    """
    arrays = (list, tuple, set, frozenset)
    try:
        _ENCODER.encode(value)
    except RecursionError:
        reason = "nested too deeply"
        if in_array and isinstance(value, arrays):
            return "", reason  # an array in an array: the deep chain starts here
    except (TypeError, ValueError, OverflowError) as error:
        reason = str(error)
    else:
        return None
    if depth >= _MAX_PATH_DEPTH:
        return "", reason
    parts: list[tuple[str, object]] = []
    if isinstance(value, msgspec.Struct):
        parts = [(f".{name}", getattr(value, name)) for name in value.__struct_fields__]
    elif isinstance(value, Mapping):
        items = cast(Mapping[object, object], value).items()
        parts = [(f".{key}", item) for key, item in items]
    elif isinstance(value, list | tuple):
        parts = [(f"[{index}]", item) for index, item in enumerate(cast(list[object], value))]
    for step, item in parts:
        if item is msgspec.UNSET:
            continue
        inner = first_unencodable(item, depth + 1, in_array=isinstance(value, list | tuple))
        if inner is not None:
            path, reason = inner
            joined = step + (path if path.startswith("[") or not path else f".{path}")
            return joined.removeprefix("."), reason
    return "", reason


def to_builtins(value: object) -> Any:
    """Convert a model to plain ``dict``/``list``/``str``/... values (``UNSET`` fields dropped).

    Dates become ISO 8601 strings, as in the JSON encoding.
    """
    return msgspec.to_builtins(value)
