"""Calls with a wrong keyword, a missing session, or a result used as its value."""

from __future__ import annotations

from pathlib import Path

import cvatfn
from cvatfn.models import Task


def wrong_keyword(session: cvatfn.Session, task: Task) -> None:
    cvatfn.tasks.retrieve(session, id=1)  # expect-error
    cvatfn.tasks.export_dataset(session, task, "COCO 1.0", "t", include_image=True)  # expect-error
    cvatfn.connect("http://localhost", credential=("admin", "admin"))  # expect-error


def missing_session(client: cvatfn.Client) -> None:
    cvatfn.tasks.retrieve(42)  # expect-error
    cvatfn.jobs.list()  # expect-error
    client.tasks.retrieve(client.session, 42)  # expect-error


def result_is_not_the_value(session: cvatfn.Session) -> None:
    task: Task = cvatfn.tasks.retrieve(session, 42)  # expect-error
    path: Path = cvatfn.tasks.download_backup(session, 42, "b.zip")  # expect-error
    print(cvatfn.tasks.retrieve(session, 42).name)  # expect-error
    print(task, path)


def wrong_data(session: cvatfn.Session) -> None:
    cvatfn.masks.encode("not a bitmap")  # expect-error
    cvatfn.tasks.update_annotations(session, 1, {}, action="replace")  # expect-error
    cvatfn.tasks.get_frame(session, 1, 0, quality="best")  # expect-error
