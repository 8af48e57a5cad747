"""Permission rules, transcribed from CVAT's OPA policies (``cvat/apps/*/rules/*.rego``).

Theory of operation
-------------------
CVAT decides every request with two inputs: the user's global *privilege* (``admin``,
``user`` or ``worker``; a superuser is always ``admin``) and, inside an organization, the
user's *membership role* (``owner`` > ``maintainer`` > ``supervisor`` > ``worker``).

*Organization context.* A list request is scoped by ``X-Organization`` / ``org`` (a slug) or
``org_id``: a slug selects that organization, an empty value the personal sandbox, and no
value at all applies no workspace restriction (the sandbox rules then apply to everything).
:func:`request_org` resolves it. An object, by contrast, is always judged in the context of
the organization it belongs to (CVAT's ``get_organization(request, obj)``).

*Object rules.* ``can_*`` functions answer whether the user may perform a scope on an object,
following the rego files: in the sandbox, the owner/assignee relations decide; in an
organization, maintainers and owners may do nearly everything, supervisors and workers only
what they own or are assigned to. A retrieve of a visible-to-nobody object is a 403 (CVAT
checks object permissions after fetching the object from an unfiltered queryset);
list endpoints instead filter with the ``visible_*`` predicates, which mirror the rego
``filter`` rules. Organizations are the exception: their viewset filters every action, so
an organization the user is not in is a 404 (:func:`visible_org`).

*Users named in a request.* A non-null ``owner_id``, ``assignee_id`` or ``assignee`` also
asks ``users:view`` of that user (:func:`check_user_refs`): an admin, the user themself or a
member of the organization the request is judged in may name them. In the sandbox a regular
user can therefore give a project, task, job or issue to nobody but themself.

*Creates judged against a parent.* An issue is created "in a job" and a comment "in an
issue" (``create@job``, ``create@issue``): the request's workspace is the context, and the
organization rules apply only when it is the parent's organization.

``tests/fake/permission_table.py`` lists, resource by resource, what these rules answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import ApiError, detail, permission_denied
from ._state import (
    ORG_ROLES,
    PRIVILEGES,
    Comment,
    Issue,
    Job,
    Membership,
    Organization,
    Project,
    Task,
    User,
)

if TYPE_CHECKING:
    from ._context import Ctx
    from ._server import FakeServer


def privilege(user: User) -> str:
    return "admin" if user.is_superuser else user.group


def has_priv(user: User, level: str) -> bool:
    return PRIVILEGES.index(privilege(user)) >= PRIVILEGES.index(level)


def role(srv: FakeServer, org_id: int | None, user: User) -> str | None:
    """The active membership role of ``user`` in organization ``org_id``."""
    if org_id is None:
        return None
    membership = srv.state.membership(org_id, user.id)
    return membership.role if membership is not None and membership.is_active else None


def has_role(srv: FakeServer, org_id: int | None, user: User, level: str) -> bool:
    current = role(srv, org_id, user)
    return current is not None and ORG_ROLES.index(current) >= ORG_ROLES.index(level)


@dataclass(frozen=True)
class OrgScope:
    """The workspace a request selects: ``specified`` is false when none was given."""

    specified: bool
    org: Organization | None


def sees_whole_workspace(srv: FakeServer, user: User, scope: OrgScope) -> bool:
    """An admin sees everything; an organization's maintainer or owner (with the ``user``
    privilege) sees everything in the organization."""
    return user.is_superuser or (
        scope.org is not None
        and has_priv(user, "user")
        and has_role(srv, scope.org.id, user, "maintainer")
    )


def request_org(ctx: Ctx) -> OrgScope:
    """Resolve ``X-Organization`` / ``org`` / ``org_id`` like CVAT's IAM context."""
    state = ctx.server.state
    slug = ctx.q("org")
    org_id = ctx.q("org_id")
    header = ctx.header("x-organization")
    if org_id is not None and (slug is not None or header is not None):
        raise ApiError(
            400,
            'You cannot specify "org_id" query parameter with "org" query parameter '
            'or "X-Organization" HTTP header at the same time.',
            raw=True,
        )
    if slug is not None and header is not None and slug != header:
        raise ApiError(
            400,
            'You cannot specify "org" query parameter and "X-Organization" HTTP header '
            "with different values.",
            raw=True,
        )
    slug = slug if slug is not None else header
    if slug:
        org = state.org_by_slug(slug)
        if org is None:
            raise detail(404, f"{slug} organization does not exist.")
        return OrgScope(True, org)
    if org_id:
        try:
            org = state.organizations.get(int(org_id))
        except ValueError:
            org = None
        if org is None:
            raise detail(404, f"{org_id} organization does not exist.")
        return OrgScope(True, org)
    return OrgScope(slug is not None or org_id is not None, None)


