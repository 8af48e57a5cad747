"""A 300 MB upload and a 300 MB download keep the client's memory bounded.

The probe (:mod:`tests.integration.large_transfer_probe`) runs in a fresh process against a
private fake server over HTTP, so its peak resident memory (``VmHWM``) measures only these
transfers. The bound is the issue's: under 100 MB above the baseline for both directions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fake_process import fake_http_server

pytestmark = [
    pytest.mark.http,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc"),
]

LIMIT_KIB = 100 * 1024


def test_300_mb_up_and_down_with_bounded_memory(tmp_path: Path) -> None:
    with fake_http_server("--log-limit", "0") as url:
        completed = subprocess.run(
            [sys.executable, "-m", "tests.integration.large_transfer_probe", url, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"\nlarge transfers: {report}")
    assert report["source_bytes"] == 300_000_054
    assert report["task_size"] == 1
    assert report["exported_image_bytes"] == report["source_bytes"]
    assert report["export_bytes"] > report["source_bytes"]
    assert report["image_equal"] is True
    assert report["upload_peak_growth_kib"] < LIMIT_KIB, report
    assert report["download_peak_growth_kib"] < LIMIT_KIB, report
