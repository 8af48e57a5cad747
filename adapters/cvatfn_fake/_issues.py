"""Issues and comments: ``/api/issues`` and ``/api/comments``.

Theory of operation
-------------------
``POST /api/issues`` creates an issue on a frame of a job together with its first comment
(the ``message``). Issue visibility and edits follow CVAT's issue rules: the issue's owner or
assignee and the staff of the job (task/project owners and assignees, the job assignee) may
view and update it; deletion is limited to the issue owner and the task/project staff;
organization maintainers and admins may do everything. Comments are visible to whoever can
view their issue; only a comment's owner (or a manager) edits or deletes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvatfn.http import HttpResponse

from ._auth import require_user
from ._context import Ctx, absolute, isodate, render, user_ref
from ._errors import ApiError, invalid, not_found, permission_denied
from ._fields import Fields, present
from ._iam import (
    can_comment,
    can_create_comment,
    can_create_issue,
    can_issue,
    check_list_scope,
    check_user_refs,
    request_org,
    visible_comment,
    visible_issue,
)
from ._listing import ListSpec, paginate
from ._state import Comment, Issue

if TYPE_CHECKING:
    from ._router import Router
    from ._server import FakeServer

ISSUE_LIST = ListSpec(
    filter_fields=("assignee", "frame_id", "id", "job_id", "owner", "resolved", "task_id"),
    search_fields=("assignee", "owner"),
    sort_fields=("assignee", "frame_id", "id", "job_id", "owner", "resolved", "task_id"),
    simple_filters=("assignee", "frame_id", "job_id", "owner", "resolved", "task_id"),
)
COMMENT_LIST = ListSpec(
    filter_fields=("frame_id", "id", "issue_id", "job_id", "owner"),
    search_fields=("owner",),
    sort_fields=("frame_id", "id", "issue_id", "job_id", "owner"),
    simple_filters=("frame_id", "issue_id", "job_id", "owner"),
)


def _user(srv: FakeServer, user_id: int | None) -> Any:
    return srv.state.users.get(user_id) if user_id is not None else None


def issue_json(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    srv = ctx.server
    count = sum(1 for c in srv.state.comments.values() if c.issue_id == issue.id)
    return {
        "id": issue.id,
        "frame": issue.frame,
        "position": list(issue.position),
        "job": issue.job_id,
        "owner": user_ref(ctx, _user(srv, issue.owner_id)),
        "assignee": user_ref(ctx, _user(srv, issue.assignee_id)),
        "created_date": isodate(issue.created),
        "updated_date": isodate(issue.updated),
        "resolved": issue.resolved,
        "comments": {"count": count, "url": absolute(ctx, "/api/comments", {"issue_id": issue.id})},
    }


def comment_json(ctx: Ctx, comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "issue": comment.issue_id,
        "owner": user_ref(ctx, _user(ctx.server, comment.owner_id)),
        "message": comment.message,
        "created_date": isodate(comment.created),
        "updated_date": isodate(comment.updated),
    }


def _username(srv: FakeServer, user_id: int | None) -> str | None:
    user = _user(srv, user_id)
    return user.username if user is not None else None


def _issue_value(srv: FakeServer, issue: Issue, name: str) -> Any:
    if name in ("owner", "assignee"):
        return _username(srv, getattr(issue, name + "_id"))
    if name == "frame_id":
        return issue.frame
    if name == "task_id":
        return srv.state.jobs[issue.job_id].task_id
    return getattr(issue, name)


def _position(fields: Fields) -> Any:
    position = fields.array("position", required=True)
    if present(position):
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
            fields.error("position", "A valid number is required.")
        elif len(position) < 2 or len(position) % 2:
            fields.error(
                "position",
                "Invalid position: the number of coordinates must be even and at least 2.",
            )
    return position


def list_issues(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, user, scope)
    items = [i for i in srv.state.issues.values() if visible_issue(srv, user, scope, i)]
    return paginate(
        ctx, ISSUE_LIST, items, lambda i, n: _issue_value(srv, i, n), lambda i: issue_json(ctx, i)
    )


def create_issue(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    fields = Fields(ctx.data(), partial=False)
    frame = fields.integer("frame", required=True, minimum=0, maximum=2147483647)
    position = _position(fields)
    job_id = fields.integer("job", required=True)
    message = fields.string("message", required=True)
    assignee = fields.integer("assignee", nullable=True)
    resolved = fields.boolean("resolved")
    if present(assignee) and assignee is not None and assignee not in srv.state.users:
        fields.error("assignee", f'Invalid pk "{assignee}" - object does not exist.')
    if present(job_id) and job_id not in srv.state.jobs:
        raise ApiError(400, ["Job matching query does not exist."])
    fields.done()
    job = srv.state.jobs[job_id]
    workspace = request_org(ctx).org
    workspace_id = workspace.id if workspace is not None else None
    if not can_create_issue(srv, user, job, workspace_id):
        raise permission_denied()
    check_user_refs(srv, user, ctx.data(), ("assignee",), workspace_id)
    if not job.start_frame <= frame <= job.stop_frame:
        raise invalid(
            {
                "non_field_errors": [
                    f"The frame number should be in the [{job.start_frame}, {job.stop_frame}] range"
                ]
            }
        )
    now = srv.now()
    issue = Issue(
        id=srv.state.next_id("issue"),
        job_id=job.id,
        frame=frame,
        position=[float(v) for v in position],
        owner_id=user.id,
        assignee_id=assignee if present(assignee) else None,
        resolved=bool(resolved) if present(resolved) else False,
        created=now,
        updated=now,
    )
    srv.state.issues[issue.id] = issue
    comment = Comment(srv.state.next_id("comment"), issue.id, user.id, message, now, now)
    srv.state.comments[comment.id] = comment
    return render(ctx, 201, issue_json(ctx, issue))


def _get_issue(srv: FakeServer, ctx: Ctx, issue_id: str | int, scope: str) -> Issue:
    user = require_user(ctx)
    issue = srv.state.issues.get(int(issue_id))
    if issue is None:
        raise not_found("Issue")
    if not can_issue(srv, user, issue, scope):
        raise permission_denied()
    return issue


def retrieve_issue(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, issue_json(ctx, _get_issue(srv, ctx, id, "view")))


def update_issue(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    issue = _get_issue(srv, ctx, id, "update")
    task = srv.state.tasks[srv.state.jobs[issue.job_id].task_id]
    check_user_refs(srv, require_user(ctx), ctx.data(), ("assignee",), task.org_id)
    fields = Fields(ctx.data(), partial=True)
    position = _position(fields) if fields.has("position") else None
    resolved = fields.boolean("resolved")
    assignee = fields.integer("assignee", nullable=True)
    if present(assignee) and assignee is not None and assignee not in srv.state.users:
        fields.error("assignee", f'Invalid pk "{assignee}" - object does not exist.')
    fields.done()
    if position is not None and present(position):
        issue.position = [float(v) for v in position]
    if present(resolved):
        issue.resolved = resolved
    if present(assignee):
        issue.assignee_id = assignee
    issue.updated = srv.now()
    return render(ctx, 200, issue_json(ctx, issue))


def delete_issue(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    issue = _get_issue(srv, ctx, id, "delete")
    for comment_id in [c.id for c in srv.state.comments.values() if c.issue_id == issue.id]:
        del srv.state.comments[comment_id]
    del srv.state.issues[issue.id]
    return render(ctx, 204, None)


# --------------------------------------------------------------------------- comments
def _comment_value(srv: FakeServer, comment: Comment, name: str) -> Any:
    issue = srv.state.issues[comment.issue_id]
    if name == "owner":
        return _username(srv, comment.owner_id)
    if name == "issue_id":
        return comment.issue_id
    if name == "job_id":
        return issue.job_id
    if name == "frame_id":
        return issue.frame
    return getattr(comment, name)


def list_comments(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    scope = request_org(ctx)
    check_list_scope(ctx, user, scope)
    items = [c for c in srv.state.comments.values() if visible_comment(srv, user, scope, c)]
    return paginate(
        ctx,
        COMMENT_LIST,
        items,
        lambda c, n: _comment_value(srv, c, n),
        lambda c: comment_json(ctx, c),
    )


def create_comment(srv: FakeServer, ctx: Ctx) -> HttpResponse:
    user = require_user(ctx)
    fields = Fields(ctx.data(), partial=False)
    issue_id = fields.integer("issue", required=True)
    message = fields.string("message", required=True)
    if present(issue_id) and issue_id not in srv.state.issues:
        fields.error("issue", f'Invalid pk "{issue_id}" - object does not exist.')
    fields.done()
    issue = srv.state.issues[issue_id]
    workspace = request_org(ctx).org
    if not can_create_comment(srv, user, issue, workspace.id if workspace is not None else None):
        raise permission_denied()
    now = srv.now()
    comment = Comment(
        srv.state.next_id("comment"),
        issue.id,
        user.id,
        message if present(message) else "",
        now,
        now,
    )
    srv.state.comments[comment.id] = comment
    return render(ctx, 201, comment_json(ctx, comment))


def _get_comment(srv: FakeServer, ctx: Ctx, comment_id: str, scope: str) -> Comment:
    user = require_user(ctx)
    comment = srv.state.comments.get(int(comment_id))
    if comment is None:
        raise not_found("Comment")
    if not can_comment(srv, user, comment, scope):
        raise permission_denied()
    return comment


def retrieve_comment(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    return render(ctx, 200, comment_json(ctx, _get_comment(srv, ctx, id, "view")))


def update_comment(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    comment = _get_comment(srv, ctx, id, "update")
    fields = Fields(ctx.data(), partial=True)
    message = fields.string("message")
    fields.done()
    if present(message):
        comment.message = message
    comment.updated = srv.now()
    return render(ctx, 200, comment_json(ctx, comment))


def delete_comment(srv: FakeServer, ctx: Ctx, id: str) -> HttpResponse:
    comment = _get_comment(srv, ctx, id, "delete")
    del srv.state.comments[comment.id]
    return render(ctx, 204, None)


def register(router: Router) -> None:
    router.add("GET", r"/api/issues", list_issues)
    router.add("POST", r"/api/issues", create_issue)
    router.add("GET", r"/api/issues/(?P<id>\d+)", retrieve_issue)
    router.add("PATCH", r"/api/issues/(?P<id>\d+)", update_issue)
    router.add("DELETE", r"/api/issues/(?P<id>\d+)", delete_issue)
    router.add("GET", r"/api/comments", list_comments)
    router.add("POST", r"/api/comments", create_comment)
    router.add("GET", r"/api/comments/(?P<id>\d+)", retrieve_comment)
    router.add("PATCH", r"/api/comments/(?P<id>\d+)", update_comment)
    router.add("DELETE", r"/api/comments/(?P<id>\d+)", delete_comment)