def check_list_scope(ctx: Ctx, user: User, scope: OrgScope) -> None:
    """``list`` is allowed in the sandbox and, in an organization, to members only."""
    if (
        scope.org is not None
        and not user.is_superuser
        and role(ctx.server, scope.org.id, user) is None
    ):
        raise detail(403, "You do not have permission to perform this action.")


def in_workspace(scope: OrgScope, org_id: int | None) -> bool:
    """CVAT's ``OrganizationFilterBackend``: keep objects of the selected workspace."""
    if not scope.specified:
        return True
    return org_id == (scope.org.id if scope.org is not None else None)


# ------------------------------------------------------------------------------ users
def can_view_user(srv: FakeServer, user: User, target_id: int, org_id: int | None) -> bool:
    """``users:view``: an admin, the user themself, or an active member of ``org_id``.

    The viewer's own membership in the organization the request is judged in counts, not the
    viewed user's (CVAT passes the requester's role as the resource's ``membership.role``).
    """
    return user.is_superuser or target_id == user.id or role(srv, org_id, user) is not None


def check_user_refs(
    srv: FakeServer,
    user: User,
    data: Mapping[str, Any],
    keys: tuple[str, ...],
    org_id: int | None,
) -> None:
    """403 unless ``user`` may view every user a non-null ``keys`` field of ``data`` names."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not value:
            continue  # null, absent or not an id: nobody is named
        if not can_view_user(srv, user, value, org_id):
            raise permission_denied()


# --------------------------------------------------------------------------- projects
def _project_rel(project: Project, user: User) -> tuple[bool, bool]:
    return project.owner_id == user.id, project.assignee_id == user.id


def can_project(srv: FakeServer, user: User, project: Project, scope: str) -> bool:
    if user.is_superuser:
        return True
    owner, assignee = _project_rel(project, user)
    org = project.org_id
    if org is None:
        if scope == "view":
            return owner or assignee
        if scope == "update:desc":
            return (owner or assignee) and has_priv(user, "worker")
        if scope in ("update:assignee", "delete", "update:organization"):
            return owner and has_priv(user, "worker")
        return False  # update:owner is admin-only in the sandbox
    manager = has_priv(user, "user") and has_role(srv, org, user, "maintainer")
    if scope == "view":
        return manager or (has_role(srv, org, user, "worker") and (owner or assignee))
    if scope == "update:desc":
        return manager or ((owner or assignee) and has_role(srv, org, user, "worker"))
    if scope in ("update:assignee", "delete", "update:organization"):
        return manager or (owner and has_role(srv, org, user, "worker"))
    if scope == "update:owner":
        return manager or (owner and has_role(srv, org, user, "maintainer"))
    return False


def visible_project(srv: FakeServer, user: User, scope: OrgScope, project: Project) -> bool:
    if not in_workspace(scope, project.org_id):
        return False
    if user.is_superuser:
        return True
    owner, assignee = _project_rel(project, user)
    if (
        scope.org is not None
        and has_priv(user, "user")
        and has_role(srv, scope.org.id, user, "maintainer")
    ):
        return True
    return owner or assignee


# ------------------------------------------------------------------------------ tasks
def _task_rel(srv: FakeServer, task: Task, user: User) -> tuple[bool, bool, bool, bool]:
    project = srv.state.projects.get(task.project_id) if task.project_id is not None else None
    return (
        task.owner_id == user.id,
        task.assignee_id == user.id,
        project is not None and project.owner_id == user.id,
        project is not None and project.assignee_id == user.id,
    )


_TASK_VIEW = {"view", "view:metadata", "view:data", "view:annotations", "export:dataset"}
_TASK_EDIT = {
    "update:desc",
    "upload:data",
    "update:metadata",
    "update:annotations",
    "delete:annotations",
    "import:annotations",
}
_TASK_ADMIN = {"update:owner", "update:assignee", "update:project", "delete", "update:organization"}


def can_task(srv: FakeServer, user: User, task: Task, scope: str) -> bool:
    if user.is_superuser:
        return True
    owner, assignee, p_owner, p_assignee = _task_rel(srv, task, user)
    staff = owner or assignee or p_owner or p_assignee
    project_staff = p_owner or p_assignee
    org = task.org_id
    if org is None:
        if scope in _TASK_VIEW:
            return staff
        if scope in _TASK_EDIT:
            return staff and has_priv(user, "worker")
        if scope in _TASK_ADMIN:
            return (project_staff or owner) and has_priv(user, "worker")
        return False
    manager = has_priv(user, "user") and has_role(srv, org, user, "maintainer")
    member = has_role(srv, org, user, "worker")
    if scope in _TASK_VIEW:
        return manager or (member and staff)
    if scope in _TASK_EDIT:
        return manager or (member and staff and has_priv(user, "worker"))
    if scope in _TASK_ADMIN:
        return manager or (member and has_priv(user, "worker") and (owner or project_staff))
    return False


def can_create(srv: FakeServer, user: User, scope: OrgScope) -> bool:
    """``create`` for projects and tasks (no project) in the request's workspace."""
    if user.is_superuser:
        return True
    if scope.org is None:
        return has_priv(user, "user")
    return has_priv(user, "user") and has_role(srv, scope.org.id, user, "supervisor")


