"""Every ```python block of the documentation runs, against the fake server.

Each page under ``docs/``, and the README, is one test. Its blocks run in the order they
appear, with shared globals, as a reader would run them one after the other, in a fresh
temporary working directory (so a guide may write ``task.zip`` or ``frames/``).

Markers, each an HTML comment alone on the line before a block (invisible in the site):

- ``<!-- no-run -->``: the block is shown but not run (it needs a real server or network);
- ``<!-- setup -->``: the block is run like any other; the marker only says that it prepares
  what the page needs (sample images, a server) rather than teaching something;
- ``<!-- test-module -->``: the block is a pytest test module; it is not run with the page
  but by pytest (through ``pytester``), recording its cassettes with
  ``--cvat-record-mode=once`` and then replaying them in the default mode, ``none``.

Every :class:`~cvatfn_fake.FakeServer` a page creates hands out transports wrapped in
:class:`~tests.contract.openapi.ValidatingTransport`, so each response the pages receive is
checked against CVAT's 2.80 contract, and a page fails on a contract violation too. Line
numbers in tracebacks are those of the Markdown file.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cvatfn.http import Transport
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
pytest_plugins = ["pytester"]

PAGES = ["README.md", *sorted(path.relative_to(REPO).as_posix() for path in DOCS.rglob("*.md"))]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_MARKER = re.compile(r"^<!--\s*(?P<name>[a-z-]+)\s*-->$")
MARKERS = frozenset({"no-run", "setup", "test-module"})


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, code, first code line (1-based) and marker."""

    language: str
    code: str
    line: int
    marker: str | None


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order.

    An unknown ``<!-- ... -->`` marker before a block and an unclosed fence are errors, so a
    typo cannot silently skip or swallow code.
    """
    lines = text.splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"] else ""
        start = index + 1
        end = start
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and set(closing) == {fence[0]}:
                break
            end += 1
        else:
            raise ValueError(f"line {index + 1}: the code block is never closed")
        marker = None
        previous = index - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0 and (named := _MARKER.match(lines[previous].strip())):
            marker = named["name"]
            if marker not in MARKERS:
                raise ValueError(f"line {previous + 1}: unknown marker <!-- {marker} -->")
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line for line in lines[start:end]
        )
        found.append(Block(language, textwrap.dedent(body), start + 1, marker))
        index = end + 1
    return found


def runnable(page_blocks: list[Block]) -> list[Block]:
    """The Python blocks a page runs itself: every ``python`` block not marked otherwise."""
    return [
        b
        for b in page_blocks
        if b.language in {"python", "py"} and b.marker not in {"no-run", "test-module"}
    ]


def run_page(text: str, filename: str) -> int:
    """Run a page's Python blocks in order with shared globals; returns how many ran."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for block in runnable(blocks(text)):
        # Pad so that tracebacks show the Markdown file's own line numbers.
        code = compile("\n" * (block.line - 1) + block.code, filename, "exec")
        exec(code, namespace)
        ran += 1
    return ran


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ValidatingTransport]]:
    """Wrap every transport any FakeServer hands out; fail on a contract violation."""
    handed_out: list[ValidatingTransport] = []
    original: Callable[[FakeServer], Transport] = FakeServer.transport

    def transport(self: FakeServer) -> ValidatingTransport:
        wrapped = ValidatingTransport(original(self))
        handed_out.append(wrapped)
        return wrapped

    monkeypatch.setattr(FakeServer, "transport", transport)
    yield handed_out
    problems = [message for wrapped in handed_out for message in wrapped.violations]
    assert problems == [], problems


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(
    page: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    validated: list[ValidatingTransport],
) -> None:
    text = (REPO / page).read_text(encoding="utf-8")
    python_blocks = [b for b in blocks(text) if b.language in {"python", "py"}]
    if not python_blocks:
        pytest.skip(f"{page} has no Python code")
    monkeypatch.chdir(tmp_path)
    ran = run_page(text, str(REPO / page))
    assert ran > 0, f"every Python block of {page} is marked no-run"


def test_guides_run_against_a_validated_fake_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validated: list[ValidatingTransport]
) -> None:
    monkeypatch.chdir(tmp_path)
    page = "```python\nfrom cvatfn_fake import FakeServer\nt = FakeServer().transport()\n```\n"
    assert run_page(page, "page.md") == 1
    assert len(validated) == 1 and validated[0].inner is not None


def test_a_wrong_block_fails_the_page() -> None:
    page = "# Title\n\n```python\nx = 1\n```\n\nText.\n\n```python\nassert x == 2\n```\n"
    with pytest.raises(AssertionError):
        run_page(page, "page.md")


def test_blocks_share_globals_and_report_markdown_lines() -> None:
    page = "```python\nx = 1\n```\n\n```python\n\ny = x + 1\nraise RuntimeError(y)\n```\n"
    with pytest.raises(RuntimeError) as raised:
        run_page(page, "page.md")
    assert raised.value.args == (2,)
    assert raised.traceback[-1].lineno + 1 == 8  # pytest's line numbers count from 0


def test_markers() -> None:
    page = (
        "<!-- setup -->\n```python\nx = 1\n```\n\n"
        "<!-- no-run -->\n\n```python\nraise RuntimeError('needs a real server')\n```\n\n"
        "```sh\nexit 1\n```\n\n"
        "- A list item with code:\n\n    ```python\n    assert x == 1\n    ```\n"
    )
    found = blocks(page)
    assert [(b.language, b.marker) for b in found] == [
        ("python", "setup"),
        ("python", "no-run"),
        ("sh", None),
        ("python", None),
    ]
    assert run_page(page, "page.md") == 2


def test_unknown_markers_and_unclosed_fences_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown marker"):
        blocks("<!-- norun -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        blocks("```python\nx = 1\n")


def _test_modules() -> list[tuple[str, Block]]:
    found: list[tuple[str, Block]] = []
    for page in PAGES:
        for block in blocks((REPO / page).read_text(encoding="utf-8")):
            if block.marker == "test-module":
                found.append((f"{page}:{block.line}", block))
    return found


TEST_MODULES = _test_modules()


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--strict-markers", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args
    )


@pytest.mark.parametrize(
    "block", [block for _, block in TEST_MODULES], ids=[where for where, _ in TEST_MODULES]
)
def test_documented_test_modules_record_then_replay(
    block: Block, pytester: pytest.Pytester, validated: list[ValidatingTransport]
) -> None:
    assert block.language == "python"
    module = pytester.makepyfile(test_documented=block.code)
    tests = len(re.findall(r"^def test_", block.code, flags=re.MULTILINE))
    assert tests > 0

    recording = _pytest(pytester, "--cvat-record-mode=once", str(module))
    recording.assert_outcomes(passed=tests)
    cassettes = sorted((pytester.path / "cassettes" / "test_documented").glob("*.json"))
    assert len(cassettes) == tests

    replaying = _pytest(pytester, str(module))
    replaying.assert_outcomes(passed=tests)

    for cassette in cassettes:
        cassette.unlink()
    without = _pytest(pytester, str(module))
    without.assert_outcomes(failed=tests)  # mode none never records: a missing cassette fails
