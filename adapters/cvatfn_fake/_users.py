"""Users: ``/api/users``, ``/api/users/self``, ``/api/users/{id}``.

Theory of operation
-------------------
As in CVAT's ``UserViewSet``, staff users see every user with all fields; other users get
the full representation only of themselves (on safe methods) and ``BasicUser`` otherwise.
The list is filtered by the users rego rule: an admin sees everyone, a regular user sees
only themself in the sandbox and the members of the organization selected by the request.
A user may retrieve themself and, while a member of the organization the request selects,
any user (the requester's membership counts, not the retrieved user's); only an admin or the
user themself may change or delete an account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import SAFE_METHODS, require_user
from ._context import Ctx, absolute, isodate, render, user_ref
from ._errors import invalid, not_found, permission_denied
from ._fields import Fields, present
from ._iam import can_view_user, check_list_scope, request_org
from ._listing import ListSpec, paginate
from ._state import Project, Task, User

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

USER_LIST = ListSpec(
    filter_fields=("first_name", "id", "is_active", "last_name", "username"),
    search_fields=("first_name", "last_name", "username"),
    sort_fields=("first_name", "id", "is_active", "last_name", "username"),
    simple_filters=("first_name", "is_active", "last_name", "username"),
    default_sort="-id",
)


def full_json(ctx: Ctx, user: User) -> dict[str, Any]:
    return {
        "url": absolute(ctx, f"/api/users/{user.id}"),
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [user.group],
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
        "last_login": isodate(user.last_login),
        "date_joined": isodate(user.date_joined),
        "has_analytics_access": user.is_superuser,
    }


def _json(ctx: Ctx, viewer: User, user: User, *, detail_self: bool) -> dict[str, Any] | None:
    if viewer.is_staff or (detail_self and ctx.method in SAFE_METHODS):
        return full_json(ctx, user)
    return user_ref(ctx, user)


def _value(user: User, name: str) -> Any:
    return getattr(user, name)


def list_users(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    viewer = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, viewer, scope)
    users = list(srv.state.users.values())
    if scope.org is not None:
        members = {m.user_id for m in srv.state.memberships.values() if m.org_id == scope.org.id}
        users = [u for u in users if u.id in members]
    elif not viewer.is_superuser:
        users = [viewer]
    return paginate(
        ctx, USER_LIST, users, _value, lambda u: _json(ctx, viewer, u, detail_self=False)
    )


def user_self(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    return render(ctx, 200, full_json(ctx, require_user(ctx)))


def _get(srv: FakeServer, ctx: Ctx, user_id: str, scope: str) -> tuple[User, User]:
    viewer = require_user(ctx)
    user = srv.state.users.get(int(user_id))
    if user is None:
        raise not_found("User")
    if viewer.is_superuser or viewer.id == user.id:
        return viewer, user
    if scope == "view":
        org = request_org(ctx).org
        if can_view_user(srv, viewer, user.id, org.id if org is not None else None):
            return viewer, user
    raise permission_denied()


def retrieve_user(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    viewer, user = _get(srv, ctx, id, "view")
    return render(ctx, 200, _json(ctx, viewer, user, detail_self=viewer.id == user.id))


def update_user(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    viewer, user = _get(srv, ctx, id, "update")
    data = ctx.data()
    allowed = {"username", "first_name", "last_name"}
    if viewer.is_staff:
        allowed |= {"email", "groups", "is_staff", "is_superuser", "is_active"}
    unknown = set(data) - allowed
    if unknown:
        if {"is_staff", "is_superuser", "groups"} & unknown:
            raise invalid(
                {
                    "non_field_errors": [
                        f"You do not have permissions to access some of these fields: {unknown}"
                    ]
                }
            )
        raise invalid({"non_field_errors": [f"Got unknown fields: {unknown}"]})
    fields = Fields(data, partial=True)
    username = fields.string("username", max_length=150)
    first = fields.string("first_name", max_length=150, blank=True)
    last = fields.string("last_name", max_length=150, blank=True)
    email = fields.string("email", max_length=254, blank=True)
    flags = {name: fields.boolean(name) for name in ("is_staff", "is_superuser", "is_active")}
    groups = fields.array("groups")
    if present(username):
        other = srv.state.user_by_name(username)
        if other is not None and other.id != user.id:
            fields.error("username", "A user with that username already exists.")
    fields.done()
    if present(username):
        user.username = username
    if present(first):
        user.first_name = first
    if present(last):
        user.last_name = last
    if present(email):
        user.email = email
    for name, value in flags.items():
        if present(value):
            setattr(user, name, value)
    if present(groups) and groups:
        user.group = str(groups[0])
    if user.is_superuser:
        user.group = "admin"
    return render(ctx, 200, _json(ctx, viewer, user, detail_self=False))


def delete_user(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    _, user = _get(srv, ctx, id, "delete")
    state = srv.state
    del state.users[user.id]
    for key in [k for k, s in state.sessions.items() if s.user_id == user.id]:
        del state.sessions[key]
    for key in [k for k, uid in state.legacy_tokens.items() if uid == user.id]:
        del state.legacy_tokens[key]
    for token_id in [t.id for t in state.access_tokens.values() if t.owner_id == user.id]:
        del state.access_tokens[token_id]
    for mid in [m.id for m in state.memberships.values() if m.user_id == user.id]:
        del state.memberships[mid]
    owned: list[Project | Task] = [*state.projects.values(), *state.tasks.values()]
    for obj in owned:
        if obj.owner_id == user.id:
            obj.owner_id = None
        if obj.assignee_id == user.id:
            obj.assignee_id = None
    for job in state.jobs.values():
        if job.assignee_id == user.id:
            job.assignee_id = None
    return render(ctx, 204, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/users", list_users)
    router.add("GET", r"/api/users/self", user_self)
    router.add("GET", r"/api/users/(?P<id>\d+)", retrieve_user)
    router.add("PATCH", r"/api/users/(?P<id>\d+)", update_user)
    router.add("DELETE", r"/api/users/(?P<id>\d+)", delete_user)
