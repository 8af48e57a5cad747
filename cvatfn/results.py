"""Small, fully typed helpers for composing ``Result`` values.

``returns``' own ``Result.bind`` works, but pyright (strict) reports it as "partially
unknown" because of the library's higher-kinded types. These helpers say the same thing with
plain generics, so pipelines type-check cleanly under both mypy and pyright.

Examples:
    >>> from returns.result import Failure, Success
    >>> and_then(Success(2), lambda n: Success(n * 10))
    <Success: 20>
    >>> and_then(Failure("no"), lambda n: Success(n * 10))
    <Failure: no>
    >>> collect([Success(1), Success(2)])
    <Success: (1, 2)>
    >>> collect([Success(1), Failure("bad"), Success(3)])
    <Failure: bad>
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from returns.result import Failure, Result, Success

__all__ = ["and_then", "collect"]

T = TypeVar("T")
U = TypeVar("U")
E = TypeVar("E")


def and_then(result: Result[T, E], function: Callable[[T], Result[U, E]]) -> Result[U, E]:
    """Apply ``function`` to a success value; pass a failure through unchanged.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                          transport=FakeServer().transport()).unwrap()
        >>> jobs = and_then(cvatfn.tasks.retrieve(session, 42),
        ...                 lambda task: cvatfn.tasks.get_jobs(session, task))
        >>> jobs.failure().status
        404
    """
    if isinstance(result, Success):
        return function(result.unwrap())
    return Failure(result.failure())


def collect(results: Iterable[Result[T, E]]) -> Result[tuple[T, ...], E]:
    """All the success values as a tuple, or the first failure (later items are not read).

    This turns the lazy ``iterate`` stream into one ``Result``, stopping at the first failure.

    Examples:
        >>> import cvatfn
        >>> from cvatfn_fake import FakeServer
        >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
        ...                          transport=FakeServer().transport()).unwrap()
        >>> collect(cvatfn.tasks.iterate(session)).unwrap()
        ()
    """
    values: list[T] = []
    for result in results:
        if isinstance(result, Success):
            values.append(result.unwrap())
        else:
            return Failure(result.failure())
    return Success(tuple(values))
