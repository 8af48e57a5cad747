"""Issues: ``/api/issues``, review remarks pinned to a frame of a job.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.issues.list(session).unwrap()
    ()
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from returns.result import Result

from cvatfn._repo import ListFilter, Resource, list_children
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Comment, Issue, IssuePatch, IssueSpec

__all__ = [
    "create",
    "fetch",
    "get_comments",
    "iterate",
    "list",
    "remove",
    "retrieve",
    "update",
]

RESOURCE = Resource(
    "/api/issues",
    Issue,
    name="issue",
    filters=frozenset({"assignee", "frame_id", "job_id", "owner", "resolved", "task_id"}),
)


def create(session: Session, spec: IssueSpec | Mapping[str, object]) -> Result[Issue, CvatError]:
    """Raise an issue on a frame of a job; ``message`` becomes its first comment.

    Examples:
        >>> cvatfn.issues.create(session, {"frame": 0, "position": [1, 2, 3, 4]}).failure().field
        'job'
    """
    return RESOURCE.create(session, IssueSpec, spec)


def retrieve(session: Session, issue: int | Issue) -> Result[Issue, CvatError]:
    """Get one issue by id.

    Examples:
        >>> cvatfn.issues.retrieve(session, 5).failure().status
        404
    """
    return RESOURCE.retrieve(session, issue)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Issue, ...], CvatError]:
    """Issues that match. Equality filters: ``assignee``, ``frame_id``, ``job_id``, ``owner``,
    ``resolved``, ``task_id``, ``org``, ``org_id``.

    Examples:
        >>> cvatfn.issues.list(session, resolved=False).unwrap()
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
) -> Iterator[Result[Issue, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> next(cvatfn.issues.iterate(session), None) is None
        True
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, issue: int | Issue, patch: IssuePatch | Mapping[str, object]
) -> Result[Issue, CvatError]:
    """Resolve, reopen, reassign or move an issue; the result is its new state.

    Examples:
        >>> cvatfn.issues.update(session, 5, {"resolved": True}).failure().status
        404
    """
    return RESOURCE.update(session, issue, IssuePatch, patch)


def remove(session: Session, issue: int | Issue) -> Result[None, CvatError]:
    """Delete an issue with its comments.

    Examples:
        >>> cvatfn.issues.remove(session, 5).failure().status
        404
    """
    return RESOURCE.remove(session, issue)


def fetch(session: Session, issue: Issue) -> Result[Issue, CvatError]:
    """A fresh snapshot of ``issue``.

    Examples:
        >>> cvatfn.issues.fetch(session, 5).failure().status  # an id works too
        404
    """
    return RESOURCE.fetch(session, issue)


def get_comments(session: Session, issue: int | Issue) -> Result[tuple[Comment, ...], CvatError]:
    """The issue's comments, oldest first.

    Examples:
        >>> cvatfn.issues.get_comments(session, 5).unwrap()
        ()
    """
    from cvatfn import comments

    return list_children(session, comments.RESOURCE, issue, "issue_id", what="issue")
