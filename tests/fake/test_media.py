"""Frames, chunks, previews and ``data/meta`` of the fake server, as CVAT 2.80 serves them.

Every exchange goes through the OpenAPI-validating transport of ``conftest.Api``; Pillow
opens every image the server renders.
"""

from __future__ import annotations

import doctest
import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from PIL import Image

from cvatfn_fake import FakeServer, _imaging, _media
from tests.contract.peer import ADMIN, Cvat, coverage_report, cvat  # noqa: F401

from .conftest import Api, Reply, image_bytes, make_task, upload_images

RED, GREEN, BLUE, GREY = (200, 10, 10), (20, 180, 40), (10, 20, 230), (128, 128, 128)
SERVER_ERROR = b"<title>Server Error (500)</title>"


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(blob: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(blob))
    image.load()
    return image


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual[:3], expected, strict=True))


def members(reply: Reply) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(reply.response.body)) as archive:
        assert archive.testzip() is None
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


FILES = [
    ("a.png", image_bytes((40, 30), "PNG", RED)),
    ("b.jpg", image_bytes((64, 48), "JPEG", GREEN)),
    ("c.bmp", image_bytes((33, 17), "BMP", BLUE)),
    ("d.png", image_bytes((600, 300), "PNG", GREEN)),
    ("e.PNG", image_bytes((7, 9), "PNG", RED)),
]
SIZES = [(40, 30), (64, 48), (33, 17), (600, 300), (7, 9)]
COLOURS = [RED, GREEN, BLUE, GREEN, RED]


@pytest.fixture
def task(admin: Api) -> dict[str, Any]:
    """Five frames in two jobs (frames 0-2 and 3-4), two frames per chunk."""
    created = make_task(admin, "media", labels=["car"], segment_size=3)
    reply = upload_images(admin, created["id"], FILES, chunk_size=2)
    assert reply.status == 202
    fetched = admin.get(f"/api/tasks/{created['id']}").data
    assert fetched["size"] == 5 and fetched["data_chunk_size"] == 2
    return fetched  # type: ignore[no-any-return]


