"""Annotations of tasks and jobs on the wire, against scripted servers.

Each test checks what is sent (method, URL, query, body) and how every answer, good or bad,
becomes a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn import _annotations
from cvatfn.errors import (
    BadRequest,
    InvalidInput,
    NotFound,
    TransportFailure,
    UnexpectedResponse,
)
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.models import (
    AttributeVal,
    Job,
    LabeledData,
    LabeledImage,
    LabeledShape,
    LabeledTrack,
    SubLabeledShape,
    Task,
    TrackedShape,
)
from tests.core.scripted import Scripted, about_server, json_response
from tests.models.conftest import ASSETS_DIR

Handler = Callable[[HttpRequest], HttpResponse]

SERVER_DATA: dict[str, Any] = {
    "version": 0,
    "tags": [
        {"id": 5, "frame": 1, "label_id": 3, "group": 0, "source": "manual", "attributes": []}
    ],
    "shapes": [
        {
            "id": 5,
            "type": "rectangle",
            "frame": 0,
            "label_id": 3,
            "points": [1.0, 2.0, 3.0, 4.0],
            "group": 0,
            "source": "manual",
            "occluded": False,
            "outside": False,
            "z_order": 0,
            "rotation": 0.0,
            "attributes": [],
            "elements": [],
        },
        {
            "id": 6,
            "type": "skeleton",
            "frame": 2,
            "label_id": 7,
            "points": [],
            "group": 0,
            "source": "manual",
            "attributes": [],
            "elements": [
                {"id": 7, "type": "points", "frame": 2, "label_id": 8, "points": [5.0, 6.0]}
            ],
        },
    ],
    "tracks": [
        {
            "id": 5,
            "frame": 0,
            "label_id": 3,
            "group": 0,
            "source": "manual",
            "attributes": [],
            "shapes": [
                {"id": 1, "type": "rectangle", "frame": 0, "points": [0.0, 0.0, 1.0, 1.0]},
                {"id": 2, "type": "rectangle", "frame": 3, "points": [0.0, 0.0, 2.0, 2.0]},
            ],
            "elements": [],
        }
    ],
}


class Server:
    """Answers annotation requests from a script; records everything sent after connecting."""

    def __init__(self) -> None:
        self.answers: dict[str, Handler] = {}
        self.transport = Scripted(self._handle)
        self.session = cvatfn.connect("http://h", transport=self.transport).unwrap()
        self.transport.sent.clear()

    def on(self, method: str, answer: Handler | HttpResponse) -> None:
        self.answers[method] = answer if callable(answer) else (lambda _: answer)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about_server()(request)
        return self.answers[request.method](request)

    @property
    def sent(self) -> list[HttpRequest]:
        return self.transport.sent


def body(request: HttpRequest) -> Any:
    return json.loads(request.body)


def query(request: HttpRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


def field(result: object) -> str | None:
    match result:
        case Failure(InvalidInput(field=name)):
            return name
        case other:
            raise AssertionError(other)


@pytest.fixture
def server() -> Server:
    return Server()


# --------------------------------------------------------------------------------------------
# get
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "entity", "url"),
    [
        (cvatfn.tasks, 7, "http://h/api/tasks/7/annotations/"),
        (cvatfn.tasks, Task(id=8), "http://h/api/tasks/8/annotations/"),
        (cvatfn.jobs, 3, "http://h/api/jobs/3/annotations/"),
        (cvatfn.jobs, Job(id=4), "http://h/api/jobs/4/annotations/"),
    ],
)
def test_get_reads_the_annotations(server: Server, module: Any, entity: Any, url: str) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    data = module.get_annotations(server.session, entity).unwrap()
    assert [(r.method, r.url) for r in server.sent] == [("GET", url)]
    assert data == msgspec.json.decode(json.dumps(SERVER_DATA).encode(), type=LabeledData)
    assert data.shapes[1].elements[0] == SubLabeledShape(
        id=7, type="points", frame=2, label_id=8, points=(5.0, 6.0)
    )
    assert data.tracks[0].shapes[1].frame == 3


def test_get_failures_are_values(server: Server) -> None:
    server.on("GET", json_response(404, {"detail": "Not found."}))
    match cvatfn.tasks.get_annotations(server.session, 7):
        case Failure(NotFound(message="Not found.")):
            pass
        case other:
            raise AssertionError(other)

    server.on("GET", json_response(200, {"shapes": [{"frame": 0}]}))
    match cvatfn.jobs.get_annotations(server.session, 7):
        case Failure(UnexpectedResponse(message=message)):
            assert "type" in message
        case other:
            raise AssertionError(other)

    def refuse(request: HttpRequest) -> HttpResponse:
        raise TransportError("timeout", "slow", url=request.url)

    server.on("GET", refuse)
    match cvatfn.jobs.get_annotations(server.session, 7):
        case Failure(TransportFailure(kind="timeout")):
            pass
        case other:
            raise AssertionError(other)


@pytest.mark.parametrize("entity", ["7", True, None, 7.0, Task])
def test_bad_entities_send_nothing(server: Server, entity: Any) -> None:
    for call in (
        lambda: cvatfn.tasks.get_annotations(server.session, entity),
        lambda: cvatfn.tasks.set_annotations(server.session, entity, {}),
        lambda: cvatfn.tasks.update_annotations(server.session, entity, {}, action="create"),
        lambda: cvatfn.tasks.remove_annotations(server.session, entity),
    ):
        assert field(call()) == "task"
    assert field(cvatfn.jobs.remove_annotations(server.session, entity, ids={"tags": [1]})) == "job"
    assert server.sent == []


# --------------------------------------------------------------------------------------------
# set (PUT)
# --------------------------------------------------------------------------------------------


def test_set_puts_the_body_and_returns_the_answer(server: Server) -> None:
    server.on("PUT", json_response(200, SERVER_DATA))
    data = LabeledData(
        shapes=(
            LabeledShape(type="rectangle", frame=0, label_id=3, points=(1, 2, 3, 4)),
            LabeledShape(id=9, type="polygon", frame=1, label_id=3, points=(0, 0, 4, 0, 4, 4)),
        ),
        tags=(LabeledImage(frame=1, label_id=3, attributes=(AttributeVal(spec_id=2, value="a"),)),),
    )
    answer = cvatfn.tasks.set_annotations(server.session, 7, data).unwrap()
    (request,) = server.sent
    assert (request.method, request.url) == ("PUT", "http://h/api/tasks/7/annotations/")
    assert request.header("Content-Type") == "application/json"
    # new objects carry no id, known ones keep theirs, defaults are left out
    assert body(request) == {
        "tags": [{"label_id": 3, "frame": 1, "attributes": [{"spec_id": 2, "value": "a"}]}],
        "shapes": [
            {"type": "rectangle", "frame": 0, "label_id": 3, "points": [1.0, 2.0, 3.0, 4.0]},
            {
                "type": "polygon",
                "frame": 1,
                "label_id": 3,
                "points": [0.0, 0.0, 4.0, 0.0, 4.0, 4.0],
                "id": 9,
            },
        ],
    }
    assert answer.shapes[0].id == 5


def test_a_mapping_is_sent_like_the_struct(server: Server) -> None:
    server.on("PUT", json_response(200, SERVER_DATA))
    as_dict = {
        "shapes": [
            {"type": "rectangle", "frame": 0, "label_id": 3, "points": [1, 2, 3, 4]},
            # annotation structs and enums may sit inside the mapping
            LabeledShape(type=cvatfn.models.ShapeType.POINTS, frame=2, label_id=3, points=(1, 1)),
        ],
        "tracks": (
            LabeledTrack(
                frame=0,
                label_id=3,
                shapes=(TrackedShape(type="rectangle", frame=0, points=(0, 0, 1, 1)),),
            ),
        ),
    }
    as_struct = LabeledData(
        shapes=(
            LabeledShape(type="rectangle", frame=0, label_id=3, points=(1, 2, 3, 4)),
            LabeledShape(type="points", frame=2, label_id=3, points=(1, 1)),
        ),
        tracks=(
            LabeledTrack(
                frame=0,
                label_id=3,
                shapes=(TrackedShape(type="rectangle", frame=0, points=(0, 0, 1, 1)),),
            ),
        ),
    )
    cvatfn.jobs.set_annotations(server.session, 3, as_dict).unwrap()
    cvatfn.jobs.set_annotations(server.session, 3, as_struct).unwrap()
    first, second = server.sent
    assert first.body == second.body


def test_set_without_an_answer_body_reads_the_state_back(server: Server) -> None:
    server.on("PUT", HttpResponse(201))
    server.on("GET", json_response(200, SERVER_DATA))
    data = cvatfn.jobs.set_annotations(server.session, 3, {"tags": []}).unwrap()
    assert [(r.method, r.url) for r in server.sent] == [
        ("PUT", "http://h/api/jobs/3/annotations/"),
        ("GET", "http://h/api/jobs/3/annotations/"),
    ]
    assert len(data.shapes) == 2


def test_set_server_errors_are_values(server: Server) -> None:
    server.on("PUT", json_response(400, {"shapes": ["label_id `99` is invalid"]}))
    match cvatfn.tasks.set_annotations(server.session, 7, {}):
        case Failure(BadRequest(errors=errors)):
            assert errors == {"shapes": ("label_id `99` is invalid",)}
        case other:
            raise AssertionError(other)
    server.on("PUT", json_response(200, ["not", "annotations"]))
    assert isinstance(
        cvatfn.tasks.set_annotations(server.session, 7, {}).failure(), UnexpectedResponse
    )


BOX: dict[str, Any] = {"type": "rectangle", "frame": 0, "label_id": 3, "points": [0, 0, 1, 1]}


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([BOX], "data"),
        ("shapes", "data"),
        (None, "data"),
        ({"shpaes": []}, "shpaes"),
        ({"shapes": [{**BOX, "ocluded": True}]}, "shapes[0].ocluded"),
        ({"shapes": [{**BOX, "frame": "0"}]}, "shapes[0].frame"),
        ({"shapes": [{**BOX, "frame": -1}]}, "shapes[0].frame"),
        ({"shapes": [{**BOX, "label_id": -3}]}, "shapes[0].label_id"),
        ({"shapes": [{**BOX, "type": "hexagon"}]}, "shapes[0].type"),
        ({"shapes": [{k: v for k, v in BOX.items() if k != "type"}]}, "shapes[0].type"),
        ({"shapes": [{**BOX, "rotation": 360.5}]}, "shapes[0].rotation"),
        ({"shapes": [{**BOX, "score": 1.5}]}, "shapes[0].score"),
        ({"shapes": [{**BOX, "group": -1}]}, "shapes[0].group"),
        ({"shapes": [{**BOX, "source": ""}]}, "shapes[0].source"),
        ({"shapes": [{**BOX, "points": [0, "x"]}]}, "shapes[0].points[1]"),
        ({"shapes": [{**BOX, "attributes": [{"spec_id": 1}]}]}, "shapes[0].attributes[0].value"),
        (
            {"shapes": [{**BOX, "attributes": [{"spec_id": 1, "value": "x" * 4097}]}]},
            "shapes[0].attributes[0].value",
        ),
        (
            {"shapes": [{**BOX, "elements": [{**BOX, "elements": []}]}]},
            "shapes[0].elements[0].elements",
        ),
        ({"tracks": [{"frame": 0, "label_id": 3}]}, "tracks[0].shapes"),
        (
            {"tracks": [{"frame": 0, "label_id": 3, "shapes": [{"frame": 0}]}]},
            "tracks[0].shapes[0].type",
        ),
        (
            {"tracks": [{"frame": 0, "label_id": 3, "shapes": [{**BOX, "score": 0.5}]}]},
            "tracks[0].shapes[0].label_id",
        ),
        ({"tags": [{"frame": 0, "label_id": 3, "points": []}]}, "tags[0].points"),
        ({"intervals": [{"label_id": 3, "start": 0}]}, "intervals[0].stop"),
        ({"version": "1"}, "version"),
        ({"shapes": [{**BOX, "points": object()}]}, "shapes[0].points"),
    ],
)
def test_bad_annotations_are_rejected_before_sending(server: Server, data: Any, where: str) -> None:
    assert field(cvatfn.tasks.set_annotations(server.session, 7, data)) == where
    assert field(cvatfn.jobs.update_annotations(server.session, 7, data, action="create")) == where
    assert server.sent == []


def test_the_check_sends_exactly_what_the_models_encode() -> None:
    """Every annotation set a real CVAT returned passes the check and is sent byte for byte."""
    raw = json.loads((ASSETS_DIR / "annotations.json").read_bytes())
    count = 0
    for by_id in raw.values():
        for item in by_id.values():
            data = msgspec.json.decode(json.dumps(item).encode(), type=LabeledData)
            checked = _annotations.check_data(data).unwrap()
            assert msgspec.json.encode(checked) == msgspec.json.encode(data)
            count += 1
    assert count == 42


# --------------------------------------------------------------------------------------------
# update (PATCH)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["create", "update", "delete", *cvatfn.PatchAction], ids=str)
def test_update_patches_with_the_action(server: Server, action: Any) -> None:
    server.on("PATCH", json_response(200, {"version": 0, "tags": [SERVER_DATA["tags"][0]]}))
    tag = {"frame": 1, "label_id": 3, "id": 5}
    answer = cvatfn.jobs.update_annotations(server.session, 3, {"tags": [tag]}, action=action)
    assert answer.unwrap().tags[0].id == 5
    (request,) = server.sent
    assert request.method == "PATCH"
    assert urlsplit(request.url).path == "/api/jobs/3/annotations/"
    assert query(request) == {"action": [str(action)]}
    assert body(request) == {"tags": [{"label_id": 3, "frame": 1, "id": 5}]}


def test_create_needs_no_ids_but_update_and_delete_do(server: Server) -> None:
    server.on("PATCH", json_response(200, SERVER_DATA))
    new = {"shapes": [BOX]}
    assert isinstance(
        cvatfn.tasks.update_annotations(server.session, 7, new, action="create"), Success
    )
    for action in ("update", "delete"):
        assert field(cvatfn.tasks.update_annotations(server.session, 7, new, action=action)) == (
            "shapes[0].id"
        )
        mixed = {"tags": [{"frame": 0, "label_id": 1, "id": 4}, {"frame": 0, "label_id": 1}]}
        assert field(cvatfn.tasks.update_annotations(server.session, 7, mixed, action=action)) == (
            "tags[1].id"
        )
        nulled = {"tracks": [{"frame": 0, "label_id": 1, "shapes": [], "id": None}]}
        assert field(cvatfn.tasks.update_annotations(server.session, 7, nulled, action=action)) == (
            "tracks[0].id"
        )
    assert len(server.sent) == 1


@pytest.mark.parametrize("action", ["merge", "", "CREATE", None, 1])
def test_unknown_actions_send_nothing(server: Server, action: Any) -> None:
    assert field(cvatfn.jobs.update_annotations(server.session, 3, {}, action=action)) == "action"
    assert server.sent == []


def test_a_patch_answer_without_a_body_is_unexpected(server: Server) -> None:
    server.on("PATCH", HttpResponse(200))
    match cvatfn.jobs.update_annotations(server.session, 3, {"shapes": [BOX]}, action="create"):
        case Failure(UnexpectedResponse(status=200)):
            pass
        case other:
            raise AssertionError(other)
    assert len(server.sent) == 1


# --------------------------------------------------------------------------------------------
# remove
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "kind"), [(cvatfn.tasks, "tasks"), (cvatfn.jobs, "jobs")])
def test_remove_everything_is_one_delete(server: Server, module: Any, kind: str) -> None:
    server.on("DELETE", HttpResponse(204))
    assert module.remove_annotations(server.session, 7) == Success(None)
    assert [(r.method, r.url) for r in server.sent] == [
        ("DELETE", f"http://h/api/{kind}/7/annotations/")
    ]


def test_remove_by_ids_sends_back_the_servers_own_objects(server: Server) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    server.on("PATCH", lambda request: json_response(200, body(request)))
    ids = {"shapes": [6], "tracks": {5}}
    assert cvatfn.tasks.remove_annotations(server.session, 7, ids=ids) == Success(None)
    get, patch = server.sent
    assert (get.method, get.url) == ("GET", "http://h/api/tasks/7/annotations/")
    assert (patch.method, urlsplit(patch.url).path) == ("PATCH", "/api/tasks/7/annotations/")
    assert query(patch) == {"action": ["delete"]}
    sent = body(patch)
    # shape 6 and track 5 (not shape 5 nor tag 5), whole, with their frames and keyframes
    assert set(sent) == {"shapes", "tracks"}
    [skeleton] = sent["shapes"]
    assert (skeleton["id"], skeleton["frame"], skeleton["type"]) == (6, 2, "skeleton")
    assert skeleton["elements"][0]["id"] == 7
    [track] = sent["tracks"]
    assert track["id"] == 5
    assert [shape["frame"] for shape in track["shapes"]] == [0, 3]


def test_remove_by_ids_does_not_need_the_answer_body(server: Server) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    server.on("PATCH", HttpResponse(200))
    assert cvatfn.jobs.remove_annotations(server.session, 3, ids={"tags": [5]}) == Success(None)
    assert [r.method for r in server.sent] == ["GET", "PATCH"]


def test_remove_by_ids_accepts_annotation_ids(server: Server) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    server.on("PATCH", lambda request: json_response(200, body(request)))
    current = cvatfn.jobs.get_annotations(server.session, 3).unwrap()
    chosen = LabeledData(tags=current.tags, shapes=current.shapes[:1])
    ids = cvatfn.AnnotationIds.of(chosen)
    assert ids == cvatfn.AnnotationIds(tags=frozenset({5}), shapes=frozenset({5}))
    assert cvatfn.jobs.remove_annotations(server.session, 3, ids=ids) == Success(None)
    sent = body(server.sent[-1])
    assert [t["id"] for t in sent["tags"]] == [5]
    assert [s["id"] for s in sent["shapes"]] == [5]


def test_remove_unknown_ids_removes_nothing(server: Server) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    result = cvatfn.tasks.remove_annotations(
        server.session, 7, ids={"shapes": [5], "tracks": [6, 9]}
    )
    match result:
        case Failure(InvalidInput(field="ids.tracks", message=message)):
            assert "[6, 9]" in message
            assert "nothing was removed" in message
        case other:
            raise AssertionError(other)
    assert [r.method for r in server.sent] == ["GET"]


def test_empty_ids_remove_nothing_and_send_nothing(server: Server) -> None:
    assert cvatfn.tasks.remove_annotations(server.session, 7, ids={}) == Success(None)
    assert cvatfn.jobs.remove_annotations(server.session, 7, ids=cvatfn.AnnotationIds()) == (
        Success(None)
    )
    assert cvatfn.jobs.remove_annotations(server.session, 7, ids={"shapes": []}) == Success(None)
    assert server.sent == []


@pytest.mark.parametrize(
    ("ids", "where"),
    [
        ([1, 2], "ids"),
        ({"shpaes": [1]}, "ids.shpaes"),
        ({"shapes": ["1"]}, "ids.shapes[0]"),
        ({"shapes": 1}, "ids.shapes"),
        ({"tags": [1, None]}, "ids.tags[1]"),
        ({"tags": [object()]}, "ids.tags[0]"),
    ],
)
def test_bad_ids_send_nothing(server: Server, ids: Any, where: str) -> None:
    assert field(cvatfn.tasks.remove_annotations(server.session, 7, ids=ids)) == where
    assert server.sent == []


def test_remove_failures_are_values(server: Server) -> None:
    server.on("GET", json_response(403, {"detail": "You do not have permission."}))
    result = cvatfn.jobs.remove_annotations(server.session, 3, ids={"shapes": [5]})
    assert result.failure().status == 403  # type: ignore[union-attr]
    server.on("GET", json_response(200, SERVER_DATA))
    server.on("PATCH", json_response(500, {"detail": "boom"}))
    result = cvatfn.jobs.remove_annotations(server.session, 3, ids={"shapes": [5]})
    assert result.failure().status == 500  # type: ignore[union-attr]
    server.on("DELETE", json_response(404, {"detail": "Not found."}))
    assert isinstance(cvatfn.jobs.remove_annotations(server.session, 3).failure(), NotFound)


# --------------------------------------------------------------------------------------------
# the client binds the same functions
# --------------------------------------------------------------------------------------------


def test_client_binds_the_annotation_functions(server: Server) -> None:
    server.on("GET", json_response(200, SERVER_DATA))
    client = cvatfn.Client(server.session)
    assert client.tasks.get_annotations(7) == cvatfn.tasks.get_annotations(server.session, 7)
    assert client.jobs.get_annotations(3).unwrap().tags[0].id == 5
    for api in (client.tasks, client.jobs):
        for name in ("set_annotations", "update_annotations", "remove_annotations"):
            assert callable(getattr(api, name))
