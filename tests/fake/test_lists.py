from __future__ import annotations

import json
from urllib.parse import quote

from .conftest import Api, make_task


def _seed(admin: Api, count: int = 25) -> None:
    for i in range(count):
        make_task(admin, f"task {i:02d}", labels=["a"], subset="train" if i % 2 else "test")


def test_paging_defaults_next_previous_and_invalid_page(admin: Api) -> None:
    _seed(admin)
    first = admin.get("/api/tasks?sort=id&subset=train")
    assert first.data["count"] == 12 and len(first.data["results"]) == 10
    assert first.data["previous"] is None
    assert first.data["next"] == "http://testserver/api/tasks?page=2&sort=id&subset=train"
    second = admin.get(first.data["next"])
    assert len(second.data["results"]) == 2 and second.data["next"] is None
    assert second.data["previous"] == "http://testserver/api/tasks?sort=id&subset=train"
    assert admin.get("/api/tasks?page=9").data == {"detail": "Invalid page."}
    assert admin.get("/api/tasks?page=9").status == 404
    assert len(admin.get("/api/tasks?page_size=all").data["results"]) == 25
    assert len(admin.get("/api/tasks?page_size=3").data["results"]) == 3
    assert len(admin.get("/api/tasks?page_size=bogus").data["results"]) == 10


def test_default_order_is_newest_first_and_sort(admin: Api) -> None:
    _seed(admin, 5)
    ids = [t["id"] for t in admin.get("/api/tasks").data["results"]]
    assert ids == sorted(ids, reverse=True)
    names = [t["name"] for t in admin.get("/api/tasks?sort=-name").data["results"]]
    assert names == sorted(names, reverse=True)
    unknown = [t["id"] for t in admin.get("/api/tasks?sort=bogus").data["results"]]
    assert unknown == ids


def test_search_and_equality_filters(admin: Api) -> None:
    _seed(admin, 12)
    assert admin.get("/api/tasks?search=TASK%2001").data["count"] == 1
    assert admin.get("/api/tasks?name=task%2003").data["count"] == 1
    assert admin.get("/api/tasks?owner=admin").data["count"] == 12
    bad = admin.get("/api/tasks?status=bogus")
    assert bad.status == 400 and "status" in bad.data


def test_json_logic_filter(admin: Api) -> None:
    _seed(admin, 12)

    def count(rules: object) -> int:
        reply = admin.get("/api/tasks?filter=" + quote(json.dumps(rules)))
        assert reply.status == 200, reply.data
        return int(reply.data["count"])

    assert count({"and": [{"==": [{"var": "subset"}, "train"]}, {"<=": [{"var": "id"}, 6]}]}) == 3
    assert count({"in": [{"var": "id"}, [1, 2, 3]]}) == 3
    assert count({"in": ["task 1", {"var": "name"}]}) == 2
    assert count({"!": {"==": [{"var": "subset"}, "train"]}}) == 6
    assert count({"<=": [3, {"var": "id"}, 5]}) == 3
    assert count({"or": [{"==": [{"var": "id"}, 1]}, {">": [{"var": "id"}, 11]}]}) == 2
    assert count({"var": "assignee"}) == 0


def test_json_logic_errors(admin: Api) -> None:
    make_task(admin, labels=["a"])
    unsupported = admin.get("/api/tasks?filter=" + quote('{"==":[{"var":"secret"},1]}'))
    assert (unsupported.status, unsupported.data) == (
        400,
        ["filter: 'secret' term is not supported"],
    )
    not_equal = admin.get("/api/tasks?filter=" + quote('{"!=":[{"var":"id"},1]}'))
    assert not_equal.status == 400
    assert not_equal.data == [
        "filter: != operation with [{'var': 'id'}, 1] arguments is not implemented"
    ]
    assert admin.get("/api/tasks?filter=%7Bnope").data == ["filter: Json syntax should be used"]
    assert admin.get("/api/tasks?filter=%7B%7D").data == ["filter shouldn't be empty"]