def jobs_of(api: Api, task_id: int) -> list[dict[str, Any]]:
    return api.get(f"/api/jobs?task_id={task_id}&sort=id").data["results"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------- frames
def test_original_frames_are_the_uploaded_bytes(admin: Api, task: dict[str, Any]) -> None:
    types = ["image/png", "image/jpeg", "image/bmp", "image/png", "image/png"]
    for number, ((_, blob), media) in enumerate(zip(FILES, types, strict=True)):
        reply = admin.get(
            f"/api/tasks/{task['id']}/data?type=frame&number={number}&quality=original"
        )
        assert reply.status == 200 and reply.header("Content-Type") == media
        assert reply.response.body == blob
        assert opened(reply.response.body).size == SIZES[number]


def test_compressed_frames_are_jpegs_of_the_same_size(admin: Api, task: dict[str, Any]) -> None:
    for number in range(5):
        path = f"/api/tasks/{task['id']}/data?type=frame&number={number}"
        reply = admin.get(path)  # quality defaults to "compressed", as in CVAT
        assert reply.status == 200 and reply.header("Content-Type") == "image/jpeg"
        assert admin.get(path + "&quality=compressed").response.body == reply.response.body
        image = opened(reply.response.body)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", SIZES[number])
        width, height = image.size
        for point in ((0, 0), (width // 2, height // 2), (width - 1, height - 1)):
            assert close(image.getpixel(point), COLOURS[number])  # type: ignore[arg-type]
    jpeg_source = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=1")
    assert jpeg_source.response.body == FILES[1][1]  # a JPEG source is served as it is


def test_compressed_frames_keep_the_picture(admin: Api) -> None:
    picture = Image.new("RGB", (64, 32), RED)
    picture.paste(BLUE, (32, 0, 64, 16))
    picture.paste(GREEN, (0, 16, 32, 32))
    sources = [
        ("p.png", encode(picture, "PNG")),
        ("q.png", encode(picture.convert("P", palette=Image.Palette.ADAPTIVE), "PNG")),
        ("r.png", encode(picture.convert("RGBA"), "PNG")),
        ("s.bmp", encode(picture, "BMP")),
        ("t.gif", encode(picture, "GIF")),
    ]
    created = make_task(admin, "picture", labels=["car"])
    assert upload_images(admin, created["id"], sources).status == 202
    for number in range(4):
        path = f"/api/tasks/{created['id']}/data?type=frame&number={number}&quality=compressed"
        image = opened(admin.get(path).response.body)
        assert close(image.getpixel((4, 4)), RED)  # type: ignore[arg-type]
        assert close(image.getpixel((60, 4)), BLUE)  # type: ignore[arg-type]
        assert close(image.getpixel((4, 28)), GREEN)  # type: ignore[arg-type]
        assert close(image.getpixel((60, 28)), RED)  # type: ignore[arg-type]
    path = f"/api/tasks/{created['id']}/data?type=frame&number=4&quality=compressed"
    gif = opened(admin.get(path).response.body)  # a format the fake cannot decode: grey
    assert gif.size == (64, 32) and close(gif.getpixel((10, 10)), GREY, 2)  # type: ignore[arg-type]


def test_frame_request_errors(server: FakeServer, admin: Api, task: dict[str, Any]) -> None:
    data = f"/api/tasks/{task['id']}/data"
    cases = [
        ("", ["Data type not specified or has wrong value"]),
        ("?type=video&number=0", ["Data type not specified or has wrong value"]),
        ("?type=frame", ["Number is not specified"]),
        ("?type=chunk", ["Number is not specified"]),
        ("?type=frame&number=0&quality=best", ["Wrong quality value"]),
        ("?type=frame&number=0&quality=", ["Wrong quality value"]),
        (
            "?type=frame&number=5",
            "Invalid frame '5'. The frame number should be in the [0, 5] range",
        ),
        (
            "?type=frame&number=-1",
            "Invalid frame '-1'. The frame number should be in the [0, 5] range",
        ),
        (
            "?type=context_image",
            "Invalid frame 'None'. The frame number should be in the [0, 5] range",
        ),
    ]
    for query, body in cases:
        reply = admin.get(data + query)
        assert (reply.status, reply.data) == (400, body), query
    context = admin.get(data + "?type=context_image&number=1")
    assert (context.status, context.response.body) == (404, b"")
    crash = admin.get(data + "?type=frame&number=one")  # int("one") fails inside CVAT
    assert crash.status == 500 and SERVER_ERROR in crash.response.body
    assert admin.get("/api/tasks/999/data?type=frame&number=0").status == 404
    empty = make_task(admin, "no data", labels=["car"])
    assert admin.get(f"/api/tasks/{empty['id']}/data?type=frame&number=0").status == 500
    assert admin.get(f"/api/tasks/{empty['id']}/data?type=chunk&number=0").status == 500


def test_an_original_frame_is_served_without_a_copy(server: FakeServer, admin: Api) -> None:
    width, height = 2000, 1500
    stride = (width * 3 + 3) // 4 * 4
    header = struct.pack("<2sIHHIIiiHHIIiiII", b"BM", 54 + stride * height, 0, 0, 54, 40,
                         width, height, 1, 24, 0, stride * height, 2835, 2835, 0, 0)  # fmt: skip
    big = header + b"\x40\x80\xc0" * (stride * height // 3)
    created = make_task(admin, "big", labels=["car"])
    assert upload_images(admin, created["id"], [("big.bmp", big)]).status == 202
    stored = server.state.tasks[created["id"]].data
    assert stored is not None
    path = f"/api/tasks/{created['id']}/data?type=frame&number=0"
    original = admin.get(path + "&quality=original")
    assert original.response.body is stored.frames[0].blob
    compressed = admin.get(path)
    image = opened(compressed.response.body)
    assert image.size == (width, height) and close(image.getpixel((5, 5)), (0xC0, 0x80, 0x40))  # type: ignore[arg-type]
    assert admin.get(path).response.body is compressed.response.body  # built once, cached


# ------------------------------------------------------------------------------- chunks
def test_task_chunks_in_both_qualities(admin: Api, task: dict[str, Any]) -> None:
    meta = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    expected = [[0, 1], [2, 3], [4]]
    for number, frames in enumerate(expected):
        path = f"/api/tasks/{task['id']}/data?type=chunk&number={number}"
        original = admin.get(path + "&quality=original")
        assert original.status == 200 and original.header("Content-Type") == "application/zip"
        body = original.response.body
        size_checksum = zlib.crc32(str(len(body)).encode())
        assert original.header("X-Checksum") == str(zlib.crc32(body[:1000], size_checksum))
        assert original.header("X-Updated-Date") == meta["chunks_updated_date"]
        names = [f"{i:06d}.{FILES[f][0].rsplit('.', 1)[1]}" for i, f in enumerate(frames)]
        assert members(original) == [(n, FILES[f][1]) for n, f in zip(names, frames, strict=True)]
        compressed = admin.get(path)  # compressed by default
        assert compressed.status == 200 and compressed.header("Content-Type") == "application/zip"
        parts = members(compressed)
        assert [name for name, _ in parts] == [f"{i:06d}.jpeg" for i in range(len(frames))]
        for (_, blob), frame in zip(parts, frames, strict=True):
            image = opened(blob)
            assert (image.format, image.size) == ("JPEG", SIZES[frame])
            frame_path = f"/api/tasks/{task['id']}/data?type=frame&number={frame}"
            assert blob == admin.get(frame_path).response.body
    last = admin.get(f"/api/tasks/{task['id']}/data?type=chunk&number=3")
    assert (last.status, last.data) == (
        400,
        "Invalid chunk number '3'. The chunk number should be in the [0, 2] range",
    )
    negative = admin.get(f"/api/tasks/{task['id']}/data?type=chunk&number=-1&quality=original")
    assert negative.status == 400


def test_chunk_count_follows_chunk_size(admin: Api) -> None:
    files = [(f"f{i:02d}.png", image_bytes((8, 8))) for i in range(7)]
    for chunk_size, count in ((1, 7), (3, 3), (7, 1), (50, 1)):
        created = make_task(admin, f"chunks {chunk_size}", labels=["car"])
        upload_images(admin, created["id"], files, chunk_size=chunk_size)
        path = f"/api/tasks/{created['id']}/data?type=chunk&quality=original&number="
        sizes = [len(members(admin.get(path + str(n)))) for n in range(count)]
        assert sum(sizes) == 7 and sizes[:-1] == [chunk_size] * (count - 1)
        assert admin.get(path + str(count)).status == 400


# --------------------------------------------------------------------------------- jobs
def test_job_frames_use_task_numbers(admin: Api, task: dict[str, Any]) -> None:
    first, second = jobs_of(admin, task["id"])
    assert (second["start_frame"], second["stop_frame"]) == (3, 4)
    for number in (3, 4):
        for quality in ("original", "compressed"):
            job = admin.get(
                f"/api/jobs/{second['id']}/data?type=frame&number={number}&quality={quality}"
            )
            whole = admin.get(
                f"/api/tasks/{task['id']}/data?type=frame&number={number}&quality={quality}"
            )
            assert job.status == 200 and job.response.body == whole.response.body
            assert job.header("Content-Type") == whole.header("Content-Type")
    outside = admin.get(f"/api/jobs/{second['id']}/data?type=frame&number=2")
    assert (outside.status, outside.data) == (400, "Incorrect requested frame number: 2")
    assert admin.get(f"/api/jobs/{first['id']}/data?type=frame&number=2").status == 200
    bad = admin.get(f"/api/jobs/{first['id']}/data?type=frame&number=0&quality=raw")
    assert (bad.status, bad.data) == (400, ["Wrong quality value"])
    assert admin.get(f"/api/jobs/{first['id']}/data?type=frame").data == ["Number is not specified"]
    assert admin.get(f"/api/jobs/{first['id']}/data?type=image").status == 400


def test_job_chunks_by_index_and_by_task_number(admin: Api, task: dict[str, Any]) -> None:
    first, second = jobs_of(admin, task["id"])

    def frames_of(reply: Reply) -> list[bytes]:
        assert reply.status == 200 and reply.header("Content-Type") == "application/zip"
        return [blob for _, blob in members(reply)]

    original = [blob for _, blob in FILES]
    base = f"/api/jobs/{first['id']}/data?type=chunk&quality=original"
    assert frames_of(admin.get(base + "&index=0")) == original[0:2]
    assert frames_of(admin.get(base + "&index=1")) == original[2:3]
    over = admin.get(base + "&index=2")
    assert (over.status, over.data) == (
        400,
        "Invalid chunk number '2'. The chunk number should be in the [0, 1] range",
    )
    base = f"/api/jobs/{second['id']}/data?type=chunk&quality=original"
    assert frames_of(admin.get(base + "&index=0")) == original[3:5]
    # The deprecated "number": task chunk 1 (frames 2, 3) cut down to this job's frame 3.
    assert frames_of(admin.get(base + "&number=1")) == original[3:4]
    assert frames_of(admin.get(base + "&number=2")) == original[4:5]
    outside = admin.get(base + "&number=0")
    assert (outside.status, outside.data) == (
        400,
        "Invalid chunk number '0'. The chunk number should be in the [1, 2] range",
    )
    compressed = members(admin.get(f"/api/jobs/{second['id']}/data?type=chunk&index=0"))
    assert [name for name, _ in compressed] == ["000000.jpeg", "000001.jpeg"]
    assert [opened(blob).size for _, blob in compressed] == SIZES[3:5]
    both = admin.get(base + "&index=0&number=1")
    assert (both.status, both.data) == (400, ["Number and Index cannot be used together"])
    neither = admin.get(f"/api/jobs/{second['id']}/data?type=chunk")
    assert (neither.status, neither.data) == (400, ["Number or Index is not specified"])
    assert admin.get(base + "&index=x").status == 500


def test_ground_truth_job_media(admin: Api, task: dict[str, Any]) -> None:
    created = admin.post(
        "/api/jobs",
        {"type": "ground_truth", "task_id": task["id"], "frame_selection_method": "manual",
         "frames": [1, 3]},
    )  # fmt: skip
    assert created.status == 201
    job = created.data["id"]
    meta = admin.get(f"/api/jobs/{job}/data/meta").data
    assert (meta["size"], meta["included_frames"]) == (2, [1, 3])
    assert [f["name"] for f in meta["frames"]] == [
        "placeholder.jpg", "b.jpg", "placeholder.jpg", "d.png", "placeholder.jpg",
    ]  # fmt: skip
    assert admin.get(f"/api/jobs/{job}/data?type=frame&number=2").status == 400
    assert admin.get(f"/api/jobs/{job}/data?type=frame&number=3&quality=original").status == 200
    by_index = members(admin.get(f"/api/jobs/{job}/data?type=chunk&index=0&quality=original"))
    assert [name for name, _ in by_index] == ["000000.jpeg", "000001.jpeg"]
    assert [opened(blob).size for _, blob in by_index] == [SIZES[1], SIZES[3]]
    # A task chunk through a specific-frames job: placeholders for the frames it skips.
    masked = members(admin.get(f"/api/jobs/{job}/data?type=chunk&number=0"))
    assert [opened(blob).size for _, blob in masked] == [(1, 1), SIZES[1]]
    preview = opened(admin.get(f"/api/jobs/{job}/preview").response.body)
    assert preview.size == SIZES[1]
    assert admin.patch(f"/api/jobs/{job}/data/meta", {"deleted_frames": [3]}).status == 200
    assert admin.get(f"/api/jobs/{job}/data/meta").data["deleted_frames"] == [3]
    assert admin.get(f"/api/tasks/{task['id']}/data/meta").data["deleted_frames"] == []


# ----------------------------------------------------------------------------- previews
def thumbnail(size: tuple[int, int]) -> tuple[int, int]:
    image = Image.new("RGB", size)
    image.thumbnail((256, 256))
    return image.size


def test_previews(admin: Api, task: dict[str, Any]) -> None:
    reply = admin.get(f"/api/tasks/{task['id']}/preview")
    assert reply.status == 200 and reply.header("Content-Type") == "image/jpeg"
    image = opened(reply.response.body)
    assert image.format == "JPEG" and image.size == thumbnail(SIZES[0]) == (40, 30)
    assert close(image.getpixel((20, 15)), RED)  # type: ignore[arg-type]
    first, second = jobs_of(admin, task["id"])
    assert admin.get(f"/api/jobs/{first['id']}/preview").response.body == reply.response.body
    job_preview = opened(admin.get(f"/api/jobs/{second['id']}/preview").response.body)
    assert job_preview.size == thumbnail(SIZES[3]) == (256, 128)
    assert close(job_preview.getpixel((128, 64)), GREEN)  # type: ignore[arg-type]
    by_type = admin.get(f"/api/tasks/{task['id']}/data?type=preview")
    assert by_type.response.body == reply.response.body


@pytest.mark.parametrize(
    "size", [(1000, 400), (400, 1000), (300, 299), (256, 256), (257, 3), (3, 2000), (255, 1)]
)
def test_thumbnail_sizes_match_pillow(size: tuple[int, int]) -> None:
    assert _imaging.thumbnail_size(*size) == thumbnail(size)


def test_project_preview_is_its_newest_task(admin: Api) -> None:
    project = admin.post("/api/projects", {"name": "p", "labels": [{"name": "car"}]}).data
    missing = admin.get(f"/api/projects/{project['id']}/preview")
    assert (missing.status, missing.response.body) == (404, b"Project image preview not found")
    older = make_task(admin, "older", project_id=project["id"])
    upload_images(admin, older["id"], [("x.png", image_bytes((300, 100), color=RED))])
    newer = make_task(admin, "newer", project_id=project["id"])
    upload_images(admin, newer["id"], [("y.png", image_bytes((50, 500), color=BLUE))])
    reply = admin.get(f"/api/projects/{project['id']}/preview")
    assert reply.status == 200 and reply.header("Content-Type") == "image/jpeg"
    image = opened(reply.response.body)
    assert image.size == thumbnail((50, 500)) and close(image.getpixel((12, 128)), BLUE)  # type: ignore[arg-type]
    make_task(admin, "newest, without data", project_id=project["id"])
    assert admin.get(f"/api/projects/{project['id']}/preview").status == 500  # as in CVAT
    no_data = make_task(admin, "nothing", labels=["car"])
    empty = admin.get(f"/api/tasks/{no_data['id']}/preview")
    assert (empty.status, empty.response.body) == (404, b"Task image preview not found")
    assert admin.get("/api/projects/999/preview").status == 404


# --------------------------------------------------------------------------------- meta
def test_deleted_frames_are_replaced_and_still_served(admin: Api, task: dict[str, Any]) -> None:
    meta_path = f"/api/tasks/{task['id']}/data/meta"
    reply = admin.patch(meta_path, {"deleted_frames": [3, 1]})
    assert reply.status == 200 and reply.data["deleted_frames"] == [3, 1]
    assert reply.data["size"] == 5  # deleted frames do not change the size
    frame = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=1&quality=original")
    assert frame.status == 200 and frame.response.body == FILES[1][1]
    assert len(members(admin.get(f"/api/tasks/{task['id']}/data?type=chunk&number=0"))) == 2
    first, second = jobs_of(admin, task["id"])
    assert admin.get(f"/api/jobs/{first['id']}/data/meta").data["deleted_frames"] == [1]
    assert admin.get(f"/api/jobs/{second['id']}/data/meta").data["deleted_frames"] == [3]
    restored = admin.patch(meta_path, {"deleted_frames": [3]})
    assert restored.data["deleted_frames"] == [3]
    assert admin.patch(meta_path, {}).data["deleted_frames"] == [3]
    job_reply = admin.patch(f"/api/jobs/{first['id']}/data/meta", {"deleted_frames": [2, 0]})
    assert job_reply.status == 200 and job_reply.data["deleted_frames"] == [0, 2]
    assert admin.get(meta_path).data["deleted_frames"] == [2, 0, 3]
    cleared = admin.patch(f"/api/jobs/{second['id']}/data/meta", {"deleted_frames": []})
    assert cleared.data["deleted_frames"] == [] and admin.get(meta_path).data["deleted_frames"] == [
        2,
        0,
    ]


def test_meta_errors(admin: Api, task: dict[str, Any]) -> None:
    meta_path = f"/api/tasks/{task['id']}/data/meta"
    unknown = ["Unknown frames 5, 7 requested for removal"]
    not_a_list = ['Expected a list of items but got type "int".']
    items = {
        "1": ["Ensure this value is greater than or equal to 0."],
        "2": ["A valid integer is required."],
    }
    cases: list[tuple[Any, Any]] = [
        ({"deleted_frames": [7, 5, 1]}, {"deleted_frames": unknown}),
        ({"deleted_frames": [1, 1]}, {"deleted_frames": ["Deleted frames cannot repeat"]}),
        ({"deleted_frames": [1, -2, "x"]}, {"deleted_frames": items}),
        ({"deleted_frames": 3}, {"deleted_frames": not_a_list}),
        (
            {"deleted_frames": [9], "cloud_storage_id": 4},
            {
                "deleted_frames": ["Unknown frames 9 requested for removal"],
                "cloud_storage_id": ["The specified cloud storage 4 does not exist."],
            },
        ),
        ({"cloud_storage_id": "x"}, {"cloud_storage_id": ["A valid integer is required."]}),
    ]
    for body, errors in cases:
        reply = admin.patch(meta_path, body)
        assert (reply.status, reply.data) == (400, errors)
    assert admin.get(meta_path).data["deleted_frames"] == []
    first, _ = jobs_of(admin, task["id"])
    job_meta = f"/api/jobs/{first['id']}/data/meta"
    outside = admin.patch(job_meta, {"deleted_frames": [4, 3]})
    assert (outside.status, outside.data) == (400, ["Frames 3, 4 do not belong to the job"])
    required = admin.patch(job_meta, {})
    assert (required.status, required.data) == (
        400,
        {"deleted_frames": ["This field is required."]},
    )
    empty = make_task(admin, "no data", labels=["car"])
    assert admin.get(f"/api/tasks/{empty['id']}/data/meta").status == 500


def test_job_meta_is_the_task_meta_of_its_frames(admin: Api, task: dict[str, Any]) -> None:
    whole = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    assert [(f["name"], f["width"], f["height"]) for f in whole["frames"]] == [
        (name, *size) for (name, _), size in zip(FILES, SIZES, strict=True)
    ]
    for job, (start, stop) in zip(jobs_of(admin, task["id"]), ((0, 2), (3, 4)), strict=True):
        meta = admin.get(f"/api/jobs/{job['id']}/data/meta").data
        assert meta["frames"] == whole["frames"][start : stop + 1]
        assert (meta["start_frame"], meta["stop_frame"], meta["size"]) == (
            start,
            stop,
            stop - start + 1,
        )
        assert meta["chunk_size"] == 2 and meta["included_frames"] is None
        assert meta["chunks_updated_date"] == whole["chunks_updated_date"]
        assert meta["image_quality"] == whole["image_quality"] == 70


def test_stepped_task_meta_numbers(admin: Api) -> None:
    files = [(f"f{i}.png", image_bytes((4 + i, 4))) for i in range(9)]
    created = make_task(admin, "stepped", labels=["car"], segment_size=2)
    upload_images(admin, created["id"], files, frame_filter="step=2", start_frame=1)
    whole = admin.get(f"/api/tasks/{created['id']}/data/meta").data
    assert (whole["start_frame"], whole["stop_frame"], whole["size"]) == (1, 7, 4)
    jobs = jobs_of(admin, created["id"])
    second = admin.get(f"/api/jobs/{jobs[1]['id']}/data/meta").data
    assert (second["start_frame"], second["stop_frame"], second["size"]) == (5, 7, 2)
    frame = admin.get(f"/api/jobs/{jobs[1]['id']}/data?type=frame&number=3&quality=original")
    assert frame.response.body == files[7][1]


# -------------------------------------------------------------------------- permissions
def test_other_users_are_refused(server: FakeServer, admin: Api, task: dict[str, Any]) -> None:
    worker_id = server.add_user("worker", "pw")
    server.add_user("stranger", "pw")
    stranger, worker = admin.as_user("stranger", "pw"), admin.as_user("worker", "pw")
    first, _ = jobs_of(admin, task["id"])
    paths = [
        f"/api/tasks/{task['id']}/data?type=frame&number=0",
        f"/api/tasks/{task['id']}/data?type=chunk&number=0",
        f"/api/tasks/{task['id']}/data/meta",
        f"/api/tasks/{task['id']}/preview",
        f"/api/jobs/{first['id']}/data?type=frame&number=0",
        f"/api/jobs/{first['id']}/data?type=chunk&index=0",
        f"/api/jobs/{first['id']}/data/meta",
        f"/api/jobs/{first['id']}/preview",
    ]
    for path in paths:
        reply = stranger.get(path)
        assert (reply.status, reply.data) == (
            403,
            {"detail": "You do not have permission to perform this action."},
        ), path
        assert admin.as_user("nobody", "pw").get(path).status == 401
    assert (
        stranger.patch(f"/api/tasks/{task['id']}/data/meta", {"deleted_frames": [0]}).status == 403
    )
    admin.patch(f"/api/jobs/{first['id']}", {"assignee": worker_id})
    for path in paths[4:]:
        assert worker.get(path).status == 200, path
    for path in paths[:4]:
        assert worker.get(path).status == 403, path


def test_media_in_an_organization(server: FakeServer, admin: Api) -> None:
    server.add_user("boss", "pw")
    server.add_user("member", "pw")
    server.add_organization("lab", owner="boss")
    server.add_membership("lab", "member", "worker")
    boss, member = admin.as_user("boss", "pw"), admin.as_user("member", "pw")
    lab = (("X-Organization", "lab"),)
    created = boss.post("/api/tasks", {"name": "t", "labels": [{"name": "car"}]}, headers=lab).data
    upload_images(boss, created["id"], FILES[:1])
    path = f"/api/tasks/{created['id']}/data?type=frame&number=0"
    assert boss.get(path).status == 200
    assert member.get(path).status == 403


# ------------------------------------------------------------------------------ imaging
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "P4", "1", "I;16"])
def test_png_samples_are_exact(mode: str) -> None:
    picture = Image.effect_noise((37, 23), 80).convert("RGB")
    picture.paste(RED, (0, 0, 10, 10))
    source = picture.quantize(4) if mode == "P4" else picture.convert(mode)  # P4: 2-bit indices
    xs, ys = [0, 5, 17, 36], [0, 9, 22]
    rows = _imaging.sample(encode(source, "PNG"), xs, ys)
    assert rows is not None
    reference = source.convert("RGB") if mode != "I;16" else None
    for y, row in zip(ys, rows, strict=True):
        for i, x in enumerate(xs):
            got = tuple(row[3 * i : 3 * i + 3])
            if reference is not None:
                assert got == reference.getpixel((x, y)), (mode, x, y)
            else:  # 16-bit grey: the high byte
                value = source.getpixel((x, y))
                assert isinstance(value, int) and got == (value >> 8,) * 3


@pytest.mark.parametrize("mode", ["RGB", "P", "1", "RGBA"])
def test_bmp_samples_are_exact(mode: str) -> None:
    source = Image.effect_noise((19, 11), 80).convert("RGB").convert(mode)
    xs, ys = [0, 7, 18], [0, 5, 10]
    rows = _imaging.sample(encode(source, "BMP"), xs, ys)
    assert rows is not None
    reference = source.convert("RGB")
    for y, row in zip(ys, rows, strict=True):
        for i, x in enumerate(xs):
            assert tuple(row[3 * i : 3 * i + 3]) == reference.getpixel((x, y))


@pytest.mark.parametrize(
    "options", [{}, {"subsampling": 0}, {"restart_marker_blocks": 1}, {"quality": 30}]
)
def test_jpeg_samples_are_block_averages(options: dict[str, Any]) -> None:
    picture = Image.new("RGB", (48, 32), RED)
    picture.paste(BLUE, (16, 0, 48, 16))
    picture.paste((240, 240, 240), (0, 16, 16, 32))
    rows = _imaging.sample(encode(picture, "JPEG", **options), [4, 20, 44], [4, 20])
    assert rows is not None
    expected = [[RED, BLUE, BLUE], [(240, 240, 240), RED, RED]]
    for row, colours in zip(rows, expected, strict=True):
        for i, colour in enumerate(colours):
            assert close(tuple(row[3 * i : 3 * i + 3]), colour, 16), (options, i, colour)
    grey = _imaging.sample(encode(picture.convert("L"), "JPEG"), [4], [4])
    assert grey is not None and close(tuple(grey[0]), (picture.convert("L").getpixel((4, 4)),) * 3)  # type: ignore[arg-type]


def test_unreadable_sources_give_none() -> None:
    picture = Image.new("RGB", (16, 16), RED)
    for blob in (
        encode(picture, "JPEG", progressive=True),
        encode(picture, "GIF"),
        encode(picture, "PNG")[:60],
        b"BM" + b"\0" * 60,
        b"not an image",
    ):
        assert _imaging.sample(blob, [0], [15]) is None


@pytest.mark.parametrize("size", [(1, 1), (7, 9), (8, 8), (17, 3), (1000, 1), (1, 700)])
def test_rendered_jpegs_open_at_their_size(size: tuple[int, int]) -> None:
    blob = _imaging.render_jpeg(*size, 90, lambda xs, ys: [bytes(GREEN) * len(xs)] * len(ys))
    image = opened(blob)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", size)
    assert close(image.getpixel((size[0] - 1, size[1] - 1)), GREEN)  # type: ignore[arg-type]
    grey = opened(_imaging.render_jpeg(*size, 70, lambda xs, ys: None))
    assert grey.size == size and close(grey.getpixel((0, 0)), GREY, 2)  # type: ignore[arg-type]


def test_wide_renderings_share_sampled_colours() -> None:
    def halves(xs: list[int], ys: list[int]) -> list[bytes]:
        assert len(xs) == 256 and len(ys) == 2  # at most 256 points per axis
        return [b"".join(bytes(RED if x < 2050 else BLUE) for x in xs)] * len(ys)

    image = opened(_imaging.render_jpeg(4100, 16, 90, halves))
    assert image.size == (4100, 16)
    assert close(image.getpixel((10, 8)), RED) and close(image.getpixel((4090, 8)), BLUE)  # type: ignore[arg-type]


def test_decoding_stops_at_the_work_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    smooth = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
    png, jpeg = encode(smooth, "PNG"), encode(smooth, "JPEG")
    assert _imaging.sample(png, [0], [63]) is not None
    assert _imaging.sample(jpeg, [0], [63]) is not None
    monkeypatch.setattr(_imaging, "_PNG_SLOW_LIMIT", 0)
    monkeypatch.setattr(_imaging, "_JPEG_SCAN_LIMIT", 10)
    assert _imaging.sample(png, [0], [63]) is None  # its rows use the Paeth/Average filters
    assert _imaging.sample(jpeg, [0], [63]) is None


def test_zip_chunks_open_with_zipfile() -> None:
    parts = [
        (f"{i:06d}.png", bytes([i]) * (i + 1), zlib.crc32(bytes([i]) * (i + 1))) for i in range(3)
    ]
    with zipfile.ZipFile(io.BytesIO(_media.build_zip(parts, 1767225600.0))) as archive:
        assert archive.testzip() is None
        assert [(i.filename, i.compress_type, i.date_time) for i in archive.infolist()] == [
            (name, zipfile.ZIP_STORED, (2026, 1, 1, 0, 0, 0)) for name, _, _ in parts
        ]
        assert [archive.read(name) for name, _, _ in parts] == [blob for _, blob, _ in parts]


@pytest.mark.parametrize("module", [_imaging, _media])
def test_docstring_examples(module: Any) -> None:
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


# ---------------------------------------------------------------------- official client
@pytest.mark.official_sdk
@pytest.mark.http
def test_official_sdk_reads_media(cvat: Cvat, tmp_path: Any) -> None:  # noqa: F811
    paths = []
    for name, blob in FILES[:4]:
        path = tmp_path / name
        path.write_bytes(blob)
        paths.append(path)
    client = cvat.client(ADMIN)
    sdk_task = client.tasks.create_from_data(
        {"name": "sdk media", "labels": [{"name": "car"}], "segment_size": 2},
        paths,
        data_params={"chunk_size": 3},
    )
    assert opened(sdk_task.get_frame(0, quality="original").read()).size == SIZES[0]
    assert sdk_task.get_frame(1, quality="original").read() == FILES[1][1]
    assert opened(sdk_task.get_preview().read()).size == SIZES[0]
    chunk = io.BytesIO()
    sdk_task.download_chunk(1, chunk, quality="original")
    with zipfile.ZipFile(chunk) as archive:
        assert archive.namelist() == ["000000.png"]
    sdk_task.download_frames([2, 3], outdir=tmp_path / "frames", quality="compressed")
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [
        "frame_000002.jpg",
        "frame_000003.jpg",
    ]
    sdk_task.remove_frames_by_ids([1])
    assert sdk_task.get_meta().deleted_frames == [1]
    jobs = sorted(sdk_task.get_jobs(), key=lambda job: job.start_frame)
    # Job.get_frame would leave the generated client's temporary file open (the contract
    # declares this body as a file): ask the same endpoint without parsing the response.
    _, raw = client.api_client.jobs_api.retrieve_data(
        jobs[1].id, type="frame", number=3, quality="compressed", _parse_response=False
    )
    assert opened(raw.data).size == SIZES[3]
    assert opened(jobs[1].get_preview().read()).size == thumbnail(SIZES[2])
    jobs[1].remove_frames_by_ids([2])
    assert jobs[1].get_meta().deleted_frames == [2]
    assert sdk_task.get_meta().deleted_frames == [2, 1]
    assert [f.name for f in jobs[0].get_frames_info()] == ["a.png", "b.jpg"]
