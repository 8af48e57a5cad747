"""The fake server shares only the HTTP value types with the client, never its models.

If both sides used the same models, a wrong model would be mirrored by the fake server and
the tests would not notice. This test keeps the boundary where the design puts it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cvatfn_fake
import cvatfn_urllib3

ALLOWED_FROM_CORE = {"cvatfn.http"}


def _core_imports(package_dir: Path) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name == "cvatfn" or name.startswith("cvatfn."):
                    found.add((path.name, name))
    return found


def test_fake_server_imports_only_the_http_types() -> None:
    imports = _core_imports(Path(cvatfn_fake.__file__).parent)
    assert imports, "the fake server should at least use cvatfn.http"
    assert {module for _, module in imports} <= ALLOWED_FROM_CORE, imports


def test_urllib3_adapter_imports_only_the_http_types() -> None:
    imports = _core_imports(Path(cvatfn_urllib3.__file__).parent)
    assert {module for _, module in imports} <= ALLOWED_FROM_CORE, imports


def test_core_never_imports_an_adapter_at_import_time() -> None:
    core = Path(cvatfn_fake.__file__).parents[2] / "cvatfn"
    for path in sorted(core.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:  # module level only: lazy imports inside functions are allowed
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert not (module or "").startswith("cvatfn_"), f"{path.name} imports {module}"
