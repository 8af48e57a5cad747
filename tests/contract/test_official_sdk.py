"""The official ``cvat-sdk==2.80.0`` client as a real peer of the fake server.

Each test starts a :class:`~cvatfn_fake.FakeServer` and serves it over HTTP on
``127.0.0.1`` (port 0) through a :class:`~tests.contract.openapi.ValidatingTransport`, so
every response the SDK receives is also checked against CVAT's 2.80 contract. The SDK
checks what it receives too: its generated models reject a missing required field or a value
of the wrong type, and it follows the server's own URLs (``next`` pages, TUS ``Location``).

After every test the fixture asserts that the contract saw no violation and that nothing was
warned, neither through :mod:`warnings` nor through the SDK's loggers (the server-version
check in ``Client.check_server_version`` logs its complaint at WARNING level).

Run ``pytest tests/contract/test_official_sdk.py -s`` to see the contract coverage of the
whole module printed at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.contract.peer import ADMIN, Cvat, image

cvat_sdk = pytest.importorskip("cvat_sdk")

from cvat_sdk.api_client import exceptions, models  # noqa: E402
from cvat_sdk.core import uploading  # noqa: E402
from cvat_sdk.core.exceptions import BackgroundRequestException  # noqa: E402

pytestmark = [pytest.mark.official_sdk, pytest.mark.http]

# ------------------------------------------------------------------------------- auth


def test_password_login_and_logout(cvat: Cvat) -> None:
    client = cvat.client(ADMIN)
    assert "sessionid" in client.api_client.cookies
    me = client.users.retrieve_current_user()
    assert (me.username, me.is_superuser) == ("admin", True)
    client.logout()
    assert not client.has_credentials()
    with pytest.raises(exceptions.UnauthorizedException):
        client.users.retrieve_current_user()
    assert cvat.recorder.count("POST", "/api/auth/logout") == 1
    # dj-rest-auth's LoginSerializer: bad credentials are a validation error, not a 401.
    with pytest.raises(exceptions.ApiException) as caught:
        cvat.client(("admin", "wrong"))
    assert caught.value.status == 400
    assert "Unable to log in with provided credentials." in str(caught.value.body)


def test_access_token_login(cvat: Cvat) -> None:
    with cvat.client(ADMIN) as admin:
        token, _ = admin.api_client.auth_api.create_access_tokens(
            models.AccessTokenWriteRequest(name="ci")
        )
        read_only, _ = admin.api_client.auth_api.create_access_tokens(
            models.AccessTokenWriteRequest(name="viewer", read_only=True)
        )
    assert token.value and token.owner.username == "admin" and not token.read_only
    client = cvat.client(access_token=token.value)
    assert "sessionid" not in client.api_client.cookies
    assert client.users.retrieve_current_user().username == "admin"
    current, _ = client.api_client.auth_api.retrieve_access_tokens_self()
    assert (current.id, current.name) == (token.id, "ci")
    assert client.projects.create({"name": "by token"}).owner.username == "admin"
    before = len(cvat.recorder.seen)
    client.logout()  # an access token has nothing to log out on the server
    assert len(cvat.recorder.seen) == before and not client.has_credentials()
    with pytest.raises(exceptions.UnauthorizedException):
        client.users.retrieve_current_user()

    viewer = cvat.client(access_token=read_only.value)
    assert [p.name for p in viewer.projects.list()] == ["by token"]
    with pytest.raises(exceptions.ForbiddenException):
        viewer.projects.create({"name": "not allowed"})


# ---------------------------------------------------------------------------- projects


LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "color": "#ff0000",
        "attributes": [
            {
                "name": "color",
                "mutable": False,
                "input_type": "select",
                "default_value": "red",
                "values": ["red", "blue"],
            },
            {
                "name": "parked",
                "mutable": True,
                "input_type": "checkbox",
                "default_value": "false",
                "values": ["false"],
            },
        ],
    },
    {"name": "person", "type": "rectangle"},
]


def test_project_with_labels_and_attributes(cvat: Cvat) -> None:
    client = cvat.client()
    project = client.projects.create({"name": "streets", "labels": LABELS})
    assert project.name == "streets" and project.owner.username == "admin"
    labels = sorted(project.get_labels(), key=lambda label: label.name)
    assert [(label.name, label.type) for label in labels] == [
        ("car", "any"),
        ("person", "rectangle"),
    ]
    car = labels[0]
    assert car.color == "#ff0000" and car.project_id == project.id
    assert [
        (a.name, a.input_type.value, a.mutable, a.default_value, a.values) for a in car.attributes
    ] == [
        ("color", "select", False, "red", ["red", "blue"]),
        ("parked", "checkbox", True, "false", ["false"]),
    ]
    assert labels[1].color.startswith("#") and labels[1].attributes == []
    again = client.projects.retrieve(project.id)
    assert again.labels.url.endswith(f"/api/labels?project_id={project.id}")
    assert len(client.api_client.labels_api.list(project_id=project.id)[0].results) == 2


# ------------------------------------------------------------------------------- tasks


def test_create_task_from_local_images_small_and_over_the_tus_threshold(
    cvat: Cvat, tmp_path: Path
) -> None:
    small = [
        image(tmp_path / f"frame_{i}.png", (10 + i, 20 + 2 * i), (i * 40, 0, 0)) for i in range(5)
    ]
    # A real file above the SDK's real threshold: an uncompressed BMP builds in ~0.2 s and
    # the whole upload (11 TUS chunks of 10 MiB over loopback) takes under a second.
    big = tmp_path / "huge.bmp"
    Image.new("RGB", (6000, 5900), (1, 2, 3)).save(big)
    assert big.stat().st_size > uploading.MAX_REQUEST_SIZE
    assert uploading.MAX_REQUEST_SIZE == 100 * 2**20 and uploading.TUS_CHUNK_SIZE == 10 * 2**20

    client = cvat.client()
    task = client.tasks.create_from_data(
        {"name": "street", "labels": [{"name": "car"}], "segment_size": 2},
        [*small, big],
        data_params={"image_quality": 80, "chunk_size": 3},
    )
    assert task.size == 6 and task.status == "annotation" and task.mode == "annotation"
    assert task.segment_size == 2 and task.image_quality == 80 and task.data_chunk_size == 3
    assert task.jobs.count == 3
    jobs = sorted(task.get_jobs(), key=lambda job: job.start_frame)
    assert [(j.start_frame, j.stop_frame, j.task_id) for j in jobs] == [
        (0, 1, task.id),
        (2, 3, task.id),
        (4, 5, task.id),
    ]
    meta = task.get_meta()
    assert (meta.size, meta.start_frame, meta.stop_frame, meta.chunk_size) == (6, 0, 5, 3)
    assert meta.image_quality == 80
    frames = [(f.name, f.width, f.height) for f in meta.frames]
    expected = [(p.name, 10 + i, 20 + 2 * i) for i, p in enumerate(small)]
    assert sorted(frames) == sorted([*expected, ("huge.bmp", 6000, 5900)])
    assert [(f.name, f.width, f.height) for f in jobs[1].get_frames_info()] == frames[2:4]

    # How it travelled: one multipart request for the small files, TUS for the big one.
    rec = cvat.recorder
    data = f"/api/tasks/{task.id}/data"
    assert rec.count("POST", data, header="upload-start") == 1
    assert rec.count("POST", data, header="upload-multiple") == 1
    assert rec.count("POST", data, header="upload-length") == 1  # TUS creation
    assert rec.count("PATCH", data, header="tus-resumable") == 11  # 10 MiB chunks
    assert rec.count("POST", data, header="upload-finish") == 1


def test_listing_follows_every_page(cvat: Cvat) -> None:
    client = cvat.client()
    names = [f"task {i:02}" for i in range(23)]
    for name in names:
        client.tasks.create({"name": name, "labels": [{"name": "x"}]})
    assert sorted(t.name for t in client.tasks.list()) == names
    pages = [s.query.get("page") for s in cvat.recorder.seen if s.path.rstrip("/") == "/api/tasks"]
    assert pages[-3:] == [["1"], ["2"], ["3"]]
    assert len(client.tasks.list(page_size=5)) == 23
    assert [t.name for t in client.tasks.list(filter='{"==":[{"var":"name"},"task 07"]}')] == [
        "task 07"
    ]


def test_update_fetch_and_remove_task_and_project(cvat: Cvat) -> None:
    client = cvat.client()
    project = client.projects.create({"name": "p", "labels": [{"name": "car"}]})
    task = client.tasks.create({"name": "t", "project_id": project.id})
    other = client.tasks.create({"name": "outside", "labels": [{"name": "x"}]})
    assert task.project_id == project.id
    assert [label.name for label in task.get_labels()] == ["car"]

    task.update({"name": "renamed", "subset": "train"})
    assert (task.name, task.subset) == ("renamed", "train")
    stale = client.tasks.retrieve(task.id)
    project.update({"name": "p2"})
    assert stale.fetch().name == "renamed"
    assert client.projects.retrieve(project.id).name == "p2"
    assert [t.id for t in project.get_tasks()] == [task.id]

    other.remove()
    with pytest.raises(exceptions.NotFoundException):
        client.tasks.retrieve(other.id)
    project.remove()  # takes its tasks along, as in CVAT
    with pytest.raises(exceptions.NotFoundException):
        client.projects.retrieve(project.id)
    with pytest.raises(exceptions.NotFoundException) as caught:
        client.tasks.retrieve(task.id)
    assert caught.value.status == 404
    assert client.tasks.list() == [] and client.projects.list() == []
    client.tasks.remove_by_ids([task.id])  # a 404 is ignored by the SDK


# -------------------------------------------------------------------------------- jobs


def test_job_stage_change_resets_its_state(cvat: Cvat, tmp_path: Path) -> None:
    client = cvat.client()
    files = [image(tmp_path / f"{i}.png", (8, 8)) for i in range(4)]
    task = client.tasks.create_from_data(
        {"name": "t", "labels": [{"name": "x"}], "segment_size": 2}, files
    )
    job_id = min(j.id for j in task.get_jobs())
    job = client.jobs.retrieve(job_id)
    assert (job.stage, job.state, job.type) == ("annotation", "new", "annotation")
    job.update({"state": "in progress"})
    assert (job.stage, job.state) == ("annotation", "in progress")
    job.update({"stage": "validation"})
    # CVAT's JobWriteSerializer: a new stage without a state resets the state to "new".
    assert (job.stage, job.state) == ("validation", "new")
    job.update({"stage": "acceptance", "state": "completed"})
    assert (job.stage, job.state) == ("acceptance", "completed")
    assert client.jobs.retrieve(job_id).state == "completed"
    task.fetch()
    assert task.jobs.completed == 1 and task.jobs.count == 2
    assert [j.id for j in client.jobs.list(task_id=task.id, stage="acceptance")] == [job_id]


def test_issues_and_comments(cvat: Cvat, tmp_path: Path) -> None:
    client = cvat.client()
    files = [image(tmp_path / f"{i}.png", (8, 8)) for i in range(2)]
    task = client.tasks.create_from_data({"name": "t", "labels": [{"name": "x"}]}, files)
    job = task.get_jobs()[0]
    issue = client.issues.create(
        {"frame": 1, "position": [1.0, 2.0, 3.0, 4.0], "job": job.id, "message": "blurry"}
    )
    assert (issue.frame, issue.job, issue.resolved) == (1, job.id, False)
    assert issue.owner.username == "admin" and issue.comments.count == 1
    # CVAT turns the issue's message into its first comment.
    first = issue.get_comments()
    assert [(c.message, c.issue) for c in first] == [("blurry", issue.id)]
    second = client.comments.create({"issue": issue.id, "message": "agreed"})
    assert second.owner.username == "admin"
    assert sorted(c.message for c in client.comments.list(issue_id=issue.id)) == [
        "agreed",
        "blurry",
    ]
    second.update({"message": "agreed, fixed"})
    assert client.comments.retrieve(second.id).message == "agreed, fixed"
    second.remove()
    with pytest.raises(exceptions.NotFoundException):
        client.comments.retrieve(second.id)

    issue.update({"resolved": True})
    assert issue.resolved and client.issues.retrieve(issue.id).resolved
    assert issue.fetch().comments.count == 1
    assert [i.id for i in client.jobs.retrieve(job.id).get_issues()] == [issue.id]
    assert [i.id for i in client.issues.list()] == [issue.id]
    issue.remove()
    assert client.issues.list() == [] and client.comments.list() == []
    with pytest.raises(exceptions.NotFoundException):
        client.comments.retrieve(first[0].id)


# ----------------------------------------------------------------------- organizations


def test_organization_context(cvat: Cvat) -> None:
    client = cvat.client()
    personal = client.tasks.create({"name": "personal", "labels": [{"name": "x"}]})
    org = client.organizations.create({"slug": "lab", "name": "The Lab"})
    assert (org.slug, org.name, org.owner.username) == ("lab", "The Lab", "admin")
    assert [o.slug for o in client.organizations.list()] == ["lab"]

    client.organization_slug = "lab"
    project = client.projects.create({"name": "org project", "labels": [{"name": "car"}]})
    task = client.tasks.create({"name": "org task", "project_id": project.id})
    assert project.organization == org.id and task.organization == org.id
    assert [t.name for t in client.tasks.list()] == ["org task"]
    assert [p.name for p in client.projects.list()] == ["org project"]

    with client.organization_context(""):
        assert client.organization_slug == ""
        assert [t.name for t in client.tasks.list()] == ["personal"]
        assert client.projects.list() == []
    assert client.organization_slug == "lab"

    client.organization_slug = None
    assert sorted(t.name for t in client.tasks.list()) == ["org task", "personal"]
    assert client.tasks.retrieve(personal.id).organization is None
    assert client.tasks.retrieve(task.id).organization == org.id
    assert [t.name for t in client.tasks.list(org="lab")] == ["org task"]

    org.update({"name": "Renamed Lab"})
    assert client.organizations.retrieve(org.id).name == "Renamed Lab"
    org.remove()
    with pytest.raises(exceptions.NotFoundException):
        client.organizations.retrieve(org.id)
    assert client.organizations.list() == []
    # What becomes of the organization's projects and tasks is deliberately not asserted:
    # CVAT's Task/Project.organization foreign keys are SET_NULL, the fake deletes them.


def test_a_regular_user_cannot_see_the_admins_task(cvat: Cvat) -> None:
    admin = cvat.client()
    task = admin.tasks.create({"name": "secret", "labels": [{"name": "x"}]})
    cvat.server.add_user("bob", "bob-pw")
    bob = cvat.client(("bob", "bob-pw"))
    assert bob.users.retrieve_current_user().is_superuser is False
    assert bob.tasks.list() == []
    # CVAT's TaskViewSet filters the queryset by permission for ``list`` only: the task is
    # found, then the IAM check denies it, so a retrieve answers 403, not 404.
    with pytest.raises(exceptions.ForbiddenException) as caught:
        bob.tasks.retrieve(task.id)
    assert caught.value.status == 403
    assert "You do not have permission to perform this action." in str(caught.value.body)
    with pytest.raises(exceptions.ForbiddenException):
        bob.api_client.tasks_api.partial_update(
            task.id, patched_task_write_request=models.PatchedTaskWriteRequest(name="mine")
        )
    with pytest.raises(exceptions.ForbiddenException):
        bob.api_client.tasks_api.destroy(task.id)
    with pytest.raises(exceptions.NotFoundException):
        bob.tasks.retrieve(task.id + 100)
    assert admin.tasks.retrieve(task.id).name == "secret"


# ------------------------------------------------------------------ background requests


def test_wait_for_completion_polls_until_finished(cvat: Cvat, tmp_path: Path) -> None:
    cvat.server.configure_requests(polls_before_finish=2)
    client = cvat.client()
    files = [image(tmp_path / f"{i}.png", (8, 8)) for i in range(3)]
    task = client.tasks.create_from_data({"name": "slow", "labels": [{"name": "x"}]}, files)
    assert task.size == 3
    polls = [
        s for s in cvat.recorder.seen if s.method == "GET" and s.path.startswith("/api/requests/")
    ]
    assert len(polls) == 3  # queued, started, finished

    requests, _ = client.api_client.requests_api.list()
    assert [(r.status.value, r.operation.type) for r in requests.results] == [
        ("finished", "create:task")
    ]
    finished, _ = client.wait_for_completion(requests.results[0].id)
    assert finished.status.value == "finished" and finished.operation.task_id == task.id


def test_a_failed_request_raises_background_request_exception(cvat: Cvat, tmp_path: Path) -> None:
    cvat.server.configure_requests(polls_before_finish=1)
    cvat.server.fail_next_requests("Not enough disk space on the fake")
    client = cvat.client()
    files = [image(tmp_path / "a.png", (8, 8))]
    with pytest.raises(BackgroundRequestException, match="Not enough disk space on the fake"):
        client.tasks.create_from_data({"name": "doomed", "labels": [{"name": "x"}]}, files)
    (task,) = client.tasks.list()
    assert task.size == 0 and task.jobs.count == 0
