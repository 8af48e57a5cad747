"""More of what a user's type checker sees: tasks with data, jobs, annotations, masks, exports,
backups, the client's bound methods and the transports. Checked by mypy --strict and pyright
--strict in ``make test`` and run by ``test_user_program.py`` against the fake server, so every
``assert_type`` here is also a call that works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import assert_type

from returns.result import Result, Success

import cvatfn
from cvatfn import ResourceType, Session
from cvatfn.errors import CvatError
from cvatfn.http import HttpRequest, HttpResponse, StreamingTransport, Transport
from cvatfn.masks import Mask
from cvatfn.models import (
    AnnotationFormats,
    DataMeta,
    Job,
    Label,
    LabeledData,
    LabeledShape,
    Project,
    Task,
    User,
)
from cvatfn_cassette import RecordingTransport, ReplayTransport
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.typing._png import png


def transports(cassette: Path) -> list[str]:
    """Every transport in the box satisfies ``cvatfn.http.Transport``: assigning each to a
    ``Transport`` variable is what the type checkers verify."""
    server = FakeServer()
    in_process: Transport = server.transport()
    with RecordingTransport(in_process, cassette, mode="all") as recorder:
        recording: Transport = recorder
        session = cvatfn.connect(
            "http://localhost", credentials=("admin", "admin"), transport=recording
        ).unwrap()
        me = cvatfn.users.retrieve_current_user(session)
        assert_type(me, Result[User, CvatError])
    replay: Transport = ReplayTransport(cassette)
    offline = cvatfn.connect("http://localhost", credentials=("admin", "admin"), transport=replay)
    assert_type(offline, Result[Session, CvatError])
    streaming: StreamingTransport = Urllib3Transport()
    answer: HttpResponse = replay.handle(HttpRequest("GET", "http://cvat.cassette/api/users/self"))
    return [
        me.unwrap().username,
        offline.map(lambda s: s.server.url).value_or("?"),
        type(streaming).__name__,
        str(answer.status),
    ]


def workflow(workdir: Path) -> list[str]:
    """The task example with every result type pinned."""
    images = [workdir / "a.png", workdir / "b.png", workdir / "c.png"]
    for number, image in enumerate(images):
        image.write_bytes(png(8 + number, 6))
    server = FakeServer()
    out: list[str] = []
    with cvatfn.make_client(
        "http://localhost", credentials=("admin", "admin"), transport=server.transport()
    ) as client:
        assert_type(client, cvatfn.Client)
        project = client.projects.create({"name": "p", "labels": [{"name": "car"}]})
        assert_type(project, Result[Project, CvatError])
        created = client.tasks.create_from_data(
            spec={"name": "t", "project_id": project.unwrap().id, "segment_size": 2},
            resources=[str(image) for image in images],
            resource_type=ResourceType.LOCAL,
        )
        assert_type(created, Result[Task, CvatError])
        task = created.unwrap()

        updated = client.tasks.update(task, {"name": "renamed"})
        assert_type(updated, Result[Task, CvatError])
        fetched = client.tasks.fetch(task)
        assert_type(fetched, Result[Task, CvatError])
        retrieved = cvatfn.tasks.retrieve(client.session, task.id)
        assert_type(retrieved, Result[Task, CvatError])
        out.append(fetched.map(lambda t: f"{t.name} {t.size}").value_or("?"))

        meta = cvatfn.tasks.get_meta(client.session, task)
        assert_type(meta, Result[DataMeta, CvatError])
        frame = cvatfn.tasks.get_frame(client.session, task, 0)
        assert_type(frame, Result[bytes, CvatError])

        jobs = client.tasks.get_jobs(task)
        assert_type(jobs, Result[tuple[Job, ...], CvatError])
        job = jobs.unwrap()[0]
        staged = cvatfn.jobs.update(client.session, job, {"stage": "validation"})
        assert_type(staged, Result[Job, CvatError])
        listed = cvatfn.jobs.list(client.session, task_id=task.id)
        assert_type(listed, Result[tuple[Job, ...], CvatError])
        streamed = cvatfn.jobs.iterate(client.session, task_id=task.id)
        assert_type(streamed, Iterator[Result[Job, CvatError]])
        out.append(f"{len(listed.unwrap())} jobs, {staged.unwrap().stage}")

        labels = cvatfn.tasks.get_labels(client.session, task)
        assert_type(labels, Result[tuple[Label, ...], CvatError])
        label_id = labels.unwrap()[0].id
        assert_type(label_id, int)
        blob = cvatfn.masks.encode([[0, 1, 1], [0, 1, 0]])
        assert_type(blob, Result[tuple[float, ...], CvatError])
        decoded = cvatfn.masks.decode(blob.unwrap())
        assert_type(decoded, Result[Mask, CvatError])
        box = LabeledShape(type="rectangle", frame=0, label_id=label_id, points=(1, 1, 5, 4))
        written = cvatfn.jobs.set_annotations(client.session, job, LabeledData(shapes=(box,)))
        assert_type(written, Result[LabeledData, CvatError])
        mask = {"type": "mask", "frame": 1, "label_id": label_id, "points": list(blob.unwrap())}
        added = cvatfn.tasks.update_annotations(
            client.session, task, {"shapes": [mask]}, action="create"
        )
        assert_type(added, Result[LabeledData, CvatError])
        read = cvatfn.jobs.get_annotations(client.session, job)
        assert_type(read, Result[LabeledData, CvatError])
        out.append(", ".join(sorted(shape.type for shape in read.unwrap().shapes)))

        formats = cvatfn.formats.retrieve(client.session)
        assert_type(formats, Result[AnnotationFormats, CvatError])
        exported = cvatfn.tasks.export_dataset(
            client.session, task, "CVAT for images 1.1", workdir / "task.zip"
        )
        assert_type(exported, Result[Path, CvatError])
        project_zip = cvatfn.projects.export_dataset(
            client.session, project.unwrap(), "COCO 1.0", workdir / "project.zip"
        )
        assert_type(project_zip, Result[Path, CvatError])
        job_zip = cvatfn.jobs.export_dataset(
            client.session, job, "CVAT for images 1.1", workdir / "job.zip"
        )
        assert_type(job_zip, Result[Path, CvatError])
        imported = cvatfn.tasks.import_annotations(
            client.session, task, "CVAT 1.1", exported.unwrap(), import_mode="replace"
        )
        assert_type(imported, Result[None, CvatError])
        backup = client.tasks.download_backup(task, workdir / "backup.zip")
        assert_type(backup, Result[Path, CvatError])
        restored = client.tasks.create_from_backup(backup.unwrap())
        assert_type(restored, Result[Task, CvatError])
        out.append(
            " ".join(p.name for p in (exported.unwrap(), project_zip.unwrap(), job_zip.unwrap()))
        )
        out.append(f"restored {restored.unwrap().size}")

        removed = client.tasks.remove(task)
        assert_type(removed, Result[None, CvatError])
        out.append(str(isinstance(removed, Success)))
    return out


def chains(session: Session, task_id: int) -> Result[int, CvatError]:
    """``and_then`` and ``collect`` keep the success types through a chain."""
    jobs = cvatfn.and_then(
        cvatfn.tasks.retrieve(session, task_id), lambda task: cvatfn.tasks.get_jobs(session, task)
    )
    assert_type(jobs, Result[tuple[Job, ...], CvatError])
    annotations = cvatfn.and_then(
        jobs, lambda found: cvatfn.collect(cvatfn.jobs.get_annotations(session, j) for j in found)
    )
    assert_type(annotations, Result[tuple[LabeledData, ...], CvatError])
    return annotations.map(lambda each: sum(len(data.shapes) for data in each))
