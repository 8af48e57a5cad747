"""An entity of one kind where another is expected."""

from __future__ import annotations

import cvatfn
from cvatfn.models import Job, Project, Task


def job_for_task(session: cvatfn.Session, job: Job) -> None:
    cvatfn.tasks.fetch(session, job)  # expect-error
    cvatfn.tasks.get_jobs(session, job)  # expect-error
    cvatfn.tasks.remove(session, job)  # expect-error
    cvatfn.tasks.get_annotations(session, job)  # expect-error
    cvatfn.tasks.get_jobs(session, job.task_id)  # the id is fine


def task_for_project(session: cvatfn.Session, task: Task) -> None:
    cvatfn.projects.get_tasks(session, task)  # expect-error
    cvatfn.jobs.retrieve(session, task)  # expect-error


def bound_methods(client: cvatfn.Client, job: Job, project: Project) -> None:
    client.tasks.update(job, {"name": "x"})  # expect-error
    client.tasks.fetch(project)  # expect-error
    client.jobs.update(job, {"stage": "validation"})  # this one is right
