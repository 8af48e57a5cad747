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
``filter`` rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import ApiError, detail
from ._state import ORG_ROLES, PRIVILEGES, Issue, Job, Organization, Project, Task, User

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
    if user.is_superuser:
        return True
    if (
        scope.org is not None
        and has_priv(user, "user")
        and has_role(srv, scope.org.id, user, "maintainer")
    ):
        return True
    return any(_task_rel(srv, task, user))


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
    manager = has_priv(user, "user") and has_role(srv, org, user, "maintainer")
    member = has_role(srv, org, user, "worker")
    if scope in _JOB_VIEW:
        return manager or (member and (task_staff or job_assignee))
    if scope in ("update:stage", "update:assignee"):
        return manager or (member and task_staff and has_priv(user, "worker"))
    if scope in _JOB_EDIT:
        return manager or (member and (task_staff or job_assignee) and has_priv(user, "worker"))
    return False


def visible_job(srv: FakeServer, user: User, scope: OrgScope, job: Job) -> bool:
    task = srv.state.tasks[job.task_id]
    if not in_workspace(scope, task.org_id):
        return False
    if user.is_superuser:
        return True
    if (
        scope.org is not None
        and has_priv(user, "user")
        and has_role(srv, scope.org.id, user, "maintainer")
    ):
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


def visible_issue(srv: FakeServer, user: User, scope: OrgScope, issue: Issue) -> bool:
    job = srv.state.jobs[issue.job_id]
    task = srv.state.tasks[job.task_id]
    if not in_workspace(scope, task.org_id):
        return False
    if user.is_superuser:
        return True
    if (
        scope.org is not None
        and has_priv(user, "user")
        and has_role(srv, scope.org.id, user, "maintainer")
    ):
        return True
    task_staff, job_assignee = _job_staff(srv, job, user)
    return user.id in (issue.owner_id, issue.assignee_id) or task_staff or job_assignee
