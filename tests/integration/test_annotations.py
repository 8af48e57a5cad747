"""Annotations of tasks and jobs against the fake CVAT, with every response validated.

Each scenario runs twice: in-process, and over real HTTP with urllib3 against
``python -m cvatfn_fake``; the same assertions hold over both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from returns.result import Failure, Success

import cvatfn
from cvatfn import masks
from cvatfn.errors import BadRequest, Forbidden, InvalidInput, NotFound
from cvatfn.models import (
    UNSET,
    AttributeVal,
    Job,
    Label,
    LabeledData,
    LabeledImage,
    LabeledShape,
    LabeledTrack,
    ShapeType,
    SubLabeledShape,
    SubLabeledTrack,
    Task,
    TrackedShape,
)
from cvatfn_fake import FakeServer
from cvatfn_urllib3 import Urllib3Transport
from tests.contract.openapi import ValidatingTransport

LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "attributes": [
            {
                "name": "color",
                "mutable": False,
                "input_type": "select",
                "default_value": "red",
                "values": ["red", "blue"],
            },
            {
                "name": "moving",
                "mutable": True,
                "input_type": "checkbox",
                "default_value": "false",
                "values": ["false"],
            },
        ],
    },
    {
        "name": "person",
        "type": "skeleton",
        "sublabels": [{"name": "head", "type": "points"}, {"name": "hand", "type": "points"}],
        "svg": '<circle r="1" cx="10" cy="10" data-type="element node" data-element-id="1" '
        'data-node-id="1" data-label-name="head"></circle>'
        '<circle r="1" cx="20" cy="20" data-type="element node" data-element-id="2" '
        'data-node-id="2" data-label-name="hand"></circle>',
    },
]

BLOB = masks.Mask(left=2, top=3, rows=((True, False, True), (True, True, False)))


@pytest.fixture(params=["in_process", pytest.param("http", marks=pytest.mark.http)])
def session(request: pytest.FixtureRequest) -> Iterator[cvatfn.Session]:
    """A session in-process (``admin``), or over HTTP with urllib3 (``alice``); validated."""
    if request.param == "in_process":
        connect: Callable[..., cvatfn.Session] = request.getfixturevalue("connect")
        yield connect()
        return
    url: str = request.getfixturevalue("http_front")
    with Urllib3Transport() as transport:
        validating = ValidatingTransport(transport)
        yield cvatfn.connect(url, credentials=("alice", "alice-pw"), transport=validating).unwrap()
        assert validating.violations == [], validating.report()


@dataclass(frozen=True)
class Setup:
    """A task of four frames cut into two jobs (frames 0-1 and 2-3), and its label ids."""

    session: cvatfn.Session
    task: Task
    jobs: tuple[Job, ...]
    car: int
    color: int
    moving: int
    person: int
    head: int
    hand: int


@pytest.fixture
def setup(session: cvatfn.Session, images: Callable[..., list[Path]]) -> Setup:
    task = cvatfn.tasks.create_from_data(
        session, {"name": "annotated", "labels": LABELS, "segment_size": 2}, images(4)
    ).unwrap()
    jobs = cvatfn.tasks.get_jobs(session, task).unwrap()
    assert [(job.start_frame, job.stop_frame) for job in jobs] == [(0, 1), (2, 3)]
    labels: dict[str, Label] = {
        label.name: label for label in cvatfn.tasks.get_labels(session, task).unwrap()
    }
    car, person = labels["car"], labels["person"]
    attributes = {attribute.name: attribute.id for attribute in car.attributes}
    points = {sub.name: sub.id for sub in person.sublabels}
    return Setup(
        session,
        task,
        jobs,
        car=car.id,
        color=attributes["color"],
        moving=attributes["moving"],
        person=person.id,
        head=points["head"],
        hand=points["hand"],
    )


def every_kind(s: Setup, a: int, b: int) -> LabeledData:
    """Every shape type, a tag, a box track and a skeleton track on frames ``a`` and ``b``.

    The tracks end with an outside keyframe on ``b``: a track still visible at the end of its
    job is closed there by CVAT in the task's view, which would change it.
    """
    both = (
        AttributeVal(spec_id=s.color, value="blue"),
        AttributeVal(spec_id=s.moving, value="true"),
    )
    color = (AttributeVal(spec_id=s.color, value="blue"),)
    moving = (AttributeVal(spec_id=s.moving, value="false"),)

    def shape(kind: ShapeType, frame: int, points: Sequence[float], **more: Any) -> LabeledShape:
        return LabeledShape(
            type=kind.value,
            frame=frame,
            label_id=s.car,
            points=tuple(points),
            attributes=both,
            **more,
        )

    mask = masks.to_shape(BLOB, frame=a, label_id=s.car, attributes=both, z_order=1).unwrap()
    skeleton = LabeledShape(
        type="skeleton",
        frame=b,
        label_id=s.person,
        elements=(
            SubLabeledShape(type="points", frame=b, label_id=s.head, points=(5, 5)),
            SubLabeledShape(type="points", frame=b, label_id=s.hand, points=(7, 9), outside=True),
        ),
    )
    box_track = LabeledTrack(
        frame=a,
        label_id=s.car,
        attributes=color,
        shapes=(
            TrackedShape(type="rectangle", frame=a, points=(0, 0, 4, 4), attributes=moving),
            TrackedShape(
                type="rectangle",
                frame=b,
                points=(2, 2, 6, 6),
                rotation=10,
                outside=True,
                attributes=moving,
            ),
        ),
    )
    skeleton_track = LabeledTrack(
        frame=a,
        label_id=s.person,
        shapes=(
            TrackedShape(type="skeleton", frame=a),
            TrackedShape(type="skeleton", frame=b, outside=True),
        ),
        elements=(
            SubLabeledTrack(
                frame=a,
                label_id=s.head,
                shapes=(
                    TrackedShape(type="points", frame=a, points=(1, 1)),
                    TrackedShape(type="points", frame=b, points=(2, 2), outside=True),
                ),
            ),
            SubLabeledTrack(
                frame=a,
                label_id=s.hand,
                shapes=(
                    TrackedShape(type="points", frame=a, points=(3, 3), occluded=True),
                    TrackedShape(type="points", frame=b, points=(3, 3), outside=True),
                ),
            ),
        ),
    )
    return LabeledData(
        shapes=(
            shape(
                ShapeType.RECTANGLE,
                a,
                (1, 2, 10, 12),
                rotation=30.0,
                z_order=2,
                occluded=True,
                group=1,
                source="auto",
                score=0.5,
            ),
            shape(ShapeType.POLYGON, b, (0, 0, 8, 0, 8, 8, 0, 8)),
            shape(ShapeType.POLYLINE, a, (1, 1, 5, 5, 9, 1)),
            shape(ShapeType.POINTS, b, (3, 3, 4, 4)),
            shape(ShapeType.ELLIPSE, a, (10, 10, 14, 12)),
            shape(ShapeType.CUBOID, b, tuple(float(i % 7) for i in range(16))),
            mask,
            skeleton,
        ),
        tags=(LabeledImage(frame=a, label_id=s.car, attributes=both),),
        tracks=(box_track, skeleton_track),
    )


# --- comparing what was sent with what the server holds, server ids aside -------------------


def _no_id(item: Any) -> Any:
    changes: dict[str, Any] = {"id": UNSET}
    if hasattr(item, "attributes"):
        changes["attributes"] = tuple(sorted(item.attributes, key=lambda a: a.spec_id))
    if hasattr(item, "elements"):
        changes["elements"] = _sorted(item.elements)
    if hasattr(item, "shapes"):
        changes["shapes"] = tuple(_no_id(shape) for shape in item.shapes)
    return msgspec.structs.replace(item, **changes)


def _key(item: Any) -> str:
    return repr(
        (
            getattr(item, "frame", None),
            getattr(item, "label_id", None),
            getattr(item, "type", None),
            getattr(item, "points", None),
        )
    )


def _sorted(items: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(sorted((_no_id(item) for item in items), key=_key))


def content(data: LabeledData) -> tuple[tuple[Any, ...], ...]:
    """The objects of ``data`` without server ids, in a canonical order."""
    return (_sorted(data.shapes), _sorted(data.tags), _sorted(data.tracks))


def ids(data: LabeledData) -> set[tuple[str, int]]:
    """Every (kind, id), nested objects included."""
    found: set[tuple[str, int]] = set()

    def add(kind: str, items: Sequence[Any]) -> None:
        for item in items:
            assert isinstance(item.id, int), (kind, item)
            assert (kind, item.id) not in found
            found.add((kind, item.id))
            add(kind, getattr(item, "elements", ()))

    add("shape", data.shapes)
    add("tag", data.tags)
    add("track", data.tracks)
    return found


def union(*parts: LabeledData) -> LabeledData:
    return LabeledData(
        shapes=tuple(s for part in parts for s in part.shapes),
        tags=tuple(t for part in parts for t in part.tags),
        tracks=tuple(t for part in parts for t in part.tracks),
    )


# --- scenarios ------------------------------------------------------------------------------


def test_set_and_get_every_shape_type_on_a_task(setup: Setup) -> None:
    session, task = setup.session, setup.task
    assert cvatfn.tasks.get_annotations(session, task).unwrap() == LabeledData()
    sent = union(every_kind(setup, 0, 1), every_kind(setup, 2, 3))

    answer = cvatfn.tasks.set_annotations(session, task, sent).unwrap()
    assert content(answer) == content(sent)
    # 8 shapes + 2 skeleton elements, 1 tag, 2 tracks + 2 skeleton element tracks, twice
    assert len(ids(answer)) == 2 * (8 + 2 + 1 + 2 + 2)
    stored = cvatfn.tasks.get_annotations(session, task).unwrap()
    assert content(stored) == content(sent)
    assert ids(stored) == ids(answer)

    # the mask and the skeleton come back as drawn
    [mask_shape, _] = [s for s in stored.shapes if s.type == "mask"]
    assert masks.from_shape(mask_shape) == Success(BLOB)
    skeleton = next(s for s in stored.shapes if s.type == "skeleton" and s.frame == 3)
    assert {(e.label_id, e.points, e.outside) for e in skeleton.elements} == {
        (setup.head, (5.0, 5.0), False),
        (setup.hand, (7.0, 9.0), True),
    }

    # each job holds the objects on its frames; the task is their union
    first, second = (cvatfn.jobs.get_annotations(session, job).unwrap() for job in setup.jobs)
    assert content(first) == content(every_kind(setup, 0, 1))
    assert content(second) == content(every_kind(setup, 2, 3))
    assert ids(union(first, second)) == ids(stored)

    # a dict of the same shape replaces everything again
    replaced = cvatfn.tasks.set_annotations(
        session, task, {"tags": [{"frame": 3, "label_id": setup.person}]}
    ).unwrap()
    assert (len(replaced.tags), replaced.shapes, replaced.tracks) == (1, (), ())
    assert cvatfn.tasks.get_annotations(session, task).unwrap() == replaced


def test_each_job_apart_and_the_task_is_their_union(setup: Setup) -> None:
    session = setup.session
    first_job, second_job = setup.jobs
    first = cvatfn.jobs.set_annotations(session, first_job, every_kind(setup, 0, 1)).unwrap()
    assert content(first) == content(every_kind(setup, 0, 1))
    second = cvatfn.jobs.set_annotations(session, second_job, every_kind(setup, 2, 3)).unwrap()
    assert not ids(first) & ids(second)
    task_view = cvatfn.tasks.get_annotations(session, setup.task).unwrap()
    assert content(task_view) == content(union(first, second))
    assert ids(task_view) == ids(first) | ids(second)
    # replacing one job leaves the other alone
    cvatfn.jobs.set_annotations(session, first_job, LabeledData()).unwrap()
    assert cvatfn.jobs.get_annotations(session, first_job).unwrap() == LabeledData()
    assert content(cvatfn.tasks.get_annotations(session, setup.task).unwrap()) == content(second)


@pytest.mark.parametrize("scope", ["task", "job"])
def test_patch_create_update_delete(setup: Setup, scope: str) -> None:
    session = setup.session
    module: Any = cvatfn.tasks if scope == "task" else cvatfn.jobs
    target: Any = setup.task if scope == "task" else setup.jobs[1]
    base = every_kind(setup, 2, 3)
    kept = module.set_annotations(session, target, base).unwrap()

    # every attribute is given: CVAT fills in the defaults of missing ones when reading
    both = (
        AttributeVal(spec_id=setup.color, value="red"),
        AttributeVal(spec_id=setup.moving, value="false"),
    )
    extra = LabeledData(
        shapes=(
            LabeledShape(
                type="rectangle",
                frame=2,
                label_id=setup.car,
                points=(5, 5, 9, 9),
                attributes=both,
            ),
            masks.to_shape(BLOB, frame=3, label_id=setup.car, attributes=both).unwrap(),
        ),
        tags=(LabeledImage(frame=3, label_id=setup.person),),
    )
    created = module.update_annotations(session, target, extra, action="create").unwrap()
    assert content(created) == content(extra)
    assert not ids(created) & ids(kept)
    now = module.get_annotations(session, target).unwrap()
    assert ids(now) == ids(kept) | ids(created)

    box = next(s for s in created.shapes if s.type == "rectangle")
    moved = msgspec.structs.replace(box, points=(6.0, 6.0, 10.0, 10.0), z_order=4)
    updated = module.update_annotations(
        session, target, {"shapes": [moved]}, action=cvatfn.PatchAction.UPDATE
    ).unwrap()
    assert [(s.id, s.points, s.z_order) for s in updated.shapes] == [
        (box.id, (6.0, 6.0, 10.0, 10.0), 4)
    ]
    now = module.get_annotations(session, target).unwrap()
    assert next(s for s in now.shapes if s.id == box.id).points == (6.0, 6.0, 10.0, 10.0)
    assert ids(now) == ids(kept) | ids(created)

    gone = LabeledData(shapes=(moved,), tags=created.tags)
    module.update_annotations(session, target, gone, action="delete").unwrap()
    now = module.get_annotations(session, target).unwrap()
    assert ids(now) == (ids(kept) | ids(created)) - ids(gone)
    left_over = LabeledData(shapes=tuple(s for s in created.shapes if s.id != box.id))
    assert content(now) == content(union(base, left_over))


@pytest.mark.parametrize("scope", ["task", "job"])
def test_remove_by_ids_then_everything(setup: Setup, scope: str) -> None:
    session = setup.session
    module: Any = cvatfn.tasks if scope == "task" else cvatfn.jobs
    target: Any = setup.task if scope == "task" else setup.jobs[0]
    stored = module.set_annotations(session, target, every_kind(setup, 0, 1)).unwrap()
    skeleton = next(s for s in stored.shapes if s.type == "skeleton")
    track = next(t for t in stored.tracks if t.label_id == setup.person)
    tag = stored.tags[0]

    chosen = {"shapes": [skeleton.id], "tracks": [track.id], "tags": [tag.id]}
    assert module.remove_annotations(session, target, ids=chosen) == Success(None)
    now = module.get_annotations(session, target).unwrap()
    removed = LabeledData(shapes=(skeleton,), tracks=(track,), tags=(tag,))
    assert ids(now) == ids(stored) - ids(removed)  # skeleton elements went with their parent
    assert content(now) == content(
        LabeledData(
            shapes=tuple(s for s in stored.shapes if s.id != skeleton.id),
            tracks=tuple(t for t in stored.tracks if t.id != track.id),
        )
    )

    # an id that is not there (any more) removes nothing
    again = module.remove_annotations(
        session, target, ids={"shapes": [skeleton.id, now.shapes[0].id]}
    )
    match again:
        case Failure(InvalidInput(field="ids.shapes")):
            pass
        case other:
            raise AssertionError(other)
    assert module.get_annotations(session, target).unwrap() == now

    assert module.remove_annotations(session, target) == Success(None)
    assert module.get_annotations(session, target).unwrap() == LabeledData()
    for job in setup.jobs:
        assert cvatfn.jobs.get_annotations(session, job).unwrap() == LabeledData()


def test_remove_by_ids_in_a_task_reaches_every_job(setup: Setup) -> None:
    session = setup.session
    stored = cvatfn.tasks.set_annotations(
        session, setup.task, union(every_kind(setup, 0, 1), every_kind(setup, 2, 3))
    ).unwrap()
    masks_by_frame = {s.frame: s for s in stored.shapes if s.type == "mask"}
    tracks = [t.id for t in stored.tracks if isinstance(t.id, int)]
    chosen = cvatfn.AnnotationIds(
        shapes=frozenset(s.id for s in masks_by_frame.values() if isinstance(s.id, int)),
        tracks=frozenset(tracks),
    )
    assert cvatfn.tasks.remove_annotations(session, setup.task, ids=chosen) == Success(None)
    for job in setup.jobs:
        left = cvatfn.jobs.get_annotations(session, job).unwrap()
        assert left.tracks == ()
        assert [s.type for s in left.shapes].count("mask") == 0
        assert len(left.shapes) == 7


def test_server_side_rejections_are_values(setup: Setup) -> None:
    session = setup.session
    bad_label = {"shapes": [{"type": "points", "frame": 0, "label_id": 99999, "points": [1, 1]}]}
    match cvatfn.tasks.set_annotations(session, setup.task, bad_label):
        case Failure(BadRequest(status=400)):
            pass
        case other:
            raise AssertionError(other)
    bad_attribute = {
        "tags": [
            {"frame": 0, "label_id": setup.car, "attributes": [{"spec_id": 99999, "value": "x"}]}
        ]
    }
    match cvatfn.jobs.update_annotations(session, setup.jobs[0], bad_attribute, action="create"):
        case Failure(BadRequest(status=400, message=message)):
            assert "99999" in message
        case other:
            raise AssertionError(other)
    # nothing was half-written
    assert cvatfn.tasks.get_annotations(session, setup.task).unwrap() == LabeledData()
    assert isinstance(cvatfn.jobs.get_annotations(session, 99999).failure(), NotFound)
    assert isinstance(cvatfn.tasks.remove_annotations(session, 99999).failure(), NotFound)


def test_the_client_binds_the_same_functions(setup: Setup) -> None:
    client = cvatfn.Client(setup.session)
    job = setup.jobs[0]
    data = client.jobs.set_annotations(job, every_kind(setup, 0, 1)).unwrap()
    assert (
        client.jobs.get_annotations(job).unwrap()
        == cvatfn.jobs.get_annotations(setup.session, job).unwrap()
    )
    tag = data.tags[0]
    client.jobs.update_annotations(job, {"tags": [tag]}, action="delete").unwrap()
    client.tasks.remove_annotations(setup.task, ids={"shapes": [data.shapes[0].id]}).unwrap()
    left = client.tasks.get_annotations(setup.task).unwrap()
    assert (len(left.tags), len(left.shapes)) == (0, 7)


def test_another_users_annotations_are_forbidden(
    server: FakeServer, connect: Callable[..., cvatfn.Session], images: Callable[..., list[Path]]
) -> None:
    owner = connect()
    task = cvatfn.tasks.create_from_data(
        owner, {"name": "private", "labels": [{"name": "car"}]}, images(1)
    ).unwrap()
    server.add_user("eve", "eve-pw")
    eve = connect("eve", "eve-pw")
    for result in (
        cvatfn.tasks.get_annotations(eve, task),
        cvatfn.tasks.set_annotations(eve, task, {}),
        cvatfn.tasks.remove_annotations(eve, task),
    ):
        assert isinstance(result.failure(), Forbidden | NotFound), result
