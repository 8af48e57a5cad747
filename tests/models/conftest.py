"""Shared fixtures: the CVAT API contract and the server assets in ``../shared/cvat-api``.

The directory is resolved relative to the repository (``<repo>/../shared/cvat-api``). If it is
missing the tests fail loudly: nothing is skipped and nothing is copied into the repository.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CVAT_API_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "cvat-api"
ASSETS_DIR = CVAT_API_DIR / "assets"
OPENAPI_PATH = CVAT_API_DIR / "openapi-2.80.json"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"missing {path}: the CVAT API contract and assets must be checked out at "
            f"<repo>/../shared/cvat-api",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The reconstructed CVAT 2.80 OpenAPI document."""
    data: dict[str, Any] = json.loads(_require(OPENAPI_PATH).read_text())
    return data


@pytest.fixture(scope="session")
def schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """``components.schemas`` of the 2.80 contract."""
    result: dict[str, Any] = openapi["components"]["schemas"]
    return result


@pytest.fixture(scope="session")
def asset_bytes() -> Callable[[str], bytes]:
    """Raw bytes of ``assets/<name>.json``."""

    def load(name: str) -> bytes:
        return _require(ASSETS_DIR / f"{name}.json").read_bytes()

    return load


@pytest.fixture(scope="session")
def asset() -> Callable[[str], Any]:
    """Parsed ``assets/<name>.json``."""

    def load(name: str) -> Any:
        return json.loads(_require(ASSETS_DIR / f"{name}.json").read_bytes())

    return load