def can_create_in_project(srv: FakeServer, user: User, project: Project) -> bool:
    if user.is_superuser:
        return True
    owner, assignee = _project_rel(project, user)
    if project.org_id is None:
        return has_priv(user, "user") and (owner or assignee)
    return has_priv(user, "user") and (
        has_role(srv, project.org_id, user, "supervisor")
        or (has_role(srv, project.org_id, user, "worker") and (owner or assignee))
    )


def visible_task(srv: FakeServer, user: User, scope: OrgScope, task: Task) -> bool:
    if not in_workspace(scope, task.org_id):
        return False
    if sees_whole_workspace(srv, user, scope):
        return True
    return any(_task_rel(srv, task, user))


def visible_tasks(
    srv: FakeServer, user: User, scope: OrgScope, tasks: Iterable[Task]
) -> list[Task]:
    """The ``tasks`` :func:`visible_task` keeps, in order; what does not depend on the task
    (the workspace, the user's privilege and role) is decided once."""
    if scope.specified:
        org_id = scope.org.id if scope.org is not None else None
        kept = [task for task in tasks if task.org_id == org_id]
    else:
        kept = list(tasks)
    if sees_whole_workspace(srv, user, scope):
        return kept
    return [task for task in kept if any(_task_rel(srv, task, user))]


# ------------------------------------------------------------------------------- jobs
def _job_staff(srv: FakeServer, job: Job, user: User) -> tuple[bool, bool]:
    task = srv.state.tasks[job.task_id]
    return any(_task_rel(srv, task, user)), job.assignee_id == user.id


_JOB_VIEW = {"view", "view:metadata", "view:data", "view:annotations"}
_JOB_EDIT = {
    "update:state",
    "update:metadata",
    "update:annotations",
    "delete:annotations",
    "import:annotations",
}
# A ``worker``-privileged job assignee outside the job's organization keeps these.
_JOB_STRICT = _JOB_VIEW | _JOB_EDIT


