"""Nothing public is typed ``Any``, and every package ships ``py.typed``.

Every name in the ``__all__`` of cvatfn, of cvatfn's public modules and of the three adapter
packages is inspected at run time with ``typing.get_type_hints``: function parameters and
returns, the fields of structs and classes, public methods and properties, and public type
aliases. A hint that contains ``Any`` anywhere (``dict[str, Any]`` included) is a violation
unless it is listed in ``ALLOWED`` below, each with the reason it is the honest type. A new
``Any`` fails this test until it is either typed properly or added to the list on purpose.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast, get_args, get_origin, get_type_hints

import msgspec
import pytest

import cvatfn

PACKAGES = ("cvatfn", "cvatfn_urllib3", "cvatfn_fake", "cvatfn_cassette")


def public_modules() -> list[str]:
    """cvatfn, its modules without a leading underscore, and the adapters' public modules."""
    names: list[str] = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.append(info.name)
    return names


# The exceptions: where ``Any`` is the honest type. Keys are "<module>.<qualified name>:<where>",
# <where> being a parameter name, "return", a field or attribute name, or "value" for an alias;
# values say why. Plain-dict inputs (specs, patches, annotations, JSON-logic filters) are
# ``Mapping[str, object]``, which accepts every mapping, so they need no entry here.
ALLOWED: dict[str, str] = {
    # **kwargs handed to tqdm.tqdm unchanged; tqdm's own keyword types decide what is valid.
    "cvatfn.progress.TqdmReporter.__init__:tqdm_kwargs": "passthrough to tqdm.tqdm(**kwargs)",
}


def _key(module: str, qualname: str, where: str) -> str:
    return f"{module}.{qualname}:{where}"


def contains_any(hint: object, seen: frozenset[int] = frozenset()) -> bool:
    """Whether ``Any`` occurs anywhere in ``hint`` (unions, generics, callables, bounds)."""
    if hint is Any:
        return True
    if id(hint) in seen:
        return False
    seen = seen | {id(hint)}
    if isinstance(hint, typing.TypeVar):
        parts: tuple[object, ...] = hint.__constraints__
        if hint.__bound__ is not None:
            parts = (*parts, hint.__bound__)
        return any(contains_any(part, seen) for part in parts)
    if get_origin(hint) is typing.Literal:
        return False
    for arg in get_args(hint):
        # Callable[[A, B], R] gives its parameters as a list
        items = cast("list[object]", arg) if isinstance(arg, list) else [arg]
        if any(contains_any(item, seen) for item in items):
            return True
    return False


@dataclasses.dataclass(frozen=True)
class Finding:
    key: str
    hint: str


def _hints(obj: object) -> dict[str, object]:
    return get_type_hints(obj)


def _check_callable(
    module: str, qualname: str, function: Callable[..., object]
) -> Iterator[Finding]:
    try:
        hints = _hints(function)
    except Exception as error:  # an unresolvable annotation is as good as none
        yield Finding(_key(module, qualname, "annotations"), f"unresolvable: {error!r}")
        return
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    for name in signature.parameters:
        if name in {"self", "cls"}:
            continue
        if name not in hints:
            yield Finding(_key(module, qualname, name), "unannotated")
        elif contains_any(hints[name]):
            yield Finding(_key(module, qualname, name), repr(hints[name]))
    if "return" not in hints and function.__name__ != "__init__":
        yield Finding(_key(module, qualname, "return"), "unannotated")
    elif "return" in hints and contains_any(hints["return"]):
        yield Finding(_key(module, qualname, "return"), repr(hints["return"]))


def _own_classes(cls: type[object], packages: tuple[str, ...]) -> list[type]:
    """``cls`` and its bases that belong to one of ``packages``."""
    return [base for base in cls.__mro__ if base.__module__.split(".")[0] in packages]


