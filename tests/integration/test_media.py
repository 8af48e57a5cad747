"""Media of tasks and jobs against the fake CVAT: in-process (every response validated against
CVAT's contract) and over its HTTP front with urllib3."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

import cvatfn
from cvatfn.errors import BadRequest, Forbidden, LocalFileError, NotFound
from cvatfn.models import Task
from cvatfn.progress import RecordingReporter
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport

COLORS = [(200, 0, 0), (0, 150, 0), (0, 0, 250), (90, 90, 90)]
SIZES = [(40, 30), (32, 24), (48, 20), (16, 16)]


def _images(folder: Path) -> list[Path]:
    paths = []
    for index, (color, size) in enumerate(zip(COLORS, SIZES, strict=True)):
        path = folder / f"img_{index}.png"
        Image.new("RGB", size, color).save(path)
        paths.append(path)
    return paths


def _make_task(session: cvatfn.Session, folder: Path, **spec: object) -> Task:
    folder.mkdir(exist_ok=True)
    return cvatfn.tasks.create_from_data(
        session,
        {"name": "media", "labels": [{"name": "thing"}], "segment_size": 2, **spec},
        _images(folder),
        data_params={"chunk_size": 2},
    ).unwrap()


def _pixel(data: bytes) -> tuple[int, ...]:
    with Image.open(io.BytesIO(data)) as image:
        return tuple(image.convert("RGB").getpixel((0, 0)))  # type: ignore[arg-type]


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# ------------------------------------------------------------------------------ sessions


@pytest.fixture(params=["in-process", "http"])
def session(
    request: pytest.FixtureRequest, connect: Callable[..., cvatfn.Session]
) -> Iterator[cvatfn.Session]:
    """An admin session in-process (validated), or as alice over the HTTP front with urllib3.

    The HTTP variant talks to urllib3 directly, so downloads take its streaming path.
    """
    if request.param == "in-process":
        yield connect()
        return
    front: str = request.getfixturevalue("http_front")
    transport = Urllib3Transport()
    yield cvatfn.connect(front, credentials=("alice", "alice-pw"), transport=transport).unwrap()
    transport.close()


# ------------------------------------------------------------------------------ frames


def test_get_frame_returns_each_uploaded_image(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    for frame_id, (color, size) in enumerate(zip(COLORS, SIZES, strict=True)):
        frame = cvatfn.tasks.get_frame(session, task, frame_id).unwrap()
        assert (_size(frame), _pixel(frame)) == (size, color)
    missing = cvatfn.tasks.get_frame(session, task, 99).failure()
    assert isinstance(missing, BadRequest)
    assert "The frame number should be in the" in missing.message


def test_download_frames_writes_every_frame(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    outdir = tmp_path / "frames"
    reporter = RecordingReporter()
    paths = cvatfn.tasks.download_frames(
        session, task, [3, 1], outdir=outdir, progress=reporter
    ).unwrap()
    assert [Path(p).name for p in paths] == ["frame_000003.png", "frame_000001.png"]
    assert _pixel(Path(paths[0]).read_bytes()) == COLORS[3]
    assert sorted(os.listdir(outdir)) == ["frame_000001.png", "frame_000003.png"]
    assert reporter.updates("frames") == [0, 1, 2]
    # again: the files exist, so nothing is overwritten
    again = cvatfn.tasks.download_frames(session, task, [1], outdir=outdir)
    assert isinstance(again.failure(), LocalFileError)
    assert sorted(os.listdir(outdir)) == ["frame_000001.png", "frame_000003.png"]


def test_frames_info_of_task_and_jobs(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    info = cvatfn.tasks.get_frames_info(session, task).unwrap()
    assert [(f.name, f.width, f.height) for f in info] == [
        (f"img_{i}.png", w, h) for i, (w, h) in enumerate(SIZES)
    ]
    first, second = cvatfn.tasks.get_jobs(session, task).unwrap()
    meta = cvatfn.jobs.get_meta(session, second).unwrap()
    assert (meta.start_frame, meta.stop_frame) == (2, 3)
    names = [f.name for f in cvatfn.jobs.get_frames_info(session, first).unwrap()]
    assert names == ["img_0.png", "img_1.png"]


# ------------------------------------------------------------------------------ deleted frames


def test_removing_frames_keeps_earlier_deletions(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    assert cvatfn.tasks.remove_frames_by_ids(session, task, [1]).unwrap().deleted_frames == (1,)
    after = cvatfn.tasks.remove_frames_by_ids(session, task, [3, 0]).unwrap()
    assert after.deleted_frames == (0, 1, 3)
    assert cvatfn.tasks.get_meta(session, task).unwrap().deleted_frames == (0, 1, 3)
    restored = cvatfn.tasks.restore_frames(session, task, [1, 2]).unwrap()
    assert restored.deleted_frames == (0, 3)
    assert cvatfn.tasks.get_meta(session, task).unwrap().deleted_frames == (0, 3)
    refused = cvatfn.tasks.remove_frames_by_ids(session, task, [4])
    assert refused.failure().field == "ids[0]"
    assert cvatfn.tasks.get_meta(session, task).unwrap().deleted_frames == (0, 3)


def test_media_of_a_missing_task_is_not_found(session: cvatfn.Session, tmp_path: Path) -> None:
    assert isinstance(cvatfn.tasks.get_frame(session, 10**6, 0).failure(), NotFound)
    assert isinstance(cvatfn.tasks.get_meta(session, 10**6).failure(), NotFound)
    assert isinstance(cvatfn.tasks.remove_frames_by_ids(session, 10**6, [0]).failure(), NotFound)
    result = cvatfn.tasks.download_chunk(session, 10**6, 0, tmp_path / "c.zip")
    assert isinstance(result.failure(), NotFound)
    assert os.listdir(tmp_path) == []


def test_another_users_task_media_is_forbidden(
    connect: Callable[..., cvatfn.Session], server: object, tmp_path: Path
) -> None:
    from cvatfn_fake import FakeServer

    assert isinstance(server, FakeServer)
    server.add_user("bob", "bob-pw")
    admin = connect()
    task = _make_task(admin, tmp_path / "src")
    bob = connect("bob", "bob-pw")
    assert isinstance(cvatfn.tasks.get_frame(bob, task, 0).failure(), Forbidden)
    assert isinstance(cvatfn.tasks.remove_frames_by_ids(bob, task, [0]).failure(), Forbidden)
    assert cvatfn.tasks.get_meta(admin, task).unwrap().deleted_frames == ()


def test_validated_over_http(http_front: str, tmp_path: Path) -> None:
    """The same calls over HTTP, with every response checked against the contract."""
    validating = ValidatingTransport(Urllib3Transport())
    session = cvatfn.connect(
        http_front, credentials=("alice", "alice-pw"), transport=validating
    ).unwrap()
    task = _make_task(session, tmp_path / "src")
    assert _pixel(cvatfn.tasks.get_frame(session, task, 2).unwrap()) == COLORS[2]
    assert cvatfn.tasks.remove_frames_by_ids(session, task, [2]).unwrap().deleted_frames == (2,)
    assert (
        len(
            cvatfn.jobs.get_frames_info(
                session, cvatfn.tasks.get_jobs(session, task).unwrap()[0]
            ).unwrap()
        )
        == 2
    )
    assert validating.violations == [], validating.report()


# ------------------------------------------------------------------------------ chunks, previews


def _chunk_pixels(path: Path) -> list[tuple[str, tuple[int, ...]]]:
    with zipfile.ZipFile(path) as archive:
        return [(name, _pixel(archive.read(name))) for name in sorted(archive.namelist())]


def test_download_chunk_of_task_and_job(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    reporter = RecordingReporter()
    task_chunk = tmp_path / "task-1.zip"
    result = cvatfn.tasks.download_chunk(session, task, 1, task_chunk, progress=reporter)
    assert result.unwrap() == str(task_chunk)
    assert _chunk_pixels(task_chunk) == [("000000.png", COLORS[2]), ("000001.png", COLORS[3])]
    size = task_chunk.stat().st_size
    # the server's Content-Length gives the total, in-process as over HTTP
    assert reporter.calls[0] == ("start", "download", size)
    assert reporter.calls[-2:] == [("update", "download", size), ("finish", "download")]

    second = cvatfn.tasks.get_jobs(session, task).unwrap()[1]
    job_chunk = tmp_path / "job-0.zip"
    assert cvatfn.jobs.download_chunk(session, second, 0, job_chunk).unwrap() == str(job_chunk)
    assert job_chunk.read_bytes() == task_chunk.read_bytes()

    compressed = tmp_path / "compressed.zip"
    cvatfn.tasks.download_chunk(session, task, 0, compressed, quality="compressed").unwrap()
    with zipfile.ZipFile(compressed) as archive:
        assert sorted(archive.namelist()) == ["000000.jpeg", "000001.jpeg"]
    assert sorted(os.listdir(tmp_path)) == ["compressed.zip", "job-0.zip", "src", "task-1.zip"]


def test_a_chunk_that_does_not_exist_leaves_no_file(
    session: cvatfn.Session, tmp_path: Path
) -> None:
    task = _make_task(session, tmp_path / "src")
    result = cvatfn.tasks.download_chunk(session, task, 7, tmp_path / "c.zip")
    assert isinstance(result.failure(), BadRequest)
    second = cvatfn.tasks.get_jobs(session, task).unwrap()[1]
    assert isinstance(
        cvatfn.jobs.download_chunk(session, second, 1, tmp_path / "j.zip").failure(), BadRequest
    )
    assert os.listdir(tmp_path) == ["src"]


def test_previews_are_images(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    second = cvatfn.tasks.get_jobs(session, task).unwrap()[1]
    for preview in (
        cvatfn.tasks.get_preview(session, task).unwrap(),
        cvatfn.jobs.get_preview(session, second).unwrap(),
    ):
        with Image.open(io.BytesIO(preview)) as image:
            assert image.format == "JPEG"


def test_job_frames(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    second = cvatfn.tasks.get_jobs(session, task).unwrap()[1]
    assert _pixel(cvatfn.jobs.get_frame(session, second, 3).unwrap()) == COLORS[3]
    assert isinstance(cvatfn.jobs.get_frame(session, second, 0).failure(), BadRequest)
    paths = cvatfn.jobs.download_frames(
        session, second, [2, 3], outdir=tmp_path / "out", quality="compressed"
    ).unwrap()
    assert [Path(p).name for p in paths] == ["frame_000002.jpg", "frame_000003.jpg"]
    with Image.open(paths[1]) as image:
        assert image.format == "JPEG" and image.size == SIZES[3]


def test_job_deleted_frames(session: cvatfn.Session, tmp_path: Path) -> None:
    task = _make_task(session, tmp_path / "src")
    first, second = cvatfn.tasks.get_jobs(session, task).unwrap()
    cvatfn.tasks.remove_frames_by_ids(session, task, [0]).unwrap()
    deleted = cvatfn.jobs.remove_frames_by_ids(session, second, [3]).unwrap().deleted_frames
    assert sorted(deleted) == [3]
    deleted = cvatfn.jobs.remove_frames_by_ids(session, second, [2]).unwrap().deleted_frames
    assert sorted(deleted) == [2, 3]
    assert sorted(cvatfn.tasks.get_meta(session, task).unwrap().deleted_frames) == [0, 2, 3]
    outside = cvatfn.jobs.remove_frames_by_ids(session, second, [1]).failure()
    assert isinstance(outside, BadRequest)
    assert cvatfn.jobs.restore_frames(session, second, [3]).unwrap().deleted_frames == (2,)
    assert cvatfn.jobs.get_meta(session, first).unwrap().deleted_frames == (0,)
    assert sorted(cvatfn.tasks.get_meta(session, task).unwrap().deleted_frames) == [0, 2]


def test_project_preview_comes_with_its_first_task(session: cvatfn.Session, tmp_path: Path) -> None:
    project = cvatfn.projects.create(session, {"name": "p", "labels": [{"name": "a"}]}).unwrap()
    assert isinstance(cvatfn.projects.get_preview(session, project).failure(), NotFound)
    folder = tmp_path / "src"
    folder.mkdir()
    cvatfn.tasks.create_from_data(
        session, {"name": "in project", "project_id": project.id}, _images(folder)
    ).unwrap()
    with Image.open(io.BytesIO(cvatfn.projects.get_preview(session, project).unwrap())) as image:
        assert image.format == "JPEG"
