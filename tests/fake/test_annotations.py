"""Annotations in the fake server: ``/api/jobs/{id}/annotations`` and ``/api/tasks/{id}/...``.

Every exchange goes through the validating transport (``conftest.Api``), so each 2xx body is
also checked against CVAT's 2.80 contract.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from cvatfn_fake import FakeServer
from cvatfn_fake._annotations import (
    append_job_annotations,
    append_task_annotations,
    job_annotations,
    put_job_annotations,
    put_task_annotations,
    task_annotations,
)
from cvatfn_fake._errors import ApiError
from tests.contract.peer import Cvat, coverage_report, cvat, image

from .conftest import Api, Reply, image_bytes, upload_images

__all__ = ["coverage_report", "cvat"]  # the official client's fixtures

LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "attributes": [
            {
                "name": "color",
                "mutable": False,
                "input_type": "select",
                "values": ["red", "blue"],
                "default_value": "red",
            },
            {
                "name": "moving",
                "mutable": True,
                "input_type": "checkbox",
                "values": ["false", "true"],
                "default_value": "false",
            },
        ],
    },
    {"name": "person"},
    {
        "name": "body",
        "type": "skeleton",
        "svg": '<circle data-label-name="head"/><circle data-label-name="hand"/>',
        "sublabels": [
            {"name": "head", "type": "points"},
            {
                "name": "hand",
                "type": "points",
                "attributes": [
                    {
                        "name": "side",
                        "mutable": False,
                        "input_type": "text",
                        "values": ["left"],
                        "default_value": "left",
                    }
                ],
            },
        ],
    },
]

EMPTY: dict[str, Any] = {"version": 0, "tags": [], "shapes": [], "tracks": []}
MASK_POINTS = [0.0, 3.0, 1.0, 2.0, 0.0, 10.0, 20.0, 12.0, 22.0]
"""CVAT's mask encoding: run lengths (off, on, off, ...) then [left, top, right, bottom]."""


@dataclass
class Setup:
    task: int
    jobs: list[dict[str, Any]]
    label: dict[str, int]
    spec: dict[str, int]

    def job(self, index: int) -> str:
        return f"/api/jobs/{self.jobs[index]['id']}/annotations"

    @property
    def path(self) -> str:
        return f"/api/tasks/{self.task}/annotations"


def setup_task(
    api: Api,
    *,
    frames: int = 5,
    segment_size: int = 2,
    labels: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Setup:
    spec = {"name": "annotated", "labels": labels or LABELS, "segment_size": segment_size, **extra}
    created = api.post("/api/tasks", spec)
    assert created.status == 201, created.data
    task_id = created.data["id"]
    files = [(f"frame{i:02}.png", image_bytes((40, 30))) for i in range(frames)]
    assert upload_images(api, task_id, files).status == 202
    jobs = api.get(f"/api/jobs?task_id={task_id}&sort=id").data["results"]
    label: dict[str, int] = {}
    attribute: dict[str, int] = {}
    for item in api.get(f"/api/labels?task_id={task_id}").data["results"]:
        label[item["name"]] = item["id"]
        for sub in item.get("sublabels", []):
            label[sub["name"]] = sub["id"]
            attribute.update({a["name"]: a["id"] for a in sub["attributes"]})
        attribute.update({a["name"]: a["id"] for a in item["attributes"]})
    return Setup(task_id, jobs, label, attribute)


def put(api: Api, path: str, body: Any) -> Reply:
    return api.call("PUT", path, json_body=body)


def rect(s: Setup, frame: int, points: list[float], **extra: Any) -> dict[str, Any]:
    return {"type": "rectangle", "frame": frame, "label_id": s.label["person"], "points": points}


def shape_out(**fields: Any) -> dict[str, Any]:
    """A shape as the server answers it, with CVAT's defaults."""
    result: dict[str, Any] = {
        "id": None,
        "label_id": None,
        "type": "rectangle",
        "frame": 0,
        "group": 0,
        "source": "manual",
        "occluded": False,
        "outside": False,
        "z_order": 0,
        "rotation": 0.0,
        "points": [],
        "score": 1.0,
        "attributes": [],
    }
    result.update(fields)
    return result


def tracked_out(**fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": None,
        "type": "rectangle",
        "frame": 0,
        "occluded": False,
        "outside": False,
        "z_order": 0,
        "rotation": 0.0,
        "points": [],
        "attributes": [],
    }
    result.update(fields)
    return result


def strip_ids(value: Any) -> Any:
    """``value`` without any ``id`` keys (to compare content regardless of ids)."""
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in value.items() if k != "id"}  # type: ignore[misc]
    if isinstance(value, list):
        return [strip_ids(v) for v in value]  # type: ignore[misc]
    return value


