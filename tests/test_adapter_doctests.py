"""The docstring examples of the fake server and the urllib3 transport run too.

(``tests/test_doctests.py`` covers ``cvatfn``; the cassette package's examples run in
``tests/cassette``.) Each module's examples run with that module's globals.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import cvatfn_fake
import cvatfn_urllib3

MODULES = sorted(
    info.name
    for package in (cvatfn_fake, cvatfn_urllib3)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not info.name.endswith("__main__")
)


def test_docstring_examples() -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed: dict[str, int] = {}
    attempted = 0
    for name in MODULES:
        result = doctest.testmod(importlib.import_module(name), optionflags=flags)
        attempted += result.attempted
        if result.failed:
            failed[name] = result.failed
    assert failed == {}, f"failing examples (run with -s to see them): {failed}"
    assert attempted > 100  # the modules do have examples: a broken finder must not pass
