"""Measure the client's memory while it uploads and downloads about 300 MB.

Run as ``python -m tests.integration.large_transfer_probe URL WORKDIR``: it writes a
10,000 x 10,000 24-bit BMP (300,000,054 bytes, incompressible content) into WORKDIR, creates a
task from it on the CVAT server at URL (over TUS, since it is far above the request size
limit), exports the task's dataset with images, and prints one JSON line with the process's
resident memory before and at the peak of each transfer (``VmRSS`` / ``VmHWM`` from
``/proc/self/status``; the peak is reset between the two through ``/proc/self/clear_refs``)
and what it checked. It runs in its own process so that the peak belongs to these transfers only.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
import sys
import zipfile
from pathlib import Path

import cvatfn

SIDE = 10_000
BLOCK = 1 << 20


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def write_bmp(path: Path) -> str:
    """A SIDE x SIDE 24-bit BMP of pseudo-random pixels; returns its SHA-256."""
    pixels = SIDE * SIDE * 3  # rows of 30,000 bytes need no padding
    header = b"BM" + struct.pack("<IHHI", 54 + pixels, 0, 0, 54)
    header += struct.pack("<IiiHHIIiiII", 40, SIDE, SIDE, 1, 24, 0, pixels, 2835, 2835, 0, 0)
    block = random.Random(0).randbytes(BLOCK)
    digest = hashlib.sha256(header)
    with path.open("wb") as handle:
        handle.write(header)
        left = pixels
        while left:
            piece = block[: min(BLOCK, left)]
            handle.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def member_digest(archive_path: Path, suffix: str) -> tuple[str, int]:
    with zipfile.ZipFile(archive_path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while piece := member.read(BLOCK):
                digest.update(piece)
        return digest.hexdigest(), archive.getinfo(name).file_size


def main(url: str, workdir: Path) -> dict[str, object]:
    source = workdir / "huge.bmp"
    source_digest = write_bmp(source)
    baseline = _status_kib("VmRSS")
    session = cvatfn.connect(url, credentials=("admin", "admin")).unwrap()
    task = cvatfn.tasks.create_from_data(
        session, {"name": "huge", "labels": [{"name": "thing"}]}, [source]
    ).unwrap()
    upload_peak = _status_kib("VmHWM")
    # Start a new peak for the download (Linux: writing 5 to clear_refs resets VmHWM).
    try:
        Path("/proc/self/clear_refs").write_text("5")
        download_baseline = _status_kib("VmRSS")
    except OSError:  # not allowed here: the download's peak then includes the upload's
        download_baseline = baseline
    target = workdir / "export.zip"
    cvatfn.tasks.export_dataset(
        session, task, "CVAT for images 1.1", target, include_images=True
    ).unwrap()
    download_peak = _status_kib("VmHWM")
    exported_digest, exported_size = member_digest(target, "huge.bmp")
    return {
        "source_bytes": source.stat().st_size,
        "task_size": task.size,
        "export_bytes": target.stat().st_size,
        "exported_image_bytes": exported_size,
        "image_equal": exported_digest == source_digest,
        "baseline_kib": baseline,
        "upload_peak_growth_kib": upload_peak - baseline,
        "download_baseline_kib": download_baseline,
        "download_peak_growth_kib": download_peak - download_baseline,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
