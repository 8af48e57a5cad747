"""The task example from CVAT's high-level SDK guide, written with cvatfn.

By default it runs against an in-process fake CVAT server, so it needs no network and no
docker. Give ``--host`` (and ``--user``/``--password``) to run the same code against a real
server, or against ``python -m cvatfn_fake`` serving over HTTP.

    python docs/examples/task_example.py
    python docs/examples/task_example.py --host http://127.0.0.1:8080 --user admin --password admin
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from returns.result import Failure, Success

import cvatfn
from cvatfn import ResourceType
from cvatfn.errors import CvatError
from cvatfn.models import Job, Task

TASK_SPEC = {
    "name": "example task",
    "labels": [
        {
            "name": "car",
            "color": "#ff00ff",
            "attributes": [
                {
                    "name": "a",
                    "mutable": True,
                    "input_type": "number",
                    "default_value": "5",
                    "values": ["4", "5", "6"],
                }
            ],
        }
    ],
}


def make_images(folder: Path) -> list[Path]:
    """Two small real images, like the guide's image1.jpg and image2.png."""
    from PIL import Image

    first, second = folder / "image1.jpg", folder / "image2.png"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(first)
    Image.new("RGB", (320, 240), (30, 30, 200)).save(second)
    return [first, second]


def run_example(client: cvatfn.Client, images: Sequence[Path], say: Callable[[str], None]) -> Task:
    """The guide's steps. Each ``.unwrap()`` raises only if the step failed."""
    say(f"connected to {client.session.server.url} (CVAT {client.session.server.version})")

    task = client.tasks.create_from_data(
        spec=TASK_SPEC, resources=list(images), resource_type=ResourceType.LOCAL
    ).unwrap()
    say(f"created task {task.id} {task.name!r} from {len(images)} local images: size={task.size}")
    assert task.size == 2

    jobs: tuple[Job, ...] = client.tasks.get_jobs(task).unwrap()
    say(f"the task has {len(jobs)} job(s): {[job.id for job in jobs]}")

    meta = client.tasks.get_meta(task).unwrap()
    say("frames: " + ", ".join(f"{f.name} {f.width}x{f.height}" for f in meta.frames))

    job = client.jobs.update(jobs[0], {"stage": "validation"}).unwrap()
    say(f"job {job.id} moved to stage {job.stage!r} (state {job.state!r})")

    renamed = client.tasks.update(task, {"name": "my task"}).unwrap()
    say(f"renamed the task to {renamed.name!r}")

    fresh = client.tasks.fetch(task).unwrap()
    say(f"fetched a new snapshot: {fresh.name!r}; the value we held still says {task.name!r}")

    labels = client.tasks.get_labels(renamed).unwrap()
    say(f"labels: {[label.name for label in labels]}")

    client.tasks.remove(renamed).unwrap()
    match client.tasks.retrieve(renamed.id):
        case Failure(cvatfn.errors.NotFound()):
            say(f"removed task {renamed.id}: retrieving it now gives NotFound")
        case other:
            raise AssertionError(f"the task should be gone, got {other}")
    return renamed


def main(argv: Sequence[str] | None = None, say: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="a CVAT server; default: an in-process fake server")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args(argv)

    transport = None
    host = args.host
    if host is None:
        from cvatfn_fake import FakeServer

        transport = FakeServer().transport()
        host = "http://localhost"
        say("using an in-process fake CVAT server (cvatfn_fake.FakeServer)")

    with tempfile.TemporaryDirectory() as tmp:
        images = make_images(Path(tmp))
        opened = cvatfn.make_client(
            host, credentials=(args.user, args.password), transport=transport
        ).open()
        match opened:
            case Success(cvatfn.Client() as client):
                try:
                    run_example(client, images, say)
                finally:
                    cvatfn.logout(client.session)
                    say("logged out")
                return 0
            case Failure(error):
                report: CvatError = error
                say(f"could not connect: {report}")
                return 1
            case _:
                return 2


if __name__ == "__main__":
    sys.exit(main())
