from __future__ import annotations

import pytest

from .openapi_check import validate


def test_validator_rejects_wrong_shapes() -> None:
    with pytest.raises(AssertionError):
        validate(
            "GET",
            "/api/tasks/1",
            200,
            {"jobs": {"completed": 0, "validation": 0}, "labels": {}, "id": "one"},
        )
    with pytest.raises(AssertionError):
        validate(
            "GET", "/api/server/about", 200, {"name": "x", "description": "y", "version": "2.80.0"}
        )
    validate(
        "GET",
        "/api/tasks/1",
        200,
        {"jobs": {"completed": None, "validation": 0}, "labels": {}, "assignee": None},
    )
