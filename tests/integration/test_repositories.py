"""Repositories over the fake server: create, retrieve, list, iterate, update, remove, fetch
and the child getters. Every response is validated against CVAT's contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn.errors import BadRequest, InvalidInput, NotFound
from cvatfn.filters import F
from cvatfn.models import Job, JobStage, Label, Project, Task, TaskSpec
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport

LABELS = [
    {
        "name": "cat",
        "color": "#ff0000",
        "attributes": [
            {
                "name": "age",
                "mutable": False,
                "input_type": "number",
                "default_value": "1",
                "values": ["0", "10", "1"],
            },
        ],
    },
    {"name": "dog"},
]


def test_project_crud_and_fetch_snapshots(admin: cvatfn.Session) -> None:
    project = cvatfn.projects.create(admin, {"name": "animals", "labels": LABELS}).unwrap()
    assert isinstance(project, Project)
    assert project.name == "animals"
    labels = cvatfn.projects.get_labels(admin, project).unwrap()
    assert [label.name for label in labels] == ["cat", "dog"]
    assert labels[0].attributes[0].name == "age"

    renamed = cvatfn.projects.update(admin, project, {"name": "pets"}).unwrap()
    assert (renamed.name, project.name) == ("pets", "animals")
    fresh = cvatfn.projects.fetch(admin, project).unwrap()
    assert fresh.name == "pets" and fresh is not project and project.name == "animals"
    with pytest.raises(AttributeError):
        project.name = "mutated"  # type: ignore[misc]

    assert cvatfn.projects.remove(admin, renamed.id) == Success(None)
    assert isinstance(cvatfn.projects.retrieve(admin, project).failure(), NotFound)


def test_tasks_in_a_project_inherit_its_labels(admin: cvatfn.Session) -> None:
    project = cvatfn.projects.create(admin, {"name": "p", "labels": LABELS}).unwrap()
    task = cvatfn.tasks.create(admin, TaskSpec(name="t", project_id=project.id)).unwrap()
    assert task.project_id == project.id
    assert [label.name for label in cvatfn.tasks.get_labels(admin, task).unwrap()] == ["cat", "dog"]
    tasks = cvatfn.projects.get_tasks(admin, project).unwrap()
    assert [t.id for t in tasks] == [task.id]


def test_task_in_project_with_own_labels_is_rejected_before_sending(
    admin: cvatfn.Session, validating: ValidatingTransport
) -> None:
    project = cvatfn.projects.create(admin, {"name": "p", "labels": LABELS}).unwrap()
    before = validating.exchanges
    result = cvatfn.tasks.create(
        admin, {"name": "t", "project_id": project.id, "labels": [{"name": "x"}]}
    )
    assert result.failure().field == "labels"  # type: ignore[union-attr]
    assert validating.exchanges == before


def test_the_server_also_rejects_project_task_with_labels(server: FakeServer) -> None:
    """The fake enforces CVAT's rule on its own, for clients that do not check first."""
    import json

    from cvatfn.http import HttpRequest

    auth = (("Authorization", "Basic YWRtaW46YWRtaW4="), ("Content-Type", "application/json"))
    t = server.transport()
    made = t.handle(
        HttpRequest(
            "POST",
            "http://x/api/projects",
            auth,
            json.dumps({"name": "p", "labels": [{"name": "a"}]}).encode(),
        )
    )
    project_id = json.loads(made.body)["id"]
    answer = t.handle(
        HttpRequest(
            "POST",
            "http://x/api/tasks",
            auth,
            json.dumps({"name": "t", "project_id": project_id, "labels": [{"name": "b"}]}).encode(),
        )
    )
    assert answer.status == 400


