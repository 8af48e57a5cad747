"""Regression examples found by the never-raises and spec-fuzzing properties (property_tests/).

Each is a server answer or a caller's argument that once made a public function raise instead
of returning a failure value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from returns.result import Result, Success

import cvatfn
from cvatfn.errors import CvatError, InvalidInput, UnexpectedResponse
from cvatfn.http import HttpRequest, HttpResponse
from tests.core.scripted import Scripted, about_server, json_response

DEEP = b"[" * 100_000 + b"]" * 100_000


def _session(*responses: HttpResponse) -> tuple[cvatfn.Session, Scripted]:
    """A session whose server gives ``responses`` in turn (the last one from then on)."""
    queue = list(responses)

    def answer(request: HttpRequest) -> HttpResponse:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    transport = Scripted(answer)
    server = cvatfn.Server(url="http://h", version="2.80.0")
    config = cvatfn.Config(retry=cvatfn.retry.NO_RETRY)
    return cvatfn.Session(server=server, transport=transport, config=config), transport


@pytest.mark.parametrize(
    "body",
    [DEEP, b'{"a":' * 5000 + b"1" + b"}" * 5000, b'{"id": 1, "name": "\xff"}', b'"\xc3"'],
    ids=["deep array", "deep object", "invalid UTF-8 in a field", "truncated UTF-8"],
)
def test_an_undecodable_success_body_is_an_unexpected_response(body: bytes) -> None:
    session, _ = _session(HttpResponse(200, (("Content-Type", "application/json"),), body))
    assert isinstance(cvatfn.tasks.retrieve(session, 1).failure(), UnexpectedResponse)
    assert isinstance(cvatfn.requests.retrieve(session, "rq").failure(), UnexpectedResponse)


def test_an_export_answering_invalid_utf8_is_an_unexpected_response(tmp_path: Path) -> None:
    session, _ = _session(HttpResponse(202, (), b'{"rq_id": "\xff"}'))
    result = cvatfn.tasks.export_dataset(session, 1, "CVAT 1.1", tmp_path / "out.zip")
    assert isinstance(result.failure(), UnexpectedResponse)
    assert os.listdir(tmp_path) == []


def test_a_result_url_that_is_not_a_url_is_an_unexpected_response(tmp_path: Path) -> None:
    finished = {"id": "rq", "status": "finished", "result_url": "http://[::1"}
    session, _ = _session(json_response(202, {"rq_id": "rq"}), json_response(200, finished))
    result = cvatfn.tasks.download_backup(session, 1, tmp_path / "backup.zip")
    error = result.failure()
    assert isinstance(error, UnexpectedResponse)
    assert "http://[::1" in error.message
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("organization", [5, None, "", object()])
def test_memberships_and_invitations_of_something_not_an_organization(
    organization: object,
) -> None:
    session, transport = _session(json_response(200, {}))
    for result in (
        cvatfn.organizations.get_memberships(session, organization),  # type: ignore[arg-type]
        cvatfn.organizations.invite(
            session,
            organization,  # type: ignore[arg-type]
            {"role": "worker", "email": "w@example.com"},
        ),
    ):
        error = result.failure()
        assert isinstance(error, InvalidInput)
        assert error.field == "organization"
    assert transport.sent == []


@pytest.mark.parametrize(
    "pattern",
    [
        "{frame_id:>99999999999}",
        "{frame_ext:>300}",
        "{frame_id:.9999}",
        "{frame_id:{frame_id}}",
        "x" * 300 + "{frame_id}{frame_ext}",
    ],
)
def test_a_filename_pattern_for_huge_names_is_refused_before_anything_is_sent(
    pattern: str, tmp_path: Path
) -> None:
    session, transport = _session(json_response(200, {}))
    result = cvatfn.tasks.download_frames(
        session, 1, [0, 10**10], outdir=tmp_path, filename_pattern=pattern
    )
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert error.field == "filename_pattern"
    assert transport.sent == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"host": None}, "host"),
        ({"host": 5}, "host"),
        ({"host": "h", "port": "80"}, "port"),
        ({"host": "h", "port": True}, "port"),
        ({"host": "h", "config": "fast"}, "config"),
    ],
)
def test_connect_rejects_arguments_of_the_wrong_type(kwargs: dict[str, object], field: str) -> None:
    transport = Scripted(about_server())
    result = cvatfn.connect(transport=transport, **kwargs)  # type: ignore[arg-type]
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert error.field == field
    assert transport.sent == []


def test_a_free_form_field_holding_what_json_cannot_carry_is_invalid_input() -> None:
    session, transport = _session(json_response(201, {"id": 1, "slug": "lab"}))
    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    for contact, field in (
        ({"email": object()}, "contact.email"),
        ({"phones": [1, {"home": object()}]}, "contact.phones[1].home"),
        ({"deep": nested}, "contact.deep[0]"),
    ):
        result = cvatfn.organizations.create(session, {"slug": "lab", "contact": contact})
        error = result.failure()
        assert isinstance(error, InvalidInput), result
        assert error.field == field
    assert transport.sent == []
    created = cvatfn.organizations.create(session, {"slug": "lab", "contact": {"n": 2**70}})
    assert isinstance(created, Success)
    assert msgspec.json.decode(transport.sent[0].body)["contact"] == {"n": 2**70}


# Found by the properties and fixed in the core (_api, _download, _resilient): kept here so
# that they stay fixed.


def test_deep_json_in_an_error_body_is_still_the_status_error() -> None:
    session, _ = _session(HttpResponse(400, (), DEEP))
    assert isinstance(cvatfn.tasks.retrieve(session, 1).failure(), cvatfn.errors.BadRequest)


@pytest.mark.parametrize("length", ["²", "١٢", "-1", "1,2"])
def test_a_content_length_that_is_not_ascii_digits_is_not_checked(
    length: str, tmp_path: Path
) -> None:
    session, _ = _session(HttpResponse(200, (("Content-Length", length),), b"ab"))
    target = tmp_path / "chunk.zip"
    assert cvatfn.jobs.download_chunk(session, 1, 0, target).unwrap() == str(target)
    assert target.read_bytes() == b"ab"


def test_a_redirect_to_something_that_is_not_a_url_is_not_followed() -> None:
    session, transport = _session(HttpResponse(302, (("Location", "http://[::1"),)))
    error = cvatfn.tasks.retrieve(session, 1).failure()
    assert isinstance(error, UnexpectedResponse)
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: cvatfn.tasks.create(s, 5), "spec"),
        (lambda s: cvatfn.tasks.update(s, 1, [("name", "x")]), "patch"),
        (lambda s: cvatfn.tasks.update(s, 1, {"a`b": 1}), "a`b"),
        (lambda s: cvatfn.projects.create(s, {"name": "p", "labels": [{}]}), "labels[0].name"),
        (
            lambda s: cvatfn.projects.create(s, {"name": "p", "labels": [{"name": "a", "x": 1}]}),
            "labels[0].x",
        ),
        (lambda s: cvatfn.projects.update(s, 1, {"source_storage": {1: None}}), "source_storage"),
    ],
)
def test_a_spec_is_refused_naming_the_field_with_its_path(
    call: Callable[[cvatfn.Session], Result[object, CvatError]], field: str
) -> None:
    session, transport = _session(HttpResponse(404))
    error = call(session).failure()
    assert isinstance(error, InvalidInput)
    assert error.field == field
    assert transport.sent == []
