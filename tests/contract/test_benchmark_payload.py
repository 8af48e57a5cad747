"""The annotations benchmark's input is an answer CVAT 2.80 could give.

``tests/benchmarks/payload.py`` generates the ``LabeledData`` the annotations benchmark
decodes and encodes. Served for ``GET /api/jobs/{id}/annotations/`` through the contract's
validating transport, it fits ``openapi-2.80.json``, and cvatfn reads every object of it.
"""

from __future__ import annotations

import json

import cvatfn
from tests.benchmarks.bench_annotations import Answers, CvatfnTransport
from tests.benchmarks.payload import Sizes, payload
from tests.contract.openapi import ValidatingTransport


def test_the_benchmark_payload_is_a_valid_cvat_answer() -> None:
    body = payload(Sizes.quick())
    transport = ValidatingTransport(CvatfnTransport(Answers(body)))
    session = cvatfn.connect("http://localhost", transport=transport).unwrap()
    data = cvatfn.jobs.get_annotations(session, 1).unwrap()
    transport.assert_clean()
    assert "jobs_retrieve_annotations" in transport.operations
    raw = json.loads(body)
    assert len(data.shapes) == len(raw["shapes"]) == Sizes.quick().shapes
    assert len(data.tracks) == len(raw["tracks"]) == Sizes.quick().tracks
    assert len(data.tags) == len(raw["tags"]) == Sizes.quick().tags
    assert [len(t.shapes) for t in data.tracks] == [len(t["shapes"]) for t in raw["tracks"]]
    assert sum(len(s.elements) for s in data.shapes) == sum(
        len(s["elements"]) for s in raw["shapes"]
    )


def test_the_benchmark_payload_is_deterministic_and_about_13_mb() -> None:
    assert payload(Sizes.quick()) == payload(Sizes.quick())
    assert payload(Sizes.quick(), seed=1) != payload(Sizes.quick())
    assert 10 * 2**20 <= len(payload()) <= 15 * 2**20
