"""Upload: ``create_from_data`` of many 1 MB images, and of one 500 MB file, over HTTP.

Theory of operation
-------------------
The fake CVAT server runs in its own process (``python -m cvatfn_fake --log-limit 0``), served
over HTTP on loopback. Two workloads are written once into a temporary folder, deleted at the
end: 200 uncompressed 24-bit BMPs of 577 x 577 random pixels (999,418 bytes each, real images
the server reads the size of), and one BMP of 10,000 x 16,667 random pixels (500,010,054
bytes), which both clients send over TUS. ``--quick`` uses 20 images of 100 KB and a 20 MB
file.

Each measured run is a fresh process (:mod:`tests.benchmarks._upload_probe`) that logs in and
creates one task from a workload, with cvatfn (``cvatfn.tasks.create_from_data``) or with the
official cvat-sdk 2.80.0 (``client.tasks.create_from_data``), then deletes the task; runs of
the two clients alternate (five of each, two with ``--quick``), and the best run of each is
reported, with the median run's throughput too. A probe reports:

- the upload throughput: the files' bytes over the upload phase, from ``Upload-Start`` leaving
  the client to ``Upload-Finish`` leaving it (every byte on the wire, none of the server's
  processing, which starts on ``Upload-Finish``);
- the end-to-end time of the call (task creation, upload, processing, polls every 0.05 s for
  both clients, reading the task back);
- the peak resident memory during the call above the resident memory before it (``VmHWM``,
  reset through ``/proc/self/clear_refs``); the best run is the lowest peak.

The issue's targets: throughput at least the official SDK's, and memory bounded (no 100 MB
batch in memory: a peak under 100 MiB above the baseline, whatever the files' total size).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from tests.benchmarks._harness import Row
from tests.bmp import bmp_header
from tests.integration.fake_process import fake_http_server

CLIENTS = ("cvatfn", "official")
BLOCK = 1 << 20
MEMORY_BOUND = 100 * 2**20


def write_bmp(path: Path, width: int, height: int, rng: random.Random) -> None:
    """Random pixels, written a block at a time (a 500 MB file never sits in memory)."""
    header, left = bmp_header(width, height)
    with path.open("wb") as handle:
        handle.write(header)
        while left:
            piece = rng.randbytes(min(BLOCK, left))
            handle.write(piece)
            left -= len(piece)


@contextmanager
def workloads(quick: bool) -> Generator[dict[str, tuple[Path, str]]]:
    """The two folders of files, with a description of each; deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="cvatfn-bench-upload-"))
    try:
        rng = random.Random(5)
        images = root / "images"
        images.mkdir()
        count, side = (20, 182) if quick else (200, 577)
        for index in range(count):
            write_bmp(images / f"image_{index:03d}.bmp", side, side, rng)
        large = root / "large"
        large.mkdir()
        width, height = (3_000, 2_223) if quick else (10_000, 16_667)
        write_bmp(large / "large.bmp", width, height, rng)
        size = (large / "large.bmp").stat().st_size
        each = (images / "image_000.bmp").stat().st_size
        yield {
            "images": (images, f"{count} x {each / 1e6:.1f} MB images"),
            "large": (large, f"one {size / 1e6:.0f} MB file"),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


Report = dict[str, float]
"""What one probe printed (see :mod:`tests.benchmarks._upload_probe`)."""


def probe(client: str, url: str, folder: Path) -> Report:
    """One task creation by ``client`` in a fresh process."""
    completed = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks._upload_probe", client, url, str(folder)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the {client} probe failed:\n{completed.stderr[-3000:]}")
    report: Report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def measure(url: str, folder: Path, runs: int) -> dict[str, list[Report]]:
    """``runs`` probes of each client, alternating (cvatfn, official, cvatfn, ...)."""
    reports: dict[str, list[Report]] = {client: [] for client in CLIENTS}
    for _ in range(runs):
        for client in CLIENTS:
            reports[client].append(probe(client, url, folder))
    return reports


def rows_of(what: str, reports: dict[str, list[Report]]) -> list[Row]:
    """Throughput (best and median run), end-to-end and Upload-Finish times (best), and the
    peak memory (lowest) of each client."""
    ours, theirs = reports["cvatfn"], reports["official"]

    def speeds(found: list[Report]) -> list[float]:
        return [report["bytes"] / report["upload_s"] for report in found]

    def least(found: list[Report], key: str) -> float:
        return min(report[key] for report in found)

    best = max(speeds(ours)), max(speeds(theirs))
    median = statistics.median(speeds(ours)), statistics.median(speeds(theirs))
    peak = least(ours, "peak_growth_kib") * 1024, least(theirs, "peak_growth_kib") * 1024
    return [
        Row(
            "upload",
            f"{what}: upload throughput (best run)",
            best[0],
            best[1],
            "B/s",
            "cvat-sdk",
            target=">= 1x",
            met=best[0] >= best[1],
            higher_is_better=True,
        ),
        Row(
            "upload",
            f"{what}: upload throughput (median run)",
            median[0],
            median[1],
            "B/s",
            "cvat-sdk",
            higher_is_better=True,
        ),
        Row(
            "upload",
            f"{what}: end to end",
            least(ours, "end_to_end_s"),
            least(theirs, "end_to_end_s"),
            "s",
            "cvat-sdk",
        ),
        Row(
            "upload",
            f"{what}: Upload-Finish answer (server processing)",
            least(ours, "finish_s"),
            least(theirs, "finish_s"),
            "s",
            "cvat-sdk",
        ),
        Row(
            "upload",
            f"{what}: peak RSS growth",
            peak[0],
            peak[1],
            "B",
            "cvat-sdk",
            target="< 100 MiB",
            met=peak[0] < MEMORY_BOUND,
        ),
    ]


def run(quick: bool) -> list[Row]:
    """Both workloads, ``runs`` alternating probes of each client on each."""
    runs = 2 if quick else 5
    rows: list[Row] = []
    with workloads(quick) as folders, fake_http_server("--log-limit", "0") as url:
        for folder, what in folders.values():
            reports = measure(url, folder, runs)
            for client, found in reports.items():
                for report in found:
                    print(f"  {what}, {client}: {json.dumps(report)}", flush=True)
            rows += rows_of(what, reports)
    return rows
