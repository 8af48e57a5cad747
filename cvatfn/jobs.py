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
from pathlib import Path
from typing import Any

from returns.result import Result

from cvatfn import _transfer
from cvatfn._repo import IdOrEntity, ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Issue, Job, JobPatch, JobSpec, Label
from cvatfn.progress import ProgressReporter

__all__ = [
    "create",
    "export_dataset",
    "fetch",
    "get_issues",
    "get_labels",
    "import_annotations",
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


def export_dataset(
    session: Session,
    job: IdOrEntity,
    format_name: str,
    path: _transfer.PathLike,
    *,
    include_images: bool = False,
    progress: ProgressReporter | None = None,
) -> Result[Path, CvatError]:
    """Export the job's annotations (with its images if ``include_images``) in
    ``format_name`` and download the file to ``path``; the result is the path.

    Works like :func:`cvatfn.tasks.export_dataset`, for the job's frames only.

    Example:
        >>> cvatfn.jobs.export_dataset(session, 0, "CVAT for images 1.1", "out.zip").failure().field
        'job'
    """
    return _transfer.export_dataset(
        session,
        "job",
        job,
        format_name,
        path,
        include_images=include_images,
        progress=progress,
    )


def import_annotations(
    session: Session,
    job: IdOrEntity,
    format_name: str,
    path: _transfer.PathLike,
    *,
    import_mode: _transfer.ImportMode | None = None,
    conv_mask_to_poly: bool | None = None,
    progress: ProgressReporter | None = None,
) -> Result[None, CvatError]:
    """Upload an annotation file in ``format_name`` into the job and wait until the server has
    imported it.

    Works like :func:`cvatfn.tasks.import_annotations`, for the job's frames only.

    Example:
        >>> cvatfn.jobs.import_annotations(session, 1, "", "annotations.xml").failure().field
        'format_name'
    """
    return _transfer.import_annotations(
        session,
        "job",
        job,
        format_name,
        path,
        import_mode=import_mode,
        conv_mask_to_poly=conv_mask_to_poly,
        progress=progress,
    )