def test_bad_spec_field_is_invalid_input_and_nothing_is_sent(
    admin: cvatfn.Session, validating: ValidatingTransport
) -> None:
    before = validating.exchanges
    match cvatfn.projects.create(admin, {"name": "p", "lables": []}):
        case Failure(InvalidInput(field=field, message=message)):
            assert field == "lables"
            assert "lables" in message
        case other:
            pytest.fail(str(other))
    match cvatfn.tasks.update(admin, 1, {"segment_size": "ten"}):
        case Failure(InvalidInput(field=field)):
            assert field == "segment_size"
        case other:
            pytest.fail(str(other))
    assert validating.exchanges == before


def test_listing_follows_every_page(
    connect: Callable[..., cvatfn.Session], validating: ValidatingTransport
) -> None:
    session = connect(page_size=4)
    for index in range(10):
        cvatfn.tasks.create(session, {"name": f"task-{index:02d}"}).unwrap()
    before = validating.exchanges
    tasks = cvatfn.tasks.list(session).unwrap()
    assert sorted(t.name for t in tasks) == [f"task-{i:02d}" for i in range(10)]
    assert validating.exchanges - before == 3  # ceil(10 / 4)


def test_iterate_is_lazy(
    connect: Callable[..., cvatfn.Session], validating: ValidatingTransport
) -> None:
    session = connect(page_size=2)
    for index in range(5):
        cvatfn.tasks.create(session, {"name": f"t{index}"}).unwrap()
    before = validating.exchanges
    stream = cvatfn.tasks.iterate(session, sort="id")
    assert validating.exchanges == before
    first = next(stream).unwrap()
    assert first.name == "t0"
    assert validating.exchanges == before + 1
    rest = [item.unwrap().name for item in stream]
    assert rest == ["t1", "t2", "t3", "t4"]
    assert validating.exchanges == before + 3


def test_search_sort_filters(admin: cvatfn.Session) -> None:
    for name in ("zebra", "apple", "mango"):
        cvatfn.tasks.create(admin, {"name": name}).unwrap()
    by_name = cvatfn.tasks.list(admin, sort="name").unwrap()
    assert [t.name for t in by_name] == ["apple", "mango", "zebra"]
    desc = cvatfn.tasks.list(admin, sort="-name").unwrap()
    assert [t.name for t in desc] == ["zebra", "mango", "apple"]
    assert [t.name for t in cvatfn.tasks.list(admin, search="ang").unwrap()] == ["mango"]
    assert [t.name for t in cvatfn.tasks.list(admin, name="apple").unwrap()] == ["apple"]
    expr = (F.name == "zebra") | (F.name == "apple")
    assert sorted(t.name for t in cvatfn.tasks.list(admin, filter=expr).unwrap()) == [
        "apple",
        "zebra",
    ]
    as_text = '{"==": [{"var": "name"}, "mango"]}'
    assert [t.name for t in cvatfn.tasks.list(admin, filter=as_text).unwrap()] == ["mango"]


def test_unknown_list_filter_is_invalid_input(
    admin: cvatfn.Session, validating: ValidatingTransport
) -> None:
    before = validating.exchanges
    assert cvatfn.tasks.list(admin, colour="red").failure().field == "colour"  # type: ignore[union-attr]
    assert cvatfn.tasks.list(admin, filter="[broken").failure().field == "filter"  # type: ignore[union-attr]
    assert validating.exchanges == before


def test_create_from_data_cuts_jobs_and_reads_sizes(
    admin: cvatfn.Session, images: Callable[..., list[Path]]
) -> None:
    paths = images(5, size=(40, 30))
    task = cvatfn.tasks.create_from_data(
        admin,
        {"name": "five", "labels": [{"name": "car"}], "segment_size": 2},
        paths,
        data_params={"image_quality": 80, "chunk_size": 3},
    ).unwrap()
    assert isinstance(task, Task)
    assert task.size == 5
    jobs = cvatfn.tasks.get_jobs(admin, task).unwrap()
    assert [(j.start_frame, j.stop_frame) for j in jobs] == [(0, 1), (2, 3), (4, 4)]
    meta = cvatfn.tasks.get_meta(admin, task).unwrap()
    assert [(f.width, f.height) for f in meta.frames] == [(40, 30)] * 5
    assert [f.name for f in meta.frames] == [p.name for p in paths]
    assert meta.image_quality == 80
    assert meta.chunk_size == 3


