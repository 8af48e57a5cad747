"""Dataset export, annotation and dataset import, and the format list of the fake server.

Every exchange goes through the validating transport of ``conftest.Api``; the files the
server produces are opened with :mod:`zipfile`, :mod:`xml.etree` and :mod:`json` and checked
field by field.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import pytest

from cvatfn_fake import FakeServer

from .conftest import Api, Reply, basic, image_bytes, multipart, upload_images

CVAT_XML = "CVAT for images 1.1"
CVAT_IN = "CVAT 1.1"
COCO = "COCO 1.0"

SKELETON_SVG = (
    '<line x1="10" y1="10" x2="50" y2="50" data-type="edge" data-node-from="1" '
    'data-node-to="2"></line><circle r="0.75" cx="10" cy="10" data-type="element node" '
    'data-element-id="1" data-node-id="1" data-label-name="nose"></circle>'
    '<circle r="0.75" cx="50" cy="50" data-type="element node" data-element-id="2" '
    'data-node-id="2" data-label-name="tail"></circle>'
)

LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "color": "#ff0000",
        "attributes": [
            {
                "name": "model",
                "mutable": False,
                "input_type": "select",
                "default_value": "bmw",
                "values": ["bmw", "mazda"],
            },
            {
                "name": "parked",
                "mutable": True,
                "input_type": "checkbox",
                "default_value": "false",
                "values": ["false"],
            },
            {
                "name": "speed",
                "mutable": True,
                "input_type": "number",
                "default_value": "0",
                "values": ["0", "100", "1"],
            },
        ],
    },
    {"name": "person", "color": "#00ff00", "type": "polygon"},
    {
        "name": "cat",
        "color": "#0000ff",
        "type": "skeleton",
        "svg": SKELETON_SVG,
        "sublabels": [{"name": "nose", "type": "points"}, {"name": "tail", "type": "points"}],
    },
]


# ------------------------------------------------------------------------------ helpers
def wait(api: Api, rq_id: str) -> dict[str, Any]:
    """``GET /api/requests/{id}`` (the id quoted, as clients send it)."""
    reply = api.get("/api/requests/" + quote(rq_id, safe=""))
    assert reply.status == 200, reply.data
    return reply.data  # type: ignore[no-any-return]


def new_task(
    api: Api,
    name: str = "source",
    *,
    labels: list[dict[str, Any]] | None = None,
    frames: list[tuple[str, bytes]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A task with labels and data (the upload finished)."""
    spec: dict[str, Any] = {"name": name, **extra}
    if labels is None or labels:
        spec["labels"] = LABELS if labels is None else labels
    reply = api.post("/api/tasks", spec)
    assert reply.status == 201, reply.data
    task: dict[str, Any] = reply.data
    files = frames or [(f"frame_{i}.png", image_bytes((20, 10), color=(i, 0, 0))) for i in range(4)]
    finish = upload_images(api, task["id"], files)
    assert finish.status == 202, finish.data
    assert wait(api, finish.data["rq_id"])["status"] == "finished"
    return api.get(f"/api/tasks/{task['id']}").data  # type: ignore[no-any-return]


def task_labels(api: Api, task_id: int) -> dict[str, dict[str, Any]]:
    """Labels by name (sublabels included, as ``parent.child``), each with ``attrs`` by name."""
    labels = api.get(f"/api/labels?task_id={task_id}&page_size=100").data["results"]
    result: dict[str, dict[str, Any]] = {}
    for label in labels:
        result[label["name"]] = {**label, "attrs": {a["name"]: a for a in label["attributes"]}}
        for sub in label.get("sublabels", []):
            key = f"{label['name']}.{sub['name']}"
            result[key] = {**sub, "attrs": {a["name"]: a for a in sub["attributes"]}}
    return result


