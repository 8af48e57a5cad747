"""A long, seeded run of cvatfn operations against a fake CVAT server that injects faults.

Theory of operation
-------------------
One :class:`FaultRun` owns a :class:`~cvatfn_fake.FakeServer` with a random fault plan (error
statuses before or after the work, dropped connections, TUS chunks cut midway) and a plain
model of what the client believes is on the server: projects, tasks, the SHA-256 of every
frame uploaded and every task's boxes.

Each step draws an operation (create, upload, rename, annotate, read, export, list, remove)
from the run's own seeded generator and calls cvatfn's public API, catching every exception:
any is an *escape*. The outcome is then checked:

- a success is applied to the model, and what it returned is compared with the model (a read
  that disagrees is *corrupted*);
- a failure must be a member of :data:`cvatfn.errors.CvatError`. The server may still have
  done the work (a gateway that timed out after it, a connection dropped after the answer was
  written), so the harness reads the truth with the faults suspended and adopts it: such a
  failure is *ambiguous*, and the run counts them. A task whose creation with data failed is
  removed, so that every task in the model has known frames.

At the end, with the faults suspended, everything on the server is compared with the model:
an object the model has and the server lacks is *lost*; a name, a frame or an annotation that
differs is *corrupted*; an object on the server the model does not know is an *orphan*.

``python -m tests.reliability.fault_run [--operations N] [--rate R] [--seed S]`` prints the
report that docs/reliability.md quotes.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import CvatErrorBase
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import LabeledData
from cvatfn.retry import RetryPolicy
from cvatfn_fake import FakeServer, FakeTransport, FaultPlan
from tests.bmp import bmp

FORMAT = "CVAT for images 1.1"


@dataclass
class Report:
    """What one run did and found."""

    seed: int
    rate: float
    operations: int = 0
    requests: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    """``"<operation> ok"`` and ``"<operation> failed"`` counts."""
    errors: Counter[str] = field(default_factory=Counter)
    """Failure values by class name."""
    faults: dict[str, int] = field(default_factory=dict)
    ambiguous: Counter[str] = field(default_factory=Counter)
    """Failures after which the server turned out to have done the work, by operation."""
    escaped: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    verified: Counter[str] = field(default_factory=Counter)
    """Checks that passed: frames hashed, annotation sets compared, exports parsed, ..."""

    @property
    def injected(self) -> int:
        return sum(self.faults.values())

    def text(self) -> str:
        ok = sum(n for key, n in self.outcomes.items() if key.endswith(" ok"))
        lines = [
            f"seed {self.seed}, fault rate {self.rate:.0%}: {self.operations} operations, "
            f"{self.requests} requests, {self.seconds:.1f} s",
            f"faults injected: {self.injected} ({_items(self.faults)})",
            f"operations succeeded: {ok}; failed cleanly with a typed error: "
            f"{self.operations - ok - len(self.escaped)} ({_items(self.errors)})",
            f"failures after which the server had done (some of) the work, reconciled: "
            f"{sum(self.ambiguous.values())} ({_items(self.ambiguous)})",
            f"escaped exceptions: {len(self.escaped)}",
            f"lost objects: {len(self.lost)}; corrupted objects or reads: {len(self.corrupted)}; "
            f"orphans: {len(self.orphans)}",
            f"checks passed: {_items(self.verified)}",
        ]
        return "\n".join(lines)


def _items(counts: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "none"


@dataclass
class TaskModel:
    name: str
    project_id: int | None
    frames: list[str]
    """SHA-256 of each frame's source file, in frame order (empty: no data)."""
    boxes: list[tuple[int, str, tuple[float, ...]]] = field(default_factory=list)
    """(frame, label name, points) of every box, in any order."""
    labels: dict[str, int] = field(default_factory=dict)


