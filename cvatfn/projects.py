"""Projects: ``/api/projects``.

Every function takes a :class:`~cvatfn.Session` first and returns a ``Result``; nothing
raises. Functions that take a project accept the :class:`~cvatfn.models.Project` value or its
id.

Example:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> project = cvatfn.projects.create(
    ...     session, {"name": "animals", "labels": [{"name": "cat"}, {"name": "dog"}]}).unwrap()
    >>> [label.name for label in cvatfn.projects.get_labels(session, project).unwrap()]
    ['cat', 'dog']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from returns.result import Result

from cvatfn._repo import IdOrEntity, ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Label, Project, ProjectPatch, ProjectSpec, Task

__all__ = [
    "create",
    "fetch",
    "get_labels",
    "get_tasks",
    "iterate",
    "list",
    "remove",
    "retrieve",
    "update",
]

RESOURCE = Resource(
    "/api/projects",
    Project,
    name="project",
    filters=frozenset({"assignee", "name", "owner", "status"}),
)


def create(session: Session, spec: ProjectSpec | Mapping[str, Any]) -> Result[Project, CvatError]:
    """Create a project (with its labels) and return it.

    Example:
        >>> p1 = cvatfn.projects.create(session, {"name": "p1"}).unwrap()
        >>> p1.name
        'p1'
        >>> cvatfn.projects.create(session, {"nmae": "p1"}).failure().field
        'nmae'
    """
    return RESOURCE.create(session, ProjectSpec, spec)


def retrieve(session: Session, project: IdOrEntity) -> Result[Project, CvatError]:
    """Get one project by id.

    Example:
        >>> cvatfn.projects.retrieve(session, project.id).unwrap().name
        'animals'
    """
    return RESOURCE.retrieve(session, project)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Project, ...], CvatError]:
    """Every visible project that matches, following every page.

    Equality filters: ``assignee``, ``name``, ``owner``, ``status``, ``org``, ``org_id``.

    Example:
        >>> [p.name for p in cvatfn.projects.list(session, name="animals").unwrap()]
        ['animals']
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
) -> Iterator[Result[Project, CvatError]]:
    """Like :func:`list`, lazily, one page at a time.

    Example:
        >>> [r.unwrap().name for r in cvatfn.projects.iterate(session, search="anim")]
        ['animals']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, project: IdOrEntity, patch: ProjectPatch | Mapping[str, Any]
) -> Result[Project, CvatError]:
    """Change a project; the result is the server's new state (``project`` is untouched).

    Example:
        >>> cvatfn.projects.update(session, project, {"name": "pets"}).unwrap().name
        'pets'
    """
    return RESOURCE.update(session, project, ProjectPatch, patch)


def remove(session: Session, project: IdOrEntity) -> Result[None, CvatError]:
    """Delete a project and its tasks.

    Example:
        >>> p = cvatfn.projects.create(session, {"name": "tmp"}).unwrap()
        >>> cvatfn.projects.remove(session, p).unwrap() is None
        True
    """
    return RESOURCE.remove(session, project)


def fetch(session: Session, project: Project) -> Result[Project, CvatError]:
    """A fresh snapshot of ``project``; the given value is not changed.

    Example:
        >>> cvatfn.projects.fetch(session, project).unwrap().name  # renamed above
        'pets'
        >>> project.name
        'animals'
    """
    return RESOURCE.fetch(session, project)


def get_tasks(session: Session, project: IdOrEntity) -> Result[tuple[Task, ...], CvatError]:
    """The project's tasks.

    Example:
        >>> cvatfn.projects.get_tasks(session, project).unwrap()
        ()
    """
    from cvatfn import tasks

    return list_children(session, tasks.RESOURCE, project, "project_id", what="project")


def get_labels(session: Session, project: IdOrEntity) -> Result[tuple[Label, ...], CvatError]:
    """The project's labels (top-level labels and skeletons; sublabels are nested).

    Example:
        >>> [label.name for label in cvatfn.projects.get_labels(session, project).unwrap()]
        ['cat', 'dog']
    """
    from cvatfn import labels

    return list_children(session, labels.RESOURCE, project, "project_id", what="project")
