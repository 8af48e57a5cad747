"""Listing many tasks: seeded tasks, sorting on every field (ties and nulls included), who
sees what, and the jobs summary each row carries."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from cvatfn_fake import FakeServer
from tests.integration.fake_process import fake_http_server

from .conftest import Api, basic, image_bytes, make_task, upload_images


def _all(api: Api, query: str = "", headers: tuple[tuple[str, str], ...] = ()) -> list[Any]:
    reply = api.get(f"/api/tasks?page_size=all{query}", headers=headers)
    assert reply.status == 200, reply.data
    return list(reply.data["results"])


def test_seeded_tasks_are_the_tasks_post_creates(server: FakeServer, admin: Api) -> None:
    assert server.seed_tasks(30) == range(1, 31)
    posted = make_task(admin, "task 31")
    seeded = admin.get("/api/tasks/30").data
    assert seeded["name"] == "task 30" and seeded["owner"]["username"] == "admin"
    assert set(seeded) == set(posted)
    differ = {"id", "url", "name", "jobs", "labels"}
    assert {k: v for k, v in seeded.items() if k not in differ} == {
        k: v for k, v in posted.items() if k not in differ
    }
    rows = _all(admin)
    assert [row["id"] for row in rows] == list(range(31, 0, -1))
    assert rows[1] == seeded
    assert server.seed_tasks(0) == range(0)
    server.add_user("bob", "pw")
    assert [server.state.tasks[i].owner_id for i in server.seed_tasks(2, owner="bob")] == [2, 2]
    with pytest.raises(ValueError, match="no user"):
        server.seed_tasks(1, owner="nobody")
    with pytest.raises(ValueError, match=">= 0"):
        server.seed_tasks(-1)


def _row_value(row: dict[str, Any], field: str) -> Any:
    if field in ("owner", "assignee"):
        return row[field]["username"] if row[field] is not None else None
    if field == "tracker_link":
        return row["bug_tracker"]
    return row[field]


def _expected(rows: list[dict[str, Any]], sort: str) -> list[int]:
    """Sort the rows as the fake does: term by term, stable, nulls last ascending (first
    descending, as PostgreSQL orders them), ties in the order of creation."""
    ordered = sorted(rows, key=lambda row: int(row["id"]))
    for term in reversed(sort.split(",")):
        field, descending = term.lstrip("-"), term.startswith("-")
        ordered.sort(
            key=lambda row: (
                (v := _row_value(row, field)) is None,
                v if v is not None else 0,
            ),
            reverse=descending,
        )
    return [row["id"] for row in ordered]


SORTS = [
    "id",
    "-id",
    "name",
    "-name,id",
    "name,-id",
    "subset,-id",
    "-subset,name,id",
    "status,mode,dimension,-id",
    "tracker_link,-name",
    "-tracker_link,id",
    "created_date,-id",
    "-updated_date,name",
    "owner,-id",
    "-owner,id",
    "assignee,name,id",
    "-assignee,-id",
    "project_id,-id",
    "-project_id,id",
    "project_name,-created_date,id",
    "-project_name,-id",
    "media_type,-id",
    "validation_mode,id",
]


@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders_like_a_stable_multi_key_sort(server: FakeServer, sort: str) -> None:
    server.add_user("bob", "pw")
    server.add_user("carol", "pw")
    admin = Api(server, basic("admin", "admin"))
    project = admin.post("/api/projects", {"name": "p", "labels": [{"name": "a"}]}).data
    for index in range(40):
        spec: dict[str, Any] = {
            "name": f"task {index % 7}",
            "subset": ("", "train", "val")[index % 3],
        }
        if index % 4 == 0:
            spec["assignee_id"] = (2, 3)[index % 8 // 4]
        if index % 5 == 0:
            spec["bug_tracker"] = f"https://bugs/{index % 3}"
        if index % 6 == 0:
            spec["project_id"] = project["id"]
        else:
            spec["labels"] = [{"name": "a"}]
        owner = admin if index % 3 != 1 else Api(server, basic("bob", "pw"))
        if owner is not admin:
            spec.pop("assignee_id", None)
        assert owner.post("/api/tasks", spec).status == 201
        if index % 2:
            server.advance(60)  # whole seconds: the ISO dates then sort as the times do
    if "updated_date" in sort:
        for task_id in (3, 17, 29):
            server.advance(60)
            assert admin.patch(f"/api/tasks/{task_id}", {"subset": "edited"}).status == 200
    rows = _all(admin)
    assert len(rows) == 40
    assert [row["id"] for row in _all(admin, f"&sort={sort}")] == _expected(rows, sort)
    # Paging cuts the same order into pages.
    paged: list[int] = []
    for page in range(1, 5):
        reply = admin.get(f"/api/tasks?page_size=12&page={page}&sort={sort}")
        paged += [row["id"] for row in reply.data["results"]]
    assert paged == _expected(rows, sort)


def test_each_user_lists_what_they_may_see(server: FakeServer) -> None:
    for name in ("bob", "maint", "work"):
        server.add_user(name, "pw")
    admin = Api(server, basic("admin", "admin"))
    bob, maint, work = (Api(server, basic(n, "pw")) for n in ("bob", "maint", "work"))
    server.seed_tasks(6)
    server.seed_tasks(3, owner="bob")
    assert admin.patch("/api/tasks/2", {"assignee_id": 2}).status == 200
    server.add_organization("lab", owner="admin")
    server.add_membership("lab", "maint", "maintainer")
    server.add_membership("lab", "work", "worker")
    in_lab = (("X-Organization", "lab"),)
    for index in range(5):
        spec: dict[str, Any] = {"name": f"lab {index}"}
        if index == 3:
            spec["assignee_id"] = 4
        reply = admin.call("POST", "/api/tasks", json_body=spec, headers=in_lab)
        assert reply.status == 201, reply.data
    lab_ids = [14, 13, 12, 11, 10]

    def ids(api: Api, headers: tuple[tuple[str, str], ...] = ()) -> list[int]:
        return [row["id"] for row in _all(api, headers=headers)]

    assert ids(admin) == list(range(14, 0, -1))
    assert ids(admin, in_lab) == lab_ids
    assert ids(admin, (("X-Organization", ""),)) == list(range(9, 0, -1))
    assert ids(bob) == [9, 8, 7, 2]
    assert ids(maint, in_lab) == lab_ids
    assert ids(work, in_lab) == [13]
    assert ids(work) == [13] and ids(maint) == []
    assert bob.get("/api/tasks", headers=in_lab).status == 403


def test_list_rows_carry_the_jobs_summary_retrieve_shows(server: FakeServer, admin: Api) -> None:
    server.seed_tasks(3)
    with_data = [make_task(admin, f"data {i}", labels=["a"], segment_size=1)["id"] for i in (1, 2)]
    for task_id in with_data:
        files = [(f"{n}.png", image_bytes((8, 6))) for n in range(3 if task_id == 4 else 2)]
        assert upload_images(admin, task_id, files).status == 202
    jobs = admin.get("/api/jobs?page_size=all&sort=id").data["results"]
    assert len(jobs) == 5
    assert admin.patch(f"/api/jobs/{jobs[0]['id']}", {"stage": "validation"}).status == 200
    assert admin.patch(f"/api/jobs/{jobs[4]['id']}", {"stage": "validation"}).status == 200
    rows = {row["id"]: row for row in _all(admin)}
    summaries = {task_id: rows[task_id]["jobs"] for task_id in rows}
    for task_id, summary in summaries.items():
        assert summary == admin.get(f"/api/tasks/{task_id}").data["jobs"]
    assert summaries[4]["count"] == 3 and summaries[4]["validation"] == 1
    assert summaries[5]["count"] == 2 and summaries[5]["validation"] == 1
    assert summaries[1] == {
        "count": 0,
        "completed": 0,
        "validation": 0,
        "url": "http://testserver/api/jobs?task_id=1",
    }


def test_the_command_line_seeds_tasks() -> None:
    with fake_http_server("--seed-tasks", "12", "--log-limit", "0") as url:
        request = urllib.request.Request(
            url + "/api/tasks?page_size=5&page=3", headers=dict(basic("admin", "admin"))
        )
        with urllib.request.urlopen(request) as response:
            page = json.loads(response.read())
    assert page["count"] == 12
    assert [row["name"] for row in page["results"]] == ["task 2", "task 1"]
    refused = subprocess.run(
        [sys.executable, "-m", "cvatfn_fake", "--port", "0", "--seed-tasks", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "--seed-tasks must be >= 0" in refused.stderr
