"""Failure values from a real (fake) server: credentials, CSRF, permissions, versions."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest
from returns.result import Failure

import cvatfn
from cvatfn.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    UnsupportedServer,
    UnsupportedServerWarning,
)
from cvatfn_fake import FakeServer
from tests.contract.openapi import ValidatingTransport


def test_wrong_password(validating: ValidatingTransport) -> None:
    result = cvatfn.connect(
        "http://localhost", credentials=("admin", "wrong"), transport=validating
    )
    match result:
        case Failure(BadRequest(errors=errors)):
            assert errors["non_field_errors"] == ("Unable to log in with provided credentials.",)
        case other:
            pytest.fail(str(other))


def test_no_credentials(validating: ValidatingTransport) -> None:
    anonymous = cvatfn.connect("http://localhost", transport=validating).unwrap()
    match cvatfn.tasks.list(anonymous):
        case Failure(Unauthorized(message=message, status=401)):
            assert message == "Authentication credentials were not provided."
        case other:
            pytest.fail(str(other))


def test_missing_csrf_token_is_forbidden(admin: cvatfn.Session) -> None:
    auth = admin.auth
    assert isinstance(auth, cvatfn.PasswordAuth)
    forged = msgspec.structs.replace(
        admin, auth=msgspec.structs.replace(auth, csrftoken="not-the-token")
    )
    assert cvatfn.tasks.list(forged).unwrap() == ()  # safe methods need no CSRF token
    match cvatfn.projects.create(forged, {"name": "p"}):
        case Failure(Forbidden(message=message)):
            assert message.startswith("CSRF Failed")
        case other:
            pytest.fail(str(other))


def test_another_users_task(server: FakeServer, connect: Callable[..., cvatfn.Session]) -> None:
    admin = connect()
    task = cvatfn.tasks.create(admin, {"name": "admin's"}).unwrap()
    server.add_user("eve", "eve-pw")
    eve = connect("eve", "eve-pw")
    assert cvatfn.tasks.list(eve).unwrap() == ()
    retrieved = cvatfn.tasks.retrieve(eve, task.id).failure()
    assert isinstance(retrieved, Forbidden | NotFound)
    assert isinstance(
        cvatfn.tasks.update(eve, task, {"name": "mine"}).failure(), Forbidden | NotFound
    )
    assert isinstance(cvatfn.tasks.remove(eve, task).failure(), Forbidden | NotFound)
    assert cvatfn.tasks.retrieve(admin, task).unwrap().name == "admin's"
    eves = cvatfn.tasks.create(eve, {"name": "eve's"}).unwrap()
    assert [t.id for t in cvatfn.tasks.list(eve).unwrap()] == [eves.id]
    assert sorted(t.id for t in cvatfn.tasks.list(admin).unwrap()) == [task.id, eves.id]


def test_assignee_sees_the_task(server: FakeServer, connect: Callable[..., cvatfn.Session]) -> None:
    admin = connect()
    server.add_user("ann", "ann-pw")
    ann_id = cvatfn.users.list(admin, username="ann").unwrap()[0].id
    task = cvatfn.tasks.create(admin, {"name": "for ann", "assignee_id": ann_id}).unwrap()
    ann = connect("ann", "ann-pw")
    assert cvatfn.tasks.retrieve(ann, task.id).unwrap().name == "for ann"


def test_unsupported_server_version_both_modes(validating: ValidatingTransport) -> None:
    strict = cvatfn.Config(supported_versions=">=2.81", allow_unsupported_server=False)
    result = cvatfn.connect(
        "http://localhost", credentials=("admin", "admin"), config=strict, transport=validating
    )
    match result:
        case Failure(UnsupportedServer(version="2.80.0")):
            pass
        case other:
            pytest.fail(str(other))
    lenient = cvatfn.Config(supported_versions=">=2.81")
    with pytest.warns(UnsupportedServerWarning):
        session = cvatfn.connect(
            "http://localhost", credentials=("admin", "admin"), config=lenient, transport=validating
        ).unwrap()
    assert session.server.version == "2.80.0"


def test_logged_out_session_is_unauthorized(admin: cvatfn.Session) -> None:
    cvatfn.logout(admin).unwrap()
    assert isinstance(cvatfn.tasks.list(admin).failure(), Unauthorized)


def test_make_client_raises_only_on_enter(validating: ValidatingTransport) -> None:
    context = cvatfn.make_client(
        "http://localhost", credentials=("admin", "x"), transport=validating
    )
    with pytest.raises(cvatfn.CvatException) as caught, context:
        pytest.fail("unreachable")
    assert isinstance(caught.value.error, BadRequest)
