"""The official ``cvat-sdk==2.80.0`` client working with data on the fake server over HTTP.

The same fixture as :mod:`tests.contract.test_official_sdk` is used: a fresh fake server
behind a :class:`~tests.contract.openapi.ValidatingTransport`, served on loopback, so every
response the SDK receives is checked against CVAT's 2.80 contract, and any warning logged by
the SDK fails the test. These tests cover what the SDK does with annotations, frames, chunks,
previews, metadata, dataset export and import, and backups.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from PIL import Image

from tests.contract.peer import Cvat, image

cvat_sdk = pytest.importorskip("cvat_sdk")

from cvat_sdk.api_client import models  # noqa: E402
from cvat_sdk.core.proxies.annotations import AnnotationUpdateAction  # noqa: E402
from cvat_sdk.core.proxies.tasks import ResourceType  # noqa: E402

pytestmark = [pytest.mark.official_sdk, pytest.mark.http]

SKELETON_SVG = (
    '<line x1="30" y1="30" x2="70" y2="70" data-type="edge" data-node-from="1" data-node-to="2">'
    '</line><circle r="1.5" cx="30" cy="30" data-type="element node" data-element-id="1" '
    'data-node-id="1" data-label-name="head"></circle><circle r="1.5" cx="70" cy="70" '
    'data-type="element node" data-element-id="2" data-node-id="2" data-label-name="tail">'
    "</circle>"
)


def make_task(cvat: Cvat, tmp_path: Path, *, frames: int = 4, name: str = "data") -> Any:
    client = cvat.client()
    files = [
        image(tmp_path / f"{name}_{i}.png", (64 + i, 48), (i * 40, 100, 50)) for i in range(frames)
    ]
    spec = models.TaskWriteRequest(
        name=name,
        labels=[
            models.PatchedLabelRequest(
                name="car",
                type="any",
                attributes=[
                    models.AttributeRequest(
                        name="color",
                        mutable=False,
                        input_type="select",
                        default_value="red",
                        values=["red", "blue"],
                    )
                ],
            ),
            models.PatchedLabelRequest(
                name="animal",
                type="skeleton",
                svg=SKELETON_SVG,
                sublabels=[
                    models.SublabelRequest(name="head", type="points"),
                    models.SublabelRequest(name="tail", type="points"),
                ],
            ),
        ],
        segment_size=2,
    )
    return client.tasks.create_from_data(
        spec=spec,
        resource_type=ResourceType.LOCAL,
        resources=[str(f) for f in files],
        data_params={"image_quality": 80, "chunk_size": 2},
    )


def label_ids(task: Any) -> dict[str, Any]:
    return {label.name: label for label in task.get_labels()}


def all_shapes(labels: dict[str, Any]) -> Any:
    car = labels["car"]
    animal = labels["animal"]
    head, tail = sorted(animal.sublabels, key=lambda s: s.name)
    color = car.attributes[0].id
    # A 5x3 box at (10, 12): 2 off, 3 on, 4 off, 1 on, 5 off; then left, top, right, bottom.
    rle = [2, 3, 4, 1, 5, 10, 12, 14, 14]

    def shape(kind: str, points: list[float], **extra: Any) -> Any:
        return models.LabeledShapeRequest(
            type=kind, frame=0, label_id=car.id, points=points, **extra
        )

    return models.LabeledDataRequest(
        version=0,
        tags=[models.LabeledImageRequest(frame=1, label_id=car.id)],
        shapes=[
            shape(
                "rectangle",
                [1.0, 2.0, 30.0, 40.0],
                attributes=[models.AttributeValRequest(spec_id=color, value="blue")],
                rotation=15.0,
                z_order=2,
                occluded=True,
            ),
            shape("polygon", [1.0, 1.0, 10.0, 1.0, 10.0, 10.0]),
            shape("polyline", [1.0, 1.0, 5.0, 5.0, 9.0, 1.0]),
            shape("points", [3.0, 3.0, 6.0, 6.0]),
            shape("ellipse", [20.0, 20.0, 30.0, 25.0]),
            shape("cuboid", [float(i) for i in range(16)]),
            shape("mask", [float(v) for v in rle]),
            models.LabeledShapeRequest(
                type="skeleton",
                frame=1,
                label_id=animal.id,
                points=[],
                elements=[
                    models.SubLabeledShapeRequest(
                        type="points", frame=1, label_id=head.id, points=[5.0, 5.0]
                    ),
                    models.SubLabeledShapeRequest(
                        type="points", frame=1, label_id=tail.id, points=[9.0, 9.0], outside=True
                    ),
                ],
            ),
        ],
        tracks=[
            models.LabeledTrackRequest(
                frame=0,
                label_id=car.id,
                shapes=[
                    models.TrackedShapeRequest(
                        type="rectangle", frame=0, points=[1.0, 1.0, 5.0, 5.0]
                    ),
                    models.TrackedShapeRequest(
                        type="rectangle", frame=1, points=[2.0, 2.0, 6.0, 6.0], outside=True
                    ),
                ],
            )
        ],
    )


def comparable(data: Any, task: Any) -> dict[str, Any]:
    """Annotations in a form that two tasks can share: label and attribute names instead of
    the task's own ids, no server-assigned ids, no ``source`` (imports are marked "file"),
    and a canonical order."""
    names: dict[int, str] = {}
    specs: dict[int, str] = {}
    for label in task.get_labels():
        names[label.id] = label.name
        specs.update({a.id: f"{label.name}.{a.name}" for a in label.attributes})
        for sub in label.sublabels or []:
            names[sub.id] = f"{label.name}.{sub.name}"
            specs.update({a.id: f"{sub.name}.{a.name}" for a in sub.attributes or []})
    raw = data.to_dict() if hasattr(data, "to_dict") else data

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key in ("id", "version", "source"):
                    continue
                if key == "label_id":
                    out["label"] = names.get(item, item)
                elif key == "spec_id":
                    out["spec"] = specs.get(item, item)
                else:
                    out[key] = strip(item)
            return out
        if isinstance(value, list):
            return sorted((strip(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return value

    out = strip(raw)
    return {key: out.get(key, []) for key in ("shapes", "tracks", "tags")}


def test_annotations_crud_on_tasks_and_jobs(cvat: Cvat, tmp_path: Path) -> None:
    task = make_task(cvat, tmp_path)
    labels = label_ids(task)
    request = all_shapes(labels)
    task.set_annotations(request)

    got = task.get_annotations()
    assert sorted(s.type.value for s in got.shapes) == sorted(
        ["rectangle", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton"]
    )
    rect = next(s for s in got.shapes if s.type.value == "rectangle")
    assert (rect.rotation, rect.z_order, rect.occluded) == (15.0, 2, True)
    assert rect.attributes[0].value == "blue"
    skeleton = next(s for s in got.shapes if s.type.value == "skeleton")
    assert sorted(e.points for e in skeleton.elements) == [[5.0, 5.0], [9.0, 9.0]]
    assert len(got.tracks) == 1
    assert len(got.tags) == 1

    # The task view is the union of its two jobs (frames 0-1 and 2-3).
    jobs = sorted(task.get_jobs(), key=lambda j: j.id)
    assert len(jobs) == 2
    first, second = (job.get_annotations() for job in jobs)
    assert len(first.shapes) == len(got.shapes)
    assert second.shapes == [] and second.tags == []

    # PATCH create on a job, then update and delete by id.
    jobs[1].update_annotations(
        models.PatchedLabeledDataRequest(
            shapes=[
                models.LabeledShapeRequest(
                    type="rectangle", frame=2, label_id=labels["car"].id, points=[0, 0, 4, 4]
                )
            ]
        ),
        action=AnnotationUpdateAction.CREATE,
    )
    created = jobs[1].get_annotations().shapes[0]
    updated = models.LabeledShapeRequest(
        id=created.id, type="rectangle", frame=2, label_id=labels["car"].id, points=[1, 1, 8, 8]
    )
    jobs[1].update_annotations(
        models.PatchedLabeledDataRequest(shapes=[updated]), action=AnnotationUpdateAction.UPDATE
    )
    assert jobs[1].get_annotations().shapes[0].points == [1.0, 1.0, 8.0, 8.0]
    assert len(task.get_annotations().shapes) == len(got.shapes) + 1

    task.remove_annotations(ids=[rect.id, created.id])
    remaining = task.get_annotations()
    assert rect.id not in {s.id for s in remaining.shapes}
    assert len(remaining.shapes) == len(got.shapes) - 1

    task.remove_annotations()
    empty = task.get_annotations()
    assert (empty.shapes, empty.tracks, empty.tags) == ([], [], [])


def test_frames_chunks_previews_and_meta(cvat: Cvat, tmp_path: Path) -> None:
    task = make_task(cvat, tmp_path)
    original = Image.open(task.get_frame(1, quality="original"))
    assert original.size == (65, 48)
    compressed = Image.open(task.get_frame(1, quality="compressed"))
    assert compressed.size == (65, 48)
    preview = Image.open(task.get_preview())
    assert max(preview.size) <= 256

    chunk = io.BytesIO()
    task.download_chunk(1, chunk, quality="original")
    with zipfile.ZipFile(chunk) as archive:
        members = archive.namelist()
        assert len(members) == 2  # chunk_size=2: frames 2 and 3
        sizes = [Image.open(archive.open(name)).size for name in members]
    assert sizes == [(66, 48), (67, 48)]

    outdir = tmp_path / "frames"
    task.download_frames([0, 3], outdir=outdir, quality="original")
    written = sorted(p.name for p in outdir.iterdir())
    assert written == ["frame_000000.png", "frame_000003.png"]

    meta = task.get_meta()
    assert meta.size == 4
    assert [f.width for f in task.get_frames_info()] == [64, 65, 66, 67]
    task.remove_frames_by_ids([1])
    assert task.get_meta().deleted_frames == [1]

    job = sorted(task.get_jobs(), key=lambda j: j.id)[1]
    assert Image.open(job.get_frame(2, quality="original")).size == (66, 48)
    assert Image.open(job.get_preview()).size[1] > 0
    job_meta = job.get_meta()
    assert (job_meta.start_frame, job_meta.stop_frame) == (2, 3)


def test_export_import_and_backup_round_trips(cvat: Cvat, tmp_path: Path) -> None:
    client = cvat.client()
    task = make_task(cvat, tmp_path, name="source")
    task.set_annotations(all_shapes(label_ids(task)))
    expected = comparable(task.get_annotations(), task)

    # CVAT for images 1.1: a real XML file inside a zip, images included when asked.
    xml_zip = tmp_path / "cvat.zip"
    task.export_dataset("CVAT for images 1.1", xml_zip, include_images=True)
    with zipfile.ZipFile(xml_zip) as archive:
        names = archive.namelist()
        root = ElementTree.fromstring(archive.read("annotations.xml"))
    assert root.tag == "annotations"
    assert len(root.findall("image")) == 4
    assert sum(1 for n in names if n.startswith("images/")) == 4

    coco_zip = tmp_path / "coco.zip"
    task.export_dataset("COCO 1.0", coco_zip, include_images=False)
    with zipfile.ZipFile(coco_zip) as archive:
        coco = json.loads(archive.read("annotations/instances_default.json"))
    assert {c["name"] for c in coco["categories"]} >= {"car"}
    assert len(coco["images"]) == 4

    # Import the CVAT export into a fresh task with the same images and labels. The image
    # format has no tracks: like CVAT, the track comes back as the box it shows on frame 0
    # (it is outside on frame 1); everything else comes back as it was.
    fresh = make_task(cvat, tmp_path, name="fresh")
    fresh.import_annotations("CVAT 1.1", xml_zip)
    imported = comparable(fresh.get_annotations(), fresh)
    assert imported["tags"] == expected["tags"]
    assert imported["tracks"] == []
    extra = [shape for shape in imported["shapes"] if shape not in expected["shapes"]]
    assert [s for s in expected["shapes"] if s not in imported["shapes"]] == []
    assert [(s["type"], s["frame"], s["label"], s["points"]) for s in extra] == [
        ("rectangle", 0, "car", [1.0, 1.0, 5.0, 5.0])
    ]

    # Backup, then restore as a new task.
    backup = tmp_path / "backup.zip"
    task.download_backup(backup)
    restored = client.tasks.create_from_backup(backup)
    assert restored.id not in (task.id, fresh.id)
    assert restored.size == task.size
    assert [label.name for label in restored.get_labels()] == [
        label.name for label in task.get_labels()
    ]
    assert [f.name for f in restored.get_frames_info()] == [f.name for f in task.get_frames_info()]
    assert comparable(restored.get_annotations(), restored) == expected


def test_project_dataset_export_and_create_from_dataset(cvat: Cvat, tmp_path: Path) -> None:
    client = cvat.client()
    project = client.projects.create(
        models.ProjectWriteRequest(name="p", labels=[models.PatchedLabelRequest(name="car")])
    )
    files = [image(tmp_path / f"p_{i}.png", (40, 30)) for i in range(2)]
    task = client.tasks.create_from_data(
        spec=models.TaskWriteRequest(name="t", project_id=project.id),
        resources=[str(f) for f in files],
    )
    car = task.get_labels()[0].id
    task.set_annotations(
        models.LabeledDataRequest(
            shapes=[
                models.LabeledShapeRequest(
                    type="rectangle", frame=0, label_id=car, points=[1.0, 1.0, 9.0, 9.0]
                )
            ]
        )
    )
    dataset = tmp_path / "project.zip"
    project.export_dataset("COCO 1.0", dataset, include_images=True)
    copy = client.projects.create_from_dataset(
        models.ProjectWriteRequest(name="copy", labels=[models.PatchedLabelRequest(name="car")]),
        dataset_path=str(dataset),
        dataset_format="COCO 1.0",
    )
    tasks = copy.get_tasks()
    assert len(tasks) == 1
    shapes = tasks[0].get_annotations().shapes
    assert [(s.type.value, s.points) for s in shapes] == [("rectangle", [1.0, 1.0, 9.0, 9.0])]