def can_job(srv: FakeServer, user: User, job: Job, scope: str) -> bool:
    if user.is_superuser:
        return True
    task = srv.state.tasks[job.task_id]
    task_staff, job_assignee = _job_staff(srv, job, user)
    org = task.org_id
    if org is None:
        if scope in _JOB_VIEW:
            return task_staff or job_assignee
        if scope in ("update:stage", "update:assignee"):
            return task_staff and has_priv(user, "worker")
        if scope in _JOB_EDIT:
            return (task_staff or job_assignee) and has_priv(user, "worker")
        return False
    if (
        scope in _JOB_STRICT
        and job_assignee
        and privilege(user) == "worker"
        and role(srv, org, user) is None
    ):
        return True  # jobs.rego's strict-privilege rule
    manager = has_priv(user, "user") and has_role(srv, org, user, "maintainer")
    member = has_role(srv, org, user, "worker")
    if scope in _JOB_VIEW:
        return manager or (member and (task_staff or job_assignee))
    if scope in ("update:stage", "update:assignee"):
        return manager or (member and task_staff and has_priv(user, "worker"))
    if scope in _JOB_EDIT:
        return manager or (member and (task_staff or job_assignee) and has_priv(user, "worker"))
    return False


def can_manage_jobs(srv: FakeServer, user: User, task: Task) -> bool:
    """``jobs:create`` / ``jobs:delete`` (ground truth jobs) of ``task``: privilege ``user`` and
    task staff; in an organization, supervisor and task staff, or maintainer."""
    if user.is_superuser:
        return True
    if not has_priv(user, "user"):
        return False
    staff = any(_task_rel(srv, task, user))
    if task.org_id is None:
        return staff
    return has_role(srv, task.org_id, user, "maintainer") or (
        staff and has_role(srv, task.org_id, user, "supervisor")
    )


def visible_job(srv: FakeServer, user: User, scope: OrgScope, job: Job) -> bool:
    task = srv.state.tasks[job.task_id]
    if not in_workspace(scope, task.org_id):
        return False
    if sees_whole_workspace(srv, user, scope):
        return True
    task_staff, job_assignee = _job_staff(srv, job, user)
    return task_staff or job_assignee


# ---------------------------------------------------------------------------- issues
def can_issue(srv: FakeServer, user: User, issue: Issue, scope: str) -> bool:
    if user.is_superuser:
        return True
    job = srv.state.jobs[issue.job_id]
    task = srv.state.tasks[job.task_id]
    task_staff, job_assignee = _job_staff(srv, job, user)
    mine = user.id in (issue.owner_id, issue.assignee_id)
    org = task.org_id
    manager = org is not None and has_priv(user, "user") and has_role(srv, org, user, "maintainer")
    member = org is None or has_role(srv, org, user, "worker")
    if scope == "view":
        return manager or (member and (mine or task_staff or job_assignee))
    if scope == "update":
        return manager or (
            member and has_priv(user, "worker") and (mine or task_staff or job_assignee)
        )
    if scope == "delete":
        return manager or (
            member and has_priv(user, "worker") and (issue.owner_id == user.id or task_staff)
        )
    return False


def can_create_issue(srv: FakeServer, user: User, job: Job, request_org: int | None) -> bool:
    """``issues:create@job``, judged in the request's workspace ``request_org``."""
    if user.is_superuser:
        return True
    task_staff, job_assignee = _job_staff(srv, job, user)
    staff = task_staff or job_assignee
    if request_org is None:
        return has_priv(user, "worker") and staff
    if request_org != srv.state.tasks[job.task_id].org_id:
        return False
    return (has_priv(user, "user") and has_role(srv, request_org, user, "maintainer")) or (
        has_priv(user, "worker") and has_role(srv, request_org, user, "worker") and staff
    )


def visible_issue(srv: FakeServer, user: User, scope: OrgScope, issue: Issue) -> bool:
    job = srv.state.jobs[issue.job_id]
    task = srv.state.tasks[job.task_id]
    if not in_workspace(scope, task.org_id):
        return False
    if sees_whole_workspace(srv, user, scope):
        return True
    task_staff, job_assignee = _job_staff(srv, job, user)
    return user.id in (issue.owner_id, issue.assignee_id) or task_staff or job_assignee


# --------------------------------------------------------------------------- comments
def _issue_staff(srv: FakeServer, issue: Issue, user: User) -> bool:
    task_staff, job_assignee = _job_staff(srv, srv.state.jobs[issue.job_id], user)
    return task_staff or job_assignee or user.id in (issue.owner_id, issue.assignee_id)


def _comment_org(srv: FakeServer, issue: Issue) -> int | None:
    return srv.state.tasks[srv.state.jobs[issue.job_id].task_id].org_id


