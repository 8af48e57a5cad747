"""Comments: ``/api/comments``, the discussion under an issue.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.comments.list(session).unwrap()
    ()
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from returns.result import Result

from cvatfn._repo import ListFilter, Resource
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import Comment, CommentPatch, CommentSpec

__all__ = ["create", "fetch", "iterate", "list", "remove", "retrieve", "update"]

RESOURCE = Resource(
    "/api/comments",
    Comment,
    name="comment",
    filters=frozenset({"frame_id", "issue_id", "job_id", "owner"}),
)


def create(
    session: Session, spec: CommentSpec | Mapping[str, object]
) -> Result[Comment, CvatError]:
    """Add a comment to an issue.

    Examples:
        >>> cvatfn.comments.create(session, {"issue": 1}).failure().status  # no such issue
        400
    """
    return RESOURCE.create(session, CommentSpec, spec)


def retrieve(session: Session, comment: int | Comment) -> Result[Comment, CvatError]:
    """Get one comment by id.

    Examples:
        >>> cvatfn.comments.retrieve(session, 3).failure().status
        404
    """
    return RESOURCE.retrieve(session, comment)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Comment, ...], CvatError]:
    """Comments that match. Equality filters: ``frame_id``, ``issue_id``, ``job_id``,
    ``owner``, ``org``, ``org_id``.

    Examples:
        >>> cvatfn.comments.list(session, owner="admin").unwrap()
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
) -> Iterator[Result[Comment, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> next(cvatfn.comments.iterate(session), None) is None
        True
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, comment: int | Comment, patch: CommentPatch | Mapping[str, object]
) -> Result[Comment, CvatError]:
    """Edit a comment's message; the result is its new state.

    Examples:
        >>> cvatfn.comments.update(session, 3, {"message": "ok"}).failure().status
        404
    """
    return RESOURCE.update(session, comment, CommentPatch, patch)


def remove(session: Session, comment: int | Comment) -> Result[None, CvatError]:
    """Delete a comment.

    Examples:
        >>> cvatfn.comments.remove(session, 3).failure().status
        404
    """
    return RESOURCE.remove(session, comment)


def fetch(session: Session, comment: Comment) -> Result[Comment, CvatError]:
    """A fresh snapshot of ``comment``.

    Examples:
        >>> cvatfn.comments.fetch(session, 3).failure().status  # an id works too
        404
    """
    return RESOURCE.fetch(session, comment)
