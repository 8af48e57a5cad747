from __future__ import annotations

from cvatfn_fake import FakeServer

from .conftest import Api, image_bytes, make_task, upload_images


def test_regular_user_sees_only_own_or_assigned(server: FakeServer, admin: Api) -> None:
    server.add_user("alice", "pw")
    bob_id = server.add_user("bob", "pw")
    alice, bob = admin.as_user("alice", "pw"), admin.as_user("bob", "pw")
    admins = make_task(admin, "admin task", labels=["a"])
    mine = make_task(alice, "alice task", labels=["a"])
    assert [t["name"] for t in alice.get("/api/tasks").data["results"]] == ["alice task"]
    assert admin.get("/api/tasks").data["count"] == 2
    forbidden = alice.get(f"/api/tasks/{admins['id']}")
    assert (forbidden.status, forbidden.data) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )
    assert bob.get(f"/api/tasks/{mine['id']}").status == 403
    # Naming another user asks users:view of them, which the sandbox grants only to admins.
    assert alice.patch(f"/api/tasks/{mine['id']}", {"assignee_id": bob_id}).status == 403
    assert admin.patch(f"/api/tasks/{mine['id']}", {"assignee_id": bob_id}).status == 200
    assert bob.get(f"/api/tasks/{mine['id']}").status == 200
    assert bob.get("/api/tasks").data["count"] == 1
    assert bob.delete(f"/api/tasks/{mine['id']}").status == 403
    users = alice.get("/api/users").data["results"]
    assert [u["username"] for u in users] == ["alice"] and "email" not in users[0]


def test_job_assignee_sees_job_but_not_task(server: FakeServer, admin: Api) -> None:
    worker_id = server.add_user("worker", "pw")
    worker = admin.as_user("worker", "pw")
    task = make_task(admin, labels=["a"])
    upload_images(admin, task["id"], [("a.png", image_bytes((4, 4)))])
    job = admin.get(f"/api/jobs?task_id={task['id']}").data["results"][0]
    assert worker.get(f"/api/jobs/{job['id']}").status == 403
    admin.patch(f"/api/jobs/{job['id']}", {"assignee": worker_id})
    seen = worker.get(f"/api/jobs/{job['id']}")
    assert seen.status == 200 and seen.data["source_storage"] is None
    assert worker.get("/api/jobs").data["count"] == 1
    assert worker.get(f"/api/tasks/{task['id']}").status == 403
    assert worker.patch(f"/api/jobs/{job['id']}", {"state": "completed"}).status == 200
    assert worker.patch(f"/api/jobs/{job['id']}", {"stage": "validation"}).status == 403


def test_organization_roles(server: FakeServer, admin: Api) -> None:
    for name in ("owner", "maint", "work", "outsider"):
        server.add_user(name, "pw", email=f"{name}@example.com")
    owner = admin.as_user("owner", "pw")
    org = owner.post("/api/organizations", {"slug": "lab", "name": "Lab"})
    assert org.status == 201 and org.data["owner"]["username"] == "owner"
    server.add_membership("lab", "maint", "maintainer")
    server.add_membership("lab", "work", "worker")
    in_lab = (("X-Organization", "lab"),)
    task = owner.post("/api/tasks", {"name": "org task", "labels": [{"name": "a"}]}, headers=in_lab)
    assert task.status == 201 and task.data["organization"] == org.data["id"]
    personal = make_task(owner, "personal", labels=["a"])
    maint, work, outsider = (admin.as_user(n, "pw") for n in ("maint", "work", "outsider"))
    assert maint.get("/api/tasks", headers=in_lab).data["count"] == 1
    assert maint.get(f"/api/tasks/{task.data['id']}").status == 200
    assert work.get("/api/tasks", headers=in_lab).data["count"] == 0
    assert work.get(f"/api/tasks/{task.data['id']}").status == 403
    assert (
        work.post("/api/tasks", {"name": "w", "labels": [{"name": "a"}]}, headers=in_lab).status
        == 403
    )
    assert outsider.get("/api/tasks", headers=in_lab).status == 403
    assert owner.get("/api/tasks", headers=(("X-Organization", ""),)).data["count"] == 1
    assert owner.get("/api/tasks").data["count"] == 2
    assert owner.get("/api/tasks?org=lab").data["results"][0]["name"] == "org task"
    assert owner.get(f"/api/tasks?org_id={org.data['id']}").data["count"] == 1
    assert personal["organization"] is None
    missing = owner.get("/api/tasks", headers=(("X-Organization", "nope"),))
    assert missing.status == 404
    members = maint.get("/api/memberships", headers=in_lab).data
    assert sorted(m["role"] for m in members["results"]) == ["maintainer", "owner", "worker"]
    worker_membership = next(m for m in members["results"] if m["role"] == "worker")
    owner_membership = next(m for m in members["results"] if m["role"] == "owner")
    assert (
        maint.patch(f"/api/memberships/{worker_membership['id']}", {"role": "supervisor"}).data[
            "role"
        ]
        == "supervisor"
    )
    assert (
        maint.patch(f"/api/memberships/{owner_membership['id']}", {"role": "worker"}).status == 403
    )
    assert work.delete(f"/api/memberships/{owner_membership['id']}").status == 403
    assert len(outsider.get("/api/organizations").data["results"]) == 0
    # CVAT filters the organizations queryset for every action: not a member, not found.
    assert outsider.get(f"/api/organizations/{org.data['id']}").status == 404


def test_invitations(server: FakeServer, admin: Api) -> None:
    server.add_user("boss", "pw")
    server.add_user("newbie", "pw", email="newbie@example.com")
    boss, newbie = admin.as_user("boss", "pw"), admin.as_user("newbie", "pw")
    boss.post("/api/organizations", {"slug": "team"})
    in_team = (("X-Organization", "team"),)
    invitation = boss.post(
        "/api/invitations", {"role": "worker", "email": "newbie@example.com"}, headers=in_team
    )
    assert invitation.status == 201, invitation.data
    key = invitation.data["key"]
    assert (
        invitation.data["organization_info"]["slug"] == "team"
        and invitation.data["accepted"] is False
    )
    assert newbie.get("/api/tasks", headers=in_team).status == 403
    assert boss.call("POST", f"/api/invitations/{key}/accept").status == 403
    accepted = newbie.call("POST", f"/api/invitations/{key}/accept")
    assert (accepted.status, accepted.data) == (200, {"organization_slug": "team"})
    assert newbie.get("/api/tasks", headers=in_team).status == 200
    server.add_user("shy", "pw", email="shy@example.com")
    second = boss.post(
        "/api/invitations", {"role": "supervisor", "email": "shy@example.com"}, headers=in_team
    )
    assert (
        admin.as_user("shy", "pw")
        .call("POST", f"/api/invitations/{second.data['key']}/decline")
        .status
        == 204
    )
    roles = boss.get("/api/memberships", headers=in_team).data["results"]
    assert sorted(m["role"] for m in roles) == ["owner", "worker"]
