"""Organizations, memberships and invitations.

Theory of operation
-------------------
Creating an organization makes its creator an active ``owner`` member. Other users join
through invitations: ``POST /api/invitations {role, email}`` (in the organization's context)
creates an inactive membership and an invitation key; ``POST /api/invitations/{key}/accept``
activates the membership (answering ``{"organization_slug": ...}``) and ``.../decline``
deletes both. Owners and maintainers manage memberships; a maintainer cannot touch owners or
other maintainers, nobody can change the owner's membership, and a member may leave by
deleting their own membership. Invitations expire after 7 days, as CVAT's default.

Who may see and change what is decided in ``_iam`` (``visible_org``, ``can_org``,
``visible_membership``, ``can_membership``): an organization the user is not in is a 404,
as CVAT filters the organizations queryset for every action.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, isodate, render, user_ref
from ._errors import detail, field_error, not_found, permission_denied
from ._fields import Fields, present
from ._iam import (
    can_membership,
    can_org,
    has_priv,
    has_role,
    request_org,
    role,
    visible_membership,
    visible_org,
)
from ._listing import ListSpec, paginate
from ._state import ORG_ROLES, Invitation, Membership, Organization, User

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

INVITATION_TTL = 7 * 24 * 3600
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

ORG_LIST = ListSpec(
    filter_fields=("id", "name", "owner", "slug"),
    search_fields=("name", "owner", "slug"),
    sort_fields=("id", "name", "owner", "slug"),
    simple_filters=("name", "owner", "slug"),
)
MEMBERSHIP_LIST = ListSpec(
    filter_fields=("id", "role", "user"),
    search_fields=("user",),
    sort_fields=("id", "role", "user"),
    simple_filters=("role", "user"),
    choices={"role": ORG_ROLES},
)
INVITATION_LIST = ListSpec(
    filter_fields=("accepted", "id", "owner", "user_id"),
    search_fields=("owner",),
    sort_fields=("accepted", "created_date", "owner", "user_id"),
    simple_filters=("accepted", "owner", "user_id"),
    default_sort="-created_date",
)


# ------------------------------------------------------------------------- helpers
def add_organization(srv: FakeServer, slug: str, *, owner: str, name: str | None) -> int:
    user = srv.state.user_by_name(owner)
    if user is None:
        raise ValueError(f"unknown user {owner!r}")
    return _create_org(srv, user, slug, name or slug, "", {}).id


def _create_org(
    srv: FakeServer, user: User, slug: str, name: str, description: str, contact: dict[str, Any]
) -> Organization:
    now = srv.now()
    org = Organization(
        srv.state.next_id("organization"), slug, name, description, contact, user.id, now, now
    )
    srv.state.organizations[org.id] = org
    mid = srv.state.next_id("membership")
    srv.state.memberships[mid] = Membership(mid, org.id, user.id, "owner", True, now, None)
    return org


def add_membership(srv: FakeServer, org_slug: str, username: str, role_name: str) -> int:
    org = srv.state.org_by_slug(org_slug)
    user = srv.state.user_by_name(username)
    if org is None or user is None:
        raise ValueError("unknown organization or user")
    if role_name not in ORG_ROLES:
        raise ValueError(f"unknown role {role_name!r}")
    existing = srv.state.membership(org.id, user.id)
    if existing is not None:
        existing.role, existing.is_active = role_name, True
        return existing.id
    mid = srv.state.next_id("membership")
    srv.state.memberships[mid] = Membership(mid, org.id, user.id, role_name, True, srv.now(), None)
    return mid


def org_json(ctx: Ctx, org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "description": org.description,
        "created_date": isodate(org.created),
        "updated_date": isodate(org.updated),
        "contact": org.contact,
        "owner": user_ref(ctx, ctx.server.state.users.get(org.owner_id)),
    }


def membership_json(ctx: Ctx, m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "user": user_ref(ctx, ctx.server.state.users.get(m.user_id)),
        "organization": m.org_id,
        "is_active": m.is_active,
        "joined_date": isodate(m.joined),
        "role": m.role,
        "invitation": m.invitation,
    }


def invitation_json(ctx: Ctx, inv: Invitation) -> dict[str, Any]:
    org = ctx.server.state.organizations[inv.org_id]
    return {
        "key": inv.key,
        "created_date": isodate(inv.created),
        "owner": user_ref(ctx, ctx.server.state.users.get(inv.owner_id)),
        "role": inv.role,
        "user": user_ref(ctx, ctx.server.state.users.get(inv.user_id)),
        "organization": inv.org_id,
        "expired": _expired(ctx.server, inv),
        "accepted": inv.accepted,
        "organization_info": {"id": org.id, "slug": org.slug},
    }


def _expired(srv: FakeServer, inv: Invitation) -> bool:
    return (inv.sent or inv.created) + INVITATION_TTL < srv.now()


def _username(srv: FakeServer, user_id: int | None) -> str | None:
    user = srv.state.users.get(user_id) if user_id is not None else None
    return user.username if user is not None else None


# --------------------------------------------------------------------- organizations
def list_orgs(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    orgs = [o for o in srv.state.organizations.values() if visible_org(srv, user, o)]

    def value(org: Organization, name: str) -> Any:
        return _username(srv, org.owner_id) if name == "owner" else getattr(org, name)

    return paginate(ctx, ORG_LIST, orgs, value, lambda o: org_json(ctx, o))


def _read_org(
    srv: FakeServer, data: dict[str, Any], *, partial: bool, current: int | None
) -> dict[str, Any]:
    fields = Fields(data, partial=partial)
    slug = fields.string("slug", required=True, max_length=16)
    name = fields.string("name", max_length=64, blank=True)
    description = fields.string("description", blank=True)
    if present(slug):
        if not _SLUG.match(slug):
            fields.error(
                "slug",
                'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
            )
        elif any(o.slug == slug and o.id != current for o in srv.state.organizations.values()):
            fields.error("slug", "organization with this slug already exists.")
    contact = data.get("contact", {}) if "contact" in data else None
    if contact is not None and not isinstance(contact, dict):
        fields.error("contact", "Value must be valid JSON.")
    fields.done()
    out: dict[str, Any] = {}
    for key, value in (("slug", slug), ("name", name), ("description", description)):
        if present(value):
            out[key] = value
    if contact is not None:
        out["contact"] = contact
    return out


def create_org(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    if not user.is_superuser and not has_priv(user, "user"):
        raise permission_denied()
    values = _read_org(srv, ctx.data(), partial=False, current=None)
    org = _create_org(
        srv,
        user,
        values["slug"],
        values.get("name") or values["slug"],
        values.get("description", ""),
        values.get("contact", {}),
    )
    return render(ctx, 201, org_json(ctx, org))


def _get_org(srv: FakeServer, ctx: Ctx, org_id: str, scope: str) -> Organization:
    """404 unless the user is in the organization (CVAT filters the queryset), then 403."""
    user = require_user(ctx)
    org = srv.state.organizations.get(int(org_id))
    if org is None or not visible_org(srv, user, org):
        raise not_found("Organization")
    if not can_org(srv, user, org, scope):
        raise permission_denied()
    return org


def retrieve_org(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, org_json(ctx, _get_org(srv, ctx, id, "view")))


def update_org(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    org = _get_org(srv, ctx, id, "update")
    values = _read_org(srv, ctx.data(), partial=True, current=org.id)
    for key, value in values.items():
        setattr(org, key, value)
    org.updated = srv.now()
    return render(ctx, 200, org_json(ctx, org))


def delete_org(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    org = _get_org(srv, ctx, id, "delete")
    state = srv.state
    del state.organizations[org.id]
    for mid in [m.id for m in state.memberships.values() if m.org_id == org.id]:
        del state.memberships[mid]
    for key in [k for k, i in state.invitations.items() if i.org_id == org.id]:
        del state.invitations[key]
    for pid in [p.id for p in state.projects.values() if p.org_id == org.id]:
        from ._projects import delete_project_cascade

        delete_project_cascade(srv, pid)
    for tid in [t.id for t in state.tasks.values() if t.org_id == org.id]:
        from ._tasks import delete_task_cascade

        delete_task_cascade(srv, tid)
    return render(ctx, 204, None)


# ----------------------------------------------------------------------- memberships
def list_memberships(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    if scope.org is not None and not user.is_superuser and role(srv, scope.org.id, user) is None:
        raise permission_denied()
    items = [m for m in srv.state.memberships.values() if visible_membership(srv, user, scope, m)]

    def value(m: Membership, name: str) -> Any:
        return _username(srv, m.user_id) if name == "user" else getattr(m, name)

    return paginate(ctx, MEMBERSHIP_LIST, items, value, lambda m: membership_json(ctx, m))


def _get_membership(
    srv: FakeServer, ctx: Ctx, membership_id: str, scope: str
) -> tuple[User, Membership]:
    user = require_user(ctx)
    membership = srv.state.memberships.get(int(membership_id))
    if membership is None:
        raise not_found("Membership")
    if not can_membership(srv, user, membership, scope):
        raise permission_denied()
    if scope != "view" and membership.role == "owner":
        raise permission_denied()  # nobody changes or removes the owner's membership
    return user, membership


def retrieve_membership(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, membership_json(ctx, _get_membership(srv, ctx, id, "view")[1]))


def update_membership(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    data = ctx.data()
    current = srv.state.memberships.get(int(id))
    # CVAT asks change:role only when the role changes, before validating the value.
    changing = current is not None and "role" in data and data["role"] != current.role
    _, membership = _get_membership(srv, ctx, id, "change:role" if changing else "view")
    fields = Fields(data, partial=True)
    new_role = fields.choice("role", ORG_ROLES)
    fields.done()
    if present(new_role) and new_role == "owner":
        raise field_error("role", '"owner" is not a valid choice.')
    if present(new_role):
        membership.role = new_role
    return render(ctx, 200, membership_json(ctx, membership))


def delete_membership(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    _, membership = _get_membership(srv, ctx, id, "delete")
    del srv.state.memberships[membership.id]
    if membership.invitation:
        srv.state.invitations.pop(membership.invitation, None)
    return render(ctx, 204, None)


# ----------------------------------------------------------------------- invitations
def list_invitations(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    items: list[Invitation] = []
    for inv in srv.state.invitations.values():
        if scope.specified and (scope.org is None or inv.org_id != scope.org.id):
            continue
        if (
            user.is_superuser
            or user.id in (inv.user_id, inv.owner_id)
            or has_role(srv, inv.org_id, user, "maintainer")
        ):
            items.append(inv)

    def value(inv: Invitation, name: str) -> Any:
        if name == "owner":
            return _username(srv, inv.owner_id)
        if name == "created_date":
            return inv.created
        if name == "id":
            return inv.key
        return getattr(inv, name)

    return paginate(ctx, INVITATION_LIST, items, value, lambda i: invitation_json(ctx, i))


def create_invitation(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    fields = Fields(ctx.data(), partial=False)
    new_role = fields.choice("role", ORG_ROLES, required=True)
    email = fields.string("email", required=True)
    fields.done()
    org = scope.org
    if org is None:
        raise permission_denied()
    own = role(srv, org.id, user)
    allowed = (
        user.is_superuser
        or own == "owner"
        or (own == "maintainer" and new_role in ("worker", "supervisor"))
    )
    if not allowed:
        raise permission_denied()
    if new_role == "owner":
        raise field_error("role", '"owner" is not a valid choice.')
    invitee = next((u for u in srv.state.users.values() if u.email and u.email == email), None)
    if invitee is None:
        raise field_error("email", f"User with the email '{email}' does not exist.")
    if srv.state.membership(org.id, invitee.id) is not None:
        raise detail(400, "The user is a member of the organization already.")
    key = srv.random_string(64, string.ascii_letters + string.digits)
    now = srv.now()
    inv = Invitation(key, org.id, user.id, invitee.id, new_role, now)
    srv.state.invitations[key] = inv
    mid = srv.state.next_id("membership")
    srv.state.memberships[mid] = Membership(mid, org.id, invitee.id, new_role, False, None, key)
    return render(ctx, 201, invitation_json(ctx, inv))


def _get_invitation(srv: FakeServer, ctx: Ctx, key: str) -> tuple[User, Invitation]:
    user = require_user(ctx)
    inv = srv.state.invitations.get(key)
    if inv is None:
        raise not_found("Invitation")
    return user, inv


def retrieve_invitation(srv: FakeServer, ctx: Ctx, key: str) -> HttpResponse:
    user, inv = _get_invitation(srv, ctx, key)
    if not (
        user.is_superuser
        or user.id in (inv.user_id, inv.owner_id)
        or has_role(srv, inv.org_id, user, "maintainer")
    ):
        raise permission_denied()
    return render(ctx, 200, invitation_json(ctx, inv))


def _membership_of(srv: FakeServer, inv: Invitation) -> Membership | None:
    return next((m for m in srv.state.memberships.values() if m.invitation == inv.key), None)


def accept_invitation(srv: FakeServer, ctx: Ctx, key: str) -> HttpResponse:
    user, inv = _get_invitation(srv, ctx, key)
    if inv.user_id != user.id:
        raise permission_denied()
    if _expired(srv, inv):
        raise detail(
            400, "Your invitation is expired. Please contact organization owner to renew it."
        )
    if inv.accepted:
        raise detail(400, "Your invitation is already accepted.")
    inv.accepted = True
    membership = _membership_of(srv, inv)
    if membership is not None:
        membership.is_active = True
        membership.joined = srv.now()
    org = srv.state.organizations[inv.org_id]
    return render(ctx, 200, {"organization_slug": org.slug})


def decline_invitation(srv: FakeServer, ctx: Ctx, key: str) -> HttpResponse:
    user, inv = _get_invitation(srv, ctx, key)
    if inv.user_id != user.id:
        raise permission_denied()
    if inv.accepted:
        raise detail(400, "Your invitation is already accepted.")
    membership = _membership_of(srv, inv)
    if membership is not None:
        del srv.state.memberships[membership.id]
    del srv.state.invitations[inv.key]
    return render(ctx, 204, None)


def resend_invitation(srv: FakeServer, ctx: Ctx, key: str) -> HttpResponse:
    user, inv = _get_invitation(srv, ctx, key)
    if not (
        user.is_superuser
        or inv.owner_id == user.id
        or has_role(srv, inv.org_id, user, "maintainer")
    ):
        raise permission_denied()
    inv.sent = srv.now()
    return render(ctx, 204, None)


def delete_invitation(srv: FakeServer, ctx: Ctx, key: str) -> HttpResponse:
    user, inv = _get_invitation(srv, ctx, key)
    if not (
        user.is_superuser
        or inv.owner_id == user.id
        or has_role(srv, inv.org_id, user, "maintainer")
    ):
        raise permission_denied()
    membership = _membership_of(srv, inv)
    if membership is not None and not membership.is_active:
        del srv.state.memberships[membership.id]
    del srv.state.invitations[inv.key]
    return render(ctx, 204, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/organizations", list_orgs)
    router.add("POST", r"/api/organizations", create_org)
    router.add("GET", r"/api/organizations/(?P<id>\d+)", retrieve_org)
    router.add("PATCH", r"/api/organizations/(?P<id>\d+)", update_org)
    router.add("DELETE", r"/api/organizations/(?P<id>\d+)", delete_org)
    router.add("GET", r"/api/memberships", list_memberships)
    router.add("GET", r"/api/memberships/(?P<id>\d+)", retrieve_membership)
    router.add("PATCH", r"/api/memberships/(?P<id>\d+)", update_membership)
    router.add("DELETE", r"/api/memberships/(?P<id>\d+)", delete_membership)
    router.add("GET", r"/api/invitations", list_invitations)
    router.add("POST", r"/api/invitations", create_invitation)
    router.add("GET", r"/api/invitations/(?P<key>[^/]+)", retrieve_invitation)
    router.add("DELETE", r"/api/invitations/(?P<key>[^/]+)", delete_invitation)
    router.add("POST", r"/api/invitations/(?P<key>[^/]+)/accept", accept_invitation)
    router.add("POST", r"/api/invitations/(?P<key>[^/]+)/decline", decline_invitation)
    router.add("POST", r"/api/invitations/(?P<key>[^/]+)/resend", resend_invitation)
