"""What a user's type checker sees. Checked by mypy --strict and pyright --strict in
``make test``; it is also imported by pytest, so it must run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_never, assert_type

from returns.result import Failure, Result, Success

import cvatfn
from cvatfn.errors import (
    BackgroundFailed,
    BadRequest,
    Conflict,
    CvatError,
    DeadlineExceeded,
    Forbidden,
    InsecureConnection,
    InvalidInput,
    LocalFileError,
    NotFound,
    RateLimited,
    ServerError,
    TransportFailure,
    Unauthorized,
    UnexpectedResponse,
    UnsupportedServer,
)
from cvatfn.models import Job, Label, Project, Task
from cvatfn_fake import FakeServer


def describe(error: CvatError) -> str:
    """An exhaustive match over the error union: removing a case is a type error."""
    match error:
        case InvalidInput(field=field):
            return f"bad input {field}"
        case LocalFileError(path=path):
            return f"local file {path}"
        case TransportFailure(kind=kind):
            return f"transport {kind}"
        case BadRequest(errors=errors):
            return f"bad request {sorted(errors)}"
        case Unauthorized() | Forbidden() | NotFound() | Conflict() | ServerError():
            return f"http {error.status}"
        case RateLimited(retry_after=retry_after):
            return f"rate limited {retry_after}"
        case UnexpectedResponse() | UnsupportedServer() | InsecureConnection():
            return error.message
        case BackgroundFailed(request_id=rq_id):
            return f"background {rq_id}"
        case DeadlineExceeded(seconds=seconds):
            return f"deadline {seconds}"
        case _:
            assert_never(error)


def program() -> list[str]:
    server = FakeServer()
    session_result = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), transport=server.transport()
    )
    assert_type(session_result, Result[cvatfn.Session, CvatError])
    session = session_result.unwrap()

    retrieved = cvatfn.tasks.retrieve(session, 42)
    assert_type(retrieved, Result[Task, CvatError])
    out: list[str] = []
    match retrieved:
        case Success(Task() as task):
            assert_type(task, Task)
            out.append(task.name)
        case Failure(NotFound() as missing):
            out.append(f"missing {missing.status}")
        case Failure(error):
            out.append(describe(error))
        case _:
            pass

    project = cvatfn.projects.create(session, {"name": "p", "labels": [{"name": "cat"}]})
    assert_type(project, Result[Project, CvatError])
    names = project.map(lambda p: p.name)
    assert_type(names, Result[str, CvatError])
    out.append(names.value_or("?"))

    labels = cvatfn.projects.get_labels(session, project.unwrap())
    assert_type(labels, Result[tuple[Label, ...], CvatError])

    stream = cvatfn.tasks.iterate(session, sort="-id")
    assert_type(stream, Iterator[Result[Task, CvatError]])

    with cvatfn.make_client(
        "http://localhost", credentials=("admin", "admin"), transport=server.transport()
    ) as client:
        updated = client.projects.update(project.unwrap(), {"name": "q"})
        assert_type(updated, Result[Project, CvatError])
        jobs = client.tasks.get_jobs(1)
        assert_type(jobs, Result[tuple[Job, ...], CvatError])
        out.append(updated.map(lambda p: p.name).value_or("?"))
    return out


def pipeline(session: cvatfn.Session) -> Result[Job, CvatError]:
    """Composition that pyright strict accepts: and_then instead of .bind."""
    jobs = cvatfn.and_then(
        cvatfn.tasks.retrieve(session, 42), lambda task: cvatfn.tasks.get_jobs(session, task)
    )
    assert_type(jobs, Result[tuple[Job, ...], CvatError])
    everything = cvatfn.collect(cvatfn.tasks.iterate(session))
    assert_type(everything, Result[tuple[Task, ...], CvatError])
    return jobs.map(lambda found: found[0])