def _check_class(
    module: str, cls: type[object], packages: tuple[str, ...] = PACKAGES
) -> Iterator[Finding]:
    if issubclass(cls, enum.Enum):
        return
    qualname = cls.__qualname__
    try:
        fields = _hints(cls)
    except Exception as error:
        yield Finding(_key(module, qualname, "annotations"), f"unresolvable: {error!r}")
        fields = {}
    for name, hint in fields.items():
        if name.startswith("_"):
            continue
        if contains_any(hint):
            yield Finding(_key(module, qualname, name), repr(hint))
    seen: set[str] = set()
    for owner in _own_classes(cls, packages):
        for name, member in vars(owner).items():
            public = not name.startswith("_") or name in {"__init__", "__call__", "__enter__"}
            if not public or name in seen:
                continue
            seen.add(name)
            if isinstance(member, property) and member.fget is not None:
                yield from _check_callable(module, f"{qualname}.{name}", member.fget)
            elif isinstance(member, staticmethod | classmethod):
                function = cast("Callable[..., object]", member.__func__)  # pyright: ignore
                yield from _check_callable(module, f"{qualname}.{name}", function)
            elif inspect.isfunction(member):
                # Structs and protocols get their __init__ from msgspec and typing.
                if member.__module__.split(".")[0] not in packages:
                    continue
                yield from _check_callable(module, f"{qualname}.{name}", member)


def _is_typing_alias(value: object) -> bool:
    return get_origin(value) is not None or isinstance(value, typing.TypeVar)


def findings() -> list[Finding]:
    found: list[Finding] = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, ModuleType):
                continue
            if inspect.isclass(value):
                if value.__module__.split(".")[0] in PACKAGES:
                    found.extend(_check_class(module_name, value))
            elif inspect.isfunction(value):
                found.extend(_check_callable(module_name, name, value))
            elif _is_typing_alias(value) and contains_any(value):
                found.append(Finding(_key(module_name, name, "value"), repr(value)))
    return found


def test_public_modules_declare_all() -> None:
    missing = [
        name for name in public_modules() if not hasattr(importlib.import_module(name), "__all__")
    ]
    assert missing == []


def test_nothing_public_is_typed_any() -> None:
    found = {finding.key: finding.hint for finding in findings()}
    unexpected = {key: hint for key, hint in found.items() if key not in ALLOWED}
    assert unexpected == {}, "\n".join(f"{k}: {v}" for k, v in sorted(unexpected.items()))


def test_allowed_list_has_no_stale_entries() -> None:
    """Every exception is still needed: a listed name that is now typed must leave the list."""
    found = {finding.key for finding in findings()}
    assert sorted(set(ALLOWED) - found) == []


def test_contains_any_finds_it_anywhere() -> None:
    assert contains_any(Any)
    assert contains_any(dict[str, Any])
    assert contains_any(int | list[Any])
    assert contains_any(Callable[[Any], int])
    assert contains_any(typing.TypeVar("T", bound=dict[str, Any]))
    assert not contains_any(dict[str, object])
    assert not contains_any(Callable[..., int])
    assert not contains_any(typing.Literal["Any"])


@pytest.mark.parametrize("package", PACKAGES)
def test_py_typed_ships(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    marker = Path(module.__file__).parent / "py.typed"
    assert marker.is_file(), marker


def test_wheel_configuration_ships_every_package() -> None:
    """The wheel's package list (pyproject) names all four packages, with their py.typed."""
    import tomllib

    config = tomllib.loads((Path(cvatfn.__file__).parents[1] / "pyproject.toml").read_text())
    packages = config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert sorted(Path(path).name for path in packages) == sorted(PACKAGES)


class _Loose(msgspec.Struct, frozen=True):
    payload: dict[str, Any]
    fine: int

    def method(self, value: Any, other: int) -> int:
        return other

    @property
    def prop(self) -> list[Any]:
        return []


def _untyped(x, y: int) -> Any:  # type: ignore[no-untyped-def]  # pyright: ignore
    return cast("object", x)  # pyright: ignore[reportUnknownArgumentType]


def test_the_walk_sees_fields_methods_properties_and_functions() -> None:
    """The checks reach every kind of member (so an empty result means something)."""
    keys = {finding.key for finding in _check_class("m", _Loose, packages=("tests",))}
    assert keys == {"m._Loose:payload", "m._Loose.method:value", "m._Loose.prop:return"}
    found = {finding.key for finding in _check_callable("m", "f", _untyped)}  # pyright: ignore
    assert found == {"m.f:x", "m.f:return"}
