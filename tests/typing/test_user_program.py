"""The typing program also runs."""

from __future__ import annotations

from cvatfn.errors import DeadlineExceeded, InvalidInput
from tests.typing.user_program import describe, program


def test_program_runs() -> None:
    assert program() == ["missing 404", "p", "q"]


def test_describe_covers_errors() -> None:
    assert describe(InvalidInput(message="m", field="name")) == "bad input name"
    assert describe(DeadlineExceeded(message="m", seconds=3.0)) == "deadline 3.0"
