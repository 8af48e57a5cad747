"""Jobs: ``/api/jobs``. CVAT cuts a task's frames into jobs by ``segment_size``.

Every function takes a :class:`~cvatfn.Session` first and returns a ``Result``; nothing
raises. Functions that take a job accept the :class:`~cvatfn.models.Job` value or its id.

Example:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.jobs.list(session).unwrap()
    ()
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from returns.result import Result

from cvatfn._repo import IdOrEntity, ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Issue, Job, JobPatch, JobSpec, Label

__all__ = [
    "create",
    "fetch",
    "get_issues",
    "get_labels",
    "iterate",
    "list",
    "remove",
    "retrieve",
    "update",
]

RESOURCE = Resource(
    "/api/jobs",
    Job,
    name="job",
    filters=frozenset(
        {
            "assignee",
            "dimension",
            "media_type",
            "mode",
            "parent_job_id",
            "project_id",
            "project_name",
            "stage",
            "state",
            "task_id",
            "task_name",
            "type",
        }
    ),
)


def create(session: Session, spec: JobSpec | Mapping[str, Any]) -> Result[Job, CvatError]:
    """Create a ground-truth (validation) job in a task; annotation jobs come from the data.

    Example:
        >>> cvatfn.jobs.create(session, {"type": "ground_truth"}).failure().field
        'task_id'
    """
    return RESOURCE.create(session, JobSpec, spec)


def retrieve(session: Session, job: IdOrEntity) -> Result[Job, CvatError]:
    """Get one job by id.

    Example:
        >>> cvatfn.jobs.retrieve(session, 999).failure().status
        404
    """
    return RESOURCE.retrieve(session, job)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Job, ...], CvatError]:
    """Every visible job that matches, following every page.

    Equality filters: ``assignee``, ``dimension``, ``media_type``, ``mode``,
    ``parent_job_id``, ``project_id``, ``project_name``, ``stage``, ``state``, ``task_id``,
    ``task_name``, ``type``, ``org``, ``org_id``.

    Example:
        >>> cvatfn.jobs.list(session, stage="validation").unwrap()
        ()
    """
    return RESOURCE.list(session, search=search, sort=sort, filter=filter, filters=filters)


def iterate(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Iterator[Result[Job, CvatError]]:
    """Like :func:`list`, lazily.

    Example:
        >>> next(cvatfn.jobs.iterate(session), None) is None
        True
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, job: IdOrEntity, patch: JobPatch | Mapping[str, Any]
) -> Result[Job, CvatError]:
    """Change a job's ``stage``, ``state`` or ``assignee``; the result is its new state.

    Example:
        >>> cvatfn.jobs.update(session, 1, {"stage": "review"}).failure().field
        'stage'
    """
    return RESOURCE.update(session, job, JobPatch, patch)


def remove(session: Session, job: IdOrEntity) -> Result[None, CvatError]:
    """Delete a job (CVAT allows this for ground-truth jobs only).

    Example:
        >>> cvatfn.jobs.remove(session, "7").failure().message  # type: ignore[arg-type]
        'job must be an id (int) or an entity with an id, not str'
    """
    return RESOURCE.remove(session, job)


def fetch(session: Session, job: Job) -> Result[Job, CvatError]:
    """A fresh snapshot of ``job``; the given value is not changed.

    Example:
        >>> cvatfn.jobs.fetch(session, "nope").failure().field  # type: ignore[arg-type]
        'job'
    """
    return RESOURCE.fetch(session, job)


def get_labels(session: Session, job: IdOrEntity) -> Result[tuple[Label, ...], CvatError]:
    """The labels available in the job (its task's or project's).

    Example:
        >>> cvatfn.jobs.get_labels(session, 999).failure().status
        404
    """
    from cvatfn import labels

    return list_children(session, labels.RESOURCE, job, "job_id", what="job")


def get_issues(session: Session, job: IdOrEntity) -> Result[tuple[Issue, ...], CvatError]:
    """The issues raised in the job.

    Example:
        >>> cvatfn.jobs.get_issues(session, 999).unwrap()
        ()
    """
    from cvatfn import issues

    return list_children(session, issues.RESOURCE, job, "job_id", what="job")
