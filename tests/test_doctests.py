"""Every example in cvatfn's docstrings runs, against the fake server.

Within one module the examples run in source order and share their names, so a module's
opening example can set up ``session`` for the functions below it, as a reader would.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import cvatfn

MODULES = sorted(
    name
    for info in pkgutil.walk_packages(cvatfn.__path__, "cvatfn.")
    if not (name := info.name).endswith("__main__")
)


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = [test for test in finder.find(module) if test.examples]
    return sorted(found, key=lambda test: (test.lineno or 0, test.name))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    tests = _examples(module)
    if not tests:
        pytest.skip(f"{name} has no examples")
    shared: dict[str, object] = {**vars(module)}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        test.globs = shared
        runner.run(test, clear_globs=False)
    summary = runner.summarize(verbose=False)
    assert summary.failed == 0, f"{summary.failed} failing example(s) in {name}"


def test_every_public_function_has_an_example() -> None:
    missing = []
    for name in cvatfn.__all__:
        value = getattr(cvatfn, name)
        if inspect.isfunction(value) and ">>>" not in (value.__doc__ or ""):
            missing.append(f"cvatfn.{name}")
        if not isinstance(value, ModuleType) or not value.__name__.startswith("cvatfn."):
            continue
        for attribute in getattr(value, "__all__", ()):
            function = getattr(value, attribute)
            if inspect.isfunction(function):
                doc = function.__doc__ or ""
                if ">>>" not in doc:
                    missing.append(f"{value.__name__}.{attribute}")
    assert missing == []
