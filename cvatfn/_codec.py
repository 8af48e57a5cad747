"""JSON decoding, encoding and conversion of cvatfn models, in one place.

The repository layer never calls :mod:`msgspec` directly. It goes through these functions, which
keep one :class:`msgspec.json.Decoder` per top-level type (building a decoder walks the type
once; reusing it makes every later decode cheap) and one module-level encoder.

Errors are msgspec's own: :class:`msgspec.DecodeError` for malformed JSON and
:class:`msgspec.ValidationError` (a subclass) for JSON of the wrong shape. Both name the offending
path, e.g. ``Expected `int`, got `str` - at `$.results[0].id```.

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

__all__ = ["convert", "decode", "encode", "to_builtins"]

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
        msgspec.DecodeError: ``data`` is not JSON.
        msgspec.ValidationError: the JSON does not fit ``type_``; the message names the path.
    """
    return cast(T, _decoder(type_).decode(data))


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
    """
    origin = typing.get_origin(type_) or type_
    if isinstance(origin, type) and isinstance(value, origin):
        return cast(T, value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        value = dict(cast(Mapping[object, object], value))
    return msgspec.convert(value, type_)


def to_builtins(value: object) -> Any:
    """Convert a model to plain ``dict``/``list``/``str``/... values (``UNSET`` fields dropped).

    Dates become ISO 8601 strings, as in the JSON encoding.
    """
    return msgspec.to_builtins(value)