def sample_annotations(labels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One object of every kind on a 4-frame task (frames 0-3)."""
    car, person, cat = labels["car"], labels["person"], labels["cat"]
    model, parked = car["attrs"]["model"]["id"], car["attrs"]["parked"]["id"]
    speed = car["attrs"]["speed"]["id"]
    nose, tail = labels["cat.nose"]["id"], labels["cat.tail"]["id"]

    def shape(kind: str, frame: int, label: int, points: list[float], **extra: Any) -> Any:
        return {"type": kind, "frame": frame, "label_id": label, "points": points, **extra}

    return {
        "version": 0,
        "tags": [
            {
                "frame": 0,
                "label_id": car["id"],
                "group": 0,
                "attributes": [{"spec_id": model, "value": "mazda"}],
            }
        ],
        "shapes": [
            shape(
                "rectangle",
                0,
                car["id"],
                [1.5, 2.25, 8, 6],
                rotation=30.0,
                occluded=True,
                z_order=2,
                attributes=[
                    {"spec_id": model, "value": "mazda"},
                    {"spec_id": parked, "value": "true"},
                    {"spec_id": speed, "value": "55"},
                ],
            ),
            shape("polygon", 0, person["id"], [1, 1, 6, 1, 6, 5, 1, 5], group=3),
            shape("rectangle", 0, person["id"], [0, 0, 7, 6], group=3),
            shape("polyline", 1, person["id"], [1, 1, 5, 5, 9, 2]),
            shape("points", 1, person["id"], [2, 3, 4, 5]),
            shape("ellipse", 1, car["id"], [10, 5, 14, 3]),
            shape(
                "cuboid",
                2,
                car["id"],
                [1, 1, 1, 5, 5, 1, 5, 5, 2, 2, 2, 6, 6, 2, 6, 6],
            ),
            # a 3x2 mask at (4, 2): rows 110 / 011
            shape("mask", 2, person["id"], [0, 2, 2, 2, 4, 2, 6, 3]),
            shape(
                "skeleton",
                3,
                cat["id"],
                [],
                elements=[
                    shape("points", 3, nose, [2, 2]),
                    shape("points", 3, tail, [8, 6], outside=True),
                ],
            ),
        ],
        "tracks": [
            {
                "frame": 1,
                "label_id": car["id"],
                "group": 0,
                "attributes": [{"spec_id": model, "value": "bmw"}],
                "shapes": [
                    shape(
                        "rectangle",
                        1,
                        car["id"],
                        [0, 0, 4, 4],
                        attributes=[{"spec_id": parked, "value": "false"}],
                    ),
                    shape("rectangle", 3, car["id"], [4, 2, 8, 6], outside=True),
                ],
            }
        ],
    }


def annotated_task(api: Api, name: str = "source", **extra: Any) -> dict[str, Any]:
    task = new_task(api, name, **extra)
    labels = task_labels(api, task["id"])
    reply = api.call(
        "PUT", f"/api/tasks/{task['id']}/annotations", json_body=sample_annotations(labels)
    )
    assert reply.status == 200, reply.data
    return task


def export(
    api: Api, path: str, fmt: str, *, save_images: bool = True, extra: str = ""
) -> tuple[dict[str, Any], Reply]:
    """Start an export, wait for it and download the result (which must be there)."""
    started = api.post(
        f"{path}/dataset/export?format={quote(fmt)}&save_images={str(save_images).lower()}{extra}"
    )
    assert started.status == 202, started.data
    request = wait(api, started.data["rq_id"])
    assert request["status"] == "finished", request
    download = api.get(request["result_url"])
    assert download.status == 200, download.data
    return request, download


def archive(reply: Reply) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(reply.response.body))


def tus_import(api: Api, path: str, data: bytes, query: str, *, chunk: int = 1000) -> Reply:
    """The official SDK's upload: Upload-Start, TUS create and chunks, Upload-Finish."""
    start = api.call("POST", f"{path}?{query}", headers=(("Upload-Start", ""),))
    assert start.status == 202 and not start.response.body
    name = base64.b64encode(b"upload.zip").decode()
    created = api.call(
        "POST",
        path,
        headers=(
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", str(len(data))),
            ("Upload-Metadata", f"filename {name}"),
        ),
    )
    assert created.status == 201, created.data
    location = created.header("Location") or ""
    file_id = created.header("Upload-Filename") or ""
    assert location.endswith("/" + file_id)
    offset = 0
    while offset < len(data):
        piece = data[offset : offset + chunk]
        patched = api.call(
            "PATCH",
            location,
            body=piece,
            headers=(
                ("Tus-Resumable", "1.0.0"),
                ("Upload-Offset", str(offset)),
                ("Content-Type", "application/offset+octet-stream"),
            ),
        )
        assert patched.status == 204, patched.data
        offset += len(piece)
        assert patched.header("Upload-Offset") == str(offset)
    return api.call("POST", f"{path}?{query}&filename={file_id}", headers=(("Upload-Finish", ""),))


def multipart_import(api: Api, path: str, field: str, data: bytes, query: str) -> Reply:
    body, ctype = multipart({}, [(field, "upload.zip", data)])
    return api.call("POST", f"{path}?{query}", body=body, headers=(("Content-Type", ctype),))


def normalized(api: Api, data: dict[str, Any], task_id: int) -> dict[str, Any]:
    """Annotations without ids: labels and attributes by name, points rounded."""
    labels = task_labels(api, task_id)
    names = {label["id"]: key for key, label in labels.items()}
    specs = {a["id"]: a["name"] for label in labels.values() for a in label["attributes"]}

    def attrs(items: list[dict[str, Any]]) -> list[Any]:
        return sorted((specs[a["spec_id"]], a["value"]) for a in items)

    def shape(s: dict[str, Any]) -> dict[str, Any]:
        result = {k: s[k] for k in ("type", "frame", "occluded", "outside", "z_order") if k in s}
        result.update(
            label=names.get(s.get("label_id", -1)),
            points=[round(float(p), 2) for p in s["points"]],
            rotation=round(float(s.get("rotation", 0.0)), 2),
            attributes=attrs(s.get("attributes", [])),
        )
        if "group" in s:
            result["group"] = s["group"] or 0
        if s.get("elements"):
            result["elements"] = sorted((shape(e) for e in s["elements"]), key=json.dumps)
        return result

    def track(t: dict[str, Any]) -> dict[str, Any]:
        return {
            "frame": t["frame"],
            "label": names[t["label_id"]],
            "group": t["group"] or 0,
            "attributes": attrs(t["attributes"]),
            "shapes": [shape(s) for s in t["shapes"]],
            "elements": sorted((track(e) for e in t.get("elements", [])), key=json.dumps),
        }

    def tag(t: dict[str, Any]) -> dict[str, Any]:
        return {
            "frame": t["frame"],
            "label": names[t["label_id"]],
            "group": t["group"] or 0,
            "attributes": attrs(t["attributes"]),
        }

    return {
        "tags": sorted((tag(t) for t in data["tags"]), key=json.dumps),
        "shapes": sorted((shape(s) for s in data["shapes"]), key=json.dumps),
        "tracks": sorted((track(t) for t in data["tracks"]), key=json.dumps),
    }


def annotations_of(api: Api, path: str) -> dict[str, Any]:
    reply = api.get(f"{path}/annotations")
    assert reply.status == 200, reply.data
    return reply.data  # type: ignore[no-any-return]


def coco_pixels(segmentation: dict[str, Any]) -> set[tuple[int, int]]:
    """``(x, y)`` of the set pixels of an uncompressed COCO RLE."""
    height = segmentation["size"][0]
    pixels: set[tuple[int, int]] = set()
    position, value = 0, 0
    for count in segmentation["counts"]:
        if value:
            pixels.update((p // height, p % height) for p in range(position, position + count))
        position += count
        value ^= 1
    return pixels


# -------------------------------------------------------------------------------- tests
def test_formats_list_names_what_cvat_registers(admin: Api, anon: Api) -> None:
    reply = admin.get("/api/server/annotation/formats")
    assert reply.status == 200
    exporters = {f["name"]: f for f in reply.data["exporters"]}
    importers = {f["name"]: f for f in reply.data["importers"]}
    assert exporters[CVAT_XML] == {
        "name": CVAT_XML,
        "ext": "ZIP",
        "version": "1.1",
        "enabled": True,
        "dimension": "2d",
    }
    assert importers[CVAT_IN]["ext"] == "XML, ZIP" and importers[CVAT_IN]["enabled"]
    assert exporters[COCO]["enabled"] and importers[COCO]["ext"] == "JSON, ZIP"
    assert {n for n, f in exporters.items() if f["enabled"]} == {CVAT_XML, COCO}
    assert {n for n, f in importers.items() if f["enabled"]} == {CVAT_IN, COCO}
    assert "CVAT XML 1.1" not in exporters and CVAT_XML not in importers
    assert exporters["Datumaro 3D 1.0"]["dimension"] == "3d"
    assert {"YOLO 1.1", "PASCAL VOC 1.1", "CVAT for video 1.1"} <= exporters.keys()
    assert anon.get("/api/server/annotation/formats").status == 401


def test_cvat_xml_export_writes_cvat_layout(admin: Api) -> None:
    task = annotated_task(admin, segment_size=2, bug_tracker="http://bugs/1")
    request, download = export(admin, f"/api/tasks/{task['id']}", CVAT_XML)
    assert request["operation"]["type"] == "export:dataset"
    assert request["operation"]["format"] == CVAT_XML
    assert request["id"] == (
        f"action=export&target=task&target_id={task['id']}&user_id=1"
        "&format=CVAT_for_images_1~1&subresource=dataset"
    )
    assert request["result_url"] == (
        f"http://testserver/api/tasks/{task['id']}/dataset/download?rq_id=" + quote(request["id"])
    )
    assert download.header("Content-Type") == "application/zip"
    assert download.header("Content-Disposition") == (
        f'attachment; filename="task_{task["id"]}_dataset_2026_01_01_00_00_00'
        '_cvat for images 1.1.zip"'
    )
    zf = archive(download)
    assert sorted(zf.namelist()) == [
        "annotations.xml",
        "images/frame_0.png",
        "images/frame_1.png",
        "images/frame_2.png",
        "images/frame_3.png",
    ]
    assert zf.getinfo("images/frame_0.png").compress_type == zipfile.ZIP_STORED
    assert zf.read("images/frame_2.png") == image_bytes((20, 10), color=(2, 0, 0))
    root = ElementTree.fromstring(zf.read("annotations.xml"))
    assert zf.read("annotations.xml").startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert root.findtext("version") == "1.1"
    meta = root.find("meta/task")
    assert meta is not None
    assert (meta.findtext("id"), meta.findtext("name"), meta.findtext("size")) == (
        str(task["id"]),
        "source",
        "4",
    )
    assert meta.findtext("bugtracker") == "http://bugs/1"
    assert [(s.findtext("start"), s.findtext("stop")) for s in meta.iter("segment")] == [
        ("0", "1"),
        ("2", "3"),
    ]
    assert meta.findtext("owner/username") == "admin"
    labels = {lb.findtext("name"): lb for lb in meta.iter("label")}
    assert list(labels) == ["car", "person", "cat", "nose", "tail"]
    assert labels["nose"].findtext("parent") == "cat"
    assert 'data-label-name="nose"' in (labels["cat"].findtext("svg") or "")
    model = next(a for a in labels["car"].iter("attribute") if a.findtext("name") == "model")
    assert (model.findtext("mutable"), model.findtext("input_type")) == ("False", "select")
    assert model.findtext("values") == "bmw\nmazda"

    images = root.findall("image")
    assert images[0].attrib == {
        "id": "0",
        "name": "frame_0.png",
        "width": "20",
        "height": "10",
    }
    frame0 = images[0]
    boxes = frame0.findall("box")
    # shapes first (ordered by z_order), then tags; the group of two is kept
    assert [b.get("z_order") for b in boxes] == ["0", "2"]
    rotated = boxes[1]
    assert rotated.attrib == {
        "label": "car",
        "source": "manual",
        "occluded": "1",
        "xtl": "1.50",
        "ytl": "2.25",
        "xbr": "8.00",
        "ybr": "6.00",
        "rotation": "30.00",
        "z_order": "2",
    }
    assert [(a.get("name"), a.text) for a in rotated.findall("attribute")] == [
        ("model", "mazda"),
        ("parked", "true"),
        ("speed", "55"),
    ]
    polygon = frame0.find("polygon")
    assert polygon is not None and polygon.get("group_id") == boxes[0].get("group_id")
    assert polygon.get("points") == "1.00,1.00;6.00,1.00;6.00,5.00;1.00,5.00"
    tag = frame0.find("tag")
    assert tag is not None and tag.get("label") == "car"
    # every attribute of the label, at its default unless set (as CVAT stores them)
    assert [(a.get("name"), a.text) for a in tag.findall("attribute")] == [
        ("model", "mazda"),
        ("parked", "false"),
        ("speed", "0"),
    ]

    frame1 = images[1]
    ellipse = frame1.find("ellipse")
    assert ellipse is not None
    assert (ellipse.get("cx"), ellipse.get("cy"), ellipse.get("rx"), ellipse.get("ry")) == (
        "10.00",
        "5.00",
        "4.00",
        "2.00",
    )
    assert frame1.find("polyline") is not None and frame1.find("points") is not None
    # the track is written as the box it shows on each frame where it is visible
    track_boxes = [
        (i.get("id"), b.get("xtl"), b.get("ytl"))
        for i in images
        for b in i.findall("box")
        if b.get("label") == "car" and b.get("z_order") == "0"
    ]
    assert track_boxes == [("1", "0.00", "0.00"), ("2", "2.00", "1.00")]
    mask = images[2].find("mask")
    assert mask is not None
    assert {k: mask.get(k) for k in ("rle", "left", "top", "width", "height")} == {
        "rle": "0, 2, 2, 2",
        "left": "4",
        "top": "2",
        "width": "3",
        "height": "2",
    }
    cuboid = images[2].find("cuboid")
    assert cuboid is not None and cuboid.get("xtl1") == "1.00" and cuboid.get("ybr2") == "6.00"
    skeleton = images[3].find("skeleton")
    assert skeleton is not None and "occluded" not in skeleton.attrib
    elements = skeleton.findall("points")
    assert [(e.get("label"), e.get("outside"), e.get("points")) for e in elements] == [
        ("nose", "0", "2.00,2.00"),
        ("tail", "1", "8.00,6.00"),
    ]
    assert "z_order" not in elements[0].attrib

    _, bare = export(admin, f"/api/tasks/{task['id']}", CVAT_XML, save_images=False)
    assert archive(bare).namelist() == ["annotations.xml"]
    assert "_annotations_" in (bare.header("Content-Disposition") or "")


def test_coco_export_writes_instances(admin: Api) -> None:
    task = annotated_task(admin)
    _, download = export(admin, f"/api/tasks/{task['id']}", COCO)
    zf = archive(download)
    assert sorted(zf.namelist()) == [
        "annotations/instances_default.json",
        "images/default/frame_0.png",
        "images/default/frame_1.png",
        "images/default/frame_2.png",
        "images/default/frame_3.png",
    ]
    doc = json.loads(zf.read("annotations/instances_default.json"))
    assert list(doc) == ["licenses", "info", "categories", "images", "annotations"]
    assert doc["categories"] == [
        {"id": 1, "name": "car", "supercategory": ""},
        {"id": 2, "name": "person", "supercategory": ""},
        {"id": 3, "name": "cat", "supercategory": ""},
        {"id": 4, "name": "nose", "supercategory": "cat"},
        {"id": 5, "name": "tail", "supercategory": "cat"},
    ]
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in doc["images"]] == [
        (1, "frame_0.png", 20, 10),
        (2, "frame_1.png", 20, 10),
        (3, "frame_2.png", 20, 10),
        (4, "frame_3.png", 20, 10),
    ]
    anns = doc["annotations"]
    assert [a["id"] for a in anns] == list(range(1, len(anns) + 1))
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in anns:
        by_image.setdefault(ann["image_id"], []).append(ann)
    rotated, grouped = by_image[1][0], by_image[1][1]
    assert rotated["bbox"] == [1.5, 2.25, 6.5, 3.75] and rotated["iscrowd"] == 0
    assert rotated["segmentation"] == [] and rotated["area"] == 6.5 * 3.75
    assert rotated["attributes"] == {
        "model": "mazda",
        "parked": True,
        "speed": 55.0,
        "occluded": True,
        "rotation": 30.0,
    }
    # the grouped box and polygon are one instance: the polygon, inside the box's bbox
    assert grouped["category_id"] == 2 and grouped["bbox"] == [0.0, 0.0, 7.0, 6.0]
    assert grouped["segmentation"] == [[1.0, 1.0, 6.0, 1.0, 6.0, 5.0, 1.0, 5.0]]
    assert grouped["area"] == 20.0 and len(by_image[1]) == 2
    track_box = next(a for a in by_image[2] if "track_id" in a["attributes"])
    assert track_box["attributes"] == {
        "model": "bmw",
        "parked": False,
        "speed": 0.0,
        "occluded": False,
        "rotation": 0.0,
        "track_id": 0,
        "keyframe": True,
    }
    ellipse = next(a for a in by_image[2] if a["iscrowd"] == 1)
    assert ellipse["segmentation"]["size"] == [10, 20]
    pixels = coco_pixels(ellipse["segmentation"])
    assert (10, 5) in pixels and (14, 5) in pixels and (10, 3) in pixels
    assert (15, 5) not in pixels and (10, 8) not in pixels
    assert ellipse["area"] == len(pixels)
    mask = next(a for a in by_image[3] if a["iscrowd"] == 1)
    assert coco_pixels(mask["segmentation"]) == {(4, 2), (5, 2), (5, 3), (6, 3)}
    assert mask["bbox"] == [4.0, 2.0, 3.0, 2.0] and mask["area"] == 4.0
    assert mask["attributes"] == {"occluded": False}
    # polylines, points, cuboids, skeletons and tags have no COCO instance
    assert 4 not in by_image
    assert all(a["category_id"] in (1, 2) for a in anns)


def test_cvat_round_trip_through_a_fresh_task(admin: Api) -> None:
    source = annotated_task(admin)
    _, download = export(admin, f"/api/tasks/{source['id']}", CVAT_XML, save_images=False)
    target = new_task(admin, "copy")
    started = tus_import(
        admin,
        f"/api/tasks/{target['id']}/annotations/",
        download.response.body,
        f"format={CVAT_IN}",
    )
    assert started.status == 202, started.data
    assert started.data == {
        "rq_id": f"action=import&target=task&target_id={target['id']}&subresource=annotations"
    }
    request = wait(admin, started.data["rq_id"])
    assert request["status"] == "finished", request
    assert request["operation"]["type"] == "import:annotations"
    imported = annotations_of(admin, f"/api/tasks/{target['id']}")
    assert {s["source"] for s in imported["shapes"]} == {"file"}
    original = normalized(admin, annotations_of(admin, f"/api/tasks/{source['id']}"), source["id"])
    copy = normalized(admin, imported, target["id"])
    # the image layout has no tracks: the track comes back as its boxes on frames 1 and 2
    track_boxes = [s for s in copy["shapes"] if s["label"] == "car" and s["type"] == "rectangle"]
    assert sorted((s["frame"], s["points"]) for s in track_boxes) == [
        (0, [1.5, 2.25, 8.0, 6.0]),
        (1, [0.0, 0.0, 4.0, 4.0]),
        (2, [2.0, 1.0, 6.0, 5.0]),
    ]
    assert copy["tracks"] == [] and copy["tags"] == original["tags"]
    without_track = [s for s in copy["shapes"] if s not in track_boxes[1:]]
    assert sorted(without_track, key=json.dumps) == original["shapes"]


def test_coco_round_trip_keeps_what_coco_carries(admin: Api) -> None:
    source = annotated_task(admin)
    _, download = export(admin, f"/api/tasks/{source['id']}", COCO, save_images=False)
    target = new_task(admin, "copy")
    started = multipart_import(
        admin,
        f"/api/tasks/{target['id']}/annotations/",
        "annotation_file",
        download.response.body,
        f"format={quote(COCO)}",
    )
    assert started.status == 202, started.data
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    copy = normalized(admin, annotations_of(admin, f"/api/tasks/{target['id']}"), target["id"])
    shapes = {(s["frame"], s["type"], s["label"]): s for s in copy["shapes"]}
    assert set(shapes) == {
        (0, "rectangle", "car"),
        (0, "polygon", "person"),
        (1, "mask", "car"),
        (2, "mask", "person"),
    }
    rotated = shapes[(0, "rectangle", "car")]
    assert rotated["points"] == [1.5, 2.25, 8.0, 6.0] and rotated["rotation"] == 30.0
    assert rotated["occluded"] is True
    assert rotated["attributes"] == [("model", "mazda"), ("parked", "true"), ("speed", "55.0")]
    assert shapes[(2, "mask", "person")]["points"] == [0, 2, 2, 2, 4, 2, 6, 3]
    assert shapes[(0, "polygon", "person")]["group"] == 0
    # the track's visible boxes come back as a track, one shape per exported frame
    [track] = copy["tracks"]
    assert track["label"] == "car" and track["attributes"] == [("model", "bmw")]
    assert [(s["frame"], s["points"]) for s in track["shapes"]] == [
        (1, [0.0, 0.0, 4.0, 4.0]),
        (2, [2.0, 1.0, 6.0, 5.0]),
    ]
    assert copy["tags"] == []


def test_job_export_and_import(admin: Api) -> None:
    task = annotated_task(admin, segment_size=2)
    jobs = admin.get(f"/api/jobs?task_id={task['id']}&sort=id").data["results"]
    second = jobs[1]
    request, download = export(admin, f"/api/jobs/{second['id']}", CVAT_XML, save_images=False)
    assert request["operation"]["job_id"] == second["id"]
    assert request["operation"]["task_id"] == task["id"]
    root = ElementTree.fromstring(archive(download).read("annotations.xml"))
    assert root.findtext("meta/job/id") == str(second["id"])
    assert [i.get("id") for i in root.findall("image")] == ["2", "3"]
    assert "job_" in (download.header("Content-Disposition") or "")
    # importing a file with frames of another job fails with CVAT's message
    _, whole = export(admin, f"/api/tasks/{task['id']}", CVAT_XML, save_images=False)
    started = multipart_import(
        admin,
        f"/api/jobs/{second['id']}/annotations/",
        "annotation_file",
        whole.response.body,
        f"format={CVAT_IN}",
    )
    failed = wait(admin, started.data["rq_id"])
    assert failed["status"] == "failed"
    assert "Could not match item id: 'frame_0' with any task frame" in failed["message"]
    started = multipart_import(
        admin,
        f"/api/jobs/{second['id']}/annotations/",
        "annotation_file",
        download.response.body,
        f"format={CVAT_IN}&import_mode=append",
    )
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    after = annotations_of(admin, f"/api/jobs/{second['id']}")
    assert sorted(s["frame"] for s in after["shapes"] if s["type"] == "mask") == [2, 2]


def test_import_replaces_or_appends(admin: Api) -> None:
    source = annotated_task(admin)
    _, download = export(admin, f"/api/tasks/{source['id']}", COCO, save_images=False)
    path = f"/api/tasks/{source['id']}/annotations/"
    before = annotations_of(admin, path.removesuffix("/annotations/"))
    started = multipart_import(
        admin, path, "annotation_file", download.response.body, f"format={COCO}&import_mode=append"
    )
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    appended = annotations_of(admin, path.removesuffix("/annotations/"))
    assert len(appended["shapes"]) == len(before["shapes"]) + 4
    assert appended["tags"] == before["tags"]
    started = multipart_import(
        admin, path, "annotation_file", download.response.body, f"format={COCO}"
    )
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    replaced = annotations_of(admin, path.removesuffix("/annotations/"))
    assert len(replaced["shapes"]) == 4 and replaced["tags"] == []
    bad = multipart_import(
        admin, path, "annotation_file", download.response.body, f"format={COCO}&import_mode=x"
    )
    assert (bad.status, bad.data) == (400, ["Invalid import_mode='x'. Allowed: append, replace"])


def test_unknown_and_disabled_formats(admin: Api) -> None:
    task = new_task(admin)
    path = f"/api/tasks/{task['id']}"
    unknown = admin.post(f"{path}/dataset/export?format=CVAT%20XML%201.1")
    assert (unknown.status, unknown.data) == (400, ["Unknown format specified for the request"])
    disabled = admin.post(f"{path}/dataset/export?format=YOLO%201.1")
    assert (disabled.status, disabled.data) == (405, {"detail": "Format is disabled"})
    missing = admin.post(f"{path}/dataset/export")
    assert missing.status == 400
    xml = b"<annotations><version>1.1</version></annotations>"
    bad = multipart_import(admin, f"{path}/annotations/", "annotation_file", xml, "format=XML")
    assert (bad.status, bad.data) == (400, ["Unknown input format 'XML'"])
    off = multipart_import(
        admin, f"{path}/annotations/", "annotation_file", xml, "format=YOLO%201.1"
    )
    assert (off.status, off.data) == (405, {"detail": "Format is disabled"})
    # the export name is not an import format
    wrong = multipart_import(
        admin, f"{path}/annotations/", "annotation_file", xml, f"format={quote(CVAT_XML)}"
    )
    assert wrong.status == 400
    nofile = admin.call("POST", f"{path}/annotations/?format={quote(CVAT_IN)}")
    assert (nofile.status, nofile.data) == (400, {"annotation_file": ["No file was submitted."]})
    ghost = admin.call(
        "POST",
        f"{path}/annotations/?format={quote(CVAT_IN)}&filename=0000",
        headers=(("Upload-Finish", ""),),
    )
    assert (ghost.status, ghost.data) == (400, ["No such file were uploaded"])
    cloud = admin.post(f"{path}/dataset/export?format={quote(COCO)}&location=cloud_storage")
    assert cloud.status == 400


def test_broken_files_fail_the_request(admin: Api) -> None:
    task = new_task(admin, labels=[{"name": "car"}])
    path = f"/api/tasks/{task['id']}/annotations/"

    def run(data: bytes, fmt: str) -> dict[str, Any]:
        started = multipart_import(admin, path, "annotation_file", data, f"format={quote(fmt)}")
        assert started.status == 202, started.data
        return wait(admin, started.data["rq_id"])

    garbage = run(b"<annotations><image", CVAT_IN)
    assert garbage["status"] == "failed" and "ParseError" in garbage["message"]
    xml = (
        b'<annotations><image id="0" name="frame_0.png"><box label="bus" occluded="0" '
        b'xtl="0" ytl="0" xbr="1" ybr="1"></box></image></annotations>'
    )
    unknown = run(xml, CVAT_IN)
    assert unknown["status"] == "failed"
    assert "Label 'bus' is not registered for this task" in unknown["message"]
    coco: dict[str, list[dict[str, Any]]] = {
        "categories": [],
        "images": [],
        "annotations": [{"image_id": 1, "category_id": 9}],
    }
    empty = run(json.dumps(coco).encode(), COCO)
    assert empty["status"] == "finished"
    coco["images"] = [{"id": 1, "file_name": "frame_1.png", "width": 20, "height": 10}]
    broken = run(json.dumps(coco).encode(), COCO)
    assert broken["status"] == "failed" and "Unknown category id 9" in broken["message"]
    nothing = run(zipfile_bytes({"readme.txt": b"hi"}), COCO)
    assert nothing["status"] == "failed" and "instances" in nothing["message"]
    # malformed values fail the request, never the server
    numbers = run(
        xml.replace(b'label="bus"', b'label="car"').replace(b'xtl="0"', b'xtl="x"'), CVAT_IN
    )
    assert numbers["status"] == "failed" and "could not convert" in numbers["message"]
    coco["categories"] = [{"id": 9, "name": "car"}]
    coco["annotations"] = [
        {"id": 1, "image_id": 1, "category_id": 9, "segmentation": [["a", "b", "c", "d", "e", "f"]]}
    ]
    strings = run(json.dumps(coco).encode(), COCO)
    assert strings["status"] == "failed" and strings["message"].startswith("CvatImportError")
    assert run(b"[1, 2]", COCO)["status"] == "failed"
    truncated = zipfile_bytes({"annotations/instances_default.json": json.dumps(coco).encode()})
    assert run(truncated[:-30], COCO)["status"] == "failed"
    assert annotations_of(admin, path.removesuffix("/annotations/"))["shapes"] == []


def zipfile_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_coco_from_another_tool_is_read(admin: Api) -> None:
    """A plain COCO file: compressed RLE, multi-part polygons, image names without paths."""
    task = new_task(admin, labels=[{"name": "car"}, {"name": "bike"}])

    def compress(counts: list[int]) -> str:  # pycocotools' rleToString
        chars: list[str] = []
        for i, value in enumerate(counts):
            x = value - counts[i - 2] if i > 2 else value
            more = True
            while more:
                c = x & 0x1F
                x >>= 5
                more = not (x == 0 and not c & 0x10) and not (x == -1 and c & 0x10)
                if more:
                    c |= 0x20
                chars.append(chr(c + 48))
        return "".join(chars)

    doc = {
        "categories": [{"id": 0, "name": "car"}, {"id": 7, "name": "bike"}],
        "images": [{"id": 5, "file_name": "frame_3.jpg", "width": 20, "height": 10}],
        "annotations": [
            {
                "id": 10,
                "image_id": 5,
                "category_id": 7,
                "iscrowd": 1,
                "bbox": [0, 0, 0, 0],
                "segmentation": {"size": [10, 20], "counts": compress([21, 2, 8, 2, 167])},
            },
            {
                "id": 11,
                "image_id": 5,
                "category_id": 0,
                "iscrowd": 0,
                "bbox": [0, 0, 9, 9],
                "segmentation": [[0, 0, 4, 0, 4, 4], [5, 5, 9, 5, 9, 9]],
            },
        ],
    }
    data = zipfile_bytes({"annotations/instances_train.json": json.dumps(doc).encode()})
    started = multipart_import(
        admin, f"/api/tasks/{task['id']}/annotations/", "annotation_file", data, f"format={COCO}"
    )
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    result = normalized(admin, annotations_of(admin, f"/api/tasks/{task['id']}"), task["id"])
    mask = next(s for s in result["shapes"] if s["type"] == "mask")
    # columns 2 and 3, rows 1-2: a 2x2 square at (2, 1)
    assert mask["label"] == "bike" and mask["frame"] == 3
    assert mask["points"] == [0, 4, 2, 1, 3, 2]
    polygons = [s for s in result["shapes"] if s["type"] == "polygon"]
    assert [p["points"] for p in polygons] == [[0, 0, 4, 0, 4, 4], [5, 5, 9, 5, 9, 9]]
    assert polygons[0]["group"] == polygons[1]["group"] == 1
    assert mask["group"] == 0 and mask["attributes"] == []


def test_export_requests_repeat_like_cvat(server: FakeServer, admin: Api) -> None:
    task = annotated_task(admin)
    path = f"/api/tasks/{task['id']}/dataset/export?format={quote(COCO)}"
    server.configure_requests(polls_before_finish=2)
    first = admin.post(path)
    assert first.status == 202
    again = admin.post(path)
    assert (again.status, again.data) == (409, "Request is being processed")
    queued = wait(admin, first.data["rq_id"])
    assert queued["status"] == "queued" and queued["result_url"] is None
    url = f"/api/tasks/{task['id']}/dataset/download?rq_id=" + quote(first.data["rq_id"])
    early = admin.get(url)
    assert (early.status, early.response.body) == (400, b"The export process is not finished")
    assert wait(admin, first.data["rq_id"])["status"] == "started"
    done = wait(admin, first.data["rq_id"])
    assert done["status"] == "finished" and done["result_url"].endswith(quote(first.data["rq_id"]))
    assert admin.get(url).status == 200
    assert admin.get(url).status == 200  # the file stays downloadable
    server.configure_requests(polls_before_finish=0)
    fresh = admin.post(path)
    assert fresh.status == 202 and fresh.data == first.data
    # another format or without images is another request
    other = admin.post(path + "&save_images=true")
    assert other.status == 202 and other.data["rq_id"] != first.data["rq_id"]


def test_failing_export_and_import(server: FakeServer, admin: Api) -> None:
    task = annotated_task(admin)
    server.fail_next_requests("OSError: [Errno 28] No space left on device")
    started = admin.post(f"/api/tasks/{task['id']}/dataset/export?format={quote(COCO)}")
    failed = wait(admin, started.data["rq_id"])
    assert failed["status"] == "failed"
    assert failed["message"] == "OSError: [Errno 28] No space left on device"
    assert failed["result_url"] is None
    url = f"/api/tasks/{task['id']}/dataset/download?rq_id=" + quote(started.data["rq_id"])
    assert admin.get(url).status == 400
    _, download = export(admin, f"/api/tasks/{task['id']}", COCO, save_images=False)
    before = annotations_of(admin, f"/api/tasks/{task['id']}")
    server.fail_next_requests("boom")
    started = multipart_import(
        admin,
        f"/api/tasks/{task['id']}/annotations/",
        "annotation_file",
        download.response.body,
        f"format={COCO}",
    )
    assert wait(admin, started.data["rq_id"])["status"] == "failed"
    assert annotations_of(admin, f"/api/tasks/{task['id']}") == before


def test_download_checks_the_request_id(admin: Api) -> None:
    task = annotated_task(admin)
    other = new_task(admin, "other")
    request, _ = export(admin, f"/api/tasks/{task['id']}", COCO)
    base = f"/api/tasks/{task['id']}/dataset/download"
    assert admin.get(base).data == ["Missing request id in the query parameters"]
    mismatch = admin.get(f"/api/tasks/{other['id']}/dataset/download?rq_id=" + quote(request["id"]))
    assert (mismatch.status, mismatch.data) == (400, ["Invalid export request id"])
    unknown_id = request["id"].replace("COCO_1~0", "CVAT_for_images_1~1")
    unknown = admin.get(f"{base}?rq_id=" + quote(unknown_id))
    assert (unknown.status, unknown.response.body) == (400, b"Unknown export request id")
    assert admin.get("/api/tasks/999/dataset/download?rq_id=x").status == 404


def test_export_and_import_permissions(server: FakeServer, admin: Api, anon: Api) -> None:
    server.add_user("alice", "pw")
    server.add_user("bob", "pw")
    alice = admin.as_user("alice", "pw")
    bob = admin.as_user("bob", "pw")
    task = new_task(alice, labels=[{"name": "car"}])
    path = f"/api/tasks/{task['id']}"
    assert anon.post(f"{path}/dataset/export?format={quote(COCO)}").status == 401
    assert bob.post(f"{path}/dataset/export?format={quote(COCO)}").status == 403
    data = zipfile_bytes({"annotations/instances_default.json": b'{"categories": []}'})
    assert (
        multipart_import(bob, f"{path}/annotations/", "annotation_file", data, "format=x").status
        == 403
    )
    request, _ = export(alice, path, COCO)
    url = request["result_url"]
    assert bob.get(url).status == 403  # cannot see the task
    admin.patch(path, {"assignee_id": 3})
    assert bob.get(url).status == 403  # sees the task, but the request is alice's
    assert admin.get(url).status == 200
    # a TUS upload belongs to the user who started it
    created = alice.call(
        "POST",
        f"{path}/annotations/",
        headers=(("Tus-Resumable", "1.0.0"), ("Upload-Length", "4"), ("Upload-Metadata", "")),
    )
    file_id = created.header("Upload-Filename")
    location = created.header("Location") or ""
    patched = bob.call(
        "PATCH",
        location,
        body=b"abcd",
        headers=(("Tus-Resumable", "1.0.0"), ("Upload-Offset", "0")),
    )
    assert patched.status == 403
    finish = bob.call(
        "POST",
        f"{path}/annotations/?format={quote(COCO)}&filename={file_id}",
        headers=(("Upload-Finish", ""),),
    )
    assert (finish.status, finish.data) == (400, ["No such file were uploaded"])


def test_project_export_and_dataset_import(server: FakeServer, admin: Api) -> None:
    project = admin.post("/api/projects", {"name": "zoo", "labels": LABELS}).data
    train = new_task(admin, "t1", labels=[], project_id=project["id"], subset="Train")
    new_task(
        admin,
        "t2",
        labels=[],
        project_id=project["id"],
        frames=[("frame_0.png", image_bytes((6, 6))), ("z.png", image_bytes((6, 6)))],
    )
    admin.post("/api/tasks", {"name": "empty", "project_id": project["id"]})
    labels = task_labels(admin, train["id"])
    reply = admin.call(
        "PUT",
        f"/api/tasks/{train['id']}/annotations",
        json_body=sample_annotations(labels),
    )
    assert reply.status == 200, reply.data
    request, download = export(admin, f"/api/projects/{project['id']}", CVAT_XML)
    assert request["operation"]["project_id"] == project["id"]
    zf = archive(download)
    assert "images/Train/frame_0.png" in zf.namelist()
    assert "images/default/frame_0.png" in zf.namelist()
    root = ElementTree.fromstring(zf.read("annotations.xml"))
    assert root.findtext("meta/project/subsets") == "Train\ndefault"
    assert [t.findtext("name") for t in root.iter("task")] == ["t1", "t2"]
    assert {(i.get("subset"), i.get("task_id")) for i in root.findall("image")} == {
        ("Train", str(train["id"])),
        ("default", str(train["id"] + 1)),
    }

    _, coco = export(admin, f"/api/projects/{project['id']}", COCO)
    coco_zip = archive(coco)
    assert annotation_names(coco_zip) == [
        "annotations/instances_Train.json",
        "annotations/instances_default.json",
    ]
    # a new project without labels: tasks per subset, labels from the file
    target = admin.post("/api/projects", {"name": "copy"}).data
    started = tus_import(
        admin,
        f"/api/projects/{target['id']}/dataset/",
        coco.response.body,
        f"format={quote(COCO)}",
        chunk=100000,
    )
    assert started.status == 202, started.data
    assert started.data["rq_id"] == (
        f"action=import&target=project&target_id={target['id']}&subresource=dataset"
    )
    done = wait(admin, started.data["rq_id"])
    assert done["status"] == "finished", done
    assert done["operation"]["type"] == "import:dataset"
    tasks = admin.get(f"/api/tasks?project_id={target['id']}&sort=id").data["results"]
    assert [(t["name"], t["subset"], t["size"]) for t in tasks] == [
        ("Train", "Train", 4),
        ("default", "default", 2),
    ]
    names = [
        lb["name"] for lb in admin.get(f"/api/labels?project_id={target['id']}").data["results"]
    ]
    assert names == ["car", "person", "cat", "nose", "tail"]
    copied = annotations_of(admin, f"/api/tasks/{tasks[0]['id']}")
    assert len(copied["shapes"]) == 4 and len(copied["tracks"]) == 1
    meta = admin.get(f"/api/tasks/{tasks[0]['id']}/data/meta").data
    assert [f["name"] for f in meta["frames"]] == [f"frame_{i}.png" for i in range(4)]

    # an annotation file alone cannot make tasks
    lone = multipart_import(
        admin,
        f"/api/projects/{target['id']}/dataset/",
        "dataset_file",
        coco_zip.read("annotations/instances_Train.json"),
        f"format={quote(COCO)}",
    )
    failed = wait(admin, lone.data["rq_id"])
    assert failed["status"] == "failed"
    assert "Please upload full dataset as a zip archive" in failed["message"]
    # a failing import leaves neither tasks nor labels behind
    strict = admin.post("/api/projects", {"name": "strict", "labels": [{"name": "car"}]}).data
    refused = multipart_import(
        admin,
        f"/api/projects/{strict['id']}/dataset/",
        "dataset_file",
        coco.response.body,
        f"format={quote(COCO)}",
    )
    failed = wait(admin, refused.data["rq_id"])
    assert failed["status"] == "failed"
    assert "Label 'person' is not registered for this task" in failed["message"]
    assert admin.get(f"/api/tasks?project_id={strict['id']}").data["count"] == 0
    del server


def annotation_names(zf: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in zf.namelist() if n.startswith("annotations/"))


def test_project_dataset_import_with_cvat_format(admin: Api) -> None:
    source = annotated_task(admin)
    _, download = export(admin, f"/api/tasks/{source['id']}", CVAT_XML)
    project = admin.post("/api/projects", {"name": "p", "labels": LABELS}).data
    started = multipart_import(
        admin,
        f"/api/projects/{project['id']}/dataset/",
        "dataset_file",
        download.response.body,
        f"format={quote(CVAT_IN)}",
    )
    assert started.status == 202, started.data
    assert wait(admin, started.data["rq_id"])["status"] == "finished"
    [task] = admin.get(f"/api/tasks?project_id={project['id']}").data["results"]
    assert (task["name"], task["size"]) == ("default", 4)
    copied = normalized(admin, annotations_of(admin, f"/api/tasks/{task['id']}"), task["id"])
    assert len(copied["shapes"]) == 11 and len(copied["tags"]) == 1


@pytest.mark.http
@pytest.mark.official_sdk
def test_official_sdk_exports_and_imports(tmp_path: Any) -> None:
    from tests.contract.peer import ADMIN

    pytest.importorskip("cvat_sdk")
    from cvatfn_fake import serve
    from tests.contract.openapi import ValidatingTransport

    server = FakeServer(log_limit=0)
    checked = ValidatingTransport(server.transport())
    api = Api(server, basic("admin", "admin"), checked)
    task = annotated_task(api)
    with serve(checked) as handle:
        from cvat_sdk import make_client

        with make_client("http://127.0.0.1", port=handle.port, credentials=ADMIN) as client:
            client.config.status_check_period = 0.01  # type: ignore[assignment]
            sdk_task = client.tasks.retrieve(task["id"])
            path = sdk_task.export_dataset(COCO, tmp_path / "coco.zip", include_images=True)
            assert path is not None and zipfile.ZipFile(path).namelist()[0].startswith(
                "annotations/"
            )
            folder = tmp_path / "out"
            folder.mkdir()
            named = sdk_task.export_dataset(CVAT_XML, folder, include_images=False)
            assert named is not None and named.name == (
                f"task_{task['id']}_annotations_2026_01_01_00_00_00_cvat for images 1.1.zip"
            )
            copy = client.tasks.create_from_data(
                {"name": "copy", "labels": LABELS},
                resources=[_png(tmp_path, f"frame_{i}.png") for i in range(4)],
            )
            copy.import_annotations(CVAT_IN, named)
            assert len(copy.get_annotations().shapes) == 11
            copy.import_annotations(COCO, tmp_path / "coco.zip")
            assert len(copy.get_annotations().shapes) == 4
            job = copy.get_jobs()[0]
            job.import_annotations(CVAT_IN, named)
            project = client.projects.create_from_dataset(
                {"name": "from dataset", "labels": [{"name": "car"}, {"name": "person"}]},
                dataset_path=str(tmp_path / "coco.zip"),
                dataset_format=COCO,
            )
            [made] = project.get_tasks()
            assert made.size == 4 and len(made.get_annotations().shapes) == 4
    checked.assert_clean()


def _png(folder: Any, name: str) -> Any:
    path = folder / name
    path.write_bytes(image_bytes((20, 10)))
    return path


@pytest.mark.http
@pytest.mark.official_sdk
def test_large_frame_exports_over_http(tmp_path: Any) -> None:
    """A 300 MB frame: uploaded over TUS, exported with images, downloaded over HTTP."""
    pytest.importorskip("cvat_sdk")
    from cvat_sdk import make_client

    from cvatfn_fake import serve
    from tests.contract.peer import ADMIN

    # 32 bits per pixel keeps the pixel count under Pillow's decompression-bomb warning
    width, height = 10000, 7500
    header_size = 54
    pixels = width * 4 * height
    bmp = tmp_path / "huge.bmp"
    with bmp.open("wb") as out:
        out.write(b"BM" + (header_size + pixels).to_bytes(4, "little") + bytes(4))
        out.write(header_size.to_bytes(4, "little") + (40).to_bytes(4, "little"))
        out.write(width.to_bytes(4, "little") + height.to_bytes(4, "little"))
        out.write((1).to_bytes(2, "little") + (32).to_bytes(2, "little") + bytes(24))
        out.truncate(header_size + pixels)
    size = bmp.stat().st_size
    assert size > 300_000_000
    server = FakeServer(log_limit=0)
    with (
        serve(server) as handle,
        make_client("http://127.0.0.1", port=handle.port, credentials=ADMIN) as client,
    ):
        client.config.status_check_period = 0.01  # type: ignore[assignment]
        task = client.tasks.create_from_data({"name": "huge", "labels": [{"name": "a"}]}, [bmp])
        assert task.size == 1
        out = task.export_dataset(CVAT_XML, tmp_path / "huge.zip", include_images=True)
        assert out is not None
        with zipfile.ZipFile(out) as zf:
            info = zf.getinfo("images/huge.bmp")
            assert info.file_size == size and info.compress_type == zipfile.ZIP_STORED
            with zf.open(info) as member, bmp.open("rb") as original:
                assert member.read(1 << 20) == original.read(1 << 20)


def test_cvat_video_layout_is_read_as_tracks(admin: Api) -> None:
    """``<track>`` elements (CVAT for video) become tracks; their frame numbers are absolute."""
    files = [(f"f{i}.png", image_bytes((8, 8))) for i in range(6)]
    reply = admin.post("/api/tasks", {"name": "video", "labels": LABELS})
    task_id = reply.data["id"]
    finish = upload_images(admin, task_id, files, start_frame=1, frame_filter="step=2")
    assert wait(admin, finish.data["rq_id"])["status"] == "finished"
    # the task's frames are the files 1, 3 and 5
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
  <meta><task><mode>interpolation</mode></task></meta>
  <track id="0" label="car" source="manual" group_id="4">
    <box frame="1" keyframe="1" outside="0" occluded="1" xtl="0" ytl="0" xbr="4" ybr="4"
         z_order="1"><attribute name="model">mazda</attribute>
      <attribute name="parked">True</attribute></box>
    <box frame="2" keyframe="1" outside="0" occluded="0" xtl="1" ytl="1" xbr="5" ybr="5"/>
    <box frame="3" keyframe="0" outside="0" occluded="0" xtl="2" ytl="2" xbr="6" ybr="6"/>
    <box frame="5" keyframe="1" outside="1" occluded="0" xtl="3" ytl="3" xbr="7" ybr="7"/>
  </track>
  <track id="1" label="cat" source="manual">
    <skeleton frame="1" keyframe="1" z_order="0">
      <points label="nose" keyframe="1" outside="0" occluded="0" points="1,1"/>
      <points label="tail" keyframe="1" outside="0" occluded="1" points="5,5"/>
    </skeleton>
  </track>
  <track id="2" label="person" source="manual">
    <mask frame="3" keyframe="1" outside="0" occluded="0" rle="0, 2" left="1" top="1"
          width="2" height="1" z_order="0"/>
  </track>
</annotations>"""
    started = multipart_import(
        admin, f"/api/tasks/{task_id}/annotations/", "annotation_file", xml, "format=CVAT%201.1"
    )
    request = wait(admin, started.data["rq_id"])
    assert request["status"] == "finished", request
    result = normalized(admin, annotations_of(admin, f"/api/tasks/{task_id}"), task_id)
    car = next(t for t in result["tracks"] if t["label"] == "car")
    assert car["group"] == 4 and car["attributes"] == [("model", "mazda")]
    assert [(s["frame"], s["points"], s["outside"]) for s in car["shapes"]] == [
        (0, [0.0, 0.0, 4.0, 4.0], False),
        (2, [3.0, 3.0, 7.0, 7.0], True),
    ]
    assert car["shapes"][0]["occluded"] is True and car["shapes"][0]["z_order"] == 1
    # the checkbox value is lower-cased; the unset mutable attribute reads as its default
    assert car["shapes"][0]["attributes"] == [("parked", "true"), ("speed", "0")]
    cat = next(t for t in result["tracks"] if t["label"] == "cat")
    assert [
        (e["label"], e["shapes"][0]["points"], e["shapes"][0]["occluded"]) for e in cat["elements"]
    ] == [("cat.nose", [1.0, 1.0], False), ("cat.tail", [5.0, 5.0], True)]
    # a mask track is imported as the mask of its first keyframe
    [mask] = result["shapes"]
    assert (mask["type"], mask["frame"], mask["label"]) == ("mask", 1, "person")
    assert mask["points"] == [0.0, 2.0, 1.0, 1.0, 2.0, 1.0]


def test_deleted_frames_are_not_exported_and_requests_are_listed(admin: Api) -> None:
    task = annotated_task(admin)
    path = f"/api/tasks/{task['id']}"
    assert admin.patch(f"{path}/data/meta", {"deleted_frames": [1, 3]}).status == 200
    _, download = export(admin, path, CVAT_XML)
    zf = archive(download)
    assert sorted(n for n in zf.namelist() if n.startswith("images/")) == [
        "images/frame_0.png",
        "images/frame_2.png",
    ]
    root = ElementTree.fromstring(zf.read("annotations.xml"))
    assert [i.get("id") for i in root.findall("image")] == ["0", "2"]
    _, coco = export(admin, path, COCO, save_images=False)
    doc = json.loads(archive(coco).read("annotations/instances_default.json"))
    assert [i["file_name"] for i in doc["images"]] == ["frame_0.png", "frame_2.png"]
    listed = admin.get("/api/requests?action=export&subresource=dataset").data
    assert [r["operation"]["format"] for r in listed["results"]] == [CVAT_XML]
    annotations_only = admin.get("/api/requests?subresource=annotations&format=COCO%201.0")
    assert annotations_only.data["count"] == 1
