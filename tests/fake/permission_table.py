"""CVAT's permission table: who may do what to which resource, and the status CVAT answers.

Theory of operation
-------------------
Each row of :data:`GRID` is one action on one resource; each column is one *profile*, a user
in a given relation to the resource, acting in a given workspace. A cell is the status CVAT
answers; ``200+`` / ``200-`` on a list mean "200, and the resource is / is not among the
results"; ``.`` marks a combination that means nothing (a relation the resource does not
have, or a create whose outcome does not depend on the relation). :data:`CASES` expands the
grid into one :class:`Case` per meaningful cell; ``tests/fake/test_permission_table.py``
builds each case on a fresh fake server through HTTP and checks the status.

Sources (facts, not code, carried over from CVAT, ``cvat-ai/cvat``):

* the OPA policies ``cvat/apps/engine/rules/{projects,tasks,jobs,issues,comments,users}.rego``
  and ``cvat/apps/organizations/rules/{organizations,memberships}.rego``, with their test
  tables ``.../rules/tests/configs/*.csv`` (columns Scope, Resource, Context, Ownership,
  Privilege, Membership);
* ``cvat/apps/engine/permissions.py``: which scopes a request asks for. A PATCH asks one
  scope per field (``name`` -> ``update:desc``, ``assignee_id`` -> ``update:assignee``,
  ``owner_id`` -> ``update:owner``; a job's ``state`` / ``stage`` / ``assignee`` ->
  ``update:state`` / ``update:stage`` / ``update:assignee``). A non-null ``owner_id``,
  ``assignee_id`` or ``assignee`` in a project, task, job or issue request also asks
  ``users:view`` of that user, which the users policy grants to an admin, to the user
  themself, and to a member of the organization the request is judged in; in the sandbox a
  regular user therefore cannot give a resource to anybody else. Labels have no rules of
  their own: viewing one is ``view`` of its task or project, changing or deleting one is
  ``update:desc`` of it, and ``GET /api/labels?task_id=`` is ``view`` of the task;
* ``cvat/apps/iam/permissions.py``: an object is judged in the organization it belongs to,
  whatever ``X-Organization`` says; a list or a create is judged in the one the request
  selects. A regular user's global privilege is ``user``; ``worker`` is the annotator group
  (it may not create projects, tasks or organizations, and has one rule of its own: a job
  assignee who is *not* a member of the job's organization may still view and annotate that
  job, ``jobs.rego``'s "strict privilege" rule).

403 or 404? DRF looks an object up in ``get_queryset()`` before asking the policy. CVAT's
viewsets filter that queryset by the policy only for ``list``, so a project, task, job, label,
issue, comment, membership or user that exists but may not be seen is **403**. The
organizations viewset filters *every* action (``OrganizationViewSet.get_queryset`` always
applies ``OrganizationPermission.filter``: admin, active member or owner), so an organization
the user is not in is **404** for retrieve, update and delete alike.

Profiles. Sandbox columns act without ``X-Organization`` on resources of the personal
workspace; organization columns send ``X-Organization: lab`` and act on resources of ``lab``.
Every resource is created by the admin, who then gives the actor the relation:

==============  ==========================================================================
resource        ``owner`` / ``assignee`` mean
==============  ==========================================================================
projects        the project's ``owner_id`` / ``assignee_id``
tasks           the task's ``owner_id`` / ``assignee_id``
jobs            owner of the job's task / the job's ``assignee``
labels          owner / assignee of the label's task
issues          author of the issue / its ``assignee``; for *create*, owner of the task /
                assignee of the job the issue is reported on
comments        author of the comment / ``assignee`` of its issue; for *create*, author /
                assignee of the issue commented on
annotations     owner of the task / assignee of the job
memberships     ``owner``: the actor's own membership; otherwise another member's (a worker)
users           ``owner``: the actor themself; otherwise another user (a worker of ``lab``)
organizations   no relation: the organization ``lab`` itself
==============  ==========================================================================

An authored issue or comment is written by the actor while they are the job's / issue's
assignee, and the assignment is then taken away, so authorship is their only relation.
``outsider-owner`` was a worker of ``lab`` when given the relation and has since been removed
from the organization. ``annotator-assignee`` belongs to the global ``worker`` group and, in
the organization column, is not a member of ``lab``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Context = Literal["sandbox", "org"]
Kind = Literal[
    "admin", "user", "annotator", "owner", "maintainer", "supervisor", "worker", "outsider"
]
Relation = Literal["owner", "assignee", "none"]


@dataclass(frozen=True)
class Profile:
    """A user (``kind``: global group or organization role) in ``relation`` to the resource."""

    key: str
    context: Context
    kind: Kind
    relation: Relation

    @property
    def id(self) -> str:
        return f"{self.context}-{self.key}"


PROFILES: tuple[Profile, ...] = (
    # personal workspace (sandbox)
    Profile("admin", "sandbox", "admin", "none"),
    Profile("user-owner", "sandbox", "user", "owner"),
    Profile("user-assignee", "sandbox", "user", "assignee"),
    Profile("user", "sandbox", "user", "none"),
    Profile("annotator-assignee", "sandbox", "annotator", "assignee"),
    # organization "lab"
    Profile("admin", "org", "admin", "none"),
    Profile("org-owner", "org", "owner", "none"),
    Profile("maintainer", "org", "maintainer", "none"),
    Profile("supervisor", "org", "supervisor", "none"),
    Profile("supervisor-owner", "org", "supervisor", "owner"),
    Profile("worker-owner", "org", "worker", "owner"),
    Profile("worker-assignee", "org", "worker", "assignee"),
    Profile("worker", "org", "worker", "none"),
    Profile("outsider", "org", "outsider", "none"),
    Profile("outsider-owner", "org", "outsider", "owner"),
    Profile("annotator-assignee", "org", "annotator", "assignee"),
)

# fmt: off
# Column order (PROFILES):
#  sandbox:      adm  own  asg  usr  ann | organization: adm  own  mnt  sup  sup+own  wrk+own
#                                                        wrk+asg  wrk  out  out+own  ann+asg
GRID: dict[tuple[str, str], str] = {
    # ---------------------------------------------------------------------------- projects
    # create: sandbox needs privilege user; an organization also needs supervisor or higher.
    ("projects", "create"):
        "201  .    .    201  403  | 201  201  201  201  .    .    .    403  403  .    403",
    ("projects", "list"):
        "200+ 200+ 200+ 200- 200+ | 200+ 200+ 200+ 200- 200+ 200+ 200+ 200- 403  403  403",
    ("projects", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("projects", "update"):  # {"name"}: update:desc, owner or assignee
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("projects", "update-assignee"):  # {"assignee_id": null}: owner only
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("projects", "assign-other"):  # + users:view of another user: not in the sandbox
        "200  403  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("projects", "update-owner"):  # {"owner_id": self}: admin in the sandbox, staff in an org
        "200  403  403  403  403  | 200  200  200  403  403  403  403  403  403  403  403",
    ("projects", "delete"):
        "204  204  403  403  403  | 204  204  204  403  204  204  403  403  403  403  403",
    ("projects", "export"):  # export:dataset, as view
        "202  202  202  403  202  | 202  202  202  403  202  202  202  403  403  403  403",
    # ------------------------------------------------------------------------------- tasks
    ("tasks", "create"):
        "201  .    .    201  403  | 201  201  201  201  .    .    .    403  403  .    403",
    ("tasks", "list"):
        "200+ 200+ 200+ 200- 200+ | 200+ 200+ 200+ 200- 200+ 200+ 200+ 200- 403  403  403",
    ("tasks", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("tasks", "update"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("tasks", "update-assignee"):
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("tasks", "assign-other"):
        "200  403  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("tasks", "update-owner"):  # unlike projects, a task's owner may hand it over
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("tasks", "delete"):
        "204  204  403  403  403  | 204  204  204  403  204  204  403  403  403  403  403",
    ("tasks", "export"):
        "202  202  202  403  202  | 202  202  202  403  202  202  202  403  403  403  403",
    # -------------------------------------------------------------------------------- jobs
    # The job assignee is job staff but not task staff; the annotator-assignee outside the
    # organization gets view and update:state through jobs.rego's strict-privilege rule.
    ("jobs", "list"):
        "200+ 200+ 200+ 200- 200+ | 200+ 200+ 200+ 200- 200+ 200+ 200+ 200- 403  403  403",
    ("jobs", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  200",
    ("jobs", "update-state"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  200",
    ("jobs", "update-stage"):
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("jobs", "update-assignee"):
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("jobs", "assign-other"):
        "200  403  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    # create / delete a ground-truth job: privilege user and task staff; in an organization
    # supervisor and task staff, or maintainer. A task-owning *worker* may not.
    ("jobs", "create"):
        "201  201  403  403  403  | 201  201  201  403  201  403  403  403  403  403  403",
    ("jobs", "delete"):
        "204  204  403  403  403  | 204  204  204  403  204  403  403  403  403  403  403",
    # ------------------------------------------------------------------------------ labels
    ("labels", "list"):  # GET /api/labels?task_id=: view of the task
        "200+ 200+ 200+ 403  200+ | 200+ 200+ 200+ 403  200+ 200+ 200+ 403  403  403  403",
    ("labels", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("labels", "update"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("labels", "delete"):
        "204  204  204  403  204  | 204  204  204  403  204  204  204  403  403  403  403",
    # ------------------------------------------------------------------------------ issues
    ("issues", "create"):  # create@job: job staff with privilege worker, or maintainer
        "201  201  201  403  201  | 201  201  201  403  201  201  201  403  403  403  403",
    ("issues", "list"):
        "200+ 200+ 200+ 200- 200+ | 200+ 200+ 200+ 200- 200+ 200+ 200+ 200- 403  403  403",
    ("issues", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("issues", "update"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("issues", "assign-other"):
        "200  403  403  403  403  | 200  200  200  403  200  200  200  403  403  403  403",
    ("issues", "delete"):  # task staff or the author; not its assignee
        "204  204  403  403  403  | 204  204  204  403  204  204  403  403  403  403  403",
    # ---------------------------------------------------------------------------- comments
    # Comment staff: its author and everyone who is staff of its issue (issue author and
    # assignee, job and task staff); they may view, edit and delete it.
    ("comments", "create"):
        "201  201  201  403  201  | 201  201  201  403  201  201  201  403  403  403  403",
    ("comments", "list"):
        "200+ 200+ 200+ 200- 200+ | 200+ 200+ 200+ 200- 200+ 200+ 200+ 200- 403  403  403",
    ("comments", "view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("comments", "update"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  403",
    ("comments", "delete"):
        "204  204  204  403  204  | 204  204  204  403  204  204  204  403  403  403  403",
    # ------------------------------------------------------------------------- annotations
    # Task annotations need task staff; job annotations, job staff.
    ("annotations", "task-view"):
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("annotations", "task-update"):
        "200  200  403  403  403  | 200  200  200  403  200  200  403  403  403  403  403",
    ("annotations", "task-delete"):
        "204  204  403  403  403  | 204  204  204  403  204  204  403  403  403  403  403",
    ("annotations", "job-view"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  200",
    ("annotations", "job-update"):
        "200  200  200  403  200  | 200  200  200  403  200  200  200  403  403  403  200",
    ("annotations", "job-delete"):
        "204  204  204  403  204  | 204  204  204  403  204  204  204  403  403  403  204",
    # ----------------------------------------------------------------------- organizations
    # Not a member: 404 (the queryset is filtered). Update: owner or maintainer; delete: owner.
    ("organizations", "create"):
        "201  .    .    201  403  | .    .    .    .    .    .    .    .    .    .    .  ",
    ("organizations", "list"):
        "200+ .    .    200- 200- | 200+ 200+ 200+ 200+ .    .    .    200+ 200- .    200-",
    ("organizations", "view"):
        "200  .    .    404  404  | 200  200  200  200  .    .    .    200  404  .    404",
    ("organizations", "update"):
        "200  .    .    404  404  | 200  200  200  403  .    .    .    403  404  .    404",
    ("organizations", "delete"):
        "204  .    .    404  404  | 204  204  403  403  .    .    .    403  404  .    404",
    # ------------------------------------------------------------------------- memberships
    # In an organization every member sees the active memberships; without X-Organization a
    # user lists only their own. Owner and maintainer (privilege user) change and remove
    # others, a maintainer not another maintainer or the owner, nobody themself; any member
    # but the owner may leave. The new role is not checked: a maintainer may promote.
    ("memberships", "list"):
        "200+ .    .    200- 200- | 200+ 200+ 200+ 200+ 200+ 200+ .    200+ 403  .    403",
    ("memberships", "list-sandbox"):
        ".    .    .    .    .    | 200+ 200- 200- 200- 200+ 200+ .    200- 200- .    200-",
    ("memberships", "view"):
        "200  .    .    403  403  | 200  200  200  200  200  200  .    200  403  .    403",
    ("memberships", "change-role"):
        "200  .    .    403  403  | 200  200  200  403  403  403  .    403  403  .    403",
    ("memberships", "promote"):  # {"role": "maintainer"}
        "200  .    .    403  403  | 200  200  200  403  403  403  .    403  403  .    403",
    ("memberships", "delete"):  # own membership: leaving
        "204  .    .    403  403  | 204  204  204  403  204  204  .    403  403  .    403",
    # ------------------------------------------------------------------------------- users
    # A regular user lists only themself in the sandbox and the members of the organization
    # in one; may view themself, or anyone while a member of the request's organization
    # (the requester's membership counts, not the viewed user's); changes only themself.
    ("users", "list"):
        "200+ 200+ .    200- 200- | 200+ 200+ 200+ 200+ 200+ 200+ .    200+ 403  403  403",
    ("users", "view"):
        "200  200  .    403  403  | 200  200  200  200  200  200  .    200  403  200  403",
    ("users", "view-stranger"):  # a user who is in no organization
        "200  .    .    403  403  | 200  200  200  200  .    .    .    200  403  .    403",
    ("users", "update"):
        "200  200  .    403  403  | 200  403  403  403  200  200  .    403  403  200  403",
    ("users", "delete"):
        "204  204  .    403  403  | 204  403  403  403  204  204  .    403  403  204  403",
}
# fmt: on

RESOURCES: tuple[str, ...] = (
    "projects",
    "tasks",
    "jobs",
    "labels",
    "issues",
    "comments",
    "annotations",
    "organizations",
    "memberships",
    "users",
)


@dataclass(frozen=True)
class Case:
    """One cell of the grid: ``profile`` does ``action`` on ``resource``; CVAT answers
    ``status`` and, for a list, shows the resource or not (``listed``)."""

    resource: str
    action: str
    profile: Profile
    status: int
    listed: bool | None

    @property
    def id(self) -> str:
        return f"{self.resource}-{self.action}-{self.profile.id}"


def _cells(row: str) -> list[str]:
    cells = [cell for cell in row.split() if cell != "|"]
    if len(cells) != len(PROFILES):
        raise ValueError(f"{len(cells)} cells for {len(PROFILES)} profiles: {row!r}")
    return cells


def _case(resource: str, action: str, profile: Profile, cell: str) -> Case:
    if cell.endswith(("+", "-")):
        return Case(resource, action, profile, int(cell[:-1]), cell.endswith("+"))
    return Case(resource, action, profile, int(cell), None)


CASES: tuple[Case, ...] = tuple(
    _case(resource, action, profile, cell)
    for (resource, action), row in GRID.items()
    for profile, cell in zip(PROFILES, _cells(row), strict=True)
    if cell != "."
)
CASE_COUNT = len(CASES)
