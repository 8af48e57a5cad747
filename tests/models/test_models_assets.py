"""Every object of the real server responses in ``shared/cvat-api/assets`` decodes.

The assets come from 2.2x-era servers and lack fields 2.80 added, so this is the leniency test.
Each object is also compared field by field with its JSON, so a field that the model lacks or
names differently fails here instead of being silently ignored.
"""

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from cvatfn._codec import decode
from cvatfn.models import (
    AccessToken,
    Comment,
    CvatModel,
    Invitation,
    Issue,
    Job,
    Label,
    LabeledData,
    Membership,
    Organization,
    Page,
    Project,
    Task,
    User,
)

from ._compare import assert_same

LIST_ASSETS: list[tuple[str, type[CvatModel]]] = [
    ("tasks", Task),
    ("projects", Project),
    ("jobs", Job),
    ("users", User),
    ("organizations", Organization),
    ("memberships", Membership),
    ("invitations", Invitation),
    ("labels", Label),
    ("issues", Issue),
    ("comments", Comment),
]


@pytest.mark.parametrize(("name", "model"), LIST_ASSETS, ids=[n for n, _ in LIST_ASSETS])
def test_list_page_decodes_as_page(
    name: str,
    model: type[CvatModel],
    asset: Callable[[str], Any],
    asset_bytes: Callable[[str], bytes],
) -> None:
    raw = asset(name)
    page = decode(Page[model], asset_bytes(name))  # type: ignore[valid-type]
    assert isinstance(page, Page)
    assert page.count == raw["count"] > 0
    assert len(page.results) == len(raw["results"]) > 0
    assert page.next == raw["next"]
    assert page.previous == raw["previous"]
    assert all(type(item) is model for item in page.results)
    assert_same(page, raw)


@pytest.mark.parametrize(("name", "model"), LIST_ASSETS, ids=[n for n, _ in LIST_ASSETS])
def test_each_object_decodes_alone(
    name: str, model: type[CvatModel], asset: Callable[[str], Any]
) -> None:
    objects = asset(name)["results"]
    assert objects
    for index, raw in enumerate(objects):
        obj = decode(model, msgspec.json.encode(raw))
        assert_same(obj, raw, f"{name}[{index}]")


def test_old_tasks_lack_2_80_fields_and_get_defaults(asset: Callable[[str], Any]) -> None:
    raw = asset("tasks")["results"][0]
    assert "media_type" not in raw
    assert "project_name" not in raw
    task = decode(Task, msgspec.json.encode(raw))
    assert task.media_type == ""
    assert task.project_name is None
    assert task.initial_replicas == 0
    assert task.jobs.count == raw["jobs"]["count"]


def test_access_tokens_decode(asset: Callable[[str], Any]) -> None:
    by_user = asset("access_tokens")["user"]
    decoded = 0
    for username, tokens in by_user.items():
        for raw in tokens:
            token = decode(AccessToken, msgspec.json.encode(raw))
            assert_same(token, raw, f"access_tokens[{username}]")
            assert token.owner is not None
            assert token.owner.username == username
            assert token.value is None  # only the creating response carries it
            decoded += 1
    assert decoded >= 4


@pytest.mark.parametrize("kind", ["job", "task"])
def test_annotations_decode(kind: str, asset: Callable[[str], Any]) -> None:
    by_id = asset("annotations")[kind]
    assert len(by_id) > 10
    for id_, raw in by_id.items():
        data = decode(LabeledData, msgspec.json.encode(raw))
        assert_same(data, raw, f"annotations.{kind}[{id_}]")


def test_annotations_cover_every_shape_type(asset: Callable[[str], Any]) -> None:
    seen: set[str] = set()
    elements = 0
    for by_id in asset("annotations").values():
        for raw in by_id.values():
            data = decode(LabeledData, msgspec.json.encode(raw))
            seen.update(shape.type for shape in data.shapes)
            elements += sum(len(shape.elements) for shape in data.shapes)
            elements += sum(len(track.elements) for track in data.tracks)
    assert seen == {
        "rectangle",
        "polygon",
        "polyline",
        "points",
        "ellipse",
        "cuboid",
        "mask",
        "skeleton",
    }
    assert elements > 0