def can_comment(srv: FakeServer, user: User, comment: Comment, scope: str) -> bool:
    """``view`` / ``update`` / ``delete`` of a comment: its author and the staff of its issue
    (issue author and assignee, job and task staff); maintainers in an organization."""
    if user.is_superuser:
        return True
    issue = srv.state.issues[comment.issue_id]
    staff = comment.owner_id == user.id or _issue_staff(srv, issue, user)
    org = _comment_org(srv, issue)
    if org is not None:
        if has_priv(user, "user") and has_role(srv, org, user, "maintainer"):
            return True
        staff = staff and has_role(srv, org, user, "worker")
    return staff if scope == "view" else staff and has_priv(user, "worker")


def can_create_comment(srv: FakeServer, user: User, issue: Issue, request_org: int | None) -> bool:
    """``comments:create@issue``, judged in the request's workspace ``request_org``."""
    if user.is_superuser:
        return True
    staff = _issue_staff(srv, issue, user)
    if request_org is None:
        return has_priv(user, "worker") and staff
    if request_org != _comment_org(srv, issue):
        return False
    return (has_priv(user, "user") and has_role(srv, request_org, user, "maintainer")) or (
        has_priv(user, "worker") and has_role(srv, request_org, user, "worker") and staff
    )


def visible_comment(srv: FakeServer, user: User, scope: OrgScope, comment: Comment) -> bool:
    issue = srv.state.issues[comment.issue_id]
    if not in_workspace(scope, _comment_org(srv, issue)):
        return False
    if sees_whole_workspace(srv, user, scope):
        return True
    return comment.owner_id == user.id or _issue_staff(srv, issue, user)


# ---------------------------------------------------------------------- organizations
def visible_org(srv: FakeServer, user: User, org: Organization) -> bool:
    """The organizations filter, applied to every action: admin, active member or owner."""
    if user.is_superuser or org.owner_id == user.id:
        return True
    return role(srv, org.id, user) is not None


def can_org(srv: FakeServer, user: User, org: Organization, scope: str) -> bool:
    """``view`` (any member), ``update`` (owner or maintainer), ``delete`` (owner)."""
    if user.is_superuser:
        return True
    owner = org.owner_id == user.id
    membership = srv.state.membership(org.id, user.id)
    if scope == "view":
        return owner or membership is not None
    maintainer = membership is not None and membership.role == "maintainer"
    if scope == "update":
        return has_priv(user, "worker") and (owner or maintainer)
    return scope == "delete" and has_priv(user, "worker") and owner


def org_staff(srv: FakeServer, org_id: int, user: User) -> bool:
    """organizations.rego ``is_staff``: the organization's owner, or a maintainer."""
    current = role(srv, org_id, user)
    org = srv.state.organizations.get(org_id)
    return current == "maintainer" or (
        current == "owner" and org is not None and org.owner_id == user.id
    )


# ------------------------------------------------------------------------ memberships
def visible_membership(
    srv: FakeServer, user: User, scope: OrgScope, membership: Membership
) -> bool:
    """The memberships list filter: in an organization, its members see the active
    memberships (staff all of them); without one, a user sees only their own."""
    if scope.org is None:
        if scope.specified:
            return False
        return user.is_superuser or (membership.user_id == user.id and membership.is_active)
    if membership.org_id != scope.org.id:
        return False
    return user.is_superuser or membership.is_active or org_staff(srv, scope.org.id, user)


def can_membership(srv: FakeServer, user: User, membership: Membership, scope: str) -> bool:
    """``view``, ``change:role`` and ``delete`` of a membership, judged in its organization."""
    if user.is_superuser:
        return True
    org_id = membership.org_id
    current = role(srv, org_id, user)
    if current is None:
        return False
    staff = org_staff(srv, org_id, user)
    if scope == "view":
        return staff or membership.is_active
    own = membership.user_id == user.id
    if (
        scope == "delete"
        and own
        and membership.is_active
        and membership.role != "owner"
        and has_priv(user, "worker")
    ):
        return True  # leaving the organization
    if own or not has_priv(user, "user"):
        return False
    if current == "maintainer":
        return membership.role not in ("maintainer", "owner")
    return staff and membership.role != "owner"
