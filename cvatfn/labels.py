"""Labels: ``/api/labels``. Labels are created with their project or task (``labels`` in the
spec or patch); this module reads, changes and removes them.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> p = cvatfn.projects.create(session, {"name": "p", "labels": [{"name": "cat"}]}).unwrap()
    >>> [label.name for label in cvatfn.labels.list(session, project_id=p.id).unwrap()]
    ['cat']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from returns.result import Result

from cvatfn._repo import ListFilter, Resource
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Label, LabelPatch

__all__ = ["fetch", "iterate", "list", "remove", "retrieve", "update"]

RESOURCE = Resource(
    "/api/labels",
    Label,
    name="label",
    filters=frozenset(
        {"color", "job_id", "name", "parent", "parent_id", "project_id", "task_id", "type"}
    ),
)


def retrieve(session: Session, label: int | Label) -> Result[Label, CvatError]:
    """Get one label by id.

    Examples:
        >>> cvatfn.labels.retrieve(session, 1).unwrap().name
        'cat'
    """
    return RESOURCE.retrieve(session, label)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Label, ...], CvatError]:
    """Labels that match. Equality filters: ``color``, ``job_id``, ``name``, ``parent``,
    ``parent_id``, ``project_id``, ``task_id``, ``type``, ``org``, ``org_id``.

    Examples:
        >>> [label.name for label in cvatfn.labels.list(session, name="cat").unwrap()]
        ['cat']
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
) -> Iterator[Result[Label, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> [r.unwrap().name for r in cvatfn.labels.iterate(session)]
        ['cat']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, label: int | Label, patch: LabelPatch | Mapping[str, object]
) -> Result[Label, CvatError]:
    """Change a label (name, color, attributes); the result is the new state.

    Examples:
        >>> cvatfn.labels.update(session, 1, {"name": "kitten"}).unwrap().name
        'kitten'
    """
    return RESOURCE.update(session, label, LabelPatch, patch)


def remove(session: Session, label: int | Label) -> Result[None, CvatError]:
    """Delete a label and every annotation that uses it.

    Examples:
        >>> p2 = cvatfn.projects.create(session, {"name": "p2", "labels": [{"name": "tmp"}]})
        >>> tmp = cvatfn.labels.list(session, project_id=p2.unwrap().id).unwrap()[0]
        >>> cvatfn.labels.remove(session, tmp).unwrap() is None
        True
    """
    return RESOURCE.remove(session, label)


def fetch(session: Session, label: Label) -> Result[Label, CvatError]:
    """A fresh snapshot of ``label``.

    Examples:
        >>> cat = cvatfn.labels.retrieve(session, 1).unwrap()
        >>> cvatfn.labels.fetch(session, cat).unwrap().name
        'kitten'
    """
    return RESOURCE.fetch(session, label)
