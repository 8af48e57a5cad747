"""Organizations (``/api/organizations``) and their memberships (``/api/memberships``).

Work inside an organization by deriving a session with :func:`cvatfn.with_org`; objects
created in that session belong to the organization.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> org = cvatfn.organizations.create(session, {"slug": "lab", "name": "The Lab"}).unwrap()
    >>> in_lab = cvatfn.with_org(session, org.slug)
    >>> cvatfn.projects.create(in_lab, {"name": "p"}).unwrap().organization == org.id
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import msgspec
from returns.result import Failure, Result, Success

from cvatfn._repo import ListFilter, Resource, entity_id
from cvatfn._session import Session
from cvatfn.errors import CvatError, InvalidInput
from cvatfn.filters import FilterLike
from cvatfn.models import (
    BasicOrganization,
    Invitation,
    InvitationSpec,
    Membership,
    MembershipPatch,
    Organization,
    OrganizationPatch,
    OrganizationSpec,
)

__all__ = [
    "create",
    "fetch",
    "get_memberships",
    "invite",
    "iterate",
    "list",
    "remove",
    "remove_membership",
    "retrieve",
    "update",
    "update_membership",
]

RESOURCE = Resource(
    "/api/organizations",
    Organization,
    name="organization",
    filters=frozenset({"name", "owner", "slug"}),
)
MEMBERSHIPS = Resource(
    "/api/memberships", Membership, name="membership", filters=frozenset({"role", "user"})
)
INVITATIONS = Resource("/api/invitations", Invitation, name="invitation")


def create(
    session: Session, spec: OrganizationSpec | Mapping[str, object]
) -> Result[Organization, CvatError]:
    """Create an organization; the caller becomes its owner.

    Examples:
        >>> cvatfn.organizations.create(session, {"slug": "bad slug!"}).failure().field
        'slug'
    """
    return RESOURCE.create(session, OrganizationSpec, spec)


def retrieve(
    session: Session, organization: int | Organization | BasicOrganization
) -> Result[Organization, CvatError]:
    """Get one organization by id.

    Examples:
        >>> cvatfn.organizations.retrieve(session, org.id).unwrap().slug
        'lab'
    """
    return RESOURCE.retrieve(session, organization)


def list(
    session: Session,
    /,
    *,
    search: str | None = None,
    sort: str | None = None,
    filter: FilterLike | None = None,
    **filters: ListFilter,
) -> Result[tuple[Organization, ...], CvatError]:
    """Organizations the user belongs to (all of them, for an admin).

    Equality filters: ``name``, ``owner``, ``slug``.

    Examples:
        >>> [o.slug for o in cvatfn.organizations.list(session).unwrap()]
        ['lab']
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
) -> Iterator[Result[Organization, CvatError]]:
    """Like :func:`list`, lazily.

    Examples:
        >>> [r.unwrap().slug for r in cvatfn.organizations.iterate(session)]
        ['lab']
    """
    return RESOURCE.iterate(session, search=search, sort=sort, filter=filter, filters=filters)


def update(
    session: Session,
    organization: int | Organization | BasicOrganization,
    patch: OrganizationPatch | Mapping[str, object],
) -> Result[Organization, CvatError]:
    """Rename or describe an organization; the result is its new state.

    Examples:
        >>> cvatfn.organizations.update(session, org, {"name": "Lab 2"}).unwrap().name
        'Lab 2'
    """
    return RESOURCE.update(session, organization, OrganizationPatch, patch)


def remove(
    session: Session, organization: int | Organization | BasicOrganization
) -> Result[None, CvatError]:
    """Delete an organization and everything in it.

    Examples:
        >>> temp = cvatfn.organizations.create(session, {"slug": "temp"}).unwrap()
        >>> cvatfn.organizations.remove(session, temp).unwrap() is None
        True
    """
    return RESOURCE.remove(session, organization)


def fetch(session: Session, organization: Organization) -> Result[Organization, CvatError]:
    """A fresh snapshot of ``organization``.

    Examples:
        >>> cvatfn.organizations.fetch(session, org).unwrap().slug
        'lab'
    """
    return RESOURCE.fetch(session, organization)


def get_memberships(
    session: Session, organization: Organization | str
) -> Result[tuple[Membership, ...], CvatError]:
    """The organization's members and their roles (``organization`` or its slug).

    Examples:
        >>> [(m.user.username, m.role) for m in
        ...  cvatfn.organizations.get_memberships(session, org).unwrap()]
        [('admin', 'owner')]
        >>> cvatfn.organizations.get_memberships(session, org.id).failure().field
        'organization'
    """
    slug = _slug_of(organization)
    if isinstance(slug, Failure):
        return Failure(slug.failure())
    scoped = msgspec.structs.replace(session, org=slug.unwrap())
    return MEMBERSHIPS.list(scoped, search=None, sort=None, filter=None, filters={})


def update_membership(
    session: Session, membership: int | Membership, patch: MembershipPatch | Mapping[str, object]
) -> Result[Membership, CvatError]:
    """Change a member's role (``worker``, ``supervisor``, ``maintainer``).

    Examples:
        >>> cvatfn.organizations.update_membership(session, 1, {"role": "boss"}).failure().field
        'role'
    """
    return MEMBERSHIPS.update(session, membership, MembershipPatch, patch)


def remove_membership(session: Session, membership: int | Membership) -> Result[None, CvatError]:
    """Remove a member from an organization.

    Examples:
        >>> cvatfn.organizations.remove_membership(session, 99).failure().status
        404
    """
    ident = entity_id(membership, what="membership")
    if isinstance(ident, Failure):
        return Failure(ident.failure())
    return MEMBERSHIPS.remove(session, ident.unwrap())


def invite(
    session: Session, organization: Organization | str, spec: InvitationSpec | Mapping[str, object]
) -> Result[Invitation, CvatError]:
    """Invite a user (by e-mail) into ``organization`` with a role.

    Examples:
        >>> cvatfn.organizations.invite(session, org, {"role": "worker"}).failure().field
        'email'
    """
    slug = _slug_of(organization)
    if isinstance(slug, Failure):
        return Failure(slug.failure())
    scoped = msgspec.structs.replace(session, org=slug.unwrap())
    return INVITATIONS.create(scoped, InvitationSpec, spec)


def _slug_of(organization: object) -> Result[str, CvatError]:
    """The slug of an organization given as itself or as its slug."""
    slug: object = organization if isinstance(organization, str) else None
    if isinstance(organization, Organization | BasicOrganization):
        slug = organization.slug
    if isinstance(slug, str) and slug:
        return Success(slug)
    return Failure(
        InvalidInput(
            message="organization must be an Organization or its slug (a non-empty str), "
            f"not {organization!r}",
            field="organization",
        )
    )
