"""The guide's task example three ways: in-process, over HTTP with urllib3, and as a script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import cvatfn
from cvatfn.http import Transport
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport
from tests.integration.conftest import REPO

EXAMPLE = REPO / "docs" / "examples" / "task_example.py"
STEPS = [
    "created task",
    "from 2 local images: size=2",
    "the task has 1 job(s)",
    "image1.jpg 640x480, image2.png 320x240",
    "moved to stage 'validation'",
    "renamed the task to 'my task'",
    "fetched a new snapshot: 'my task'; the value we held still says 'example task'",
    "labels: ['car']",
    "retrieving it now gives NotFound",
    "logged out",
]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("task_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(lines: list[str]) -> None:
    text = "\n".join(lines)
    position = 0
    for step in STEPS:
        found = text.find(step, position)
        assert found >= 0, f"step {step!r} missing or out of order in:\n{text}"
        position = found


def _run_validated(host: str, transport: Transport, user: str, password: str, tmp: Path) -> None:
    """The example's steps over ``transport``, with every response checked against the contract."""
    example = _load()
    validating = ValidatingTransport(transport)
    lines: list[str] = []
    with cvatfn.make_client(host, credentials=(user, password), transport=validating) as client:
        example.run_example(client, example.make_images(tmp), lines.append)
    _check([*lines, "logged out"])
    assert validating.violations == [], validating.report()
    assert validating.count_2xx >= 10


def test_in_process(tmp_path: Path) -> None:
    _run_validated("http://localhost", FakeServer().transport(), "admin", "admin", tmp_path)


def test_over_http_with_urllib3(http_front: str, tmp_path: Path) -> None:
    with Urllib3Transport() as transport:
        _run_validated(http_front, transport, "alice", "alice-pw", tmp_path)


def test_main_in_process() -> None:
    lines: list[str] = []
    assert _load().main([], say=lines.append) == 0
    assert lines[0].startswith("using an in-process fake")
    _check(lines)


def test_main_over_http(http_front: str) -> None:
    lines: list[str] = []
    code = _load().main(
        ["--host", http_front, "--user", "alice", "--password", "alice-pw"], say=lines.append
    )
    assert code == 0, lines
    assert lines[0].startswith(f"connected to {http_front}")
    _check(lines)


def test_as_a_script_prints_each_step() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    _check(done.stdout.splitlines())


def test_wrong_password_is_reported_not_raised(http_front: str) -> None:
    lines: list[str] = []
    code = _load().main(["--host", http_front, "--password", "nope"], say=lines.append)
    assert code == 1
    assert "Unable to log in" in lines[-1]
