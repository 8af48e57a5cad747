"""Annotations: decoding, encoding and an edit cycle of one large job's annotations.

Theory of operation
-------------------
The input is :mod:`tests.benchmarks.payload`: a ``LabeledData`` body of about 13 MB, as CVAT
2.80 sends it (20,000 shapes of every type with attributes, masks and skeletons among them;
500 tracks of 20 keyframes; 1,000 tags). ``--quick`` uses a twentieth of it.

Both clients run their real public path, in this process, over the same bytes:

- cvatfn: a session from :func:`cvatfn.connect` (with an access token) over a small
  :class:`~cvatfn.http.Transport` that answers ``/api/server/about``, ``/api/users/self`` and
  ``/api/jobs/1/annotations/`` with prepared bytes, and records what it is sent;
- the official cvat-sdk 2.80.0: a ``Client`` logged in with the same token, whose REST
  client's ``pool_manager`` is replaced by an object whose ``request(...)`` answers the same
  way with ``urllib3.HTTPResponse`` values, so everything above urllib3 runs as usual.

What is measured, cvatfn's runs interleaved with the baseline's, best of several runs,
garbage collection paused during each run (a run's time includes freeing its result). Against
the official SDK, each round runs cvatfn a few times and the SDK once (3 rounds; 5 for the
encode); against ``json.loads`` and bare msgspec, :func:`alternate` takes 20 runs of each:

1. Decode: ``cvatfn.jobs.get_annotations(session, 1)`` against ``job.get_annotations()``;
   against ``json.loads`` of the same bytes; against a bare
   ``msgspec.json.Decoder(LabeledData).decode`` (the practical limit); and the heap the
   result retains (and the peak while decoding), against the official model tree.
2. Encode: ``cvatfn.jobs.set_annotations(session, 1, data)`` against
   ``job.set_annotations(request)``, each from its own in-memory model of the same
   annotations (a ``LabeledData``; a ``LabeledDataRequest``) to the bytes handed to the
   transport. The server answers with a small ``200`` body (``{"version": 1, ...}`` with no
   objects), which both accept. The bare ``msgspec.json.encode`` of the model is the floor.
3. Edit cycle, end to end: download, give every top-level shape another label id
   (``label_id + 100``, as when annotations move to a task whose labels have other ids),
   upload. cvatfn's code is functional (``msgspec.structs.replace``, tuples, a
   comprehension); the official code is the SDK's own idiom (it is how its
   ``remove_annotations`` builds requests): mutate the models, then build a
   ``LabeledDataRequest`` of ``*Request(**model.to_dict())`` objects. Here the server
   answers the ``PUT`` as CVAT does, with the annotations it saved (the body it was sent), so
   cvatfn decodes that answer too (the official SDK ignores it).

Before timing, each path runs once and the results are checked: both clients see the same
numbers of objects, and both send ``PUT`` bodies with the same objects and label ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec
import urllib3

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn.models import LabeledData
from tests.benchmarks._harness import Row, alternate, peak_and_retained
from tests.benchmarks.payload import Sizes, payload

TOKEN = "benchmark-token"
JOB_ID = 1
LABEL_SHIFT = 100
SMALL_ANSWER = b'{"version":1,"tags":[],"shapes":[],"tracks":[]}'
ABOUT = {
    "name": "Computer Vision Annotation Tool",
    "description": "CVAT",
    "version": "2.80.0",
    "logo_url": "",
    "subtitle": "",
}
USER = {"id": 1, "username": "admin", "email": "", "first_name": "", "last_name": ""}
JOB = {
    "id": JOB_ID,
    "url": f"http://localhost/api/jobs/{JOB_ID}",
    "task_id": 1,
    "project_id": None,
    "assignee": None,
    "guide_id": None,
    "dimension": "2d",
    "data_compressed_chunk_type": "imageset",
    "data_chunk_size": 72,
    "mode": "annotation",
    "bug_tracker": None,
    "stage": "annotation",
    "state": "new",
    "status": "annotation",
    "start_frame": 0,
    "stop_frame": 1999,
    "frame_count": 2000,
    "type": "annotation",
    "organization": None,
    "target_storage": None,
    "source_storage": None,
    "issues": {"count": 0, "url": "http://localhost/api/issues?job_id=1"},
    "labels": {"url": "http://localhost/api/labels?job_id=1"},
    "created_date": "2024-03-21T20:50:05.838000Z",
    "updated_date": "2024-03-21T20:50:20.020000Z",
}
ANNOTATIONS_PATH = f"/api/jobs/{JOB_ID}/annotations/"


class Answers:
    """What the server says: the annotations for ``GET``, and for ``PUT`` either a small body
    or (``echo``) the body it was sent. Remembers the last ``PUT`` body."""

    def __init__(self, annotations: bytes) -> None:
        self.annotations = annotations
        self.echo = False
        self.last_put = b""

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path.endswith("/api/server/about"):
            return 200, json.dumps(ABOUT).encode()
        if path.endswith("/api/users/self"):
            return 200, json.dumps(USER).encode()
        if path.endswith(f"/api/jobs/{JOB_ID}"):
            return 200, json.dumps(JOB).encode()
        if path.endswith(ANNOTATIONS_PATH) and method == "GET":
            return 200, self.annotations
        if path.endswith(ANNOTATIONS_PATH) and method == "PUT":
            self.last_put = body
            return 200, body if self.echo else SMALL_ANSWER
        return 404, b'{"detail":"Not found."}'


class CvatfnTransport:
    """A cvatfn transport over :class:`Answers`."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.url.split("?", 1)[0]
        status, body = self.answers.answer(request.method, path, request.body)
        return HttpResponse(status, (("Content-Type", "application/vnd.cvat+json"),), body)


