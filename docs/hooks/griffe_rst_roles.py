"""A griffe extension for the API reference: Sphinx cross-reference roles become code.

The docstrings name other objects the way Sphinx does (``:class:`~cvatfn.http.HttpRequest```),
which Markdown would show with the role and the backticks. Before mkdocstrings renders a
docstring, each role is replaced by the name in code: the last component when the target
starts with ``~`` (``HttpRequest``), else the whole target (``cvatfn.http.HttpRequest``), as
Sphinx displays them.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|mod|data|meth|attr|exc|obj|const):`(~?)([^`]+)`")


def _display(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def replace_roles(text: str) -> str:
    """``text`` with every Sphinx role replaced by its display name in code.

    >>> replace_roles("a :class:`~cvatfn.http.HttpRequest` and :func:`cvatfn.connect`")
    'a `HttpRequest` and `cvatfn.connect`'
    """
    return _ROLE.sub(_display, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring griffe loads (modules, classes, functions,
    attributes)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called for each object as it is loaded."""
        _rewrite(obj)

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called for each object once the whole tree is loaded (rewriting twice is harmless)."""
        _rewrite(obj)


def _rewrite(obj: griffe.Object) -> None:
    if obj.docstring is not None:
        obj.docstring.value = replace_roles(obj.docstring.value)
