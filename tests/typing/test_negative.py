"""Programs that must fail to type check do fail, exactly where they are marked.

Every file in ``tests/typing/negative`` marks the lines that are errors with
``# expect-error``. One mypy --strict run and one pyright --strict run over the folder must
report errors on exactly those lines: a marked line that type checks means the public types
have become too loose, and an error on an unmarked line means the program itself is wrong (so
the marked errors prove nothing).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEGATIVE = Path(__file__).resolve().parent / "negative"
MARKER = "# expect-error"
BIN = Path(sys.executable).parent

Location = tuple[str, int]  # (file name, 1-based line)


def expected_errors() -> set[Location]:
    marked: set[Location] = set()
    for path in sorted(NEGATIVE.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.rstrip().endswith(MARKER):
                marked.add((path.name, number))
    return marked


def _start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


_MYPY_LINE = re.compile(r"^(?P<path>[^:\n]+\.py):(?P<line>\d+): error: ")


def parse_mypy(output: str) -> set[Location]:
    return {
        (Path(match["path"]).name, int(match["line"]))
        for match in map(_MYPY_LINE.match, output.splitlines())
        if match is not None
    }


def parse_pyright(output: str) -> set[Location]:
    report = json.loads(output)
    return {
        (Path(item["file"]).name, item["range"]["start"]["line"] + 1)
        for item in report["generalDiagnostics"]
        if item["severity"] == "error"
    }


def _describe(locations: Iterable[Location]) -> str:
    return ", ".join(f"{name}:{line}" for name, line in sorted(locations)) or "none"


@pytest.fixture(scope="module")
def checker_errors() -> dict[str, set[Location]]:
    """Both checkers over the folder, run side by side."""
    folder = str(NEGATIVE.relative_to(ROOT))
    mypy = _start(
        [
            str(BIN / "python"),
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            folder,
        ]
    )
    pyright = _start([str(BIN / "pyright"), "--outputjson", folder])
    mypy_out, mypy_err = mypy.communicate(timeout=300)
    pyright_out, pyright_err = pyright.communicate(timeout=300)
    # mypy exits 1 when it found errors, 2 when it could not run at all.
    assert mypy.returncode == 1, f"mypy did not report errors:\n{mypy_out}{mypy_err}"
    assert pyright.returncode == 1, f"pyright did not report errors:\n{pyright_out}{pyright_err}"
    return {"mypy": parse_mypy(mypy_out), "pyright": parse_pyright(pyright_out)}


def test_every_negative_file_marks_errors() -> None:
    files = sorted(path.name for path in NEGATIVE.glob("*.py") if path.name != "__init__.py")
    assert files, "no negative programs"
    marked = {name for name, _ in expected_errors()}
    assert marked == set(files)


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_errors_exactly_on_marked_lines(
    checker_errors: dict[str, set[Location]], checker: str
) -> None:
    expected = expected_errors()
    found = checker_errors[checker]
    assert found == expected, (
        f"{checker}: marked lines without an error: {_describe(expected - found)}; "
        f"errors on unmarked lines: {_describe(found - expected)}"
    )


def test_parsers_read_the_checkers_formats() -> None:
    """The parsers find what the checkers print (so an empty parse cannot pass for 'no error')."""
    mypy = "tests/typing/negative/a.py:3: error: Bad  [arg-type]\ntests/x.py:4: note: n\n"
    assert parse_mypy(mypy) == {("a.py", 3)}
    pyright = json.dumps(
        {
            "generalDiagnostics": [
                {"file": "/r/a.py", "severity": "error", "range": {"start": {"line": 4}}},
                {"file": "/r/a.py", "severity": "warning", "range": {"start": {"line": 9}}},
            ]
        }
    )
    assert parse_pyright(pyright) == {("a.py", 5)}
