"""Start ``python -m cvatfn_fake`` in its own process (its stderr is this process's)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fake_http_server(*args: str) -> Iterator[str]:
    """Run the fake server's HTTP front on a free loopback port; yield its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cvatfn_fake", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if match is None:  # its traceback went to this process's stderr
        process.kill()
        raise RuntimeError(f"the fake server did not start: {line!r}")
    try:
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