def test_large_files_go_over_tus(
    connect: Callable[..., cvatfn.Session],
    validating: ValidatingTransport,
    server: FakeServer,
    images: Callable[..., list[Path]],
) -> None:
    session = connect(max_request_size=2000, tus_chunk_size=1500)
    small = images(2, size=(8, 8))
    big = images(1, size=(300, 300), fmt="bmp")  # ~270 KB, far above the limit
    task = cvatfn.tasks.create_from_data(session, {"name": "mixed"}, [*small, *big]).unwrap()
    assert task.size == 3
    methods = [(request.method, request.header("Upload-Offset")) for request, _ in server.log]
    patches = [offset for method, offset in methods if method == "PATCH"]
    assert len(patches) == -(-big[0].stat().st_size // 1500)
    assert patches[:2] == ["0", "1500"]
    meta = cvatfn.tasks.get_meta(session, task).unwrap()
    assert sorted((f.width, f.height) for f in meta.frames) == [(8, 8), (8, 8), (300, 300)]


def test_unknown_data_parameter_is_rejected_before_creating(
    admin: cvatfn.Session, images: Callable[..., list[Path]]
) -> None:
    before = cvatfn.tasks.list(admin).unwrap()
    result = cvatfn.tasks.create_from_data(
        admin, {"name": "x"}, images(1), data_params={"image_qualty": 50}
    )
    assert result.failure().field == "image_qualty"  # type: ignore[union-attr]
    assert cvatfn.tasks.list(admin).unwrap() == before


def test_missing_file_is_rejected_before_creating(admin: cvatfn.Session, tmp_path: Path) -> None:
    result = cvatfn.tasks.create_from_data(admin, {"name": "x"}, [tmp_path / "nope.png"])
    assert result.failure().field == "resources[0]"  # type: ignore[union-attr]
    assert cvatfn.tasks.list(admin).unwrap() == ()


def test_non_image_fails_in_the_background(admin: cvatfn.Session, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = cvatfn.tasks.create_from_data(admin, {"name": "bad"}, [text])
    match result:
        case Failure(cvatfn.errors.BackgroundFailed(request_id=rq_id) as error):
            assert rq_id
            assert error.message
        case other:
            pytest.fail(str(other))


def test_frame_step_becomes_frame_filter(
    admin: cvatfn.Session, images: Callable[..., list[Path]]
) -> None:
    task = cvatfn.tasks.create_from_data(
        admin, {"name": "stepped"}, images(6), data_params={"frame_step": 2}
    ).unwrap()
    assert task.size == 3
    assert cvatfn.tasks.get_meta(admin, task).unwrap().frame_filter == "step=2"


def test_polling_waits_on_the_virtual_clock(
    server: FakeServer, connect: Callable[..., cvatfn.Session], images: Callable[..., list[Path]]
) -> None:
    server.configure_requests(polls_before_finish=3)
    session = connect(status_check_period=5.0)
    start = server.now()
    task = cvatfn.tasks.create_from_data(session, {"name": "slow"}, images(1)).unwrap()
    assert task.size == 1
    assert server.now() - start == pytest.approx(15.0)


def test_polling_deadline(
    server: FakeServer, connect: Callable[..., cvatfn.Session], images: Callable[..., list[Path]]
) -> None:
    server.configure_requests(polls_before_finish=100)
    session = connect(status_check_period=1.0, request_deadline=10.0)
    match cvatfn.tasks.create_from_data(session, {"name": "stuck"}, images(1)):
        case Failure(cvatfn.errors.DeadlineExceeded(seconds=seconds, request_id=rq_id)):
            assert seconds == 10.0
            assert rq_id
        case other:
            pytest.fail(str(other))


def test_failed_background_request_carries_the_message(
    server: FakeServer, admin: cvatfn.Session, images: Callable[..., list[Path]]
) -> None:
    server.fail_next_requests("disk full")
    match cvatfn.tasks.create_from_data(admin, {"name": "doomed"}, images(1)):
        case Failure(cvatfn.errors.BackgroundFailed(message=message)):
            assert "disk full" in message
        case other:
            pytest.fail(str(other))


def test_jobs_update_stage_and_state(
    admin: cvatfn.Session, images: Callable[..., list[Path]]
) -> None:
    task = cvatfn.tasks.create_from_data(admin, {"name": "j"}, images(2)).unwrap()
    (job,) = cvatfn.tasks.get_jobs(admin, task.id).unwrap()
    assert isinstance(job, Job)
    moved = cvatfn.jobs.update(admin, job, {"stage": JobStage.VALIDATION}).unwrap()
    assert moved.stage == "validation"
    assert job.stage == "annotation"
    done = cvatfn.jobs.update(admin, moved, {"state": "completed"}).unwrap()
    assert done.state == "completed"
    assert cvatfn.jobs.fetch(admin, job).unwrap().state == "completed"
    assert [j.id for j in cvatfn.jobs.list(admin, task_id=task.id).unwrap()] == [job.id]
    labels = cvatfn.jobs.get_labels(admin, job).unwrap()
    assert labels == cvatfn.tasks.get_labels(admin, task).unwrap()


def test_issues_and_comments(admin: cvatfn.Session, images: Callable[..., list[Path]]) -> None:
    task = cvatfn.tasks.create_from_data(admin, {"name": "review"}, images(1)).unwrap()
    (job,) = cvatfn.tasks.get_jobs(admin, task).unwrap()
    issue = cvatfn.issues.create(
        admin, {"job": job.id, "frame": 0, "position": [1.0, 2.0, 30.0, 40.0], "message": "blurry"}
    ).unwrap()
    assert issue.resolved is False
    assert [c.message for c in cvatfn.issues.get_comments(admin, issue).unwrap()] == ["blurry"]
    comment = cvatfn.comments.create(admin, {"issue": issue.id, "message": "agreed"}).unwrap()
    edited = cvatfn.comments.update(admin, comment, {"message": "fixed"}).unwrap()
    assert edited.message == "fixed"
    resolved = cvatfn.issues.update(admin, issue, {"resolved": True}).unwrap()
    assert resolved.resolved is True
    assert [i.id for i in cvatfn.jobs.get_issues(admin, job).unwrap()] == [issue.id]
    assert cvatfn.comments.remove(admin, comment) == Success(None)
    assert [c.message for c in cvatfn.issues.get_comments(admin, issue.id).unwrap()] == ["blurry"]
    assert cvatfn.issues.remove(admin, issue) == Success(None)
    assert isinstance(cvatfn.comments.retrieve(admin, comment.id).failure(), NotFound)


def test_labels_repository(admin: cvatfn.Session) -> None:
    project = cvatfn.projects.create(admin, {"name": "p", "labels": LABELS}).unwrap()
    cat = cvatfn.labels.list(admin, project_id=project.id, name="cat").unwrap()[0]
    assert isinstance(cat, Label)
    renamed = cvatfn.labels.update(admin, cat, {"name": "kitten"}).unwrap()
    assert renamed.name == "kitten"
    assert cvatfn.labels.fetch(admin, cat).unwrap().name == "kitten"
    assert cvatfn.labels.remove(admin, renamed) == Success(None)
    names = [label.name for label in cvatfn.projects.get_labels(admin, project).unwrap()]
    assert names == ["dog"]


def test_users(admin: cvatfn.Session, server: FakeServer) -> None:
    server.add_user("bob", "bob-pw")
    me = cvatfn.users.retrieve_current_user(admin).unwrap()
    assert me.username == "admin" and me.is_superuser
    names = sorted(u.username for u in cvatfn.users.list(admin).unwrap())
    assert names == ["admin", "bob"]
    bob = cvatfn.users.list(admin, username="bob").unwrap()[0]
    assert cvatfn.users.update(admin, bob, {"first_name": "Bob"}).unwrap().first_name == "Bob"


def test_organization_context(server: FakeServer, connect: Callable[..., cvatfn.Session]) -> None:
    server.add_user("olga", "olga-pw")
    olga = connect("olga", "olga-pw")
    org = cvatfn.organizations.create(olga, {"slug": "lab", "name": "Lab"}).unwrap()
    in_lab = cvatfn.with_org(olga, "lab")
    inside = cvatfn.projects.create(in_lab, {"name": "inside"}).unwrap()
    personal = cvatfn.with_org(olga, "")
    outside = cvatfn.projects.create(personal, {"name": "outside"}).unwrap()
    assert inside.organization == org.id
    assert outside.organization is None
    assert [p.name for p in cvatfn.projects.list(in_lab).unwrap()] == ["inside"]
    assert [p.name for p in cvatfn.projects.list(personal).unwrap()] == ["outside"]
    assert sorted(p.name for p in cvatfn.projects.list(olga).unwrap()) == ["inside", "outside"]
    members = cvatfn.organizations.get_memberships(olga, org).unwrap()
    assert [(m.user.username, m.role) for m in members] == [("olga", "owner")]


def test_organization_roles_apply(
    server: FakeServer, connect: Callable[..., cvatfn.Session]
) -> None:
    server.add_user("owner", "pw1")
    server.add_user("worker", "pw2")
    owner = cvatfn.with_org(connect("owner", "pw1"), "team")
    cvatfn.organizations.create(owner, {"slug": "team"}).unwrap()
    server.add_membership("team", "worker", "worker")
    project = cvatfn.projects.create(owner, {"name": "secret plans"}).unwrap()
    worker = cvatfn.with_org(connect("worker", "pw2"), "team")
    assert cvatfn.projects.list(worker).unwrap() == ()
    assert cvatfn.projects.update(worker, project, {"name": "mine"}).failure() is not None


def test_access_token_session(server: FakeServer, admin: cvatfn.Session) -> None:
    import json

    answer = cvatfn._api.build_request(  # type: ignore[attr-defined]
        admin, "POST", "/api/auth/access_tokens", json_body={"name": "ci"}
    )
    created = server.transport().handle(answer)
    assert created.status == 201, created.body
    token = json.loads(created.body)["value"]
    session = cvatfn.connect(
        "http://localhost", access_token=token, transport=server.transport()
    ).unwrap()
    assert cvatfn.users.retrieve_current_user(session).unwrap().username == "admin"
    assert isinstance(
        cvatfn.connect(
            "http://localhost", access_token="bogus", transport=server.transport()
        ).failure(),
        cvatfn.errors.Unauthorized,
    )


def test_requests_repository(admin: cvatfn.Session, images: Callable[..., list[Path]]) -> None:
    cvatfn.tasks.create_from_data(admin, {"name": "r"}, images(1)).unwrap()
    (request,) = cvatfn.requests.list(admin).unwrap()
    assert request.status == "finished"
    assert cvatfn.requests.retrieve(admin, request.id).unwrap().id == request.id
    assert isinstance(cvatfn.requests.retrieve(admin, "nope").failure(), NotFound)
    assert isinstance(cvatfn.requests.wait(admin, request.id).unwrap().id, str)


def test_bad_request_from_server_keeps_field_errors(admin: cvatfn.Session) -> None:
    match cvatfn.jobs.create(
        admin,
        {
            "type": "ground_truth",
            "task_id": 999,
            "frame_selection_method": "random_uniform",
            "frame_count": 1,
        },
    ):
        case Failure(BadRequest() | NotFound()):
            pass
        case other:
            pytest.fail(str(other))
