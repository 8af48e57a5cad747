"""Exports, imports and backups against the fake CVAT: in-process (every response validated
against CVAT's contract) and over its HTTP front with urllib3."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import cvatfn
from cvatfn.errors import (
    BackgroundFailed,
    BadRequest,
    DeadlineExceeded,
    Forbidden,
    InvalidInput,
    NotFound,
)
from cvatfn.models import LabeledData, Project, Task
from cvatfn.progress import RecordingReporter
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport

LABELS = [{"name": "car"}, {"name": "person"}]
SIZES = [(64, 48), (40, 30), (50, 50)]


def _images(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, size in enumerate(SIZES):
        path = folder / f"frame_{index}.png"
        Image.new("RGB", size, (index * 60, 100, 200)).save(path)
        paths.append(path)
    return paths


def _task(
    session: cvatfn.Session, folder: Path, name: str = "source", project: Project | None = None
) -> Task:
    spec: dict[str, Any] = {"name": name, "segment_size": 2}
    spec.update({"project_id": project.id} if project else {"labels": LABELS})
    return cvatfn.tasks.create_from_data(session, spec, _images(folder)).unwrap()


def _label_ids(session: cvatfn.Session, task: Task) -> dict[str, int]:
    return {label.name: label.id for label in cvatfn.tasks.get_labels(session, task).unwrap()}


def _annotate(session: cvatfn.Session, task: Task) -> LabeledData:
    ids = _label_ids(session, task)
    data = {
        "shapes": [
            {"type": "rectangle", "frame": 0, "label_id": ids["car"], "points": [1, 2, 30, 40]},
            {
                "type": "polygon",
                "frame": 1,
                "label_id": ids["person"],
                "points": [5, 5, 20, 5, 20, 25, 5, 25],
            },
            {"type": "rectangle", "frame": 2, "label_id": ids["person"], "points": [0, 0, 9, 9]},
        ],
        "tags": [{"frame": 2, "label_id": ids["car"]}],
    }
    return cvatfn.tasks.set_annotations(session, task, data).unwrap()


def _essence(session: cvatfn.Session, task: Task) -> dict[str, list[Any]]:
    """The annotations of ``task`` without ids, with label names: comparable across tasks."""
    names = {ident: name for name, ident in _label_ids(session, task).items()}
    data = cvatfn.tasks.get_annotations(session, task).unwrap()
    shapes = sorted(
        (s.frame, s.type, names[s.label_id], tuple(round(p, 2) for p in s.points))
        for s in data.shapes
    )
    tags = sorted((t.frame, names[t.label_id]) for t in data.tags)
    return {"shapes": shapes, "tags": tags}


# ------------------------------------------------------------------------------ sessions


@pytest.fixture(params=["in-process", "http"])
def session(
    request: pytest.FixtureRequest, connect: Callable[..., cvatfn.Session]
) -> Iterator[cvatfn.Session]:
    """An admin session in-process (validated), or as alice over the HTTP front with urllib3
    (which streams downloads)."""
    if request.param == "in-process":
        yield connect()
        return
    front: str = request.getfixturevalue("http_front")
    transport = Urllib3Transport()
    config = cvatfn.Config(status_check_period=0.05)
    yield cvatfn.connect(
        front, credentials=("alice", "alice-pw"), transport=transport, config=config
    ).unwrap()
    transport.close()


# ------------------------------------------------------------------------------ formats


def test_formats_list_the_servers_importers_and_exporters(session: cvatfn.Session) -> None:
    formats = cvatfn.formats.retrieve(session).unwrap()
    exporter = formats.exporter(cvatfn.formats.DEFAULT_EXPORT_FORMAT)
    importer = formats.importer(cvatfn.formats.DEFAULT_IMPORT_FORMAT)
    assert exporter is not None and importer is not None
    assert (exporter.dimension, exporter.version) == ("2d", "1.1")
    assert exporter.ext == "ZIP"
    assert "XML" in importer.ext.upper()
    assert formats.importer("COCO 1.0") is not None
    assert formats.importer("CVAT XML 1.1") is None  # an old name, not one of CVAT's


# ------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize(
    ("export_format", "import_format"),
    [("CVAT for images 1.1", "CVAT 1.1"), ("COCO 1.0", "COCO 1.0")],
)
def test_task_export_then_import_gives_equal_annotations(
    session: cvatfn.Session, tmp_path: Path, export_format: str, import_format: str
) -> None:
    source = _task(session, tmp_path / "images")
    _annotate(session, source)
    exported = cvatfn.tasks.export_dataset(session, source, export_format, tmp_path / "out.zip")
    assert exported.unwrap() == tmp_path / "out.zip"
    assert zipfile.is_zipfile(tmp_path / "out.zip")
    assert sorted(os.listdir(tmp_path)) == ["images", "out.zip"]

    copy = _task(session, tmp_path / "images", name="copy")
    imported = cvatfn.tasks.import_annotations(session, copy, import_format, tmp_path / "out.zip")
    assert imported.unwrap() is None
    expected = _essence(session, source)
    if export_format == "COCO 1.0":
        expected["tags"] = []  # COCO has no image tags
    assert _essence(session, copy) == expected
    assert expected["shapes"]


def test_import_mode_append_adds_and_replace_replaces(
    session: cvatfn.Session, tmp_path: Path
) -> None:
    task = _task(session, tmp_path / "images")
    _annotate(session, task)
    archive = cvatfn.tasks.export_dataset(
        session, task, "CVAT for images 1.1", tmp_path / "a.zip"
    ).unwrap()
    cvatfn.tasks.import_annotations(session, task, "CVAT 1.1", archive, import_mode="append")
    assert len(cvatfn.tasks.get_annotations(session, task).unwrap().shapes) == 6
    cvatfn.tasks.import_annotations(session, task, "CVAT 1.1", archive, import_mode="replace")
    assert len(cvatfn.tasks.get_annotations(session, task).unwrap().shapes) == 3


def test_job_export_and_import(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _task(session, tmp_path / "images")
    _annotate(session, task)
    first, second = cvatfn.tasks.get_jobs(session, task).unwrap()
    target = tmp_path / "job.zip"
    assert cvatfn.jobs.export_dataset(session, second, "CVAT for images 1.1", target).unwrap()
    cvatfn.tasks.remove_annotations(session, task).unwrap()
    assert cvatfn.jobs.import_annotations(session, second, "CVAT 1.1", target).unwrap() is None
    frames = sorted(s.frame for s in cvatfn.tasks.get_annotations(session, task).unwrap().shapes)
    assert frames == [2]  # the second job holds frame 2 only
    assert first.id != second.id


def test_images_are_included_on_request(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _task(session, tmp_path / "images")
    plain = cvatfn.tasks.export_dataset(session, task, "COCO 1.0", tmp_path / "plain.zip")
    full = cvatfn.tasks.export_dataset(
        session, task, "COCO 1.0", tmp_path / "full.zip", include_images=True
    )
    with zipfile.ZipFile(plain.unwrap()) as archive:
        assert not [n for n in archive.namelist() if n.endswith(".png")]
    with zipfile.ZipFile(full.unwrap()) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".png")]) == 3


# ------------------------------------------------------------------------------ backups


def test_task_backup_then_restore_is_equal(session: cvatfn.Session, tmp_path: Path) -> None:
    source = _task(session, tmp_path / "images")
    _annotate(session, source)
    reporter = RecordingReporter()
    backup = cvatfn.tasks.download_backup(
        session, source, tmp_path / "backup.zip", progress=reporter
    ).unwrap()
    assert zipfile.is_zipfile(backup)
    assert "download" in reporter.stages()

    restored = cvatfn.tasks.create_from_backup(session, backup).unwrap()
    assert isinstance(restored, Task)
    assert restored.id != source.id
    assert (restored.name, restored.size, restored.segment_size) == ("source", 3, 2)
    assert _essence(session, restored) == _essence(session, source)
    meta = cvatfn.tasks.get_meta(session, restored).unwrap()
    assert [(f.width, f.height) for f in meta.frames or ()] == SIZES
    assert len(cvatfn.tasks.get_jobs(session, restored).unwrap()) == 2


def test_project_backup_then_restore_is_equal(session: cvatfn.Session, tmp_path: Path) -> None:
    project = cvatfn.projects.create(session, {"name": "zoo", "labels": LABELS}).unwrap()
    task = _task(session, tmp_path / "images", project=project)
    _annotate(session, task)
    backup = cvatfn.projects.download_backup(session, project, tmp_path / "p.zip").unwrap()
    restored = cvatfn.projects.create_from_backup(session, backup).unwrap()
    assert isinstance(restored, Project)
    assert (restored.id != project.id, restored.name) == (True, "zoo")
    labels = cvatfn.projects.get_labels(session, restored).unwrap()
    assert sorted(label.name for label in labels) == ["car", "person"]
    (copy,) = cvatfn.projects.get_tasks(session, restored).unwrap()
    assert _essence(session, copy) == _essence(session, task)


# ------------------------------------------------------------------------------ projects


def test_project_dataset_round_trip(session: cvatfn.Session, tmp_path: Path) -> None:
    project = cvatfn.projects.create(session, {"name": "zoo", "labels": LABELS}).unwrap()
    task = _task(session, tmp_path / "images", project=project)
    _annotate(session, task)
    dataset = cvatfn.projects.export_dataset(
        session, project, "CVAT for images 1.1", tmp_path / "d.zip", include_images=True
    ).unwrap()
    reporter = RecordingReporter()
    created = cvatfn.projects.create_from_dataset(
        session, {"name": "copy", "labels": LABELS}, dataset, progress=reporter
    ).unwrap()
    assert created.name == "copy"
    assert reporter.stages()[0] == "upload"
    (copy,) = cvatfn.projects.get_tasks(session, created).unwrap()
    assert copy.size == 3
    assert _essence(session, copy)["shapes"] == _essence(session, task)["shapes"]


# ------------------------------------------------------------------------------ failures


def test_unknown_format_is_the_servers_error_and_leaves_no_file(
    session: cvatfn.Session, tmp_path: Path
) -> None:
    task = _task(session, tmp_path / "images")
    result = cvatfn.tasks.export_dataset(session, task, "CVAT XML 1.1", tmp_path / "x.zip")
    failure = result.failure()
    assert isinstance(failure, BadRequest)
    assert "format" in failure.message.lower()
    assert not (tmp_path / "x.zip").exists()
    imported = cvatfn.tasks.import_annotations(
        session, task, "No such format", _images(tmp_path / "i")[0]
    )
    assert isinstance(imported.failure(), BadRequest)


def test_existing_target_is_never_replaced(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _task(session, tmp_path / "images")
    target = tmp_path / "precious.zip"
    target.write_bytes(b"keep me")
    result = cvatfn.tasks.export_dataset(session, task, "COCO 1.0", target)
    assert isinstance(result.failure(), InvalidInput)
    assert target.read_bytes() == b"keep me"


def test_failed_background_request_carries_the_message(
    server: FakeServer, connect: Callable[..., cvatfn.Session], tmp_path: Path
) -> None:
    session = connect()
    task = _task(session, tmp_path / "images")
    server.fail_next_requests("Disk quota exceeded")
    result = cvatfn.tasks.export_dataset(session, task, "COCO 1.0", tmp_path / "x.zip")
    failure = result.failure()
    assert isinstance(failure, BackgroundFailed)
    assert failure.message == "Disk quota exceeded"
    assert not (tmp_path / "x.zip").exists()


def test_slow_export_is_polled_until_done(
    server: FakeServer, connect: Callable[..., cvatfn.Session], tmp_path: Path
) -> None:
    session = connect(status_check_period=3.0)
    task = _task(session, tmp_path / "images")
    server.configure_requests(polls_before_finish=4)
    started = server.now()
    result = cvatfn.tasks.export_dataset(session, task, "COCO 1.0", tmp_path / "x.zip")
    assert zipfile.is_zipfile(result.unwrap())
    log = [request for request, _ in server.log]
    start = next(
        i
        for i, r in enumerate(log)
        if r.url.endswith("/dataset/export?format=COCO+1.0&save_images=false&location=local")
    )
    polls = [r for r in log[start:] if r.method == "GET" and "/api/requests/" in r.url]
    assert len(polls) == 5  # four unfinished answers, then the finished one
    assert server.now() - started == pytest.approx(4 * 3.0)  # the fake's clock: no wall time


def test_deadline_is_deadline_exceeded(
    server: FakeServer, connect: Callable[..., cvatfn.Session], tmp_path: Path
) -> None:
    session = connect(status_check_period=1.0, request_deadline=3.0)
    task = _task(session, tmp_path / "images")
    server.configure_requests(polls_before_finish=100)
    result = cvatfn.tasks.download_backup(session, task, tmp_path / "b.zip")
    failure = result.failure()
    assert isinstance(failure, DeadlineExceeded)
    assert failure.seconds == 3.0
    assert not (tmp_path / "b.zip").exists()


def test_restores_land_in_the_sessions_organization(
    server: FakeServer, connect: Callable[..., cvatfn.Session], tmp_path: Path
) -> None:
    lab_id = server.add_organization("lab", owner="admin")
    session = connect()
    task = _task(session, tmp_path / "images")
    project = cvatfn.projects.create(session, {"name": "zoo", "labels": LABELS}).unwrap()
    task_backup = cvatfn.tasks.download_backup(session, task, tmp_path / "t.zip").unwrap()
    project_backup = cvatfn.projects.download_backup(session, project, tmp_path / "p.zip")
    lab = cvatfn.with_org(session, "lab")
    assert cvatfn.tasks.create_from_backup(lab, task_backup).unwrap().organization == lab_id
    restored = cvatfn.projects.create_from_backup(lab, project_backup.unwrap()).unwrap()
    assert restored.organization == lab_id
    assert task.organization is None


def test_another_users_task_cannot_be_exported(
    server: FakeServer, connect: Callable[..., cvatfn.Session], tmp_path: Path
) -> None:
    server.add_user("bob", "bob-pw")
    task = _task(connect(), tmp_path / "images")
    bob = connect("bob", "bob-pw")
    result = cvatfn.tasks.export_dataset(bob, task, "COCO 1.0", tmp_path / "x.zip")
    assert isinstance(result.failure(), Forbidden | NotFound)
    assert not (tmp_path / "x.zip").exists()
    source = tmp_path / "annotations.xml"
    source.write_bytes(b"<annotations/>")
    imported = cvatfn.tasks.import_annotations(bob, task, "CVAT 1.1", source)
    assert isinstance(imported.failure(), Forbidden | NotFound)
