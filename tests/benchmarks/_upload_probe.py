"""One task creation from local files, by one client, measured in a process of its own.

Run as ``python -m tests.benchmarks._upload_probe CLIENT URL FOLDER`` where ``CLIENT`` is
``cvatfn`` or ``official`` (cvat-sdk 2.80.0): it logs in to the CVAT server at ``URL``, creates
a task from every file in ``FOLDER`` (sorted by name) and prints one JSON line with what it
measured.

Timing. Both clients send their requests through a thin recorder (for cvatfn a transport
wrapped around its urllib3 transport, for cvat-sdk a wrapper of its rest client's urllib3
pool manager) that notes the time each upload request leaves and its answer arrives. The
*upload phase* runs from the moment ``Upload-Start`` is sent to the moment ``Upload-Finish`` is
sent, so it holds every byte of every file on the wire and all the client's own work on them,
and none of the server's processing, which CVAT (and the fake server) starts on
``Upload-Finish``. The *end-to-end* time is the whole ``create_from_data`` call: creating the
task, the upload, the server's processing and the polls until it is done (both clients poll
every 0.05 s), and reading the task back.

Memory. The peak is the process's resident set (``VmHWM`` of ``/proc/self/status``) during the
call, above the resident set just before it: the peak is reset first through
``/proc/self/clear_refs``, after the imports and the login.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

STATUS_CHECK_PERIOD = 0.05
"""Seconds between two polls of the background request, for both clients."""


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Start a new ``VmHWM`` (Linux: writing 5 to ``clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Marks:
    """When the upload's requests left and their answers arrived (``perf_counter`` seconds)."""

    def __init__(self) -> None:
        self.start_sent: float | None = None
        self.finish_sent: float | None = None
        self.finish_answered: float | None = None
        self.data_requests = 0

    def before(self, headers: object) -> None:
        names = {str(name).lower() for name in _names(headers)}
        now = time.perf_counter()
        if "upload-finish" in names:
            self.finish_sent = now
        elif "upload-start" in names:
            self.start_sent = now
        elif "upload-multiple" in names or "upload-offset" in names:
            self.data_requests += 1

    def after(self, headers: object) -> None:
        if "upload-finish" in {str(name).lower() for name in _names(headers)}:
            self.finish_answered = time.perf_counter()


def _names(headers: object) -> list[object]:
    if isinstance(headers, dict):
        return list(headers)  # pyright: ignore[reportUnknownArgumentType]
    if isinstance(headers, tuple | list):
        return [pair[0] for pair in headers]  # pyright: ignore[reportUnknownVariableType]
    return list(getattr(headers, "keys", list)())


Call = Callable[[], int]
"""Create the task; return its size."""
Cleanup = Callable[[], None]
"""Delete the task, close the client."""


def cvatfn_create(url: str, files: list[Path], marks: Marks) -> tuple[Call, Cleanup]:
    """Connect and log in (untimed); return the timed call and the cleanup."""
    import cvatfn
    from cvatfn.http import HttpRequest, HttpResponse
    from cvatfn.models import Task
    from cvatfn_urllib3 import Urllib3Transport

    class Recording:
        def __init__(self, inner: Urllib3Transport) -> None:
            self.inner = inner

        def handle(self, request: HttpRequest) -> HttpResponse:
            marks.before(request.headers)
            response = self.inner.handle(request)
            marks.after(request.headers)
            return response

    transport = Urllib3Transport()
    session = cvatfn.connect(
        url,
        credentials=("admin", "admin"),
        config=cvatfn.Config(status_check_period=STATUS_CHECK_PERIOD),
        transport=Recording(transport),
    ).unwrap()
    spec = {"name": "upload benchmark", "labels": [{"name": "thing"}]}
    created: list[Task] = []

    def call() -> int:
        task = cvatfn.tasks.create_from_data(session, spec, files).unwrap()
        created.append(task)
        return task.size or 0

    def cleanup() -> None:
        for task in created:
            cvatfn.tasks.remove(session, task).unwrap()
        transport.close()

    return call, cleanup


def official_create(url: str, files: list[Path], marks: Marks) -> tuple[Call, Cleanup]:
    """Connect and log in with cvat-sdk (untimed); return the timed call and the cleanup."""
    import urllib3
    from cvat_sdk import make_client
    from cvat_sdk.api_client import models

    host, port = url.removeprefix("http://").rsplit(":", 1)
    client = make_client(f"http://{host}", port=int(port), credentials=("admin", "admin"))
    client.config.status_check_period = STATUS_CHECK_PERIOD  # type: ignore[assignment]
    rest = client.api_client.rest_client
    pool = rest.pool_manager

    class Recording:
        """cvat-sdk's rest client calls ``pool_manager.request(method, url, ...)``."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            headers: object = kwargs.get("headers")
            marks.before(headers)
            response = pool.request(method, url, *args, **kwargs)
            marks.after(headers)
            return response

        def __getattr__(self, name: str) -> Any:
            return getattr(pool, name)

    rest.pool_manager = cast(urllib3.PoolManager, Recording())
    # The SDK takes a mapping for its request model (as its own tests do).
    spec = cast(
        models.ITaskWriteRequest, {"name": "upload benchmark", "labels": [{"name": "thing"}]}
    )
    created: list[Any] = []

    def call() -> int:
        task = client.tasks.create_from_data(spec, resources=[str(f) for f in files])
        created.append(task)
        return int(task.size)

    def cleanup() -> None:
        for task in created:
            task.remove()
        client.close()

    return call, cleanup


def main(client: str, url: str, folder: Path) -> dict[str, object]:
    files = sorted(path for path in folder.iterdir() if path.is_file())
    marks = Marks()
    make = {"cvatfn": cvatfn_create, "official": official_create}[client]
    call, cleanup = make(url, files, marks)
    resettable = reset_peak()
    baseline = status_kib("VmRSS")
    started = time.perf_counter()
    size = call()
    ended = time.perf_counter()
    peak = status_kib("VmHWM")
    cleanup()
    assert size == len(files), (size, len(files))
    assert marks.start_sent is not None and marks.finish_sent is not None
    assert marks.finish_answered is not None
    return {
        "client": client,
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
        "data_requests": marks.data_requests,
        "upload_s": marks.finish_sent - marks.start_sent,
        "finish_s": marks.finish_answered - marks.finish_sent,
        "end_to_end_s": ended - started,
        "peak_growth_kib": peak - baseline,
        "peak_reset": resettable,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))))