class OfficialPool:
    """Stands in for the official SDK's ``urllib3.PoolManager`` (``rest_client.pool_manager``):
    its REST client calls ``request(method, url, body=..., headers=..., ...)`` and reads the
    ``urllib3.HTTPResponse`` it returns."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def request(
        self, method: str, url: str, *args: Any, body: Any = None, **kwargs: Any
    ) -> urllib3.HTTPResponse:
        data = body.encode() if isinstance(body, str) else (body or b"")
        status, answer = self.answers.answer(method, url.split("?", 1)[0], data)
        return urllib3.HTTPResponse(
            body=answer,
            status=status,
            headers={"Content-Type": "application/vnd.cvat+json"},
            preload_content=True,
        )


def cvatfn_session(answers: Answers) -> cvatfn.Session:
    return cvatfn.connect(
        "http://localhost", access_token=TOKEN, transport=CvatfnTransport(answers)
    ).unwrap()


def official_job(answers: Answers) -> Any:
    from cvat_sdk import Client
    from cvat_sdk.core.client import AccessTokenCredentials

    client = Client("http://localhost", check_server_version=False)
    client.api_client.rest_client.pool_manager = OfficialPool(answers)
    client.login(AccessTokenCredentials(TOKEN))
    return client.jobs.retrieve(JOB_ID)


# ------------------------------------------------------------------------------------------
# The code under measurement: each side's idiomatic way
# ------------------------------------------------------------------------------------------


def relabel(data: LabeledData) -> LabeledData:
    """cvatfn: every shape gets another label id; nothing is mutated."""
    return msgspec.structs.replace(
        data,
        shapes=tuple(
            msgspec.structs.replace(shape, label_id=shape.label_id + LABEL_SHIFT)
            for shape in data.shapes
        ),
    )


def cvatfn_edit(session: cvatfn.Session) -> LabeledData:
    edited = cvatfn.jobs.get_annotations(session, JOB_ID).map(relabel).unwrap()
    return cvatfn.jobs.set_annotations(session, JOB_ID, edited).unwrap()


def official_request(data: Any, *, shift: int = 0) -> Any:
    """The official SDK's request model for its ``LabeledData`` (with ``shift`` added to
    every shape's label id, by mutating the model first)."""
    from cvat_sdk import models

    for shape in data.shapes:
        shape.label_id = shape.label_id + shift
    return models.LabeledDataRequest(
        version=data.version,
        tags=[models.LabeledImageRequest(**tag.to_dict()) for tag in data.tags],
        shapes=[models.LabeledShapeRequest(**shape.to_dict()) for shape in data.shapes],
        tracks=[models.LabeledTrackRequest(**track.to_dict()) for track in data.tracks],
    )


def official_edit(job: Any) -> None:
    data = job.get_annotations()
    job.set_annotations(official_request(data, shift=LABEL_SHIFT))


# ------------------------------------------------------------------------------------------
# Checks (before timing)
# ------------------------------------------------------------------------------------------


def _counts(data: Any) -> tuple[int, int, int, int]:
    return (
        len(data.shapes),
        len(data.tracks),
        len(data.tags),
        sum(len(track.shapes) for track in data.tracks),
    )


def _sent(body: bytes) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    sent = json.loads(body)
    return (
        tuple(shape["label_id"] for shape in sent["shapes"]),
        tuple(track["label_id"] for track in sent["tracks"]),
        len(sent["tags"]),
    )


def _same(what: str, ours: object, theirs: object) -> None:
    if ours != theirs:
        raise AssertionError(f"{what}: cvatfn and the official SDK disagree")


# ------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------


def _row(
    what: str,
    ours: float,
    theirs: float,
    baseline: str,
    *,
    unit: str = "s",
    target: str = "",
    times: float | None = None,
) -> Row:
    """A row; ``times`` is the target as "cvatfn at least this many times better"."""
    met = None if times is None else theirs >= times * ours
    return Row("annotations", what, ours, theirs, unit, baseline, target, met)


def _pair(
    ours: Callable[[], object], theirs: Callable[[], object], *, rounds: int, per_round: int = 1
) -> tuple[float, float]:
    """Best times of ``ours`` and ``theirs``, interleaved: each round runs ``ours``
    ``per_round`` times, then ``theirs`` once (a slow baseline gets few runs; cvatfn's runs,
    much shorter and so more easily disturbed, get more)."""
    best_ours = best_theirs = float("inf")
    for _ in range(rounds):
        timings = alternate({"ours": ours}, runs=per_round, warmup=0)
        best_ours = min(best_ours, timings["ours"].best)
        timings = alternate({"theirs": theirs}, runs=1, warmup=0)
        best_theirs = min(best_theirs, timings["theirs"].best)
    return best_ours, best_theirs


