"""The fake server's own cost: per request in-process, and requests per second over HTTP.

Theory of operation
-------------------
Four typical requests, exactly as cvatfn sends them (recorded from a logged-in session, so
with its session cookie, CSRF token and ``Accept`` headers): ``GET /api/server/about``,
``GET /api/tasks/{id}``, one page of 100 tasks (``GET /api/tasks?page=1&page_size=100``) on a
server of 1,000 tasks, and ``GET /api/jobs/{id}/annotations`` of a job with 200 shapes.

- In-process: ``server.transport().handle(request)`` in a loop, single-threaded, against
  ``json.dumps`` of the same answer's body (the server's own last step; what no server written
  with the standard library's JSON can skip), interleaved. The target is the seed example's:
  well under a millisecond of overhead per request, the overhead being the time per request
  beyond that ``json.dumps`` (a page of 100 tasks takes about a millisecond to dump alone).
- Over HTTP: the same requests from one urllib3 connection (a single-threaded client) to
  ``python -m cvatfn_fake`` in a subprocess, against the standard library's
  ``ThreadingHTTPServer`` answering the very same bytes (``_static_server``), also in a
  subprocess: the floor under an HTTP front built on :mod:`http.server`.
- The seed example (``docs/examples/task_example.py``, what ``make demo`` runs) in-process:
  the fake server's time per request, summed over every request the example makes (an
  absolute figure: its baseline column repeats it, ratio 1.0).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import urllib3
from PIL import Image

import cvatfn
from cvatfn import ResourceType
from cvatfn.http import HttpRequest, HttpResponse, Transport
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.benchmarks._harness import Row, alternate
from tests.integration.fake_process import fake_http_server

REPO = Path(__file__).resolve().parents[2]
ADMIN = ("admin", "admin")
TASKS = 1000
SHAPES = 200


class Recorder:
    """A transport wrapper that remembers the last request and sums the time spent inside."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.last: HttpRequest | None = None
        self.seconds = 0.0
        self.count = 0

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.last = request
        started = time.perf_counter()
        try:
            return self.inner.handle(request)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class ClockedRecorder(Recorder):
    """A :class:`Recorder` that also passes on the fake server's virtual clock."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.monotonic: Callable[[], float] = inner.monotonic
        self.sleep: Callable[[float], None] = inner.sleep


def _images(folder: Path) -> list[Path]:
    paths = [folder / "a.png", folder / "b.jpg"]
    Image.new("RGB", (640, 480), (200, 30, 30)).save(paths[0])
    Image.new("RGB", (320, 240), (30, 30, 200)).save(paths[1])
    return paths


def _typical(session: cvatfn.Session, recorder: Recorder, folder: Path) -> dict[str, HttpRequest]:
    """Make a task with data and annotations; the four typical requests, as cvatfn sends them."""
    task = cvatfn.tasks.create_from_data(
        session,
        {"name": "bench", "labels": [{"name": "car"}]},
        _images(folder),
        resource_type=ResourceType.LOCAL,
    ).unwrap()
    job = cvatfn.tasks.get_jobs(session, task).unwrap()[0]
    label = cvatfn.jobs.get_labels(session, job).unwrap()[0].id
    shapes = [
        {
            "type": "rectangle",
            "frame": index % 2,
            "label_id": label,
            "points": [index, index, index + 10.5, index + 20.25],
        }
        for index in range(SHAPES)
    ]
    cvatfn.jobs.set_annotations(session, job, {"shapes": shapes}).unwrap()
    cvatfn.tasks.retrieve(session, 1).unwrap()
    retrieve = recorder.last
    assert retrieve is not None
    base = retrieve.url.removesuffix("/api/tasks/1")

    def at(path: str) -> HttpRequest:
        return msgspec.structs.replace(retrieve, url=base + path)

    return {
        "about": at("/api/server/about"),
        "task retrieve": retrieve,
        "task list page of 100": at("/api/tasks?page=1&page_size=100"),
        f"job annotations ({SHAPES} shapes)": at(f"/api/jobs/{job.id}/annotations"),
    }


def _in_process(quick: bool) -> list[Row]:
    server = FakeServer()
    server.seed_tasks(TASKS)
    recorder = ClockedRecorder(server.transport())
    session = cvatfn.connect("http://localhost", credentials=ADMIN, transport=recorder).unwrap()
    with tempfile.TemporaryDirectory() as tmp:
        requests = _typical(session, recorder, Path(tmp))
    transport = server.transport()
    rows: list[Row] = []
    for what, request in requests.items():
        answer = transport.handle(request)
        if answer.status != 200:
            raise RuntimeError(f"{what}: {answer.status} {answer.body[:200]!r}")
        data = json.loads(answer.body)
        loops = max(1, (20 if quick else 200) * 2000 // max(2000, len(answer.body)))

        def fake(request: HttpRequest = request, loops: int = loops) -> None:
            for _ in range(loops):
                transport.handle(request)

        def dumps(data: Any = data, loops: int = loops) -> None:
            for _ in range(loops):
                json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

        timings = alternate({"fake": fake, "dumps": dumps}, runs=3 if quick else 7)
        ours, theirs = loops / timings["fake"].best, loops / timings["dumps"].best
        rows.append(
            Row(
                "fake_server",
                f"in-process {what}, {len(answer.body):,} B",
                ours,
                theirs,
                "req/s",
                "json.dumps of the body",
                target="< 1 ms over dumps",
                met=1 / ours - 1 / theirs < 1e-3,
                higher_is_better=True,
            )
        )
    return rows


def _quiet(line: str) -> None:
    return


def _seed_example() -> Row:
    spec = importlib.util.spec_from_file_location(
        "task_example", REPO / "docs" / "examples" / "task_example.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    per_request: list[float] = []
    count = 0
    for _ in range(5):
        recorder = ClockedRecorder(FakeServer().transport())
        with tempfile.TemporaryDirectory() as tmp:
            images = example.make_images(Path(tmp))
            with cvatfn.make_client(
                "http://localhost", credentials=ADMIN, transport=recorder
            ) as client:
                example.run_example(client, images, _quiet)
                cvatfn.logout(client.session).unwrap()
        per_request.append(recorder.seconds / recorder.count)
        count = recorder.count
    best = min(per_request)
    return Row(
        "fake_server",
        f"seed example in-process, server time per request ({count} requests)",
        best,
        best,
        "s",
        "absolute",
        target="< 1 ms",
        met=best < 1e-3,
    )


@contextmanager
def _static_server(answers: dict[str, tuple[HttpResponse, bytes]]) -> Generator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.json"
        path.write_text(
            json.dumps(
                {
                    target: {
                        "status": head.status,
                        "headers": [
                            [k, v] for k, v in head.headers if k.lower() != "content-length"
                        ],
                        "body": base64.b64encode(body).decode(),
                    }
                    for target, (head, body) in answers.items()
                }
            ),
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks._static_server", str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        match = re.search(r"listening on (http://\S+)", process.stdout.readline())
        try:
            if match is None:
                raise RuntimeError("the static server did not start")
            yield match.group(1)
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


def _over_http(quick: bool) -> list[Row]:
    with fake_http_server("--seed-tasks", str(TASKS), "--log-limit", "0") as url:
        recorder = Recorder(Urllib3Transport())
        session = cvatfn.connect(url, credentials=ADMIN, transport=recorder).unwrap()
        with tempfile.TemporaryDirectory() as tmp:
            requests = _typical(session, recorder, Path(tmp))
        parts = urlsplit(url)
        pool = urllib3.HTTPConnectionPool(parts.hostname or "127.0.0.1", parts.port, maxsize=1)
        targets: dict[str, tuple[str, dict[str, str]]] = {}
        answers: dict[str, tuple[HttpResponse, bytes]] = {}
        for what, request in requests.items():
            target = request.url.removeprefix(url)
            headers = dict(request.headers)
            answer = pool.request("GET", target, headers=headers)
            if answer.status != 200:
                raise RuntimeError(f"{what}: {answer.status}")
            targets[what] = (target, headers)
            head = HttpResponse(answer.status, tuple(answer.headers.items()))
            answers[target] = (head, answer.data)
        with _static_server(answers) as static_url:
            static_parts = urlsplit(static_url)
            static_pool = urllib3.HTTPConnectionPool(
                static_parts.hostname or "127.0.0.1", static_parts.port, maxsize=1
            )
            rows: list[Row] = []
            for what, (target, headers) in targets.items():
                loops = 50 if quick else 500

                def fetch(
                    client: urllib3.HTTPConnectionPool,
                    target: str = target,
                    headers: dict[str, str] = headers,
                    loops: int = loops,
                ) -> None:
                    for _ in range(loops):
                        if client.request("GET", target, headers=headers).status != 200:
                            raise RuntimeError(f"GET {target}: not 200")

                timings = alternate(
                    {"fake": lambda: fetch(pool), "static": lambda: fetch(static_pool)},
                    runs=3 if quick else 5,
                )
                ours = loops / timings["fake"].best
                theirs = loops / timings["static"].best
                rows.append(
                    Row(
                        "fake_server",
                        f"HTTP {what}",
                        ours,
                        theirs,
                        "req/s",
                        "http.server, same bytes",
                        higher_is_better=True,
                    )
                )
            static_pool.close()
        pool.close()
        cvatfn.logout(session)
    return rows


def run(quick: bool) -> list[Row]:
    return [*_in_process(quick), _seed_example(), *_over_http(quick)]
