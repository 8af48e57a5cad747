"""Task data from every source CVAT accepts (local files, remote URLs, the server's share) and
with each data parameter, through cvatfn against the fake server, every response validated."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from returns.result import Failure

import cvatfn
from cvatfn import ResourceType
from cvatfn.errors import BackgroundFailed, BadRequest, InvalidInput, NotFound
from cvatfn.models import DataParams
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport

LABELS = [{"name": "cat"}]


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def share(tmp_path: Path) -> Path:
    """A share folder: ``set/img_1.png`` .. ``set/img_10.png`` (widths 11..20), ``set/skip/``."""
    root = tmp_path / "share"
    (root / "set" / "skip").mkdir(parents=True)
    for index in range(1, 11):
        (root / "set" / f"img_{index}.png").write_bytes(png((10 + index, 8)))
    (root / "set" / "skip" / "hidden.png").write_bytes(png((99, 99)))
    return root


@pytest.fixture
def session(share: Path) -> Iterator[tuple[FakeServer, cvatfn.Session]]:
    server = FakeServer(share_root=share)
    checked = ValidatingTransport(server.transport())
    session = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=checked
    ).unwrap()
    yield server, session
    checked.assert_clean()


def widths(session: cvatfn.Session, task: cvatfn.models.Task) -> list[int]:
    return [frame.width for frame in cvatfn.tasks.get_meta(session, task).unwrap().frames]


def test_share_folder_with_exclusions_and_natural_sorting(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "share", "labels": LABELS},
        ["set/"],
        resource_type=ResourceType.SHARE,
        data_params={"sorting_method": "natural", "server_files_exclude": ["set/skip/"]},
    ).unwrap()
    assert task.size == 10
    # natural order: img_1, img_2, ..., img_10 (lexicographic would put img_10 second)
    assert widths(s, task) == list(range(11, 21))
    meta = cvatfn.tasks.get_meta(s, task).unwrap()
    assert meta.storage == "share"


def test_share_with_copy_data_and_frame_range(session: tuple[FakeServer, cvatfn.Session]) -> None:
    _, s = session
    files = [f"set/img_{i}.png" for i in range(1, 11)]
    params = DataParams(
        copy_data=True,
        sorting_method="predefined",
        start_frame=1,
        stop_frame=7,
        chunk_size=3,
        image_quality=55,
        use_cache=True,
    )
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "copied", "labels": LABELS, "segment_size": 2},
        files,
        resource_type=ResourceType.SHARE,
        data_params=params,
    ).unwrap()
    assert task.size == 7
    meta = cvatfn.tasks.get_meta(s, task).unwrap()
    assert (meta.start_frame, meta.stop_frame, meta.chunk_size, meta.image_quality) == (
        1,
        7,
        3,
        55,
    )
    assert meta.storage == "local"
    assert widths(s, task) == list(range(12, 19))
    assert len(cvatfn.tasks.get_jobs(s, task).unwrap()) == 4


def test_frame_step(session: tuple[FakeServer, cvatfn.Session]) -> None:
    _, s = session
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "stepped", "labels": LABELS},
        [f"set/img_{i}.png" for i in range(1, 11)],
        resource_type=ResourceType.SHARE,
        data_params={"sorting_method": "predefined", "frame_step": 3},
    ).unwrap()
    assert widths(s, task) == [11, 14, 17, 20]
    assert cvatfn.tasks.get_meta(s, task).unwrap().frame_filter == "step=3"


def test_job_file_mapping_cuts_jobs_as_asked(session: tuple[FakeServer, cvatfn.Session]) -> None:
    _, s = session
    mapping = [["set/img_3.png"], ["set/img_1.png", "set/img_2.png"]]
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "mapped", "labels": LABELS},
        ["set/img_1.png", "set/img_2.png", "set/img_3.png"],
        resource_type=ResourceType.SHARE,
        data_params={"job_file_mapping": mapping},
    ).unwrap()
    jobs = cvatfn.tasks.get_jobs(s, task).unwrap()
    assert [(j.start_frame, j.stop_frame) for j in jobs] == [(0, 0), (1, 2)]
    assert widths(s, task) == [13, 11, 12]


def test_remote_files(session: tuple[FakeServer, cvatfn.Session]) -> None:
    server, s = session
    for index, size in enumerate([(5, 6), (7, 8)]):
        server.add_remote_file(f"https://data.example.com/images/r{index}.png", png(size))
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "remote", "labels": LABELS},
        ["https://data.example.com/images/r1.png", "https://data.example.com/images/r0.png"],
        resource_type=ResourceType.REMOTE,
        data_params={"sorting_method": "lexicographical"},
    ).unwrap()
    assert widths(s, task) == [5, 7]


def test_unreachable_remote_file_is_background_failed(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    result = cvatfn.tasks.create_from_data(
        s,
        {"name": "missing", "labels": LABELS},
        ["https://data.example.com/nowhere.png"],
        resource_type=ResourceType.REMOTE,
    )
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, BackgroundFailed)
    assert "https://data.example.com/nowhere.png" in error.message


def test_share_path_escaping_the_root_is_refused(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    result = cvatfn.tasks.create_from_data(
        s,
        {"name": "escape", "labels": LABELS},
        ["../outside.png"],
        resource_type=ResourceType.SHARE,
    )
    assert isinstance(result.failure(), BackgroundFailed)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"image_quality": 0}, "image_quality"),
        ({"sorting_method": "alphabetical"}, "sorting_method"),
        ({"frame_step": 0}, "frame_step"),
        ({"job_file_mapping": "a.png"}, "job_file_mapping"),
        ({"validation_params": {"mode": "sometimes"}}, "validation_params.mode"),
    ],
)
def test_bad_data_parameters_are_invalid_input_before_anything_is_sent(
    session: tuple[FakeServer, cvatfn.Session], params: dict[str, object], field: str
) -> None:
    server, s = session
    before = len(server.log)
    result = cvatfn.tasks.create_from_data(
        s,
        {"name": "bad", "labels": LABELS},
        ["set/img_1.png"],
        resource_type=ResourceType.SHARE,
        data_params=params,
    )
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert error.field == field
    assert len(server.log) == before
    assert cvatfn.tasks.list(s).unwrap() == ()


def test_validation_params_make_a_ground_truth_job(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    files = [f"set/img_{i}.png" for i in range(1, 11)]
    params = {
        "sorting_method": "predefined",
        "validation_params": {
            "mode": "gt",
            "frame_selection_method": "random_uniform",
            "frame_count": 3,
            "random_seed": 7,
        },
    }
    task, again = (
        cvatfn.tasks.create_from_data(
            s,
            {"name": name, "labels": LABELS, "segment_size": 5},
            files,
            resource_type=ResourceType.SHARE,
            data_params=params,
        ).unwrap()
        for name in ("gt", "gt again")
    )
    jobs = cvatfn.tasks.get_jobs(s, task).unwrap()
    assert [j.type for j in jobs] == ["annotation", "annotation", "ground_truth"]
    gt = jobs[-1]
    assert (gt.start_frame, gt.stop_frame, gt.frame_count) == (0, 9, 3)
    assert cvatfn.tasks.retrieve(s, task).unwrap().validation_mode == "gt"

    # The same seed chooses the same frames.
    gt_again = cvatfn.tasks.get_jobs(s, again).unwrap()[-1]
    first = cvatfn.jobs.get_meta(s, gt).unwrap().included_frames
    second = cvatfn.jobs.get_meta(s, gt_again).unwrap().included_frames
    assert first == second
    assert first is not None and len(first) == 3 and len(set(first)) == 3
    assert all(0 <= frame <= 9 for frame in first)


def test_manual_validation_frames_by_file_name(session: tuple[FakeServer, cvatfn.Session]) -> None:
    _, s = session
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "manual", "labels": LABELS},
        [f"set/img_{i}.png" for i in range(1, 6)],
        resource_type=ResourceType.SHARE,
        data_params={
            "sorting_method": "predefined",
            "validation_params": {
                "mode": "gt",
                "frame_selection_method": "manual",
                "frames": ["set/img_2.png", "set/img_5.png"],
            },
        },
    ).unwrap()
    gt = cvatfn.tasks.get_jobs(s, task).unwrap()[-1]
    assert (gt.type, gt.frame_count) == ("ground_truth", 2)


def test_honeypot_mode_is_reported_as_unsupported(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    result = cvatfn.tasks.create_from_data(
        s,
        {"name": "pool", "labels": LABELS},
        ["set/img_1.png", "set/img_2.png"],
        resource_type=ResourceType.SHARE,
        data_params={
            "validation_params": {
                "mode": "gt_pool",
                "frame_selection_method": "random_uniform",
                "frame_count": 1,
            }
        },
    )
    error = result.failure()
    assert isinstance(error, BackgroundFailed)
    assert "gt_pool" in error.message


def test_ground_truth_job_created_and_removed_through_jobs(
    session: tuple[FakeServer, cvatfn.Session],
) -> None:
    _, s = session
    task = cvatfn.tasks.create_from_data(
        s,
        {"name": "later", "labels": LABELS},
        [f"set/img_{i}.png" for i in range(1, 5)],
        resource_type=ResourceType.SHARE,
    ).unwrap()
    gt = cvatfn.jobs.create(
        s,
        {
            "type": "ground_truth",
            "task_id": task.id,
            "frame_selection_method": "manual",
            "frames": [0, 3],
        },
    ).unwrap()
    assert (gt.type, gt.frame_count, gt.task_id) == ("ground_truth", 2, task.id)
    second = cvatfn.jobs.create(
        s,
        {
            "type": "ground_truth",
            "task_id": task.id,
            "frame_selection_method": "random_uniform",
            "frame_count": 1,
        },
    )
    error = second.failure()
    assert isinstance(error, BadRequest)
    assert "cannot have more than 1 GT job" in str(error.body)

    annotation_job = cvatfn.tasks.get_jobs(s, task).unwrap()[0]
    refused = cvatfn.jobs.remove(s, annotation_job).failure()
    assert isinstance(refused, BadRequest)
    assert "Only ground truth jobs can be removed" in str(refused.body)

    # Ground truth annotations live in the GT job only, not in the task's view.
    labels = cvatfn.tasks.get_labels(s, task).unwrap()
    box = {"type": "rectangle", "frame": 3, "label_id": labels[0].id, "points": [1, 1, 5, 5]}
    cvatfn.jobs.set_annotations(s, gt, {"shapes": [box]}).unwrap()
    assert len(cvatfn.jobs.get_annotations(s, gt).unwrap().shapes) == 1
    assert cvatfn.tasks.get_annotations(s, task).unwrap().shapes == ()

    assert cvatfn.jobs.remove(s, gt).unwrap() is None
    assert isinstance(cvatfn.jobs.get_annotations(s, gt).failure(), NotFound)
    assert [j.type for j in cvatfn.tasks.get_jobs(s, task).unwrap()] == ["annotation"]
    bad = cvatfn.jobs.create(
        s,
        {
            "type": "ground_truth",
            "task_id": task.id,
            "frame_selection_method": "manual",
            "frames": [0, 9],
        },
    ).failure()
    assert isinstance(bad, BadRequest)
    assert "do not exist in the task: 9" in str(bad.body)