class _Setup:
    """Both clients over the same answers, and the run sizes."""

    def __init__(self, quick: bool) -> None:
        self.body = payload(Sizes.quick() if quick else Sizes())
        self.answers = Answers(self.body)
        self.session = cvatfn_session(self.answers)
        self.job = official_job(self.answers)
        self.slow_rounds = 2 if quick else 3
        self.fast_runs = 10 if quick else 20

    def get(self) -> LabeledData:
        return cvatfn.jobs.get_annotations(self.session, JOB_ID).unwrap()


def _decode_rows(setup: _Setup) -> list[Row]:
    body, job = setup.body, setup.job
    _same("objects decoded", _counts(setup.get()), _counts(job.get_annotations()))
    decoder = msgspec.json.Decoder(LabeledData)
    mine, official = _pair(setup.get, job.get_annotations, rounds=setup.slow_rounds, per_round=5)
    rows = [
        _row(
            f"decode {len(body) / 2**20:.1f} MiB: get_annotations",
            mine,
            official,
            "cvat-sdk Job.get_annotations",
            target=">= 60x",
            times=60,
        )
    ]
    timings = alternate(
        {"cvatfn": setup.get, "json": lambda: json.loads(body)}, runs=setup.fast_runs
    )
    rows.append(
        _row(
            "decode: get_annotations",
            timings["cvatfn"].best,
            timings["json"].best,
            "json.loads",
            target=">= 1x",
            times=1,
        )
    )
    timings = alternate(
        {"cvatfn": setup.get, "bare": lambda: decoder.decode(body)}, runs=setup.fast_runs
    )
    rows.append(
        _row(
            "decode: get_annotations",
            timings["cvatfn"].best,
            timings["bare"].best,
            "bare msgspec decode",
            target=">= 0.77x (<= 1.3x the time)",
            times=1 / 1.3,
        )
    )
    _, ours = peak_and_retained(setup.get)
    _, theirs = peak_and_retained(job.get_annotations)
    rows.append(
        _row(
            "decode: heap retained by the result",
            ours.retained,
            theirs.retained,
            "cvat-sdk model tree",
            unit="B",
            target=">= 2x",
            times=2,
        )
    )
    rows.append(
        _row(
            "decode: peak heap while decoding",
            ours.peak,
            theirs.peak,
            "cvat-sdk Job.get_annotations",
            unit="B",
        )
    )
    return rows


def _encode_rows(setup: _Setup) -> list[Row]:
    """From each side's in-memory model to the bytes sent; the server answers briefly."""
    session, job, answers = setup.session, setup.job, setup.answers
    data = setup.get()
    request = official_request(job.get_annotations())
    answers.echo = False
    cvatfn.jobs.set_annotations(session, JOB_ID, data).unwrap()
    ours_sent = _sent(answers.last_put)
    job.set_annotations(request)
    _same("PUT bodies", ours_sent, _sent(answers.last_put))

    def encode() -> object:
        return cvatfn.jobs.set_annotations(session, JOB_ID, data)

    mine, official = _pair(
        encode, lambda: job.set_annotations(request), rounds=setup.slow_rounds + 2, per_round=5
    )
    timings = alternate(
        {"cvatfn": encode, "bare": lambda: msgspec.json.encode(data)}, runs=setup.fast_runs
    )
    return [
        _row(
            "encode: set_annotations",
            mine,
            official,
            "cvat-sdk Job.set_annotations",
            target=">= 30x",
            times=30,
        ),
        _row(
            "encode: set_annotations",
            timings["cvatfn"].best,
            timings["bare"].best,
            "bare msgspec encode",
        ),
    ]


def _edit_rows(setup: _Setup) -> list[Row]:
    """The server answers the PUT with what it saved, as CVAT does."""
    session, job, answers = setup.session, setup.job, setup.answers
    answers.echo = True
    original = setup.get()
    edited = cvatfn_edit(session)
    ours_sent = _sent(answers.last_put)
    if len(edited.shapes) != len(original.shapes):
        raise AssertionError("the edit cycle did not return the saved annotations")
    official_edit(job)
    _same("edited PUT bodies", ours_sent, _sent(answers.last_put))
    expected = tuple(shape.label_id + LABEL_SHIFT for shape in original.shapes)
    _same("edited label ids", ours_sent[0], expected)
    mine, official = _pair(
        lambda: cvatfn_edit(session),
        lambda: official_edit(job),
        rounds=setup.slow_rounds,
        per_round=3,
    )
    return [
        _row(
            "edit cycle: get, relabel, set",
            mine,
            official,
            "cvat-sdk, same steps",
            target=">= 30x",
            times=30,
        )
    ]


def run(quick: bool) -> list[Row]:
    setup = _Setup(quick)
    return [*_decode_rows(setup), *_encode_rows(setup), *_edit_rows(setup)]