# ------------------------------------------------------------------------ round trips
def test_job_round_trip_of_every_shape_type_tags_and_tracks(admin: Api) -> None:
    s = setup_task(admin, frames=3, segment_size=0)
    car, person, body = s.label["car"], s.label["person"], s.label["body"]
    head, hand = s.label["head"], s.label["hand"]
    color, moving, side = s.spec["color"], s.spec["moving"], s.spec["side"]
    request: dict[str, Any] = {
        "version": 7,
        "tags": [{"frame": 2, "label_id": person}, {"frame": 0, "label_id": car, "group": 3}],
        "shapes": [
            {
                "type": "rectangle",
                "frame": 1,
                "label_id": car,
                "points": [1, 2, 30, 20],
                "rotation": 45,
                "attributes": [{"spec_id": moving, "value": "true"}],
                "z_order": 2,
                "occluded": True,
                "score": 0.5,
                "source": "auto",
            },
            {"type": "polygon", "frame": 0, "label_id": person, "points": [0, 0, 9, 0, 9, 9]},
            {"type": "polyline", "frame": 0, "label_id": person, "points": [0, 0, 5, 5, 9, 1]},
            {"type": "points", "frame": 0, "label_id": person, "points": [3, 4, 5.5, 6.5]},
            {"type": "ellipse", "frame": 0, "label_id": person, "points": [10, 10, 15, 12]},
            {"type": "cuboid", "frame": 0, "label_id": person, "points": list(range(16))},
            {"type": "mask", "frame": 0, "label_id": person, "points": MASK_POINTS},
            {
                "type": "skeleton",
                "frame": 0,
                "label_id": body,
                "points": [1, 1],
                "elements": [
                    {"type": "points", "frame": 0, "label_id": hand, "points": [5, 6]},
                    {"type": "points", "frame": 0, "label_id": head, "points": [1, 2]},
                ],
            },
        ],
        "tracks": [
            {
                "frame": 0,
                "label_id": car,
                "attributes": [{"spec_id": color, "value": "blue"}],
                "shapes": [
                    {"type": "rectangle", "frame": 2, "points": [2, 2, 6, 6], "outside": True},
                    {
                        "type": "rectangle",
                        "frame": 0,
                        "points": [0, 0, 4, 4],
                        "attributes": [{"spec_id": moving, "value": "true"}],
                    },
                ],
            },
            {
                "frame": 0,
                "label_id": body,
                "shapes": [{"type": "skeleton", "frame": 0, "points": []}],
                "elements": [
                    {
                        "frame": 0,
                        "label_id": head,
                        "shapes": [{"type": "points", "frame": 0, "points": [1, 1]}],
                    }
                ],
            },
        ],
    }
    reply = put(admin, s.job(0), request)
    assert reply.status == 200, reply.data
    assert reply.data["version"] == 0
    assert [t["id"] for t in reply.data["tags"]] == [1, 2]
    assert [sh["id"] for sh in reply.data["shapes"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [e["id"] for e in reply.data["shapes"][7]["elements"]] == [9, 10]
    assert [t["id"] for t in reply.data["tracks"]] == [1, 2]
    assert [sh["id"] for sh in reply.data["tracks"][0]["shapes"]] == [1, 2]
    assert reply.data["tracks"][1]["elements"][0]["id"] == 3

    got = admin.get(s.job(0))
    assert got.status == 200
    assert got.data["tags"] == [
        {"id": 2, "label_id": car, "frame": 0, "group": 3, "source": "manual", "attributes": [
            {"spec_id": color, "value": "red"}, {"spec_id": moving, "value": "false"}]},
        {"id": 1, "label_id": person, "frame": 2, "group": 0, "source": "manual", "attributes": []},
    ]  # fmt: skip
    shapes = got.data["shapes"]
    assert [sh["id"] for sh in shapes] == [2, 3, 4, 5, 6, 7, 8, 1]  # by frame, then id
    assert shapes[-1] == shape_out(
        id=1,
        label_id=car,
        frame=1,
        points=[1.0, 2.0, 30.0, 20.0],
        rotation=45.0,
        z_order=2,
        occluded=True,
        score=0.5,
        source="auto",
        attributes=[{"spec_id": moving, "value": "true"}, {"spec_id": color, "value": "red"}],
        elements=[],
    )
    assert shapes[5] == shape_out(
        id=7, label_id=person, type="mask", points=MASK_POINTS, elements=[]
    )
    assert shapes[4]["points"] == [float(v) for v in range(16)]
    skeleton = shapes[6]
    assert (skeleton["type"], skeleton["points"]) == ("skeleton", [])
    assert skeleton["elements"] == [
        shape_out(id=9, label_id=hand, type="points", points=[5.0, 6.0],
                  attributes=[{"spec_id": side, "value": "left"}]),
        shape_out(id=10, label_id=head, type="points", points=[1.0, 2.0]),
    ]  # fmt: skip
    box_track, body_track = got.data["tracks"]
    assert box_track == {
        "id": 1,
        "label_id": car,
        "frame": 0,
        "group": 0,
        "source": "manual",
        "shapes": [
            tracked_out(id=2, points=[0.0, 0.0, 4.0, 4.0],
                        attributes=[{"spec_id": moving, "value": "true"}]),
            tracked_out(id=1, frame=2, points=[2.0, 2.0, 6.0, 6.0], outside=True,
                        attributes=[{"spec_id": moving, "value": "true"}]),
        ],
        "attributes": [{"spec_id": color, "value": "blue"}],
        "elements": [],
    }  # fmt: skip
    assert body_track["shapes"] == [tracked_out(id=3, type="skeleton", points=[])]
    assert body_track["elements"] == [
        {"id": 3, "label_id": head, "frame": 0, "group": 0, "source": "manual",
         "shapes": [tracked_out(id=4, type="points", points=[1.0, 1.0])], "attributes": []}
    ]  # fmt: skip
    assert admin.get(s.path).data == got.data  # one job: the task view is the job's


def test_ids_come_from_per_table_sequences_and_client_ids_are_ignored(admin: Api) -> None:
    s = setup_task(admin)
    body = {
        "tags": [{"id": 500, "frame": 0, "label_id": s.label["person"]}],
        "shapes": [{**rect(s, 0, [0, 0, 1, 1]), "id": 500}],
        "tracks": [
            {
                "id": 500,
                "frame": 0,
                "label_id": s.label["person"],
                "shapes": [{"id": 500, "type": "rectangle", "frame": 0, "points": [0, 0, 1, 1]}],
            }
        ],
    }
    first = put(admin, s.job(0), body).data
    assert (first["tags"][0]["id"], first["shapes"][0]["id"]) == (1, 1)
    assert (first["tracks"][0]["id"], first["tracks"][0]["shapes"][0]["id"]) == (1, 1)
    again = put(admin, s.job(0), body).data  # a PUT replaces, and ids are never reused
    assert (again["tags"][0]["id"], again["shapes"][0]["id"], again["tracks"][0]["id"]) == (2, 2, 2)
    created = admin.patch(s.job(1) + "?action=create", body).data
    assert (created["tags"][0]["id"], created["shapes"][0]["id"]) == (3, 3)
    assert [t["id"] for t in admin.get(s.job(0)).data["tags"]] == [2]
    assert [t["id"] for t in admin.get(s.path).data["tags"]] == [2, 3]


# ----------------------------------------------------------------------- job PATCH/DELETE
def test_job_patch_create_update_delete_and_destroy(server: FakeServer, admin: Api) -> None:
    s = setup_task(admin)
    skeleton = {
        "type": "skeleton",
        "frame": 1,
        "label_id": s.label["body"],
        "elements": [
            {"type": "points", "frame": 1, "label_id": s.label["head"], "points": [1, 1]},
            {"type": "points", "frame": 1, "label_id": s.label["hand"], "points": [2, 2]},
        ],
    }
    created = admin.patch(
        s.job(0) + "?action=create", {"shapes": [rect(s, 0, [0, 0, 5, 5]), skeleton]}
    )
    assert created.status == 200
    box_id, skeleton_id = (sh["id"] for sh in created.data["shapes"])
    head_id, hand_id = (e["id"] for e in created.data["shapes"][1]["elements"])
    more = admin.patch(s.job(0) + "?action=create", {"shapes": [rect(s, 1, [1, 1, 2, 2])]})
    assert len(admin.get(s.job(0)).data["shapes"]) == 3

    before = admin.get(f"/api/jobs/{s.jobs[0]['id']}").data["updated_date"]
    server.advance(60)
    moved = {**rect(s, 0, [10, 10, 20, 20]), "id": box_id, "z_order": 4}
    new_skeleton = copy.deepcopy(created.data["shapes"][1])
    new_skeleton["elements"] = [{**new_skeleton["elements"][0], "points": [9.0, 9.0]}]
    updated = admin.patch(s.job(0) + "?action=update", {"shapes": [moved, new_skeleton]})
    assert updated.status == 200, updated.data
    assert [sh["id"] for sh in updated.data["shapes"]] == [box_id, skeleton_id]
    shapes = {sh["id"]: sh for sh in admin.get(s.job(0)).data["shapes"]}
    assert (shapes[box_id]["points"], shapes[box_id]["z_order"]) == ([10.0, 10.0, 20.0, 20.0], 4)
    assert [(e["id"], e["points"]) for e in shapes[skeleton_id]["elements"]] == [
        (head_id, [9.0, 9.0])
    ]
    after = admin.get(f"/api/jobs/{s.jobs[0]['id']}").data["updated_date"]
    assert after > before
    task_updated = admin.get(f"/api/tasks/{s.task}").data["updated_date"]
    assert task_updated == after

    no_id = admin.patch(s.job(0) + "?action=update", {"shapes": [rect(s, 0, [0, 0, 1, 1])]})
    new_id = no_id.data["shapes"][0]["id"]
    assert new_id not in (box_id, skeleton_id, head_id, hand_id) and new_id > hand_id

    deleted = admin.patch(
        s.job(0) + "?action=delete",
        {"shapes": [{**skeleton, "id": skeleton_id}, {**rect(s, 0, [0, 0, 1, 1]), "id": 999}]},
    )
    assert deleted.status == 200
    assert [sh["id"] for sh in deleted.data["shapes"]] == [skeleton_id, 999]  # the request
    left = {sh["id"] for sh in admin.get(s.job(0)).data["shapes"]}
    assert left == {box_id, more.data["shapes"][0]["id"], new_id}

    destroyed = admin.delete(s.job(0))
    assert (destroyed.status, destroyed.response.body) == (204, b"")
    assert admin.get(s.job(0)).data == EMPTY


def test_update_with_an_id_owned_by_another_job_is_an_integrity_error(admin: Api) -> None:
    s = setup_task(admin)
    other = put(admin, s.job(1), {"shapes": [rect(s, 2, [0, 0, 1, 1])]}).data["shapes"][0]
    put(admin, s.job(0), {"tags": [{"frame": 0, "label_id": s.label["car"]}]})
    clash = admin.patch(s.job(0) + "?action=update", {"shapes": [{**other, "frame": 0}]})
    assert (clash.status, clash.data) == (
        400,
        'duplicate key value violates unique constraint "engine_labeledshape_pkey"\n'
        f"DETAIL:  Key (id)=({other['id']}) already exists.\n",
    )
    assert len(admin.get(s.job(0)).data["tags"]) == 1  # nothing changed
    fresh = admin.patch(s.job(0) + "?action=update", {"shapes": [{**other, "id": 77}]})
    assert fresh.data["shapes"][0]["id"] == 77  # an unused id is kept, as CVAT inserts it
    later = admin.patch(s.job(0) + "?action=create", {"shapes": [rect(s, 1, [0, 0, 1, 1])]})
    assert later.data["shapes"][0]["id"] == 78  # and new ids go on after it


def test_patch_needs_a_valid_action(admin: Api) -> None:
    s = setup_task(admin)
    message = ["Please specify a correct 'action' for the request"]
    for path in (s.job(0), s.job(0) + "?action=replace", s.path + "?action="):
        reply = admin.patch(path, {"shapes": []})
        assert (reply.status, reply.data) == (400, message)


# ---------------------------------------------------------------------------- tasks
def test_task_view_is_the_union_of_its_jobs(admin: Api) -> None:
    s = setup_task(admin)
    assert [(j["start_frame"], j["stop_frame"]) for j in s.jobs] == [(0, 1), (2, 3), (4, 4)]
    put(admin, s.job(0), {"shapes": [rect(s, 1, [1, 1, 2, 2])], "tags": [
        {"frame": 0, "label_id": s.label["car"]}]})  # fmt: skip
    put(admin, s.job(2), {"shapes": [rect(s, 4, [4, 4, 5, 5])]})
    put(admin, s.job(1), {"shapes": [rect(s, 3, [3, 3, 4, 4]), rect(s, 2, [2, 2, 3, 3])]})
    jobs = [admin.get(s.job(i)).data for i in range(3)]
    task = admin.get(s.path).data
    for kind in ("tags", "shapes", "tracks"):
        assert task[kind] == [obj for job in jobs for obj in job[kind]]
    assert [sh["frame"] for sh in task["shapes"]] == [1, 2, 3, 4]


def test_task_put_cuts_objects_and_tracks_by_job(admin: Api) -> None:
    s = setup_task(admin)
    person = s.label["person"]
    track = {
        "frame": 0,
        "label_id": person,
        "shapes": [
            {"type": "rectangle", "frame": 0, "points": [0, 0, 10, 10]},
            {"type": "rectangle", "frame": 4, "points": [40, 0, 50, 10], "rotation": 90},
        ],
    }
    body = {
        "tags": [{"frame": 3, "label_id": person}, {"frame": 9, "label_id": person}],
        "shapes": [rect(s, 0, [0, 0, 1, 1]), rect(s, 4, [4, 4, 5, 5]), rect(s, 7, [0, 0, 1, 1])],
        "tracks": [track],
    }
    reply = put(admin, s.path, body)
    assert reply.status == 200, reply.data
    jobs = [admin.get(s.job(i)).data for i in range(3)]
    assert [[t["frame"] for t in job["tags"]] for job in jobs] == [[], [3], []]
    assert [[sh["frame"] for sh in job["shapes"]] for job in jobs] == [[0], [], [4]]

    def geometry(job: dict[str, Any]) -> list[tuple[int, list[float], float, bool]]:
        (part,) = job["tracks"]
        return [(t["frame"], t["points"], t["rotation"], t["outside"]) for t in part["shapes"]]

    # the track is cut in three: each part has the interpolated shapes on its job's edges
    assert geometry(jobs[0]) == [
        (0, [0.0, 0.0, 10.0, 10.0], 0.0, False),
        (1, [10.0, 0.0, 20.0, 10.0], 22.5, False),
    ]
    assert geometry(jobs[1]) == [
        (2, [20.0, 0.0, 30.0, 10.0], 45.0, False),
        (3, [30.0, 0.0, 40.0, 10.0], 67.5, False),
    ]
    assert geometry(jobs[2]) == [(4, [40.0, 0.0, 50.0, 10.0], 90.0, False)]

    task = admin.get(s.path).data
    assert [t["frame"] for t in task["tags"]] == [3]  # frame 9 is on no job: dropped
    assert [sh["frame"] for sh in task["shapes"]] == [0, 4]
    parts = [[(sh["frame"], sh["outside"]) for sh in t["shapes"]] for t in task["tracks"]]
    assert parts == [
        [(0, False), (1, False), (2, True)],  # closed where the next job starts
        [(2, False), (3, False), (4, True)],
        [(4, False)],
    ]
    assert strip_ids(reply.data) == strip_ids(task)  # the PUT answers the merged result


def test_task_patch_actions_and_delete(admin: Api) -> None:
    s = setup_task(admin)
    created = admin.patch(
        s.path + "?action=create",
        {"shapes": [rect(s, 0, [0, 0, 1, 1]), rect(s, 3, [3, 3, 4, 4])]},
    )
    assert created.status == 200
    first, second = created.data["shapes"]
    assert [len(admin.get(s.job(i)).data["shapes"]) for i in range(3)] == [1, 1, 0]
    updated = admin.patch(
        s.path + "?action=update", {"shapes": [{**second, "points": [7.0, 7.0, 8.0, 8.0]}]}
    )
    assert updated.data["shapes"][0]["id"] == second["id"]
    assert admin.get(s.job(1)).data["shapes"][0]["points"] == [7.0, 7.0, 8.0, 8.0]
    deleted = admin.patch(s.path + "?action=delete", {"shapes": [first]})
    assert deleted.status == 200 and [sh["id"] for sh in deleted.data["shapes"]] == [first["id"]]
    assert admin.get(s.job(0)).data == EMPTY
    assert len(admin.get(s.path).data["shapes"]) == 1
    assert admin.delete(s.path).status == 204
    assert admin.get(s.path).data == EMPTY
    assert [admin.get(s.job(i)).data for i in range(3)] == [EMPTY] * 3


def test_overlapping_jobs_share_objects_the_way_cvat_merges_them(admin: Api) -> None:
    s = setup_task(admin, frames=5, segment_size=3, overlap=1)
    assert [(j["start_frame"], j["stop_frame"]) for j in s.jobs] == [(0, 2), (2, 4)]
    person = s.label["person"]
    body = {
        "tags": [{"frame": 2, "label_id": person}],
        "shapes": [
            rect(s, 2, [0, 0, 10, 10]),
            {"type": "points", "frame": 2, "label_id": person, "points": [1, 1]},
        ],
    }
    put(admin, s.path, body)
    for index in range(2):  # frame 2 belongs to both jobs, so both hold every object
        job = admin.get(s.job(index)).data
        assert (len(job["tags"]), len(job["shapes"])) == (1, 2)
    task = admin.get(s.path).data
    assert len(task["tags"]) == 1  # tags of one label pair up
    # boxes pair up by intersection over union; CVAT never pairs points
    assert sorted(sh["type"] for sh in task["shapes"]) == ["points", "points", "rectangle"]

    track = {
        "frame": 0,
        "label_id": person,
        "shapes": [
            {"type": "rectangle", "frame": 0, "points": [0, 0, 10, 10]},
            {"type": "rectangle", "frame": 4, "points": [40, 0, 50, 10]},
        ],
    }
    put(admin, s.path, {"tracks": [track]})
    parts = [admin.get(s.job(i)).data["tracks"] for i in range(2)]
    assert [[sh["frame"] for sh in t["shapes"]] for (t,) in parts] == [[0, 2], [2, 4]]
    (merged,) = admin.get(s.path).data["tracks"]  # the two parts agree on frame 2: one track
    assert [(sh["frame"], sh["points"]) for sh in merged["shapes"]] == [
        (0, [0.0, 0.0, 10.0, 10.0]),
        (2, [20.0, 0.0, 30.0, 10.0]),
        (4, [40.0, 0.0, 50.0, 10.0]),
    ]


def test_tracks_are_synchronised_and_empty_ones_dropped(admin: Api) -> None:
    s = setup_task(admin, frames=6, segment_size=0)
    person, body, head = s.label["person"], s.label["body"], s.label["head"]
    box = {"type": "rectangle", "points": [0, 0, 2, 2]}
    reply = put(
        admin,
        s.job(0),
        {
            "tracks": [
                {"frame": 1, "label_id": person, "shapes": [{**box, "frame": 3}]},
                {"frame": 4, "label_id": person, "shapes": [{**box, "frame": 2}]},
                {"frame": 0, "label_id": person, "shapes": []},
                {
                    "frame": 2,
                    "label_id": body,
                    "shapes": [{"type": "skeleton", "frame": 2}],
                    "elements": [
                        {
                            "frame": 1,
                            "label_id": head,
                            "shapes": [{"type": "points", "frame": 1, "points": [1, 1]}],
                        }
                    ],
                },
            ]
        },
    )
    assert reply.status == 200
    tracks = admin.get(s.job(0)).data["tracks"]
    assert len(tracks) == 3
    early, late, skeleton = tracks
    # a track that starts before its first shape gains an outside shape on its frame
    assert [(sh["frame"], sh["outside"]) for sh in early["shapes"]] == [(1, True), (3, False)]
    assert late["frame"] == 2  # a track starts on its first shape
    # a sub-track never starts before its parent: the parent moves back to it
    assert (skeleton["frame"], skeleton["shapes"][0]["frame"]) == (1, 1)
    assert skeleton["elements"][0]["frame"] == 1


def test_tracked_shape_attributes_carry_forward(admin: Api) -> None:
    s = setup_task(admin, frames=4, segment_size=0)
    moving = s.spec["moving"]
    track = {
        "frame": 0,
        "label_id": s.label["car"],
        "shapes": [
            {"type": "rectangle", "frame": 0, "points": [0, 0, 1, 1]},
            {"type": "rectangle", "frame": 1, "points": [0, 0, 1, 1],
             "attributes": [{"spec_id": moving, "value": "true"}]},
            {"type": "rectangle", "frame": 2, "points": [0, 0, 1, 1]},
        ],
    }  # fmt: skip
    put(admin, s.job(0), {"tracks": [track]})
    (got,) = admin.get(s.job(0)).data["tracks"]
    assert got["attributes"] == [{"spec_id": s.spec["color"], "value": "red"}]
    assert [sh["attributes"] for sh in got["shapes"]] == [
        [{"spec_id": moving, "value": "false"}],
        [{"spec_id": moving, "value": "true"}],
        [{"spec_id": moving, "value": "true"}],
    ]


def test_polygon_track_is_interpolated_at_job_edges(admin: Api) -> None:
    s = setup_task(admin, frames=5, segment_size=2)
    square = [0.0, 0.0, 8.0, 0.0, 8.0, 8.0, 0.0, 8.0]
    moved = [v + 16.0 if i % 2 == 0 else v for i, v in enumerate(square)]
    track = {
        "frame": 0,
        "label_id": s.label["person"],
        "shapes": [
            {"type": "polygon", "frame": 0, "points": square},
            {"type": "polygon", "frame": 4, "points": moved},
        ],
    }
    put(admin, s.path, {"tracks": [track]})
    (part,) = admin.get(s.job(1)).data["tracks"]
    assert [(sh["frame"], sh["points"]) for sh in part["shapes"]] == [
        (2, [8.0, 0.0, 16.0, 0.0, 16.0, 8.0, 8.0, 8.0]),
        (3, [12.0, 0.0, 20.0, 0.0, 20.0, 8.0, 12.0, 8.0]),
    ]


# ------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (["not", "a", "dict"], {"non_field_errors": [
            "Invalid data. Expected a dictionary, but got list."]}),
        ({"tags": {}}, {"tags": {"non_field_errors": [
            'Expected a list of items but got type "dict".']}}),
        ({"tags": [{"frame": 0}]}, {"tags": [{"label_id": ["This field is required."]}]}),
        ({"tags": [{"frame": -1, "label_id": "x"}]}, {"tags": [{
            "frame": ["Ensure this value is greater than or equal to 0."],
            "label_id": ["A valid integer is required."]}]}),
        ({"shapes": [{"frame": 0, "label_id": 1}]}, {"shapes": [{
            "type": ["This field is required."]}]}),
        ({"shapes": [{}, {"type": "box", "frame": 0, "label_id": 1}]}, {"shapes": [
            {"type": ["This field is required."], "frame": ["This field is required."],
             "label_id": ["This field is required."]},
            {"type": ['"box" is not a valid choice.']}]}),
        ({"shapes": [{"type": "points", "frame": 0, "label_id": 1, "points": [1, "2", None]}]},
         {"shapes": [{"points": {"1": ["Value must be a float or an integer"],
                                 "2": ["Value must be a float or an integer"]}}]}),
        ({"shapes": [{"type": "points", "frame": 0, "label_id": 1, "rotation": 361,
                      "score": 2, "occluded": "maybe", "group": None, "source": ""}]},
         {"shapes": [{"rotation": ["Ensure this value is less than or equal to 360."],
                      "score": ["Ensure this value is less than or equal to 1."],
                      "occluded": ["Must be a valid boolean."],
                      "source": ["This field may not be blank."]}]}),
        ({"shapes": [{"type": "points", "frame": 0, "label_id": 1, "attributes": [
            {"value": "x"}, "y"]}]},
         {"shapes": [{"attributes": [{"spec_id": ["This field is required."]}, {
             "non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}]}]}),
        ({"tracks": [{"frame": 0, "label_id": 1}]}, {"tracks": [{
            "shapes": ["This field is required."]}]}),
        ({"tracks": [{"frame": 0, "label_id": 1, "shapes": [{"type": "points"}]}]},
         {"tracks": [{"shapes": [{"frame": ["This field is required."]}]}]}),
        ({"tags": [None]}, {"tags": [["This field may not be null."]]}),
    ],
)  # fmt: skip
def test_serializer_errors(admin: Api, body: Any, errors: Any) -> None:
    s = setup_task(admin, frames=1)
    for path in (s.job(0), s.path):
        reply = put(admin, path, body)
        assert (reply.status, reply.data) == (400, errors)
    assert admin.get(s.path).data == EMPTY


def test_labels_and_attributes_are_checked_like_cvat(server: FakeServer, admin: Api) -> None:
    s = setup_task(admin)
    other = setup_task(admin, frames=1, labels=[{"name": "alien", "attributes": [
        {"name": "x", "mutable": True, "input_type": "text", "values": [""]}]}])  # fmt: skip
    alien = other.label["alien"]
    car, color, moving = s.label["car"], s.spec["color"], s.spec["moving"]
    put(admin, s.job(0), {"tags": [{"frame": 0, "label_id": car}]})

    def error(body: dict[str, Any]) -> Any:
        reply = put(admin, s.job(0), body)
        assert reply.status == 400
        return reply.data

    box = {"type": "rectangle", "frame": 0, "points": [0, 0, 1, 1]}
    assert error({"shapes": [{**box, "label_id": alien}]}) == [f"label_id `{alien}` is invalid"]
    wrong = other.spec["x"]
    assert error({"tags": [{"frame": 0, "label_id": car, "attributes": [
        {"spec_id": wrong, "value": "1"}]}]}) == [f"spec_id `{wrong}` is invalid"]  # fmt: skip
    # a track takes immutable attributes, its shapes mutable ones
    assert error(
        {"tracks": [{"frame": 0, "label_id": car, "shapes": [box],
                     "attributes": [{"spec_id": moving, "value": "true"}]}]}
    ) == [f"spec_id `{moving}` is invalid"]  # fmt: skip
    assert error(
        {"tracks": [{"frame": 0, "label_id": car,
                     "shapes": [{**box, "attributes": [{"spec_id": color, "value": "red"}]}]}]}
    ) == [f"spec_id `{color}` is invalid"]  # fmt: skip
    # skeleton elements are labels of the task like any other
    assert error({"shapes": [{**box, "type": "skeleton", "label_id": s.label["body"],
                              "elements": [{**box, "label_id": alien}]}]}) == [
        f"label_id `{alien}` is invalid"]  # fmt: skip
    assert len(admin.get(s.job(0)).data["tags"]) == 1  # failed writes changed nothing

    # a task write that fails in its second job leaves the first one untouched
    def dates() -> list[str]:
        paths = [f"/api/tasks/{s.task}", *(f"/api/jobs/{job['id']}" for job in s.jobs)]
        return [admin.get(path).data["updated_date"] for path in paths]

    before = dates()
    server.advance(60)
    bad = {"shapes": [rect(s, 0, [0, 0, 1, 1]), {**box, "frame": 2, "label_id": alien}]}
    reply = put(admin, s.path, bad)
    assert (reply.status, reply.data) == (400, [f"label_id `{alien}` is invalid"])
    assert [len(admin.get(s.job(i)).data["tags"]) for i in range(3)] == [1, 0, 0]
    assert admin.get(s.job(0)).data["shapes"] == []
    assert dates() == before


def test_what_cvat_does_not_check_is_accepted(admin: Api) -> None:
    s = setup_task(admin)
    person, head = s.label["person"], s.label["head"]
    loose: dict[str, Any] = {
        "shapes": [
            {"type": "rectangle", "frame": 4, "label_id": person, "points": [1]},  # job 0: 0-1
            {"type": "polygon", "frame": 0, "label_id": head, "points": []},
        ]
    }
    reply = put(admin, s.job(0), loose)
    assert reply.status == 200
    assert [sh["frame"] for sh in admin.get(s.job(0)).data["shapes"]] == [0, 4]


# ----------------------------------------------------------------------- permissions
def test_permissions_and_missing_objects(server: FakeServer, admin: Api, anon: Api) -> None:
    s = setup_task(admin)
    server.add_user("alice", "pw")
    worker_id = server.add_user("worker", "pw")
    alice, worker = admin.as_user("alice", "pw"), admin.as_user("worker", "pw")
    denied = (403, {"detail": "You do not have permission to perform this action."})
    for path in (s.job(0), s.path):
        calls: list[tuple[str, Any]] = [("GET", None), ("PUT", EMPTY), ("PATCH", EMPTY)]
        for method, body in [*calls, ("DELETE", None)]:
            reply = alice.call(method, path + "?action=create", json_body=body)
            assert (reply.status, reply.data) == denied, (method, path)
        assert anon.get(path).status == 401
    assert admin.get("/api/jobs/999/annotations").data == {
        "detail": "No Job matches the given query."
    }
    assert admin.get("/api/tasks/999/annotations").data == {
        "detail": "No Task matches the given query."
    }
    admin.patch(f"/api/jobs/{s.jobs[0]['id']}", {"assignee": worker_id})
    assert put(worker, s.job(0), {"shapes": [rect(s, 0, [0, 0, 1, 1])]}).status == 200
    assert worker.get(s.job(0)).status == 200
    assert worker.get(s.path).status == 403  # a job assignee does not see the task
    assert worker.get(s.job(1)).status == 403


def test_task_without_data(admin: Api) -> None:
    created = admin.post("/api/tasks", {"name": "empty", "labels": [{"name": "a"}]}).data
    reply = admin.get(f"/api/tasks/{created['id']}/annotations")
    assert reply.status == 400
    assert reply.response.body == b"Exporting annotations from a task without data is not allowed"


# -------------------------------------------------------------------------- cascades
def test_label_and_attribute_deletion_cascade(admin: Api) -> None:
    s = setup_task(admin, frames=2, segment_size=0)
    skeleton = {
        "type": "skeleton",
        "frame": 0,
        "label_id": s.label["body"],
        "elements": [
            {"type": "points", "frame": 0, "label_id": s.label["head"], "points": [1, 1]},
            {"type": "points", "frame": 0, "label_id": s.label["hand"], "points": [2, 2]},
        ],
    }
    car_box = {
        "type": "rectangle",
        "frame": 0,
        "label_id": s.label["car"],
        "points": [0, 0, 1, 1],
        "attributes": [
            {"spec_id": s.spec["color"], "value": "blue"},
            {"spec_id": s.spec["moving"], "value": "true"},
        ],
    }
    put(admin, s.job(0), {"shapes": [rect(s, 0, [0, 0, 1, 1]), skeleton, car_box]})
    assert admin.delete(f"/api/labels/{s.label['hand']}").status == 204
    shapes = admin.get(s.job(0)).data["shapes"]
    assert [[e["label_id"] for e in sh["elements"]] for sh in shapes] == [[], [s.label["head"]], []]
    assert admin.delete(f"/api/labels/{s.label['person']}").status == 204
    assert [sh["label_id"] for sh in admin.get(s.job(0)).data["shapes"]] == [
        s.label["body"],
        s.label["car"],
    ]
    patched = admin.patch(
        f"/api/labels/{s.label['car']}",
        {"attributes": [{**LABELS[0]["attributes"][0], "id": s.spec["color"], "deleted": True}]},
    )
    assert patched.status == 200, patched.data
    car_shape = admin.get(s.job(0)).data["shapes"][1]
    assert car_shape["attributes"] == [{"spec_id": s.spec["moving"], "value": "true"}]


def test_task_deletion_cascade(server: FakeServer, admin: Api) -> None:
    s = setup_task(admin)
    put(admin, s.path, {"tags": [{"frame": f, "label_id": s.label["car"]} for f in range(5)]})
    job_ids = {job["id"] for job in s.jobs}
    assert job_ids <= set(server.state.annotations)
    assert admin.delete(f"/api/tasks/{s.task}").status == 204
    assert not job_ids & set(server.state.annotations)


def test_moving_a_task_into_a_project_maps_its_annotations(admin: Api) -> None:
    project = admin.post("/api/projects", {"name": "p", "labels": LABELS[:2]}).data
    s = setup_task(admin, frames=1, labels=LABELS[:2])
    put(admin, s.job(0), {"shapes": [{
        "type": "rectangle", "frame": 0, "label_id": s.label["car"], "points": [0, 0, 1, 1],
        "attributes": [{"spec_id": s.spec["moving"], "value": "true"}]}]})  # fmt: skip
    assert admin.patch(f"/api/tasks/{s.task}", {"project_id": project["id"]}).status == 200
    target = admin.get(f"/api/labels?project_id={project['id']}").data["results"][0]
    specs = {a["name"]: a["id"] for a in target["attributes"]}
    (shape,) = admin.get(s.job(0)).data["shapes"]
    assert shape["label_id"] == target["id"]
    assert shape["attributes"] == [
        {"spec_id": specs["moving"], "value": "true"},
        {"spec_id": specs["color"], "value": "red"},
    ]


# ---------------------------------------------------------------------- internal API
def test_internal_api_for_imports_and_backups(server: FakeServer, admin: Api) -> None:
    s = setup_task(admin)
    task = server.state.tasks[s.task]
    jobs = [server.state.jobs[j["id"]] for j in s.jobs]
    person = s.label["person"]
    put_task_annotations(
        server, task, {"shapes": [rect(s, 0, [0, 0, 1, 1]), rect(s, 2, [1, 1, 2, 2])]}
    )
    append_task_annotations(server, task, {"tags": [{"frame": 4, "label_id": person}]})
    assert task_annotations(server, task) == admin.get(s.path).data
    assert [len(job_annotations(server, job)["shapes"]) for job in jobs] == [1, 1, 0]
    put_job_annotations(server, jobs[1], {"tags": [{"frame": 3, "label_id": person}]})
    append_job_annotations(server, jobs[1], {"tags": [{"frame": 2, "label_id": person}]})
    assert job_annotations(server, jobs[1]) == admin.get(s.job(1)).data
    assert [t["frame"] for t in job_annotations(server, jobs[1])["tags"]] == [2, 3]
    with pytest.raises(ApiError) as bad:
        put_task_annotations(server, task, {"tags": [{"frame": 0, "label_id": 999}]})
    assert (bad.value.status, bad.value.body) == (400, ["label_id `999` is invalid"])
    with pytest.raises(ApiError) as bad_shape:
        append_job_annotations(server, jobs[0], {"shapes": [{"frame": 0}]})
    assert bad_shape.value.status == 400
    assert len(task_annotations(server, task)["shapes"]) == 1


# ----------------------------------------------------------------- the official client
@pytest.mark.official_sdk
@pytest.mark.http
def test_official_sdk_reads_and_writes_annotations(cvat: Cvat, tmp_path: Path) -> None:
    from cvat_sdk.api_client import models
    from cvat_sdk.core.proxies.annotations import AnnotationUpdateAction

    client = cvat.client()
    files = [image(tmp_path / f"{i}.png", (16, 12)) for i in range(4)]
    spec: Any = {"name": "sdk", "labels": LABELS, "segment_size": 2}
    task = client.tasks.create_from_data(spec, files)
    labels = {label.name: label for label in task.get_labels()}
    car = labels["car"].id
    head = next(s.id for s in labels["body"].sublabels if s.name == "head")
    job = min(task.get_jobs(), key=lambda j: j.start_frame)
    replacement = cast(
        Any,
        models.LabeledDataRequest(
            shapes=[
                models.LabeledShapeRequest(
                    type=models.ShapeType("rectangle"), frame=0, label_id=car, points=[1, 1, 4, 4]
                ),
                models.LabeledShapeRequest(
                    type=models.ShapeType("skeleton"),
                    frame=1,
                    label_id=labels["body"].id,
                    elements=[
                        models.SubLabeledShapeRequest(
                            type=models.ShapeType("points"), frame=1, label_id=head, points=[2, 2]
                        )
                    ],
                ),
            ],
            tracks=[
                models.LabeledTrackRequest(
                    frame=0,
                    label_id=car,
                    shapes=[
                        models.TrackedShapeRequest(
                            type=models.ShapeType("rectangle"), frame=0, points=[0, 0, 2, 2]
                        )
                    ],
                )
            ],
        ),
    )
    job.set_annotations(replacement)
    got = job.get_annotations()
    assert [s.type.value for s in got.shapes] == ["rectangle", "skeleton"]
    assert got.shapes[1].elements[0].label_id == head and got.tracks[0].shapes[0].frame == 0
    box: Any = got.shapes[0]
    change = cast(
        Any,
        models.PatchedLabeledDataRequest(
            shapes=[
                models.LabeledShapeRequest(
                    id=box.id, type=box.type, frame=0, label_id=car, points=[5, 5, 9, 9]
                )
            ]
        ),
    )
    job.update_annotations(change, action=AnnotationUpdateAction.UPDATE)
    assert job.get_annotations().shapes[0].points == [5.0, 5.0, 9.0, 9.0]
    job.remove_annotations(ids=[box.id])
    assert [s.type.value for s in job.get_annotations().shapes] == ["skeleton"]
    assert len(task.get_annotations().shapes) == 1
    task.remove_annotations()
    assert task.get_annotations().shapes == []
