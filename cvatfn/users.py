"""Users: ``/api/users``.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> cvatfn.users.retrieve_current_user(session).unwrap().username
    'admin'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from returns.result import Result

from cvatfn import _api
from cvatfn._flow import run
from cvatfn._repo import ListFilter, Resource
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.filters import FilterLike
from cvatfn.models import BasicUser, User, UserPatch

__all__ = ["fetch", "iterate", "list", "remove", "retrieve", "retrieve_current_user", "update"]

RESOURCE = Resource(
    "/api/users",
    User,
    name="user",
    filters=frozenset({"first_name", "is_active", "last_name", "username"}),
)


def retrieve_current_user(session: Session) -> Result[User, CvatError]:
    """The user this session is logged in as (``/api/users/self``).

    Examples:
        >>> cvatfn.users.retrieve_current_user(session).unwrap().is_superuser
        True
    """
    request = _api.build_request(session, "GET", "/api/users/self")
    return run(session, _api.call(User, request, session.config))


def retrieve(session: Session, user: int | User | BasicUser) -> Result[User, CvatError]:
    """Get one user by id.

    Examples:
        >>> cvatfn.users.retrieve(session, 1).unwrap().username
        'admin'
    """
    return RESOURCE.retrieve(session, user)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[User, ...], CvatError]:
    """Every user that matches. Equality filters: ``first_name``, ``is_active``,
    ``last_name``, ``username``, ``org``, ``org_id``.

    Examples:
        >>> [u.username for u in cvatfn.users.list(session, username="admin").unwrap()]
        ['admin']
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
) -> Iterator[Result[User, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> [r.unwrap().username for r in cvatfn.users.iterate(session)]
        ['admin']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session, user: int | User | BasicUser, patch: UserPatch | Mapping[str, object]
) -> Result[User, CvatError]:
    """Change a user's profile fields; the result is the new state.

    Examples:
        >>> cvatfn.users.update(session, 1, {"first_name": "Ada"}).unwrap().first_name
        'Ada'
    """
    return RESOURCE.update(session, user, UserPatch, patch)


def remove(session: Session, user: int | User | BasicUser) -> Result[None, CvatError]:
    """Delete a user (administrators only).

    Examples:
        >>> cvatfn.users.remove(session, 42).failure().status
        404
    """
    return RESOURCE.remove(session, user)


def fetch(session: Session, user: User) -> Result[User, CvatError]:
    """A fresh snapshot of ``user``.

    Examples:
        >>> me = cvatfn.users.retrieve_current_user(session).unwrap()
        >>> cvatfn.users.fetch(session, me).unwrap().id == me.id
        True
    """
    return RESOURCE.fetch(session, user)