class Counting:
    """The fake server's transport, counting the requests that reach it."""

    def __init__(self, inner: FakeTransport) -> None:
        self.inner = inner
        self.requests = 0

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests += 1
        return self.inner.handle(request)

    @contextmanager
    def stream(
        self, request: HttpRequest, *, chunk_size: int = 65536
    ) -> Iterator[tuple[HttpResponse, Iterator[bytes]]]:
        self.requests += 1
        with self.inner.stream(request, chunk_size=chunk_size) as opened:
            yield opened

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _boxes(data: LabeledData, names: dict[int, str]) -> list[tuple[int, str, tuple[float, ...]]]:
    return sorted(
        (shape.frame, names.get(shape.label_id, "?"), tuple(shape.points))
        for shape in data.shapes
        if shape.type == "rectangle"
    )


class FaultRun:
    """One run; see the module docstring."""

    def __init__(self, seed: int, rate: float, folder: Path) -> None:
        self.rng = random.Random(seed)
        self.folder = folder
        self.server = FakeServer(seed=seed)
        self.transport = Counting(self.server.transport())
        self.report = Report(seed=seed, rate=rate)
        config = cvatfn.Config(
            max_request_size=16 * 1024,  # files above this go over TUS ...
            tus_chunk_size=8 * 1024,  # ... in chunks of this size
            retry=RetryPolicy(max_attempts=6),
            status_check_period=0.5,
        )
        with self.server.faults.suspended():
            self.session = cvatfn.connect(
                "http://localhost",
                credentials=("admin", "admin"),
                transport=self.transport,
                config=config,
            ).unwrap()
        self.server.faults.plan(
            FaultPlan(
                rate=rate,
                seed=seed,
                statuses=(429, 500, 502, 503, 504),
                retry_after="1",
                drops=True,
                partial_tus=True,
                after_share=0.3,
            )
        )
        self.projects: dict[int, str] = {}
        self.tasks: dict[int, TaskModel] = {}
        self.counter = 0

    # ------------------------------------------------------------------ bookkeeping
    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    @contextmanager
    def truth(self) -> Generator[None]:
        """Read the server's true state: no faults inside."""
        with self.server.faults.suspended():
            yield

    def _corrupt(self, what: str) -> None:
        self.report.corrupted.append(what)

    def _step(self, name: str, operation: Callable[[], Result[Any, Any] | None]) -> bool:
        """Run one operation; ``False`` when there was nothing to do it on."""
        try:
            result = operation()
        except BaseException:  # an escape is exactly what this run looks for
            self.report.operations += 1
            self.report.escaped.append(f"{name}: {traceback.format_exc(limit=3)}")
            return True
        if result is None:
            return False
        self.report.operations += 1
        if isinstance(result, Success):
            self.report.outcomes[f"{name} ok"] += 1
            return True
        error = result.failure()
        if not isinstance(error, CvatErrorBase):
            self.report.escaped.append(f"{name}: a failure that is not a CvatError: {error!r}")
            return True
        self.report.outcomes[f"{name} failed"] += 1
        self.report.errors[type(error).__name__] += 1
        return True

    # ------------------------------------------------------------------ operations
    def create_project(self) -> Result[Any, Any]:
        name = self._name("project")
        result = cvatfn.projects.create(self.session, {"name": name, "labels": [{"name": "a"}]})
        if isinstance(result, Success):
            self.projects[result.unwrap().id] = name
        else:
            with self.truth():
                found = cvatfn.projects.list(self.session, name=name).unwrap()
            for project in found:
                self.report.ambiguous["create project"] += 1
                self.projects[project.id] = name
        return result

    def _labels(self, task_id: int) -> dict[str, int]:
        with self.truth():
            labels = cvatfn.tasks.get_labels(self.session, task_id).unwrap()
        return {label.name: label.id for label in labels}

    def create_task(self) -> Result[Any, Any]:
        name = self._name("task")
        project_id = self.rng.choice(sorted(self.projects)) if self.projects else None
        spec: dict[str, object] = {"name": name}
        if project_id is not None and self.rng.random() < 0.5:
            spec["project_id"] = project_id
        else:
            project_id = None
            spec["labels"] = [{"name": "a"}, {"name": "b"}]
        result = cvatfn.tasks.create(self.session, spec)
        if isinstance(result, Success):
            task = result.unwrap()
            if task.name != name:
                self._corrupt(f"task {task.id} created as {task.name!r}, not {name!r}")
            self.tasks[task.id] = TaskModel(name, project_id, [], labels=self._labels(task.id))
        else:
            with self.truth():
                found = cvatfn.tasks.list(self.session, name=name).unwrap()
            for task in found:
                self.report.ambiguous["create task"] += 1
                self.tasks[task.id] = TaskModel(name, project_id, [], labels=self._labels(task.id))
        return result

    def create_task_with_data(self) -> Result[Any, Any]:
        name = self._name("data")
        count = self.rng.randint(1, 3)
        paths: list[Path] = []
        hashes: list[str] = []
        for index in range(count):
            big = index == 0 and self.rng.random() < 0.5  # 28 KB: over TUS, in 4 chunks
            data = bmp(96, 96, self.rng) if big else bmp(8 + index, 8, self.rng)
            path = self.folder / f"{name}-{index}.bmp"
            path.write_bytes(data)
            paths.append(path)
            hashes.append(hashlib.sha256(data).hexdigest())
        spec = {"name": name, "labels": [{"name": "a"}, {"name": "b"}]}
        result = cvatfn.tasks.create_from_data(self.session, spec, paths)
        if isinstance(result, Success):
            task = result.unwrap()
            self.tasks[task.id] = TaskModel(name, None, hashes, labels=self._labels(task.id))
            if task.size != count:
                self._corrupt(f"task {task.id} has {task.size} frames, not {count}")
        else:
            # The task may exist, with or without its data: take it away, so that every
            # task the model knows has known frames.
            with self.truth():
                for task in cvatfn.tasks.list(self.session, name=name).unwrap():
                    self.report.ambiguous["create task with data"] += 1
                    cvatfn.tasks.remove(self.session, task.id).unwrap()
        for path in paths:
            path.unlink()
        return result

    def _some_task(self, with_data: bool = False) -> int | None:
        choices = sorted(t for t, m in self.tasks.items() if m.frames or not with_data)
        return self.rng.choice(choices) if choices else None

    def rename(self) -> Result[Any, Any] | None:
        if self.rng.random() < 0.5 and self.projects:
            project_id = self.rng.choice(sorted(self.projects))
            name = self._name("renamed")
            result = cvatfn.projects.update(self.session, project_id, {"name": name})
            if isinstance(result, Success):
                self.projects[project_id] = name
            else:
                with self.truth():
                    true = cvatfn.projects.retrieve(self.session, project_id).unwrap().name
                if true == name:
                    self.report.ambiguous["rename"] += 1
                self.projects[project_id] = true
            return result
        task_id = self._some_task()
        if task_id is None:
            return None
        name = self._name("renamed")
        result = cvatfn.tasks.update(self.session, task_id, {"name": name})
        if isinstance(result, Success):
            self.tasks[task_id].name = name
            if result.unwrap().name != name:
                self._corrupt(f"task {task_id} renamed to {result.unwrap().name!r}")
        else:
            with self.truth():
                true = cvatfn.tasks.retrieve(self.session, task_id).unwrap().name
            if true == name:
                self.report.ambiguous["rename"] += 1
            self.tasks[task_id].name = true
        return result

    def _random_boxes(self, model: TaskModel) -> list[dict[str, object]]:
        boxes = []
        for _ in range(self.rng.randint(1, 3)):
            label = self.rng.choice(sorted(model.labels))
            x, y = self.rng.randint(0, 50), self.rng.randint(0, 50)
            boxes.append(
                {
                    "type": "rectangle",
                    "frame": self.rng.randrange(len(model.frames)),
                    "label_id": model.labels[label],
                    "points": [x, y, x + self.rng.randint(1, 40), y + self.rng.randint(1, 40)],
                }
            )
        return boxes

    def _as_model(self, model: TaskModel, boxes: list[dict[str, Any]]) -> list[Any]:
        names = {ident: name for name, ident in model.labels.items()}
        return sorted(
            (box["frame"], names[box["label_id"]], tuple(float(p) for p in box["points"]))
            for box in boxes
        )

    def _resync_boxes(self, task_id: int, operation: str, expected: list[Any]) -> None:
        model = self.tasks[task_id]
        with self.truth():
            data = cvatfn.tasks.get_annotations(self.session, task_id).unwrap()
        true = _boxes(data, {ident: name for name, ident in model.labels.items()})
        if true == sorted(expected) and true != sorted(model.boxes):
            self.report.ambiguous[operation] += 1
        model.boxes = true

    def annotate(self) -> Result[Any, Any] | None:
        task_id = self._some_task(with_data=True)
        if task_id is None:
            return None
        model = self.tasks[task_id]
        boxes = self._random_boxes(model)
        if self.rng.random() < 0.5:
            result = cvatfn.tasks.set_annotations(self.session, task_id, {"shapes": boxes})
            expected = self._as_model(model, boxes)
            operation = "replace annotations"
        else:
            result = cvatfn.tasks.update_annotations(
                self.session, task_id, {"shapes": boxes}, action="create"
            )
            expected = sorted(model.boxes + self._as_model(model, boxes))
            operation = "add annotations"
        if isinstance(result, Success):
            model.boxes = expected
        else:
            self._resync_boxes(task_id, operation, expected)
        return result

    def read_annotations(self) -> Result[Any, Any] | None:
        task_id = self._some_task(with_data=True)
        if task_id is None:
            return None
        model = self.tasks[task_id]
        result = cvatfn.tasks.get_annotations(self.session, task_id)
        if isinstance(result, Success):
            names = {ident: name for name, ident in model.labels.items()}
            if _boxes(result.unwrap(), names) != sorted(model.boxes):
                self._corrupt(f"task {task_id}: annotations read back differ from the model")
            else:
                self.report.verified["annotation reads"] += 1
        return result

    def read_frame(self) -> Result[Any, Any] | None:
        task_id = self._some_task(with_data=True)
        if task_id is None:
            return None
        model = self.tasks[task_id]
        frame = self.rng.randrange(len(model.frames))
        result = cvatfn.tasks.get_frame(self.session, task_id, frame)
        if isinstance(result, Success):
            if hashlib.sha256(result.unwrap()).hexdigest() != model.frames[frame]:
                self._corrupt(f"task {task_id} frame {frame}: bytes differ from the source")
            else:
                self.report.verified["frame reads"] += 1
        return result

    def export(self) -> Result[Any, Any] | None:
        task_id = self._some_task(with_data=True)
        if task_id is None:
            return None
        model = self.tasks[task_id]
        target = self.folder / f"{self._name('export')}.zip"
        result = cvatfn.tasks.export_dataset(self.session, task_id, FORMAT, target)
        leftovers = [p.name for p in self.folder.iterdir() if p != target]
        if leftovers:
            self._corrupt(f"export of task {task_id} left files behind: {leftovers}")
        if isinstance(result, Success):
            with zipfile.ZipFile(target) as archive:
                root = ElementTree.fromstring(archive.read("annotations.xml"))
            found = len(root.findall(".//box"))
            if found != len(model.boxes):
                self._corrupt(f"export of task {task_id}: {found} boxes, not {len(model.boxes)}")
            else:
                self.report.verified["exports parsed"] += 1
            target.unlink()
        elif target.exists():
            self._corrupt(f"a failed export of task {task_id} left {target.name}")
        return result

    def list_all(self) -> Result[Any, Any]:
        if self.rng.random() < 0.5:
            result: Result[Any, Any] = cvatfn.projects.list(self.session)
            expected = set(self.projects)
        else:
            result = cvatfn.tasks.list(self.session)
            expected = set(self.tasks)
        if isinstance(result, Success):
            if {item.id for item in result.unwrap()} != expected:
                self._corrupt("a listing disagrees with the model")
            else:
                self.report.verified["listings"] += 1
        return result

    def remove(self) -> Result[Any, Any] | None:
        if self.rng.random() < 0.3 and self.projects:
            project_id = self.rng.choice(sorted(self.projects))
            result = cvatfn.projects.remove(self.session, project_id)
            with self.truth():
                gone = isinstance(cvatfn.projects.retrieve(self.session, project_id), Failure)
            if gone:
                if isinstance(result, Failure):
                    self.report.ambiguous["remove"] += 1
                del self.projects[project_id]
                for task_id in [t for t, m in self.tasks.items() if m.project_id == project_id]:
                    del self.tasks[task_id]  # CVAT removes a project's tasks with it
            elif isinstance(result, Success):
                self.report.lost.append(f"project {project_id} was removed but is still there")
            return result
        task_id = self._some_task()
        if task_id is None:
            return None
        result = cvatfn.tasks.remove(self.session, task_id)
        with self.truth():
            gone = isinstance(cvatfn.tasks.retrieve(self.session, task_id), Failure)
        if gone:
            if isinstance(result, Failure):
                self.report.ambiguous["remove"] += 1
            del self.tasks[task_id]
        elif isinstance(result, Success):
            self.report.lost.append(f"task {task_id} was removed but is still there")
        return result

    # ------------------------------------------------------------------ the run
    def run(self, operations: int) -> Report:
        table: list[tuple[str, Callable[[], Result[Any, Any] | None], int]] = [
            ("create project", self.create_project, 8),
            ("create task", self.create_task, 8),
            ("create task with data", self.create_task_with_data, 10),
            ("rename", self.rename, 10),
            ("annotate", self.annotate, 14),
            ("read annotations", self.read_annotations, 12),
            ("read frame", self.read_frame, 10),
            ("export", self.export, 4),
            ("list", self.list_all, 8),
            ("remove", self.remove, 5),
        ]
        names = [name for name, _, _ in table]
        weights = [weight for _, _, weight in table]
        operations_by_name = {name: operation for name, operation, _ in table}
        started = time.perf_counter()
        while self.report.operations < operations:
            name = self.rng.choices(names, weights)[0]
            self._step(name, operations_by_name[name])
        self.final_check()
        self.report.seconds = time.perf_counter() - started
        self.report.requests = self.transport.requests
        self.report.faults = dict(self.server.faults.injected)
        return self.report

    def final_check(self) -> None:
        with self.truth():
            projects = {p.id: p for p in cvatfn.projects.list(self.session).unwrap()}
            tasks = {t.id: t for t in cvatfn.tasks.list(self.session).unwrap()}
            for project_id, name in self.projects.items():
                if project_id not in projects:
                    self.report.lost.append(f"project {project_id}")
                elif projects[project_id].name != name:
                    self._corrupt(f"project {project_id} is named {projects[project_id].name!r}")
            self.report.orphans += [f"project {p}" for p in projects if p not in self.projects]
            self.report.orphans += [f"task {t}" for t in tasks if t not in self.tasks]
            for task_id, model in self.tasks.items():
                if task_id not in tasks:
                    self.report.lost.append(f"task {task_id}")
                    continue
                if tasks[task_id].name != model.name:
                    self._corrupt(f"task {task_id} is named {tasks[task_id].name!r}")
                if tasks[task_id].size != len(model.frames):
                    self._corrupt(f"task {task_id} has {tasks[task_id].size} frames")
                for frame, expected in enumerate(model.frames):
                    data = cvatfn.tasks.get_frame(self.session, task_id, frame).unwrap()
                    if hashlib.sha256(data).hexdigest() != expected:
                        self._corrupt(f"task {task_id} frame {frame} differs from its source")
                    else:
                        self.report.verified["frames hashed at the end"] += 1
                if not model.frames:
                    continue  # CVAT has no annotations for a task without data (400)
                data = cvatfn.tasks.get_annotations(self.session, task_id).unwrap()
                names = {ident: name for name, ident in model.labels.items()}
                if _boxes(data, names) != sorted(model.boxes):
                    self._corrupt(f"task {task_id}: annotations differ from the model")
                else:
                    self.report.verified["annotation sets compared at the end"] += 1


def fault_run(seed: int = 2026, operations: int = 1000, rate: float = 0.2) -> Report:
    """Run ``operations`` seeded operations at a fault ``rate``; the report."""
    with tempfile.TemporaryDirectory(prefix="cvatfn-fault-run-") as folder:
        return FaultRun(seed, rate, Path(folder)).run(operations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    report = fault_run(args.seed, args.operations, args.rate)
    print(report.text())
    for line in report.escaped + report.lost + report.corrupted + report.orphans:
        print("  ", line)
    bad = report.escaped or report.lost or report.corrupted or report.orphans
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
