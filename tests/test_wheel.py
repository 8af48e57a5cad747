"""The built wheel works on its own: build it, install it into a fresh virtual environment with
only its declared dependencies, import the four packages there, find their ``py.typed``, and run
the README's quickstart against the fake server.

The fresh environment has no Pillow (the fake server reads image sizes in pure Python) and no
access to this checkout: the quickstart runs from a temporary directory with ``python -I``.
When the package registry or ``venv`` is unavailable the test is skipped with the reason; a
build or install that fails for any other reason fails the test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cvatfn", "cvatfn_urllib3", "cvatfn_fake", "cvatfn_cassette")

# pip's messages when it cannot reach an index, or the index lacks a pinned requirement.
_UNAVAILABLE = re.compile(
    r"Could not find a version that satisfies|No matching distribution found|"
    r"Failed to establish a new connection|Temporary failure in name resolution|"
    r"Network is unreachable|Connection refused|ConnectTimeoutError|ReadTimeoutError|"
    r"Max retries exceeded"
)


def _run(command: list[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=240, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} took longer than 240 s")
    if result.returncode != 0:
        output = f"{result.stdout}\n{result.stderr}".strip()
        tail = "\n".join(output.splitlines()[-15:])
        if _UNAVAILABLE.search(output):
            pytest.skip(f"{what}: the package registry is unavailable:\n{tail}")
        pytest.fail(f"{what} failed ({result.returncode}):\n{tail}")
    return result


def quickstart_source() -> str:
    """The first Python block under the README's ``## Quickstart`` heading that is not a
    ``<!-- setup -->`` block (the setup makes images with Pillow; this test writes its own)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quickstart\n", 1)[1]
    for match in re.finditer(r"(?:^|\n)(<!-- setup -->\n)?```python\n(.*?)```", section, re.DOTALL):
        if match.group(1) is None:
            return match.group(2)
    raise AssertionError("README has no Python block under Quickstart")


CHECK = """
import importlib, importlib.util, json, pathlib, sys, sysconfig

site = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
report = {"pillow": importlib.util.find_spec("PIL") is not None, "packages": {}}
for name in PACKAGES:
    module = importlib.import_module(name)
    folder = pathlib.Path(module.__file__).resolve().parent
    report["packages"][name] = {
        "installed": folder.parent == site,
        "py_typed": (folder / "py.typed").is_file(),
    }
for file_name, size in (("image1.jpg", (8, 6)), ("image2.png", (5, 7))):
    pathlib.Path(file_name).write_bytes(png(*size))  # image1.jpg holds PNG data, as CVAT allows
exec(compile(QUICKSTART, "README.md quickstart", "exec"))
report["quickstart"] = "ran"
print(json.dumps(report))
"""


def test_wheel_installs_and_runs_the_quickstart(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        cwd=tmp_path,
        what="building the wheel",
    )
    wheels = sorted(dist.glob("cvatfn-*.whl"))
    assert len(wheels) == 1, wheels

    env = tmp_path / "venv"
    try:
        created = subprocess.run(
            [sys.executable, "-m", "venv", str(env)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("creating a virtual environment took longer than 120 s")
    python = env / "bin" / "python"
    if created.returncode != 0 or not python.exists():
        pytest.skip(f"cannot create a virtual environment: {created.stderr.strip()[-500:]}")
    _run(
        [str(python), "-m", "pip", "install", "-q", str(wheels[0])],
        cwd=tmp_path,
        what="installing the wheel",
    )

    work = tmp_path / "work"
    work.mkdir()
    png_source = (ROOT / "tests" / "typing" / "_png.py").read_text(encoding="utf-8")
    script = work / "check_wheel.py"
    script.write_text(
        f"{png_source}\nPACKAGES = {PACKAGES!r}\nQUICKSTART = {quickstart_source()!r}\n{CHECK}",
        encoding="utf-8",
    )
    result = _run([str(python), "-I", str(script)], cwd=work, what="running the quickstart")

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "pillow": False,
        "packages": {name: {"installed": True, "py_typed": True} for name in PACKAGES},
        "quickstart": "ran",
    }
